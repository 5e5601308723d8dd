"""Freshness in the app: reminders before listings go stale (``flask send-reminders``), and
the public "Report a problem with this listing" form that reaches the organisation and the
moderators."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask, render_template_string
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from signpost.mail import record_messages
from signpost.models import ProblemReport
from tests.integration import test_provider_fixtures as fx
from tests.integration.test_provider_fixtures import World, make_service, post, sign_in_as

world = fx.world


@pytest.fixture
def due(app: Flask, db_session: Session, world: World) -> World:
    """world.service is fresh; the other organisation has one listing about to be flagged
    and one about to leave search results."""
    flag, hide = app.config["STALE_FLAG_DAYS"], app.config["STALE_HIDE_DAYS"]
    world.other_service.last_verified_on = date.today() - timedelta(days=flag - 10)
    make_service(
        db_session,
        world.other_org,
        "Nearly hidden group",
        last_verified_on=date.today() - timedelta(days=hide - 2),
    )
    db_session.commit()
    return world


class FakeSMTP:
    sent: list[Any] = []

    def __init__(self, host: str, port: int, timeout: float) -> None:
        self.host = host

    def __enter__(self) -> FakeSMTP:
        return self

    def __exit__(self, *_exc: object) -> None:
        return None

    def send_message(self, message: Any) -> None:
        FakeSMTP.sent.append(message)


def test_without_a_mail_server_the_command_lists_who_to_remind(
    runner: FlaskCliRunner, due: World
) -> None:
    result = runner.invoke(args=["send-reminders"])
    assert result.exit_code == 0, result.output
    assert "Not sending email (MAIL_SERVER is not set)" in result.output
    line = next(line for line in result.output.splitlines() if "Other Therapy Centre" in line)
    assert "other@test.example" in line
    assert "Other therapy service" in line and "Nearly hidden group" in line
    assert "Test Counselling Trust" not in result.output  # its listing is fresh


def test_with_a_mail_server_each_organisation_gets_one_email(
    app: Flask, runner: FlaskCliRunner, due: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "MAIL_SERVER", "smtp.test.example")
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://signpost.example")
    monkeypatch.setattr("signpost.mail.smtplib.SMTP", FakeSMTP)
    FakeSMTP.sent = []
    with record_messages(app) as outbox:
        result = runner.invoke(args=["send-reminders"])
    assert result.exit_code == 0, result.output
    [email] = [e for e in outbox if e.to == ("other@test.example",)]
    assert email.delivered
    assert email.subject == "Signpost: please check 2 listings for Other Therapy Centre"
    assert "Other therapy service: will be marked as out of date on" in email.body
    assert "Nearly hidden group: will stop appearing in search results on" in email.body
    assert f"https://signpost.example/provider/services/{due.other_service.id}" in email.body
    assert any(m["To"] == "other@test.example" for m in FakeSMTP.sent)
    assert "Reminded Other Therapy Centre" in result.output


def test_dry_run_sends_nothing(
    app: Flask, runner: FlaskCliRunner, due: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "MAIL_SERVER", "smtp.test.example")
    monkeypatch.setattr("signpost.mail.smtplib.SMTP", FakeSMTP)
    FakeSMTP.sent = []
    result = runner.invoke(args=["send-reminders", "--dry-run"])
    assert result.exit_code == 0
    assert "Not sending email (dry run)" in result.output
    assert FakeSMTP.sent == []


def test_a_confirmed_listing_drops_out_of_the_reminders(
    client: FlaskClient, runner: FlaskCliRunner, due: World
) -> None:
    sign_in_as(client, due.other_editor)
    post(client, f"/provider/services/{due.other_service.id}/verify")
    result = runner.invoke(args=["send-reminders"])
    line = next(line for line in result.output.splitlines() if "Other Therapy Centre" in line)
    assert "Other therapy service" not in line
    assert "Nearly hidden group" in line


def test_a_bad_date_is_a_usage_error(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["send-reminders", "--today", "yesterday"])
    assert result.exit_code == 2
    assert "YYYY-MM-DD" in result.output


def test_the_dashboard_shows_when_to_confirm(app: Flask, client: FlaskClient, due: World) -> None:
    sign_in_as(client, due.other_editor)
    html = client.get("/provider").get_data(as_text=True)
    flag = app.config["STALE_FLAG_DAYS"]
    confirm_by = date.today() - timedelta(days=flag - 10) + timedelta(days=flag + 1)
    assert f"Confirm by {confirm_by.day} {confirm_by:%B %Y}" in html
    assert "Shown as out of date" in html  # the nearly hidden one is flagged already


# -- "Report a problem with this listing" ------------------------------------------------------


def test_the_public_page_partial_links_to_the_form(app: Flask, world: World) -> None:
    with app.test_request_context():
        html = render_template_string(
            '{% include "partials/report_problem_link.html" %}', service=world.service
        )
    assert f'href="/services/{world.service.id}/report"' in html
    assert "Report a problem with this listing" in html


def test_report_a_problem(client: FlaskClient, db_session: Session, world: World) -> None:
    fx.limiter.reset()
    form = client.get(f"/services/{world.service.id}/report")
    html = form.get_data(as_text=True)
    assert form.status_code == 200
    assert "<h1>Report a problem with this listing</h1>" in html
    assert "Do not include your name or any personal or medical information" in html

    missing = post(client, f"/services/{world.service.id}/report", {"details": " "})
    errors = missing.get_data(as_text=True)
    assert "<title>Error: " in errors
    assert re.search(r'<a href="#kind">\s*Select what is wrong with the listing', errors)
    assert re.search(r'<a href="#details">\s*Describe the problem', errors)

    sent = post(
        client,
        f"/services/{world.service.id}/report",
        {"kind": "closed", "details": "They told me they closed in March."},
    )
    assert "Thank you for your report" in sent.get_data(as_text=True)
    report = db_session.scalars(select(ProblemReport)).one()
    assert (report.service_id, report.kind, report.resolved) == (world.service.id, "closed", False)

    # It reaches the organisation...
    sign_in_as(client, world.editor)
    dashboard = client.get("/provider").get_data(as_text=True)
    assert "Problems reported by the public" in dashboard
    page = client.get(f"/provider/services/{world.service.id}").get_data(as_text=True)
    assert "They told me they closed in March." in page
    # ...and the moderators.
    sign_in_as(client, world.moderator)
    assert "They told me they closed in March." in client.get("/admin/reports").get_data(
        as_text=True
    )
    # The organisation closes it once dealt with.
    sign_in_as(client, world.editor)
    post(client, f"/provider/reports/{report.id}/resolve")
    db_session.refresh(report)
    assert report.resolved


def test_reports_are_rate_limited(app: Flask, world: World) -> None:
    fx.limiter.reset()
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "192.0.2.77"
    statuses = [
        post(
            client, f"/services/{world.service.id}/report", {"kind": "other", "details": "x"}
        ).status_code
        for _ in range(6)
    ]
    fx.limiter.reset()
    assert statuses == [200] * 5 + [429]
