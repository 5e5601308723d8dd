"""The NICE change check: when was each guideline last checked against NICE, and is it too old?

``flask --app wsgi nice-check --max-age-days 365`` lists every guideline in seed_data/nice.yaml
with the date it was last read (the oldest source behind it), how many of its options are
confirmed, and its currency note. Guidelines not checked within the age limit are flagged and
the command exits 1, so a scheduled run tells the clinical safety officer (the owner named in
docs/clinical-safety/hazard-log.yaml, H14) that a re-check on nice.org.uk is due.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import click

from signpost.nice import NiceKnowledge, get_nice


@dataclass(frozen=True)
class GuidelineCheck:
    id: str
    title: str
    url: str
    verified_on: dt.date  # the oldest check of any source behind its entries
    age_days: int
    stale: bool
    options_verified: int
    options_under_review: int
    currency_note: str | None


def guideline_checks(
    nice: NiceKnowledge, today: dt.date, max_age_days: int
) -> list[GuidelineCheck]:
    """One line per guideline used by an entry, oldest check first."""
    out = []
    for gid, guideline in nice.guidelines.items():
        entries = [e for e in nice.entries() if e.guideline == gid]
        if not entries:
            continue
        oldest = min(e.verified_on for e in entries)
        options = [o for e in entries for o in e.options]
        age = (today - oldest).days
        out.append(
            GuidelineCheck(
                id=gid,
                title=guideline.title,
                url=guideline.url,
                verified_on=oldest,
                age_days=age,
                stale=age > max_age_days,
                options_verified=sum(o.verified for o in options),
                options_under_review=sum(not o.verified for o in options),
                currency_note=guideline.currency_note,
            )
        )
    out.sort(key=lambda c: (c.verified_on, c.id))
    return out


@click.command("nice-check")
@click.option(
    "--max-age-days",
    type=click.IntRange(1, 3650),
    default=365,
    show_default=True,
    help="Flag guidelines not checked against NICE within this many days.",
)
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="The date to measure from (default: today).",
)
def nice_check_command(max_age_days: int, today: dt.datetime | None) -> None:
    """List every NICE guideline with the date it was last checked; flag old ones."""
    day = today.date() if today else dt.date.today()
    nice = get_nice()
    checks = guideline_checks(nice, day, max_age_days)
    for check in checks:
        flag = "RE-CHECK DUE" if check.stale else "ok"
        click.echo(
            f"{check.id:<6} last checked {check.verified_on.isoformat()} "
            f"({check.age_days} days)  {flag:<12} options confirmed "
            f"{check.options_verified}, still being checked {check.options_under_review}  "
            f"{check.url}"
        )
        if check.currency_note:
            click.echo(f"       note: {check.currency_note}")
    for item in nice.not_yet_added:
        click.echo(f"{item.guideline:<6} not yet added for {item.need}: {item.url}")
    stale = [c.id for c in checks if c.stale]
    total = sum(c.options_verified + c.options_under_review for c in checks)
    under = sum(c.options_under_review for c in checks)
    click.echo(
        f"{len(checks)} guidelines, {total} options ({under} still being checked); "
        f"{len(stale)} not checked within {max_age_days} days"
        + (f": {', '.join(stale)}" if stale else ".")
    )
    if stale:
        raise SystemExit(1)
