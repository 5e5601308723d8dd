"""Harvest the Open Referral UK feeds listed in a sources file, incrementally and resumably.

A sources file (YAML or JSON) lists each source::

    - name: Bristol City Council          # listings say "From Bristol City Council's directory"
      url: https://example.org/api/v1     # or file: path/to/services.json
      licence: OGL-UK-3.0
      contact: directory@example.org
      schedule: weekly                    # informational: run the command from cron

Each source is read page by page and imported in batches of pages, each batch in its own
transaction, skipping and reporting bad records. After each batch the page reached is
saved in a state file, so an interrupted harvest resumes where it stopped. Listings that
a source no longer publishes are withdrawn once the source has been read to its end.
The ORUK version (1.0 or 3.0) is recognised per record.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.orm import Session

from signpost.oruk.feed import FeedError, FeedSource, FileSource, RetryPolicy
from signpost.oruk.importer import ImportFailed, ImportSummary, import_services
from signpost.oruk.provenance import Provenance

BATCH_PAGES = 10
_FIELDS = {"name", "url", "file", "licence", "contact", "schedule", "per_page"}


class SourcesError(Exception):
    """The sources file cannot be used."""


@dataclass(frozen=True)
class Source:
    name: str
    location: str  # a URL or a file path
    licence: str = ""
    contact: str = ""
    schedule: str = ""
    per_page: int = 100

    @property
    def is_url(self) -> bool:
        return self.location.lower().startswith(("http://", "https://"))


def load_sources(path: str | Path) -> list[Source]:
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise SourcesError(f"{path}: cannot read it ({str(error).splitlines()[0][:120]})") from None
    if isinstance(data, dict) and isinstance(data.get("sources"), list):
        data = data["sources"]
    if not isinstance(data, list) or not data:
        raise SourcesError(f"{path}: expected a list of sources")
    sources, names = [], set()
    base = path.parent
    for index, item in enumerate(data, start=1):
        where = f"{path.name}: source {index}"
        if not isinstance(item, dict):
            raise SourcesError(f"{where}: expected name and url (or file)")
        unknown = set(item) - _FIELDS
        if unknown:
            raise SourcesError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
        name = str(item.get("name") or "").strip()
        if not name or len(name) > 200:
            raise SourcesError(f"{where}: needs a name (up to 200 characters)")
        if name in names:
            raise SourcesError(f"{where}: the name {name!r} is used twice")
        names.add(name)
        url, file = item.get("url"), item.get("file")
        if bool(url) == bool(file):
            raise SourcesError(f"{where}: give a url or a file, not both")
        location = str(url) if url else str((base / str(file)).resolve())
        per_page = item.get("per_page", 100)
        if not isinstance(per_page, int) or not 1 <= per_page <= 1000:
            raise SourcesError(f"{where}: per_page must be a whole number from 1 to 1000")
        sources.append(
            Source(name, location, str(item.get("licence") or ""), str(item.get("contact") or ""),
                   str(item.get("schedule") or ""), per_page)
        )  # fmt: skip
    return sources


@dataclass
class SourceResult:
    source: Source
    summary: ImportSummary = field(default_factory=ImportSummary)
    version: str = "3.0"
    error: str | None = None
    resumed_from_page: int | None = None

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.source.name,
            "location": self.source.location,
            "licence": self.source.licence,
            "contact": self.source.contact,
            "oruk_version": self.version,
            "counts": self.summary.counts(),
            "records": [r.as_json() for r in self.summary.records],
        }
        if self.error:
            out["error"] = self.error
        if self.resumed_from_page:
            out["resumed_from_page"] = self.resumed_from_page
        return out


class State:
    """Which page each source's unfinished harvest reached, and when it began."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.data: dict[str, dict[str, Any]] = {}
        if path is not None and path.is_file():
            try:
                loaded = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                loaded = {}
            self.data = loaded if isinstance(loaded, dict) else {}

    def get(self, name: str) -> tuple[int, datetime] | None:
        entry = self.data.get(name)
        if not isinstance(entry, dict):
            return None
        try:
            return int(entry["page"]), datetime.fromisoformat(entry["started"])
        except (KeyError, TypeError, ValueError):
            return None

    def put(self, name: str, page: int | None, started: datetime) -> None:
        if page is None:
            self.data.pop(name, None)
        else:
            self.data[name] = {"page": page, "started": started.isoformat()}
        if self.path is not None:
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(self.data, indent=2), encoding="utf-8")
            tmp.replace(self.path)


def _merge(into: ImportSummary, part: ImportSummary) -> None:
    into.services_created += part.services_created
    into.services_updated += part.services_updated
    into.records.extend(part.records)
    into.warnings.extend(part.warnings[:5])
    into.seconds += part.seconds


def harvest_source(
    session: Session,
    source: Source,
    *,
    state: State,
    dry_run: bool = False,
    retry: RetryPolicy | None = None,
    geocode: Callable[[str], tuple[float, float] | None] | None = None,
    on_progress: Callable[[int, int | None], None] | None = None,
    batch_pages: int = BATCH_PAGES,
) -> SourceResult:
    """Harvest one source; errors are kept in the result, never raised."""
    result = SourceResult(source)
    resume = None if dry_run else state.get(source.name)
    started = resume[1] if resume else datetime.now(UTC)
    page = resume[0] + 1 if resume else 1
    result.resumed_from_page = page if resume else None
    seen: set[str] = set()
    while True:
        records: FeedSource | FileSource
        if source.is_url:
            records = FeedSource(source.location, per_page=source.per_page, retry=retry,
                                 start_page=page, page_limit=batch_pages)  # fmt: skip
        elif Path(source.location).is_file():
            records = FileSource(source.location)
        else:
            result.error = f"{source.location}: no such file"
            return result

        def progress(_count: int, records: Any = records) -> None:
            if on_progress is not None:
                on_progress(records.done, records.total)

        complete_here = not source.is_url
        provenance = Provenance(source.name, started, complete=complete_here)
        try:
            part = import_services(
                session, records, source=source.name, geocode=geocode, progress=progress,
                dry_run=dry_run, skip_bad=True, provenance=provenance,
            )  # fmt: skip
        except FeedError as error:
            session.rollback()
            result.error = str(error)
            return result
        except ImportFailed as failed:
            first = failed.problems[0] if failed.problems else None
            if source.is_url and first is not None and "has no services" in str(first):
                part = ImportSummary()  # the feed ended exactly at a batch boundary
                records.finished = True  # type: ignore[union-attr]
            else:
                result.error = "; ".join(str(p) for p in failed.problems[:3])
                return result
        _merge(result.summary, part)
        seen |= provenance.seen
        if isinstance(records, FeedSource):
            result.version = records.version
        if not source.is_url or records.finished:  # type: ignore[union-attr]
            break
        page = records.page + 1  # type: ignore[union-attr]
        if not dry_run:
            state.put(source.name, records.page, started)  # type: ignore[union-attr]
    if source.is_url:
        # Read to its end (perhaps over several runs): withdraw what it no longer has.
        from signpost.oruk.provenance import withdraw_missing

        withdraw_missing(
            session, source.name, started, result.summary, dry_run=dry_run, exclude=seen
        )
        if dry_run:
            session.rollback()
        else:
            session.commit()
    if not source.is_url:
        result.version = _file_version(result.summary)
    if not dry_run:
        state.put(source.name, None, started)
    return result


def _file_version(summary: ImportSummary) -> str:
    from collections import Counter

    versions = Counter(r.version for r in summary.records if r.version)
    return versions.most_common(1)[0][0] if versions else "3.0"
