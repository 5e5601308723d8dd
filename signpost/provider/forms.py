"""Provider-area forms (Flask-WTF), with NHS-style error messages.

Every text field is stripped of surrounding whitespace (passwords are left alone). Fields
that render as NHS.UK checkboxes, radios or a date input know how to describe themselves
to the macros in ``templates/provider/_fields.html``. ``to_content`` / ``from_content``
translate between a form and :mod:`signpost.listings` content.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    EmailField,
    Field,
    HiddenField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional, StopValidation

from signpost.geo.postcodes import PostcodeKind, classify
from signpost.listings import LOCATION_FIELDS, REPORT_KINDS, STATUS_NAMES, Content

EMAIL_FORMAT = "Enter an email address in the correct format, like name@example.com"
MAX_AGE = 120


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class SignpostForm(FlaskForm):
    """Base form: strips whitespace from every field except passwords."""

    class Meta(FlaskForm.Meta):
        def bind_field(self, form: Any, unbound_field: Any, options: dict[str, Any]) -> Field:
            if not issubclass(unbound_field.field_class, PasswordField):
                filters = [_strip, *unbound_field.kwargs.get("filters", ())]
                options = {**options, "filters": filters}
            return unbound_field.bind(form=form, **options)

    @property
    def has_errors(self) -> bool:
        return bool(self.form_errors) or any(field.errors for field in self)


# -- fields and validators ------------------------------------------------------------------


def options(pairs: Iterable[tuple[str, str]]) -> list[SelectChoice]:
    """WTForms choices from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


def pairs_of(field: Any) -> list[tuple[str, str]]:
    """(value, label) of each of a choice field's options."""
    return [(choice.value, choice.label) for choice in field.choices or []]


class Checkboxes(SelectMultipleField):
    """A group of NHS.UK checkboxes; ``required`` is the message when none is ticked."""

    def __init__(self, label: str, required: str | None = None, **kwargs: Any) -> None:
        kwargs["choices"] = options(kwargs.get("choices", []))
        super().__init__(label, **kwargs)
        self.required_message = required

    def set_options(self, pairs: Iterable[tuple[str, str]]) -> None:
        self.choices = options(pairs)

    @property
    def pairs(self) -> list[tuple[str, str]]:
        return pairs_of(self)

    def pre_validate(self, form: Any) -> None:
        if not self.data:
            if self.required_message:
                raise StopValidation(self.required_message)
            return
        allowed = {value for value, _label in self.pairs}
        if any(value not in allowed for value in self.data):
            raise StopValidation(f"Select {self.label.text.lower()} from the list")

    def items(self) -> list[dict[str, Any]]:
        chosen = set(self.data or [])
        return [
            {"value": value, "text": text, "checked": value in chosen} for value, text in self.pairs
        ]


class Radios(RadioField):
    """NHS.UK radios; ``required`` is the message when none is chosen."""

    def __init__(self, label: str, required: str, **kwargs: Any) -> None:
        kwargs["choices"] = options(kwargs.get("choices", []))
        super().__init__(label, **kwargs)
        self.required_message = required

    @property
    def pairs(self) -> list[tuple[str, str]]:
        return pairs_of(self)

    def pre_validate(self, form: Any) -> None:
        if self.data not in {value for value, _label in self.pairs}:
            raise StopValidation(self.required_message)

    def items(self) -> list[dict[str, Any]]:
        return [
            {"value": value, "text": text, "checked": self.data == value}
            for value, text in self.pairs
        ]


class DateInput(Field):
    """The NHS.UK date input: three boxes posted as ``<name>-day``, ``-month``, ``-year``."""

    def __init__(self, label: str, required: str, *, past_only: bool = True, **kwargs: Any):
        super().__init__(label, **kwargs)
        self.required_message = required
        self.past_only = past_only
        self.day = self.month = self.year = ""
        self._problem: str | None = None

    @property
    def error_anchor(self) -> str:
        return f"{self.id}-day"

    def process(self, formdata: Any, data: Any = None, extra_filters: Any = None) -> None:
        self.process_errors = []
        self.object_data = data
        self.data = data if isinstance(data, date) else None
        if self.data is not None:
            self.day, self.month, self.year = (
                str(self.data.day),
                str(self.data.month),
                str(self.data.year),
            )
        if formdata is None:
            return
        self.day, self.month, self.year = (
            (formdata.get(f"{self.name}-{part}") or "").strip() for part in ("day", "month", "year")
        )
        self.raw_data = [self.day, self.month, self.year]
        self.data = None
        self._problem = None
        parts = {"day": self.day, "month": self.month, "year": self.year}
        missing = [name for name, value in parts.items() if not value]
        if len(missing) == 3:
            self._problem = self.required_message
            return
        if missing:
            self._problem = f"{self.label.text} must include a {' and '.join(missing)}"
            return
        try:
            value = date(int(self.year), int(self.month), int(self.day))
        except ValueError:
            self._problem = f"{self.label.text} must be a real date"
            return
        if len(self.year) != 4:
            self._problem = f"{self.label.text} must include a 4-digit year"
            return
        self.data = value

    def pre_validate(self, form: Any) -> None:
        if self._problem:
            raise StopValidation(self._problem)
        if self.data is None:
            raise StopValidation(self.required_message)
        if self.past_only and self.data > date.today():
            raise StopValidation(f"{self.label.text} must be today or in the past")

    def _value(self) -> str:
        return self.data.isoformat() if self.data else ""


def parse_number(text: str | None, *, whole: bool) -> int | Decimal | None:
    """A number typed by a person ("12", "£25.50", "1,000"), or None if blank.

    Raises ValueError when it is not a number.
    """
    if text is None or not text.strip():
        return None
    cleaned = text.strip().replace(",", "").removeprefix("£").strip()
    if whole:
        if not re.fullmatch(r"[0-9]{1,9}", cleaned):  # ASCII digits only, as everywhere else
            raise ValueError(text)
        return int(cleaned)
    if not cleaned.isascii():
        raise ValueError(text)
    try:
        value = Decimal(cleaned)
    except InvalidOperation as error:
        raise ValueError(text) from error
    if not value.is_finite() or value.as_tuple().exponent < -2:  # type: ignore[operator]
        raise ValueError(text)
    return value


class Number:
    """Validate a typed number within a range, with NHS-style messages."""

    def __init__(
        self,
        *,
        invalid: str,
        minimum: float | None = None,
        maximum: float | None = None,
        out_of_range: str | None = None,
        whole: bool = True,
    ) -> None:
        self.invalid = invalid
        self.minimum = minimum
        self.maximum = maximum
        self.out_of_range = out_of_range or invalid
        self.whole = whole

    def __call__(self, form: Any, field: Field) -> None:
        try:
            value = parse_number(field.data, whole=self.whole)
        except ValueError:
            raise StopValidation(self.invalid) from None
        if value is None:
            return
        if (self.minimum is not None and value < self.minimum) or (
            self.maximum is not None and value > self.maximum
        ):
            raise StopValidation(self.out_of_range)


def website_address(form: Any, field: Field) -> None:
    if field.data and not re.fullmatch(r"https?://[^\s/$.?#][^\s]*\.[^\s]+", field.data):
        raise StopValidation(
            "Enter a website address in the correct format, like https://example.org"
        )


def phone_number(form: Any, field: Field) -> None:
    if field.data and not re.fullmatch(r"\+?[0-9 ()-]{7,20}", field.data):
        raise StopValidation("Enter a phone number, like 0113 496 0000 or +44 113 496 0000")


def _whole(text: str | None) -> int | None:
    value = parse_number(text, whole=True)
    return int(value) if value is not None else None


def _money(text: str | None) -> float | None:
    value = parse_number(text, whole=False)
    return float(value) if value is not None else None


def _number_text(value: float | int | None) -> str:
    if value is None:
        return ""
    return f"{value:g}" if isinstance(value, float) else str(value)


def _split_list(text: str | None) -> list[str]:
    seen: dict[str, str] = {}
    for part in (text or "").split(","):
        cleaned = " ".join(part.split())
        if cleaned and cleaned.lower() not in seen:
            seen[cleaned.lower()] = cleaned
    return list(seen.values())


def _yes_no(value: bool | None) -> str | None:
    return None if value is None else "yes" if value else "no"


YES_NO = [("yes", "Yes"), ("no", "No")]

# -- accounts -------------------------------------------------------------------------------------


def _email_field(label: str = "Email address") -> EmailField:
    return EmailField(
        label,
        validators=[
            DataRequired("Enter your email address"),
            Length(max=254, message="Email address must be 254 characters or fewer"),
            Email(EMAIL_FORMAT),
        ],
    )


class SignInForm(SignpostForm):
    email = _email_field()
    password = PasswordField("Password", validators=[DataRequired("Enter your password")])


class ForgotPasswordForm(SignpostForm):
    email = _email_field()


class RegisterStartForm(SignpostForm):
    email = _email_field("Your email address")


def _new_password_field() -> PasswordField:
    return PasswordField(
        "Create a password",
        validators=[
            DataRequired("Enter a password"),
            Length(min=12, message="Password must be 12 characters or more"),
            Length(max=200, message="Password must be 200 characters or fewer"),
        ],
    )


class ResetPasswordForm(SignpostForm):
    password = _new_password_field()


class AcceptInvitationForm(SignpostForm):
    name = StringField(
        "Your name",
        validators=[
            DataRequired("Enter your name"),
            Length(max=120, message="Name must be 120 characters or fewer"),
        ],
    )
    password = _new_password_field()


class InviteForm(SignpostForm):
    email = EmailField(
        "Email address",
        validators=[
            DataRequired("Enter the email address of the person you want to invite"),
            Length(max=254, message="Email address must be 254 characters or fewer"),
            Email(EMAIL_FORMAT),
        ],
    )
    role = Radios(
        "Role",
        "Select a role",
        choices=[
            ("editor", "Editor: can change listings"),
            ("owner", "Owner: can also change organisation details and invite people"),
        ],
        default="editor",
    )


class ActionForm(SignpostForm):
    """A button that changes something: the CSRF token is its only field."""


class VersionedActionForm(SignpostForm):
    """A button that changes a draft: carries the version the page was showing."""

    version = HiddenField()


# -- organisations -------------------------------------------------------------------------------

SECTOR_CHOICES = [
    ("nhs", "NHS"),
    ("charity", "Charity, community interest company or community group"),
    ("low-cost", "Low-cost clinic, training institute or sliding-scale practice"),
]


class OrganisationFields(SignpostForm):
    name = StringField(
        "Name of the organisation",
        validators=[
            DataRequired("Enter the name of the organisation"),
            Length(max=200, message="Name must be 200 characters or fewer"),
        ],
    )
    sector = Radios("Sector", "Select the sector", choices=SECTOR_CHOICES)
    charity_number = StringField(
        "Registered charity or company number (optional)",
        validators=[
            Optional(),
            Length(max=40, message="Number must be 40 characters or fewer"),
        ],
    )
    website = StringField(
        "Website (optional)",
        validators=[
            Optional(),
            Length(max=500, message="Website must be 500 characters or fewer"),
            website_address,
        ],
    )


class OrganisationForm(OrganisationFields):
    version = HiddenField()
    email = EmailField(
        "Email address (optional)",
        validators=[
            Optional(),
            Length(max=254, message="Email address must be 254 characters or fewer"),
            Email(EMAIL_FORMAT),
        ],
    )
    phone = StringField(
        "Phone number (optional)",
        validators=[Optional(), Length(max=40), phone_number],
    )
    description = TextAreaField(
        "About the organisation (optional)",
        validators=[
            Optional(),
            Length(max=5000, message="Description must be 5,000 characters or fewer"),
        ],
    )

    @classmethod
    def from_content(cls, content: Content, version: str) -> OrganisationForm:
        return cls(data={**{k: v or "" for k, v in content.items()}, "version": version})

    def to_content(self) -> Content:
        return {
            "name": self.name.data,
            "sector": self.sector.data,
            "charity_number": self.charity_number.data or None,
            "website": self.website.data or None,
            "email": (self.email.data or "").lower() or None,
            "phone": self.phone.data or None,
            "description": self.description.data or "",
        }


class RegisterForm(OrganisationFields):
    your_name = StringField(
        "Your name",
        validators=[
            DataRequired("Enter your name"),
            Length(max=120, message="Name must be 120 characters or fewer"),
        ],
    )
    password = _new_password_field()

    def organisation(self) -> dict[str, Any]:
        return {
            "name": self.name.data,
            "sector": self.sector.data,
            "charity_number": self.charity_number.data or None,
            "website": self.website.data or None,
        }


# -- listings --------------------------------------------------------------------------------------

STATUS_CHOICES = list(STATUS_NAMES.items())
COST_CHOICES = [
    ("free", "Free"),
    ("donation", "Free, with an optional donation"),
    ("sliding-scale", "Sliding scale: the cost depends on what people can pay"),
    ("fixed", "A fixed cost per session"),
]
CATCHMENT_CHOICES = [
    ("national", "Anyone in the UK"),
    ("areas", "People in certain postcode areas or districts"),
    ("radius", "People within a distance of the service's locations"),
]


def vocabulary_choices(kind: str) -> list[tuple[str, str]]:
    """(slug, name) pairs for a vocabulary, in the order seed_data gives them."""
    from signpost.vocab import get_vocabularies

    vocab = get_vocabularies()
    if kind == "modalities":
        return [(slug, m.name) for slug, m in vocab.modalities.items()]
    if kind == "needs":
        return [(slug, n.name) for slug, n in vocab.needs.items()]
    values: Iterable[str] = getattr(vocab, kind)
    return [(slug, vocab.name(kind, slug)) for slug in values]


def protocol_choices() -> list[tuple[str, str]]:
    from signpost.vocab import get_vocabularies

    return [(slug, p.name) for slug, p in get_vocabularies().protocols.items()]


def eligibility_choices() -> list[tuple[str, str]]:
    """(slug, "Only for ...") pairs: the restriction as patients will read it."""
    from signpost.vocab import get_vocabularies

    return [
        (slug, f"Only for {item.label()}") for slug, item in get_vocabularies().eligibility.items()
    ]


def community_choices() -> list[tuple[str, str]]:
    from signpost.search.presenters import COMMUNITIES

    return [(c.slug, c.name) for c in COMMUNITIES]


class ServiceForm(SignpostForm):
    version = HiddenField()
    name = StringField(
        "Name of the service",
        validators=[
            DataRequired("Enter the name of the service"),
            Length(max=200, message="Name must be 200 characters or fewer"),
        ],
    )
    description = TextAreaField(
        "Description",
        validators=[
            DataRequired("Enter a description of the service"),
            Length(max=5000, message="Description must be 5,000 characters or fewer"),
        ],
    )
    status = Radios("Status", "Select whether the service is open", choices=STATUS_CHOICES)
    modalities = Checkboxes("Types of therapy", "Select the types of therapy the service offers")
    needs = Checkboxes("What the service helps with", "Select what the service helps with")
    formats = Checkboxes("Formats", "Select at least one format")
    delivery = Checkboxes("How therapy is delivered", "Select how therapy is delivered")
    minimum_age = StringField(
        "Youngest age (optional)",
        validators=[
            Number(
                invalid="Youngest age must be a whole number, like 18",
                minimum=0,
                maximum=MAX_AGE,
                out_of_range=f"Youngest age must be between 0 and {MAX_AGE}",
            )
        ],
    )
    maximum_age = StringField(
        "Oldest age (optional)",
        validators=[
            Number(
                invalid="Oldest age must be a whole number, like 65",
                minimum=0,
                maximum=MAX_AGE,
                out_of_range=f"Oldest age must be between 0 and {MAX_AGE}",
            )
        ],
    )
    referral_routes = Checkboxes("How people can be referred", "Select how people can be referred")
    how_to_refer = TextAreaField(
        "How to refer (optional)",
        validators=[Length(max=2000, message="How to refer must be 2,000 characters or fewer")],
    )
    cost_type = Radios("Cost", "Select what the service costs", choices=COST_CHOICES)
    cost_fixed = StringField(
        "Cost per session, in pounds",
        validators=[
            Number(
                invalid="Cost per session must be an amount in pounds, like 40 or 40.50",
                minimum=0,
                maximum=10000,
                whole=False,
            )
        ],
    )
    cost_min = StringField(
        "Lowest cost per session, in pounds",
        validators=[
            Number(
                invalid="Lowest cost must be an amount in pounds, like 10 or 12.50",
                minimum=0,
                maximum=10000,
                whole=False,
            )
        ],
    )
    cost_max = StringField(
        "Highest cost per session, in pounds",
        validators=[
            Number(
                invalid="Highest cost must be an amount in pounds, like 60 or 62.50",
                minimum=0,
                maximum=10000,
                whole=False,
            )
        ],
    )
    cost_description = TextAreaField(
        "About the cost (optional)",
        validators=[Length(max=1000, message="About the cost must be 1,000 characters or fewer")],
    )
    languages = StringField(
        "Languages therapy is offered in",
        validators=[
            DataRequired("Enter the languages therapy is offered in"),
            Length(max=300, message="Languages must be 300 characters or fewer"),
        ],
    )
    low_intensity = Checkboxes(
        "Therapies offered only as guided self-help, courses or digital programmes (optional)"
    )
    protocols = Checkboxes("Specific therapies delivered as designed (optional)")
    eligibility = Checkboxes("Is the service only for some people? (optional)")
    eligibility_note = StringField(
        "College, university or GP area the service is for (optional)",
        validators=[Length(max=200, message="College or area must be 200 characters or fewer")],
    )
    communities = Checkboxes("Communities the service focuses on (optional)")
    other_communities = StringField(
        "Other communities (optional)",
        validators=[Length(max=200, message="Other communities must be 200 characters or fewer")],
    )
    typical_sessions = StringField(
        "Typical number of sessions (optional)",
        validators=[Length(max=120, message="Number of sessions must be 120 characters or fewer")],
    )
    registration_bodies = StringField(
        "Professional bodies practitioners are registered with (optional)",
        validators=[Length(max=300, message="Professional bodies must be 300 characters or fewer")],
    )
    trainees_deliver = Radios(
        "Do trainee therapists deliver some of the therapy?",
        "Select yes if trainee therapists deliver some of the therapy",
        choices=YES_NO,
    )
    catchment_kind = Radios(
        "Who can use the service", "Select who can use the service", choices=CATCHMENT_CHOICES
    )
    catchment_areas = StringField("Postcode areas or districts")
    catchment_radius = StringField(
        "Distance, in kilometres",
        validators=[
            Number(
                invalid="Distance must be a whole number of kilometres, like 20",
                minimum=1,
                maximum=1000,
                out_of_range="Distance must be between 1 and 1,000 kilometres",
            )
        ],
    )
    website = StringField(
        "Website (optional)",
        validators=[
            Optional(),
            Length(max=500, message="Website must be 500 characters or fewer"),
            website_address,
        ],
    )
    email = EmailField(
        "Email address (optional)",
        validators=[
            Optional(),
            Length(max=254, message="Email address must be 254 characters or fewer"),
            Email(EMAIL_FORMAT),
        ],
    )
    phone = StringField(
        "Phone number (optional)",
        validators=[
            Optional(),
            Length(max=40, message="Phone number must be 40 characters or fewer"),
            phone_number,
        ],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.modalities.set_options(vocabulary_choices("modalities"))
        self.needs.set_options(vocabulary_choices("needs"))
        self.formats.set_options(vocabulary_choices("formats"))
        self.delivery.set_options(vocabulary_choices("delivery"))
        self.referral_routes.set_options(vocabulary_choices("referral_routes"))
        self.communities.set_options(community_choices())
        self.low_intensity.set_options(vocabulary_choices("modalities"))
        self.protocols.set_options(protocol_choices())
        self.eligibility.set_options(eligibility_choices())

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        valid &= self._validate_eligibility()
        if not self.minimum_age.errors and not self.maximum_age.errors:
            low, high = _whole(self.minimum_age.data), _whole(self.maximum_age.data)
            if low is not None and high is not None and high < low:
                self.maximum_age.errors.append(
                    "Oldest age must be the same as or higher than the youngest age"
                )
                valid = False
        valid &= self._validate_cost()
        valid &= self._validate_catchment()
        return valid

    def _require(self, field: Field, message: str) -> bool:
        if not field.errors and not field.data:
            field.errors.append(message)
        return not field.errors

    def _validate_cost(self) -> bool:
        if self.cost_type.data == "fixed":
            return self._require(self.cost_fixed, "Enter the cost per session")
        if self.cost_type.data == "sliding-scale":
            ok = self._require(self.cost_min, "Enter the lowest cost per session")
            ok &= self._require(self.cost_max, "Enter the highest cost per session")
            if ok and (_money(self.cost_max.data) or 0) < (_money(self.cost_min.data) or 0):
                self.cost_max.errors.append(
                    "Highest cost must be the same as or more than the lowest cost"
                )
                ok = False
            return ok
        return True

    def _validate_catchment(self) -> bool:
        if self.catchment_kind.data == "radius":
            return self._require(self.catchment_radius, "Enter a distance in kilometres")
        if self.catchment_kind.data == "areas":
            if not self._require(
                self.catchment_areas, "Enter the postcode areas or districts the service covers"
            ):
                return False
            for area in _split_list(self.catchment_areas.data):
                kind = classify(area).kind
                if kind not in (PostcodeKind.AREA, PostcodeKind.OUTCODE):
                    self.catchment_areas.errors.append(
                        f"{area[:20]} is not a postcode area or district. Enter areas like LS "
                        "or districts like LS6, separated by commas"
                    )
                    return False
        return True

    def _validate_eligibility(self) -> bool:
        """Low intensity only for therapies offered; a college or area named where needed."""
        from signpost.vocab import get_vocabularies

        valid = True
        offered = set(self.modalities.data or [])
        if set(self.low_intensity.data or []) - offered:
            self.low_intensity.errors.append(
                "Select only therapies the service offers as guided self-help, courses or digital"
            )
            valid = False
        vocab = get_vocabularies().eligibility
        detailed = [vocab[s] for s in self.eligibility.data or [] if s in vocab and vocab[s].detail]
        if detailed and not (self.eligibility_note.data or "").strip():
            self.eligibility_note.errors.append(
                f"Enter {detailed[0].detail.replace('a named', 'the')} the service is for"
            )
            valid = False
        return valid

    @classmethod
    def from_content(cls, content: Content, version: str) -> ServiceForm:
        known = {slug for slug, _name in community_choices()}
        communities = content.get("communities", [])
        catchment = content.get("catchment") or {}
        cost_type = content.get("cost_type")
        low, high = content.get("cost_min_gbp"), content.get("cost_max_gbp")
        data = {
            **{
                k: content.get(k) or ""
                for k in (
                    "name",
                    "description",
                    "status",
                    "how_to_refer",
                    "cost_type",
                    "cost_description",
                    "typical_sessions",
                    "registration_bodies",
                    "website",
                    "email",
                    "phone",
                    "eligibility_note",
                )
            },
            **{
                k: list(content.get(k, []))
                for k in (
                    "modalities",
                    "needs",
                    "formats",
                    "delivery",
                    "referral_routes",
                    "low_intensity",
                    "protocols",
                    "eligibility",
                )
            },
            "version": version,
            "minimum_age": _number_text(content.get("minimum_age")),
            "maximum_age": _number_text(content.get("maximum_age")),
            "cost_fixed": _number_text(low) if cost_type == "fixed" else "",
            "cost_min": _number_text(low) if cost_type == "sliding-scale" else "",
            "cost_max": _number_text(high) if cost_type == "sliding-scale" else "",
            "languages": ", ".join(content.get("languages", [])),
            "communities": [c for c in communities if c in known],
            "other_communities": ", ".join(c for c in communities if c not in known),
            "trainees_deliver": _yes_no(content.get("trainees_deliver")),
            "catchment_kind": catchment.get("kind"),
            "catchment_areas": ", ".join(catchment.get("areas", [])),
            "catchment_radius": _number_text(catchment.get("radius_km")),
        }
        return cls(data=data)

    def to_content(self, base: Content | None = None) -> Content:
        """The listing content this form describes; locations and waits come from ``base``."""
        cost_type = self.cost_type.data
        if cost_type == "fixed":
            low = high = _money(self.cost_fixed.data)
        elif cost_type == "sliding-scale":
            low, high = _money(self.cost_min.data), _money(self.cost_max.data)
        else:
            low = high = None
        kind = self.catchment_kind.data
        areas = [classify(a).value or a for a in _split_list(self.catchment_areas.data)]
        radius = _whole(self.catchment_radius.data) if kind == "radius" else None
        return {
            "name": self.name.data,
            "description": self.description.data,
            "status": self.status.data,
            "website": self.website.data or None,
            "email": (self.email.data or "").lower() or None,
            "phone": self.phone.data or None,
            "how_to_refer": self.how_to_refer.data or "",
            "minimum_age": _whole(self.minimum_age.data),
            "maximum_age": _whole(self.maximum_age.data),
            "cost_type": cost_type,
            "cost_min_gbp": low,
            "cost_max_gbp": high,
            "cost_description": self.cost_description.data or None,
            "typical_sessions": self.typical_sessions.data or None,
            "registration_bodies": self.registration_bodies.data or None,
            "trainees_deliver": self.trainees_deliver.data == "yes",
            "modalities": sorted(self.modalities.data or []),
            "needs": sorted(self.needs.data or []),
            "formats": sorted(self.formats.data or []),
            "delivery": sorted(self.delivery.data or []),
            "referral_routes": sorted(self.referral_routes.data or []),
            "low_intensity": sorted(self.low_intensity.data or []),
            "protocols": sorted(self.protocols.data or []),
            "eligibility": sorted(self.eligibility.data or []),
            "eligibility_note": (self.eligibility_note.data or "").strip() or None,
            "languages": _split_list(self.languages.data),
            "communities": [
                *sorted(self.communities.data or []),
                *_split_list(self.other_communities.data),
            ],
            "catchment": {
                "kind": kind,
                "areas": sorted(set(areas)) if kind == "areas" else [],
                "radius_km": float(radius) if radius else None,
            },
            "locations": list((base or {}).get("locations", [])),
            "waits": list((base or {}).get("waits", [])),
        }


class LocationForm(SignpostForm):
    version = HiddenField()
    name = StringField(
        "Name of the location",
        validators=[
            DataRequired("Enter a name for the location, like Leeds city centre"),
            Length(max=200, message="Name must be 200 characters or fewer"),
        ],
    )
    address_1 = StringField(
        "Address line 1",
        validators=[
            DataRequired("Enter the first line of the address"),
            Length(max=200, message="Address line 1 must be 200 characters or fewer"),
        ],
    )
    city = StringField(
        "Town or city",
        validators=[
            DataRequired("Enter the town or city"),
            Length(max=100, message="Town or city must be 100 characters or fewer"),
        ],
    )
    postcode = StringField(
        "Postcode",
        validators=[
            DataRequired("Enter a postcode"),
            Length(max=10, message="Enter a real postcode, like LS1 4AP"),
        ],
    )
    accessibility = TextAreaField(
        "Accessibility (optional)",
        validators=[Length(max=1000, message="Accessibility must be 1,000 characters or fewer")],
    )

    def to_location(self, latitude: float, longitude: float, postcode: str) -> Content:
        values: Content = {
            "name": self.name.data,
            "address_1": self.address_1.data,
            "city": self.city.data,
            "postcode": postcode,
            "latitude": round(latitude, 6),
            "longitude": round(longitude, 6),
            "accessibility": self.accessibility.data or None,
        }
        assert set(values) == set(LOCATION_FIELDS)
        return values


class WaitForm(SignpostForm):
    version = HiddenField()
    modality = SelectField("Therapy", choices=[], validate_choice=True)
    assessment_weeks = StringField(
        "Weeks to first assessment",
        validators=[
            Number(
                invalid="Weeks to first assessment must be a whole number, like 4",
                minimum=0,
                maximum=520,
                out_of_range="Weeks to first assessment must be between 0 and 520",
            )
        ],
    )
    treatment_weeks = StringField(
        "Weeks to start of therapy",
        validators=[
            Number(
                invalid="Weeks to start of therapy must be a whole number, like 12",
                minimum=0,
                maximum=520,
                out_of_range="Weeks to start of therapy must be between 0 and 520",
            )
        ],
    )
    as_of = DateInput("Date of these figures", "Enter the date of these figures")

    def set_modalities(self, modalities: Sequence[str]) -> None:
        names = dict(vocabulary_choices("modalities"))
        self.modality.choices = options(
            [("", "The whole service"), *((slug, names.get(slug, slug)) for slug in modalities)]
        )

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        if (
            not self.assessment_weeks.errors
            and not self.treatment_weeks.errors
            and not self.assessment_weeks.data
            and not self.treatment_weeks.data
        ):
            self.assessment_weeks.errors.append(
                "Enter the weeks to first assessment, the weeks to start of therapy, or both"
            )
            valid = False
        return valid

    def to_wait(self) -> Content:
        assert self.as_of.data is not None
        return {
            "modality": self.modality.data or None,
            "assessment_weeks": _whole(self.assessment_weeks.data),
            "treatment_weeks": _whole(self.treatment_weeks.data),
            "as_of": self.as_of.data.isoformat(),
            "source": "provider",
        }


class CapacityForm(SignpostForm):
    capacity = Radios(
        "Capacity",
        "Select whether the service is accepting people",
        choices=[
            ("accepting", "Accepting new people"),
            ("waitlist", "Waiting list"),
            ("closed", "Not accepting new people"),
        ],
    )


class ReportForm(SignpostForm):
    kind = Radios(
        "What is wrong?",
        "Select what is wrong with the listing",
        choices=list(REPORT_KINDS.items()),
    )
    details = TextAreaField(
        "Tell us more",
        validators=[
            DataRequired("Describe the problem"),
            Length(max=2000, message="Description must be 2,000 characters or fewer"),
        ],
    )
