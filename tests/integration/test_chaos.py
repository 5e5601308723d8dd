"""Chaos: the database, then Redis, goes away under load, and comes back.

Threads send requests (each thread a bounded number, the whole run bounded in time) to an
app on its own database while the test takes a dependency away and brings it back:

* Database: new connections are refused at the driver, and the open ones die: on
  PostgreSQL the server ends exactly this app's sessions (``pg_terminate_backend``; the
  shared server keeps running for everyone else), on SQLite the pool is dropped and every
  statement on a connection still checked out fails as it would on a dead server. People
  get the friendly 503 with the crisis lines, signed in or not; the API gets a JSON 503
  with ``Retry-After``; once the database is back the same app serves again without a
  restart; every save that was accepted (a redirect) is in the database afterwards.
* Redis: a throwaway ``redis-server`` holds the rate-limit counters and is killed mid-run.
  Rate limiting fails open (a warning is logged, counting moves to memory), the API and
  staff sign-in keep working, and ``/healthz`` says the rate-limit store is unavailable
  without failing the whole service. Where ``redis-server`` is not installed the store is
  an address nobody listens on, which is what a stopped Redis looks like to the client.
"""

from __future__ import annotations

import logging
import shutil
import socket
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select
from werkzeug.test import TestResponse

from signpost.auth import session_stamp
from signpost.extensions import db
from signpost.models import Revision, Service
from tests.conftest import csrf_token_from
from tests.integration.live_apps import (
    form_fields,
    has_crisis_lines,
    own_app,
    signed_in_client,
    terminate_backends,
)
from tests.integration.test_provider_fixtures import (
    make_organization,
    make_service,
    make_user,
    service_form_data,
)

SEARCH = "/search?location=LS1+1BA&need=depression&age=30"
THREADS_PER_KIND = 2
MAX_REQUESTS_PER_PHASE = 60
RUN_SECONDS = 120
PASSWORD = "correct horse battery staple"


@dataclass
class Outcome:
    kind: str
    thread: int
    phase_at_start: int  # one of the phases below
    phase_at_end: int
    status: int
    is_html: bool
    crisis_lines: bool
    retry_after: str | None
    error_code: str | None
    saved_name: str | None = None


# Odd phases are the moments the outage is being set up or lifted: a request that overlaps
# one may see either side, so only requests wholly inside an even phase are judged.
BEFORE, GOING_DOWN, DOWN, COMING_BACK, AFTER = range(5)


class Phases:
    def __init__(self) -> None:
        self.value = 0
        self.lock = threading.Lock()
        self.outcomes: list[Outcome] = []
        self.stop = threading.Event()

    def record(self, outcome: Outcome) -> None:
        with self.lock:
            self.outcomes.append(outcome)

    def count(self, phase: int, kind: str | None = None) -> int:
        with self.lock:
            return sum(
                1
                for o in self.outcomes
                if o.phase_at_start == o.phase_at_end == phase and kind in (None, o.kind)
            )


def _outcome(kind: str, thread: int, start: int, end: int, response: TestResponse) -> Outcome:
    html = response.mimetype == "text/html"
    body: Any = None if html else response.get_json(silent=True)
    return Outcome(
        kind=kind,
        thread=thread,
        phase_at_start=start,
        phase_at_end=end,
        status=response.status_code,
        is_html=html,
        crisis_lines=html and has_crisis_lines(response.get_data(as_text=True)),
        retry_after=response.headers.get("Retry-After"),
        error_code=(body or {}).get("error", {}).get("code") if isinstance(body, dict) else None,
    )


def _worker(
    phases: Phases, kind: str, thread: int, step: Callable[[int, int], Outcome | None]
) -> Callable[[], None]:
    def run() -> None:
        # A budget per phase, not per run: quick 503s during the outage must not use up the
        # requests the recovery phase needs.
        deadline = time.monotonic() + RUN_SECONDS
        sent: Counter[int] = Counter()
        i = 0
        while not phases.stop.is_set() and time.monotonic() < deadline:
            phase = phases.value
            if sent[phase] >= MAX_REQUESTS_PER_PHASE:
                time.sleep(0.05)
                continue
            sent[phase] += 1
            outcome = step(i, phase)
            i += 1
            if outcome is not None:
                phases.record(outcome)
            time.sleep(0.005)

    return run


def _wait_until(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


# -- the database goes away -------------------------------------------------------------------


@contextmanager
def database_outage(app: Flask) -> Iterator[None]:
    """Until the block ends the database is gone, for every connection old and new."""
    with app.app_context():
        engine = db.engine
    dbapi_error = engine.dialect.loaded_dbapi.OperationalError
    down = threading.Event()

    def dead_server(*_args: object, **_kwargs: object) -> None:
        if down.is_set():
            raise dbapi_error("server closed the connection unexpectedly (chaos test)")

    def refuse(*_args: object, **_kwargs: object) -> object:
        raise dbapi_error("connection refused (chaos test)")

    original_connect = engine.dialect.connect
    engine.dialect.connect = refuse  # type: ignore[method-assign]
    if app.config.get("APPLICATION_NAME"):
        # PostgreSQL: the server ends this app's sessions, pooled and mid-request alike.
        killed = terminate_backends(app)
        assert killed > 0, "the app had no connections to kill"
    else:
        # SQLite has no server to lose: drop the pool, and fail whatever is checked out.
        event.listen(engine, "before_cursor_execute", dead_server)
        down.set()
        engine.dispose()
    try:
        yield
    finally:
        engine.dialect.connect = original_connect  # type: ignore[method-assign]
        if down.is_set():
            down.clear()
            event.remove(engine, "before_cursor_execute", dead_server)


@pytest.fixture(scope="module")
def chaos_app(app: Flask, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    with own_app(tmp_path_factory.mktemp("chaos"), app.config["POSTCODE_INDEX"]) as own:
        yield own


def _writers(app: Flask, count: int) -> list[tuple[str, int, str]]:
    """Listings of organisations still in review, so a save changes the row at once."""
    made = []
    with app.app_context():
        session = db.session
        for n in range(count):
            owner = make_user(session, f"chaos-writer-{n}@test.example")
            org = make_organization(
                session, f"Chaos {n}", moderation="pending", members={owner: "owner"}
            )
            service = make_service(session, org, f"Chaos listing {n}")
            made.append((service.id, owner.id, session_stamp(owner)))
        session.commit()
        session.remove()
    return made


def test_database_outage_under_load(chaos_app: Flask) -> None:
    app = chaos_app
    phases = Phases()
    writers = _writers(app, THREADS_PER_KIND)
    with app.app_context():
        public_id = db.session.scalars(
            select(Service.id).where(Service.demo).order_by(Service.id).limit(1)
        ).one()
        db.session.remove()
    accepted: dict[int, list[str]] = {n: [] for n in range(len(writers))}

    def reader(kind: str, url: str, client: FlaskClient, thread: int) -> Callable[..., Outcome]:
        def step(_i: int, start: int) -> Outcome:
            response = client.get(url)
            return _outcome(kind, thread, start, phases.value, response)

        return step

    def writer(thread: int) -> Callable[..., Outcome]:
        service_id, user_id, stamp = writers[thread]
        client = signed_in_client(app, user_id, stamp)
        url = f"/provider/services/{service_id}/edit"
        with app.app_context():
            service = db.session.get(Service, service_id)
            assert service is not None
            form = service_form_data(service)
            db.session.remove()

        def step(i: int, start: int) -> Outcome:
            page = client.get(url)
            if page.status_code != 200:
                return _outcome("save", thread, start, phases.value, page)
            token, version = form_fields(page.get_data(as_text=True))
            name = f"Chaos save {thread}-{i}"
            data = {**form, "name": name, "version": version, "csrf_token": token}
            saved = client.post(url, data=data)
            outcome = _outcome("save", thread, start, phases.value, saved)
            if saved.status_code == 302:
                assert saved.headers["Location"].endswith(f"/provider/services/{service_id}")
                accepted[thread].append(name)
                outcome.saved_name = name
            return outcome

        return step

    service_page = f"/services/{public_id}"
    steps: list[tuple[str, int, Callable[..., Outcome | None]]] = []
    for t in range(THREADS_PER_KIND):
        staff = signed_in_client(app, writers[t][1], writers[t][2])
        steps += [
            ("search page", t, reader("search page", SEARCH, app.test_client(), t)),
            ("service page", t, reader("service page", service_page, app.test_client(), t)),
            ("api", t, reader("api", "/api/v1/services?per_page=5", app.test_client(), t)),
            ("signed-in page", t, reader("signed-in page", "/provider", staff, t)),
            ("save", t, writer(t)),
        ]
    threads = [threading.Thread(target=_worker(phases, k, t, s)) for k, t, s in steps]
    for thread in threads:
        thread.start()
    try:
        assert _wait_until(lambda: phases.count(BEFORE, "save") >= 6, 60), "no saves before"
        kinds = ("search page", "service page", "api", "signed-in page", "save")
        phases.value = GOING_DOWN
        with database_outage(app):
            phases.value = DOWN
            _wait_until(lambda: all(phases.count(DOWN, k) >= 3 for k in kinds), 60)
            phases.value = COMING_BACK
        phases.value = AFTER
        _wait_until(
            lambda: (
                all(phases.count(AFTER, k) >= 3 for k in kinds) and phases.count(AFTER, "save") >= 6
            ),
            60,
        )
    finally:
        phases.stop.set()
        for thread in threads:
            thread.join(timeout=RUN_SECONDS)

    outcomes = phases.outcomes
    by_phase = Counter((o.phase_at_start, o.phase_at_end, o.status) for o in outcomes)
    print(f"\ndatabase chaos: {len(outcomes)} responses {dict(by_phase)}")
    assert not [o for o in outcomes if o.status >= 500 and o.status != 503], by_phase

    during = [o for o in outcomes if o.phase_at_start == o.phase_at_end == DOWN]
    for kind in kinds:
        assert len([o for o in during if o.kind == kind]) >= 3, f"too few {kind} in the outage"
    for o in during:
        assert o.status == 503, o
        assert (o.retry_after or "").isdigit(), o
        if o.kind == "api":
            assert not o.is_html and o.error_code == "database_unavailable", o
        else:
            assert o.is_html and o.crisis_lines, o

    # Before and after: pages (the signed-in one too, not a redirect to sign in) are 200,
    # and every save is accepted with a redirect to the listing.
    healthy = [o for o in outcomes if o.phase_at_end == BEFORE or o.phase_at_start == AFTER]
    for o in healthy:
        assert o.status == (302 if o.kind == "save" else 200), o
    for kind in kinds:
        assert [o for o in outcomes if o.phase_at_start == AFTER and o.kind == kind], kind
    assert all(o.status in (200, 302, 503) for o in outcomes), Counter(o.status for o in outcomes)

    # Zero accepted writes lost: every redirect's name is in the history, and each
    # listing shows the last name its writer saw accepted.
    with app.app_context():
        recorded = {
            (r.after or {}).get("name")
            for r in db.session.scalars(select(Revision).where(Revision.action == "update"))
        }
        lost = [name for names in accepted.values() for name in names if name not in recorded]
        for thread, names in accepted.items():
            assert names, f"writer {thread} never saved"
            service = db.session.get(Service, writers[thread][0])
            assert service is not None and service.name == names[-1]
        db.session.remove()
    print(
        f"database chaos: {sum(len(n) for n in accepted.values())} saves accepted, "
        f"{len(lost)} lost, {len(during)} responses inside the outage"
    )
    assert lost == []


# -- Redis goes away -------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RedisServer:
    """A throwaway redis-server on a free local port, or none where it is not installed."""

    def __init__(self) -> None:
        self.binary = shutil.which("redis-server")
        self.port = _free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        if self.binary is None:
            return
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        assert _wait_until(self._listening, 10), "redis-server did not start"

    def _listening(self) -> bool:
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", self.port)) == 0

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None


class Collected(logging.Handler):
    """Records of one logger. Not pytest's caplog: the migrations' logging set-up replaces
    the root handlers it listens on."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def test_redis_outage_under_load(app: Flask, tmp_path: Path) -> None:
    redis = RedisServer()
    redis.start()
    try:
        with own_app(
            tmp_path,
            app.config["POSTCODE_INDEX"],
            RATELIMIT_STORAGE_URI=redis.url,
            RATELIMIT_SIGN_IN="1000 per minute",
        ) as own:
            _redis_chaos(own, redis)
    finally:
        redis.kill()


def _sign_in(client: FlaskClient, email: str) -> TestResponse:
    token = csrf_token_from(client.get("/sign-in").get_data(as_text=True))
    return client.post("/sign-in", data={"email": email, "password": PASSWORD, "csrf_token": token})


def _redis_chaos(app: Flask, redis: RedisServer) -> None:
    with app.app_context():
        make_user(db.session, "chaos-staff@test.example", password=PASSWORD)
        db.session.commit()
        db.session.remove()
    phases = Phases()

    def api(_i: int, start: int) -> Outcome:
        response = app.test_client().get("/api/v1/services?per_page=5")
        return _outcome("api", 0, start, phases.value, response)

    def staff(_i: int, start: int) -> Outcome:
        response = _sign_in(app.test_client(), "chaos-staff@test.example")
        return _outcome("sign-in", 0, start, phases.value, response)

    workers = [("api", api), ("api", api), ("sign-in", staff)]
    threads = [threading.Thread(target=_worker(phases, k, 0, s)) for k, s in workers]
    warnings = Collected()
    logging.getLogger("flask-limiter").addHandler(warnings)
    health = app.test_client()
    if redis.process is not None:
        assert health.get("/healthz").get_json()["checks"]["rate_limit_store"] == "ok"
    for thread in threads:
        thread.start()
    try:
        assert _wait_until(lambda: phases.count(BEFORE, "sign-in") >= 2, 60)
        phases.value = GOING_DOWN
        redis.kill()
        phases.value = DOWN
        _wait_until(
            lambda: phases.count(DOWN, "api") >= 20 and phases.count(DOWN, "sign-in") >= 3, 60
        )
        during_health = health.get("/healthz")
        phases.value = COMING_BACK
        redis.start()
        phases.value = AFTER
        _wait_until(lambda: phases.count(AFTER, "api") >= 5, 60)
    finally:
        phases.stop.set()
        for thread in threads:
            thread.join(timeout=RUN_SECONDS)
        logging.getLogger("flask-limiter").removeHandler(warnings)

    outcomes = phases.outcomes
    statuses = Counter((o.kind, o.phase_at_start, o.status) for o in outcomes)
    print(f"\nredis chaos: {len(outcomes)} responses {dict(statuses)}")
    assert phases.count(DOWN, "api") >= 20 and phases.count(DOWN, "sign-in") >= 3, statuses
    for o in outcomes:
        assert o.status == (200 if o.kind == "api" else 302), o
    assert any("unreachable" in m for m in warnings.messages), "no warning logged"

    assert during_health.status_code == 200  # the rate-limit store is not required
    body = during_health.get_json()
    assert body["status"] == "degraded"
    assert body["checks"] == {
        "database": "ok",
        "postcode_index": "ok",
        "rate_limit_store": "unavailable",
    }
    if redis.process is not None:
        after = health.get("/healthz").get_json()
        assert after["status"] == "ok" and after["checks"]["rate_limit_store"] == "ok"


def test_redis_never_reachable_still_serves(app: Flask, tmp_path: Path) -> None:
    # A Redis URL that nothing answers from the first request on (a mistyped host, a
    # server that never came up): still no 500s.
    url = f"redis://127.0.0.1:{_free_port()}/0"
    with own_app(tmp_path, app.config["POSTCODE_INDEX"], RATELIMIT_STORAGE_URI=url) as own:
        with own.app_context():
            make_user(db.session, "lonely@test.example", password=PASSWORD)
            db.session.commit()
            db.session.remove()
        client = own.test_client()
        assert client.get("/api/v1/services?per_page=1").status_code == 200
        assert _sign_in(own.test_client(), "lonely@test.example").status_code == 302
        health = client.get("/healthz")
        assert health.status_code == 200
        assert health.get_json()["checks"]["rate_limit_store"] == "unavailable"
