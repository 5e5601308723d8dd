"""``GET /api/v1/insights`` (JSON, paged like the ORUK endpoints), ``/api/v1/insights.csv``
and ``/api/v1/insights/demand``: the choice figures as open data, with date and method."""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import Response, jsonify
from flask.typing import ResponseReturnValue

from signpost.api import params
from signpost.api.oruk_views import page_envelope
from signpost.api.views import bp
from signpost.errors import APIError
from signpost.extensions import db
from signpost.insights import demand, store, summary
from signpost.insights.compute import FREE_IN_PERSON, NONE, PAID_IN_PERSON, REMOTE_ONLY, Snapshot

LEVELS = ("area", "district", "nation")
CATEGORY_FIELDS = {
    FREE_IN_PERSON: "free_in_person",
    PAID_IN_PERSON: "in_person_paid_only",
    REMOTE_ONLY: "remote_only",
    NONE: "not_available",
}


def _snapshot() -> Snapshot:
    snapshot = store.current(db.session)
    if snapshot is None:
        raise APIError(
            "insights_unavailable", "The figures are being computed: try again soon.", status=503
        )
    return snapshot


def _segment(snapshot: Snapshot) -> tuple[str, str]:
    need = params.text("need", max_length=40) or "depression"
    band = params.text("age_band", max_length=10) or "18+"
    if not any(s.need == need for s in snapshot.segments.values()):
        raise params.bad("need", "need must be a need with NICE options, like depression.")
    key = f"{need}/{band}"
    if key not in snapshot.segments:
        raise params.bad("age_band", f"age_band must be an age band NICE covers for {need}.")
    return key, params.text("level", max_length=10) or "area"


def _rows(snapshot: Snapshot, key: str, level: str) -> list[summary.Row]:
    if level not in LEVELS:
        raise params.bad("level", "level must be area, district or nation.")
    if level == "nation":
        return [summary.nation_row(snapshot, key)]
    if level == "district":
        method = store.state().method
        reach = {True: method.urban_reach_km, False: method.rural_reach_km}
        return summary.district_rows(snapshot, key, reach)
    return summary.area_rows(snapshot, key)


def _round(value: float | None, places: int = 3) -> float | None:
    return None if value is None else round(value, places)


def row_json(row: summary.Row, snapshot: Snapshot, key: str) -> dict[str, Any]:
    segment = snapshot.segments[key]
    out: dict[str, Any] = {
        "code": row.code,
        "level": row.kind,
        "area": row.area,
        "postcodes": row.postcodes,
        "districts": row.districts,
        "choice_score": _round(row.score),
        "rank": row.rank,
        "median_wait_weeks": _round(row.wait_weeks, 1),
        "options": [
            {
                "label": info.label,
                "counted": info.counted,
                **{name: _round(share[cat]) for cat, name in CATEGORY_FIELDS.items()},
            }
            for info, share in zip(segment.info, row.shares, strict=True)
        ],
    }
    if row.reach_km is not None:
        out["reach_km"] = row.reach_km
        out["urban"] = row.urban
    return out


def _about(snapshot: Snapshot, key: str) -> dict[str, Any]:
    segment = snapshot.segments[key]
    return {
        "methodology_version": snapshot.method_version,
        "data_date": snapshot.data_date.isoformat(),
        "computed_at": snapshot.computed_at.isoformat(),
        "demo": snapshot.demo,
        "need": segment.need,
        "age_band": segment.band,
    }


@bp.get("/insights")
def insights() -> ResponseReturnValue:
    snapshot = _snapshot()
    key, level = _segment(snapshot)
    page, per_page = params.paging()
    rows = _rows(snapshot, key, level)
    chunk = rows[(page - 1) * per_page : page * per_page]
    body = page_envelope(len(rows), page, per_page, [row_json(r, snapshot, key) for r in chunk])
    return jsonify({**_about(snapshot, key), **body})


@bp.get("/insights.csv")
def insights_csv() -> ResponseReturnValue:
    snapshot = _snapshot()
    key, level = _segment(snapshot)
    rows = _rows(snapshot, key, level)
    segment = snapshot.segments[key]
    about = _about(snapshot, key)
    out = io.StringIO()
    writer = csv.writer(out)
    header = ["code", "level", "area", "postcodes", "districts", "choice_score", "rank"]
    header += ["median_wait_weeks", "need", "age_band", "data_date", "methodology_version"]
    for info in segment.info:
        header += [f"{info.label}: {name}" for name in CATEGORY_FIELDS.values()]
    writer.writerow(header)
    for row in rows:
        line: list[object] = [row.code, row.kind, row.area, row.postcodes, row.districts]
        line += [_round(row.score), row.rank, _round(row.wait_weeks, 1)]
        line += [about["need"], about["age_band"], about["data_date"]]
        line += [about["methodology_version"]]
        for share in row.shares:
            line += [_round(share[cat]) for cat in CATEGORY_FIELDS]
        writer.writerow(["" if value is None else value for value in line])
    name = f"signpost-insights-{segment.need}-{segment.band.replace('+', 'plus')}-{level}.csv"
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.get("/insights/demand")
def insights_demand() -> ResponseReturnValue:
    """Published demand counters only: those at or above the minimum."""
    method = store.state().method
    need = params.text("need", max_length=40)
    page, per_page = params.paging()
    rows = demand.published(db.session, method, need=need)
    chunk = rows[(page - 1) * per_page : page * per_page]
    contents = [
        {
            "district": r.district,
            "need": r.need,
            "age_band": r.age_band,
            "week": r.week,
            "count": r.count,
        }
        for r in chunk
    ]
    return jsonify(
        {
            "publish_minimum": method.demand_publish_min,
            "retention_weeks": method.demand_retention_weeks,
            **page_envelope(len(rows), page, per_page, contents),
        }
    )
