"""People and their roles: sign in, password resets, registration, invitations, admin.

Functions take the SQLAlchemy session and commit their own unit of work. Messages on
:class:`AccountError` are written to be shown to the person as they are.
"""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from signpost.accounts.tokens import TokenError, password_fingerprint
from signpost.listings import record_revision, submit_new_organization
from signpost.models import Membership, Organization, User
from signpost.models._types import utcnow
from signpost.models.accounts import MEMBER_ROLES, USER_ROLES, Invitation

MIN_PASSWORD_LENGTH = 12


class AccountError(Exception):
    """Something the person can fix; ``field`` names the form field it belongs to."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def normalise_email(email: str) -> str:
    return email.strip().lower()


@functools.cache
def _dummy_hash() -> str:
    return generate_password_hash("not a real password", method="scrypt")


def find_user(session: Session, email: str) -> User | None:
    return session.execute(
        select(User).where(func.lower(User.email) == normalise_email(email))
    ).scalar_one_or_none()


def check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(
            f"Password must be {MIN_PASSWORD_LENGTH} characters or more", field="password"
        )


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user with this email and password, or None (taking the same time either
    way, so the answer does not reveal whether an account exists)."""
    user = find_user(session, email)
    if user is None or not user.password_hash:
        check_password_hash(_dummy_hash(), password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    return user


# -- password reset ---------------------------------------------------------------------------


def user_for_reset(session: Session, email: str) -> User | None:
    """The active account a reset link should go to, if any."""
    user = find_user(session, email)
    return user if user is not None and user.active else None


def user_for_reset_link(session: Session, user_id: int, fingerprint: str) -> User:
    """The account a reset link is for, while the link is unused (its password unchanged)."""
    user = session.get(User, user_id)
    if user is None or not user.active or password_fingerprint(user.password_hash) != fingerprint:
        raise TokenError(expired=False)
    return user


def reset_password(session: Session, user_id: int, fingerprint: str, new_password: str) -> User:
    """Set a new password from a reset link; the link then stops working."""
    user = user_for_reset_link(session, user_id, fingerprint)
    check_new_password(new_password)
    user.set_password(new_password)
    record_revision(
        session,
        entity_type="user",
        entity_id=str(user.id),
        organization_id=None,
        action="account",
        user=user,
        note="Password reset by email link",
    )
    session.commit()
    return user


# -- registering an organisation ----------------------------------------------------------------


def register_organization(
    session: Session,
    *,
    organization: dict[str, Any],
    name: str,
    email: str,
    password: str,
) -> User:
    """A new organisation with its first owner. It waits for a moderator before any of its
    listings are public; the owner can sign in and prepare listings meanwhile."""
    if find_user(session, email) is not None:
        raise AccountError(
            "An account with this email address already exists. Sign in instead, or reset "
            "your password",
            field="email",
        )
    check_new_password(password)
    org = Organization(moderation="pending", **organization)
    user = User(email=normalise_email(email), name=name, role="provider")
    user.set_password(password)
    session.add_all([org, user])
    session.flush()
    session.add(Membership(user_id=user.id, organization_id=org.id, role="owner"))
    submit_new_organization(session, user, org)
    session.commit()
    return user


# -- organisation members and invitations ------------------------------------------------------


def members(session: Session, organization: Organization) -> list[Membership]:
    return list(
        session.execute(
            select(Membership)
            .join(User)
            .where(Membership.organization_id == organization.id)
            .order_by(User.email)
        ).scalars()
    )


def open_invitations(session: Session, organization: Organization) -> list[Invitation]:
    return list(
        session.execute(
            select(Invitation)
            .where(Invitation.organization_id == organization.id, Invitation.accepted_at.is_(None))
            .order_by(Invitation.created_at.desc())
        ).scalars()
    )


def invite(
    session: Session, inviter: User, organization: Organization, email: str, role: str
) -> Invitation:
    if role not in MEMBER_ROLES:
        raise AccountError("Select a role", field="role")
    email = normalise_email(email)
    existing = find_user(session, email)
    if existing is not None and existing.membership_for(organization.id) is not None:
        raise AccountError(f"{email} is already a member of {organization.name}", field="email")
    invitation = Invitation(
        organization_id=organization.id, email=email, role=role, invited_by_id=inviter.id
    )
    session.add(invitation)
    record_revision(
        session,
        entity_type="organization",
        entity_id=organization.id,
        organization_id=organization.id,
        action="invited",
        user=inviter,
        after={"email": email, "role": role},
    )
    session.commit()
    return invitation


def withdraw_invitation(session: Session, invitation: Invitation) -> None:
    session.delete(invitation)
    session.commit()


def open_invitation(session: Session, invitation_id: int) -> Invitation | None:
    invitation = session.get(Invitation, invitation_id)
    if invitation is None or invitation.accepted_at is not None:
        return None
    return invitation


def accept_invitation(
    session: Session,
    invitation: Invitation,
    *,
    signed_in: User | None,
    name: str = "",
    password: str = "",
) -> User:
    """Join the organisation: as the signed-in account if its email matches the
    invitation, or as a new account with this name and password."""
    if invitation.accepted_at is not None:
        raise AccountError("This invitation has already been used")
    existing = find_user(session, invitation.email)
    if existing is not None:
        if signed_in is None or signed_in.id != existing.id:
            raise AccountError(
                f"Sign in as {invitation.email} to accept this invitation", field="email"
            )
        user = existing
    else:
        if not name.strip():
            raise AccountError("Enter your name", field="name")
        check_new_password(password)
        user = User(email=invitation.email, name=name.strip(), role="provider")
        user.set_password(password)
        session.add(user)
        session.flush()
    if user.membership_for(invitation.organization_id) is None:
        session.add(
            Membership(
                user_id=user.id, organization_id=invitation.organization_id, role=invitation.role
            )
        )
    invitation.accepted_at = utcnow()
    record_revision(
        session,
        entity_type="organization",
        entity_id=invitation.organization_id,
        organization_id=invitation.organization_id,
        action="member-added",
        user=user,
        after={"email": user.email, "role": invitation.role},
    )
    session.commit()
    return user


def remove_member(
    session: Session, actor: User, organization: Organization, member: Membership
) -> None:
    if member.user_id == actor.id:
        raise AccountError("You cannot remove yourself")
    owners = [m for m in members(session, organization) if m.role == "owner"]
    if member.role == "owner" and len(owners) <= 1:
        raise AccountError("An organisation needs at least one owner")
    email = member.user.email
    session.delete(member)
    record_revision(
        session,
        entity_type="organization",
        entity_id=organization.id,
        organization_id=organization.id,
        action="member-removed",
        user=actor,
        before={"email": email, "role": member.role},
    )
    session.commit()


# -- administration -------------------------------------------------------------------------------


def all_users(session: Session) -> list[User]:
    return list(session.execute(select(User).order_by(User.email)).scalars())


def update_user(session: Session, admin: User, user: User, *, role: str, active: bool) -> bool:
    """Change a user's role or deactivate them. False if nothing changed."""
    if role not in USER_ROLES:
        raise AccountError("Select a role", field="role")
    if user.id == admin.id and (role != user.role or not active):
        raise AccountError(
            "You cannot change your own role or deactivate yourself. Ask another admin",
            field="role",
        )
    before = {"role": user.role, "active": user.active}
    after = {"role": role, "active": active}
    if before == after:
        return False
    user.role = role
    user.active = active
    record_revision(
        session,
        entity_type="user",
        entity_id=str(user.id),
        organization_id=None,
        action="account",
        user=admin,
        before=before,
        after=after,
        note=user.email,
    )
    session.commit()
    return True
