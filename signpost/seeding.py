"""``flask seed``: vocabularies, a check of the NICE knowledge, and the demo directory.

Idempotent: vocabularies are upserted from seed_data/vocabularies.yaml; demo organisations
and accounts are only added when missing, so running it twice duplicates nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from signpost.extensions import db
from signpost.models import DirectoryVersion, Modality, Need
from signpost.vocab import get_vocabularies

__all__ = ["ensure_directory_version", "seed_all", "seed_vocabularies"]

Echo = Callable[[str], Any]


def seed_vocabularies(session: Session) -> dict[str, int]:
    """Insert or update every modality and need; return how many rows were written."""
    vocab = get_vocabularies()
    written = {"modalities": 0, "needs": 0}
    for slug, modality in vocab.modalities.items():
        values = {
            "name": modality.name,
            "relational": modality.relational,
            "summary": modality.summary,
        }
        written["modalities"] += _upsert(session, Modality, slug, values)
    for slug, need in vocab.needs.items():
        values = {"name": need.name, "description": need.description}
        written["needs"] += _upsert(session, Need, slug, values)
    session.flush()
    return written


def _upsert(
    session: Session, model: type[Modality] | type[Need], slug: str, values: dict[str, Any]
) -> int:
    row = session.get(model, slug)
    if row is None:
        session.add(model(slug=slug, **values))
        return 1
    changed = 0
    for key, value in values.items():
        if getattr(row, key) != value:
            setattr(row, key, value)
            changed = 1
    return changed


def ensure_directory_version(session: Session) -> None:
    # The search index of every worker watches this row; it must exist before any bump.
    if session.get(DirectoryVersion, 1) is None:
        session.add(DirectoryVersion(id=1, value=0))
        session.flush()


def seed_all(include_demo: bool = True, echo: Echo = print) -> dict[str, int]:
    """Load everything ``flask seed`` loads and commit; return a summary of counts."""
    from signpost.nice import get_nice

    session = db.session
    vocab = get_vocabularies()
    written = seed_vocabularies(session)
    echo(
        f"Vocabularies: {len(vocab.modalities)} modalities and {len(vocab.needs)} needs "
        f"({written['modalities'] + written['needs']} added or updated)."
    )
    # Fail the seed, not the first search, if the NICE knowledge does not load.
    nice = get_nice()
    echo(f"NICE knowledge: {len(nice.guidelines)} guidelines checked.")
    ensure_directory_version(session)

    summary = {
        "modalities": len(vocab.modalities),
        "needs": len(vocab.needs),
        "nice_guidelines": len(nice.guidelines),
        "demo_organisations_added": 0,
        "demo_services_added": 0,
        "demo_accounts_added": 0,
    }
    if include_demo:
        from signpost.demo.accounts import install_accounts
        from signpost.demo.directory import install_directory
        from signpost.directory.versioning import bump

        added = install_directory(session)
        summary["demo_organisations_added"] = added["organisations"]
        summary["demo_services_added"] = added["services"]
        if added["services"]:
            bump(session)
        summary["demo_accounts_added"] = install_accounts(session)
        echo(
            f"Demo directory: {added['organisations']} organisations and "
            f"{added['services']} services added; "
            f"{summary['demo_accounts_added']} demo accounts added."
        )
    session.commit()
    return summary
