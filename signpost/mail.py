"""Sending email: by SMTP when ``MAIL_SERVER`` is set, otherwise written to the log.

Without a mail server the full message (with any sign-in link) is logged only in debug or
testing; in production it logs that the email could not be sent, never the link itself.
Every message, sent or not, is announced on the ``email_dispatched`` signal so tests and
tools can see it (the pattern Flask-Mail uses).
"""

from __future__ import annotations

import smtplib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage

from blinker import Namespace
from flask import Flask, current_app

_signals = Namespace()
email_dispatched = _signals.signal("email-dispatched")


class MailError(RuntimeError):
    """The mail server refused or could not be reached."""


@dataclass(frozen=True)
class Email:
    to: tuple[str, ...]
    subject: str
    body: str
    delivered: bool  # False when there is no MAIL_SERVER and it was only logged


def mail_configured(app: Flask | None = None) -> bool:
    return bool((app or current_app).config.get("MAIL_SERVER"))


def send_email(to: Sequence[str], subject: str, body: str) -> Email:
    """Send one plain-text email; raise MailError if the SMTP server fails."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    config = app.config
    recipients = tuple(dict.fromkeys(addr.strip() for addr in to if addr.strip()))
    if not recipients:
        raise ValueError("an email needs at least one recipient")

    delivered = False
    if mail_configured(app):
        message = EmailMessage()
        message["From"] = config["MAIL_FROM"]
        message["To"] = ", ".join(recipients)
        message["Subject"] = subject
        message.set_content(body)
        try:
            with smtplib.SMTP(config["MAIL_SERVER"], int(config["MAIL_PORT"]), timeout=15) as smtp:
                if config.get("MAIL_USE_TLS"):
                    smtp.starttls()
                if config.get("MAIL_USERNAME"):
                    smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as error:
            app.logger.error("email %r not sent: %s", subject, type(error).__name__)
            raise MailError(str(error)) from error
        delivered = True
    elif app.debug or app.testing:
        app.logger.info(
            "MAIL_SERVER is not set, so this email was not sent.\nTo: %s\nSubject: %s\n\n%s",
            ", ".join(recipients),
            subject,
            body,
        )
    else:
        app.logger.warning("MAIL_SERVER is not set: email %r was not sent", subject)

    email = Email(recipients, subject, body, delivered)
    email_dispatched.send(app, email=email)
    return email


@contextmanager
def record_messages(app: Flask) -> Iterator[list[Email]]:
    """Collect every email the app dispatches inside the block (for tests)."""
    outbox: list[Email] = []

    def receive(_sender: Flask, email: Email) -> None:
        outbox.append(email)

    with email_dispatched.connected_to(receive, sender=app):
        yield outbox
