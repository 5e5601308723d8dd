"""Anonymous demand: how many searches, per postcode district, need, age band and ISO week,
found a recommended NICE option that nobody offers in person near them.

Only those four values and a count are written: no query, no full postcode, no address, no
time finer than the week, nothing that joins to a person. Counts under the publication
minimum are never shown, and counters older than the retention period are deleted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from signpost.database import write_transaction
from signpost.insights.method import Method
from signpost.models import DemandCounter


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def record_search(
    session: Session,
    *,
    district: str | None,
    need: str,
    age_band: str | None,
    gaps: bool,
    today: date,
) -> bool:
    """Count one search that found a gap. Returns whether anything was written."""
    if not current_app.config.get("INSIGHTS_DEMAND_COUNTERS", True):
        return False
    if not gaps or not district or not age_band or len(district) > 4:
        return False
    values = {
        "district": district.upper(),
        "need": need,
        "age_band": age_band,
        "week": iso_week(today),
        "count": 1,
    }
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(DemandCounter).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=["district", "need", "age_band", "week"],
        set_={"count": DemandCounter.count + 1},
    )
    # End the search's read transaction so the counter's write begins afresh (on SQLite a read
    # transaction cannot wait to become a writer). A counter must never cost anyone their
    # search: if it cannot be written, the search goes on uncounted.
    session.commit()
    try:
        with write_transaction():
            session.execute(statement)
            session.commit()
    except SQLAlchemyError as exc:
        session.rollback()
        current_app.logger.warning("demand counter not written: %s", type(exc).__name__)
        return False
    return True


@dataclass(frozen=True)
class Published:
    district: str
    need: str
    age_band: str
    week: str
    count: int


def published(
    session: Session,
    method: Method,
    *,
    districts: set[str] | None = None,
    need: str | None = None,
) -> list[Published]:
    """Counters at or above the publication minimum, newest week first."""
    query = select(DemandCounter).where(DemandCounter.count >= method.demand_publish_min)
    if need is not None:
        query = query.where(DemandCounter.need == need)
    rows = session.execute(
        query.order_by(DemandCounter.week.desc(), DemandCounter.district, DemandCounter.need)
    ).scalars()
    return [
        Published(row.district, row.need, row.age_band, row.week, row.count)
        for row in rows
        if districts is None or row.district in districts
    ]


def purge(session: Session, method: Method, today: date) -> int:
    """Delete counters from weeks older than the retention period."""
    oldest = iso_week(today - timedelta(weeks=method.demand_retention_weeks))
    result = session.execute(delete(DemandCounter).where(DemandCounter.week < oldest))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
