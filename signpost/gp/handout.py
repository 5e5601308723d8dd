"""What GP mode shows and hands over, as plain functions: no Flask, no database.

The views gather the search outcome and the ticked services; these functions decide
which services go on the handout, how to explain each, the NICE choice in plain English
and the short text for the clinical record. Nothing here keeps anything about the patient.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from signpost.contact_links import lower_first
from signpost.crisis import CrisisLine
from signpost.geo.geocoder import ResolvedLocation
from signpost.matcher.records import Wait
from signpost.matcher.texts import need_label
from signpost.nice import NiceAdvice, NiceOption
from signpost.search.presenters import long_date

#: A handout has room for this many services on one A4 sheet.
MAX_SERVICES = 5
#: Service ids are UUIDs; anything much longer is not one of ours.
MAX_ID_LENGTH = 64
#: However many ids a tampered URL carries, only this many are looked at.
MAX_IDS_CONSIDERED = 50

ROUTE_SHORT = {
    "self-referral": "Self-referral",
    "gp-referral": "GP",
    "professional-referral": "Professional",
    "school-referral": "School",
}
# NICE's statuses, grouped for a patient (in NICE's order of preference) and for a clinician.
STATUS_GROUPS = (
    ("first-line", "Usually offered first", "first-line"),
    ("option", "Other options", "options"),
    ("alternative", "If those do not suit you or have not helped", "alternatives"),
    ("subgroup", "For some people only", "for some people only"),
    ("symptom-support", "Only to help manage symptoms, not a cure", "symptom support only"),
)
# Reasons that explain a choice; the rest (distance, cost, wait, referral) are shown as facts.
WHY_CODES = frozenset({"specialist", "remote", "stale_flag", "no_nice_guidance"})
WHY_PREFIXES = ("nice_", "preference_")


@dataclass(frozen=True)
class Contact:
    phone: str | None = None
    website: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class Selection:
    """The services that go on the handout, in the order ticked, and what was left out."""

    chosen: tuple[str, ...]
    notices: tuple[str, ...]


@dataclass(frozen=True)
class HandoutService:
    id: str
    name: str
    organisation: str
    sector: str
    demo: bool
    therapies: tuple[str, ...]
    distance: str
    cost: str
    wait: str
    capacity: str
    reasons: tuple[str, ...]
    how_to_refer: str
    only_for: str = ""  # "Only for ...": restricted services say who they are for


@dataclass(frozen=True)
class NiceGroup:
    heading: str
    labels: tuple[str, ...]


@dataclass(frozen=True)
class NiceGuideline:
    id: str
    title: str
    url: str
    verified: bool


@dataclass(frozen=True)
class NiceChoice:
    """The NICE choice for the person's need, for a patient to read."""

    has_guidance: bool
    message: str
    groups: tuple[NiceGroup, ...]
    guidelines: tuple[NiceGuideline, ...]
    under_review: bool
    ordered: bool = False  # NICE gives an order for the main choices (never implied otherwise)
    other_treatments: tuple[str, ...] = ()  # medication and other non-therapy NICE choices

    @property
    def lists_medication(self) -> bool:
        return any(
            word in item.casefold()
            for item in self.other_treatments
            for word in ("medication", "antidepressant")
        )


def clean_ids(raw: Iterable[str]) -> list[str]:
    """Ticked service ids: trimmed, de-duplicated, in order, obviously bad ones dropped."""
    ids: list[str] = []
    for value in raw:
        value = value.strip()
        if value and len(value) <= MAX_ID_LENGTH and value not in ids:
            ids.append(value)
        if len(ids) >= MAX_IDS_CONSIDERED:
            break
    return ids


def select_services(
    ticked: Sequence[str],
    in_results: Iterable[str],
    known_names: Mapping[str, str],
    limit: int = MAX_SERVICES,
) -> Selection:
    """Keep the ticked services that are in this search's results, at most ``limit``.

    ``known_names`` names the public services among the ticked ids, so a service that
    exists but does not fit this search can be named in the message.
    """
    available = set(in_results)
    usable = [service_id for service_id in ticked if service_id in available]
    notices: list[str] = []
    if len(usable) > limit:
        notices.append(
            f"You selected {len(usable)} services. A handout has room for {limit}, so it shows "
            f"the first {limit}."
        )
    for service_id in ticked:
        if service_id in available:
            continue
        name = known_names.get(service_id)
        if name:
            notices.append(
                f"{name} is not in the results for this search (it may not suit this age, "
                "area or preferences), so it is not on the handout."
            )
    unknown = sum(1 for s in ticked if s not in available and not known_names.get(s))
    if unknown:
        notices.append(
            "1 service you selected could not be found. It may have been removed from Signpost."
            if unknown == 1
            else f"{unknown} services you selected could not be found. They may have been "
            "removed from Signpost."
        )
    return Selection(chosen=tuple(usable[:limit]), notices=tuple(notices))


def record_area(location: ResolvedLocation) -> str:
    """Where the search was for, without the full postcode: the outward code, or the town."""
    if location.precision == "place":
        return location.name
    if location.precision == "area":
        return location.area or "unknown area"
    return location.outcode or location.area or "unknown area"


def referral_short(routes: Iterable[str]) -> list[str]:
    return [ROUTE_SHORT[r] for r in ROUTE_SHORT if r in set(routes)]


def how_to_refer(routes: Iterable[str], contact: Contact, provider_text: str | None = None) -> str:
    """Exactly how the patient gets to the service, in a sentence or two.

    A service the patient can contact gets the provider's own instructions when it gave
    some (they name the referral page), else its phone and website. Otherwise the GP or
    another professional refers, and the patient is told so.
    """
    route_set = set(routes)
    if "self-referral" in route_set:
        if provider_text and provider_text.strip():
            return provider_text.strip()
        ways = []
        if contact.phone:
            ways.append(f"call {contact.phone}")
        if contact.website:
            ways.append(f"go to {display_url(contact.website)}")
        if not ways and contact.email:
            ways.append(f"email {contact.email}")
        text = f"Refer yourself: {' or '.join(ways)}." if ways else "Refer yourself."
        if "gp-referral" in route_set:
            text += " Your GP can refer you instead."
        return text
    if "gp-referral" in route_set:
        return "Your GP will refer you."
    if "professional-referral" in route_set:
        return "A health or care professional needs to refer you: your GP can arrange this."
    if "school-referral" in route_set:
        return "Your school can refer you: ask a teacher or the school nurse."
    return "Contact the service to ask how to start."


def display_url(url: str) -> str:
    """A website as people write it: no scheme, no trailing slash."""
    for prefix in ("https://", "http://"):
        if url.startswith(prefix):
            url = url[len(prefix) :]
    return url.removeprefix("www.").rstrip("/")


def compact_wait(wait: Wait | None) -> str:
    """Waits for a table cell: "2 wk to assess, 8 wk to start"."""
    if wait is None or (wait.assessment_weeks is None and wait.treatment_weeks is None):
        return "Not published"
    parts = []
    if wait.assessment_weeks is not None:
        parts.append(f"{wait.assessment_weeks} wk to assess")
    if wait.treatment_weeks is not None:
        parts.append(f"{wait.treatment_weeks} wk to start")
    return ", ".join(parts)


def compact_cost(cost_type: str, low: float | None, high: float | None) -> str:
    """Cost for a table cell: "Free", "£25 to £70, by income", "£20 a session"."""
    if cost_type == "free":
        return "Free"
    if cost_type == "donation":
        return "Free (donations welcome)"
    if cost_type == "sliding-scale":
        if low is not None and high is not None:
            return f"£{low:g} to £{high:g}, by income"
        return "By income"
    return f"£{low:g} a session" if low is not None else "Fees apply"


def compact_distance(distance_km: float | None, in_person_km: float | None = None) -> str:
    if distance_km is not None:
        return f"{distance_km:.1f} km"
    if in_person_km is not None:
        return f"{in_person_km:.0f} km in person, or remote"
    return "Remote"


def build_service(
    row: Mapping[str, Any],
    routes: Iterable[str],
    contact: Contact,
) -> HandoutService:
    """One handout entry from a presented result row (``presenters.result_row``)."""
    capacity = row["capacity_text"]
    if row.get("statutory") and row.get("freshness", {}).get("stale"):
        # A stale NHS route is still handed out, with the same warning as on screen.
        capacity = f"{capacity}. {row['freshness']['text']}"
    return HandoutService(
        id=row["id"],
        name=row["name"],
        organisation=row["organization"],
        sector=row["sector"],
        demo=bool(row["demo"]),
        therapies=tuple(row["modalities"]),
        distance=row["distance"],
        cost=row["cost"],
        wait=row.get("wait_short") or row["wait"],
        capacity=capacity,
        reasons=why_chosen(row["reasons"]),
        how_to_refer=how_to_refer(routes, contact, row.get("how_to_refer")),
        only_for=row.get("only_for") or "",
    )


def why_chosen(reasons: Iterable[Mapping[str, str]]) -> tuple[str, ...]:
    """The reasons that explain the choice (the facts line already gives cost, wait...)."""
    chosen = [
        reason["text"]
        for reason in reasons
        if reason["code"] != "nice_under_review"
        and (reason["code"] in WHY_CODES or reason["code"].startswith(WHY_PREFIXES))
    ]
    # Joined with semicolons on paper, so only the first starts with a capital.
    return tuple(text if i == 0 else lower_first(text) for i, text in enumerate(chosen))


def _grouped(options: Iterable[NiceOption]) -> list[tuple[str, str, list[str]]]:
    """(patient heading, clinician heading, labels) per status, in NICE's order of preference."""
    by_status: dict[str, list[str]] = {}
    for option in options:
        if option.recommended:
            by_status.setdefault(option.status, []).append(option.label)
    return [
        (heading, short, by_status[status])
        for status, heading, short in STATUS_GROUPS
        if by_status.get(status)
    ]


def nice_choice(advice: NiceAdvice) -> NiceChoice:
    """The options NICE gives for the need, best first, without those NICE advises against."""
    groups = tuple(
        NiceGroup(heading, tuple(labels)) for heading, _, labels in _grouped(advice.options)
    )
    guidelines = tuple(NiceGuideline(g.id, g.title, g.url, g.verified) for g in advice.guidelines)
    return NiceChoice(
        has_guidance=advice.has_guidance,
        message=advice.message,
        groups=groups,
        guidelines=guidelines,
        under_review=not advice.verified,
        ordered=advice.order == "all",
        other_treatments=advice.other_treatments,
    )


def record_text(
    *,
    today: date,
    need: str,
    severity: str,
    age: int | None,
    area: str,
    advice: NiceAdvice,
    services: Sequence[HandoutService],
    routes: Mapping[str, Iterable[str]],
    age_band: str | None = None,
    crisis: Sequence[CrisisLine] = (),
) -> str:
    """A short plain-text note for the clinical record, written for the notes (what was
    agreed, safety-netting), not for the patient. No patient identifiers: the area is an
    outward code or a town, never a full postcode."""
    severity_text = {"less-severe": "less severe ", "more-severe": "more severe "}.get(severity, "")
    bands = {"under-18": ", under 18", "18-plus": ", 18 and over"}
    age_text = f", age {age}" if age is not None else bands.get(age_band or "", "")
    lines = [
        f"Signposting to psychological therapy services (Signpost), {long_date(today)}.",
        f"Presenting need: {severity_text}{need_label(need)}{age_text}. Area searched: {area}.",
    ]
    groups = _grouped(advice.options)
    if advice.has_guidance and groups:
        lines.append("NICE options:")
        lines += [f"- {short}: {', '.join(labels)}" for _, short, labels in groups]
    elif advice.has_guidance:
        lines.append("NICE: no talking therapy named for this situation.")
    else:
        lines.append("NICE: no specific guidance on talking therapy for this need.")
    for guideline in advice.guidelines:
        numbers = dict.fromkeys(
            number
            for option in advice.options
            if option.guideline == guideline.id
            for number in option.recommendations
        )
        line = f"Source: NICE {guideline.id} ({guideline.title})"
        if numbers:
            line += f", recommendations {'; '.join(numbers)}"
        if not guideline.verified:
            line += " [our summary under review]"
        lines.append(line + ".")
    lines.append("Services signposted:")
    for number, service in enumerate(services, start=1):
        route_set = set(routes.get(service.id, ()))
        route_names = ", ".join(referral_short(route_set)) or "not stated"
        lines.append(f"{number}. {service.name} ({service.organisation}, {service.sector}).")
        lines.append(f"   Referral routes: {route_names}. Plan: {agreed_action(route_set)}.")
    lines.append("Handout with NICE options, services and crisis contacts given.")
    if crisis:
        contacts = "; ".join(f"{line.name}: {line.contact}" for line in crisis)
        lines.append(
            "Safety-netting: advised to seek urgent help if things get worse or they feel "
            f"unsafe; crisis contacts given: {contacts}."
        )
    return "\n".join(lines)


def agreed_action(routes: Iterable[str]) -> str:
    """The next step to note: who acts (for the record, not the patient's own words)."""
    route_set = set(routes)
    if "self-referral" in route_set:
        return "patient to self-refer" + (
            " (GP referral also possible)" if "gp-referral" in route_set else ""
        )
    if "gp-referral" in route_set:
        return "GP to refer"
    if "professional-referral" in route_set:
        return "referral by a health or care professional: GP to arrange"
    if "school-referral" in route_set:
        return "referral through school"
    return "patient to contact the service to ask how to start"
