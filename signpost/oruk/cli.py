"""``flask export-oruk``, ``import-oruk``, ``csv-template`` and ``import-csv``."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from signpost import slugs

MAX_SHOWN = 30


def _geocode() -> Callable[[str], tuple[float, float] | None] | None:
    """Postcode -> (lat, lon) from the offline index, when it is built."""
    path = Path(current_app.config["POSTCODE_INDEX"])
    if not path.is_file():
        return None
    from signpost.geo.geocoder import Geocoder

    return Geocoder(path).lookup_postcode


def _report_failure(failed: Exception) -> None:
    from signpost.oruk.importer import ImportFailed

    assert isinstance(failed, ImportFailed)
    click.echo(f"Import refused: {failed.total} problem(s). Nothing was imported.", err=True)
    for problem in failed.problems[:MAX_SHOWN]:
        click.echo(f"  {problem}", err=True)
    if failed.total > MAX_SHOWN:
        click.echo(f"  … and {failed.total - MAX_SHOWN} more.", err=True)
    raise SystemExit(1)


@click.command("export-oruk")
@with_appcontext
@click.argument("file", required=False, type=click.Path(dir_okay=False, writable=True))
def export_oruk(file: str | None) -> None:
    """Write every published service as ORUK 3.0 JSON (a list of full services) to FILE,
    or to standard output."""
    from signpost.extensions import db
    from signpost.oruk.export import iter_services, public_service_ids, write_json

    started = time.perf_counter()
    ids = public_service_ids(db.session)
    if file is None:
        write_json(iter_services(db.session, ids), sys.stdout)
        return
    with (
        open(file, "w", encoding="utf-8") as out,
        click.progressbar(length=len(ids), label="Exporting services", file=sys.stderr) as bar,
    ):
        count = write_json(iter_services(db.session, ids), out, progress=bar.update)
    click.echo(f"Exported {count} services to {file} in {time.perf_counter() - started:.1f}s.")


@click.command("import-oruk")
@with_appcontext
@click.argument("source")
@click.option(
    "--default-sector",
    type=click.Choice(slugs.SECTORS),
    help="Sector for organisations whose record has no signpost-sectors term.",
)
@click.option("--dry-run", is_flag=True, help="Check everything, write nothing.")
@click.option(
    "--skip-bad", is_flag=True, help="Import every usable record; skip and report the rest."
)
@click.option(
    "--report",
    "report_file",
    type=click.Path(dir_okay=False, writable=True),
    help="Write a JSON report: counts, and each record's outcome and reasons.",
)
def import_oruk(
    source: str, default_sector: str | None, dry_run: bool, skip_bad: bool, report_file: str | None
) -> None:
    """Import ORUK 1.0 or 3.0 services from a FILE (a list of full services) or a URL (an
    ORUK API or its /services list, walked page by page). Updates by id; all or nothing
    unless --skip-bad."""
    from signpost.extensions import db
    from signpost.oruk.feed import FeedError, open_source
    from signpost.oruk.importer import ImportFailed, import_services

    try:
        records = open_source(source)
        with click.progressbar(
            length=records.total or 1, label="Importing services", file=sys.stderr
        ) as bar:

            def progress(_count: int) -> None:
                if records.total and bar.length != records.total:
                    bar.length = records.total
                bar.update(max(0, records.done - bar.pos))

            summary = import_services(
                db.session,
                records,
                source=records.name,
                default_sector=default_sector,
                geocode=_geocode(),
                progress=progress,
                dry_run=dry_run,
                skip_bad=skip_bad,
            )
    except FeedError as error:
        db.session.rollback()
        click.echo(f"Import refused: {error}. Nothing was imported.", err=True)
        raise SystemExit(1) from None
    except ImportFailed as failed:
        _report_failure(failed)
        return
    for warning in summary.warnings[:MAX_SHOWN]:
        click.echo(f"Warning: {warning}", err=True)
    skipped = [r for r in summary.records if r.outcome == "skipped"]
    for record in skipped[:MAX_SHOWN]:
        click.echo(f"Skipped {record.source_id or record.name}: {'; '.join(record.reasons)}",
                   err=True)  # fmt: skip
    verb = "Checked (dry run, nothing written)" if dry_run else "Imported"
    click.echo(f"{verb}: {summary}; {len(skipped)} skipped.")
    if report_file:
        _write_report(report_file, {
            "dry_run": dry_run,
            "sources": [{"name": records.name, "counts": summary.counts(),
                         "records": [r.as_json() for r in summary.records]}],
        })  # fmt: skip


def _write_report(path: str, report: dict[str, object]) -> None:
    import json

    with open(path, "w", encoding="utf-8") as out:
        json.dump(report, out, indent=2, ensure_ascii=False, default=str)
    click.echo(f"Report written to {path}.")


@click.command("harvest")
@with_appcontext
@click.argument("sources_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Read and check every source, write nothing.")
@click.option(
    "--report",
    "report_file",
    type=click.Path(dir_okay=False, writable=True),
    help="Write a JSON report: per source, counts and each record's outcome and reasons.",
)
@click.option(
    "--state",
    "state_file",
    type=click.Path(dir_okay=False, writable=True),
    help="Where to keep the page each source reached (default: instance/harvest-state.json).",
)
@click.option("--only", help="Harvest only the source with this name.")
def harvest(
    sources_file: str,
    dry_run: bool,
    report_file: str | None,
    state_file: str | None,
    only: str | None,
) -> None:
    """Harvest the ORUK feeds in SOURCES_FILE incrementally: new, changed and unchanged
    listings, withdrawn ones withdrawn. Retries on 429 and 5xx, resumes after an
    interruption. Exits 1 if any source failed."""
    from signpost.extensions import db
    from signpost.oruk.harvest import SourcesError, State, harvest_source, load_sources

    try:
        sources = load_sources(sources_file)
    except SourcesError as error:
        click.echo(f"Harvest refused: {error}. Nothing was imported.", err=True)
        raise SystemExit(1) from None
    if only is not None:
        sources = [s for s in sources if s.name == only]
        if not sources:
            click.echo(f"Harvest refused: no source is named {only!r}.", err=True)
            raise SystemExit(1)
    path = Path(state_file or Path(current_app.instance_path) / "harvest-state.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    state = State(path)
    results, failed = [], False
    for source in sources:
        with click.progressbar(length=1, label=f"Harvesting {source.name}", file=sys.stderr) as bar:

            def progress(done: int, total: int | None, bar: object = bar) -> None:
                if total and bar.length != total:  # type: ignore[attr-defined]
                    bar.length = total  # type: ignore[attr-defined]
                bar.update(max(0, done - bar.pos))  # type: ignore[attr-defined]

            result = harvest_source(
                db.session, source, state=state, dry_run=dry_run, geocode=_geocode(),
                on_progress=progress,
            )  # fmt: skip
        results.append(result)
        counts = ", ".join(f"{n} {k}" for k, n in result.summary.counts().items())
        if result.error:
            failed = True
            click.echo(f"{source.name}: stopped: {result.error} (so far: {counts}).", err=True)
        else:
            click.echo(f"{source.name} (ORUK {result.version}): {counts}.")
    if report_file:
        _write_report(report_file, {"dry_run": dry_run, "sources": [r.as_json() for r in results]})
    if failed:
        raise SystemExit(1)


@click.command("export-csv")
@with_appcontext
@click.argument("file", type=click.Path(dir_okay=False, writable=True))
def export_csv(file: str) -> None:
    """Write every published service to FILE in the import-csv columns (one row per
    location). Cells a spreadsheet would run as formulas are quoted."""
    from signpost.extensions import db
    from signpost.oruk.csv_export import write_csv
    from signpost.oruk.export import public_service_ids

    with open(file, "w", encoding="utf-8", newline="") as out:
        count = write_csv(db.session, public_service_ids(db.session), out)
    click.echo(f"Exported {count} services to {file}.")


@click.command("csv-template")
@with_appcontext
@click.argument("file", required=False, type=click.Path(dir_okay=False, writable=True))
@click.option("--example", is_flag=True, help="Add one example row.")
def csv_template(file: str | None, example: bool) -> None:
    """Write the CSV template for import-csv to FILE (or standard output)."""
    from signpost.oruk.csv_io import column_guide, write_template

    if file is None:
        write_template(sys.stdout, example=example)
        return
    with open(file, "w", encoding="utf-8", newline="") as out:
        write_template(out, example=example)
    click.echo(f"Wrote {file}. Columns:\n{column_guide()}")


@click.command("import-csv")
@with_appcontext
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--organization-id", help="Import every row as a service of this organisation.")
@click.option("--default-sector", type=click.Choice(slugs.SECTORS), hidden=True)
@click.option("--dry-run", is_flag=True, help="Check everything, write nothing.")
def import_csv(
    file: str, organization_id: str | None, default_sector: str | None, dry_run: bool
) -> None:
    """Import services from a CSV made from the csv-template (one row per service and
    location). All or nothing; re-importing updates."""
    from signpost.extensions import db
    from signpost.models import Organization
    from signpost.oruk.csv_io import import_csv as run_import
    from signpost.oruk.importer import ImportFailed

    if organization_id is not None and db.session.get(Organization, organization_id) is None:
        click.echo(f"Import refused: no organisation has id {organization_id}.", err=True)
        raise SystemExit(1)
    try:
        with click.progressbar(length=1, label="Importing rows", file=sys.stderr) as bar:
            summary = run_import(
                db.session,
                file,
                organization_id=organization_id,
                default_sector=default_sector,
                geocode=_geocode(),
                progress=lambda _n: None,
                dry_run=dry_run,
            )
            bar.update(1)
    except ImportFailed as failed:
        _report_failure(failed)
        return
    verb = "Checked (dry run, nothing written)" if dry_run else "Imported"
    click.echo(f"{verb}: {summary}.")
