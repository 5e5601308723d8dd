""" "My therapy preferences": a printable page a patient can take to their GP.

It is built from the query string alone (GET), like the results: nothing is stored, and
there is no free text in the URL: reasons are written by hand on the printed page.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from flask import current_app
from werkzeug.datastructures import MultiDict

from signpost.extensions import db
from signpost.gp import handout, qr
from signpost.models import Service
from signpost.search import presenters
from signpost.search.service import SearchOutcome
from signpost.urls import absolute_url

MAX_SERVICES = 5


def preferences_context(found: SearchOutcome, args: MultiDict[str, str]) -> dict[str, Any]:
    """What the preferences page shows for this search and these choices."""
    params = found.params
    today = date.today()
    view = presenters.present(found, today=today, flag_days=current_app.config["STALE_FLAG_DAYS"])
    options = [o for o in found.outcome.advice.options if o.recommended]
    preferred = set(args.getlist("prefer"))
    rows = {row["id"]: row for row in view["results"]}
    chosen_ids = [i for i in dict.fromkeys(params.services) if i in rows][:MAX_SERVICES]
    services = []
    for service_id in chosen_ids:
        record = db.session.get(Service, service_id)
        contact = handout.Contact(
            phone=(record.phone or record.organization.phone) if record else None,
            website=(record.website or record.organization.website) if record else None,
            email=(record.email or record.organization.email) if record else None,
        )
        row = rows[service_id]
        routes = record.referral_routes if record else ()
        services.append(handout.build_service(row, routes, contact))
    # The printed link carries the outward code only, as the GP handout does.
    area = found.location.outcode if found.location.precision == "postcode" else None
    search_pairs = [
        ("location", area) if key == "location" and area else (key, value)
        for key, value in params.to_query()
        if key != "page"
    ]
    results_url = f"{absolute_url('patient.search')}?{urlencode(search_pairs)}"
    ready = bool(preferred or chosen_ids)
    return dict(
        found=found,
        view=view,
        options=options,
        preferred=preferred,
        services=services,
        chosen_ids=set(chosen_ids),
        ready=ready,
        today=presenters.long_date(today),
        area=handout.record_area(found.location),
        results_url=results_url,
        qr_uri=qr.png_data_uri(results_url) if ready else None,
        site_address=handout.display_url(absolute_url("patient.start")),
        query_pairs=[(k, v) for k, v in params.to_query() if k != "page"],
        max_services=MAX_SERVICES,
    )
