"""Moderation and administration forms."""

from __future__ import annotations

from wtforms import EmailField, TextAreaField
from wtforms.validators import DataRequired, Email, Length

from signpost.models.accounts import USER_ROLES
from signpost.oruk.curation import CLASSES
from signpost.provider.forms import EMAIL_FORMAT, YES_NO, Checkboxes, Radios, SignpostForm

ROLE_NAMES = {
    "provider": "Provider: manages the listings of their organisations",
    "moderator": "Moderator: reviews changes and problem reports",
    "admin": "Admin: also manages users and roles",
}


class RejectForm(SignpostForm):
    reason = TextAreaField(
        "Reason for rejecting",
        description="The provider sees this, so say what they need to change.",
        validators=[
            DataRequired("Enter a reason for rejecting the change"),
            Length(max=2000, message="Reason must be 2,000 characters or fewer"),
        ],
    )


class UserForm(SignpostForm):
    role = Radios("Role", "Select a role", choices=[(r, ROLE_NAMES[r]) for r in USER_ROLES])
    active = Radios(
        "Can this person sign in?",
        "Select yes if this person can sign in",
        choices=YES_NO,
    )


class CurationForm(SignpostForm):
    kind = Radios(
        "What is this service?", "Select what this service is", choices=list(CLASSES.items())
    )
    modalities = Checkboxes("Therapies it offers")
    needs = Checkboxes("What it helps with")


class ClaimForm(SignpostForm):
    """A moderator hands a harvested organisation's listings to someone from it, once they
    have checked who that person is."""

    email = EmailField(
        "Email address of the person at the organisation",
        validators=[
            DataRequired("Enter the email address of the person at the organisation"),
            Length(max=254, message="Email address must be 254 characters or fewer"),
            Email(EMAIL_FORMAT),
        ],
    )
