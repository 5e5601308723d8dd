"""``flask --app wsgi …`` commands. Each is idempotent, shows progress for long work and
exits non-zero with a clear message on failure."""

from __future__ import annotations

import time
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext


def init_app(app: Flask) -> None:
    app.cli.add_command(build_postcodes)
    app.cli.add_command(seed)
    app.cli.add_command(generate_demo)
    from signpost.oruk import cli as oruk_cli

    app.cli.add_command(oruk_cli.export_oruk)
    app.cli.add_command(oruk_cli.import_oruk)
    app.cli.add_command(oruk_cli.harvest)
    app.cli.add_command(oruk_cli.export_csv)
    app.cli.add_command(oruk_cli.csv_template)
    app.cli.add_command(oruk_cli.import_csv)
    from signpost.reminders import send_reminders_command

    app.cli.add_command(send_reminders_command)
    from signpost.nice_check import nice_check_command

    app.cli.add_command(nice_check_command)
    from signpost.insights.cli import compute_insights

    app.cli.add_command(compute_insights)


@click.command("build-postcodes")
@with_appcontext
@click.option("--force", is_flag=True, help="Rebuild even if the index exists.")
def build_postcodes(force: bool) -> None:
    """Build the offline postcode and place index from bundled open data."""
    from signpost.geo.index_build import build_index

    path = Path(current_app.config["POSTCODE_INDEX"])
    if path.exists() and not force:
        click.echo(f"Postcode index already built at {path}.")
        return
    started = time.perf_counter()
    with click.progressbar(length=120, label="Building postcode index") as bar:
        counts = build_index(path, progress=lambda done: bar.update(done - bar.pos))
    click.echo(f"Built {path} in {time.perf_counter() - started:.1f}s: {counts}")


@click.command("seed")
@with_appcontext
@click.option("--no-demo", is_flag=True, help="Load vocabularies only, no demo directory.")
def seed(no_demo: bool) -> None:
    """Load vocabularies and the demo directory (idempotent)."""
    from signpost.seeding import seed_all

    summary = seed_all(include_demo=not no_demo, echo=click.echo)
    click.echo(f"Seeded: {summary}")


@click.command("generate-demo")
@with_appcontext
@click.option("--services", "count", type=click.IntRange(1, 1_000_000), required=True)
@click.option("--seed", "seed_value", type=int, default=1, show_default=True)
def generate_demo(count: int, seed_value: int) -> None:
    """Fill the database with COUNT synthetic demo services (for benchmarks)."""
    from signpost.demo.synthetic import generate_synthetic

    started = time.perf_counter()
    with click.progressbar(length=count, label="Generating demo services") as bar:
        generate_synthetic(count, seed_value, progress=bar.update)
    click.echo(f"Generated {count} services in {time.perf_counter() - started:.1f}s.")
