"""The question-page start: one thing per page, in the NHS.UK pattern, with no JavaScript.

Each page is a GET form that carries the earlier answers as hidden fields, so nothing is
stored between pages; the last page submits straight to the results.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from signpost.search.params import AGE_REQUIRED, MAX_AGE, FieldError

# The questions in order; severity is only asked about depression (NICE splits on it).
STEPS = ("where", "help", "age", "severity", "more")
ANSWER_FIELDS = {"where": "location", "help": "need", "age": "age", "severity": "severity"}
# Fields a page sets besides its main answer (the age page also offers an age band).
EXTRA_FIELDS = {"age": ("age_band",)}


@dataclass(frozen=True)
class Step:
    name: str
    errors: tuple[FieldError, ...] = ()


def check(step: str, args: Mapping[str, str], needs: Mapping[str, object]) -> list[FieldError]:
    """The problems with the answer to *step*, in the results page's own words."""
    value = " ".join((args.get(ANSWER_FIELDS.get(step, ""), "") or "").split())
    if step == "where" and not value:
        return [
            FieldError(
                "location", "missing_location", "Enter a postcode, part of a postcode or a town"
            )
        ]
    if step == "help" and value not in needs:
        return [FieldError("need", "missing_need", "Select what you would like help with")]
    if step == "age" and value and (not value.isdigit() or int(value) > MAX_AGE):
        return [FieldError("age", "invalid_age", f"Enter your age in years, from 0 to {MAX_AGE}")]
    if step == "age" and not value and not args.get("age_band"):
        return [FieldError("age", "age_required", AGE_REQUIRED)]
    return []


def next_step(step: str, args: Mapping[str, str]) -> str:
    """The question after *step* (severity is skipped unless the need is depression)."""
    following = STEPS[STEPS.index(step) + 1] if step in STEPS[:-1] else "more"
    if following == "severity" and args.get("need") != "depression":
        return "more"
    return following


def step_after(args: Mapping[str, str], needs: Mapping[str, object]) -> Step:
    """Which page to show: the one answered again if its answer is wrong, else the next."""
    answered = args.get("step")
    if answered not in STEPS:
        return Step("where")
    errors = check(answered, args, needs)
    if errors:
        return Step(answered, tuple(errors))
    return Step(next_step(answered, args))


def previous_step(step: str, args: Mapping[str, str]) -> str | None:
    """The question before *step*, or None for the first."""
    order = [s for s in STEPS if s != "severity" or args.get("need") == "depression"]
    at = order.index(step) if step in order else 0
    return order[at - 1] if at > 0 else None


def back_step_param(step: str, args: Mapping[str, str]) -> str | None:
    """The ``step`` value that shows the question before *step* again (the answered step
    that leads to it), or None when that is the first page."""
    before = previous_step(step, args)
    return previous_step(before, args) if before else None
