"""Real-shaped ORUK feeds for the harvest tests, built from the published specifications.

ORUK 1.0 records follow the 1.0 OpenAPI (``service_taxonomys``, ``eligibilitys`` with -1
for "no limit", ``contacts[].phones``, ``regular_schedules``, ``physical_addresses``,
Spring-style pages with ``content``/``totalPages``/``last``); ORUK 3.0 records follow the
UK profile examples (HTML descriptions, free-text ``service_areas``, ``schedules``,
``attributes`` from the LGA esd vocabularies). Every organisation, address and number is
fictional: example.org addresses, Ofcom drama numbers.
"""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import parse_qs

from werkzeug.serving import make_server

HTML = (
    "<p>Free <strong>counselling</strong> for adults with anxiety &amp; low mood.</p>"
    '<script>alert("x")</script><ul><li>Drop in</li><li>Groups</li></ul>'
    '<a href="javascript:alert(1)" onclick="x()">More</a>'
)


def oruk1_service(n: int, *, therapy: bool = True) -> dict[str, Any]:
    return {
        "id": str(1000 + n),  # ORUK 1.0 ids are often numbers, not UUIDs
        "name": f"Talking Space counselling {n}" if therapy else f"Parks and play {n}",
        "description": HTML if therapy else "<p>Outdoor play areas and sports pitches.</p>",
        "url": f"www.talkingspace{n}.example.org",  # no scheme
        "email": f"hello{n}@example.org",
        "status": "active",
        "fees": "",
        "assured_date": "",  # empty, as some feeds send it
        "organization": {
            "id": "2a4b6c8d-0000-4000-8000-00000000000a",
            "name": "Talking Space Trust",
            "description": "A fictional charity.",
            "url": "talkingspace.example.org",
        },
        "eligibilitys": [
            {"id": "e1", "eligibility": "adult", "minimum_age": 18, "maximum_age": -1}
        ],
        "contacts": [
            {"id": "c1", "name": "Reception", "phones": [{"id": "p1", "number": "0117 496 0123"}]}
        ],
        "regular_schedules": [
            {"id": "s1", "weekday": "Monday", "opens_at": "09:00:00", "closes_at": "17:00:00"}
        ],
        "service_areas": [{"id": "a1", "service_area": "Bristol"}],
        "service_taxonomys": [
            {
                "id": "t1",
                "taxonomy": {
                    "id": "esd:123",
                    "name": "Counselling services",
                    "vocabulary": "esdServiceTypes",
                },
            }
        ],
        "service_at_locations": [
            {
                "id": f"sal{n}",
                "location": {
                    "id": f"loc{n}",
                    "name": "Talking Space",
                    "latitude": "51.4545",
                    "longitude": "-2.5879",
                    "physical_addresses": [
                        {
                            "id": "pa1",
                            "address_1": "1 Example Street",
                            "city": "Bristol",
                            "postal_code": "BS1 4DJ",
                        }
                    ],
                },
            }
        ],
    }


def oruk3_service(n: int, *, therapy: bool = True) -> dict[str, Any]:
    return {
        "id": f"00000000-0000-4000-8000-{n:012d}",
        "name": f"Wellbeing counselling {n}" if therapy else f"Food bank {n}",
        "description": HTML if therapy else "<p>Emergency food parcels.</p>",
        "url": f"wellbeing{n}.example.org/services",
        "status": "active",
        "assured_date": "",
        "minimum_age": -1,
        "maximum_age": -1,
        "organization": {
            "id": "3b5d7f9a-0000-4000-8000-00000000000b",
            "name": "Example City Council",
            "website": "www.examplecity.example.org",
        },
        "contacts": [{"id": "c1", "phones": [{"id": "p1", "number": "0161 496 0456"}]}],
        "schedules": [{"id": "s1", "byday": "TU,TH", "opens_at": "10:00", "closes_at": "16:00"}],
        "service_areas": [{"id": "a1", "service_area": "Example City and surrounding area"}],
        "attributes": [
            {
                "taxonomy_term_id": "esd-1",
                "taxonomy_term": {
                    "id": "esd-1",
                    "term": "Mental health support",
                    "taxonomy_id": "esdServiceTypes",
                },
            }
        ],
    }


def spring_page(items: list[dict[str, Any]], page: int, size: int) -> dict[str, Any]:
    """An ORUK 1.0 page."""
    chunk = items[(page - 1) * size : page * size]
    pages = max(1, -(-len(items) // size))
    return {
        "totalElements": len(items),
        "totalPages": pages,
        "number": page,
        "size": size,
        "first": page == 1,
        "last": page >= pages,
        "content": chunk,
    }


def oruk3_page(items: list[dict[str, Any]], page: int, size: int) -> dict[str, Any]:
    chunk = items[(page - 1) * size : page * size]
    pages = max(1, -(-len(items) // size))
    return {
        "total_items": len(items),
        "total_pages": pages,
        "page_number": page,
        "size": len(chunk),
        "first_page": page == 1,
        "last_page": page >= pages,
        "empty": not chunk,
        "contents": chunk,
    }


class FeedServer:
    """A rate-limited ORUK API on 127.0.0.1: ``/services`` pages over ``records``.

    ``throttle`` answers every n-th request with 429 and ``Retry-After``; ``fail_pages``
    pages answer 500 until cleared (an outage mid-harvest)."""

    def __init__(
        self,
        records: list[dict[str, Any]],
        *,
        version: str = "3.0",
        throttle: int = 0,
        retry_after: str = "2",
    ) -> None:
        self.records = records
        self.version = version
        self.throttle = throttle
        self.retry_after = retry_after
        self.fail_pages: set[int] = set()
        self.requests = 0
        self.throttled = 0
        self.lock = threading.Lock()
        self.server = make_server("127.0.0.1", 0, self.wsgi, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def wsgi(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        import json

        query = parse_qs(environ.get("QUERY_STRING", ""))
        page = int(query.get("page", ["1"])[0])
        size = int(query.get("per_page", ["50"])[0])
        with self.lock:
            self.requests += 1
            throttled = self.throttle and self.requests % self.throttle == 0
            if throttled:
                self.throttled += 1
        if throttled:
            start_response("429 Too Many Requests", [("Retry-After", self.retry_after)])
            return [b'{"error": "slow down"}']
        if page in self.fail_pages:
            start_response("500 Internal Server Error", [("Content-Type", "application/json")])
            return [b"{}"]
        maker = spring_page if self.version == "1.0" else oruk3_page
        body = json.dumps(maker(self.records, page, size)).encode()
        start_response("200 OK", [("Content-Type", "application/json")])
        return [body]

    def __enter__(self) -> str:
        self.thread.start()
        return f"http://127.0.0.1:{self.server.server_port}/services"

    def __exit__(self, *_exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
