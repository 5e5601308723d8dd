"""Crisis routes shown on every patient and GP page and returned by the match API.

The lines, the nations and ages each is for, and where each number was confirmed live in
``seed_data/crisis_lines.yaml``; ``crisis_lines`` is the one place that picks them, so no
page can show a different number.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from signpost.slugs import NATIONS

_DATA = Path(__file__).resolve().parent.parent / "seed_data" / "crisis_lines.yaml"


@dataclass(frozen=True)
class CrisisLine:
    key: str
    name: str
    contact: str
    text: str
    href: str
    nations: tuple[str, ...]  # empty: every nation
    youngest: int | None = None
    oldest: int | None = None
    strip: str | None = None
    source: str = ""

    @property
    def audience(self) -> str:
        if self.oldest is not None:
            return f"under-{self.oldest + 1}s"
        if self.youngest is not None:
            return f"{self.youngest}-and-over"
        return "everyone"

    def serves(self, nation: str | None, age: int | None) -> bool:
        """Unknown nation or age includes the line: better one number too many than none."""
        if nation is not None and self.nations and nation not in self.nations:
            return False
        if age is None:
            return True
        return (self.youngest is None or age >= self.youngest) and (
            self.oldest is None or age <= self.oldest
        )

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "contact": self.contact,
            "text": self.text,
            "href": self.href,
            "audience": self.audience,
            "nations": list(self.nations) or list(NATIONS),
        }


@dataclass(frozen=True)
class Nation:
    slug: str
    name: str
    nice: str
    right_to_choose: bool


@cache
def _load() -> tuple[tuple[CrisisLine, ...], dict[str, Nation]]:
    raw = yaml.safe_load(_DATA.read_text(encoding="utf-8"))
    lines = []
    for item in raw["lines"]:
        nations = tuple(n for n in item["nations"] if n != "all")
        unknown = set(nations) - set(NATIONS)
        if unknown or not item.get("source"):
            raise ValueError(f"crisis line {item['key']}: bad nations {unknown} or no source")
        youngest, oldest = item.get("ages") or (None, None)
        lines.append(
            CrisisLine(
                key=item["key"],
                name=item["name"],
                contact=str(item["contact"]),
                text=item["text"],
                href=item["href"],
                nations=nations,
                youngest=youngest,
                oldest=oldest,
                strip=item.get("strip"),
                source=item["source"],
            )
        )
    nations_data = {
        slug: Nation(slug, v["name"], " ".join(v["nice"].split()), bool(v["right_to_choose"]))
        for slug, v in raw["nations"].items()
    }
    if set(nations_data) != set(NATIONS):
        raise ValueError("crisis_lines.yaml must describe exactly the four UK nations")
    return tuple(lines), nations_data


def all_lines() -> tuple[CrisisLine, ...]:
    return _load()[0]


def nation(slug: str | None) -> Nation | None:
    return _load()[1].get(slug) if slug else None


def crisis_lines(nation: str | None = None, age: int | None = None) -> tuple[CrisisLine, ...]:
    """The crisis lines for someone in *nation* (None: not known) aged *age* (None: not
    known), in the order to show them: emergency first, then the nation's NHS line."""
    return tuple(line for line in all_lines() if line.serves(nation, age))


def other_nation_lines(nation: str | None) -> tuple[CrisisLine, ...]:
    """Lines for the other UK nations, for someone searching for a person elsewhere."""
    if nation is None:
        return ()
    return tuple(line for line in all_lines() if line.nations and nation not in line.nations)


def _overlaps(line: CrisisLine, age_range: tuple[int, int]) -> bool:
    low, high = age_range
    return (line.oldest is None or low <= line.oldest) and (
        line.youngest is None or high >= line.youngest
    )


def lines_for(
    age_range: tuple[int, int] | None = None, nation: str | None = None
) -> tuple[CrisisLine, ...]:
    """Crisis lines for someone in *nation* whose age is in *age_range* (an exact age or a
    band; None: not known), with any young people's lines from seed_data/urgent.yaml that
    crisis_lines.yaml does not already give."""
    from signpost.urgency import get_urgency

    shown = [
        line
        for line in all_lines()
        if line.serves(nation, None) and (age_range is None or _overlaps(line, age_range))
    ]
    numbers = {line.contact.replace(" ", "") for line in shown}
    for line in get_urgency().lines:
        if line.contact.replace(" ", "") in numbers:
            continue
        if age_range is None or _overlaps(line, age_range):
            shown.append(line)
    return tuple(shown)


# Every line, for callers with no nation or age.
CRISIS_LINES: tuple[CrisisLine, ...] = all_lines()
