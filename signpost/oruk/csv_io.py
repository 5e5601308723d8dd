"""A spreadsheet way in for charities with many services.

``flask csv-template`` writes the header row (and, with ``--example``, one example row);
``flask import-csv FILE`` reads it back. One row is one service at one location; repeat a
row with the same ``service_id`` (or organisation and service name) and a different
location to add more locations. Lists inside a cell are separated by semicolons.

Rows are checked column by column (problems name the row and the column), turned into
ORUK service records and imported by :mod:`signpost.oruk.importer`, so a spreadsheet gets
the same checks, the same single transaction and the same update-by-id as an ORUK file.
Without ``service_id``/``organization_id`` columns the ids are UUID5s of the names, so
importing the same sheet twice updates instead of duplicating.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO, Any

from signpost import slugs
from signpost.geo.postcodes import normalise_postcode
from signpost.oruk import taxonomy as tx
from signpost.oruk.importer import Problem
from signpost.oruk.taxonomy import make_id

JSON = dict[str, Any]


_FORMULA_START = ("=", "+", "@", "\t", "\r")


def is_formula(value: str) -> bool:
    """A cell a spreadsheet would run as a formula (negative numbers are not formulas)."""
    if value.startswith(_FORMULA_START):
        return True
    return value.startswith("-") and not _is_number(value)


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def csv_safe(value: object) -> str:
    """A cell value that no spreadsheet will run: a leading apostrophe quotes a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text and is_formula(text) else text


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    help: str
    example: str = ""


ORGANIZATION_COLUMNS = (
    Column(
        "organization_id", "Organisation id (UUID). Leave empty to derive it from the name.", ""
    ),
    Column(
        "organization_name",
        "Organisation name (needed unless --organization-id is given).",
        "Example Counselling Trust",
    ),
    Column("organization_sector", "nhs, charity or low-cost.", "charity"),
    Column("organization_charity_number", "Charity number, if any.", "1234567"),
    Column("organization_website", "https://… address.", "https://example.org"),
    Column("organization_email", "Contact email.", "hello@example.org"),
    Column("organization_phone", "Contact phone.", "0113 496 0000"),
    Column(
        "organization_description",
        "A short description of the organisation.",
        "Low-cost counselling in West Yorkshire.",
    ),
)
SERVICE_COLUMNS = (
    Column("service_id", "Service id (UUID). Leave empty to derive it from the names.", ""),
    Column("service_name", "Service name (required).", "Low-cost counselling for adults"),
    Column(
        "description",
        "What the service offers, in plain English.",
        "Weekly counselling with a qualified or trainee counsellor.",
    ),
    Column("status", "active (default), inactive, defunct or temporarily closed.", "active"),
    Column("website", "https://… address of the service.", "https://example.org/counselling"),
    Column("email", "Email for the service.", "counselling@example.org"),
    Column("phone", "Phone for the service.", "0113 496 0001"),
    Column("how_to_refer", "How to get a place.", "Fill in the form on our website."),
    Column("minimum_age", "Youngest age taken, in years.", "18"),
    Column("maximum_age", "Oldest age taken, in years (empty: no limit).", ""),
    Column("modalities", "Therapies offered, as slugs separated by ;", "counselling; cbt"),
    Column("needs", "What people can get help with, slugs separated by ;", "depression; anxiety"),
    Column("formats", "individual, group, couple, family (separated by ;)", "individual"),
    Column("delivery", "in-person, video, phone, online (separated by ;)", "in-person; video"),
    Column(
        "referral_routes",
        "self-referral, gp-referral, professional-referral, school-referral (separated by ;)",
        "self-referral",
    ),
    Column(
        "cost_type", "free, donation, sliding-scale or fixed (empty: not stated).", "sliding-scale"
    ),
    Column("cost_min_gbp", "Lowest fee per session in GBP.", "10"),
    Column("cost_max_gbp", "Highest fee per session in GBP.", "40"),
    Column("cost_description", "Fees in words.", "£10 to £40 a session, depending on income."),
    Column("capacity", "accepting, waitlist or closed (empty: not stated).", "waitlist"),
    Column("languages", "Languages, separated by ;", "English; Urdu"),
    Column("communities", "Communities the service focuses on, separated by ;", ""),
    Column(
        "eligibility",
        "Who the service is only for, as slugs separated by ; (e.g. perinatal; women-only). "
        "Leave empty if anyone can use it.",
        "",
    ),
    Column("eligibility_note", "The college or GP area an eligibility names.", ""),
    Column(
        "protocols",
        "Specific therapies NICE names that you deliver as designed (e.g. cbt-ed; sscm).",
        "",
    ),
    Column(
        "low_intensity",
        "Modalities you offer only as guided self-help, courses or digital (separated by ;).",
        "",
    ),
    Column("typical_sessions", "Typical number of sessions.", "12 weekly sessions"),
    Column("registration_bodies", "Practitioners' registration bodies.", "BACP; UKCP"),
    Column("trainees_deliver", "yes if trainees deliver therapy, else no.", "yes"),
    Column(
        "catchment",
        "national, or postcode areas/districts separated by ; (e.g. LS; BD1).",
        "LS; BD",
    ),
    Column("catchment_radius_km", "Or: the catchment is this many km around the location.", ""),
)
LOCATION_COLUMNS = (
    Column("location_id", "Location id (UUID). Leave empty to derive it from the address.", ""),
    Column("location_name", "Name of the place.", "Example Counselling Trust, Leeds"),
    Column("address", "First line of the address.", "1 Example Street"),
    Column("city", "Town or city.", "Leeds"),
    Column("postcode", "Full UK postcode.", "LS1 4AP"),
    Column("latitude", "Optional: found from the postcode when empty.", ""),
    Column("longitude", "Optional: found from the postcode when empty.", ""),
    Column("accessibility", "Step-free access, hearing loop and so on.", "Step-free entrance."),
)
OTHER_COLUMNS = (
    Column("wait_assessment_weeks", "Weeks to a first assessment.", "2"),
    Column("wait_treatment_weeks", "Weeks to the start of therapy.", "8"),
    Column("wait_as_of", "Date of those waits (YYYY-MM-DD; default today).", ""),
    Column("last_verified", "Date the listing was last checked (YYYY-MM-DD).", ""),
    Column("demo", "yes only for fictional demonstration listings.", "no"),
)
COLUMNS = ORGANIZATION_COLUMNS + SERVICE_COLUMNS + LOCATION_COLUMNS + OTHER_COLUMNS
COLUMN_NAMES = tuple(c.name for c in COLUMNS)
_YES = {"yes", "y", "true", "1"}
_SINGULAR = {
    "modalities": "modality",
    "needs": "need",
    "formats": "format",
    "delivery": "delivery mode",
    "referral_routes": "referral route",
}
_NO = {"no", "n", "false", "0", ""}


def write_template(out: IO[str], *, example: bool = False) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMN_NAMES)
    if example:
        writer.writerow([csv_safe(c.example) for c in COLUMNS])


def column_guide() -> str:
    return "\n".join(f"  {c.name}: {c.help}" for c in COLUMNS)


class CsvRows:
    """Rows of a CSV file turned into ORUK services, merged by service id.

    ``problems`` holds what was wrong with the sheet itself (columns, values); it is filled
    while iterating, so iterate fully before trusting it.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        organization_id: str | None = None,
        today: date | None = None,
    ) -> None:
        self.path = Path(path)
        self.organization_id = organization_id
        self.today = today or date.today()
        self.problems: list[Problem] = []
        self.total = 0
        self.done = 0
        self.name = str(self.path)

    def _read(self) -> list[dict[str, str]]:
        try:
            text = self.path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            self.problems.append(
                Problem(str(self.path), "", "is not UTF-8 text: save it as 'CSV UTF-8'")
            )
            return []
        reader = csv.DictReader(io.StringIO(text))
        columns = [c.strip() for c in reader.fieldnames or []]
        reader.fieldnames = columns
        unknown = sorted(set(columns) - set(COLUMN_NAMES) - {""})
        if unknown:
            self.problems.append(
                Problem("the header row", "", f"unknown column(s): {', '.join(unknown)}")
            )
        if "service_name" not in columns:
            self.problems.append(Problem("the header row", "service_name", "column is missing"))
        if self.organization_id is None and not {"organization_name", "organization_id"} & set(
            columns
        ):
            self.problems.append(
                Problem(
                    "the header row",
                    "organization_name",
                    "column is missing (or pass --organization-id)",
                )
            )
        if self.problems:
            return []
        rows = [{k: (v or "").strip() for k, v in row.items() if k} for row in reader]
        for number, row in enumerate(rows, start=2):
            for column, value in row.items():
                if is_formula(value):
                    self.problems.append(
                        Problem(f"row {number}", column, f"{value[:30]!r} looks like a "
                                "spreadsheet formula; enter the value itself")
                    )  # fmt: skip
        return [] if self.problems else rows

    def __iter__(self) -> Iterator[tuple[str, object]]:
        rows = self._read()
        self.total = max(1, len(rows))
        services: dict[str, JSON] = {}
        labels: dict[str, str] = {}
        for number, row in enumerate(rows, start=2):
            label = f"row {number}" + (
                f' ("{row["service_name"][:60]}")' if row.get("service_name") else ""
            )
            record = self._service(label, row)
            self.done = number - 1
            if record is None:
                continue
            existing = services.get(record["id"])
            if existing is None:
                services[record["id"]] = record
                labels[record["id"]] = label
            else:  # another location of a service already seen
                known = {x["location"]["id"] for x in existing.get("service_at_locations", [])}
                for link in record.get("service_at_locations", []):
                    if link["location"]["id"] not in known:
                        existing.setdefault("service_at_locations", []).append(link)
        for service_id, record in services.items():
            yield labels[service_id], record
        self.done = self.total

    # -- one row ---------------------------------------------------------------------------

    def _service(self, label: str, row: dict[str, str]) -> JSON | None:
        cat = tx.get_catalogue()
        problems_before = len(self.problems)

        def problem(column: str, message: str) -> None:
            self.problems.append(Problem(label, column, message))

        def number(column: str, *, whole: bool = False, low: float = 0, high: float = 1e6) -> Any:
            raw = row.get(column, "")
            if not raw:
                return None
            try:
                value = float(raw.replace("£", "").replace(",", ""))
            except ValueError:
                problem(column, f"{raw!r} is not a number")
                return None
            if (
                not math.isfinite(value)
                or not low <= value <= high
                or (whole and not value.is_integer())
            ):
                kind = "a whole number" if whole else "a number"
                problem(column, f"{raw!r} must be {kind} from {low:g} to {high:g}")
                return None
            return int(value) if whole else value

        def flag(column: str) -> bool:
            raw = row.get(column, "").lower()
            if raw in _YES:
                return True
            if raw not in _NO:
                problem(column, f"{row[column]!r} must be yes or no")
            return False

        def day(column: str) -> str | None:
            raw = row.get(column, "")
            if not raw:
                return None
            try:
                return date.fromisoformat(raw).isoformat()
            except ValueError:
                problem(column, f"{raw!r} is not a date (YYYY-MM-DD)")
                return None

        def one_of(column: str, allowed: tuple[str, ...], default: str | None) -> str | None:
            raw = row.get(column, "").lower()
            if not raw:
                if default is None:
                    problem(column, f"is required: one of {', '.join(allowed)}")
                return default
            if raw not in allowed:
                problem(column, f"{row[column]!r} is not one of {', '.join(allowed)}")
                return default
            return raw

        def terms(column: str, taxonomy: str) -> list[JSON]:
            out = []
            for slug in _split(row.get(column, "")):
                slug = slug.lower()
                if (taxonomy, slug) not in cat.by_slug:
                    problem(column, f"unknown {_SINGULAR[column]} {slug!r}")
                    continue
                term = cat.term(taxonomy, slug)
                out.append({"taxonomy_term_id": term.id})
            return out

        name = row.get("service_name", "")
        if not name:
            problem("service_name", "is required")

        # organisation
        organization: JSON | None = None
        if self.organization_id is not None:
            org_id = self.organization_id
        else:
            org_name = row.get("organization_name", "")
            org_id = row.get("organization_id") or (
                make_id("csv", "organization", org_name.lower()) if org_name else ""
            )
            if not org_name:
                problem("organization_name", "is required (or pass --organization-id)")
            sector = one_of("organization_sector", slugs.SECTORS, None)
            organization = {"id": org_id, "name": org_name}
            _put(organization, "description", row.get("organization_description"))
            _put(organization, "email", row.get("organization_email"))
            _put(organization, "website", row.get("organization_website"))
            if row.get("organization_phone"):
                organization["phones"] = [{"number": row["organization_phone"]}]
            if row.get("organization_charity_number"):
                organization["organization_identifiers"] = [
                    {
                        "identifier_type": "Charity number",
                        "identifier": row["organization_charity_number"],
                    }
                ]
            if sector:
                organization["attributes"] = [{"taxonomy_term_id": cat.term(tx.SECTORS, sector).id}]
            organization["x_demo"] = flag("demo")
        service_id = row.get("service_id") or make_id("csv", org_id, "service", name.lower())

        attributes = (
            terms("modalities", tx.MODALITIES)
            + terms("needs", tx.NEEDS)
            + terms("formats", tx.FORMATS)
            + terms("delivery", tx.DELIVERY)
            + terms("referral_routes", tx.REFERRAL_ROUTES)
        )
        # An empty cost or capacity cell is "not stated", never free or accepting.
        cost_type = one_of("cost_type", slugs.COST_TYPES, "")
        capacity = one_of("capacity", slugs.CAPACITY, "")
        record: JSON = {
            "id": service_id,
            "organization_id": org_id,
            "name": name,
            "status": one_of("status", slugs.SERVICE_STATUSES, "active"),
            "x_demo": flag("demo"),
            "x_trainees_deliver": flag("trainees_deliver"),
            "attributes": attributes,
        }
        if cost_type:
            cost: JSON = {"type": cost_type}
            _put(cost, "min_gbp", number("cost_min_gbp"))
            _put(cost, "max_gbp", number("cost_max_gbp"))
            record["x_cost"] = cost
        if capacity:
            record["x_capacity"] = capacity
        if organization is not None:
            record["organization"] = organization
        for column, key in (
            ("description", "description"),
            ("website", "url"),
            ("email", "email"),
            ("how_to_refer", "application_process"),
            ("cost_description", "fees"),
            ("typical_sessions", "x_typical_sessions"),
        ):
            _put(record, key, row.get(column))
        _put(record, "accreditations", "; ".join(_split(row.get("registration_bodies", ""))))
        if row.get("phone"):
            record["phones"] = [{"number": row["phone"]}]
        _put(record, "minimum_age", number("minimum_age", whole=True, high=120))
        _put(record, "maximum_age", number("maximum_age", whole=True, high=130))
        _put(record, "languages", [{"name": x} for x in _split(row.get("languages", ""))])
        _put(record, "x_communities", _split(row.get("communities", "")))
        _put(record, "x_eligibility", [x.lower() for x in _split(row.get("eligibility", ""))])
        _put(record, "x_eligibility_note", row.get("eligibility_note"))
        _put(record, "x_protocols", [x.lower() for x in _split(row.get("protocols", ""))])
        _put(
            record,
            "x_intensity",
            {x.lower(): "low" for x in _split(row.get("low_intensity", ""))},
        )
        _put(record, "x_last_verified", day("last_verified"))

        # catchment
        areas: list[JSON] = []
        for code in _split(row.get("catchment", "")):
            code = code.upper().replace(" ", "")
            if code == "NATIONAL":
                record["x_catchment_national"] = True
                areas.append({"x_kind": "national"})
            else:
                areas.append({"service_area": code})
        radius = number("catchment_radius_km", low=0.1, high=1000)
        if radius is not None:
            record["x_catchment_radius_km"] = radius
            areas.append({"x_kind": "radius", "service_area": f"{radius:g}"})
        for area in areas:
            kind = area.get("x_kind", "code")
            area["id"] = make_id("csv", service_id, "area", kind, area.get("service_area", ""))
        _put(record, "service_areas", areas)

        # location
        location_fields = ("location_name", "address", "city", "postcode", "latitude", "longitude")
        if any(row.get(c) for c in location_fields):
            postcode = row.get("postcode", "")
            if postcode and normalise_postcode(postcode) is None:
                problem("postcode", f"{postcode!r} is not a UK postcode")
            location_id = row.get("location_id") or make_id(
                "csv",
                org_id,
                "location",
                postcode.upper().replace(" ", ""),
                row.get("address", "").lower(),
                row.get("location_name", "").lower(),
            )
            location: JSON = {"id": location_id}
            _put(location, "name", row.get("location_name"))
            _put(location, "latitude", number("latitude", low=-90, high=90))
            _put(location, "longitude", number("longitude", low=-180, high=180))
            location["addresses"] = [
                {
                    "address_1": row.get("address", ""),
                    "city": row.get("city", ""),
                    "postal_code": postcode,
                }
            ]
            if row.get("accessibility"):
                location["accessibility"] = [{"description": row["accessibility"]}]
            record["service_at_locations"] = [
                {"id": make_id("csv", service_id, "at", location_id), "location": location}
            ]

        # waits
        assessment = number("wait_assessment_weeks", whole=True, high=520)
        treatment = number("wait_treatment_weeks", whole=True, high=520)
        as_of = day("wait_as_of")
        if assessment is not None or treatment is not None:
            wait: JSON = {"as_of": as_of or self.today.isoformat(), "source": "provider"}
            _put(wait, "assessment_weeks", assessment)
            _put(wait, "treatment_weeks", treatment)
            record["x_waits"] = [wait]

        if len(self.problems) > problems_before:
            return None
        return record


def _split(value: str) -> list[str]:
    return [x.strip() for x in value.split(";") if x.strip()]


def _put(target: JSON, key: str, value: Any) -> None:
    if value is None or value == "" or value == []:
        return
    target[key] = value


def import_csv(
    session: Any,
    path: str | Path,
    *,
    organization_id: str | None = None,
    progress: Any = None,
    **options: Any,
) -> Any:
    """Check a sheet and import it in one transaction; raise ImportFailed with every problem
    of the sheet (by row and column) and of the records it describes."""
    from signpost.oruk.importer import ImportFailed, import_services

    rows = CsvRows(path, organization_id=organization_id)
    records = list(rows)
    source = f"CSV {Path(path).name}"
    if rows.problems:
        problems = list(rows.problems)
        if records:
            try:
                import_services(session, records, source=source, dry_run=True, **options)
            except ImportFailed as failed:
                problems.extend(failed.problems)
        raise ImportFailed(problems)
    return import_services(session, records, source=source, progress=progress, **options)
