"""Urgent help and front doors as data: ``seed_data/urgent.yaml``, loaded and checked at start.

Plain Python, no Flask. Pages, the handout and the match API ask this module, never their own
``if`` statements, which needs get an urgent panel ("what to do today" before any routine
list), and which ways in always exist for a person's age when a search finds nothing.

    urgency = get_urgency()
    urgency.panel_for("psychosis")            # UrgentPanel, or None for a routine need
    urgency.front_doors_for((15, 15))         # GP, CAMHS, school nurse for a 15-year-old
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from signpost.crisis import CrisisLine
from signpost.vocab import get_vocabularies

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "seed_data" / "urgent.yaml"
NATIONS = frozenset({"england", "scotland", "wales", "northern-ireland"})
AgeRange = tuple[int, int]


class UrgencyConfigError(ValueError):
    """The urgent-help file is missing, malformed or names something that does not exist."""


@dataclass(frozen=True)
class UrgentStep:
    key: str  # gp-today | nhs-111 | emergency
    text: str
    href: str | None = None


@dataclass(frozen=True)
class UrgentPanel:
    key: str
    needs: frozenset[str]
    heading: str
    intro: str
    steps: tuple[UrgentStep, ...]
    route: str
    young_people: str
    suicide_line: str

    def steps_in(self, nhs_line: CrisisLine | None) -> tuple[UrgentStep, ...]:
        """The steps, with the NHS urgent line of the person's nation in place of NHS 111's
        English wording (Wales and Scotland word it differently; Northern Ireland has no 111)."""
        if nhs_line is None:
            return self.steps
        return tuple(
            UrgentStep(s.key, nhs_line.text, nhs_line.href) if s.key == "nhs-111" else s
            for s in self.steps
        )

    def to_json(self, *, young: bool, nhs_line: CrisisLine | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "key": self.key,
            "heading": self.heading,
            "intro": self.intro,
            "steps": [
                {"key": s.key, "text": s.text, **({"href": s.href} if s.href else {})}
                for s in self.steps_in(nhs_line)
            ],
            "route": self.route,
            "suicide": self.suicide_line,
        }
        if young:
            body["young_people"] = self.young_people
        return body


@dataclass(frozen=True)
class FrontDoor:
    key: str
    name: str
    text: str
    href: str | None = None
    min_age: int | None = None
    max_age: int | None = None
    nations: frozenset[str] = NATIONS

    def fits(self, age_range: AgeRange, nation: str | None) -> bool:
        youngest, oldest = age_range
        if self.min_age is not None and oldest < self.min_age:
            return False
        if self.max_age is not None and youngest > self.max_age:
            return False
        # Nation unknown: keep it (the text says where it applies).
        return nation is None or nation in self.nations

    def to_json(self) -> dict[str, Any]:
        body = {"key": self.key, "name": self.name, "text": self.text}
        return body | ({"href": self.href} if self.href else {})


@dataclass(frozen=True)
class Urgency:
    panels: tuple[UrgentPanel, ...]
    front_doors: tuple[FrontDoor, ...]
    lines: tuple[CrisisLine, ...]

    def panel_for(self, need: str) -> UrgentPanel | None:
        return next((panel for panel in self.panels if need in panel.needs), None)

    def front_doors_for(
        self, age_range: AgeRange, nation: str | None = None
    ) -> tuple[FrontDoor, ...]:
        return tuple(door for door in self.front_doors if door.fits(age_range, nation))


def _text(data: Mapping[str, Any], key: str, where: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise UrgencyConfigError(f"urgent: {where}.{key} must be non-empty text")
    return " ".join(value.split())


def _age(data: Mapping[str, Any], key: str, where: str) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 130:
        raise UrgencyConfigError(f"urgent: {where}.{key} must be an age from 0 to 130")
    return value


def _steps(raw: Any, known: Mapping[str, UrgentStep], where: str) -> tuple[UrgentStep, ...]:
    if not isinstance(raw, list) or not raw:
        raise UrgencyConfigError(f"urgent: {where}.steps must be a non-empty list")
    steps = []
    for item in raw:
        key = item.get("key") if isinstance(item, dict) else None
        if key not in known:
            raise UrgencyConfigError(f"urgent: {where} names an unknown step {key!r}")
        base = known[key]
        text = _text(item, "text", where) if "text" in item else base.text
        steps.append(UrgentStep(key, text, base.href))
    return tuple(steps)


def parse_urgency(data: Any, needs: frozenset[str]) -> Urgency:
    """Validate a parsed document against the need vocabulary and build the data."""
    if not isinstance(data, dict) or data.get("version") != 1:
        raise UrgencyConfigError("urgent: the file must be a mapping with version: 1")
    raw_steps = data.get("steps")
    if not isinstance(raw_steps, dict):
        raise UrgencyConfigError("urgent: steps must be a mapping")
    known = {
        key: UrgentStep(key, _text(step, "text", f"steps.{key}"), step.get("href"))
        for key, step in raw_steps.items()
    }
    if set(known) != {"gp-today", "nhs-111", "emergency"}:
        raise UrgencyConfigError("urgent: steps must be exactly gp-today, nhs-111, emergency")
    suicide = _text(data, "suicide_line", "")

    panels, claimed = [], set()
    for i, raw in enumerate(data.get("panels") or ()):
        where = f"panels[{i}]"
        panel_needs = frozenset(raw.get("needs") or ())
        unknown = sorted(panel_needs - needs)
        if not panel_needs or unknown:
            raise UrgencyConfigError(f"urgent: {where}.needs empty or unknown: {unknown}")
        twice = sorted(panel_needs & claimed)
        if twice:
            raise UrgencyConfigError(f"urgent: {where} repeats need(s) {twice}")
        claimed |= panel_needs
        steps = _steps(raw.get("steps"), known, where)
        if {s.key for s in steps} != set(known):
            raise UrgencyConfigError(f"urgent: {where} must name GP today, NHS 111 and 999")
        panels.append(
            UrgentPanel(
                key=_text(raw, "key", where),
                needs=panel_needs,
                heading=_text(raw, "heading", where),
                intro=_text(raw, "intro", where),
                steps=steps,
                route=_text(raw, "route", where),
                young_people=_text(raw, "young_people", where),
                suicide_line=suicide,
            )
        )

    doors = []
    for i, raw in enumerate(data.get("front_doors") or ()):
        where = f"front_doors[{i}]"
        nations = frozenset(raw.get("nations") or NATIONS)
        if not nations <= NATIONS:
            raise UrgencyConfigError(f"urgent: {where}.nations must be among {sorted(NATIONS)}")
        doors.append(
            FrontDoor(
                key=_text(raw, "key", where),
                name=_text(raw, "name", where),
                text=_text(raw, "text", where),
                href=raw.get("href"),
                min_age=_age(raw, "min_age", where),
                max_age=_age(raw, "max_age", where),
                nations=nations,
            )
        )
    everyone = [
        d for d in doors if d.min_age is None and d.max_age is None and d.nations == NATIONS
    ]
    if not everyone:
        raise UrgencyConfigError("urgent: one front door (the GP) must fit every age")

    lines = []
    for i, raw in enumerate(data.get("lines") or ()):
        where = f"lines[{i}]"
        _text(raw, "source", where)  # a number is never shipped without where it came from
        lines.append(
            CrisisLine(
                key=str(raw.get("key") or _text(raw, "name", where)),
                name=_text(raw, "name", where),
                contact=_text(raw, "contact", where),
                text=_text(raw, "text", where),
                href=_text(raw, "href", where),
                nations=(),
                oldest=_age(raw, "max_age", where),
                source=_text(raw, "source", where),
            )
        )
    return Urgency(panels=tuple(panels), front_doors=tuple(doors), lines=tuple(lines))


def load_urgency(path: Path | str | None = None) -> Urgency:
    target = Path(path) if path is not None else DEFAULT_PATH
    try:
        data = yaml.safe_load(target.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise UrgencyConfigError(f"urgent: cannot read {target}: {exc}") from exc
    return parse_urgency(data, frozenset(get_vocabularies().needs))


@lru_cache(maxsize=1)
def get_urgency() -> Urgency:
    return load_urgency()
