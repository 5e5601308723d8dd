"""Database models, one module per area. Import from here."""

from signpost.models.accounts import Membership, User
from signpost.models.directory import (
    Location,
    Organization,
    Service,
    ServiceArea,
    ServiceAtLocation,
    ServiceTag,
    Wait,
)
from signpost.models.history import ChangeRequest, DirectoryVersion, ProblemReport, Revision
from signpost.models.insights import DemandCounter, InsightSnapshot
from signpost.models.vocabulary import Modality, Need

__all__ = [
    "ChangeRequest",
    "DemandCounter",
    "DirectoryVersion",
    "InsightSnapshot",
    "Location",
    "Membership",
    "Modality",
    "Need",
    "Organization",
    "ProblemReport",
    "Revision",
    "Service",
    "ServiceArea",
    "ServiceAtLocation",
    "ServiceTag",
    "User",
    "Wait",
]
