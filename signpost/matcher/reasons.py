"""Turn what the matcher knows about one result into reasons a person can read."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from signpost.matcher import rules as r
from signpost.matcher.query import MatchQuery
from signpost.matcher.records import ServiceRecord
from signpost.matcher.results import ChoicePanelRow, RankedService, Reason
from signpost.matcher.scoring import ScoringRules
from signpost.matcher.texts import (
    GUIDELINE_CONTEXT,
    NO_GUIDANCE_TEXT,
    ages_ago,
    community_label,
    eligibility_names,
    format_gbp,
    format_km,
    join_words,
    long_date,
    modality_label,
    need_context,
    only_for,
    plural,
    remote_phrase,
)

if TYPE_CHECKING:
    from signpost.nice import NiceAdvice, NiceOption


def nice_reasons(option: NiceOption | None, advice: NiceAdvice) -> list[Reason]:
    if not advice.has_guidance:
        return [Reason("no_nice_guidance", NO_GUIDANCE_TEXT)]
    context = need_context(advice.need, advice.severity)
    if option is None:
        return [Reason("nice_not_listed", f"Not one of the therapies NICE lists for {context}")]
    context = GUIDELINE_CONTEXT.get(option.guideline, context)
    source = f" ({option.guideline})" if option.guideline else ""
    texts = {
        "first-line": ("nice_first_line", f"NICE first-line option for {context}{source}"),
        "option": ("nice_option", f"NICE option for {context}{source}"),
        "alternative": (
            "nice_alternative",
            f"NICE alternative for {context} if the first options do not suit{source}",
        ),
        "subgroup": ("nice_subgroup", f"NICE option for some people with {context}{source}"),
        "symptom-support": (
            "nice_symptom_support",
            f"NICE: may help manage symptoms of {context}, not a cure{source}",
        ),
        "not-recommended": (
            "nice_not_recommended",
            f"NICE does not recommend {option.label} for {context}{source}",
        ),
    }
    code, text = texts.get(
        option.status, ("nice_listed", f"In NICE guidance for {context}{source}")
    )
    # Whether our summary is confirmed is said once, on the choice panel, not on every result.
    return [Reason(code, text)]


def eligibility_reason(record: ServiceRecord, query: MatchQuery) -> Reason | None:
    state = r.eligibility_state(record, query)
    if state == r.MET:
        names = eligibility_names(record.eligibility, record.eligibility_note)
        return Reason("eligibility_met", f"For {names}, as you said")
    if state == r.IMPLIED:
        text = only_for(record.eligibility, record.eligibility_note)
        return Reason("eligibility_check", f"{text}: check this applies to you")
    if state == r.UNSTATED:
        text = only_for(record.eligibility, record.eligibility_note)
        return Reason("eligibility_only_for", f"{text}, so listed after services open to all")
    return None


def intensity_reason(record: ServiceRecord, query: MatchQuery) -> Reason | None:
    if not r.strict_intensity(query) or not r.low_intensity_only(record):
        return None
    if query.severity == "more-severe":
        why = "for more severe problems NICE suggests therapy with more time from a therapist"
    else:
        why = (
            "if your problems may be more severe, NICE suggests therapy with more time "
            "from a therapist first"
        )
    return Reason(
        "low_intensity", f"Low-intensity help, such as guided self-help or courses: {why}"
    )


def generic_reason(record: ServiceRecord, query: MatchQuery, advice: NiceAdvice) -> Reason | None:
    found = r.generic_modality(advice, record, query.age)
    if found is None:
        return None
    modality, _ = found
    label = modality_label(modality)
    return Reason(
        "nice_generic",
        f"{label[0].upper()}{label[1:]}, not the specific therapy NICE names for this",
    )


def preference_reasons(record: ServiceRecord, query: MatchQuery) -> list[Reason]:
    reasons = []
    named = r.named_matches(record, query)
    if named:
        therapies = join_words([modality_label(slug) for slug in named])
        reasons.append(Reason("preference_modality", f"Offers {therapies}, which you asked for"))
    if query.relational and r.offers_relational(record):
        reasons.append(Reason("preference_relational", "A relational therapy, as you asked"))
    if query.community and r.serves_community(record, query.community):
        label = community_label(query.community)
        reasons.append(Reason("preference_community", f"Has a focus on {label}, as you asked"))
    return reasons


def access_reasons(
    record: ServiceRecord,
    query: MatchQuery,
    *,
    distance_km: float | None,
    beyond_radius: bool,
    remote_credit: bool,
) -> list[Reason]:
    reasons = []
    if distance_km is not None and beyond_radius:
        reasons.append(Reason("further_away", f"Further away: {format_km(distance_km)}"))
    elif distance_km is not None:
        reasons.append(Reason("distance", f"{format_km(distance_km)} away"))
    if remote_credit:
        phrase = remote_phrase(r.remote_modes(record, query))
        prefix = "Available" if distance_km is None else "Also available"
        reasons.append(Reason("remote", f"{prefix} {phrase}"))
    routes = record.referral_routes
    if "self-referral" in routes:
        reasons.append(Reason("self_referral", "You can refer yourself"))
    if "gp-referral" in routes:
        reasons.append(Reason("gp_referral", "Your GP can refer you"))
    if "school-referral" in routes:
        reasons.append(Reason("school_referral", "Your school can refer you"))
    if "professional-referral" in routes and not routes & {"self-referral", "gp-referral"}:
        reasons.append(
            Reason("professional_referral", "Needs a referral from a health or care professional")
        )
    return reasons


def cost_reason(record: ServiceRecord, rules: ScoringRules) -> Reason:
    if record.cost_type == "free":
        return Reason("cost_free", "Free")
    if record.cost_type == "donation":
        return Reason("cost_donation", "Free, donations welcome")
    low, high = record.cost_min_gbp, record.cost_max_gbp
    price = r.effective_price(record)
    code = "cost_low" if price is not None and price <= rules.cost_low_gbp else "cost_paid"
    if record.cost_type == "sliding-scale":
        if low is not None and high is not None and high > low:
            text = f"{format_gbp(low)} to {format_gbp(high)} a session (sliding scale)"
        elif price is not None:
            text = f"From {format_gbp(price)} a session (sliding scale)"
        else:
            text = "Sliding scale: ask about the cost"
    elif price is not None:
        text = f"{format_gbp(price)} a session"
    else:
        return Reason("cost_unknown", "Cost not stated: check with the service")
    return Reason(code, text)


def wait_reason(record: ServiceRecord, rules: ScoringRules) -> Reason:
    weeks, stage, wait = r.wait_figure(record)
    if weeks is None or wait is None:
        return Reason("wait_unknown", "Wait time not known")
    checked = f", checked {long_date(wait.as_of)}" if wait.as_of else ""
    what = "to start" if stage == "start" else "for a first assessment"
    if weeks <= 0:
        text = f"No wait {what}{checked}"
    else:
        text = f"Wait about {plural(weeks, 'week', 'weeks')} {what}{checked}"
    if weeks <= rules.wait_short_weeks:
        code = "wait_short"
    elif weeks >= rules.wait_long_weeks:
        code = "wait_long"
    else:
        code = "wait"
    return Reason(code, text)


def capacity_reason(record: ServiceRecord) -> Reason | None:
    if record.capacity == "accepting":
        return Reason("capacity_accepting", "Taking new referrals")
    if record.capacity == "waitlist":
        return Reason("capacity_waitlist", "Waiting list open")
    if record.capacity == "closed":
        return Reason("capacity_closed", "Not taking new referrals at the moment")
    if record.capacity is None:
        return Reason("capacity_unknown", "Capacity not stated: check with the service")
    return None


def build_reasons(
    record: ServiceRecord,
    query: MatchQuery,
    advice: NiceAdvice,
    rules: ScoringRules,
    *,
    nice_option: NiceOption | None,
    distance_km: float | None,
    beyond_radius: bool,
    remote_credit: bool,
) -> tuple[Reason, ...]:
    """Reasons in a fixed order: who it is for, NICE fit, preference, fit, access, cost, wait,
    status. ``lead_reasons`` then moves the one that sets it above the next result first."""
    reasons: list[Reason] = []
    eligibility = eligibility_reason(record, query)
    if eligibility is not None:
        reasons.append(eligibility)
    intensity = intensity_reason(record, query)
    if intensity is not None:
        reasons.append(intensity)
    generic = generic_reason(record, query, advice) if nice_option is None else None
    reasons += [generic] if generic is not None else nice_reasons(nice_option, advice)
    reasons += preference_reasons(record, query)
    if r.is_specialist(record, query.need, rules):
        reasons.append(Reason("specialist", f"Specialises in {need_context(query.need, '')}"))
    reasons += access_reasons(
        record,
        query,
        distance_km=distance_km,
        beyond_radius=beyond_radius,
        remote_credit=remote_credit,
    )
    reasons.append(cost_reason(record, rules))
    reasons.append(wait_reason(record, rules))
    capacity = capacity_reason(record)
    if capacity is not None:
        reasons.append(capacity)
    days = r.days_since_verified(record, query)
    if days is not None and days > query.flag_after_days:
        reasons.append(Reason("stale_flag", f"Details checked {ages_ago(days)}"))
    return tuple(reasons)


def panel_text(
    *,
    in_reach: int,
    remote: int,
    nearest_km: float | None,
    paid_only: bool,
    radius_km: float,
    nearest_beyond_km: float | None,
    nearest_in_person_km: float | None = None,
) -> str:
    if in_reach == 0 and nearest_in_person_km is not None:
        text = f"In person further away: nearest {format_km(nearest_in_person_km)}"
        if remote:
            text += f"; or {remote} by video, phone or online"
        return f"{text}, all paid" if paid_only else text
    if in_reach == 0 and remote == 0:
        if nearest_beyond_km is not None:
            return f"Not available near you; nearest {format_km(nearest_beyond_km)} away"
        return "Not available near you"
    remote_part = f"{remote} by video, phone or online"
    if in_reach == 0:
        text = f"Only available remotely: {remote_part}"
        return f"{text}, all paid" if paid_only else text
    text = f"{plural(in_reach, 'service', 'services')} within {radius_km:g} km"
    if nearest_km is not None:
        text += f", nearest {format_km(nearest_km)}"
    if remote:
        text += f"; {remote_part}"
    return f"Only paid options near you: {text}" if paid_only else text


def make_panel_row(
    option: NiceOption,
    *,
    in_reach: int,
    remote: int,
    nearest_km: float | None,
    paid_only: bool,
    radius_km: float,
    nearest_beyond_km: float | None,
    far_in_person_km: float | None = None,
) -> ChoicePanelRow:
    available = in_reach + remote > 0
    in_person_further = None
    if in_reach == 0:
        known = [km for km in (far_in_person_km, nearest_beyond_km) if km is not None]
        in_person_further = min(known, default=None)
    return ChoicePanelRow(
        option=option,
        in_reach_count=in_reach,
        remote_count=remote,
        nearest_km=nearest_km,
        remote_only=in_reach == 0 and remote > 0,
        paid_only=available and paid_only,
        available=available,
        text=panel_text(
            in_reach=in_reach,
            remote=remote,
            nearest_km=nearest_km,
            paid_only=available and paid_only,
            radius_km=radius_km,
            nearest_beyond_km=None if available else nearest_beyond_km,
            nearest_in_person_km=in_person_further,
        ),
        nearest_beyond_km=None if available else nearest_beyond_km,
        nearest_in_person_km=in_person_further,
    )


def _nice_points(result: RankedService, rules: ScoringRules) -> float:
    option = result.nice_option
    return r.option_points(option, rules) if option is not None else 0.0


def _weeks(result: RankedService) -> float:
    weeks, _, _ = r.wait_figure(result.record)
    return float("inf") if weeks is None else float(weeks)


def _lead_codes(
    this: RankedService, below: RankedService, query: MatchQuery, rules: ScoringRules
) -> tuple[str, ...]:
    """Codes of the reasons that set ``this`` above ``below``, most telling first."""
    if r.eligibility_state(this.record, query) == r.UNSTATED:
        return ("eligibility_only_for",)
    if r.intensity_tier(this.record, query):
        return ("low_intensity",)
    if _nice_points(this, rules) > _nice_points(below, rules):
        return ("nice_first_line", "nice_option", "nice_alternative", "nice_subgroup")
    preferences = [c for c in this.reason_codes if c.startswith("preference_")]
    if len(preferences) > len([c for c in below.reason_codes if c.startswith("preference_")]):
        return tuple(preferences)
    if this.distance_km is not None and (
        below.distance_km is None or this.distance_km < below.distance_km
    ):
        return ("distance",)
    if _weeks(this) < _weeks(below):
        return ("wait_short", "wait")
    return ("eligibility_met",)


def lead_reasons(
    results: Sequence[RankedService], query: MatchQuery, rules: ScoringRules
) -> tuple[RankedService, ...]:
    """Put first the reason this result is above the next: its NICE option and place, a
    preference met, nearer, a shorter wait, eligibility met. A restricted service the person
    has not said they qualify for, and a low-intensity one for more severe, lead with that."""
    out = []
    for i, result in enumerate(results):
        below = results[i + 1] if i + 1 < len(results) else None
        codes = _lead_codes(result, below, query, rules) if below is not None else ()
        if below is None:
            codes = tuple(
                c for c in ("eligibility_only_for", "low_intensity") if c in result.reason_codes
            )
        lead = [reason for reason in result.reasons if reason.code in codes][:1]
        if lead:
            rest = tuple(reason for reason in result.reasons if reason is not lead[0])
            result = replace(result, reasons=(lead[0], *rest))
        out.append(result)
    return tuple(out)
