"""Plain-English wording for reasons and the choice panel."""

from __future__ import annotations

from datetime import date

from signpost.vocab import get_vocabularies

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

COMMUNITY_LABELS = {
    "lgbtq": "LGBTQ+ people",
    "women": "women",
    "men": "men",
    "black-and-minority-ethnic": "Black and minority ethnic communities",
    "students": "students",
    "veterans": "veterans",
    "older-adults": "older adults",
    "young-people": "young people",
}

# NICE's context is clinical ("less severe depression"), so these differ from the friendlier
# need names on the start page.
NEED_LABELS = {
    "depression": "depression",
    "anxiety": "generalised anxiety",
    "panic": "panic disorder",
    "social-anxiety": "social anxiety",
    "trauma": "PTSD and trauma",
    "ocd": "OCD",
    "eating-disorder": "eating disorders",
    "personality": "personality difficulties",
    "self-harm": "self-harm",
    "perinatal": "mental health in pregnancy and after birth",
    "psychosis": "psychosis",
    "bipolar": "bipolar disorder",
    "abuse-neglect": "experiences of abuse or neglect",
    "relationships": "relationship difficulties",
    "bereavement": "bereavement",
    "physical-symptoms": "physical symptoms and long-term conditions",
    "child-emotional": "a child's emotional difficulties",
    "attachment": "attachment difficulties",
    "not-sure": "what you are going through",
}

# Where one need covers several guidelines, a NICE option is about its guideline's condition:
# CBT for chronic primary pain is not a NICE option for ME/CFS or another long-term condition.
GUIDELINE_CONTEXT = {"NG193": "chronic primary pain", "NG206": "ME/CFS"}

SEVERITY_PREFIX = {"less-severe": "less severe ", "more-severe": "more severe "}

# Short, because it is repeated on every result; the advice's own message explains more once.
NO_GUIDANCE_TEXT = "No NICE guidance on therapy for this, so ranked by fit and access"


def modality_label(slug: str) -> str:
    """A therapy's name for mid-sentence use: "interpersonal therapy (IPT)", "EMDR"."""
    modality = get_vocabularies().modalities.get(slug)
    if modality is None:
        return slug.replace("-", " ")
    name = modality.name
    # Lower-case the first letter of ordinary words, never of an acronym ("EMDR").
    return name[0].lower() + name[1:] if name[1:2].islower() else name


def community_label(slug: str) -> str:
    return COMMUNITY_LABELS.get(slug, slug.replace("-", " "))


def need_label(slug: str) -> str:
    return NEED_LABELS.get(slug, slug.replace("-", " "))


def need_context(need: str, severity: str) -> str:
    """ "less severe depression", "OCD": what NICE's advice is about."""
    return SEVERITY_PREFIX.get(severity, "") + need_label(need)


def long_date(value: date) -> str:
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def format_km(km: float) -> str:
    if km < 0.05:
        return "less than 0.1 km"
    if km < 10:
        return f"{km:.1f} km"
    return f"{round(km)} km"


def format_gbp(amount: float) -> str:
    if float(amount).is_integer():
        return f"£{int(amount)}"
    return f"£{amount:.2f}"


def join_words(words: list[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def ages_ago(days: int) -> str:
    """ "8 months ago": how long since details were checked, roughly."""
    if days >= 730:
        return f"over {days // 365} years ago"
    if days >= 365:
        return "over a year ago"
    months = max(1, round(days / 30.4375))
    return "1 month ago" if months == 1 else f"{months} months ago"


def remote_phrase(modes: frozenset[str]) -> str:
    """ "by video or phone", "online", "by phone, or online"."""
    spoken = [mode for mode in ("video", "phone") if mode in modes]
    phrase = "by " + " or ".join(spoken) if spoken else ""
    if "online" in modes:
        phrase = f"{phrase}, or online" if phrase else "online"
    return phrase


def plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def eligibility_names(slugs: frozenset[str] | set[str], note: str | None = None) -> str:
    """ "people who have served in the UK armed forces and women": who a service is only for.
    The listing's note names the college or GP area where the vocabulary needs one."""
    vocab = get_vocabularies().eligibility
    details = [vocab[s] for s in sorted(slugs) if s in vocab and vocab[s].detail]
    # The note belongs to the one restriction that needs it, or else to the whole line.
    names = [
        vocab[s].label(note if details and vocab[s] is details[0] else None)
        if s in vocab
        else s.replace("-", " ")
        for s in sorted(slugs)
    ]
    text = join_words(names)
    return f"{text} ({note})" if note and not details else text


def only_for(slugs: frozenset[str] | set[str], note: str | None = None) -> str:
    """ "Only for women": shown on cards, service pages, the GP table and the handout."""
    return f"Only for {eligibility_names(slugs, note)}" if slugs else ""
