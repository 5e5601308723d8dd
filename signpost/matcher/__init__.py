"""The matcher: rank talking-therapy services for one person, with reasons and the NICE
choice panel. Pure Python and numpy; no Flask, no database (PRODUCT.md section 5).

    index = DirectoryIndex(records)          # once per worker
    outcome = match(query, index, advice)    # per search
"""

from signpost.matcher.engine import match
from signpost.matcher.index import DirectoryIndex
from signpost.matcher.query import MatchQuery
from signpost.matcher.records import ServiceRecord, Site, Wait
from signpost.matcher.results import (
    ChoicePanelRow,
    MatchOutcome,
    RankedService,
    Reason,
    WidenInfo,
)
from signpost.matcher.scoring import ScoringConfigError, ScoringRules, default_scoring, load_scoring

__all__ = [
    "ChoicePanelRow",
    "DirectoryIndex",
    "MatchOutcome",
    "MatchQuery",
    "RankedService",
    "Reason",
    "ScoringConfigError",
    "ScoringRules",
    "ServiceRecord",
    "Site",
    "Wait",
    "WidenInfo",
    "default_scoring",
    "load_scoring",
    "match",
]
