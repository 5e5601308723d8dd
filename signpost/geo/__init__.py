"""Offline UK geocoding for Signpost (postcodes via Code-Point Open, places via GeoNames).

Plain Python: no Flask or SQLAlchemy, so it can be used from CLI tools and tests directly.
Build the index with ``python -m signpost.geo.index_build PATH``, then ``Geocoder(PATH)``.
"""

from signpost.geo.geocoder import (
    Geocoder,
    IndexUnavailableError,
    LocationError,
    LocationErrorCode,
    Precision,
    ResolvedLocation,
)
from signpost.geo.index_build import SCHEMA_VERSION, build_index
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
