"""A directory version bumped in the same transaction as any change to listings.

Each worker keeps its search index in memory and compares this one number per request,
so a change made anywhere (another worker, an import, the admin) is seen at once.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from signpost.models import DirectoryVersion
from signpost.models.directory import (
    Location,
    Organization,
    Service,
    ServiceArea,
    ServiceAtLocation,
    ServiceModality,
    ServiceNeed,
    ServiceTag,
    Wait,
)

DIRECTORY_CLASSES = (
    Organization,
    Service,
    ServiceModality,
    ServiceNeed,
    ServiceTag,
    Location,
    ServiceAtLocation,
    ServiceArea,
    Wait,
)


def bump(session: Session) -> None:
    """Mark the directory changed (call after bulk writes that bypass the ORM)."""
    result = session.execute(
        update(DirectoryVersion)
        .where(DirectoryVersion.id == 1)
        .values(value=DirectoryVersion.value + 1)
    )
    if result.rowcount == 0:  # type: ignore[attr-defined]
        session.add(DirectoryVersion(id=1, value=1))


def current(session: Session) -> int:
    value = session.execute(select(DirectoryVersion.value).where(DirectoryVersion.id == 1)).scalar()
    return int(value or 0)


@event.listens_for(Session, "before_flush")
def _bump_on_directory_change(session: Session, _context: Any, _instances: Any) -> None:
    changed = (*session.new, *session.dirty, *session.deleted)
    if any(isinstance(obj, DIRECTORY_CLASSES) for obj in changed):
        bump(session)
