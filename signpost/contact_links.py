"""Make phone numbers, web addresses and email addresses in listing text tappable.

Listings say how to refer in a sentence ("Refer yourself online at https://… or call
0113 496 0100"); on a phone each of those should be one tap. Text is escaped first, so
nothing a provider writes can inject markup.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

# UK numbers as people write them: 0113 496 0100, 01632 960 123, 0800 1111, +44 113 …
_PHONE = r"(?:\+44\s?|0)(?:\d[\s-]?){6,10}\d"
_URL = r"https?://[^\s<>\"']+[^\s<>\"'.,;:)]"
_EMAIL = r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
_TOKEN = re.compile(rf"(?P<url>{_URL})|(?P<email>{_EMAIL})|(?P<phone>{_PHONE})")


def tel_href(number: str) -> str:
    digits = re.sub(r"[^\d+]", "", number)
    return f"tel:{digits}"


def contact_links(text: str | None) -> Markup:
    """*text* escaped, with each web address, email address and UK phone number a link."""
    if not text:
        return Markup("")
    out: list[str] = []
    last = 0
    for m in _TOKEN.finditer(text):
        out.append(str(escape(text[last : m.start()])))
        value = m.group(0)
        if m.group("url"):
            href = value
        elif m.group("email"):
            href = f"mailto:{value}"
        else:
            href = tel_href(value)
        out.append(f'<a href="{escape(href)}">{escape(value)}</a>')
        last = m.end()
    out.append(str(escape(text[last:])))
    return Markup("".join(out))


def upper_first(text: str | None) -> str:
    """ "varies with need" -> "Varies with need", leaving the rest alone (unlike capitalize)."""
    return f"{text[0].upper()}{text[1:]}" if text else ""


def lower_first(text: str | None) -> str:
    """ "Trauma and PTSD" -> "trauma and PTSD": for a name inside a sentence; acronyms
    keep their capitals ("OCD" stays "OCD")."""
    if not text:
        return ""
    first = text.split(" ", 1)[0]
    if len(first) > 1 and first.isupper():
        return text
    return f"{text[0].lower()}{text[1:]}"
