"""Where a harvested listing came from, and what a new harvest of its source changes.

Each harvested service keeps its source's name, its id there, a digest of the record as
published, and when it was last seen and last changed there. A harvest then sorts records
into new, changed and unchanged (same digest: nothing is written), leaves alone a listing
its own organisation has edited since claiming it ("kept"), and withdraws listings the
source no longer publishes. New listings are classified for the curation queue.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from signpost.models import Revision, Service
from signpost.models.accounts import Membership
from signpost.oruk.classify import classify_service

if TYPE_CHECKING:
    from signpost.oruk.importer import ImportSummary, ParsedService
    from signpost.oruk.normalise import Normalised

WITHDRAWN_STATUS = "inactive"


def digest(record: object) -> str:
    text = json.dumps(record, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Provenance:
    """One source's harvest, begun at ``run_started`` (a resumed harvest keeps the time it
    first began). ``complete`` says this import reads the source to its end, so listings
    not seen since ``run_started`` are withdrawn when it finishes."""

    def __init__(self, name: str, run_started: datetime, *, complete: bool = True) -> None:
        self.name = name
        self.run_started = run_started
        self.complete = complete
        self.seen: set[str] = set()

    def saw(self, service_id: object) -> None:
        if isinstance(service_id, str):
            self.seen.add(service_id)

    def stamp(self, parsed: ParsedService, raw: object, normal: Normalised, now: datetime) -> None:
        service = parsed.service
        self.saw(service["id"])
        result = classify_service(
            service["name"],
            " ".join(filter(None, (service["description"], service["how_to_refer"]))),
            normal.foreign_terms,
            organization=(parsed.organization or {}).get("name") or "",
        )
        stated = isinstance(raw, Mapping) and bool(raw.get("last_modified"))
        service.update(
            source_name=self.name,
            source_record_id=normal.source_record_id,
            source_digest=digest(raw),
            source_last_seen=now,
            source_last_changed=service["updated_at"] if stated else now,
            import_class=result.kind,
            import_review="pending",
            import_evidence=json.dumps(result.as_json()),
        )
        if parsed.outcome is not None:
            parsed.outcome.classification = result.as_json()

    def sort(self, session: Session, pending: list[ParsedService], now: datetime) -> list[Any]:
        """Mark each record new, changed, unchanged or kept; return those to write."""
        ids = [p.service["id"] for p in pending]
        existing: dict[str, tuple[str | None, str | None, datetime | None]] = {}
        edited: set[str] = set()
        # Only an organisation with members can have claimed its listings: most harvested
        # organisations have none, and then the revision log need not be read at all.
        organizations = sorted({p.service["organization_id"] for p in pending})
        claimed = set(
            session.execute(
                select(Membership.organization_id)
                .where(Membership.organization_id.in_(organizations))
                .distinct()
            ).scalars()
        )
        claimed_ids = {p.service["id"] for p in pending
                       if p.service["organization_id"] in claimed}  # fmt: skip
        for start in range(0, len(ids), 900):
            chunk = ids[start : start + 900]
            rows = session.execute(
                select(
                    Service.id, Service.source_name, Service.source_digest,
                    Service.source_last_changed,
                ).where(Service.id.in_(chunk))
            )  # fmt: skip
            existing.update({row[0]: (row[1], row[2], row[3]) for row in rows})
            chunk = [sid for sid in chunk if sid in claimed_ids]
            if not chunk:
                continue
            # Edited by a member of the listing's own organisation: it was claimed, and
            # their word now outranks the source's.
            edited.update(
                session.execute(
                    select(Revision.entity_id)
                    .join(
                        Membership,
                        (Membership.user_id == Revision.user_id)
                        & (Membership.organization_id == Revision.organization_id),
                    )
                    .where(Revision.entity_type == "service", Revision.entity_id.in_(chunk))
                ).scalars()
            )
        to_write, touched = [], []
        for parsed in pending:
            outcome = parsed.outcome
            assert outcome is not None
            sid = parsed.service["id"]
            if sid not in existing:
                outcome.outcome = "new"
                to_write.append(parsed)
                continue
            source_name, old_digest, _changed_at = existing[sid]
            if source_name != self.name:
                outcome.outcome = "skipped"
                outcome.reasons.append("id: a listing not from this source has this id")
            elif sid in edited:
                outcome.outcome = "kept"
                outcome.reasons.append("edited by its own organisation; their edits stand")
                touched.append(sid)
            elif old_digest == parsed.service["source_digest"]:
                outcome.outcome = "unchanged"
                touched.append(sid)
            else:
                outcome.outcome = "changed"
                to_write.append(parsed)
        for start in range(0, len(touched), 900):
            session.execute(
                update(Service)
                .where(Service.id.in_(touched[start : start + 900]))
                .values(source_last_seen=now)
                .execution_options(synchronize_session=False)
            )
        return to_write

    def finish(self, session: Session, summary: ImportSummary, now: datetime, *,
               dry_run: bool) -> None:  # fmt: skip
        """Mark every record seen (skipped ones too: a record broken today is not withdrawn
        for it), then, if the source was read to its end, withdraw what it no longer has."""
        seen = sorted(self.seen)
        for start in range(0, len(seen), 900):
            session.execute(
                update(Service)
                .where(Service.id.in_(seen[start : start + 900]), Service.source_name == self.name)
                .values(source_last_seen=now)
                .execution_options(synchronize_session=False)
            )
        if self.complete:
            withdraw_missing(session, self.name, self.run_started, summary, dry_run=dry_run)


def withdraw_missing(
    session: Session,
    name: str,
    since: datetime,
    summary: ImportSummary,
    *,
    dry_run: bool,
    exclude: set[str] | None = None,
) -> None:
    """Listings of source ``name`` not seen since ``since`` (nor in ``exclude``, the ids a
    dry run saw without recording it) are withdrawn here too."""
    from signpost.oruk.importer import RecordOutcome

    gone = session.execute(
        select(Service.id, Service.name, Service.source_record_id, Service.organization_id).where(
            Service.source_name == name,
            Service.status != WITHDRAWN_STATUS,
            (Service.source_last_seen < since) | Service.source_last_seen.is_(None),
        )
    ).all()
    gone = [row for row in gone if row[0] not in (exclude or set())]
    for _sid, title, source_id, _org in gone:
        summary.records.append(
            RecordOutcome(source_id=source_id, name=title, outcome="withdrawn",
                          reasons=["no longer published by the source"])
        )  # fmt: skip
    if dry_run or not gone:
        return
    ids = [row[0] for row in gone]
    for start in range(0, len(ids), 900):
        session.execute(
            update(Service)
            .where(Service.id.in_(ids[start : start + 900]))
            # The digest is cleared so that the record, if it comes back, is rewritten.
            .values(status=WITHDRAWN_STATUS, source_digest=None, version=Service.version + 1)
            .execution_options(synchronize_session=False)
        )
    session.execute(
        insert(Revision.__table__),
        [
            {"entity_type": "service", "entity_id": sid, "organization_id": org,
             "action": "import-withdrawn", "user_id": None,
             "note": f"No longer published by {name}"[:500]}
            for sid, _name, _source_id, org in gone
        ],
    )  # fmt: skip
