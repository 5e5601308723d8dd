"""Saved choice-gap figures and the anonymous demand counters.

A demand counter holds a postcode district, a need, an age band, an ISO week and a count:
nothing about who searched, from where exactly, or when within the week.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    Float,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from signpost.extensions import db
from signpost.models._types import utcnow


class InsightSnapshot(db.Model):
    """One computed set of figures (gzip JSON); only the newest is kept."""

    __tablename__ = "insight_snapshots"

    id: Mapped[int] = mapped_column(primary_key=True)
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    data_date: Mapped[date] = mapped_column(Date)
    directory_version: Mapped[int | None] = mapped_column(Integer)
    method_version: Mapped[str] = mapped_column(String(20))
    services: Mapped[int] = mapped_column(Integer)
    seconds: Mapped[float] = mapped_column(Float)
    payload: Mapped[bytes] = mapped_column(LargeBinary)


class DemandCounter(db.Model):
    __tablename__ = "demand_counters"
    __table_args__ = (
        UniqueConstraint("district", "need", "age_band", "week", name="uq_demand_counters_key"),
        CheckConstraint("count >= 0", name="count"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    district: Mapped[str] = mapped_column(String(4))
    need: Mapped[str] = mapped_column(String(40))
    age_band: Mapped[str] = mapped_column(String(8))
    week: Mapped[str] = mapped_column(String(8))  # ISO week, "2026-W48"
    count: Mapped[int] = mapped_column(Integer, default=0)
