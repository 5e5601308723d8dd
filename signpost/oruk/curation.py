"""The curation queue for harvested listings: the classifier's suggestion, a moderator's
decision. Plain SQLAlchemy, no Flask.

A harvested listing arrives ``pending`` with a suggested class (therapy, mental-health
support, other), suggested modalities and needs, and the words behind each. A moderator
confirms or corrects them on one screen; only listings confirmed as therapy reach search
(see :func:`signpost.directory.loading.public_service_filter`). Nothing suggested is
stored as a tag until confirmed, so no imported listing earns credit for a therapy that a
person has not checked.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from signpost.directory import versioning
from signpost.models import Revision, Service, User

CLASSES = {
    "therapy": "Talking therapy: list it in search",
    "mental-health": "Mental-health support, not therapy: keep it out of search",
    "other": "Not mental health: keep it out of search",
}
PAGE_SIZE = 100


@dataclass(frozen=True)
class Suggestion:
    kind: str
    evidence: list[str]
    modalities: dict[str, list[str]]
    needs: dict[str, list[str]]


def suggestion(service: Service) -> Suggestion:
    try:
        data: dict[str, Any] = json.loads(service.import_evidence or "{}")
    except ValueError:
        data = {}
    return Suggestion(
        kind=str(data.get("class") or service.import_class or "other"),
        evidence=[str(w) for w in data.get("evidence") or []],
        modalities={str(k): list(v) for k, v in (data.get("modalities") or {}).items()},
        needs={str(k): list(v) for k, v in (data.get("needs") or {}).items()},
    )


def pending(session: Session, limit: int = PAGE_SIZE) -> list[Service]:
    """Listings waiting, therapy suggestions first (the ones that matter for search)."""
    rows = session.execute(
        select(Service)
        .where(Service.import_review == "pending")
        .options(selectinload(Service.organization))
        .order_by(Service.import_class != "therapy", Service.import_class, Service.name)
        .limit(limit)
    ).scalars()
    return list(rows)


def confirm(
    session: Session,
    moderator: User,
    service: Service,
    *,
    kind: str,
    modalities: list[str],
    needs: list[str],
) -> None:
    """Record a moderator's decision; the listing's modalities and needs become theirs."""
    if kind not in CLASSES:
        raise ValueError(f"unknown class {kind!r}")
    before = {"class": service.import_class, "review": service.import_review,
              "modalities": service.modalities, "needs": service.needs}  # fmt: skip
    service.import_class = kind
    service.import_review = "confirmed"
    service.set_modalities(modalities if kind == "therapy" else [])
    service.set_needs(needs if kind == "therapy" else [])
    session.add(
        Revision(
            entity_type="service", entity_id=service.id,
            organization_id=service.organization_id, action="curate", user_id=moderator.id,
            before=before,
            after={"class": kind, "review": "confirmed", "modalities": sorted(set(modalities)),
                   "needs": sorted(set(needs))},
            note="Imported listing reviewed",
        )
    )  # fmt: skip
    versioning.bump(session)
    session.commit()
