"""Turn search results and listings into what pages and the API show.

Plain-English wording lives here once, so the results page, GP mode, the handout and the
match API never disagree about a cost, a wait or a date.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from geopy.distance import great_circle

from signpost.freshness import freshness
from signpost.matcher.records import ServiceRecord, Site, Wait
from signpost.matcher.results import ChoicePanelRow, RankedService
from signpost.matcher.rules import STATUTORY_SECTORS, low_modalities, service_protocols
from signpost.matcher.texts import only_for
from signpost.nice import Guideline, ModalityUse, get_protocols
from signpost.search.ways_forward import safety_net, urgent_view
from signpost.vocab import get_vocabularies

if TYPE_CHECKING:
    from signpost.models import Service
    from signpost.search.service import SearchOutcome


@dataclass(frozen=True)
class Community:
    slug: str
    name: str


COMMUNITIES = (
    Community("lgbtq", "LGBTQ+ people"),
    Community("women", "Women only"),
    Community("men", "Men"),
    Community("black-and-minority-ethnic", "Black and minority ethnic communities"),
    Community("students", "Students"),
    Community("veterans", "Veterans"),
    Community("older-adults", "Older adults"),
    Community("young-people", "Young people"),
)
COMMUNITY_NAMES = {c.slug: c.name for c in COMMUNITIES}
SECTOR_NAMES = {"nhs": "NHS", "charity": "Charity", "low-cost": "Low-cost clinic"}
REFERRAL_NAMES = {
    "self-referral": "You can refer yourself",
    "gp-referral": "Your GP can refer you",
    "professional-referral": "A health or care professional can refer you",
    "school-referral": "Your school can refer you",
}
NOT_STATED = "Not stated: check with the service"
CAPACITY_NAMES = {
    "accepting": "Taking new referrals",
    "waitlist": "Waiting list open",
    "closed": "Not taking referrals just now",
}
DELIVERY_NAMES = {"in-person": "In person", "video": "Video", "phone": "Phone", "online": "Online"}
PREFERENCE_KEYS = (
    "modality", "relational", "delivery", "max_cost", "self_referral", "language",
    "community", "radius_km",
)  # fmt: skip


def date_settings(config: Mapping[str, Any]) -> dict[str, int]:
    """When listings are flagged or hidden, and when capacity and waits show their date."""
    return {
        "flag_days": int(config["STALE_FLAG_DAYS"]),
        "hide_days": int(config["STALE_HIDE_DAYS"]),
        "date_after_days": int(config.get("CAPACITY_DATE_DAYS", 90)),
    }


def has_preferences(args: Mapping[str, Any]) -> bool:
    return any(args.get(key) not in (None, "", "25") for key in PREFERENCE_KEYS)


def filter_count(args: Any) -> int:
    """How many preferences narrow the search, for "Filter results (3)"."""
    count = 0
    for key in PREFERENCE_KEYS:
        values = [v for v in args.getlist(key) if v not in ("", "false", "any")]
        if key == "radius_km":
            values = [v for v in values if v != "25"]
        count += len(values)
    return count


def cost_with_description(cost: str, description: str | None) -> str:
    """The cost and the provider's own words, without saying the same thing twice
    ("Free. Free on the NHS." becomes "Free on the NHS")."""
    if not description:
        return cost
    words = description.strip().rstrip(".")
    if words.lower().startswith(cost.lower().split(",")[0]):
        return words
    return f"{cost}. {words}"


def long_date(value: date | None) -> str:
    return f"{value.day} {value:%B %Y}" if value else "not known"


def months_ago(value: date, today: date) -> int:
    return max(
        0, (today.year - value.year) * 12 + today.month - value.month - (today.day < value.day)
    )


def cost_text(cost_type: str | None, low: float | None, high: float | None) -> str:
    if cost_type is None:
        return NOT_STATED
    if cost_type == "free":
        return "Free"
    if cost_type == "donation":
        return "Free, donations welcome"
    if cost_type == "sliding-scale":
        if low is not None and high is not None:
            return f"£{low:g} to £{high:g} a session, depending on income"
        return "Pay according to income"
    if low is not None:
        return f"£{low:g} a session"
    return "Fees apply"


def wait_text(wait: Wait | None) -> str:
    """The wait in words, always with the date of the figures."""
    if wait is None or (wait.assessment_weeks is None and wait.treatment_weeks is None):
        return "Wait not published"
    parts = []
    if wait.assessment_weeks is not None:
        parts.append(f"{_about_weeks(wait.assessment_weeks)} to a first appointment")
    if wait.treatment_weeks is not None:
        parts.append(f"{_about_weeks(wait.treatment_weeks)} to start therapy")
    text = " and ".join(parts)
    return f"{text[0].upper()}{text[1:]} (as of {long_date(wait.as_of)})"


def short_wait_text(wait: Wait | None) -> str:
    """The wait for paper: "Wait about 2 weeks to assess, 9 to start (Sep 2026)"."""
    if wait is None or (wait.assessment_weeks is None and wait.treatment_weeks is None):
        return "Wait not published"
    parts = []
    if wait.assessment_weeks is not None:
        parts.append(f"{_about_weeks(wait.assessment_weeks)} to assess")
    if wait.treatment_weeks is not None:
        parts.append(f"{_about_weeks(wait.treatment_weeks)} to start")
    when = f" ({wait.as_of:%b %Y})" if wait.as_of else ""
    return f"Wait {', '.join(parts)}{when}"


def _weeks(n: int) -> str:
    return "1 week" if n == 1 else f"{n} weeks"


STATUTORY_STALE = "details may be out of date: check with your GP"


def _about_weeks(n: int) -> str:
    # "About 0 weeks" reads as a mistake; a zero-week wait means within the week.
    return "under a week" if n == 0 else f"about {_weeks(n)}"


def freshness_view(
    last_verified: date | None,
    today: date,
    flag_days: int = 183,
    hide_days: int = 365,
    *,
    statutory: bool = False,
) -> dict[str, Any]:
    """The "details checked" line; the rule itself is signpost.freshness.

    A statutory (NHS) listing is never hidden for age, so when it is stale the line sends
    the person to their GP, who can confirm the NHS route still exists and how to reach it.
    """
    state = freshness(last_verified, today, flag_days, max(flag_days, hide_days))
    if last_verified is None:
        text = "Never confirmed by the service"
        return {"text": f"{text}: {STATUTORY_STALE}" if statutory else text, "stale": True}
    text = f"Details checked {long_date(last_verified)}"
    if state != "fresh":
        advice = STATUTORY_STALE if statutory else "check with the service"
        text += f", over {months_ago(last_verified, today)} months ago: {advice}"
    return {"text": text, "stale": state != "fresh"}


def dated(as_of: date | None, today: date, date_after_days: int) -> bool:
    """Capacity and waits older than this are shown with their date: they may have changed.
    An unknown date counts as old."""
    return as_of is None or (today - as_of).days > date_after_days


def capacity_view(
    capacity: str | None, as_of: date | None, today: date, date_after_days: int = 90
) -> tuple[str, bool]:
    """ "Taking new referrals", with its date beside it when that is old news."""
    if capacity not in CAPACITY_NAMES:  # not stated: nothing to date
        return NOT_STATED, False
    text = CAPACITY_NAMES[capacity]
    if not dated(as_of, today, date_after_days):
        return text, False
    return f"{text} ({f'as of {long_date(as_of)}' if as_of else 'date not known'})", True


def modality_names(slugs: frozenset[str] | list[str]) -> list[str]:
    vocab = get_vocabularies()
    return [vocab.modalities[s].name for s in sorted(slugs) if s in vocab.modalities]


def panel_row(row: ChoicePanelRow) -> dict[str, Any]:
    option = row.option
    return {
        "label": option.label,
        "modality": option.modality,
        "status": option.status,
        "status_text": STATUS_TEXT.get(option.status, option.status),
        "order": option.order,
        "guideline": option.guideline,
        "recommendations": list(option.recommendations),
        "verified": option.verified,
        "in_reach_count": row.in_reach_count,
        "remote_count": row.remote_count,
        "nearest_km": row.nearest_km,
        "remote_only": row.remote_only,
        "paid_only": row.paid_only,
        "available": row.available,
        "gap": row.gap,
        "text": row.text,
    }


STATUS_TEXT = {
    "first-line": "NICE: first-line option",
    "option": "NICE: an option",
    "alternative": "NICE: an alternative if others do not suit or work",
    "subgroup": "NICE: for some people only",
    "symptom-support": "NICE: only to help manage symptoms, not a cure",
    "not-recommended": "NICE: not recommended as a treatment",
}


def protocol_name(kind: str | None) -> str | None:
    protocol = get_protocols().get(kind) if kind else None
    return protocol.name if protocol else None


def therapy_use(use: ModalityUse, guideline: Guideline) -> dict[str, Any]:
    """One line of a /therapies page: where NICE names this therapy, in the panel's words."""
    vocab = get_vocabularies()
    band = vocab.band(use.age_band)
    low = max(band.min_age, use.min_age or 0)
    high = band.max_age if use.max_age is None else min(use.max_age, band.max_age or use.max_age)
    if low == band.min_age and high == band.max_age:
        who = band.phrase
    elif high is None:
        who = f"people aged {low} and over"
    else:
        who = f"people aged {low} to {high}"
    need = vocab.needs[use.need].name
    if use.severity != "any":
        need = f"{need}, {vocab.name('severities', use.severity).lower()}"
    if use.applies_to:
        need = f"{need}: {use.applies_to[:1].lower()}{use.applies_to[1:]}"
    return {
        "text": f"{need} ({who}): {STATUS_TEXT.get(use.status, use.status)} ({use.guideline})",
        "label": use.label,
        # What NICE names, when this therapy only counts as it (DIT is one form of STPP).
        "via_label": (protocol_name(use.kind) or use.label) if use.via else None,
        "verified": use.verified,
        "review": use.review,
        "other_treatments": list(use.other_treatments),
        "currency_note": guideline.currency_note,
    }


def far_site(
    record: ServiceRecord, origin: tuple[float, float] | None
) -> tuple[float, Site] | None:
    """The nearest in-person site of a service reached remotely (its sites are beyond the
    search radius), so a rural person still learns face-to-face help exists further away."""
    if origin is None or "in-person" not in record.delivery:
        return None
    found: tuple[float, Site] | None = None
    for site in record.sites:
        km = great_circle(origin, (site.latitude, site.longitude)).km
        if found is None or km < found[0]:
            found = (km, site)
    return found


def where_text(
    ranked: RankedService, origin: tuple[float, float] | None
) -> tuple[str, float | None]:
    """Where the service is, in words, and the distance to its nearest in-person site."""
    if ranked.distance_km is not None:
        return f"{ranked.distance_km:.1f} km away", ranked.distance_km
    far = far_site(ranked.record, origin)
    if far is not None:
        km, site = far
        place = (site.name or "").split(", ", 1)[-1] or site.postcode or "its nearest site"
        return f"In person at {place}, {km:.0f} km away, or remotely", km
    return "Remote only", None


def result_row(
    ranked: RankedService,
    today: date,
    flag_days: int,
    hide_days: int = 365,
    date_after_days: int = 90,
    origin: tuple[float, float] | None = None,
) -> dict[str, Any]:
    record = ranked.record
    statutory = record.sector in STATUTORY_SECTORS
    # The listing's last confirmation covers its capacity: the provider said so then.
    capacity_text, capacity_dated = capacity_view(
        record.capacity, record.last_verified, today, date_after_days
    )
    wait = record.overall_wait()
    wait_dated = wait is not None and dated(wait.as_of, today, date_after_days)
    where, in_person_km = where_text(ranked, origin)
    return {
        "id": record.id,
        "name": record.name,
        "url": record.url,
        "organization": record.organization_name,
        "sector": SECTOR_NAMES.get(record.sector, NOT_STATED),
        "modalities": modality_names(record.modalities),
        "reasons": [{"code": r.code, "text": r.text} for r in ranked.reasons],
        "distance": where,
        "distance_km": ranked.distance_km,
        "in_person_km": in_person_km,
        "site": ranked.site,
        "delivery": [DELIVERY_NAMES[d] for d in sorted(record.delivery) if d in DELIVERY_NAMES],
        "cost": cost_text(record.cost_type, record.cost_min_gbp, record.cost_max_gbp),
        "referral": [
            REFERRAL_NAMES[r] for r in sorted(record.referral_routes) if r in REFERRAL_NAMES
        ],
        "self_referral": "self-referral" in record.referral_routes,
        "how_to_refer": record.how_to_refer,
        "wait": wait_text(wait),
        "wait_dated": wait_dated,
        "wait_short": short_wait_text(wait),
        "capacity": record.capacity,
        "capacity_text": capacity_text,
        "capacity_dated": capacity_dated,
        "statutory": statutory,
        "freshness": freshness_view(
            record.last_verified, today, flag_days, hide_days, statutory=statutory
        ),
        "nice_status": ranked.nice_option.status if ranked.nice_option else None,
        "nice_label": ranked.nice_option.label if ranked.nice_option else None,
        "beyond_radius": ranked.beyond_radius,
        "demo": record.demo,
        "only_for": only_for(record.eligibility, record.eligibility_note),
        "low_intensity": "low_intensity" in ranked.reason_codes,
    }


def advice_paragraphs(summaries: tuple[str, ...], rest: str) -> list[str]:
    """The "in more detail" paragraphs: each summary once, then whatever the advice message
    adds beyond them (the message already quotes the summaries)."""
    extra = rest
    for summary in summaries:
        extra = extra.replace(summary, " ")
    extra = " ".join(extra.split())
    return [*summaries, *([extra] if extra else [])]


def present(
    found: SearchOutcome,
    today: date,
    flag_days: int = 183,
    hide_days: int = 365,
    date_after_days: int = 90,
) -> dict[str, Any]:
    vocab = get_vocabularies()
    outcome = found.outcome
    need = vocab.needs[found.params.need]
    headline, _, rest = outcome.advice.message.partition(". ")
    return {
        "need_name": need.name,
        "advice_headline": headline + ("." if rest else ""),
        "advice_more": advice_paragraphs(outcome.advice.summaries, rest),
        "location": found.location,
        "advice": outcome.advice,
        "panel": [panel_row(row) for row in outcome.panel],
        "results": [
            result_row(
                r,
                today,
                flag_days,
                hide_days,
                date_after_days,
                (found.location.latitude, found.location.longitude),
            )
            for r in found.page_results
        ],
        "page": found.params.page,
        "page_count": found.page_count,
        "first_rank": (found.params.page - 1) * found.params.limit + 1,
        "total": outcome.total_eligible,
        "widened": outcome.widened,
        "not_nearby": [
            row.label for row in outcome.panel if row.gap and row.nearest_in_person_km is None
        ],
        "further_away": [
            f"{row.label} (nearest {row.nearest_in_person_km:.0f} km)"
            for row in outcome.panel
            if row.gap and row.nearest_in_person_km is not None
        ],
        "query_pairs": found.params.to_query(),
        "urgent": urgent_view(found.params.need, outcome.query.age_range, outcome.query.nation),
        **safety_net(
            found.params, outcome.query.age_range, not outcome.results, outcome.query.nation
        ),
        "order_notes": order_notes(outcome),
    }


def order_notes(outcome: Any) -> list[str]:
    """Why the list is in this order, when the order is more than points: low-intensity
    services after the rest for more severe or unsure, and services only for some people last."""
    codes = {code for ranked in outcome.results for code in ranked.reason_codes}
    notes = []
    if "low_intensity" in codes:
        if outcome.query.severity == "unsure":
            notes.append(
                "You are not sure how much this affects your daily life, so it may be more "
                "severe. Services with one-to-one time with a therapist come first; guided "
                "self-help and courses come after them."
            )
        else:
            notes.append(
                "For more severe problems NICE suggests therapy with more time from a "
                "therapist, so guided self-help and courses come after those services."
            )
    if "eligibility_only_for" in codes:
        notes.append(
            "Services only for some people (for example veterans, or people who are pregnant) "
            'come last, saying who they are for. Answer "Do any of these apply to you?" to '
            "see only the ones you can use."
        )
    return notes


def service_summary(record: ServiceRecord) -> dict[str, Any]:
    """The match API's service summary (PRODUCT §6); optional fields omitted, never null."""
    wait = record.overall_wait()
    summary: dict[str, Any] = {
        "id": record.id,
        "name": record.name,
        "url": record.url,
        "organization": {"id": record.organization_id, "name": record.organization_name},
        "modalities": sorted(record.modalities),
        "needs": sorted(record.needs),
        "formats": sorted(record.formats),
        "delivery": sorted(record.delivery),
        "referral_routes": sorted(record.referral_routes),
        "cost": {},
        "demo": record.demo,
    }
    # Not stated stays absent: an imported listing is never republished as free or accepting.
    if record.sector is not None:
        summary["organization"]["sector"] = record.sector
    if record.cost_type is not None:
        summary["cost"]["type"] = record.cost_type
    if record.capacity is not None:
        summary["capacity"] = record.capacity
    if record.minimum_age is not None:
        summary["minimum_age"] = record.minimum_age
    if record.maximum_age is not None:
        summary["maximum_age"] = record.maximum_age
    if record.cost_min_gbp is not None:
        summary["cost"]["min_gbp"] = record.cost_min_gbp
    if record.cost_max_gbp is not None:
        summary["cost"]["max_gbp"] = record.cost_max_gbp
    if wait is not None:
        waits: dict[str, Any] = {}
        if wait.assessment_weeks is not None:
            waits["assessment_weeks"] = wait.assessment_weeks
        if wait.treatment_weeks is not None:
            waits["treatment_weeks"] = wait.treatment_weeks
        if wait.as_of is not None:
            waits["as_of"] = wait.as_of.isoformat()
        summary["waits"] = waits
    if record.last_verified is not None:
        summary["last_verified"] = record.last_verified.isoformat()
    summary["intensity"] = {
        m: "low" if m in low_modalities(record) else "high" for m in sorted(record.modalities)
    }
    protocols = service_protocols(record)
    if protocols:
        summary["protocols"] = sorted(protocols)
    if record.eligibility:
        summary["eligibility"] = sorted(record.eligibility)
        summary["only_for"] = only_for(record.eligibility, record.eligibility_note)
        if record.eligibility_note:
            summary["eligibility_note"] = record.eligibility_note
    return summary


NATION_NAMES = {
    "england": "England",
    "wales": "Wales",
    "scotland": "Scotland",
    "northern-ireland": "Northern Ireland",
}


def _and_list(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def catchment_text(
    national: bool, areas: list[tuple[str, str, str | None]], radius_km: float | None
) -> str | None:
    """Who a service is for by where they live, in words: (kind, value, description) rows.

    The listing's own description ("People living in Cornwall and the Isles of Scilly")
    wins; otherwise the codes are put into a sentence, never printed raw.
    """
    described = next((d for _, _, d in areas if d), None)
    if described:
        return described
    if national:
        nations = [NATION_NAMES[v] for k, v, _ in areas if k == "national" and v in NATION_NAMES]
        if not nations or len(nations) == len(NATION_NAMES):
            return "Anywhere in the UK"
        if set(nations) == {"England", "Wales", "Scotland"}:
            return "Anywhere in Great Britain"
        return f"Anywhere in {_and_list(nations)}"
    codes = [v for k, v, _ in areas if k in ("postcode-area", "postcode-district") and v]
    if codes:
        shown = codes if len(codes) <= 6 else [*codes[:5], f"{len(codes) - 5} more"]
        return f"People living in postcode areas {_and_list(shown)}"
    if radius_km is None:
        radius_km = next(
            (float(v) for k, v, _ in areas if k == "radius" and v.replace(".", "").isdigit()), None
        )
    if radius_km is not None:
        return f"People living within {radius_km:g} km of where the service is"
    return None


def present_service(
    service: Service,
    today: date,
    flag_days: int = 183,
    hide_days: int = 365,
    date_after_days: int = 90,
) -> dict[str, Any]:
    vocab = get_vocabularies()
    statutory = service.organization.sector in STATUTORY_SECTORS
    overall = next((w for w in service.waits if w.modality is None), None)
    per_modality = [
        {
            "name": vocab.modalities[w.modality].name
            if w.modality in vocab.modalities
            else w.modality,
            "text": wait_text(
                Wait(w.assessment_weeks, w.treatment_weeks, w.as_of, w.source, w.modality)
            ),
        }
        for w in service.waits
        if w.modality is not None
    ]
    return {
        "sector": SECTOR_NAMES.get(service.organization.sector, NOT_STATED),
        "modalities": [vocab.modalities[m] for m in service.modalities if m in vocab.modalities],
        "needs": [vocab.needs[n].name for n in service.needs if n in vocab.needs],
        "delivery": [DELIVERY_NAMES[d] for d in service.delivery if d in DELIVERY_NAMES],
        "formats": [vocab.name("formats", f) for f in service.formats],
        "referral": [REFERRAL_NAMES[r] for r in service.referral_routes if r in REFERRAL_NAMES],
        "self_referral": "self-referral" in service.referral_routes,
        "cost": cost_text(service.cost_type, service.cost_min_gbp, service.cost_max_gbp),
        "wait": wait_text(
            Wait(overall.assessment_weeks, overall.treatment_weeks, overall.as_of, overall.source)
            if overall
            else None
        ),
        "modality_waits": per_modality,
        "capacity_text": capacity_view(
            service.capacity, service.last_verified_on, today, date_after_days
        )[0],
        "freshness": freshness_view(
            service.last_verified_on, today, flag_days, hide_days, statutory=statutory
        ),
        "communities": [COMMUNITY_NAMES.get(c, c) for c in service.community_list],
        "cost_full": cost_with_description(
            cost_text(service.cost_type, service.cost_min_gbp, service.cost_max_gbp),
            service.cost_description,
        ),
        "catchment": catchment_text(
            service.catchment_national or any(a.kind == "national" for a in service.areas),
            [(a.kind, a.value, a.description) for a in service.areas],
            service.catchment_radius_km,
        ),
        "ages": (
            NOT_STATED
            if service.ages_not_stated
            else age_text(service.minimum_age, service.maximum_age)
        ),
        "only_for": only_for(frozenset(service.eligibility_list), service.eligibility_note),
        "low_intensity": [
            vocab.modalities[m].name
            for m in sorted(
                vocab.low_intensity_modalities(service.modalities, service.low_intensity_modalities)
            )
            if m in vocab.modalities
        ],
        "protocols": [
            vocab.protocols[p].name
            for p in sorted(vocab.effective_protocols(service.protocol_list, service.modalities))
        ],
    }


def age_text(low: int | None, high: int | None) -> str:
    if low is None and high is None:
        return "All ages"
    if high is None:
        return f"Aged {low} and over"
    if low is None or low == 0:
        return f"Up to age {high}"
    return f"Aged {low} to {high}"
