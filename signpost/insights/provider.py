"""For the provider dashboard: where an organisation's listings fill a gap, and unmet
demand near its sites. Asked live of the matcher's index; only published demand is shown."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
from flask import current_app
from sqlalchemy.orm import Session

from signpost.insights import demand, store
from signpost.insights.compute import Calculator
from signpost.insights.detail import FilledGap, gaps_filled
from signpost.insights.places import distances_km


@dataclass(frozen=True)
class ProviderInsights:
    gaps: list[FilledGap]
    demand: list[demand.Published]
    publish_min: int


def for_services(session: Session, service_ids: list[str]) -> ProviderInsights:
    from signpost.directory.search_index import get_index

    st = store.state()
    index = get_index(session)
    calc = Calculator(index, st.method, date.today(), current_app.config["STALE_HIDE_DAYS"])
    segments = list(st.segments.values())
    gaps = gaps_filled(calc, st.places, segments, service_ids)
    lats = np.array([p.latitude for p in st.places])
    lons = np.array([p.longitude for p in st.places])
    near: set[str] = set()
    for sid in service_ids:
        row = index.row_of(sid)
        if row is None:
            continue
        for site in index.records[row].sites:
            d = distances_km(site.latitude, site.longitude, lats, lons)
            near.update(st.places[i].code for i in np.flatnonzero(d <= st.method.widest_reach_km))
    published = demand.published(session, st.method, districts=near) if near else []
    return ProviderInsights(gaps, published[:20], st.method.demand_publish_min)
