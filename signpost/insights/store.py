"""Keep the computed figures: saved in the database, cached per worker, brought up to date
when the directory moves (only the districts a change can reach) or the day turns."""

from __future__ import annotations

import gzip
import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from flask import Flask, current_app
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from signpost.directory import versioning
from signpost.extensions import db
from signpost.insights import demand
from signpost.insights.compute import (
    Calculator,
    Progress,
    Segment,
    Snapshot,
    compute_all,
    needs_full,
    segments,
    update,
)
from signpost.insights.method import Method, load_method
from signpost.insights.places import Area, Place, load_places
from signpost.models import InsightSnapshot
from signpost.nice import get_nice

_KEY = "signpost.insights"


@dataclass
class State:
    method: Method
    places: list[Place]
    areas: dict[str, Area]
    segments: dict[str, Segment]
    snapshot: Snapshot | None = None
    snapshot_id: int | None = None
    busy: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)


def state(app: Flask | None = None) -> State:
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    found = app.extensions.get(_KEY)
    if found is None:
        method = load_method()
        places, areas = load_places(app.config["POSTCODE_INDEX"], method)
        only = set(app.config.get("INSIGHTS_AREAS") or ())
        if only:
            places = [p for p in places if p.area in only]
            areas = [a for a in areas if a.code in only]
        found = State(
            method,
            places,
            {a.code: a for a in areas},
            {s.key: s for s in segments(get_nice(), method)},
        )
        app.extensions[_KEY] = found
    return found


def save(session: Session, snapshot: Snapshot) -> int:
    payload = gzip.compress(json.dumps(snapshot.to_json()).encode(), compresslevel=5)
    row = InsightSnapshot(
        computed_at=snapshot.computed_at,
        data_date=snapshot.data_date,
        directory_version=snapshot.directory_version,
        method_version=snapshot.method_version,
        services=snapshot.services,
        seconds=snapshot.seconds,
        payload=payload,
    )
    session.add(row)
    session.flush()
    session.execute(delete(InsightSnapshot).where(InsightSnapshot.id != row.id))
    return row.id


def _latest_id(session: Session) -> int | None:
    return session.execute(select(func.max(InsightSnapshot.id))).scalar()


def load(session: Session, known: dict[str, Segment]) -> tuple[int, Snapshot] | None:
    row = session.execute(
        select(InsightSnapshot).order_by(InsightSnapshot.id.desc()).limit(1)
    ).scalar_one_or_none()
    if row is None:
        return None
    return row.id, Snapshot.from_json(json.loads(gzip.decompress(row.payload)), known)


def calculator(session: Session, today: date | None = None) -> Calculator:
    from signpost.directory.search_index import get_index

    st = state()
    return Calculator(
        get_index(session),
        st.method,
        today or date.today(),
        current_app.config["STALE_HIDE_DAYS"],
    )


def refresh(
    session: Session,
    *,
    full: bool = False,
    progress: Progress | None = None,
    today: date | None = None,
) -> tuple[Snapshot, int]:
    """Bring the saved figures up to date and save them. Returns the figures and how many
    districts were recomputed. The caller commits."""
    from signpost.directory.search_index import get_index

    st = state()
    today = today or date.today()
    version = versioning.current(session)
    index = get_index(session)
    now = datetime.now(UTC)
    stale_days = current_app.config["STALE_HIDE_DAYS"]
    loaded = None if full else load(session, st.segments)
    if loaded is None or needs_full(loaded[1], st.method, st.segments, today, st.places):
        snapshot = compute_all(
            index,
            get_nice(),
            st.places,
            st.method,
            today=today,
            stale_after_days=stale_days,
            now=now,
            directory_version=version,
            progress=progress,
        )
        count = len(st.places)
    else:
        snapshot, count = update(
            loaded[1],
            index,
            st.method,
            now=now,
            stale_after_days=stale_days,
            directory_version=version,
            progress=progress,
        )
    demand.purge(session, st.method, today)
    st.snapshot_id = save(session, snapshot)
    st.snapshot = snapshot
    return snapshot, count


def _stale(session: Session, st: State, snapshot: Snapshot) -> bool:
    return snapshot.directory_version != versioning.current(session) or needs_full(
        snapshot, st.method, st.segments, date.today(), st.places
    )


def request_context(app: Flask) -> Any:
    """A request context for work outside a request (the directory loader builds URLs): on
    the public address, the only host production answers for."""
    base = app.config.get("PUBLIC_BASE_URL")
    return app.test_request_context(base_url=base) if base else app.test_request_context()


def _refresh_in_background(app: Flask) -> None:
    st = state(app)

    def run() -> None:
        try:
            with request_context(app):
                refresh(db.session)
                db.session.commit()
                db.session.remove()
        except Exception:
            app.logger.exception("insights refresh failed; keeping the previous figures")
        finally:
            st.busy = False

    st.busy = True
    threading.Thread(target=run, name="insights-refresh", daemon=True).start()


def current(session: Session) -> Snapshot | None:
    """The newest figures, brought up to date if the directory moved. With background
    refresh on, the previous figures are served meanwhile (None before the first ever)."""
    st = state()
    latest = _latest_id(session)
    if latest is not None and latest != st.snapshot_id:
        loaded = load(session, st.segments)
        if loaded is not None:
            st.snapshot_id, st.snapshot = loaded
    snapshot = st.snapshot
    if snapshot is not None and not _stale(session, st, snapshot):
        return snapshot
    if current_app.config.get("INSIGHTS_BACKGROUND"):
        with st.lock:
            if not st.busy:
                _refresh_in_background(current_app._get_current_object())  # type: ignore[attr-defined]
        return snapshot
    snapshot, _ = refresh(session)
    session.commit()
    return snapshot
