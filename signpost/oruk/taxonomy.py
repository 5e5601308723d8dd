"""Signpost's vocabularies published as ORUK taxonomies.

Modalities, needs and client groups (NICE age bands) are the taxonomies the brief names;
formats, delivery modes, referral routes and sectors are published the same way so ORUK
tools can filter on them too. Every id is a UUID5 of a fixed namespace and a stable name,
so ids never change between runs, machines or releases.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from signpost.vocab import get_vocabularies

# Fixed forever: changing it would change every published taxonomy and term id.
NAMESPACE = uuid.UUID("4354ddf1-ac22-470c-a380-6f80badffbc8")

MODALITIES = "signpost-modalities"
NEEDS = "signpost-needs"
CLIENT_GROUPS = "signpost-client-groups"
FORMATS = "signpost-formats"
DELIVERY = "signpost-delivery"
REFERRAL_ROUTES = "signpost-referral-routes"
SECTORS = "signpost-sectors"

#: Where each taxonomy's terms are stored on a service ("sector" is on the organisation,
#: "client_group" is derived from the service's age range).
LINK_TYPES = {
    MODALITIES: "modality",
    NEEDS: "need",
    CLIENT_GROUPS: "client_group",
    FORMATS: "format",
    DELIVERY: "delivery",
    REFERRAL_ROUTES: "referral_route",
    SECTORS: "sector",
}

_DESCRIPTIONS = {
    MODALITIES: "Talking therapies (modalities) a service offers, as used by Signpost and "
    "NICE guidance.",
    NEEDS: "What a person wants help with, in plain English.",
    CLIENT_GROUPS: "Who a service is for by age, in the age bands NICE guidance uses. Derived "
    "from the service's minimum_age and maximum_age.",
    FORMATS: "How therapy is delivered: one-to-one, group, couple or family.",
    DELIVERY: "How people attend: in person, by video, by phone, or an online course.",
    REFERRAL_ROUTES: "Who can refer someone to the service.",
    SECTORS: "The kind of organisation: NHS, charity or low-cost provider.",
}


def make_id(*parts: str) -> str:
    """A stable UUID string for a name made of ``parts``."""
    return str(uuid.uuid5(NAMESPACE, "/".join(parts)))


@dataclass(frozen=True, slots=True)
class Term:
    id: str
    taxonomy: str  # the taxonomy's name, e.g. "signpost-modalities"
    taxonomy_id: str
    slug: str
    name: str
    description: str
    min_age: int | None = None  # client groups only
    max_age: int | None = None
    parent_id: str | None = None

    @property
    def term_uri(self) -> str:
        """A URI that never changes with the host Signpost runs on."""
        return f"urn:uuid:{self.id}"

    def to_oruk(self) -> dict[str, str]:
        out = {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "taxonomy": self.taxonomy,
            "taxonomy_id": self.taxonomy_id,
            "term": self.slug,
            "code": self.slug,
            "term_uri": self.term_uri,
        }
        if self.parent_id is not None:
            out["parent_id"] = self.parent_id
        return out


@dataclass(frozen=True, slots=True)
class Taxonomy:
    id: str
    name: str
    description: str
    terms: tuple[Term, ...]

    def to_oruk(self, *, with_terms: bool = False) -> dict[str, object]:
        out: dict[str, object] = {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "version": "1",
        }
        if with_terms and self.terms:
            out["taxonomy_terms"] = [term.to_oruk() for term in self.terms]
        return out


@dataclass(frozen=True)
class Catalogue:
    taxonomies: tuple[Taxonomy, ...]
    by_id: dict[str, Term]
    by_slug: dict[tuple[str, str], Term]  # (taxonomy name, slug) -> term
    taxonomy_by_key: dict[str, Taxonomy]  # id or name -> taxonomy

    @property
    def terms(self) -> list[Term]:
        return [term for taxonomy in self.taxonomies for term in taxonomy.terms]

    def term(self, taxonomy: str, slug: str) -> Term:
        return self.by_slug[(taxonomy, slug)]

    def taxonomy(self, key: str) -> Taxonomy | None:
        return self.taxonomy_by_key.get(key)

    def client_groups(self, minimum_age: int | None, maximum_age: int | None) -> list[Term]:
        """Age bands that overlap a service's age range (no limits: every band)."""
        low = 0 if minimum_age is None else minimum_age
        high = None if maximum_age is None else maximum_age
        out = []
        for term in self.taxonomy_by_key[CLIENT_GROUPS].terms:
            band_low = term.min_age or 0
            band_high = term.max_age
            if (high is None or band_low <= high) and (band_high is None or low <= band_high):
                out.append(term)
        return out


# Broader terms, only where one is a kind of the other: trauma-focused CBT is CBT, DIT is a
# brief psychodynamic therapy, panic and social anxiety are anxiety problems.
PARENTS = {
    (MODALITIES, "trauma-focused-cbt"): "cbt",
    (MODALITIES, "dit"): "psychodynamic",
    (NEEDS, "panic"): "anxiety",
    (NEEDS, "social-anxiety"): "anxiety",
}


def _taxonomy(
    name: str, entries: Iterable[tuple[str, str, str, int | None, int | None]]
) -> Taxonomy:
    taxonomy_id = make_id("taxonomy", name)
    terms = tuple(
        Term(
            id=make_id("taxonomy", name, "term", slug),
            taxonomy=name,
            taxonomy_id=taxonomy_id,
            slug=slug,
            name=term_name,
            description=description or term_name,
            min_age=min_age,
            max_age=max_age,
            parent_id=(
                make_id("taxonomy", name, "term", PARENTS[(name, slug)])
                if (name, slug) in PARENTS
                else None
            ),
        )
        for slug, term_name, description, min_age, max_age in entries
    )
    return Taxonomy(taxonomy_id, name, _DESCRIPTIONS[name], terms)


@functools.cache
def get_catalogue() -> Catalogue:
    """Every Signpost taxonomy and term, built once per process from the vocabularies."""
    vocab = get_vocabularies()

    def small(key: str) -> list[tuple[str, str, str, int | None, int | None]]:
        return [(t.slug, t.name, t.description, None, None) for t in vocab.terms[key].values()]

    taxonomies = (
        _taxonomy(
            MODALITIES,
            [(m.slug, m.name, m.summary, None, None) for m in vocab.modalities.values()],
        ),
        _taxonomy(
            NEEDS, [(n.slug, n.name, n.description, None, None) for n in vocab.needs.values()]
        ),
        _taxonomy(
            CLIENT_GROUPS,
            [
                (b.slug, b.name, f"Services for {b.phrase}.", b.min_age, b.max_age)
                for b in vocab.bands
            ],
        ),
        _taxonomy(FORMATS, small("formats")),
        _taxonomy(DELIVERY, small("delivery")),
        _taxonomy(REFERRAL_ROUTES, small("referral_routes")),
        _taxonomy(SECTORS, small("sectors")),
    )
    by_id = {term.id: term for taxonomy in taxonomies for term in taxonomy.terms}
    by_slug = {(term.taxonomy, term.slug): term for term in by_id.values()}
    by_key: dict[str, Taxonomy] = {}
    for taxonomy in taxonomies:
        by_key[taxonomy.id] = taxonomy
        by_key[taxonomy.name] = taxonomy
    return Catalogue(taxonomies, by_id, by_slug, by_key)
