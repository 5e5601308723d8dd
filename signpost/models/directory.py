"""The directory: organisations, their services, where they run and who they reach.

Shaped after Open Referral UK / HSDS 3.0 (organization → service → service_at_location →
location; service_area for catchment), with Signpost's clinical tags on the service.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from signpost import slugs
from signpost.extensions import db
from signpost.models._types import in_list, new_id, utcnow

if TYPE_CHECKING:
    from signpost.models.accounts import User

TAG_KINDS = {
    "format": slugs.FORMATS,
    "delivery": slugs.DELIVERY,
    "referral": slugs.REFERRAL_ROUTES,
}


class Organization(db.Model):
    __tablename__ = "organizations"
    __table_args__ = (
        CheckConstraint(in_list("sector", slugs.SECTORS), name="sector"),
        CheckConstraint(in_list("moderation", slugs.MODERATION_STATES), name="moderation"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    # None: the source did not say (an imported organisation); never guessed.
    sector: Mapped[str | None] = mapped_column(String(20))
    charity_number: Mapped[str | None] = mapped_column(String(40))
    website: Mapped[str | None] = mapped_column(String(500))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(Text, default="")
    demo: Mapped[bool] = mapped_column(default=False)
    # New organisations wait for a moderator before any of their services are public.
    moderation: Mapped[str] = mapped_column(String(20), default="approved")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    services: Mapped[list[Service]] = relationship(
        back_populates="organization", cascade="all, delete-orphan", order_by="Service.name"
    )


class Service(db.Model):
    __tablename__ = "services"
    __table_args__ = (
        CheckConstraint(in_list("status", slugs.SERVICE_STATUSES), name="status"),
        CheckConstraint(in_list("capacity", slugs.CAPACITY), name="capacity"),
        CheckConstraint(in_list("cost_type", slugs.COST_TYPES), name="cost_type"),
        CheckConstraint(
            "minimum_age IS NULL OR (minimum_age >= 0 AND minimum_age <= 120)", name="min_age"
        ),
        CheckConstraint(
            "maximum_age IS NULL OR minimum_age IS NULL OR maximum_age >= minimum_age",
            name="age_range",
        ),
        CheckConstraint(
            "cost_min_gbp IS NULL OR cost_max_gbp IS NULL OR cost_max_gbp >= cost_min_gbp",
            name="cost_range",
        ),
        CheckConstraint("cost_min_gbp IS NULL OR cost_min_gbp >= 0", name="cost_min"),
        CheckConstraint(
            "catchment_radius_km IS NULL OR catchment_radius_km > 0", name="catchment_radius"
        ),
        Index("ix_services_org", "organization_id"),
        Index("ix_services_name", "name"),  # the ORUK API sorts and searches by name
        Index("ix_services_source", "source_name", "source_record_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="active")
    website: Mapped[str | None] = mapped_column(String(500))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    how_to_refer: Mapped[str] = mapped_column(Text, default="")
    minimum_age: Mapped[int | None] = mapped_column(Integer)
    maximum_age: Mapped[int | None] = mapped_column(Integer)
    # cost_type and capacity are None when not stated (imported listings): shown as
    # "Not stated", never credited as free or accepting.
    cost_type: Mapped[str | None] = mapped_column(String(20), default="free")
    cost_min_gbp: Mapped[float | None] = mapped_column(Float)
    cost_max_gbp: Mapped[float | None] = mapped_column(Float)
    cost_description: Mapped[str | None] = mapped_column(Text)
    capacity: Mapped[str | None] = mapped_column(String(20), default="accepting")
    typical_sessions: Mapped[str | None] = mapped_column(String(120))
    registration_bodies: Mapped[str | None] = mapped_column(String(300))
    trainees_deliver: Mapped[bool] = mapped_column(default=False)
    languages: Mapped[str] = mapped_column(String(300), default="English")  # comma-separated
    communities: Mapped[str] = mapped_column(String(300), default="")  # comma-separated
    # Specific protocols delivered (protocols.yaml slugs) and who the service is only for
    # (eligibility slugs, vocabularies.yaml), comma-separated; the note names the college or area.
    protocols: Mapped[str] = mapped_column(String(500), default="", server_default="")
    eligibility: Mapped[str] = mapped_column(String(500), default="", server_default="")
    eligibility_note: Mapped[str | None] = mapped_column(String(200))
    catchment_national: Mapped[bool] = mapped_column(default=False)
    catchment_radius_km: Mapped[float | None] = mapped_column(Float)
    last_verified_on: Mapped[date | None] = mapped_column(Date)
    last_verified_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    demo: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    # Provenance of harvested listings: which source, its own id there, when it was last
    # seen and last changed there, and a digest of the record to tell changed from unchanged.
    source_name: Mapped[str | None] = mapped_column(String(200))
    source_record_id: Mapped[str | None] = mapped_column(String(200))
    source_last_seen: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    source_last_changed: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    source_digest: Mapped[str | None] = mapped_column(String(64))
    # Imported listings are classified (therapy | mental-health | other) with the phrases
    # that support it; only those a moderator confirmed reach search ("confirmed").
    import_class: Mapped[str | None] = mapped_column(String(20))
    import_review: Mapped[str | None] = mapped_column(String(20))
    import_evidence: Mapped[str | None] = mapped_column(Text)  # JSON
    # Facts a source gave as free text that Signpost cannot resolve: kept, shown as given.
    opening_times: Mapped[str | None] = mapped_column(Text)
    area_description: Mapped[str | None] = mapped_column(Text)
    # Optimistic locking: a save from a stale form fails instead of overwriting a colleague.
    version: Mapped[int] = mapped_column(Integer, default=1, nullable=False)
    __mapper_args__ = {"version_id_col": version}

    organization: Mapped[Organization] = relationship(back_populates="services")
    modality_links: Mapped[list[ServiceModality]] = relationship(
        cascade="all, delete-orphan", order_by="ServiceModality.modality"
    )
    need_links: Mapped[list[ServiceNeed]] = relationship(
        cascade="all, delete-orphan", order_by="ServiceNeed.need"
    )
    tags: Mapped[list[ServiceTag]] = relationship(
        cascade="all, delete-orphan", order_by="(ServiceTag.kind, ServiceTag.value)"
    )
    service_locations: Mapped[list[ServiceAtLocation]] = relationship(
        back_populates="service", cascade="all, delete-orphan"
    )
    areas: Mapped[list[ServiceArea]] = relationship(
        cascade="all, delete-orphan", order_by="ServiceArea.value"
    )
    waits: Mapped[list[Wait]] = relationship(cascade="all, delete-orphan", order_by="Wait.modality")
    last_verified_by: Mapped[User | None] = relationship()

    # Convenience views over the link tables, used by forms, export and the directory index.
    @property
    def modalities(self) -> list[str]:
        return [link.modality for link in self.modality_links]

    @property
    def needs(self) -> list[str]:
        return [link.need for link in self.need_links]

    def tag_values(self, kind: str) -> list[str]:
        return [tag.value for tag in self.tags if tag.kind == kind]

    @property
    def formats(self) -> list[str]:
        return self.tag_values("format")

    @property
    def delivery(self) -> list[str]:
        return self.tag_values("delivery")

    @property
    def referral_routes(self) -> list[str]:
        return self.tag_values("referral")

    @property
    def locations(self) -> list[Location]:
        return [link.location for link in self.service_locations]

    @property
    def ages_not_stated(self) -> bool:
        """A harvested listing whose source gave no ages: "all ages" would be a claim it
        never made (a provider's own listing without limits means all ages)."""
        return bool(self.source_name) and self.minimum_age is None and self.maximum_age is None

    @property
    def language_list(self) -> list[str]:
        return [x.strip() for x in self.languages.split(",") if x.strip()]

    @property
    def community_list(self) -> list[str]:
        return [x.strip() for x in self.communities.split(",") if x.strip()]

    @property
    def protocol_list(self) -> list[str]:
        return [x.strip() for x in (self.protocols or "").split(",") if x.strip()]

    @property
    def eligibility_list(self) -> list[str]:
        return [x.strip() for x in (self.eligibility or "").split(",") if x.strip()]

    @property
    def low_intensity_modalities(self) -> list[str]:
        return [link.modality for link in self.modality_links if link.intensity == "low"]

    def set_modalities(self, values: list[str], low_intensity: Iterable[str] = ()) -> None:
        low = set(low_intensity)
        self.modality_links = [
            ServiceModality(modality=v, intensity="low" if v in low else "high")
            for v in sorted(set(values))
        ]

    def set_needs(self, values: list[str]) -> None:
        self.need_links = [ServiceNeed(need=v) for v in sorted(set(values))]

    def set_tags(self, kind: str, values: list[str]) -> None:
        kept = [t for t in self.tags if t.kind != kind]
        self.tags = kept + [ServiceTag(kind=kind, value=v) for v in sorted(set(values))]


class ServiceModality(db.Model):
    __tablename__ = "service_modalities"
    __table_args__ = (CheckConstraint("intensity IN ('low', 'high')", name="intensity"),)

    service_id: Mapped[str] = mapped_column(
        ForeignKey("services.id", ondelete="CASCADE"), primary_key=True
    )
    modality: Mapped[str] = mapped_column(ForeignKey("modalities.slug"), primary_key=True)
    # Low: guided self-help, courses, digital programmes; high: one-to-one therapist-led.
    intensity: Mapped[str] = mapped_column(String(4), default="high", server_default="high")


class ServiceNeed(db.Model):
    __tablename__ = "service_needs"

    service_id: Mapped[str] = mapped_column(
        ForeignKey("services.id", ondelete="CASCADE"), primary_key=True
    )
    need: Mapped[str] = mapped_column(ForeignKey("needs.slug"), primary_key=True)


class ServiceTag(db.Model):
    """Formats, delivery modes and referral routes: small closed vocabularies."""

    __tablename__ = "service_tags"
    __table_args__ = (
        CheckConstraint(
            " OR ".join(
                f"(kind = '{kind}' AND {in_list('value', values)})"
                for kind, values in TAG_KINDS.items()
            ),
            name="kind_value",
        ),
    )

    service_id: Mapped[str] = mapped_column(
        ForeignKey("services.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    value: Mapped[str] = mapped_column(String(40), primary_key=True)


class Location(db.Model):
    __tablename__ = "locations"
    __table_args__ = (
        Index("ix_locations_org", "organization_id"),
        CheckConstraint("latitude IS NULL OR (latitude BETWEEN -90 AND 90)", name="lat"),
        CheckConstraint("longitude IS NULL OR (longitude BETWEEN -180 AND 180)", name="lon"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organization_id: Mapped[str | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    name: Mapped[str] = mapped_column(String(200), default="")
    address_1: Mapped[str] = mapped_column(String(200), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    postcode: Mapped[str] = mapped_column(String(10), default="")
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    accessibility: Mapped[str | None] = mapped_column(Text)

    service_links: Mapped[list[ServiceAtLocation]] = relationship(
        back_populates="location", cascade="all, delete-orphan"
    )


class ServiceAtLocation(db.Model):
    __tablename__ = "service_at_locations"
    __table_args__ = (
        UniqueConstraint("service_id", "location_id", name="uq_service_location"),
        Index("ix_service_at_locations_location", "location_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    service_id: Mapped[str] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"))
    location_id: Mapped[str] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"))

    service: Mapped[Service] = relationship(back_populates="service_locations")
    location: Mapped[Location] = relationship(back_populates="service_links")


class ServiceArea(db.Model):
    """Catchment: a postcode area ("LS"), a district ("LS6"), or the whole country."""

    __tablename__ = "service_areas"
    __table_args__ = (
        CheckConstraint(in_list("kind", slugs.CATCHMENT_KINDS), name="kind"),
        Index("ix_service_areas_service", "service_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    service_id: Mapped[str] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    value: Mapped[str] = mapped_column(String(20), default="")
    description: Mapped[str | None] = mapped_column(String(200))


class Wait(db.Model):
    """Two dated figures: weeks to first assessment, weeks to the start of therapy."""

    __tablename__ = "waits"
    __table_args__ = (
        CheckConstraint(
            "assessment_weeks IS NULL OR assessment_weeks >= 0", name="assessment_weeks"
        ),
        CheckConstraint("treatment_weeks IS NULL OR treatment_weeks >= 0", name="treatment_weeks"),
        UniqueConstraint("service_id", "modality", name="uq_wait_service_modality"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[str] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"))
    modality: Mapped[str | None] = mapped_column(ForeignKey("modalities.slug"))
    assessment_weeks: Mapped[int | None] = mapped_column(Integer)
    treatment_weeks: Mapped[int | None] = mapped_column(Integer)
    as_of: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(200), default="provider")
