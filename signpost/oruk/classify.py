"""Is an imported service talking therapy? Phrase rules that show their working.

A council feed is mostly leisure, housing and food banks. Each imported service is put in
one of three classes from the words of its name, description and incoming taxonomy terms:

- ``therapy``: it offers a talking therapy (counselling, psychotherapy, CBT, EMDR, ...);
- ``mental-health``: mental-health support that is not therapy (peer support, helplines);
- ``other``: everything else.

Phrases that name other therapies ("physiotherapy", "speech and language therapy") or other
counselling ("debt counselling") are removed first. Modalities and needs are *suggested*
with the words that support them; a moderator confirms them in the curation queue, and
nothing suggested here reaches search or earns credit for a specific therapy until then.
Plain Python: no Flask, no database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

# Not talking therapy, though the words overlap: removed before any rule runs.
_NOT_THERAPY = (
    r"physio ?therap\w*", r"occupational therap\w*", r"speech (and|&) language therap\w*",
    r"speech therap\w*", r"massage\w*", r"aromatherap\w*", r"hydrotherap\w*", r"reflexolog\w*",
    r"(debt|money|financial|benefits?|housing|careers?|employment|legal|welfare|budget\w*|"
    r"energy|tenancy) (advice and )?counsell?ing", r"nicotine replacement therap\w*",
    r"(spiritual|pastoral|religious|genetic|careers?) counsell?ing",
    r"peer counsell?ing",  # volunteers' support: mental-health support, not therapy
    r"hormone therap\w*", r"radiotherap\w*", r"chemotherap\w*", r"animal[- ]assisted therap\w*",
    r"sound therap\w*", r"horticultural therap\w*", r"beauty therap\w*", r"sports therap\w*",
)  # fmt: skip
_NOT_THERAPY_RE = re.compile(r"\b(" + "|".join(_NOT_THERAPY) + r")\b", re.IGNORECASE)

_THERAPY = (
    r"counsell?ing", r"counsell?ors?", r"psychotherap\w*", r"talking therap\w*",
    r"psychological therap\w*", r"psychological (support|intervention|treatment)s?",
    r"cognitive behaviou?ral", r"\bcbt\b", r"emdr", r"\bdbt\b", r"dialectical behaviou?r",
    r"family therapy", r"couples? therapy", r"systemic therapy", r"psychodynamic",
    r"interpersonal (psycho)?therapy", r"\biapt\b", r"mentali[sz]ation", r"cognitive analytic",
    r"art therap\w*", r"music therap\w*", r"drama therap\w*", r"play therap\w*",
    r"mindfulness[- ]based cognitive", r"acceptance and commitment therapy",
    r"therapeutic (support|sessions?|service)", r"one[- ]to[- ]one therapy", r"therapists?",
    r"e-?therapy", r"online therapy", r"therapy courses?", r"therapy",
)  # fmt: skip
# Single words that are weak on their own ("wellbeing", "crisis", "isolation", "dementia")
# are left out: in council feeds they mostly describe leisure, emergency aid and care.
_MENTAL_HEALTH = (
    r"mental health", r"mental wellbeing", r"emotional (support|wellbeing|health)",
    r"wellbeing (practitioners?|service|centre)", r"peer support", r"support groups?",
    r"anxiety", r"depression", r"low mood", r"stress", r"suicid\w*", r"self[- ]harm",
    r"(mental health|crisis) (crisis|line|support|team)", r"befriending", r"loneliness",
    r"eating disorders?", r"bereave\w*", r"grief", r"listening (service|ear)",
    r"recovery college", r"psychosis", r"trauma", r"ptsd", r"\bocd\b", r"panic",
    r"hear(ing)? voices", r"mood disorders?", r"peer counsell?ing",
)  # fmt: skip

# slug: phrases that suggest it (a suggestion only; a moderator confirms).
MODALITY_PHRASES: dict[str, tuple[str, ...]] = {
    "cbt": (r"cognitive behaviou?ral therapy", r"\bcbt\b"),
    "counselling": (r"counsell?ing", r"counsell?ors?"),
    "psychodynamic": (r"psychodynamic",),
    "emdr": (r"\bemdr\b", r"eye movement desensiti[sz]ation"),
    "dbt": (r"\bdbt\b", r"dialectical behaviou?r"),
    "family-therapy": (r"family therapy", r"systemic (family )?therapy"),
    "couples-therapy": (r"couples? (therapy|counsell?ing)", r"relationship counsell?ing"),
    "ipt": (r"interpersonal (psycho)?therapy",),
    "mbt": (r"mentali[sz]ation",),
    "cat": (r"cognitive analytic",),
    "mindfulness": (r"mindfulness",),
    "arts-therapies": (r"art therap\w*", r"music therap\w*", r"drama therap\w*",
                       r"dance movement therap\w*"),
    "guided-self-help": (r"guided self[- ]help",),
    "act": (r"acceptance and commitment therapy",),
    "child-psychotherapy": (r"child psychotherap\w*", r"play therap\w*"),
    "behavioural-activation": (r"behaviou?ral activation",),
}  # fmt: skip
NEED_PHRASES: dict[str, tuple[str, ...]] = {
    "depression": (r"depress\w*", r"low mood"),
    "anxiety": (r"anxiety", r"anxious", r"worry"),
    "panic": (r"panic",),
    "social-anxiety": (r"social anxiety",),
    "trauma": (r"trauma\w*", r"\bptsd\b", r"post[- ]traumatic"),
    "ocd": (r"\bocd\b", r"obsessive[- ]compulsive"),
    "eating-disorder": (r"eating disorders?", r"anorexia", r"bulimia", r"binge eating"),
    "self-harm": (r"self[- ]harm\w*",),
    "perinatal": (r"perinatal", r"postnatal", r"antenatal", r"post[- ]?natal depression"),
    "psychosis": (r"psychosis", r"psychotic", r"schizophreni\w*"),
    "bipolar": (r"bipolar",),
    "abuse-neglect": (r"domestic abuse", r"sexual abuse", r"domestic violence", r"\brape\b",
                      r"childhood abuse"),
    "relationships": (r"relationship (problems|difficulties|counsell?ing)",),
    "bereavement": (r"bereave\w*", r"grief"),
}  # fmt: skip


def _compile(phrases: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(r"\b(" + "|".join(phrases) + r")", re.IGNORECASE)


_THERAPY_RE = _compile(_THERAPY)
_MENTAL_HEALTH_RE = _compile(_MENTAL_HEALTH)
_MODALITIES = {slug: _compile(p) for slug, p in MODALITY_PHRASES.items()}
_NEEDS = {slug: _compile(p) for slug, p in NEED_PHRASES.items()}


@dataclass(frozen=True)
class Classification:
    kind: str  # therapy | mental-health | other
    evidence: tuple[str, ...]  # the words that decided the class
    modalities: dict[str, tuple[str, ...]] = field(default_factory=dict)  # slug -> words
    needs: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "class": self.kind,
            "evidence": list(self.evidence),
            "modalities": {k: list(v) for k, v in self.modalities.items()},
            "needs": {k: list(v) for k, v in self.needs.items()},
        }


def _found(pattern: re.Pattern[str], text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(m.group(0).lower() for m in pattern.finditer(text)))


def classify_service(
    name: str, description: str, terms: list[str] | tuple[str, ...] = (), organization: str = ""
) -> Classification:
    """Class, suggested modalities and needs of one service, each with its words.

    The service's own name and description decide; incoming taxonomy term names count the
    same. The organisation's name counts only for mental-health support (a counselling
    charity may also run a food bank)."""
    text = _NOT_THERAPY_RE.sub(" ", " ".join([name, description, *terms]))
    therapy = _found(_THERAPY_RE, text)
    support = _found(_MENTAL_HEALTH_RE, text) or _found(
        _MENTAL_HEALTH_RE, _NOT_THERAPY_RE.sub(" ", organization)
    )
    if therapy:
        kind, evidence = "therapy", therapy
    elif support:
        kind, evidence = "mental-health", support
    else:
        kind, evidence = "other", ()
    modalities = {s: w for s, p in _MODALITIES.items() if (w := _found(p, text))}
    needs = {s: w for s, p in _NEEDS.items() if (w := _found(p, text))}
    if kind == "other":
        modalities, needs = {}, {}
    return Classification(kind, evidence, modalities, needs)
