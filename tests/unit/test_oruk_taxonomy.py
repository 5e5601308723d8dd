"""Signpost's vocabularies as ORUK taxonomies: complete, and with ids that never change."""

from __future__ import annotations

import uuid

from signpost.oruk import taxonomy as tx
from signpost.vocab import get_vocabularies


def test_every_vocabulary_slug_is_a_term() -> None:
    vocab = get_vocabularies()
    cat = tx.get_catalogue()
    expected = {
        tx.MODALITIES: set(vocab.modalities),
        tx.NEEDS: set(vocab.needs),
        tx.CLIENT_GROUPS: set(vocab.band_slugs),
        tx.FORMATS: set(vocab.formats),
        tx.DELIVERY: set(vocab.delivery),
        tx.REFERRAL_ROUTES: set(vocab.referral_routes),
        tx.SECTORS: set(vocab.sectors),
    }
    for taxonomy in cat.taxonomies:
        assert {term.slug for term in taxonomy.terms} == expected[taxonomy.name]
    assert len(cat.by_id) == sum(len(slugs) for slugs in expected.values())


def test_ids_are_stable_uuid5s() -> None:
    # Pinned: a change here would break every consumer holding our ids.
    cat = tx.get_catalogue()
    assert cat.taxonomy(tx.MODALITIES).id == "82f2ea9e-91b1-56ba-9f04-cf70d1df170b"
    cbt = cat.term(tx.MODALITIES, "cbt")
    assert cbt.id == str(uuid.uuid5(tx.NAMESPACE, "taxonomy/signpost-modalities/term/cbt"))
    assert uuid.UUID(cbt.id).version == 5
    assert cat.taxonomy(cbt.taxonomy_id) is cat.taxonomy(tx.MODALITIES)


def test_terms_have_required_oruk_fields() -> None:
    for term in tx.get_catalogue().terms:
        data = term.to_oruk()
        assert data["name"] and data["description"] and data["term"] == term.slug
        assert data["taxonomy"].startswith("signpost-")


def test_client_groups_follow_the_age_range() -> None:
    cat = tx.get_catalogue()

    def groups(low: int | None, high: int | None) -> list[str]:
        return [t.slug for t in cat.client_groups(low, high)]

    assert groups(18, None) == ["18+"]
    assert groups(None, None) == ["0-5", "5-11", "12-17", "18+"]
    assert groups(11, 18) == ["5-11", "12-17", "18+"]
    assert groups(0, 4) == ["0-5"]
    assert groups(5, 5) == ["0-5", "5-11"]


def test_terms_have_stable_uris_and_broader_terms() -> None:
    from signpost.oruk import taxonomy as tx

    cat = tx.get_catalogue()
    tf_cbt = cat.term(tx.MODALITIES, "trauma-focused-cbt").to_oruk()
    assert tf_cbt["parent_id"] == cat.term(tx.MODALITIES, "cbt").id
    assert tf_cbt["term_uri"] == f"urn:uuid:{tf_cbt['id']}"
    assert cat.term(tx.NEEDS, "panic").parent_id == cat.term(tx.NEEDS, "anxiety").id
    assert "parent_id" not in cat.term(tx.MODALITIES, "cbt").to_oruk()
    for (taxonomy, _slug), parent in tx.PARENTS.items():
        assert (taxonomy, parent) in cat.by_slug  # every parent is a real term
