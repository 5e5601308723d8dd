"""``GET /api/v1/match``: the same search as the results page, as JSON (PRODUCT §6)."""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify, request
from flask.typing import ResponseReturnValue

from signpost.api.views import bp
from signpost.crisis import lines_for
from signpost.errors import APIError
from signpost.matcher.results import RankedService
from signpost.matcher.rules import STATUTORY_SECTORS
from signpost.nice import NiceOption
from signpost.search import presenters
from signpost.search.params import SearchInputError, parse_args
from signpost.search.service import SearchOutcome, run_search
from signpost.search.ways_forward import safety_net, urgent_view


def _compact(mapping: dict[str, Any]) -> dict[str, Any]:
    """Optional fields are omitted, never null."""
    return {key: value for key, value in mapping.items() if value is not None}


def match_json(found: SearchOutcome, settings: dict[str, int]) -> dict[str, Any]:
    outcome = found.outcome
    advice = outcome.advice
    location = found.location
    age_range = outcome.query.age_range
    urgent = urgent_view(found.params.need, age_range, location.nation)
    net = safety_net(found.params, age_range, not outcome.results, location.nation)
    today = outcome.query.today
    flags = [
        presenters.freshness_view(
            r.record.last_verified,
            today,
            settings["flag_days"],
            settings["hide_days"],
            statutory=r.record.sector in STATUTORY_SECTORS,
        )
        for r in found.page_results
    ]
    guidelines = [
        _compact(
            {
                "id": g.id,
                "title": g.title,
                "url": g.url,
                "verified": g.verified,
                "review_note": getattr(g, "review_note", None) or None,
                "currency_note": getattr(g, "currency_note", None) or None,
                "verified_on": g.verified_on.isoformat() if g.verified_on else None,
            }
        )
        for g in advice.guidelines
    ]
    return {
        "query": found.params.to_json(),
        "location": _compact(
            {
                "name": location.name,
                "latitude": round(location.latitude, 6),
                "longitude": round(location.longitude, 6),
                "precision": location.precision,
                "nation": location.nation,
            }
        ),
        "nice": _compact(
            {
                "has_guidance": advice.has_guidance,
                "message": advice.message,
                "guidelines": guidelines,
                "guideline": guidelines[0]["id"] if guidelines else None,
                "verified": advice.verified if guidelines else False,
                # Said once for the whole answer, as the pages do.
                "review_notice": advice.review_notice,
                "order": advice.order if advice.options else None,
                "options": [nice_option_json(o) for o in advice.options],
                "other_treatments": list(advice.other_treatments) or None,
                "not_offered": [
                    _compact({"text": n.text, "verified": n.verified, "review": n.review})
                    for n in advice.not_offered
                ]
                or None,
                "not_yet_added": [
                    {
                        "guideline": n.guideline,
                        "title": n.title,
                        "url": n.url,
                        "message": n.message,
                    }
                    for n in advice.not_yet_added
                ]
                or None,
            }
        ),
        "choice": [
            _compact(
                {
                    "modality": row.option.modality,
                    "label": row.option.label,
                    "status": row.option.status,
                    "count_in_reach": row.in_reach_count,
                    "count_remote": row.remote_count,
                    "nearest_km": round(row.nearest_km, 2) if row.nearest_km is not None else None,
                    "remote_available": row.remote_count > 0,
                    "remote_only": row.remote_only,
                    "paid_only": row.paid_only,
                    "gap": row.gap,
                    "text": row.text,
                }
            )
            for row in outcome.panel
        ],
        "total_eligible": outcome.total_eligible,
        "widened": (
            {
                "from_radius_km": outcome.widened.from_radius_km,
                "radius_km": outcome.widened.radius_km,
                "count": outcome.widened.count,
            }
            if outcome.widened
            else None
        ),
        "results": [
            result_json(r, stale) for r, stale in zip(found.page_results, flags, strict=True)
        ],
        "crisis": [line.to_json() for line in lines_for(age_range, location.nation)],
        "urgent": urgent["json"] if urgent else None,
        "ways_forward": [way.to_json() for way in net["ways_forward"]] or None,
        "front_doors": [door.to_json() for door in net["front_doors"]] or None,
    }


def nice_option_json(o: NiceOption) -> dict[str, Any]:
    """One NICE option with its verification: which sources, how strong, when read."""
    return _compact(
        {
            "modality": o.modality,
            "kind": o.kind,
            "label": o.label,
            "status": o.status,
            "order": o.order,
            "format": o.format,
            "guideline": o.guideline,
            "recommendations": list(o.recommendations),
            "verified": o.verified,
            "evidence": o.evidence,
            "verified_on": o.verified_on.isoformat() if o.verified_on else None,
            "review": o.review,
            "sources": [
                _compact({"url": s.url, "read": s.read, "evidence": s.evidence}) for s in o.sources
            ],
        }
    )


def result_json(ranked: RankedService, freshness: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "service": presenters.service_summary(ranked.record),
        # The one null the contract allows: reached remotely, no distance to give.
        "distance_km": round(ranked.distance_km, 2) if ranked.distance_km is not None else None,
        "score": round(ranked.score, 3),
        "reasons": [{"code": reason.code, "text": reason.text} for reason in ranked.reasons],
    }
    if ranked.nice_option is not None:
        body["nice_status"] = ranked.nice_option.status
    if freshness is not None and freshness["stale"]:
        # Stale NHS listings stay in results; this says to check them with a GP.
        body["details_may_be_out_of_date"] = freshness["text"]
    return body


@bp.get("/match")
def match() -> ResponseReturnValue:
    try:
        found = run_search(parse_args(request.args))
    except SearchInputError as error:
        first = error.errors[0]
        raise APIError(first.code, first.message, first.field) from error
    return jsonify(_compact(match_json(found, presenters.date_settings(current_app.config))))
