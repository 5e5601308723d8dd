"""Changing listings: drafts, moderation, one-click updates, reports, and their revisions.

Plain functions that take the SQLAlchemy session (no Flask). Views load what the signed-in
user may touch through :func:`load_draft` / :func:`organization_for`, then call these.

The model:

* A listing's *content* is a JSON-able dict of every editable field (:func:`service_content`):
  scalars, vocab lists, catchment, locations and waits. The ``Service`` row is always the
  approved version, which is what the public sees.
* Edits to a published listing (an approved organisation's service) are *proposed*: a
  pending ``ChangeRequest`` holds the proposed content, ``base_version`` the service version
  the editor started from. Further edits update that one pending request (a partial unique
  index allows only one). Edits to an organisation still waiting for approval apply at once,
  since nothing of it is public yet.
* Capacity and "still accurate" publish at once.
* Every change writes a ``Revision`` (who, when, before, after) in the same transaction.
* No lost updates: each form carries the draft's :attr:`Draft.token`; a save whose token is
  not the current one raises :class:`EditConflict`, as does a ``StaleDataError`` from the
  version columns on ``services`` and ``change_requests`` when two saves race.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from typing import Any, TypeVar, cast

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.exc import StaleDataError

from signpost import slugs
from signpost.models import (
    ChangeRequest,
    Location,
    Membership,
    Organization,
    ProblemReport,
    Revision,
    Service,
    ServiceArea,
    ServiceAtLocation,
    User,
    Wait,
)
from signpost.models._types import new_id, utcnow

Content = dict[str, Any]
F = TypeVar("F", bound=Callable[..., Any])

SERVICE_FIELDS: tuple[str, ...] = (
    "name",
    "description",
    "status",
    "website",
    "email",
    "phone",
    "how_to_refer",
    "minimum_age",
    "maximum_age",
    "cost_type",
    "cost_min_gbp",
    "cost_max_gbp",
    "cost_description",
    "typical_sessions",
    "registration_bodies",
    "trainees_deliver",
)
TAG_FIELDS = {"formats": "format", "delivery": "delivery", "referral_routes": "referral"}
LOCATION_FIELDS: tuple[str, ...] = (
    "name",
    "address_1",
    "city",
    "postcode",
    "latitude",
    "longitude",
    "accessibility",
)
ORGANIZATION_FIELDS: tuple[str, ...] = (
    "name",
    "sector",
    "charity_number",
    "website",
    "email",
    "phone",
    "description",
)
STATUS_NAMES: dict[str, str] = {
    "active": "Open",
    "temporarily closed": "Temporarily closed",
    "inactive": "Not running at the moment",
    "defunct": "Closed for good",
}
REPORT_KINDS: dict[str, str] = {
    "closed": "The service has closed or is not taking new people",
    "contact": "The phone number, email, website or address is wrong",
    "details": "Other details are wrong, for example cost, ages or therapies",
    "other": "Something else",
}

FIELD_LABELS: dict[str, str] = {
    "name": "Name",
    "description": "Description",
    "status": "Status",
    "website": "Website",
    "email": "Email",
    "phone": "Phone",
    "how_to_refer": "How to refer",
    "minimum_age": "Minimum age",
    "maximum_age": "Maximum age",
    "cost_type": "Cost",
    "cost_min_gbp": "Lowest cost per session",
    "cost_max_gbp": "Highest cost per session",
    "cost_description": "About the cost",
    "typical_sessions": "Typical number of sessions",
    "registration_bodies": "Practitioners registered with",
    "trainees_deliver": "Trainees deliver therapy",
    "modalities": "Types of therapy",
    "needs": "What it helps with",
    "formats": "Formats",
    "delivery": "How it is delivered",
    "referral_routes": "Referral routes",
    "languages": "Languages",
    "communities": "Communities",
    "low_intensity": "Low intensity therapies",
    "protocols": "Specific therapies",
    "eligibility": "Only for",
    "eligibility_note": "College or area it is for",
    "catchment": "Who can use it",
    "locations": "Locations",
    "waits": "Waiting times",
    "sector": "Sector",
    "charity_number": "Charity number",
    "capacity": "Capacity",
    "last_verified_on": "Last confirmed accurate",
    "moderation": "Review status",
    "role": "Role",
    "active": "Active",
}
ACTION_LABELS: dict[str, str] = {
    "create": "Created",
    "update": "Changed",
    "submit": "Change sent for review",
    "approve": "Change approved and published",
    "reject": "Change rejected",
    "capacity": "Capacity changed",
    "verify": "Confirmed still accurate",
    "register": "Organisation registered",
    "resubmit": "Sent for review again",
    "member-added": "Member added",
    "member-removed": "Member removed",
    "invited": "Invitation sent",
    "account": "Account changed",
}


class ListingError(Exception):
    """A change that cannot be made; ``message`` is safe to show."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ChangeAwaitingReview(ListingError):
    """ "Still accurate" would stamp today's date on details a pending change corrects."""

    def __init__(self) -> None:
        super().__init__(
            "A change to this listing is waiting for a moderator. You can confirm the listing "
            "is accurate once that change has been reviewed."
        )


class EditConflict(ListingError):
    """Someone else changed the listing since this editor loaded it."""

    def __init__(self) -> None:
        super().__init__(
            "Someone else changed this listing while you were editing it, so your changes "
            "have not been saved. Check the current details, then save again."
        )


class ModerationError(ListingError):
    """A change request that cannot be approved or rejected as asked."""


# -- content: reading and writing every editable field ------------------------------------


def _catchment(service: Service) -> Content:
    areas = sorted(
        area.value
        for area in service.areas
        if area.kind in ("postcode-area", "postcode-district") and area.value
    )
    radius = service.catchment_radius_km
    if radius is None:
        for area in service.areas:
            if area.kind == "radius" and area.value:
                try:
                    radius = float(area.value)
                except ValueError:
                    continue
    national = service.catchment_national or any(a.kind == "national" for a in service.areas)
    kind = "national" if national else "areas" if areas else "radius" if radius else None
    found: dict[str, Any] = {"kind": kind, "areas": areas, "radius_km": radius}
    nations = sorted(a.value for a in service.areas if a.kind == "national" and a.value)
    if national and nations:
        found["nations"] = nations  # a national service limited to some UK nations
    return found


def location_content(location: Location) -> Content:
    return {"id": location.id, **{name: getattr(location, name) for name in LOCATION_FIELDS}}


def wait_content(wait: Wait) -> Content:
    return {
        "modality": wait.modality,
        "assessment_weeks": wait.assessment_weeks,
        "treatment_weeks": wait.treatment_weeks,
        "as_of": wait.as_of.isoformat() if wait.as_of else None,
        "source": wait.source,
    }


def service_content(service: Service) -> Content:
    """Every editable field of a service, as JSON-able data (a draft, a revision's side)."""
    content: Content = {name: getattr(service, name) for name in SERVICE_FIELDS}
    content.update(
        modalities=service.modalities,
        needs=service.needs,
        formats=service.formats,
        delivery=service.delivery,
        referral_routes=service.referral_routes,
        languages=service.language_list,
        communities=service.community_list,
        low_intensity=service.low_intensity_modalities,
        protocols=service.protocol_list,
        eligibility=service.eligibility_list,
        eligibility_note=service.eligibility_note,
        catchment=_catchment(service),
        locations=[
            location_content(loc)
            for loc in sorted(service.locations, key=lambda loc: (loc.name, loc.postcode, loc.id))
        ],
        waits=[wait_content(w) for w in sorted(service.waits, key=lambda w: w.modality or "")],
    )
    return content


def organization_content(organization: Organization) -> Content:
    return {name: getattr(organization, name) for name in ORGANIZATION_FIELDS}


def _apply_locations(session: Session, service: Service, items: Sequence[Content]) -> None:
    existing = {link.location_id: link for link in service.service_locations}
    kept: set[str] = set()
    for item in items:
        values = {name: item.get(name) for name in LOCATION_FIELDS}
        for text in ("name", "address_1", "city", "postcode"):
            values[text] = values[text] or ""
        link = existing.get(item.get("id") or "")
        if link is not None:
            location = link.location
            for name, value in values.items():
                setattr(location, name, value)
        else:
            wanted = item.get("id")
            free = wanted and session.get(Location, wanted) is None
            location = Location(
                id=wanted if free else new_id(),
                organization_id=service.organization_id,
                **values,
            )
            service.service_locations.append(ServiceAtLocation(location=location))
        kept.add(location.id)
    for location_id, link in existing.items():
        if location_id in kept:
            continue
        location = link.location
        service.service_locations.remove(link)
        if all(other is link for other in location.service_links):
            session.delete(location)


def _apply_waits(service: Service, items: Sequence[Content]) -> None:
    wanted = {item.get("modality"): item for item in items}
    existing = {wait.modality: wait for wait in service.waits}
    for modality, wait in existing.items():
        if modality not in wanted:
            service.waits.remove(wait)
    for modality, item in wanted.items():
        wait = existing.get(modality)
        if wait is None:
            wait = Wait(modality=modality)
            service.waits.append(wait)
        wait.assessment_weeks = item.get("assessment_weeks")
        wait.treatment_weeks = item.get("treatment_weeks")
        wait.as_of = date.fromisoformat(item["as_of"])
        wait.source = item.get("source") or "provider"


def apply_service_content(session: Session, service: Service, content: Content) -> None:
    """Make the service match ``content`` (the reverse of :func:`service_content`)."""
    with session.no_autoflush:
        _apply_service_content(session, service, content)


def _apply_service_content(session: Session, service: Service, content: Content) -> None:
    for name in SERVICE_FIELDS:
        if name in content:
            setattr(service, name, content[name])
    service.set_modalities(list(content.get("modalities", [])), content.get("low_intensity", []))
    service.protocols = ", ".join(content.get("protocols", []))
    service.eligibility = ", ".join(content.get("eligibility", []))
    service.eligibility_note = content.get("eligibility_note") or None
    service.set_needs(list(content.get("needs", [])))
    for key, kind in TAG_FIELDS.items():
        service.set_tags(kind, list(content.get(key, [])))
    service.languages = ", ".join(content.get("languages", []))
    service.communities = ", ".join(content.get("communities", []))

    catchment = content.get("catchment") or {}
    kind = catchment.get("kind")
    service.catchment_national = kind == "national"
    service.catchment_radius_km = catchment.get("radius_km") if kind == "radius" else None
    areas = catchment.get("areas", []) if kind == "areas" else []
    service.areas = [
        ServiceArea(
            kind="postcode-district" if any(ch.isdigit() for ch in value) else "postcode-area",
            value=value,
        )
        for value in areas
    ]
    if kind == "national":
        service.areas = [
            ServiceArea(kind="national", value=nation) for nation in catchment.get("nations", [])
        ]
    _apply_locations(session, service, content.get("locations", []))
    _apply_waits(service, content.get("waits", []))
    # Touch the row so its version moves on even when only linked rows changed.
    service.updated_at = utcnow()


def apply_organization_content(organization: Organization, content: Content) -> None:
    for name in ORGANIZATION_FIELDS:
        if name in content:
            setattr(organization, name, content[name])


# -- draft operations on content (pure) ---------------------------------------------------


def with_location(content: Content, location: Content) -> Content:
    """Content with one more location (given a new id)."""
    added = {"id": new_id(), **{name: location.get(name) for name in LOCATION_FIELDS}}
    return {**content, "locations": [*content.get("locations", []), added]}


def without_location(content: Content, location_id: str) -> Content:
    locations = content.get("locations", [])
    kept = [loc for loc in locations if loc.get("id") != location_id]
    if len(kept) == len(locations):
        raise KeyError(location_id)
    return {**content, "locations": kept}


def with_wait(content: Content, wait: Content) -> Content:
    """Content with this wait added, replacing any for the same therapy (or whole service)."""
    others = [w for w in content.get("waits", []) if w.get("modality") != wait.get("modality")]
    waits = sorted([*others, wait], key=lambda w: w.get("modality") or "")
    return {**content, "waits": waits}


def without_wait(content: Content, modality: str | None) -> Content:
    waits = content.get("waits", [])
    kept = [w for w in waits if w.get("modality") != modality]
    if len(kept) == len(waits):
        raise KeyError(modality)
    return {**content, "waits": kept}


# -- revisions ------------------------------------------------------------------------------


def record_revision(
    session: Session,
    *,
    entity_type: str,
    entity_id: str,
    organization_id: str | None,
    action: str,
    user: User | None,
    before: Content | None = None,
    after: Content | None = None,
    note: str | None = None,
) -> Revision:
    """Add a revision to the session: the caller commits it with the change itself."""
    revision = Revision(
        entity_type=entity_type,
        entity_id=entity_id,
        organization_id=organization_id,
        action=action,
        user_id=user.id if user is not None else None,
        before=before,
        after=after,
        note=note,
    )
    session.add(revision)
    return revision


def history(session: Session, entity_id: str, limit: int = 200) -> list[Revision]:
    """A listing's (or organisation's) revisions, newest first."""
    return list(
        session.execute(
            select(Revision)
            .where(Revision.entity_id == entity_id)
            .options(selectinload(Revision.user))
            .order_by(Revision.created_at.desc(), Revision.id.desc())
            .limit(limit)
        ).scalars()
    )


def recent_revisions(session: Session, *, limit: int = 50, offset: int = 0) -> list[Revision]:
    return list(
        session.execute(
            select(Revision)
            .options(selectinload(Revision.user))
            .order_by(Revision.created_at.desc(), Revision.id.desc())
            .limit(limit)
            .offset(offset)
        ).scalars()
    )


# -- what a user may touch ------------------------------------------------------------------


def membership(session: Session, user: User, organization_id: str) -> Membership | None:
    return session.execute(
        select(Membership).where(
            Membership.user_id == user.id, Membership.organization_id == organization_id
        )
    ).scalar_one_or_none()


def organization_for(
    session: Session, user: User, organization_id: str, *, owner: bool = False
) -> tuple[Organization, Membership] | None:
    """The organisation if ``user`` is a member (an owner, if ``owner``), else None."""
    found = membership(session, user, organization_id)
    if found is None or (owner and found.role != "owner"):
        return None
    return found.organization, found


def user_organizations(session: Session, user: User) -> list[tuple[Organization, str]]:
    rows = session.execute(
        select(Organization, Membership.role)
        .join(Membership, Membership.organization_id == Organization.id)
        .where(Membership.user_id == user.id)
        .options(selectinload(Organization.services))
        .order_by(Organization.name)
    ).all()
    return [(org, role) for org, role in rows]


def pending_request(session: Session, entity_type: str, entity_id: str) -> ChangeRequest | None:
    return session.execute(
        select(ChangeRequest).where(
            ChangeRequest.entity_type == entity_type,
            ChangeRequest.entity_id == entity_id,
            ChangeRequest.state == "pending",
        )
    ).scalar_one_or_none()


@dataclass
class Draft:
    """What an editor works on: the published service (if any) and the pending edit (if any).

    ``content`` is the pending edit's content when there is one, else the service's.
    """

    organization: Organization
    service: Service | None
    pending: ChangeRequest | None

    @property
    def id(self) -> str:
        if self.service is not None:
            return self.service.id
        assert self.pending is not None and self.pending.entity_id is not None
        return self.pending.entity_id

    @cached_property
    def content(self) -> Content:
        if self.pending is not None:
            return dict(self.pending.payload)
        assert self.service is not None
        return service_content(self.service)

    @cached_property
    def published_content(self) -> Content | None:
        return service_content(self.service) if self.service is not None else None

    @property
    def needs_review(self) -> bool:
        """Edits wait for a moderator once the organisation is approved (its listings public)."""
        return self.organization.moderation == "approved"

    @property
    def token(self) -> str:
        """The version the editor starts from; any change anywhere to the draft changes it."""
        parts = [str(self.service.version) if self.service is not None else "new"]
        if self.pending is not None:
            parts.append(f"{self.pending.id}.{self.pending.version}")
        return "-".join(parts)


def load_draft(session: Session, user: User, service_id: str) -> Draft | None:
    """The draft for ``service_id`` if ``user`` belongs to its organisation, else None.

    Whatever id a URL carries, the service is found through the user's memberships.
    """
    service = session.execute(
        select(Service)
        .join(Membership, Membership.organization_id == Service.organization_id)
        .where(Service.id == service_id, Membership.user_id == user.id)
    ).scalar_one_or_none()
    if service is not None:
        return Draft(service.organization, service, pending_request(session, "service", service.id))
    request = session.execute(
        select(ChangeRequest)
        .join(Membership, Membership.organization_id == ChangeRequest.organization_id)
        .where(
            ChangeRequest.entity_type == "service",
            ChangeRequest.entity_id == service_id,
            ChangeRequest.state == "pending",
            Membership.user_id == user.id,
        )
    ).scalar_one_or_none()
    if request is None or request.organization_id is None:
        return None
    organization = session.get(Organization, request.organization_id)
    return Draft(organization, None, request) if organization is not None else None


# -- saving drafts ----------------------------------------------------------------------------


def _mark_verified(service: Service, user: User, today: date) -> None:
    service.last_verified_on = today
    service.last_verified_by_id = user.id


def _stale_is_conflict(conflict: Callable[[], ListingError]) -> Callable[[F], F]:
    """Turn an optimistic-lock failure anywhere in a write into ``conflict``.

    The version columns raise ``StaleDataError`` at whichever flush first writes the stale
    row (an explicit flush, an autoflush before a query, or the commit), so one guard
    around the whole write covers every path, and the session is rolled back for reuse.
    """

    def decorator(write: F) -> F:
        @functools.wraps(write)
        def guarded(session: Session, *args: Any, **kwargs: Any) -> Any:
            try:
                return write(session, *args, **kwargs)
            except StaleDataError as error:
                session.rollback()
                raise conflict() from error

        return cast(F, guarded)

    return decorator


def _moderation_conflict() -> ModerationError:
    return ModerationError(
        "Someone changed this request or listing while you were reviewing it. Look at it again."
    )


def _commit_or_conflict(session: Session, *, entity_type: str, entity_id: str) -> None:
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        # Another editor's pending request won the race for the one pending slot.
        if pending_request(session, entity_type, entity_id) is not None:
            raise EditConflict() from None
        raise


@_stale_is_conflict(EditConflict)
def save_draft(
    session: Session, user: User, draft: Draft, content: Content, token: str, today: date
) -> str:
    """Save an editor's content. Returns "saved" (applied now) or "submitted" (for review).

    Raises EditConflict when ``token`` is not the draft's current token.
    """
    if token != draft.token:
        raise EditConflict()
    before = draft.published_content
    if not draft.needs_review:
        service = draft.service
        assert service is not None  # listings of unapproved organisations exist as rows
        apply_service_content(session, service, content)
        _mark_verified(service, user, today)
        session.flush()
        record_revision(
            session,
            entity_type="service",
            entity_id=service.id,
            organization_id=service.organization_id,
            action="update",
            user=user,
            before=before,
            after=service_content(service),
        )
        outcome = "saved"
    else:
        if draft.pending is not None:
            draft.pending.payload = content
            draft.pending.submitted_by_id = user.id
            draft.pending.submitted_at = utcnow()
        else:
            assert draft.service is not None
            session.add(
                ChangeRequest(
                    entity_type="service",
                    entity_id=draft.service.id,
                    organization_id=draft.organization.id,
                    base_version=draft.service.version,
                    payload=content,
                    submitted_by_id=user.id,
                )
            )
        record_revision(
            session,
            entity_type="service",
            entity_id=draft.id,
            organization_id=draft.organization.id,
            action="submit",
            user=user,
            before=before,
            after=content,
        )
        outcome = "submitted"
    _commit_or_conflict(session, entity_type="service", entity_id=draft.id)
    return outcome


@_stale_is_conflict(EditConflict)
def create_listing(
    session: Session, user: User, organization: Organization, content: Content, today: date
) -> tuple[str, str]:
    """A new listing: (its id, "saved" or "submitted"). New listings of an approved
    organisation wait for a moderator; otherwise they are created (not yet public)."""
    if organization.moderation == "approved":
        entity_id = new_id()
        session.add(
            ChangeRequest(
                entity_type="service",
                entity_id=entity_id,
                organization_id=organization.id,
                base_version=None,
                payload=content,
                submitted_by_id=user.id,
            )
        )
        record_revision(
            session,
            entity_type="service",
            entity_id=entity_id,
            organization_id=organization.id,
            action="submit",
            user=user,
            after=content,
            note="New listing",
        )
        session.commit()
        return entity_id, "submitted"
    service = Service(
        id=new_id(),
        organization_id=organization.id,
        organization=organization,
        demo=organization.demo,
        capacity="accepting",
    )
    session.add(service)
    apply_service_content(session, service, content)
    _mark_verified(service, user, today)
    session.flush()
    record_revision(
        session,
        entity_type="service",
        entity_id=service.id,
        organization_id=organization.id,
        action="create",
        user=user,
        after=service_content(service),
    )
    session.commit()
    return service.id, "saved"


# -- one-click updates: publish at once ------------------------------------------------------


def _rebase_pending(session: Session, service: Service) -> None:
    """A pending edit does not cover capacity or verification, so after one of those it is
    still based on the same editable content: move its base to the new version."""
    pending = pending_request(session, "service", service.id)
    if pending is not None and pending.base_version is not None:
        pending.base_version = service.version


@_stale_is_conflict(EditConflict)
def set_capacity(session: Session, user: User, service: Service, capacity: str) -> bool:
    """Publish a capacity status at once. False if it was already that."""
    if capacity not in slugs.CAPACITY:
        raise ListingError("Select whether the service is accepting people")
    if service.capacity == capacity:
        return False
    before = {"capacity": service.capacity}
    service.capacity = capacity
    session.flush()
    _rebase_pending(session, service)
    record_revision(
        session,
        entity_type="service",
        entity_id=service.id,
        organization_id=service.organization_id,
        action="capacity",
        user=user,
        before=before,
        after={"capacity": capacity},
    )
    _commit_or_conflict(session, entity_type="service", entity_id=service.id)
    return True


@_stale_is_conflict(EditConflict)
def confirm_accurate(session: Session, user: User, service: Service, today: date) -> None:
    """Record a "still accurate" click: the listing's details were checked today.

    Refused while a change waits for moderation: the public listing is what the click would
    vouch for, and the editor has already said part of it is wrong.
    """
    if pending_request(session, "service", service.id) is not None:
        raise ChangeAwaitingReview()
    before = {
        "last_verified_on": service.last_verified_on.isoformat()
        if service.last_verified_on
        else None
    }
    _mark_verified(service, user, today)
    session.flush()
    _rebase_pending(session, service)
    record_revision(
        session,
        entity_type="service",
        entity_id=service.id,
        organization_id=service.organization_id,
        action="verify",
        user=user,
        before=before,
        after={"last_verified_on": today.isoformat()},
    )
    _commit_or_conflict(session, entity_type="service", entity_id=service.id)


# -- organisations ---------------------------------------------------------------------------


def organization_token(session: Session, organization: Organization) -> str:
    pending = pending_request(session, "organization", organization.id)
    digest = hashlib.sha256(
        json.dumps(organization_content(organization), sort_keys=True, default=str).encode()
    ).hexdigest()[:16]
    return digest + (f"-{pending.id}.{pending.version}" if pending is not None else "")


def organization_draft(session: Session, organization: Organization) -> Content:
    """The organisation's details an owner edits: a pending edit's, or the current ones."""
    pending = pending_request(session, "organization", organization.id)
    if pending is not None and organization.moderation == "approved":
        return dict(pending.payload)
    return organization_content(organization)


def submit_new_organization(session: Session, user: User, organization: Organization) -> None:
    """Queue a just-registered (or rejected, and now revised) organisation for review."""
    organization.moderation = "pending"
    session.flush()
    content = organization_content(organization)
    session.add(
        ChangeRequest(
            entity_type="organization",
            entity_id=organization.id,
            organization_id=organization.id,
            payload=content,
            submitted_by_id=user.id,
        )
    )
    record_revision(
        session,
        entity_type="organization",
        entity_id=organization.id,
        organization_id=organization.id,
        action="register",
        user=user,
        after=content,
    )


@_stale_is_conflict(EditConflict)
def resubmit_organization(session: Session, user: User, organization: Organization) -> None:
    if organization.moderation != "rejected":
        raise ListingError("This organisation is not waiting to be sent for review again")
    submit_new_organization(session, user, organization)
    _commit_or_conflict(session, entity_type="organization", entity_id=organization.id)


@_stale_is_conflict(EditConflict)
def save_organization(
    session: Session, user: User, organization: Organization, content: Content, token: str
) -> str:
    """Save an owner's edit of the organisation's details: "saved" or "submitted"."""
    if token != organization_token(session, organization):
        raise EditConflict()
    before = organization_content(organization)
    pending = pending_request(session, "organization", organization.id)
    if organization.moderation != "approved":
        apply_organization_content(organization, content)
        if pending is not None:  # keep the moderator's view of a new organisation current
            pending.payload = organization_content(organization)
        record_revision(
            session,
            entity_type="organization",
            entity_id=organization.id,
            organization_id=organization.id,
            action="update",
            user=user,
            before=before,
            after=organization_content(organization),
        )
        outcome = "saved"
    else:
        if pending is not None:
            pending.payload = content
            pending.submitted_by_id = user.id
            pending.submitted_at = utcnow()
        else:
            session.add(
                ChangeRequest(
                    entity_type="organization",
                    entity_id=organization.id,
                    organization_id=organization.id,
                    payload=content,
                    submitted_by_id=user.id,
                )
            )
        record_revision(
            session,
            entity_type="organization",
            entity_id=organization.id,
            organization_id=organization.id,
            action="submit",
            user=user,
            before=before,
            after=content,
        )
        outcome = "submitted"
    _commit_or_conflict(session, entity_type="organization", entity_id=organization.id)
    return outcome


# -- moderation ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    field: str
    label: str
    before: list[str]
    after: list[str]


@dataclass
class Review:
    """What a moderator sees for one change request."""

    request: ChangeRequest
    kind: str  # new-organization | organization | new-service | service
    organization: Organization | None
    service: Service | None
    changes: list[Change]
    stale: bool = False  # the listing changed since the edit was made
    services: list[Service] = field(default_factory=list)  # a new organisation's listings

    @property
    def title(self) -> str:
        return {
            "new-organization": "New organisation",
            "organization": "Change to organisation details",
            "new-service": "New listing",
            "service": "Change to a listing",
        }[self.kind]

    @property
    def name(self) -> str:
        payload_name = self.request.payload.get("name")
        if self.service is not None:
            return self.service.name
        if self.organization is not None and self.kind.endswith("organization"):
            return self.organization.name
        return str(payload_name or "Unnamed")


def pending_requests(session: Session) -> list[ChangeRequest]:
    return list(
        session.execute(
            select(ChangeRequest)
            .where(ChangeRequest.state == "pending")
            .options(selectinload(ChangeRequest.submitted_by))
            .order_by(ChangeRequest.submitted_at, ChangeRequest.id)
        ).scalars()
    )


def pending_for_organizations(
    session: Session, organization_ids: Iterable[str]
) -> list[ChangeRequest]:
    ids = list(organization_ids)
    if not ids:
        return []
    return list(
        session.execute(
            select(ChangeRequest)
            .where(ChangeRequest.organization_id.in_(ids), ChangeRequest.state == "pending")
            .order_by(ChangeRequest.submitted_at)
        ).scalars()
    )


def recent_decisions(
    session: Session, organization_ids: Iterable[str], limit: int = 10
) -> list[ChangeRequest]:
    """Recently reviewed requests for these organisations (to tell editors the outcome)."""
    ids = list(organization_ids)
    if not ids:
        return []
    return list(
        session.execute(
            select(ChangeRequest)
            .where(ChangeRequest.organization_id.in_(ids), ChangeRequest.state != "pending")
            .order_by(ChangeRequest.reviewed_at.desc(), ChangeRequest.id.desc())
            .limit(limit)
        ).scalars()
    )


def review(session: Session, request: ChangeRequest) -> Review:
    organization = (
        session.get(Organization, request.organization_id) if request.organization_id else None
    )
    if request.entity_type == "organization":
        assert organization is not None
        if organization.moderation != "approved":
            changes = diff(None, organization_content(organization))
            return Review(
                request,
                "new-organization",
                organization,
                None,
                changes,
                services=list(organization.services),
            )
        return Review(
            request,
            "organization",
            organization,
            None,
            diff(organization_content(organization), request.payload),
        )
    service = session.get(Service, request.entity_id) if request.entity_id else None
    if service is None:
        return Review(request, "new-service", organization, None, diff(None, request.payload))
    return Review(
        request,
        "service",
        organization,
        service,
        diff(service_content(service), request.payload),
        stale=request.base_version is not None and request.base_version != service.version,
    )


def _decided(request: ChangeRequest, moderator: User, state: str, reason: str | None) -> None:
    request.state = state
    request.reviewed_by_id = moderator.id
    request.reviewed_at = utcnow()
    request.reason = reason


def _check_reviewable(request: ChangeRequest, moderator: User) -> None:
    if request.state != "pending":
        raise ModerationError("This change has already been reviewed")
    if request.submitted_by_id is not None and request.submitted_by_id == moderator.id:
        raise ModerationError("You cannot review a change you made yourself")
    # Four eyes: a colleague's edit is not independent review either.
    if request.organization_id and moderator.membership_for(request.organization_id):
        raise ModerationError(
            "You cannot review a change to your own organisation's listings. "
            "Another moderator must review it"
        )


@_stale_is_conflict(_moderation_conflict)
def approve(session: Session, moderator: User, request: ChangeRequest, today: date) -> None:
    """Publish a change request, with its revision, in one transaction."""
    _check_reviewable(request, moderator)
    current = review(session, request)
    submitter = session.get(User, request.submitted_by_id) if request.submitted_by_id else None
    who = submitter.email if submitter is not None else "a deleted user"
    note = f"Submitted by {who}, approved by {moderator.email}"
    org_id = request.organization_id
    if current.kind == "new-organization":
        assert current.organization is not None
        current.organization.moderation = "approved"
        record_revision(
            session,
            entity_type="organization",
            entity_id=current.organization.id,
            organization_id=org_id,
            action="approve",
            user=moderator,
            before={"moderation": "pending"},
            after={"moderation": "approved"},
            note=note,
        )
    elif current.kind == "organization":
        assert current.organization is not None
        before = organization_content(current.organization)
        apply_organization_content(current.organization, request.payload)
        record_revision(
            session,
            entity_type="organization",
            entity_id=current.organization.id,
            organization_id=org_id,
            action="approve",
            user=moderator,
            before=before,
            after=organization_content(current.organization),
            note=note,
        )
    else:
        if current.stale:
            raise ModerationError(
                "The listing has changed since this edit was made. Reject it and ask the "
                "provider to make their change again."
            )
        service = current.service
        before = None
        if service is None:
            assert current.organization is not None and request.entity_id is not None
            service = Service(
                id=request.entity_id,
                organization_id=current.organization.id,
                organization=current.organization,
                demo=current.organization.demo,
                capacity="accepting",
            )
            session.add(service)
        else:
            before = service_content(service)
        apply_service_content(session, service, request.payload)
        verifier = submitter or moderator
        submitted_on = request.submitted_at.date() if request.submitted_at else today
        service.last_verified_on = min(submitted_on, today)
        service.last_verified_by_id = verifier.id
        session.flush()
        record_revision(
            session,
            entity_type="service",
            entity_id=service.id,
            organization_id=org_id,
            action="approve",
            user=moderator,
            before=before,
            after=service_content(service),
            note=note,
        )
    _decided(request, moderator, "approved", None)
    session.commit()


@_stale_is_conflict(_moderation_conflict)
def reject(session: Session, moderator: User, request: ChangeRequest, reason: str) -> None:
    _check_reviewable(request, moderator)
    if not reason.strip():
        raise ModerationError("Enter a reason for rejecting the change")
    entity_id = request.entity_id or ""
    if request.entity_type == "organization":
        organization = session.get(Organization, entity_id)
        if organization is not None and organization.moderation == "pending":
            organization.moderation = "rejected"
    record_revision(
        session,
        entity_type=request.entity_type,
        entity_id=entity_id,
        organization_id=request.organization_id,
        action="reject",
        user=moderator,
        before=None,
        after=None,
        note=reason.strip(),
    )
    _decided(request, moderator, "rejected", reason.strip())
    session.commit()


# -- problem reports ---------------------------------------------------------------------------


def report_problem(session: Session, service: Service, kind: str, details: str) -> ProblemReport:
    if kind not in REPORT_KINDS:
        raise ListingError("Select what is wrong with the listing")
    report = ProblemReport(service_id=service.id, kind=kind, details=details.strip())
    session.add(report)
    session.commit()
    return report


def open_reports(
    session: Session, organization_ids: Iterable[str] | None = None
) -> list[tuple[ProblemReport, Service]]:
    """Unresolved reports (for some organisations, or all), newest first."""
    stmt = (
        select(ProblemReport, Service)
        .join(Service, Service.id == ProblemReport.service_id)
        .where(ProblemReport.resolved.is_(False))
        .order_by(ProblemReport.created_at.desc(), ProblemReport.id.desc())
    )
    if organization_ids is not None:
        stmt = stmt.where(Service.organization_id.in_(list(organization_ids)))
    return [(report, service) for report, service in session.execute(stmt).all()]


def resolve_report(session: Session, report: ProblemReport) -> None:
    report.resolved = True
    session.commit()


# -- describing content for people -------------------------------------------------------------


def _vocab_name(vocabulary: str, slug: str) -> str:
    from signpost.vocab import get_vocabularies

    try:
        return get_vocabularies().name(vocabulary, slug)
    except (KeyError, LookupError):
        return slug


def _money(value: Any) -> str:
    amount = float(value)
    return f"£{amount:,.0f}" if amount.is_integer() else f"£{amount:,.2f}"


def _long_date(value: str | date | datetime | None) -> str:
    if not value:
        return ""
    day = date.fromisoformat(value) if isinstance(value, str) else value
    return f"{day.day} {day:%B %Y}"


def _weeks(count: int) -> str:
    return f"{count} week" if count == 1 else f"{count} weeks"


def describe_wait(wait: Content) -> str:
    therapy = _vocab_name("modalities", wait["modality"]) if wait.get("modality") else "Overall"
    parts = []
    if wait.get("assessment_weeks") is not None:
        parts.append(f"{_weeks(wait['assessment_weeks'])} to assessment")
    if wait.get("treatment_weeks") is not None:
        parts.append(f"{_weeks(wait['treatment_weeks'])} to start therapy")
    figures = ", ".join(parts) or "no figures"
    return f"{therapy}: {figures} (as of {_long_date(wait.get('as_of'))})"


def describe_location(location: Content) -> str:
    parts = [location.get(k) for k in ("name", "address_1", "city", "postcode")]
    return ", ".join(p for p in parts if p)


def describe(name: str, value: Any) -> list[str]:
    """A field's value as lines of plain English (empty when not set)."""
    if value is None or value == "" or value == []:
        return []
    vocabularies = {
        "modalities": "modalities",
        "needs": "needs",
        "formats": "formats",
        "delivery": "delivery",
        "referral_routes": "referral_routes",
        "sector": "sectors",
        "cost_type": "cost_types",
        "capacity": "capacity",
    }
    if name in vocabularies:
        values = value if isinstance(value, list) else [value]
        return [_vocab_name(vocabularies[name], v) for v in values]
    if name == "low_intensity":
        return [_vocab_name("modalities", v) for v in value]
    if name in ("protocols", "eligibility"):
        from signpost.vocab import get_vocabularies

        vocab = get_vocabularies()
        if name == "protocols":
            return [vocab.protocols[v].name if v in vocab.protocols else v for v in value]
        return [vocab.eligibility[v].label() if v in vocab.eligibility else v for v in value]
    if name == "status":
        return [STATUS_NAMES.get(value, str(value))]
    if name == "catchment":
        kind = value.get("kind")
        if kind == "national":
            return ["Anyone in the UK"]
        if kind == "areas":
            return ["Postcode areas or districts: " + ", ".join(value.get("areas", []))]
        if kind == "radius" and value.get("radius_km"):
            return [f"Within {value['radius_km']:g} km of its locations"]
        return []
    if name == "locations":
        return [describe_location(loc) for loc in value]
    if name == "waits":
        return [describe_wait(w) for w in value]
    if name in ("cost_min_gbp", "cost_max_gbp"):
        return [_money(value)]
    if name == "last_verified_on":
        return [_long_date(value)]
    if isinstance(value, bool):
        return ["Yes" if value else "No"]
    if isinstance(value, list):
        return [", ".join(str(v) for v in value)]
    return [str(value)]


SUMMARY_FIELDS: tuple[str, ...] = (
    "name",
    "status",
    "description",
    "modalities",
    "needs",
    "formats",
    "delivery",
    "minimum_age",
    "maximum_age",
    "referral_routes",
    "how_to_refer",
    "cost_type",
    "cost_min_gbp",
    "cost_max_gbp",
    "cost_description",
    "languages",
    "eligibility",
    "eligibility_note",
    "communities",
    "low_intensity",
    "protocols",
    "typical_sessions",
    "registration_bodies",
    "trainees_deliver",
    "catchment",
    "website",
    "email",
    "phone",
)


def summary(content: Content) -> list[tuple[str, list[str]]]:
    """(label, lines) for each listing field, in the order the edit form asks them."""
    return [(FIELD_LABELS[name], describe(name, content.get(name))) for name in SUMMARY_FIELDS]


def diff(before: Content | None, after: Content) -> list[Change]:
    """The fields that differ between two contents (all set fields when ``before`` is None)."""
    changes = []
    for name, value in after.items():
        old = describe(name, before.get(name)) if before is not None else []
        new = describe(name, value)
        if old != new:
            changes.append(Change(name, FIELD_LABELS.get(name, name), old, new))
    return changes
