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

    def to_json(self) -> dict[str, str]:
        return asdict(self)


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
    ),
)
