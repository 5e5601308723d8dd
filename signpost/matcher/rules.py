"""The matcher's rules for one service at a time.

The fast path (``index``/``engine``) applies the same rules to numpy arrays; the naive path and
the reason texts use these functions directly, and the tests check the two agree.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

from signpost.matcher.query import REMOTE_MODES, MatchQuery
from signpost.matcher.records import ServiceRecord, Wait
from signpost.matcher.scoring import ScoringRules
from signpost.nice import satisfies
from signpost.vocab import get_vocabularies

if TYPE_CHECKING:
    from signpost.nice import NiceAdvice, NiceOption

# geopy's mean Earth radius, so the fast haversine and geopy's great_circle agree.
EARTH_RADIUS_KM = 6371.009
FREE_COSTS = frozenset({"free", "donation"})
PAID_COSTS = frozenset({"sliding-scale", "fixed"})
ENGLISH = frozenset({"english", "en", "eng"})
NOT_SURE = "not-sure"
# Statutory services (the NHS route: Talking Therapies, CAMHS, early intervention, eating
# disorder and perinatal teams, crisis teams) are never hidden for being out of date: a stale
# NHS listing is shown with a "check with your GP" flag, because hiding it can leave someone
# at risk with only charity or paid options.
STATUTORY_SECTORS = frozenset({"nhs"})
# Severities where a low-intensity offer earns no NICE credit: "unsure" may be more severe.
STRICT_SEVERITIES = frozenset({"more-severe", "unsure"})


def quantise(value: float) -> float:
    """Round to 3 decimals the same way in Python and numpy.

    Distances are compared and scored after this, so the fast haversine and geopy's formula,
    which differ in the last bits, give identical rankings.
    """
    # Snap to 1e-9 first: geopy and the haversine differ in the last bits, and a distance
    # exactly on a half-metre (5.4375 km) would otherwise round up in one and down in the other.
    snapped = math.floor(value * 1e9 + 0.5) / 1e9
    return math.floor(snapped * 1000.0 + 0.5) / 1000.0


def far_site_km(record: ServiceRecord, query: MatchQuery) -> float | None:
    """Distance to the nearest site of a service the person reaches remotely, when it also
    sees people in person: face-to-face help further away, not "not available"."""
    if not query.accepts_in_person or "in-person" not in service_delivery(record):
        return None
    lat1, lon1 = math.radians(query.latitude), math.radians(query.longitude)
    best: float | None = None
    for site in record.sites:
        if not (math.isfinite(site.latitude) and math.isfinite(site.longitude)):
            continue
        lat2, lon2 = math.radians(site.latitude), math.radians(site.longitude)
        a = (
            math.sin((lat2 - lat1) / 2) ** 2
            + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
        )
        km = quantise(2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a))))
        best = km if best is None else min(best, km)
    return best


def service_delivery(record: ServiceRecord) -> frozenset[str]:
    # A listing without delivery modes is taken to be in person, the conservative reading.
    return record.delivery or frozenset({"in-person"})


def is_free(record: ServiceRecord) -> bool:
    return record.cost_type in FREE_COSTS


def is_paid(record: ServiceRecord) -> bool:
    return not is_free(record)


def effective_price(record: ServiceRecord) -> float | None:
    """The lowest price a session can cost, or None when unknown."""
    if is_free(record):
        return 0.0
    if record.cost_min_gbp is not None:
        return float(record.cost_min_gbp)
    if record.cost_max_gbp is not None:
        return float(record.cost_max_gbp)
    return None


def within_cost_cap(record: ServiceRecord, max_cost: float | None) -> bool:
    if max_cost is None or is_free(record):
        return True
    if max_cost == 0:
        return False
    price = effective_price(record)
    return price is not None and price <= max_cost


def need_ok(record: ServiceRecord, need: str) -> bool:
    return need == NOT_SURE or need in record.needs


def age_ok(record: ServiceRecord, age_range: tuple[int, int]) -> bool:
    """The service takes someone of this age (or, for an age band, someone in the band)."""
    youngest, oldest = age_range
    if record.minimum_age is not None and oldest < record.minimum_age:
        return False
    return record.maximum_age is None or youngest <= record.maximum_age


def language_ok(record: ServiceRecord, language: str | None) -> bool:
    if language is None:
        return True
    spoken = {lang.strip().lower() for lang in record.languages}
    if language in ENGLISH:
        # A listing that names no language is taken to work in English.
        return not spoken or bool(spoken & ENGLISH)
    return language in spoken


def days_since_verified(record: ServiceRecord, query: MatchQuery) -> int | None:
    if record.last_verified is None:
        return None
    return max(0, query.today.toordinal() - record.last_verified.toordinal())


def is_stale(record: ServiceRecord, query: MatchQuery) -> bool:
    days = days_since_verified(record, query)
    return days is None or days > query.stale_after_days


def is_statutory(record: ServiceRecord) -> bool:
    return record.sector in STATUTORY_SECTORS


def hidden_for_staleness(record: ServiceRecord, query: MatchQuery) -> bool:
    """Only non-statutory listings leave the results when very stale."""
    return is_stale(record, query) and not is_statutory(record)


# -- eligibility ----------------------------------------------------------------------------

OPEN = "open"  # not restricted
MET = "met"  # restricted, and the person said every restriction applies
IMPLIED = "implied"  # restricted, not answered, but the need says it (psychosis: first episode)
UNSTATED = "unstated"  # restricted and the person did not answer: shown below open services
EXCLUDED = "excluded"  # the person answered and a restriction does not apply: never shown


@lru_cache(maxsize=64)
def implied_circumstances(need: str) -> frozenset[str]:
    """Eligibility the need itself says, used only when the person did not answer."""
    return frozenset(
        slug
        for slug, item in get_vocabularies().eligibility.items()
        if need in item.implied_by_needs
    )


def eligibility_state(record: ServiceRecord, query: MatchQuery) -> str:
    if not record.eligibility:
        return OPEN
    if query.circumstances is not None:
        return MET if record.eligibility <= frozenset(query.circumstances) else EXCLUDED
    return IMPLIED if record.eligibility <= implied_circumstances(query.need) else UNSTATED


def eligibility_ok(record: ServiceRecord, query: MatchQuery) -> bool:
    return eligibility_state(record, query) != EXCLUDED


def eligibility_tier(record: ServiceRecord, query: MatchQuery) -> int:
    """1 puts a service below every open one: the person has not said they qualify."""
    return 1 if eligibility_state(record, query) == UNSTATED else 0


# -- intensity and protocols --------------------------------------------------------------


def strict_intensity(query: MatchQuery) -> bool:
    """More severe, or possibly so: low-intensity offers earn no NICE credit."""
    return query.severity in STRICT_SEVERITIES and query.need != NOT_SURE


@lru_cache(maxsize=4096)
def _low(modalities: frozenset[str], declared_low: frozenset[str]) -> frozenset[str]:
    return get_vocabularies().low_intensity_modalities(modalities, declared_low)


def low_modalities(record: ServiceRecord) -> frozenset[str]:
    return _low(record.modalities, record.low_intensity)


def high_modalities(record: ServiceRecord) -> frozenset[str]:
    return record.modalities - low_modalities(record)


def low_intensity_only(record: ServiceRecord) -> bool:
    """Every therapy it offers is low intensity (guided self-help, courses, digital)."""
    return bool(record.modalities) and not high_modalities(record)


def intensity_tier(record: ServiceRecord, query: MatchQuery) -> int:
    """1 puts a low-intensity-only service below the others for more severe or unsure."""
    return 1 if strict_intensity(query) and low_intensity_only(record) else 0


@lru_cache(maxsize=4096)
def _protocols(declared: frozenset[str], modalities: frozenset[str]) -> frozenset[str]:
    return get_vocabularies().effective_protocols(declared, modalities)


def service_protocols(record: ServiceRecord) -> frozenset[str]:
    """Protocols it delivers: declared, implied by a modality that is one when offered at high
    intensity (an applied relaxation course is not the therapist-led protocol), and counts_as."""
    return _protocols(record.protocols, high_modalities(record))


def protocol_option(option: NiceOption) -> bool:
    """NICE names a specific protocol: only services declaring it are credited."""
    return option.kind is not None and option.kind in get_vocabularies().protocols


def low_option(option: NiceOption) -> bool:
    """A NICE option that is itself low intensity (guided self-help)."""
    vocab = get_vocabularies()
    if protocol_option(option):
        return vocab.protocols[str(option.kind)].intensity == "low"
    modality = vocab.modalities.get(option.modality)
    return modality is not None and modality.intensity == "low"


def passes_static_filters(record: ServiceRecord, query: MatchQuery) -> bool:
    """Every hard filter that does not depend on where the person is."""
    return (
        eligibility_ok(record, query)
        and need_ok(record, query.need)
        and age_ok(record, query.age_range)
        and within_cost_cap(record, query.max_cost)
        and (not query.self_referral or "self-referral" in record.referral_routes)
        and language_ok(record, query.language)
        and (query.include_closed or record.capacity != "closed")
        and not hidden_for_staleness(record, query)
    )


def catchment_restricted(record: ServiceRecord) -> bool:
    return not record.catchment_national and (
        bool(record.catchment_areas) or record.catchment_radius_km is not None
    )


def nation_ok(record: ServiceRecord, query: MatchQuery) -> bool:
    """A national service covers the person's nation (an unknown nation is not excluded)."""
    return not record.nations or query.nation is None or query.nation in record.nations


def covers_explicitly(record: ServiceRecord, query: MatchQuery, nearest_km: float | None) -> bool:
    """The service says it serves where the person is (needed to reach them remotely)."""
    if record.catchment_national:
        return nation_ok(record, query)
    areas = {code.strip().upper().replace(" ", "") for code in record.catchment_areas}
    if (query.outcode and query.outcode in areas) or (query.area and query.area in areas):
        return True
    radius = record.catchment_radius_km
    return radius is not None and nearest_km is not None and nearest_km <= radius


def catchment_ok(record: ServiceRecord, query: MatchQuery, nearest_km: float | None) -> bool:
    if not nation_ok(record, query):
        return False
    return not catchment_restricted(record) or covers_explicitly(record, query, nearest_km)


def remote_modes(record: ServiceRecord, query: MatchQuery) -> frozenset[str]:
    """Remote modes the service offers that the person would use."""
    return service_delivery(record) & REMOTE_MODES & query.accepted_remote_modes


def in_person_ok(record: ServiceRecord, query: MatchQuery) -> bool:
    return query.accepts_in_person and "in-person" in service_delivery(record)


def delivery_ok(record: ServiceRecord, query: MatchQuery) -> bool:
    return not query.delivery or bool(service_delivery(record) & frozenset(query.delivery))


def modality_satisfies(service_modality: str, target: str | NiceOption, age: int | None) -> bool:
    """A service's therapy counts as the one the person named (a slug) or as a NICE option
    (the option itself, so its kind counts: DIT satisfies only short-term psychodynamic)."""
    return satisfies(service_modality, target, age)


def offers_option(
    option: NiceOption, record: ServiceRecord, age: int | None, strict: bool = False
) -> bool:
    """The service delivers this NICE option: the named protocol when NICE names one, else a
    modality that counts as it; when ``strict``, a low-intensity offer delivers only a
    low-intensity option (a CBT course is not individual CBT)."""
    if option.format and option.format not in record.formats:
        return False
    if strict and not low_option(option) and low_intensity_only(record):
        return False
    if protocol_option(option):
        return option.kind in service_protocols(record)
    modalities = high_modalities(record) if strict and not low_option(option) else record.modalities
    return any(modality_satisfies(m, option, age) for m in modalities)


def option_points(option: NiceOption, rules: ScoringRules) -> float:
    points = rules.points_for_status(option.status)
    if points <= 0:
        return points
    if option.order is None:
        # Unordered options sort after ordered ones of the same status (as NiceAdvice lists
        # them), so offering an extra option can never lower a service's points.
        return points - rules.order_max_penalty
    return points - min(rules.order_max_penalty, rules.order_step * max(option.order - 1, 0))


def option_priority(options: Sequence[NiceOption]) -> tuple[int, ...]:
    """Indexes of the options in the order a service is credited with one: the advice's own
    order (best first), then options given with medication (a service delivers only the
    therapy half), then not-recommended options only when nothing else fits. This is
    NiceAdvice.status_for's rule, applied to arrays by the fast path."""
    recommended = [i for i, o in enumerate(options) if o.recommended and not o.with_medication]
    medication = [i for i, o in enumerate(options) if o.recommended and o.with_medication]
    rest = [i for i, option in enumerate(options) if not option.recommended]
    return tuple(recommended + medication + rest)


def creditable(option: NiceOption, strict: bool) -> bool:
    """For more severe or unsure, a low-intensity option earns no credit."""
    return not (strict and low_option(option))


def credited_option(
    advice: NiceAdvice, record: ServiceRecord, query: MatchQuery
) -> NiceOption | None:
    """The NICE option a service is credited with: the first it delivers in the advice's
    order (option_priority), protocols and intensity applied."""
    if not advice.has_guidance:
        return None
    options = tuple(advice.options)
    strict = strict_intensity(query)
    for i in option_priority(options):
        option = options[i]
        if creditable(option, strict) and offers_option(option, record, query.age, strict):
            return option
    return None


def generic_modality(
    advice: NiceAdvice, record: ServiceRecord, age: int | None
) -> tuple[str, NiceOption] | None:
    """A modality the service offers that is the broad form of a specific protocol NICE names
    (counselling for SSCM), when it does not declare the protocol: shown honestly, no credit."""
    if not advice.has_guidance:
        return None
    for option in advice.options:
        if not option.recommended or not protocol_option(option):
            continue
        for modality in sorted(record.modalities):
            if modality_satisfies(modality, option.modality, age):
                return modality, option
    return None


def named_matches(record: ServiceRecord, query: MatchQuery) -> tuple[str, ...]:
    """The therapies the person named that this service offers (or offers a form of)."""
    return tuple(
        named
        for named in query.modalities
        if any(modality_satisfies(m, named, query.age) for m in record.modalities)
    )


@lru_cache(maxsize=1)
def relational_modalities() -> frozenset[str]:
    """Therapies where the relationship is a main route of change (vocabularies.yaml)."""
    modalities = get_vocabularies().modalities
    return frozenset(slug for slug, modality in modalities.items() if modality.relational)


def offers_relational(record: ServiceRecord) -> bool:
    return not record.modalities.isdisjoint(relational_modalities())


def serves_community(record: ServiceRecord, community: str | None) -> bool:
    if community is None:
        return False
    return community in {name.strip().lower() for name in record.communities}


def is_front_door(record: ServiceRecord) -> bool:
    """A general NHS way in for someone not sure what they need: it says it takes them."""
    return is_statutory(record) and NOT_SURE in record.needs


def fit_points(record: ServiceRecord, query: MatchQuery, rules: ScoringRules) -> float:
    """Front-door points for "not sure" (never a specialist bonus); otherwise specialist."""
    if query.need == NOT_SURE:
        return rules.front_door if is_front_door(record) else 0.0
    return specialist_points(record, rules)


def is_specialist(record: ServiceRecord, need: str, rules: ScoringRules) -> bool:
    return (
        need != NOT_SURE
        and need in record.needs
        and len(record.needs) <= rules.specialist_max_needs
    )


def wait_figure(record: ServiceRecord) -> tuple[int | None, str, Wait | None]:
    """Weeks to wait, what they are a wait for ("start" or "assessment"), and the wait."""
    wait = record.overall_wait()
    if wait is None:
        return None, "", None
    if wait.treatment_weeks is not None:
        return wait.treatment_weeks, "start", wait
    if wait.assessment_weeks is not None:
        return wait.assessment_weeks, "assessment", wait
    return None, "", wait


def wait_points(record: ServiceRecord, rules: ScoringRules) -> float:
    weeks, _, _ = wait_figure(record)
    if weeks is None:
        return rules.wait_unknown_points
    span = rules.wait_long_weeks - rules.wait_short_weeks
    return rules.wait_weight * min(max((rules.wait_long_weeks - weeks) / span, 0.0), 1.0)


def cost_points(record: ServiceRecord, rules: ScoringRules) -> float:
    price = effective_price(record)
    if price is None:
        return rules.cost_unknown_points
    reference = rules.cost_reference_gbp
    return rules.cost_weight * min(max((reference - price) / reference, 0.0), 1.0)


def capacity_points(record: ServiceRecord, rules: ScoringRules) -> float:
    if record.capacity == "accepting":
        return rules.capacity_accepting
    if record.capacity == "waitlist":
        return rules.capacity_waitlist
    # Closed, or not stated: a listing that never said it is accepting earns nothing for it.
    return rules.capacity_closed


def static_points(record: ServiceRecord, rules: ScoringRules) -> float:
    """The score parts that depend only on the service, summed in a fixed order."""
    return wait_points(record, rules) + cost_points(record, rules) + capacity_points(record, rules)


def specialist_points(record: ServiceRecord, rules: ScoringRules) -> float:
    """Fit points before knowing the need: the need filter guarantees it is listed."""
    return rules.specialist if len(record.needs) <= rules.specialist_max_needs else 0.0


def freshness_points(days: int, query: MatchQuery, rules: ScoringRules) -> float:
    span = query.stale_after_days - rules.fresh_days
    if span <= 0:
        return rules.freshness_weight
    return rules.freshness_weight * min(max((query.stale_after_days - days) / span, 0.0), 1.0)


def distance_points(distance_km: float, rules: ScoringRules) -> float:
    return rules.distance_weight * rules.distance_scale_km / (rules.distance_scale_km + distance_km)


def widen_radii(query: MatchQuery, rules: ScoringRules) -> tuple[float, ...]:
    """Radius x2, then the widest search, never narrower than asked."""
    steps = sorted({min(query.radius_km * 2, rules.widen_max_km), rules.widen_max_km})
    return tuple(step for step in steps if step > query.radius_km)
