"""``/insights``: the national view, one page per area and need, and the methodology.

Views parse, ask the core, render. Every chart is server-side SVG with its numbers beside it,
and the table sorts with plain links, so nothing needs JavaScript.
"""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request, url_for
from flask.typing import ResponseReturnValue

from signpost.extensions import db
from signpost.insights import charts, store, summary
from signpost.insights.compute import CATEGORIES, CATEGORY_NAMES, Snapshot
from signpost.insights.detail import area_detail, centre
from signpost.vocab import get_vocabularies

bp = Blueprint("insights", __name__)

DEFAULT_NEED = "depression"
DEFAULT_BAND = "18+"
SORTS = {
    "rank": lambda row: (row.rank is None, row.rank or 0, row.code),
    "area": lambda row: row.code,
    "wait": lambda row: (row.wait_weeks is None, row.wait_weeks or 0.0, row.code),
    "districts": lambda row: (row.districts, row.code),
}


def _snapshot() -> Snapshot:
    snapshot = store.current(db.session)
    if snapshot is None:
        abort(503)
    return snapshot


def segment_key(snapshot: Snapshot, need: str | None, band: str | None) -> str:
    """The segment asked for; 404 for a need or age band with no NICE options to count."""
    key = f"{need or DEFAULT_NEED}/{band or DEFAULT_BAND}"
    if key not in snapshot.segments:
        abort(404)
    return key


def _choices(snapshot: Snapshot) -> dict[str, object]:
    vocab = get_vocabularies()
    order = list(vocab.needs)
    needs = sorted({s.need for s in snapshot.segments.values()}, key=order.index)
    bands = [b for b in vocab.band_slugs if any(s.band == b for s in snapshot.segments.values())]
    return {
        "needs": [(n, vocab.needs[n].name) for n in needs],
        "bands": [(b, vocab.band(b).name) for b in bands],
    }


def _common(snapshot: Snapshot) -> dict[str, object]:
    st = store.state()
    return {
        "snapshot": snapshot,
        "method": st.method,
        "categories": [(c, CATEGORY_NAMES[c]) for c in CATEGORIES],
        "vocab": get_vocabularies(),
        **_choices(snapshot),
    }


@bp.get("/insights")
def national() -> ResponseReturnValue:
    snapshot = _snapshot()
    key = segment_key(snapshot, request.args.get("need"), request.args.get("band"))
    segment = snapshot.segments[key]
    sort = request.args.get("sort", "rank")
    if sort not in SORTS:
        sort = "rank"
    descending = request.args.get("order") == "desc"
    areas = summary.area_rows(snapshot, key)
    table = sorted(areas, key=SORTS[sort], reverse=descending)
    districts = summary.district_rows(snapshot, key, _reach())
    return render_template(
        "insights/national.html",
        segment=segment,
        nation=summary.nation_row(snapshot, key),
        areas=table,
        area_count=len(areas),
        sort=sort,
        descending=descending,
        figure=charts.dot_map(districts, snapshot.places),
        lowest=[row for row in areas if row.score is not None][-5:][::-1],
        colour=charts.colour,
        **_common(snapshot),
    )


def _reach() -> dict[bool, float]:
    method = store.state().method
    return {True: method.urban_reach_km, False: method.rural_reach_km}


@bp.get("/insights/areas/<area>/<need>")
def area(area: str, need: str) -> ResponseReturnValue:
    snapshot = _snapshot()
    key = segment_key(snapshot, need, request.args.get("band"))
    segment = snapshot.segments[key]
    st = store.state()
    code = area.upper()
    row = summary.area_row(snapshot, key, code)
    if row is None or code not in st.areas:
        abort(404)
    districts = [d for d in summary.district_rows(snapshot, key, _reach()) if d.area == code]
    urban = sum(d.postcodes for d in districts if d.urban) * 2 >= row.postcodes
    detail = area_detail(store.calculator(db.session), centre(st.areas[code], urban), segment)
    return render_template(
        "insights/area.html",
        segment=segment,
        key=key,
        row=row,
        nation=summary.nation_row(snapshot, key),
        area_count=len(summary.area_rows(snapshot, key)),
        districts=sorted(districts, key=lambda d: d.code),
        detail=detail,
        **_common(snapshot),
    )


@bp.get("/insights/methodology")
def methodology() -> ResponseReturnValue:
    snapshot = _snapshot()
    return render_template("insights/methodology.html", **_common(snapshot))


def area_url(area_code: str, need: str, band: str) -> str:
    return url_for("insights.area", area=area_code, need=need, band=band)
