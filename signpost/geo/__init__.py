"""Offline UK geocoding for Signpost (postcodes via Code-Point Open, places via GeoNames).

Plain Python: no Flask or SQLAlchemy, so it can be used from CLI tools and tests directly.
Build the index with ``python -m signpost.geo.index_build PATH``, then ``Geocoder(PATH)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from signpost.geo.geocoder import (
    SCHEMA_VERSION,
    Geocoder,
    IndexUnavailableError,
    LocationError,
    LocationErrorCode,
    Precision,
    ResolvedLocation,
)
from signpost.geo.postcodes import (
    Classified,
    PostcodeKind,
    area_of,
    classify,
    is_northern_ireland,
    normalise_postcode,
    outcode_of,
    sector_of,
)

if TYPE_CHECKING:
    from signpost.geo.index_build import build_index

__all__ = [
    "SCHEMA_VERSION",
    "Classified",
    "Geocoder",
    "IndexUnavailableError",
    "LocationError",
    "LocationErrorCode",
    "PostcodeKind",
    "Precision",
    "ResolvedLocation",
    "area_of",
    "build_index",
    "classify",
    "is_northern_ireland",
    "normalise_postcode",
    "outcode_of",
    "sector_of",
]


def __getattr__(name: str) -> Any:
    # Imported lazily so `python -m signpost.geo.index_build` does not find the module
    # already loaded (runpy warns about that), and web workers never load the builder.
    if name == "build_index":
        from signpost.geo.index_build import build_index

        return build_index
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
