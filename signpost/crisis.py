"""Crisis routes shown on every patient and GP page and returned by the match API.

These are real, national services (PRODUCT §8); they are kept in one place so that no
page can show a different number.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class CrisisLine:
    name: str
    contact: str
    text: str
    href: str
    audience: str = "everyone"
    max_age: int | None = None  # oldest person the line is for; None: any age

    def to_json(self) -> dict[str, str]:
        # max_age is for choosing lines, not part of the published shape.
        return {k: v for k, v in asdict(self).items() if k != "max_age"}

    def fits(self, age_range: tuple[int, int]) -> bool:
        return self.max_age is None or age_range[0] <= self.max_age


CRISIS_LINES: tuple[CrisisLine, ...] = (
    CrisisLine(
        "Emergency services",
        "999",
        "Call 999 or go to A&E if you or someone else is in danger right now.",
        "tel:999",
    ),
    CrisisLine(
        "NHS 111",
        "111, option 2",
        "Call 111 and choose option 2 for urgent mental health help in England, day or night.",
        "tel:111",
    ),
    CrisisLine(
        "Samaritans",
        "116 123",
        "Call Samaritans free on 116 123, any time, to talk about anything.",
        "tel:116123",
    ),
    CrisisLine(
        "Shout",
        "85258",
        "Text SHOUT to 85258 for free, confidential text support, any time.",
        "sms:85258&body=SHOUT",
    ),
    CrisisLine(
        "Childline",
        "0800 1111",
        "Under 19? Call Childline free on 0800 1111.",
        "tel:08001111",
        audience="under-19s",
        max_age=18,
    ),
)


def lines_for(
    age_range: tuple[int, int] | None = None, nation: str | None = None
) -> tuple[CrisisLine, ...]:
    """Crisis lines for this person: every line that fits their age (or age band), with the
    young people's lines from seed_data/urgent.yaml. ``nation`` is accepted so nation-specific
    lines can be chosen here too; with no age, every line."""
    from signpost.urgency import get_urgency

    del nation  # every line here is UK-wide
    everyone = (*CRISIS_LINES, *get_urgency().lines)
    if age_range is None:
        return everyone
    return tuple(line for line in everyone if line.fits(age_range))
