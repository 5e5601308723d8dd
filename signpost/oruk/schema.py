"""The JSON Schema an imported ORUK service must meet: the subset of HSDS-UK 3.0 Signpost
reads, with the limits of its own database columns. Fields Signpost does not read are
allowed and ignored. Domain checks that need the vocabularies or the postcode rules (terms,
age ranges, postcodes, dates) live in :mod:`signpost.oruk.importer`.
"""

from __future__ import annotations

from typing import Any

from signpost import slugs

Schema = dict[str, Any]

UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"

UUID: Schema = {"type": "string", "pattern": UUID_PATTERN}
DATE: Schema = {"type": "string", "pattern": DATE_PATTERN}


def text(max_length: int | None = None, *, min_length: int = 0) -> Schema:
    out: Schema = {"type": "string"}
    if max_length is not None:
        out["maxLength"] = max_length
    if min_length:
        out["minLength"] = min_length
    return out


def array(items: Schema) -> Schema:
    return {"type": "array", "items": items}


def obj(properties: Schema, required: list[str] | None = None) -> Schema:
    return {"type": "object", "properties": properties, "required": required or []}


# The nested taxonomy_term is only type-checked here: the importer resolves it against the
# catalogue and names unknown terms itself (and validating it in depth is most of the cost).
TERM_LINK = obj({"taxonomy_term_id": text(100), "taxonomy_term": {"type": "object"}})

ORGANIZATION = obj(
    {
        "id": UUID,
        "name": text(200, min_length=1),
        "description": text(),
        "email": text(254),
        "website": text(500),
        "phones": array(obj({"number": text(40)})),
        "organization_identifiers": array(
            obj({"identifier": text(40), "identifier_type": text(), "identifier_scheme": text()})
        ),
        "attributes": array(TERM_LINK),
        "x_demo": {"type": "boolean"},
    },
    ["id", "name"],
)

LOCATION = obj(
    {
        "id": UUID,
        "organization_id": UUID,
        "name": text(200),
        "latitude": {"type": "number", "minimum": -90, "maximum": 90},
        "longitude": {"type": "number", "minimum": -180, "maximum": 180},
        "addresses": array(
            obj({"address_1": text(200), "city": text(100), "postal_code": text(10)})
        ),
        "accessibility": array(obj({"description": text()})),
    },
    ["id"],
)

SERVICE: Schema = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "ORUK 3.0 service as Signpost imports it",
    **obj(
        {
            "id": UUID,
            "organization_id": UUID,
            "name": text(200, min_length=1),
            "description": text(),
            "url": text(500),
            "email": text(254),
            "status": {"enum": list(slugs.SERVICE_STATUSES)},
            "fees": text(),
            "accreditations": text(300),
            "minimum_age": {"type": "integer", "minimum": 0, "maximum": 120},
            "maximum_age": {"type": "integer", "minimum": 0, "maximum": 130},
            "assured_date": DATE,
            "last_modified": text(40),
            "application_process": text(),
            "phones": array(obj({"number": text(40)})),
            "languages": array(obj({"name": text(100)})),
            "cost_options": array(
                obj(
                    {
                        "option": text(),
                        "amount": {"type": "number", "minimum": 0},
                        "amount_description": text(),
                    }
                )
            ),
            "service_areas": array(
                obj(
                    {
                        "id": UUID,
                        "name": text(200),
                        "service_area": text(20),
                        "x_kind": {"enum": list(slugs.CATCHMENT_KINDS)},
                    }
                )
            ),
            "service_at_locations": array(
                obj({"id": UUID, "location": LOCATION}, ["id", "location"])
            ),
            "attributes": array(TERM_LINK),
            "organization": ORGANIZATION,
            "x_capacity": {"enum": list(slugs.CAPACITY)},
            "x_demo": {"type": "boolean"},
            "x_last_verified": DATE,
            "x_waits": array(
                obj(
                    {
                        "modality": text(40),
                        "assessment_weeks": {"type": "integer", "minimum": 0, "maximum": 520},
                        "treatment_weeks": {"type": "integer", "minimum": 0, "maximum": 520},
                        "as_of": DATE,
                        "source": text(200),
                    },
                    ["as_of"],
                )
            ),
            "x_cost": obj(
                {
                    "type": {"enum": list(slugs.COST_TYPES)},
                    "min_gbp": {"type": "number", "minimum": 0},
                    "max_gbp": {"type": "number", "minimum": 0},
                },
                ["type"],
            ),
            "x_typical_sessions": text(120),
            "x_trainees_deliver": {"type": "boolean"},
            "x_communities": array(text(60)),
            "x_eligibility": array(text(40)),
            "x_eligibility_note": text(200),
            "x_protocols": array(text(40)),
            "x_intensity": {
                "type": "object",
                "additionalProperties": {"enum": ["low", "high"]},
            },
            "x_catchment_national": {"type": "boolean"},
            "x_catchment_radius_km": {"type": "number", "exclusiveMinimum": 0, "maximum": 1000},
        },
        ["id", "name"],
    ),
}
