"""``flask generate-demo``: the synthetic benchmark directory.

Each test gets fresh, empty databases (migrated, not seeded), because the command writes
through its own connections and must not add thousands of services to the shared test
database. SQLite files by default; with TEST_DATABASE_URL (PostgreSQL, as in CI) each
database is a throwaway schema, so the COPY path is tested too.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import create_engine, func, select, text

from signpost import create_app, slugs
from signpost.demo import synthetic
from signpost.extensions import db
from signpost.models import (
    DirectoryVersion,
    Location,
    Modality,
    Organization,
    Service,
    ServiceArea,
    ServiceAtLocation,
    ServiceTag,
    Wait,
)
from signpost.models.directory import ServiceModality, ServiceNeed
from signpost.vocab import get_vocabularies

DRAMA_PHONE = re.compile(
    r"^(020 7946 0\d{3}|0113 496 0\d{3}|0161 496 0\d{3}|0117 496 0\d{3}|0121 496 0\d{3}"
    r"|0191 498 0\d{3}|0115 496 0\d{3}|01632 960\d{3}|07700 900\d{3})$"
)
MakeApp = Callable[[], Flask]


def _postgres(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


@pytest.fixture
def fresh_app(tmp_path: Any) -> Iterator[MakeApp]:
    """A factory of apps, each on its own empty, migrated database."""
    apps: list[Flask] = []
    schemas: list[str] = []
    base = os.environ.get("TEST_DATABASE_URL")

    def make() -> Flask:
        n = len(apps)
        if base:
            schema = f"generate_demo_{os.getpid()}_{n}"
            engine = create_engine(_postgres(base))
            with engine.begin() as conn:
                conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
                conn.execute(text(f"CREATE SCHEMA {schema}"))
            engine.dispose()
            schemas.append(schema)
            sep = "&" if "?" in base else "?"
            url = f"{base}{sep}options=-csearch_path%3D{schema}"
        else:
            url = f"sqlite:///{tmp_path / f'generate-{n}.sqlite'}"
        app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            upgrade()
        apps.append(app)
        return app

    yield make
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    if base:
        engine = create_engine(_postgres(base))
        with engine.begin() as conn:
            for schema in schemas:
                conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        engine.dispose()


def generate(app: Flask, count: int, seed: int) -> None:
    # The `flask` executable pushes an app context for every command; the test runner
    # does not for plain click commands, so push one here as `flask` would.
    with app.app_context():
        result = app.test_cli_runner().invoke(
            args=["generate-demo", "--services", str(count), "--seed", str(seed)]
        )
    assert result.exit_code == 0, result.output
    assert f"Generated {count} services" in result.output


def count(model: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def snapshot(app: Flask) -> dict[str, list[tuple[Any, ...]]]:
    """Every synthetic row that does not depend on the clock, in a stable order."""
    with app.app_context():
        s = db.session
        return {
            "services": sorted(
                s.execute(
                    select(
                        Service.id, Service.organization_id, Service.name, Service.capacity,
                        Service.cost_type, Service.cost_min_gbp, Service.minimum_age,
                        Service.maximum_age, Service.catchment_radius_km, Service.languages,
                    )
                ).all()
            ),
            "organizations": sorted(
                s.execute(select(Organization.id, Organization.name, Organization.sector)).all()
            ),
            "locations": sorted(
                s.execute(select(Location.id, Location.postcode, Location.latitude)).all()
            ),
            "links": sorted(
                s.execute(select(ServiceModality.service_id, ServiceModality.modality)).all()
            )
            + sorted(s.execute(select(ServiceNeed.service_id, ServiceNeed.need)).all())
            + sorted(
                s.execute(select(ServiceTag.service_id, ServiceTag.kind, ServiceTag.value)).all()
            ),
            "areas": sorted(
                s.execute(select(ServiceArea.id, ServiceArea.kind, ServiceArea.value)).all()
            ),
            "waits": sorted(
                (w.service_id, w.modality or "", w.assessment_weeks, w.treatment_weeks)
                for w in s.scalars(select(Wait))
            ),
        }  # fmt: skip


def test_generates_exactly_n_valid_services(fresh_app: MakeApp) -> None:
    app = fresh_app()
    generate(app, 500, seed=7)
    vocab = get_vocabularies()
    with app.app_context():
        # The command loads the vocabularies itself on a database that was never seeded.
        assert count(Modality) == len(vocab.modalities)
        assert count(Service) == 500
        services = list(db.session.scalars(select(Service)))
        assert all(s.demo and s.organization.demo for s in services)
        for service in services:
            assert 1 <= len(service.modalities) <= 4
            assert 2 <= len(service.needs) <= 5
            assert set(service.modalities) <= set(vocab.modalities)
            assert set(service.needs) <= set(vocab.needs)
            assert service.delivery and set(service.delivery) <= set(slugs.DELIVERY)
            assert service.formats and set(service.formats) <= set(slugs.FORMATS)
            assert service.referral_routes
            assert set(service.referral_routes) <= set(slugs.REFERRAL_ROUTES)
            assert service.areas
            if service.catchment_national:
                assert not service.locations and "in-person" not in service.delivery
            else:
                assert 1 <= len(service.locations) <= 2 and "in-person" in service.delivery
                for location in service.locations:
                    # Great Britain, roughly.
                    assert 49.8 < (location.latitude or 0) < 59
                    assert -8 < (location.longitude or 0) < 2
            assert service.phone and DRAMA_PHONE.match(service.phone)
            assert service.website and service.website.endswith(".example.org")
            assert service.email and service.email.endswith("@example.org")
            assert service.last_verified_on is not None
        # Spread: several towns, sectors and remote services.
        assert len({loc.city for s in services for loc in s.locations}) >= 10
        assert {s.organization.sector for s in services} == set(slugs.SECTORS)
        assert any(s.catchment_national for s in services)
        version = db.session.get(DirectoryVersion, 1)
        assert version is not None and version.value >= 1


def test_same_seed_gives_the_same_directory_on_a_fresh_database(fresh_app: MakeApp) -> None:
    first, second = fresh_app(), fresh_app()
    generate(first, 500, seed=3)
    generate(second, 500, seed=3)
    rows = snapshot(first)
    assert rows == snapshot(second)
    expected = sorted(synthetic.service_id(3, n) for n in range(500))
    assert [r[0] for r in rows["services"]] == expected


def test_rerun_is_idempotent_and_resumes_across_batches(
    fresh_app: MakeApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(synthetic, "BATCH_SIZE", 120)  # several batches, one partial
    resumed, straight = fresh_app(), fresh_app()
    generate(resumed, 300, seed=5)
    generate(resumed, 500, seed=5)  # 300 already there: writes only the rest
    generate(resumed, 500, seed=5)  # nothing left to do
    generate(straight, 500, seed=5)
    assert snapshot(resumed) == snapshot(straight)
    with resumed.app_context():
        assert count(Service) == 500
        assert count(ServiceAtLocation) == count(Location)


def test_different_seeds_add_different_services(fresh_app: MakeApp) -> None:
    app = fresh_app()
    generate(app, 200, seed=1)
    generate(app, 200, seed=2)
    with app.app_context():
        assert count(Service) == 400


def test_progress_counts_every_service(fresh_app: MakeApp) -> None:
    app = fresh_app()
    steps: list[int] = []
    with app.app_context():
        summary = synthetic.generate_synthetic(250, 9, progress=steps.append)
    assert sum(steps) == 250
    assert summary["services"] == 250


def test_fast_uuid5_matches_the_standard_library() -> None:
    for n in range(2000):
        name = f"1:service:{n}"
        assert synthetic._uuid5(name) == str(uuid.uuid5(synthetic.SYNTHETIC_NAMESPACE, name))
