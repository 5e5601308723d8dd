"""Reminders before listings go stale: ``flask --app wsgi send-reminders``.

A listing is flagged on public pages once it has not been confirmed for ``STALE_FLAG_DAYS``
and leaves search results after ``STALE_HIDE_DAYS``. Organisations get an email (or, without
a mail server, the command lists them) when any of their public listings will cross either
line within 30 days, so one "still accurate" click keeps it current. Run it daily or weekly
from cron; it changes nothing in the database, so running it twice only repeats the emails.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select
from sqlalchemy.orm import Session

from signpost.directory.loading import public_service_filter
from signpost.freshness import Freshness, next_change, stale_soon
from signpost.mail import MailError, mail_configured, send_email
from signpost.models import Membership, Organization, Service, User

REMIND_WITHIN_DAYS = 30


@dataclass(frozen=True)
class DueListing:
    service_id: str
    name: str
    changes_on: date
    becomes: Freshness


@dataclass(frozen=True)
class Reminder:
    organization_id: str
    organization_name: str
    recipients: tuple[str, ...]
    listings: tuple[DueListing, ...]


def due_reminders(
    session: Session,
    today: date,
    flag_days: int,
    hide_days: int,
    within_days: int = REMIND_WITHIN_DAYS,
) -> list[Reminder]:
    """Organisations with public listings that will be flagged or hidden within
    ``within_days``, with who to tell: active members, or the organisation's own email."""
    # Only listings old enough to reach the first line soon, and not already hidden.
    oldest = today - timedelta(days=hide_days)
    newest = today - timedelta(days=max(flag_days - within_days, 0))
    rows = session.execute(
        select(Service.id, Service.name, Service.last_verified_on, Organization.id)
        .join(Organization, Organization.id == Service.organization_id)
        .where(
            public_service_filter(),
            Service.last_verified_on.is_not(None),
            Service.last_verified_on >= oldest,
            Service.last_verified_on <= newest,
        )
        .order_by(Organization.name, Service.name)
    ).all()
    due: dict[str, list[DueListing]] = defaultdict(list)
    for service_id, name, verified, org_id in rows:
        if not stale_soon(verified, today, flag_days, hide_days, within_days):
            continue
        change = next_change(verified, today, flag_days, hide_days)
        assert change is not None
        due[org_id].append(DueListing(service_id, name, change[0], change[1]))
    if not due:
        return []

    organizations = {
        org.id: org
        for org in session.scalars(select(Organization).where(Organization.id.in_(list(due))))
    }
    members: dict[str, list[str]] = defaultdict(list)
    for org_id, email in session.execute(
        select(Membership.organization_id, User.email)
        .join(User, User.id == Membership.user_id)
        .where(Membership.organization_id.in_(list(due)), User.active.is_(True))
        .order_by(User.email)
    ):
        members[org_id].append(email)
    reminders = []
    for org_id, listings in due.items():
        org = organizations[org_id]
        recipients = tuple(members.get(org_id) or ([org.email] if org.email else []))
        reminders.append(Reminder(org_id, org.name, recipients, tuple(listings)))
    reminders.sort(key=lambda r: r.organization_name)
    return reminders


def _long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def reminder_email(reminder: Reminder, base_url: str) -> tuple[str, str]:
    """(subject, body) of the reminder to one organisation."""
    lines = []
    for item in reminder.listings:
        what = (
            "will be marked as out of date"
            if item.becomes == "flagged"
            else "will stop appearing in search results"
        )
        lines.append(
            f"- {item.name}: {what} on {_long_date(item.changes_on)}.\n"
            f"  Check it: {base_url.rstrip('/')}/provider/services/{item.service_id}"
        )
    count = len(reminder.listings)
    subject = (
        f"Signpost: please check {count} listing{'s' if count != 1 else ''} "
        f"for {reminder.organization_name}"
    )
    body = (
        f"Some of {reminder.organization_name}'s listings on Signpost have not been checked "
        "for a while.\n\n"
        + "\n".join(lines)
        + '\n\nOpen each one and press "Yes, this listing is still accurate", or change what '
        "is out of date. It takes a minute, and keeps people from being sent to a service "
        "that has changed.\n"
    )
    return subject, body


@click.command("send-reminders")
@click.option(
    "--dry-run", is_flag=True, help="List who would be reminded, without sending anything."
)
@click.option(
    "--within-days",
    type=click.IntRange(0, 365),
    default=REMIND_WITHIN_DAYS,
    show_default=True,
    help="Remind about listings that go stale within this many days.",
)
@click.option(
    "--today",
    "today_text",
    metavar="YYYY-MM-DD",
    help="Pretend today is this date (for checking what would be sent).",
)
@with_appcontext
def send_reminders_command(dry_run: bool, within_days: int, today_text: str | None) -> None:
    """Email organisations whose listings will go stale within 30 days (or list them)."""
    from signpost.extensions import db

    config = current_app.config
    try:
        today = date.fromisoformat(today_text) if today_text else date.today()
    except ValueError as error:
        raise click.BadParameter("use the form YYYY-MM-DD", param_hint="--today") from error
    reminders = due_reminders(
        db.session,
        today,
        int(config["STALE_FLAG_DAYS"]),
        int(config["STALE_HIDE_DAYS"]),
        within_days,
    )
    if not reminders:
        click.echo(f"No listings go stale in the next {within_days} days.")
        return
    send = mail_configured() and not dry_run
    if not send:
        reason = "dry run" if dry_run else "MAIL_SERVER is not set"
        click.echo(f"Not sending email ({reason}). These organisations would be reminded:")
    base_url = config.get("PUBLIC_BASE_URL") or "http://localhost:5000"
    failures = 0
    for reminder in reminders:
        names = ", ".join(item.name for item in reminder.listings)
        to = ", ".join(reminder.recipients) or "nobody: no active members or email"
        if not send:
            click.echo(f"- {reminder.organization_name} ({to}): {names}")
            continue
        if not reminder.recipients:
            click.echo(f"Skipped {reminder.organization_name}: no one to email.", err=True)
            failures += 1
            continue
        subject, body = reminder_email(reminder, base_url)
        try:
            send_email(reminder.recipients, subject, body)
        except MailError as error:
            click.echo(f"Could not email {reminder.organization_name}: {error}", err=True)
            failures += 1
        else:
            click.echo(f"Reminded {reminder.organization_name} ({to}): {names}")
    if failures:
        click.echo(f"{failures} reminder(s) could not be sent.", err=True)
        sys.exit(1)
