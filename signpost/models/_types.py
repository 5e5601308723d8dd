"""Column helpers shared by the model modules."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime


def new_id() -> str:
    # String UUIDs: Open Referral UK identifies every record by a UUID string.
    return str(uuid.uuid4())


def utcnow() -> datetime:
    return datetime.now(UTC)


def in_list(column: str, values: tuple[str, ...] | list[str]) -> str:
    """SQL for a CHECK constraint keeping a column inside a vocabulary."""
    quoted = ", ".join("'" + v.replace("'", "''") + "'" for v in values)
    return f"{column} IN ({quoted})"
