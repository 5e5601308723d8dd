"""Make a published ORUK record (1.0 or 3.0) fit what Signpost imports, saying what changed.

Real feeds write "no limit" as an age of -1, leave web addresses without a scheme, send
empty strings for dates, describe services in HTML, give free-text service areas
("Bristol"), use ids that are not UUIDs and put phone numbers under contacts. Each is
normalised here only where the meaning is certain, and every change is noted against its
field. Nothing is invented: a missing fact stays missing (the importer stores it as "not
stated"). ORUK 1.0 records (``service_taxonomys``, ``eligibilitys``, ``physical_addresses``,
``regular_schedules``) are recognised and mapped to the 3.0 shape.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import nh3

from signpost import slugs
from signpost.geo.postcodes import classify, normalise_postcode
from signpost.oruk.taxonomy import Catalogue, make_id

JSON = dict[str, Any]
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_HOST = re.compile(r"^(www\.)?[a-z0-9-]+(\.[a-z0-9-]+)+(:\d+)?([/?#].*)?$", re.IGNORECASE)
_LOOKS_HTML = re.compile(r"<[a-zA-Z/!]|&[a-zA-Z#][a-zA-Z0-9]*;")
_AREA = re.compile(r"^[A-Z]{1,2}$")
_NATIONAL = {"national", "uk", "gb", "united kingdom", "great britain", "england"}
_V1_KEYS = (
    "service_taxonomys",
    "eligibilitys",
    "regular_schedules",
    "holiday_schedules",
    "fundings",
)
# Block tags become paragraph or line breaks; every other tag is dropped, keeping its text.
_KEEP_TAGS = {"p", "br", "li", "ul", "ol", "div", "h1", "h2", "h3", "h4", "h5", "h6", "tr"}
_DAYS = {
    "MO": "Monday", "TU": "Tuesday", "WE": "Wednesday", "TH": "Thursday", "FR": "Friday",
    "SA": "Saturday", "SU": "Sunday",
}  # fmt: skip
_DAY_NUMBERS = dict(enumerate(_DAYS.values(), start=1))
LIMITS = {"name": 200, "address_1": 200, "city": 100, "accreditations": 300}


@dataclass
class Normalised:
    record: Any
    version: str = "3.0"
    notes: list[str] = field(default_factory=list)  # "field: what was done"
    source_record_id: str | None = None
    opening_times: str | None = None
    area_description: str | None = None
    foreign_terms: list[str] = field(default_factory=list)  # names of other vocabularies' terms


def is_oruk_1(record: Mapping[str, Any]) -> bool:
    if any(key in record for key in _V1_KEYS):
        return True
    org = record.get("organization")
    if isinstance(org, Mapping) and "url" in org and "website" not in org:
        return True
    for link in _dicts(record.get("service_at_locations")):
        location = link.get("location")
        if isinstance(location, Mapping) and "physical_addresses" in location:
            return True
    return False


def html_to_text(value: str) -> str:
    """Plain text of an HTML fragment: nh3 keeps only block tags (which become line
    breaks) and drops scripts, styles and every attribute; entities are then decoded. The
    result is text, escaped like any other when a page shows it."""
    cleaned = nh3.clean(value, tags=_KEEP_TAGS, attributes={}, strip_comments=True)
    cleaned = re.sub(r"<br\s*/?>", "\n", cleaned)
    cleaned = re.sub(r"<li>", "\n- ", cleaned)
    cleaned = re.sub(r"</(p|div|h\d|ul|ol|tr)>", "\n\n", cleaned)
    cleaned = re.sub(r"<[^>]*>", "", cleaned)  # what is left is nh3's own well-formed tags
    text = html.unescape(cleaned).replace("\xa0", " ")
    lines = [" ".join(line.split()) for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


class _Normaliser:
    def __init__(self, cat: Catalogue, namespace: str) -> None:
        self.cat = cat
        self.namespace = namespace
        self.out = Normalised(record=None)

    def note(self, where: str, message: str) -> None:
        self.out.notes.append(f"{where}: {message}")

    # ------------------------------------------------------------------ scalars

    def ident(self, where: str, kind: str, value: object) -> str | None:
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not value.strip():
            return None
        value = value.strip()
        if _UUID.match(value):
            return value.lower()
        made = make_id("source", self.namespace, kind, value)
        self.note(where, f"{value[:40]!r} is not a UUID; stored as {made}")
        return made

    def text(self, where: str, value: object, limit: int | None = None) -> str | None:
        if value is None:
            return None
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            self.note(where, f"a {type(value).__name__} is not text; left out")
            return None
        if _LOOKS_HTML.search(value):
            value = html_to_text(value)
            self.note(where, "HTML converted to plain text")
        if limit is not None and len(value) > limit:
            value = value[: limit - 1].rstrip() + "…"
            self.note(where, f"shortened to {limit} characters")
        return value if value.strip() else None

    def url(self, where: str, value: object) -> str | None:
        url = self.text(where, value, 500)
        if url is None:
            return None
        url = url.strip()
        if url.lower().startswith(("http://", "https://")):
            return url
        if _HOST.match(url) and "@" not in url:
            self.note(where, f"{url[:60]!r} had no scheme; https:// added")
            return "https://" + url
        self.note(where, f"{url[:60]!r} is not a web address; left out")
        return None

    def email(self, where: str, value: object) -> str | None:
        email = self.text(where, value, 254)
        if email is None:
            return None
        email = email.strip().removeprefix("mailto:")
        if _EMAIL.match(email):
            return email
        self.note(where, f"{email[:60]!r} is not an email address; left out")
        return None

    def age(self, where: str, value: object) -> int | None:
        if value is None or value == "":
            return None
        if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
            value = int(value)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool):
            self.note(where, f"{str(value)[:20]!r} is not an age; not stated")
            return None
        if value < 0:
            self.note(where, f"{value} means no limit; not stated")
            return None
        if value > 120:
            self.note(where, f"{value} is not an age limit; not stated")
            return None
        return value

    def day(self, where: str, value: object) -> str | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            if value is not None:
                self.note(where, "empty; left out")
            return None
        text = str(value).strip()[:10]
        try:
            return date.fromisoformat(text).isoformat()
        except ValueError:
            self.note(where, f"{str(value)[:30]!r} is not a date; left out")
            return None

    def number(self, where: str, value: object) -> float | None:
        if isinstance(value, str):
            try:
                value = float(value.replace("£", "").replace(",", "").strip())
            except ValueError:
                self.note(where, f"{value[:30]!r} is not a number; left out")
                return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None
        return float(value)

    # ------------------------------------------------------------------ parts

    def phones(self, where: str, record: Mapping[str, Any]) -> list[JSON]:
        numbers = [p.get("number") for p in _dicts(record.get("phones"))]
        if not any(numbers):
            for i, contact in enumerate(_dicts(record.get("contacts"))):
                for phone in _dicts(contact.get("phones")):
                    if phone.get("number"):
                        numbers.append(phone["number"])
                        self.note(f"{where}contacts[{i}].phones", "phone number taken from contact")
                        break
                if any(numbers):
                    break
        out = []
        for number in numbers:
            text = self.text(f"{where}phones", number, 40)
            if text:
                out.append({"number": text})
        return out[:1]

    def organization(self, org: Mapping[str, Any]) -> JSON:
        out: JSON = {k: v for k, v in org.items() if k in ("organization_identifiers",)}
        out["id"] = self.ident("organization.id", "organization", org.get("id"))
        out["name"] = self.text("organization.name", org.get("name"), LIMITS["name"])
        for key, value in (
            ("description", self.text("organization.description", org.get("description"))),
            ("website", self.url("organization.website", org.get("website") or org.get("url"))),
            ("email", self.email("organization.email", org.get("email"))),
            ("phones", self.phones("organization.", org)),
            ("attributes", self.attributes("organization.attributes", org)),
            ("x_demo", org.get("x_demo") if isinstance(org.get("x_demo"), bool) else None),
        ):
            if value not in (None, []):
                out[key] = value
        return {k: v for k, v in out.items() if v is not None}

    def attributes(self, where: str, record: Mapping[str, Any]) -> list[JSON]:
        out = []
        for index, attribute in enumerate(_dicts(record.get("attributes"))):
            nested = attribute.get("taxonomy_term")
            term_id = attribute.get("taxonomy_term_id")
            if isinstance(nested, Mapping):
                taxonomy = str(nested.get("taxonomy_id") or nested.get("taxonomy") or "")
                if not taxonomy.startswith("signpost-") and nested.get("id") not in self.cat.by_id:
                    self.out.foreign_terms.append(_term_name(nested))
                out.append(attribute)
            elif isinstance(term_id, str) and term_id in self.cat.by_id:
                out.append(attribute)
            else:
                self.note(f"{where}[{index}]", f"term {str(term_id)[:40]!r} is not known; left out")
        for taxonomy_link in _dicts(record.get("service_taxonomys")):  # ORUK 1.0
            term = taxonomy_link.get("taxonomy")
            if isinstance(term, Mapping):
                self.out.foreign_terms.append(_term_name(term))
        return out

    def areas(self, record: Mapping[str, Any], service_id: str) -> list[JSON]:
        out, free_text = [], []
        for index, area in enumerate(_dicts(record.get("service_areas"))):
            where = f"service_areas[{index}]"
            raw = str(area.get("service_area") or area.get("name") or "").strip()
            if "x_kind" in area:
                out.append(dict(area))
                continue
            compact = raw.upper().replace(" ", "")
            known = (
                raw.lower() in _NATIONAL
                or bool(_AREA.match(compact))
                or (bool(compact) and classify(compact).kind.value == "outcode")
            )
            if known and len(compact) <= 20:
                item = {"service_area": raw.lower() if raw.lower() in _NATIONAL else compact}
                item["id"] = self.ident(f"{where}.id", "area", area.get("id")) or make_id(
                    "source", self.namespace, service_id, "area", str(index)
                )
                name = self.text(f"{where}.name", area.get("name"), 200)
                if name:
                    item["name"] = name
                out.append(item)
            elif raw:
                free_text.append(" ".join(raw.split()))
                self.note(where, f"{raw[:40]!r} is not a postcode area; kept as text")
        if free_text:
            self.out.area_description = "; ".join(dict.fromkeys(free_text))[:1000]
        return out

    def location(self, where: str, location: Mapping[str, Any]) -> JSON | None:
        location_id = self.ident(f"{where}.id", "location", location.get("id"))
        if location_id is None:
            self.note(where, "a location without an id; left out")
            return None
        addresses = _dicts(location.get("addresses")) or _dicts(location.get("physical_addresses"))
        address: JSON = {}
        if addresses:
            first = addresses[0]
            for key in ("address_1", "city"):
                value = self.text(f"{where}.addresses[0].{key}", first.get(key), LIMITS[key])
                if value:
                    address[key] = value
            raw = first.get("postal_code")
            if isinstance(raw, str) and raw.strip():
                postcode = normalise_postcode(raw)
                if postcode is None:
                    self.note(f"{where}.addresses[0].postal_code", f"{raw[:20]!r} is not a UK "
                              "postcode; left out")  # fmt: skip
                else:
                    address["postal_code"] = postcode
        out: JSON = {"id": location_id}
        name = self.text(f"{where}.name", location.get("name"), LIMITS["name"])
        if name:
            out["name"] = name
        if address:
            out["addresses"] = [address]
        lat = self.number(f"{where}.latitude", location.get("latitude"))
        lon = self.number(f"{where}.longitude", location.get("longitude"))
        if lat is not None and lon is not None and (lat, lon) != (0.0, 0.0):
            if -90 <= lat <= 90 and -180 <= lon <= 180:
                out["latitude"], out["longitude"] = lat, lon
            else:
                self.note(f"{where}.latitude", "not on Earth; left out")
        accessibility = [
            {"description": text}
            for i, item in enumerate(_dicts(location.get("accessibility")))
            if (text := self.text(f"{where}.accessibility[{i}]", item.get("description")))
        ]
        if accessibility:
            out["accessibility"] = accessibility
        return out

    def schedule(self, record: Mapping[str, Any]) -> None:
        parts = []
        for item in _dicts(record.get("schedules")) + _dicts(record.get("regular_schedules")):
            days = item.get("byday") or item.get("weekday") or ""
            if isinstance(days, int):
                names = [_DAY_NUMBERS.get(days, "")]
            else:
                names = [_DAYS.get(d.strip()[:2].upper(), d.strip()) for d in str(days).split(",")]
            opens, closes = item.get("opens_at"), item.get("closes_at")
            hours = f" {str(opens)[:5]} to {str(closes)[:5]}" if opens and closes else ""
            words = self.text("schedules", item.get("description")) or ""
            line = " ".join(x for x in (", ".join(n for n in names if n) + hours, words) if x)
            if line.strip():
                parts.append(line.strip())
        if parts:
            self.out.opening_times = "; ".join(dict.fromkeys(parts))[:1000]


def _dicts(value: object) -> list[Mapping[str, Any]]:
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []


def _term_name(term: Mapping[str, Any]) -> str:
    vocabulary = term.get("vocabulary") or term.get("taxonomy") or term.get("taxonomy_id") or ""
    name = term.get("name") or term.get("term") or term.get("code") or term.get("id") or ""
    return f"{vocabulary}: {name}".strip(": ")[:200]


_COPIED = (
    "x_capacity", "x_demo", "x_last_verified", "x_waits", "x_cost", "x_typical_sessions",
    "x_trainees_deliver", "x_communities", "x_catchment_national", "x_catchment_radius_km",
    "x_eligibility", "x_eligibility_note", "x_protocols", "x_intensity", "last_modified",
)  # fmt: skip


def normalise(record: object, cat: Catalogue, namespace: str = "import") -> Normalised:
    """The record in the shape :func:`signpost.oruk.importer.parse_service` reads, with
    notes; a record that is not an object is passed through for the importer to refuse."""
    if not isinstance(record, Mapping):
        return Normalised(record=record)
    n = _Normaliser(cat, namespace)
    n.out.version = "1.0" if is_oruk_1(record) else "3.0"
    raw_id = record.get("id")
    n.out.source_record_id = str(raw_id)[:200] if raw_id not in (None, "") else None
    out: JSON = {k: record[k] for k in _COPIED if k in record}
    service_id = n.ident("id", "service", raw_id)
    if service_id is not None:
        out["id"] = service_id
    name = n.text("name", record.get("name"), LIMITS["name"])
    if name is not None:
        out["name"] = name
    for key in ("description", "fees", "application_process"):
        value = n.text(key, record.get(key))
        if value is not None:
            out[key] = value
    accreditations = n.text("accreditations", record.get("accreditations"), 300)
    if accreditations:
        out["accreditations"] = accreditations
    for key, value in (("url", n.url("url", record.get("url"))),
                       ("email", n.email("email", record.get("email")))):  # fmt: skip
        if value:
            out[key] = value
    status = str(record.get("status") or "").strip().lower()
    if status in slugs.SERVICE_STATUSES:
        out["status"] = status
    elif status:
        n.note("status", f"{status[:30]!r} is not an ORUK status; taken as active")
    if "last_modified" in out and not isinstance(out["last_modified"], str):
        del out["last_modified"]
    if out.get("last_modified") == "":
        del out["last_modified"]
        n.note("last_modified", "empty; left out")
    assured = n.day("assured_date", record.get("assured_date"))
    if assured:
        out["assured_date"] = assured

    low = n.age("minimum_age", record.get("minimum_age"))
    high = n.age("maximum_age", record.get("maximum_age"))
    for index, rule in enumerate(_dicts(record.get("eligibilitys"))):  # ORUK 1.0
        if low is None:
            low = n.age(f"eligibilitys[{index}].minimum_age", rule.get("minimum_age"))
        if high is None:
            high = n.age(f"eligibilitys[{index}].maximum_age", rule.get("maximum_age"))
    if low is not None:
        out["minimum_age"] = low
    if high is not None:
        out["maximum_age"] = high

    phones = n.phones("", record)
    if phones:
        out["phones"] = phones
    languages = []
    for item in _dicts(record.get("languages")):
        language = n.text("languages", item.get("name") or item.get("language"), 100)
        if language:
            languages.append({"name": language})
    if languages:
        out["languages"] = languages
    options = []
    for index, option in enumerate(_dicts(record.get("cost_options"))):
        item: JSON = {}
        amount = n.number(f"cost_options[{index}].amount", option.get("amount"))
        if amount is not None and amount >= 0:
            item["amount"] = amount
        for key in ("option", "amount_description"):
            value = n.text(f"cost_options[{index}].{key}", option.get(key))
            if value:
                item[key] = value
        if item:
            options.append(item)
    if options:
        out["cost_options"] = options
    out["service_areas"] = n.areas(record, service_id or "")
    org = record.get("organization")
    if isinstance(org, Mapping):
        out["organization"] = n.organization(org)
    elif record.get("organization_id") is not None:
        out["organization_id"] = n.ident("organization_id", "organization",
                                         record.get("organization_id"))  # fmt: skip
    links = []
    for index, link in enumerate(_dicts(record.get("service_at_locations"))):
        where = f"service_at_locations[{index}]"
        location = link.get("location")
        if not isinstance(location, Mapping):
            n.note(where, "no location; left out")
            continue
        mapped = n.location(f"{where}.location", location)
        if mapped is None:
            continue
        link_id = n.ident(f"{where}.id", "service-at-location", link.get("id")) or make_id(
            "source", namespace, service_id or "", "link", mapped["id"]
        )
        links.append({"id": link_id, "location": mapped})
    if links:
        out["service_at_locations"] = links
    attributes = n.attributes("attributes", record)
    if attributes:
        out["attributes"] = attributes
    n.schedule(record)
    n.out.record = {k: v for k, v in out.items() if v not in (None, [])}
    return n.out
