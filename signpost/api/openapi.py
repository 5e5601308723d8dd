"""The OpenAPI 3.1 description of the API, written for Signpost (``GET /api/v1/openapi.json``).

It follows the Open Referral UK 3.0 API contract (same paths, parameters and page envelope)
and describes Signpost's own records exactly: schemas are closed (``additionalProperties:
false``), optional strings are never empty and optional fields are never null, so the
tests that validate real responses against it also check the "omit empty fields" rule.
"""

from __future__ import annotations

import functools
from typing import Any

from flask import current_app, jsonify
from flask.typing import ResponseReturnValue

from signpost import slugs
from signpost.api.views import bp
from signpost.urls import absolute_url
from signpost.vocab import get_vocabularies

Schema = dict[str, Any]

OPENAPI_VERSION = "3.1.0"
API_VERSION = "1.0.0"


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(required: dict[str, Schema], optional: dict[str, Schema] | None = None) -> Schema:
    """A closed object: ``required`` keys must be there, nothing else may be."""
    return {
        "type": "object",
        "required": list(required),
        "properties": {**required, **(optional or {})},
        "additionalProperties": False,
    }


def array(items: Schema, *, min_items: int = 1) -> Schema:
    """Optional arrays are left out when empty, so when present they have items."""
    return {"type": "array", "items": items, "minItems": min_items}


TEXT: Schema = {"type": "string", "minLength": 1}
ANY_TEXT: Schema = {"type": "string"}
ID: Schema = {"type": "string", "format": "uuid"}
URI: Schema = {"type": "string", "format": "uri", "minLength": 1}
EMAIL: Schema = {"type": "string", "format": "email", "minLength": 1}
DATE: Schema = {"type": "string", "format": "date"}
DATETIME: Schema = {"type": "string", "format": "date-time"}
BOOL: Schema = {"type": "boolean"}
COUNT: Schema = {"type": "integer", "minimum": 0}
AGE: Schema = {"type": "number", "minimum": 0, "maximum": 150}
GBP: Schema = {"type": "number", "minimum": 0}


def slug_array(values: list[str]) -> Schema:
    return array({"type": "string", "enum": values})


def _schemas() -> dict[str, Schema]:
    vocab = get_vocabularies()
    modality_slug = {"type": "string", "enum": list(vocab.modalities)}
    term = obj(
        {
            "id": ID,
            "name": TEXT,
            "description": TEXT,
            "taxonomy": TEXT,
            "taxonomy_id": ID,
            "term": TEXT,
            "code": TEXT,
            "term_uri": TEXT,
        },
        {"parent_id": ID},
    )
    term["description"] = (
        "A taxonomy term; `term` and `code` are Signpost's stable slug, `term_uri` a URI that "
        "never changes, `parent_id` the broader term where there is one."
    )
    attribute = obj(
        {
            "id": ID,
            "link_id": ID,
            "link_type": TEXT,
            "link_entity": {"type": "string", "enum": ["service", "organization"]},
            "taxonomy_term_id": ID,
            "taxonomy_term": ref("TaxonomyTerm"),
        }
    )
    phone = obj({"id": ID, "number": TEXT}, {"service_id": ID, "organization_id": ID})
    organization_fields = {"id": ID, "name": TEXT, "description": ANY_TEXT}
    organization_summary = obj(organization_fields, {"email": EMAIL, "website": URI})
    organization = obj(
        {**organization_fields, "x_demo": BOOL},
        {
            "email": EMAIL,
            "website": URI,
            "phones": array(ref("Phone")),
            "organization_identifiers": array(
                obj(
                    {
                        "id": ID,
                        "organization_id": ID,
                        "identifier_scheme": TEXT,
                        "identifier_type": TEXT,
                        "identifier": TEXT,
                    }
                )
            ),
            "attributes": array(ref("Attribute")),
        },
    )
    location_fields: dict[str, Schema] = {
        "name": TEXT,
        "latitude": {"type": "number", "minimum": -90, "maximum": 90},
        "longitude": {"type": "number", "minimum": -180, "maximum": 180},
    }
    location_required = {"id": ID, "location_type": {"type": "string", "enum": ["physical"]}}
    location_summary = obj(location_required, location_fields)
    address = obj(
        {
            "id": ID,
            "location_id": ID,
            "address_1": ANY_TEXT,
            "city": ANY_TEXT,
            "state_province": ANY_TEXT,
            "postal_code": ANY_TEXT,
            "country": {"type": "string", "enum": ["GB"]},
            "address_type": {"type": "string", "enum": ["physical"]},
        }
    )
    location = obj(
        location_required,
        {
            **location_fields,
            "organization_id": ID,
            "addresses": array(ref("Address")),
            "accessibility": array(obj({"id": ID, "location_id": ID, "description": TEXT})),
        },
    )
    service_required = {
        "id": ID,
        "organization_id": ID,
        "name": TEXT,
        "status": {"type": "string", "enum": list(slugs.SERVICE_STATUSES)},
        "x_demo": BOOL,
    }
    service_optional = {
        # Absent when the listing's source did not say (never guessed as accepting).
        "x_capacity": {"type": "string", "enum": list(slugs.CAPACITY)},
        "description": TEXT,
        "url": URI,
        "email": EMAIL,
        "fees": TEXT,
        "accreditations": TEXT,
        "minimum_age": AGE,
        "maximum_age": AGE,
        "assured_date": DATE,
        "last_modified": DATETIME,
        "x_last_verified": DATE,
    }
    service_summary = obj(
        {**service_required, "organization": ref("OrganizationSummary")}, service_optional
    )
    service_summary["description"] = (
        "The one-to-one fields of a service. `x_capacity` (accepting, waitlist, closed), "
        "`x_demo` (fictional demonstration listing) and `x_last_verified` (date the provider "
        "last confirmed the listing) are Signpost extensions."
    )
    wait = obj(
        {"as_of": DATE},
        {
            "modality": modality_slug,
            "assessment_weeks": COUNT,
            "treatment_weeks": COUNT,
            "source": TEXT,
        },
    )
    cost = obj(
        {"type": {"type": "string", "enum": list(slugs.COST_TYPES)}},
        {"min_gbp": GBP, "max_gbp": GBP},
    )
    service = obj(
        {
            **service_required,
            "organization": ref("Organization"),
            "x_trainees_deliver": BOOL,
            "x_catchment_national": BOOL,
        },
        {
            **service_optional,
            # Both absent when the source stated no cost (never published as free).
            "cost_options": array(ref("CostOption")),
            "x_cost": ref("Cost"),
            "application_process": TEXT,
            "phones": array(ref("Phone")),
            "languages": array(obj({"id": ID, "service_id": ID, "name": TEXT})),
            "service_areas": array(ref("ServiceArea")),
            "service_at_locations": array(ref("ServiceAtLocationInService")),
            "attributes": array(ref("Attribute")),
            "x_waits": array(ref("Wait")),
            "x_typical_sessions": TEXT,
            "x_communities": array(TEXT),
            "x_eligibility": slug_array(sorted(vocab.eligibility)),
            "x_eligibility_note": TEXT,
            "x_protocols": slug_array(sorted(vocab.protocols)),
            "x_intensity": {
                "type": "object",
                "additionalProperties": {"type": "string", "enum": ["low", "high"]},
            },
            "x_catchment_radius_km": {"type": "number", "exclusiveMinimum": 0},
        },
    )
    service["description"] = (
        "A fully nested service. Modalities, needs, client groups (NICE age bands), formats, "
        "delivery modes and referral routes are taxonomy terms linked by `attributes`; the "
        "organisation's sector is an attribute of the organisation. Extensions: `x_capacity`, "
        "`x_demo`, `x_last_verified`, `x_waits` (weeks to assessment and to therapy, dated), "
        "`x_cost`, `x_typical_sessions`, `x_trainees_deliver`, `x_communities`, "
        "`x_eligibility` (who it is only for), `x_eligibility_note`, `x_protocols` (specific "
        "therapies NICE names), `x_intensity` (low or high, per modality), "
        "`x_catchment_national`, `x_catchment_radius_km`."
    )
    return {
        "Error": obj(
            {
                "error": obj(
                    {"code": TEXT, "message": TEXT},
                    {"field": TEXT},
                )
            }
        ),
        "ApiInfo": obj({"version": TEXT, "profile": URI, "openapi_url": URI}),
        "TaxonomyTerm": term,
        "Taxonomy": obj(
            {"id": ID, "name": TEXT, "description": TEXT, "version": TEXT},
            {"taxonomy_terms": array(ref("TaxonomyTerm"))},
        ),
        "Attribute": attribute,
        "Phone": phone,
        "OrganizationSummary": organization_summary,
        "Organization": organization,
        "Address": address,
        "LocationSummary": location_summary,
        "Location": location,
        "CostOption": obj(
            {"id": ID, "service_id": ID, "option": TEXT},
            {
                "amount": GBP,
                "currency": {"type": "string", "enum": ["GBP"]},
                "amount_description": TEXT,
            },
        ),
        "ServiceArea": obj(
            {
                "id": ID,
                "service_id": ID,
                "x_kind": {"type": "string", "enum": list(slugs.CATCHMENT_KINDS)},
            },
            {"name": TEXT, "service_area": TEXT},
        ),
        "Wait": wait,
        "Cost": cost,
        "ServiceSummary": service_summary,
        "Service": service,
        "ServiceAtLocationInService": obj(
            {"id": ID, "service_id": ID, "location_id": ID, "location": ref("Location")}
        ),
        "ServiceAtLocationSummary": obj(
            {
                "id": ID,
                "service_id": ID,
                "location_id": ID,
                "location": ref("LocationSummary"),
                "service": ref("ServiceSummary"),
            },
            {"x_distance_metres": COUNT},
        ),
        "ServiceAtLocation": obj(
            {
                "id": ID,
                "service_id": ID,
                "location_id": ID,
                "location": ref("Location"),
                "service": ref("Service"),
            }
        ),
        **_match_schemas(),
        **_insights_schemas(),
    }


def _insights_schemas() -> dict[str, Schema]:
    """The choice-gap figures (signpost/insights/api.py)."""
    share = {"type": "number", "minimum": 0, "maximum": 1}
    nullable_number = {"type": ["number", "null"], "minimum": 0}
    option = obj(
        {
            "label": TEXT,
            "counted": BOOL,
            "free_in_person": share,
            "in_person_paid_only": share,
            "remote_only": share,
            "not_available": share,
        }
    )
    option["description"] = "Share of postcodes where the option is best had each way."
    row = obj(
        {
            "code": TEXT,
            "level": {"type": "string", "enum": ["district", "area", "nation"]},
            "area": TEXT,
            "postcodes": COUNT,
            "districts": COUNT,
            "choice_score": {"type": ["number", "null"], "minimum": 0, "maximum": 1},
            "rank": {"type": ["integer", "null"], "minimum": 1},
            "median_wait_weeks": nullable_number,
            "options": {"type": "array", "items": option},
        },
        {"reach_km": {"type": "number", "exclusiveMinimum": 0}, "urban": BOOL},
    )
    page = _page("InsightsRow")
    page["required"] += ["methodology_version", "data_date", "computed_at", "demo"]
    page["required"] += ["need", "age_band"]
    page["properties"].update(
        {
            "methodology_version": TEXT,
            "data_date": DATE,
            "computed_at": DATETIME,
            "demo": BOOL,
            "need": TEXT,
            "age_band": TEXT,
        }
    )
    counter = obj({"district": TEXT, "need": TEXT, "age_band": TEXT, "week": TEXT, "count": COUNT})
    demand = _page("DemandCounter")
    demand["required"] += ["publish_minimum", "retention_weeks"]
    demand["properties"].update({"publish_minimum": COUNT, "retention_weeks": COUNT})
    return {
        "InsightsRow": row,
        "InsightsPage": page,
        "DemandCounter": counter,
        "DemandPage": demand,
    }


def _match_schemas() -> dict[str, Schema]:
    """The match API (PRODUCT §6). Open objects: the matcher may add fields over time."""
    vocab = get_vocabularies()

    def slug_list(values: list[str]) -> Schema:
        return {"type": "array", "items": {"type": "string", "enum": values}}

    return {
        "MatchServiceSummary": {
            "type": "object",
            "required": [
                "id",
                "name",
                "url",
                "organization",
                "modalities",
                "needs",
                "formats",
                "delivery",
                "referral_routes",
                "cost",
                "demo",
            ],
            "properties": {
                "id": TEXT,
                "name": TEXT,
                "url": TEXT,
                "organization": {
                    "type": "object",
                    "required": ["id", "name"],
                    "properties": {
                        "id": TEXT,
                        "name": TEXT,
                        "sector": {"type": "string", "enum": list(slugs.SECTORS)},
                    },
                },
                "modalities": slug_list(list(vocab.modalities)),
                "needs": slug_list(list(vocab.needs)),
                "formats": slug_list(list(slugs.FORMATS)),
                "delivery": slug_list(list(slugs.DELIVERY)),
                "referral_routes": slug_list(list(slugs.REFERRAL_ROUTES)),
                "minimum_age": AGE,
                "maximum_age": AGE,
                "cost": {
                    "type": "object",
                    "required": [],
                    "properties": {
                        "type": {"type": "string", "enum": list(slugs.COST_TYPES)},
                        "min_gbp": GBP,
                        "max_gbp": GBP,
                    },
                },
                "capacity": {"type": "string", "enum": list(slugs.CAPACITY)},
                "waits": {
                    "type": "object",
                    "properties": {
                        "assessment_weeks": COUNT,
                        "treatment_weeks": COUNT,
                        "as_of": DATE,
                    },
                },
                "last_verified": DATE,
                "demo": BOOL,
                "intensity": {
                    "type": "object",
                    "description": "Per modality offered: low (guided self-help, courses, "
                    "digital) or high (one-to-one, therapist-led) intensity.",
                    "additionalProperties": {"type": "string", "enum": ["low", "high"]},
                },
                "protocols": slug_list(sorted(vocab.protocols)),
                "eligibility": slug_list(sorted(vocab.eligibility)),
                "eligibility_note": TEXT,
                "only_for": TEXT,
            },
        },
        "MatchResult": {
            "type": "object",
            "required": ["service", "distance_km", "score", "reasons"],
            "properties": {
                "service": ref("MatchServiceSummary"),
                "distance_km": {
                    "type": ["number", "null"],
                    "minimum": 0,
                    "description": "Distance to the nearest site; null when reached remotely.",
                },
                "score": {"type": "number"},
                "reasons": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["code", "text"],
                        "properties": {"code": TEXT, "text": TEXT},
                    },
                },
                "nice_status": {
                    "type": ["string", "null"],
                    "description": "The NICE status of the option this service offers, if any.",
                },
                "details_may_be_out_of_date": {
                    "type": "string",
                    "description": "Present when the listing has not been confirmed for a "
                    "while. NHS listings are never hidden for this: the text says to check "
                    "with a GP.",
                },
            },
        },
        "MatchResponse": {
            "type": "object",
            "required": ["query", "location", "nice", "choice", "results", "crisis"],
            "properties": {
                "query": {"type": "object", "description": "The question, normalised."},
                "location": {
                    "type": "object",
                    "required": ["name", "latitude", "longitude", "precision"],
                    "properties": {
                        "name": TEXT,
                        "latitude": {"type": "number", "minimum": -90, "maximum": 90},
                        "longitude": {"type": "number", "minimum": -180, "maximum": 180},
                        "precision": TEXT,
                        "nation": {
                            "type": "string",
                            "enum": ["england", "wales", "scotland", "northern-ireland"],
                            "description": "The UK nation, when known: it decides the crisis "
                            "lines and which national services are in reach.",
                        },
                    },
                },
                "nice": {
                    "type": "object",
                    "description": "NICE guidance for the need, age and severity: guidelines "
                    "(with review and currency notes), options with their status, order, kind "
                    "(protocol) and per-option verification (sources, evidence level N, C, S*, "
                    "S or R, date read, reason when unconfirmed), a single review_notice, other "
                    "NICE choices (for example medication), what NICE says not to offer, and "
                    "relevant guidance not yet added.",
                },
                "choice": {
                    "type": "array",
                    "description": "Per NICE option: how many services offer it in reach, the "
                    "nearest in km, whether a remote one exists, and a gap flag.",
                    "items": {"type": "object"},
                },
                "results": {"type": "array", "items": ref("MatchResult")},
                "crisis": {
                    "type": "array",
                    "description": "Crisis lines to show with the results.",
                },
                "urgent": {
                    "type": "object",
                    "description": "For a need that can be urgent (self-harm, psychosis, eating "
                    "problems, perinatal, and needs where thoughts of suicide are common): what "
                    "to do today, to show before any results. `steps` are GP today, NHS 111 "
                    "option 2 and 999/A&E; `route` is the statutory NHS service; `lines` are "
                    "the crisis lines that fit the person's age; `young_people` is given for "
                    "under-18s.",
                    "required": ["key", "heading", "intro", "steps", "route", "suicide", "lines"],
                    "properties": {
                        "key": TEXT,
                        "heading": TEXT,
                        "intro": TEXT,
                        "steps": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["key", "text"],
                                "properties": {"key": TEXT, "text": TEXT, "href": TEXT},
                            },
                        },
                        "route": TEXT,
                        "suicide": TEXT,
                        "young_people": TEXT,
                        "lines": {"type": "array", "items": {"type": "object"}},
                    },
                },
                "ways_forward": {
                    "type": "array",
                    "description": "Only when nothing matched: the same search with one thing "
                    "relaxed (wider distance, a filter dropped, video and phone included), as "
                    "`query` parameters to search again with.",
                    "items": {
                        "type": "object",
                        "required": ["code", "text", "query"],
                        "properties": {"code": TEXT, "text": TEXT, "query": {"type": "object"}},
                    },
                },
                "front_doors": {
                    "type": "array",
                    "description": "When nothing matched, or the need is `not-sure`: the ways "
                    "in that always exist for the person's age (GP; NHS Talking Therapies "
                    "self-referral for adults in England; CAMHS and the school nurse for young "
                    "people).",
                    "items": {
                        "type": "object",
                        "required": ["key", "name", "text"],
                        "properties": {"key": TEXT, "name": TEXT, "text": TEXT, "href": TEXT},
                    },
                },
            },
        },
    }


def _parameters(max_per_page: int) -> dict[str, Schema]:
    vocab = get_vocabularies()

    def query(name: str, schema: Schema, description: str, **extra: Any) -> Schema:
        return {
            "name": name,
            "in": "query",
            "required": False,
            "description": description,
            "schema": schema,
            **extra,
        }

    return {
        "search": query(
            "search",
            {"type": "string", "maxLength": 200},
            "Words that must all appear in the service's name or description, or "
            "its organisation's name (case-insensitive).",
        ),
        "page": query(
            "page", {"type": "integer", "minimum": 1, "maximum": 1_000_000}, "Page number, from 1."
        ),
        "per_page": query(
            "per_page",
            {"type": "integer", "minimum": 1},
            f"Items per page (default 50); values above {max_per_page} are "
            f"reduced to {max_per_page}.",
        ),
        "taxonomy_term_id": query(
            "taxonomy_term_id",
            {"type": "string", "maxLength": 100},
            "Only services linked to this taxonomy term.",
        ),
        "taxonomy_id": query(
            "taxonomy_id",
            {"type": "string", "maxLength": 100},
            "Only services with a term from this taxonomy (its id or name, "
            "e.g. signpost-modalities).",
        ),
        "minimum_age": query(
            "minimum_age",
            AGE,
            "Only services whose minimum age is at least this (a service without one counts as 0).",
        ),
        "maximum_age": query(
            "maximum_age",
            AGE,
            "Only services whose maximum age is at most "
            "this (services without a maximum age are left out).",
        ),
        "day": query(
            "day",
            {"type": "string", "enum": ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]},
            "Only services open on this day. Signpost holds no opening times, so "
            "schedule filters match no service.",
        ),
        "start_time": query(
            "start_time",
            {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"},
            "Only services opening at or after this time (HH:MM[:SS]). See day.",
        ),
        "end_time": query(
            "end_time",
            {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"},
            "Only services closing at or before this time (HH:MM[:SS]). See day.",
        ),
        "modified_after": query(
            "modified_after",
            {"type": "string", "format": "date-time"},
            "Only services modified at or after this date-time (ISO 8601; "
            "a date alone means its midnight, UTC).",
        ),
        "postcode": query(
            "postcode",
            {"type": "string", "maxLength": 100},
            "A UK postcode (full or partial) or place. Services with a catchment "
            "only appear where it covers the postcode; results are nearest first "
            "and carry x_distance_metres.",
            example="LS1 4AP",
        ),
        "proximity": query(
            "proximity",
            {"type": "number", "minimum": 0, "maximum": 1_000_000},
            "Only locations within this many metres of the postcode.",
        ),
        "location": query(
            "location",
            {"type": "string", "minLength": 1, "maxLength": 100},
            "Postcode, partial postcode or place name.",
            required=True,
            example="LS1 4AP",
        ),
        "need": query(
            "need",
            {"type": "string", "enum": list(vocab.needs)},
            "What the person wants help with.",
            required=True,
            example="depression",
        ),
        "insights_need": query(
            "need",
            {"type": "string", "enum": [n for n in vocab.needs if n != "not-sure"]},
            "What people want help with (default depression).",
        ),
        "insights_age_band": query(
            "age_band",
            {"type": "string", "enum": list(vocab.band_slugs)},
            "Age band (default 18+).",
        ),
        "level": query(
            "level",
            {"type": "string", "enum": ["area", "district", "nation"]},
            "Postcode areas (default), postcode districts or the whole of Great Britain.",
        ),
        "age": query(
            "age",
            {"type": "integer", "minimum": 0, "maximum": 130},
            "Age in years. Age or `age_band` is required: without either the answer is 400 "
            "`age_required` (Signpost never assumes an adult). An age wins over a band.",
        ),
        "age_band": query(
            "age_band",
            {"type": "string", "enum": ["under-18", "18-plus"]},
            "Instead of an exact age: under 18, or 18 and over. Services are kept if their "
            "age range overlaps the band, and NICE advice is the band's.",
        ),
        "severity": query(
            "severity",
            {"type": "string", "enum": list(slugs.SEVERITIES)},
            "Where NICE distinguishes severity.",
        ),
        "modality": query(
            "modality",
            {"type": "array", "items": {"type": "string", "enum": list(vocab.modalities)}},
            "Preferred therapies (repeatable).",
            style="form",
            explode=True,
        ),
        "relational": query(
            "relational",
            {"type": "boolean"},
            "Prefer therapies where the relationship is a main route of change.",
        ),
        "delivery": query(
            "delivery",
            {"type": "array", "items": {"type": "string", "enum": list(slugs.DELIVERY)}},
            "Acceptable ways to attend (repeatable).",
            style="form",
            explode=True,
        ),
        "max_cost": query("max_cost", GBP, "Highest fee per session in GBP; 0 = free only."),
        "self_referral": query(
            "self_referral", {"type": "boolean"}, "Only services you can refer yourself to."
        ),
        "circumstance": query(
            "circumstance",
            {
                "type": "array",
                "items": {"type": "string", "enum": [*sorted(vocab.eligibility), "none"]},
            },
            "Circumstances that apply to the person (repeatable), or `none`. Absent: not "
            "answered, so services only for some people rank below open ones; given: services "
            "whose restrictions are not all listed are left out.",
            style="form",
            explode=True,
        ),
        "language": query(
            "language", {"type": "string", "maxLength": 50}, "A language the service works in."
        ),
        "radius_km": query(
            "radius_km",
            {"type": "number", "exclusiveMinimum": 0, "maximum": 1000, "default": 25},
            "Search radius in km.",
        ),
        "limit": query(
            "limit",
            {"type": "integer", "minimum": 1, "maximum": 100, "default": 20},
            "Most results to return.",
        ),
    }


CORS_HEADER = {
    "Access-Control-Allow-Origin": {
        "description": "Always `*`: the API is public.",
        "required": True,
        "schema": {"type": "string", "enum": ["*"]},
    }
}


def _json(schema: Schema, description: str) -> Schema:
    return {
        "description": description,
        "headers": CORS_HEADER,
        "content": {"application/json": {"schema": schema}},
    }


def _responses() -> dict[str, Schema]:
    error = ref("Error")
    return {
        "BadRequest": _json(error, "Bad input: `field` names the parameter."),
        "NotFound": _json(error, "Nothing has that id."),
        "TooManyRequests": _json(error, "Rate limit reached: wait and try again."),
        "Unavailable": _json(error, "The directory is unavailable just now."),
    }


def _page(item: str) -> Schema:
    return obj(
        {
            "total_items": COUNT,
            "total_pages": COUNT,
            "page_number": {"type": "integer", "minimum": 1},
            "size": COUNT,
            "first_page": BOOL,
            "last_page": BOOL,
            "empty": BOOL,
            "contents": {"type": "array", "items": ref(item)},
        }
    )


def _operation(
    operation_id: str,
    summary: str,
    ok: Schema,
    ok_description: str,
    parameters: list[str] | None = None,
    *,
    not_found: bool = False,
    tags: list[str] | None = None,
) -> Schema:
    responses: dict[str, Schema] = {
        "200": _json(ok, ok_description),
        "400": {"$ref": "#/components/responses/BadRequest"},
        "429": {"$ref": "#/components/responses/TooManyRequests"},
        "503": {"$ref": "#/components/responses/Unavailable"},
    }
    if not_found:
        responses["404"] = {"$ref": "#/components/responses/NotFound"}
    return {
        "get": {
            "operationId": operation_id,
            "summary": summary,
            "tags": tags or ["Open Referral UK"],
            "parameters": [{"$ref": f"#/components/parameters/{p}"} for p in parameters or []],
            "responses": responses,
        }
    }


def _by_id(operation_id: str, summary: str, schema: Schema, what: str, description: str) -> Schema:
    op = _operation(operation_id, summary, schema, description, not_found=True)
    op["parameters"] = [
        {
            "name": "id",
            "in": "path",
            "required": True,
            "description": f"The id of the {what}.",
            "schema": {"type": "string", "minLength": 1},
        }
    ]
    return op


SERVICE_FILTERS = [
    "search",
    "page",
    "per_page",
    "taxonomy_term_id",
    "taxonomy_id",
    "minimum_age",
    "maximum_age",
    "day",
    "start_time",
    "end_time",
    "modified_after",
]
MATCH_PARAMETERS = [
    "location",
    "need",
    "age",
    "age_band",
    "severity",
    "modality",
    "relational",
    "delivery",
    "max_cost",
    "self_referral",
    "language",
    "radius_km",
    "limit",
    "circumstance",
]


INSIGHTS_PARAMETERS = ["insights_need", "insights_age_band", "level", "page", "per_page"]


def _csv_operation() -> Schema:
    op = _operation(
        "getInsightsCsv",
        "Choice of NICE therapies by area, as CSV",
        {"type": "string"},
        "The same figures as /insights, every row, one column per option and category.",
        ["insights_need", "insights_age_band", "level"],
        tags=["Signpost"],
    )
    op["get"]["responses"]["200"] = {
        "description": "CSV with a header row; every row has the data date and method version.",
        "headers": CORS_HEADER,
        "content": {"text/csv": {"schema": {"type": "string"}}},
    }
    return op


@functools.lru_cache(maxsize=8)
def build_spec(server_url: str, max_per_page: int) -> dict[str, Any]:
    """The whole description; ``server_url`` is the absolute base, e.g. …/api/v1."""
    paths = {
        "/": _operation(
            "getAPIMetaInformation",
            "About this API",
            ref("ApiInfo"),
            "The HSDS-UK version, profile and this description's URL.",
        ),
        "/services": _operation(
            "getPaginatedListOfServices",
            "Search services",
            _page("ServiceSummary"),
            "A page of services (one-to-one fields and organisation), ordered by name.",
            SERVICE_FILTERS,
        ),
        "/services/{id}": _by_id(
            "getFullyNestedServiceById",
            "One service, fully nested",
            ref("Service"),
            "service",
            "The service with every related record.",
        ),
        "/taxonomies": _operation(
            "getPaginatedListOfTaxonomies",
            "Taxonomies",
            _page("Taxonomy"),
            "Signpost's taxonomies: modalities, needs, client groups, formats, delivery, "
            "referral routes and sectors.",
            ["page", "per_page"],
        ),
        "/taxonomies/{id}": _by_id(
            "getTaxonomyById",
            "One taxonomy with its terms",
            ref("Taxonomy"),
            "taxonomy (its UUID or its name, e.g. signpost-modalities)",
            "The taxonomy.",
        ),
        "/taxonomy_terms": _operation(
            "getPaginatedListOfTaxonomyTerms",
            "Taxonomy terms",
            _page("TaxonomyTerm"),
            "Every term, taxonomy by taxonomy.",
            ["page", "per_page", "taxonomy_id"],
        ),
        "/taxonomy_terms/{id}": _by_id(
            "getTaxonomyTermById",
            "One taxonomy term",
            ref("TaxonomyTerm"),
            "taxonomy term",
            "The term.",
        ),
        "/service_at_locations": _operation(
            "getPaginatedListOfServiceAtLocation",
            "Services at locations",
            _page("ServiceAtLocationSummary"),
            "A page of service-at-location records; with `postcode`, nearest first.",
            [*SERVICE_FILTERS, "postcode", "proximity"],
        ),
        "/service_at_locations/{id}": _by_id(
            "getServiceAtLocationWithNestedDataById",
            "One service at a location",
            ref("ServiceAtLocation"),
            "service at location",
            "The location and the fully nested service.",
        ),
        "/match": _operation(
            "match",
            "Ranked therapy services for a person, with their NICE choices",
            ref("MatchResponse"),
            "Ranked results with reasons, the NICE options and what is available in reach.",
            MATCH_PARAMETERS,
            tags=["Signpost"],
        ),
        "/insights": _operation(
            "getInsights",
            "Choice of NICE therapies by area",
            ref("InsightsPage"),
            "Each area's (or district's) choice score, rank, median dated wait and, per NICE "
            "option, the share of postcodes where it is free in person, paid only, remote only "
            "or not available; with the data date and methodology version.",
            INSIGHTS_PARAMETERS,
            tags=["Signpost"],
        ),
        "/insights.csv": _csv_operation(),
        "/insights/demand": _operation(
            "getInsightsDemand",
            "Anonymous demand: searches that found a gap",
            ref("DemandPage"),
            "Counts per postcode district, need, age band and ISO week; only counts at or "
            "above `publish_minimum` are published.",
            ["insights_need", "page", "per_page"],
            tags=["Signpost"],
        ),
        "/openapi.json": _operation(
            "getOpenAPI",
            "This description",
            {"type": "object"},
            "OpenAPI 3.1 JSON.",
            tags=["Signpost"],
        ),
    }
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "Signpost open data API",
            "version": API_VERSION,
            "description": (
                "Talking therapy services in the UK as Open Referral UK (HSDS-UK 3.0) data, "
                "plus Signpost's match API. Public, no key, JSON, `Access-Control-Allow-Origin: "
                "*`. Optional fields are left out rather than null. Errors are "
                '`{"error": {"code", "message", "field"}}`. Only approved, active listings '
                "are published; demonstration listings carry `x_demo: true`."
            ),
            "license": {
                "name": "Open Government Licence v3.0",
                "url": "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
            },
        },
        "servers": [{"url": server_url}],
        "tags": [
            {"name": "Open Referral UK", "description": "HSDS-UK 3.0 endpoints."},
            {"name": "Signpost", "description": "Signpost's own endpoints."},
        ],
        "paths": paths,
        "components": {
            "schemas": _schemas(),
            "parameters": _parameters(max_per_page),
            "responses": _responses(),
        },
    }


@bp.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    server = absolute_url("api.root").rstrip("/")
    return jsonify(build_spec(server, int(current_app.config.get("API_MAX_PER_PAGE", 100))))
