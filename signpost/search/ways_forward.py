"""Never a dead end: when a search finds nothing, the one-tap changes that could find something.

Plain Python over SearchParams: each way forward is the same search with one thing relaxed
(a wider distance, one named filter dropped, video and phone included), as query pairs the
page turns into a link and the API returns as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from signpost.crisis import lines_for
from signpost.matcher.rules import NOT_SURE
from signpost.search.params import RADIUS_RANGE_KM, SearchParams
from signpost.urgency import get_urgency
from signpost.vocab import get_vocabularies

REMOTE = ("online", "phone", "video")
ADULT_AGE = 18


@dataclass(frozen=True)
class WayForward:
    code: str  # widen_distance | include_remote | include_in_person | drop_<filter>
    text: str
    params: SearchParams

    @property
    def pairs(self) -> list[tuple[str, str]]:
        return self.params.to_query()

    def to_json(self) -> dict[str, object]:
        return {"code": self.code, "text": self.text, "query": self.params.to_json()}


def _wider(radius_km: float) -> float | None:
    widest = RADIUS_RANGE_KM[1]
    if radius_km >= widest:
        return None
    return min(widest, max(radius_km * 2, 50.0))


def ways_forward(params: SearchParams) -> tuple[WayForward, ...]:
    """Every single change that relaxes the search, most useful first."""
    vocab = get_vocabularies()
    ways: list[WayForward] = []
    wider = _wider(params.radius_km)
    if wider is not None:
        ways.append(
            WayForward(
                "widen_distance", f"Look up to {wider:g} km away", replace(params, radius_km=wider)
            )
        )
    if params.delivery and not set(REMOTE) <= set(params.delivery):
        added = tuple(sorted(set(params.delivery) | set(REMOTE)))
        ways.append(
            WayForward(
                "include_remote",
                "Include services by video, phone and online",
                replace(params, delivery=added),
            )
        )
    if params.delivery and "in-person" not in params.delivery:
        ways.append(
            WayForward(
                "include_in_person",
                "Include services you visit in person",
                replace(params, delivery=()),
            )
        )
    if params.max_cost is not None:
        text = "Include services that charge" if params.max_cost == 0 else "Include any cost"
        ways.append(WayForward("drop_max_cost", text, replace(params, max_cost=None)))
    if params.self_referral:
        ways.append(
            WayForward(
                "drop_self_referral",
                "Include services your GP refers you to",
                replace(params, self_referral=False),
            )
        )
    if params.modalities:
        names = " or ".join(
            vocab.modalities[m].name if m in vocab.modalities else m for m in params.modalities
        )
        ways.append(
            WayForward(
                "drop_modality",
                f"Include services that do not offer {names}",
                replace(params, modalities=()),
            )
        )
    if params.relational:
        ways.append(
            WayForward(
                "drop_relational",
                "Include therapies that are not relational",
                replace(params, relational=False),
            )
        )
    if params.language:
        ways.append(
            WayForward(
                "drop_language",
                f"Include services that do not list {params.language}",
                replace(params, language=None),
            )
        )
    if params.community:
        ways.append(
            WayForward(
                "drop_community",
                "Include services without that community focus",
                replace(params, community=None),
            )
        )
    return tuple(ways)


# Each nation's NHS line for urgent mental health help (crisis_lines.yaml keys).
NHS_URGENT_LINES = ("nhs-111-england", "nhs-111-wales", "nhs-24", "lifeline")


def urgent_view(
    need: str, age_range: tuple[int, int], nation: str | None = None
) -> dict[str, object] | None:
    """The need's urgent panel with the steps and crisis lines that fit this person's age and
    nation, or None."""
    panel = get_urgency().panel_for(need)
    if panel is None:
        return None
    young = age_range[0] < ADULT_AGE
    lines = lines_for(age_range, nation)
    nhs_line = (
        next((line for line in lines if line.key in NHS_URGENT_LINES), None) if nation else None
    )
    steps = panel.steps_in(nhs_line)
    in_steps = {step.href for step in steps if step.href} | {"tel:999", "tel:111"}
    return {
        "panel": panel,
        "steps": steps,
        "young": young,
        "lines": [line for line in lines if line.href not in in_steps],
        "json": panel.to_json(young=young, nhs_line=nhs_line)
        | {"lines": [line.to_json() for line in lines]},
    }


def safety_net(
    params: SearchParams,
    age_range: tuple[int, int],
    found_nothing: bool,
    nation: str | None = None,
) -> dict[str, object]:
    """What keeps a search from being a dead end: one-tap changes when nothing was found,
    and the front doors that always exist for this age (also for "not sure")."""
    show_doors = found_nothing or params.need == NOT_SURE
    return {
        "ways_forward": ways_forward(params) if found_nothing else (),
        "front_doors": get_urgency().front_doors_for(age_range, nation) if show_doors else (),
        "helplines": lines_for(age_range, nation) if found_nothing else (),
    }
