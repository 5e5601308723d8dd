"""``flask seed`` and the curated demo directory it loads.

The session ``app`` fixture has already seeded once, so every test here sees the demo
directory; each test runs in a rolled-back transaction (``db_session``).
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date

import pytest
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from signpost import slugs
from signpost.demo.accounts import DEMO_ACCOUNTS, DEMO_ORGANISATION_NAME
from signpost.demo.directory import build_directory, demo_id, iter_services
from signpost.models import (
    DirectoryVersion,
    Location,
    Membership,
    Modality,
    Need,
    Organization,
    Service,
    ServiceArea,
    ServiceAtLocation,
    ServiceTag,
    User,
    Wait,
)
from signpost.models.directory import ServiceModality, ServiceNeed
from signpost.seeding import seed_all
from signpost.vocab import get_vocabularies

COUNTED = (
    Modality, Need, Organization, Service, ServiceModality, ServiceNeed, ServiceTag, Location,
    ServiceAtLocation, ServiceArea, Wait, User, Membership, DirectoryVersion,
)  # fmt: skip
AREAS = (
    "london", "leeds", "manchester", "birmingham", "bristol", "newcastle", "nottingham",
    "brighton", "cornwall", "norfolk",
)  # fmt: skip
# Ofcom's numbers reserved for drama (https://www.ofcom.org.uk, "TV and radio drama numbers").
DRAMA_PHONE = re.compile(
    r"^(020 7946 0\d{3}|0113 496 0\d{3}|0161 496 0\d{3}|0117 496 0\d{3}|0121 496 0\d{3}"
    r"|0191 498 0\d{3}|0115 496 0\d{3}|01632 960\d{3}|07700 900\d{3})$"
)
STALE_FLAG_DAYS, STALE_HIDE_DAYS = 183, 365


def counts(session: Session) -> dict[str, int]:
    return {
        model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
        for model in COUNTED
    }


def demo_services(session: Session) -> list[Service]:
    ids = [s.id for _, s in iter_services(build_directory())]
    return list(session.scalars(select(Service).where(Service.id.in_(ids))))


def area_of() -> dict[str, str]:
    return {s.id: s.area for _, s in iter_services(build_directory())}


# --------------------------------------------------------------------------- idempotency


def test_seed_twice_adds_nothing(db_session: Session) -> None:
    before = counts(db_session)
    summary = seed_all(include_demo=True, echo=lambda *_: None)
    assert counts(db_session) == before
    assert summary["demo_services_added"] == 0
    assert summary["demo_accounts_added"] == 0
    assert summary["modalities"] == len(get_vocabularies().modalities)


def test_seed_command_is_idempotent(db_session: Session, runner: FlaskCliRunner) -> None:
    before = counts(db_session)
    for _ in range(2):
        result = runner.invoke(args=["seed"])
        assert result.exit_code == 0, result.output
        assert "0 organisations and 0 services added" in result.output
    assert counts(db_session) == before


def test_seed_restores_a_deleted_demo_organisation(db_session: Session) -> None:
    org = db_session.scalars(
        select(Organization).where(Organization.name == "Example Bereavement Helpline (demo)")
    ).one()
    services = len(org.services)
    db_session.delete(org)
    db_session.flush()
    summary = seed_all(include_demo=True, echo=lambda *_: None)
    assert summary["demo_organisations_added"] == 1
    assert summary["demo_services_added"] == services


def test_vocabulary_tables_match_the_vocabularies(db_session: Session) -> None:
    vocab = get_vocabularies()
    rows = {m.slug: m for m in db_session.scalars(select(Modality))}
    assert set(rows) == set(vocab.modalities)
    assert rows["dit"].relational and not rows["cbt"].relational
    assert set(db_session.scalars(select(Need.slug))) == set(vocab.needs)
    assert db_session.get(DirectoryVersion, 1) is not None


# ------------------------------------------------------------------------- the directory


def test_curated_directory_is_installed_and_large_enough(db_session: Session) -> None:
    specs = list(iter_services(build_directory()))
    services = demo_services(db_session)
    assert len(specs) >= 300
    assert len(services) == len(specs)
    assert all(s.demo and s.status == "active" for s in services)
    assert all(s.organization.demo for s in services)


def test_directory_is_deterministic() -> None:
    first = build_directory()
    build_directory.cache_clear()
    assert build_directory() == first


def test_every_organisation_name_says_it_is_a_demo(db_session: Session) -> None:
    for org in {s.organization for s in demo_services(db_session)}:
        assert re.search(r"\b(demo|example)\b", org.name, re.IGNORECASE), org.name


def test_every_modality_is_offered_somewhere(db_session: Session) -> None:
    offered = {m for s in demo_services(db_session) for m in s.modalities}
    assert offered == set(get_vocabularies().modalities)


@pytest.mark.parametrize("area", AREAS)
def test_every_need_is_served_in_every_area_or_remotely(db_session: Session, area: str) -> None:
    areas = area_of()
    served: dict[str, set[str]] = defaultdict(set)
    for service in demo_services(db_session):
        served[areas[service.id]].update(service.needs)
    assert served[area], f"no demo services in {area}"
    assert served[area] | served["national"] == set(get_vocabularies().needs)
    # In fact every area covers every need locally: remote help is extra choice.
    assert served[area] == set(get_vocabularies().needs)


def test_national_services_are_remote_with_national_catchment(db_session: Session) -> None:
    areas = area_of()
    national = [s for s in demo_services(db_session) if areas[s.id] == "national"]
    assert len(national) >= 10
    for service in national:
        assert service.catchment_national
        assert not service.locations
        assert set(service.delivery) <= {"video", "phone", "online"}


@pytest.mark.parametrize(
    ("attribute", "expected"),
    [
        ("sector", slugs.SECTORS),
        ("cost_type", slugs.COST_TYPES),
        ("capacity", slugs.CAPACITY),
        ("referral_routes", slugs.REFERRAL_ROUTES),
        ("delivery", slugs.DELIVERY),
        ("formats", slugs.FORMATS),
    ],
)
def test_every_value_of_each_vocabulary_is_used(
    db_session: Session, attribute: str, expected: tuple[str, ...]
) -> None:
    seen: set[str] = set()
    for service in demo_services(db_session):
        record = service.organization if attribute == "sector" else service
        value = getattr(record, attribute)
        seen.update([value] if isinstance(value, str) else value)
    assert seen == set(expected)


def test_costs_are_complete(db_session: Session) -> None:
    for service in demo_services(db_session):
        if service.cost_type == "sliding-scale":
            assert service.cost_min_gbp is not None and service.cost_max_gbp is not None
            assert service.cost_min_gbp < service.cost_max_gbp
        elif service.cost_type == "fixed":
            assert service.cost_min_gbp == service.cost_max_gbp is not None
            assert service.cost_min_gbp > 0
        else:
            assert service.cost_min_gbp is None and service.cost_max_gbp is None
        assert service.cost_description


def test_ages_run_from_babies_to_older_adults(db_session: Session) -> None:
    services = demo_services(db_session)
    assert any(s.minimum_age == 0 and s.maximum_age is not None and s.maximum_age < 5
               for s in services)  # fmt: skip
    assert any(s.minimum_age == 0 and s.maximum_age == 17 for s in services)  # CAMHS
    assert any(s.minimum_age == 11 and s.maximum_age == 25 for s in services)
    assert any(s.minimum_age == 18 and s.maximum_age is None for s in services)
    assert any(s.minimum_age is not None and s.minimum_age >= 65 for s in services)


def test_some_listings_are_stale(db_session: Session) -> None:
    today = date.today()
    ages = [(today - s.last_verified_on).days for s in demo_services(db_session)
            if s.last_verified_on]  # fmt: skip
    flagged = [a for a in ages if STALE_FLAG_DAYS < a <= STALE_HIDE_DAYS]
    hidden = [a for a in ages if a > STALE_HIDE_DAYS]
    assert len(flagged) >= 5
    assert len(hidden) >= 3
    assert len(flagged) + len(hidden) < len(ages) / 4  # most listings are recent
    assert all(a >= 0 for a in ages)


def test_contact_details_are_fictional(db_session: Session) -> None:
    services = demo_services(db_session)
    organisations = {s.organization for s in services}
    for record in [*services, *organisations]:
        assert record.phone and DRAMA_PHONE.match(record.phone), record.phone
        assert record.website and re.fullmatch(r"https://[a-z0-9-]+\.example\.org", record.website)
        assert record.email and record.email.endswith("@example.org")
    phones = [s.phone for s in services]
    assert len(set(phones)) == len(phones)


def test_how_to_refer_matches_the_routes(db_session: Session) -> None:
    for service in demo_services(db_session):
        text = service.how_to_refer
        assert ("Refer yourself" in text) == ("self-referral" in service.referral_routes)
        assert ("Ask your GP" in text) == ("gp-referral" in service.referral_routes)
        if "self-referral" in service.referral_routes:
            assert service.phone in text


def test_catchments(db_session: Session) -> None:
    for service in demo_services(db_session):
        kinds = {a.kind for a in service.areas}
        if service.catchment_national:
            assert kinds == {"national"}
        elif service.organization.sector == "nhs":
            assert kinds <= {"postcode-area", "postcode-district"} and kinds
        else:
            assert kinds and (kinds != {"radius"} or service.catchment_radius_km)
        if not service.catchment_national:
            assert service.locations, service.name
            for location in service.locations:
                assert location.latitude and location.longitude and location.postcode


def test_waits_are_dated_and_per_modality_where_nhs_says_so(db_session: Session) -> None:
    services = demo_services(db_session)
    for service in services:
        for wait in service.waits:
            assert wait.as_of <= date.today()
            assert wait.treatment_weeks is not None and wait.assessment_weeks is not None
            assert wait.treatment_weeks >= wait.assessment_weeks
            assert wait.modality is None or wait.modality in service.modalities
    leeds = next(s for s in services if s.name == "Leeds Psychological Therapies Service")
    by_modality = {w.modality: w.treatment_weeks for w in leeds.waits}
    assert by_modality["psychodynamic"] > by_modality["cbt"]


def test_languages_and_communities(db_session: Session) -> None:
    services = demo_services(db_session)
    languages = {lang for s in services for lang in s.language_list}
    communities = {c for s in services for c in s.community_list}
    assert {"English", "Polish", "Urdu", "Bengali", "Arabic", "Welsh", "BSL"} <= languages
    assert {"lgbtq", "women", "black-and-minority-ethnic", "students", "veterans",
            "older-adults"} <= communities  # fmt: skip


# ------------------------------------------------------------------------------ accounts


def test_demo_accounts(db_session: Session) -> None:
    org_id = demo_id("organisation", DEMO_ORGANISATION_NAME)
    assert db_session.get(Organization, org_id) is not None
    for account in DEMO_ACCOUNTS:
        user = db_session.scalars(select(User).where(User.email == account.email)).one()
        assert user.role == account.role
        assert user.password_hash != account.password
        membership = user.membership_for(org_id)
        assert (membership.role if membership else None) == account.membership
    roles = {a.role for a in DEMO_ACCOUNTS}
    assert {"provider", "moderator"} <= roles
    assert {a.membership for a in DEMO_ACCOUNTS} >= {"owner", "editor"}


def test_demo_account_passwords_work(db_session: Session) -> None:
    # One check is enough (scrypt is slow on purpose).
    owner = next(a for a in DEMO_ACCOUNTS if a.membership == "owner")
    user = db_session.scalars(select(User).where(User.email == owner.email)).one()
    assert user.check_password(owner.password)
    assert not user.check_password("wrong-password")
