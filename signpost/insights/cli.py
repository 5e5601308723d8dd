"""``flask --app wsgi compute-insights``: compute the choice-gap figures for every district."""

from __future__ import annotations

import time

import click
from flask import current_app
from flask.cli import with_appcontext

from signpost.extensions import db


@click.command("compute-insights")
@with_appcontext
@click.option("--full", is_flag=True, help="Recompute every district, not only changed ones.")
def compute_insights(full: bool) -> None:
    """Compute provision by district and area (only what changed, unless --full)."""
    from signpost.insights import store

    started = time.perf_counter()
    with click.progressbar(length=1, label="Computing insights") as bar:

        def progress(done: int, total: int) -> None:
            bar.length = total
            bar.update(done - bar.pos)

        try:
            with store.request_context(current_app):
                snapshot, count = store.refresh(db.session, full=full, progress=progress)
                db.session.commit()
        except Exception as error:
            db.session.rollback()
            raise click.ClickException(f"Could not compute the insights: {error}") from error
    click.echo(
        f"Computed {count} of {len(snapshot.places)} districts for {len(snapshot.segments)} "
        f"needs and age bands over {snapshot.services} services "
        f"in {time.perf_counter() - started:.1f}s."
    )
