"""Every published service as full ORUK 3.0 records, in id order, in batches.

The output is a JSON list with one service per line, so a 100,000-service export streams
in constant memory and :class:`signpost.oruk.feed.FileSource` streams it back in.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from signpost.directory.loading import public_service_filter
from signpost.models import Organization, Service
from signpost.oruk import taxonomy as tx
from signpost.oruk.serialise import full_service_options, service_full

BATCH = 500


def public_service_ids(session: Session) -> list[str]:
    return list(
        session.execute(
            select(Service.id)
            .join(Organization, Organization.id == Service.organization_id)
            .where(public_service_filter())
            .order_by(Service.id)
        ).scalars()
    )


def iter_services(session: Session, ids: list[str] | None = None) -> Iterator[dict[str, Any]]:
    """Full ORUK records of the published services (or of ``ids``), in id order."""
    cat = tx.get_catalogue()
    wanted = public_service_ids(session) if ids is None else sorted(ids)
    for start in range(0, len(wanted), BATCH):
        chunk = wanted[start : start + BATCH]
        services = (
            session.execute(
                select(Service).where(Service.id.in_(chunk)).options(*full_service_options())
            )
            .scalars()
            .all()
        )
        for service in sorted(services, key=lambda s: s.id):
            yield service_full(service, cat)
        session.expunge_all()  # keep memory flat on big exports


def write_json(
    records: Iterator[dict[str, Any]],
    out: IO[str],
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write ``records`` as a JSON list, one record per line; return how many."""
    count = 0
    out.write("[")
    for record in records:
        out.write(",\n" if count else "\n")
        out.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")))
        count += 1
        if progress is not None:
            progress(1)
    out.write("\n]\n" if count else "]\n")
    return count
