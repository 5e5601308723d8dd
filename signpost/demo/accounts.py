"""Demo accounts, created with the demo directory so every role can be tried.

The passwords are public on purpose (the README lists them): never load demo data into a
database that real people use.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from signpost.demo.directory import demo_id
from signpost.models import Membership, Organization, User

__all__ = [
    "DEMO_ACCOUNTS",
    "DEMO_ORGANISATION_NAME",
    "DemoAccount",
    "demo_organisation_id",
    "install_accounts",
]

#: The demo charity whose listings the provider accounts manage.
DEMO_ORGANISATION_NAME = "Example Leeds Counselling Collective (demo)"


@dataclass(frozen=True)
class DemoAccount:
    email: str
    password: str
    name: str
    role: str  # users.role: provider | moderator | admin
    membership: str | None = None  # owner | editor of DEMO_ORGANISATION_NAME


DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount("owner@example.org", "demo-owner-password", "Demo Owner", "provider", "owner"),
    DemoAccount("editor@example.org", "demo-editor-password", "Demo Editor", "provider", "editor"),
    DemoAccount("moderator@example.org", "demo-moderator-password", "Demo Moderator", "moderator"),
    DemoAccount("admin@example.org", "demo-admin-password", "Demo Admin", "admin"),
)


def demo_organisation_id() -> str:
    return demo_id("organisation", DEMO_ORGANISATION_NAME)


def install_accounts(session: Session) -> int:
    """Create the demo accounts that do not exist yet; return how many were created.

    Existing accounts are left alone (a re-seed must not reset a password someone changed).
    """
    org_id = demo_organisation_id()
    if session.get(Organization, org_id) is None:
        raise RuntimeError(f"demo organisation {DEMO_ORGANISATION_NAME!r} is missing")
    emails = [account.email for account in DEMO_ACCOUNTS]
    existing = {u.email: u for u in session.scalars(select(User).where(User.email.in_(emails)))}
    created = 0
    for account in DEMO_ACCOUNTS:
        user = existing.get(account.email)
        if user is None:
            user = User(email=account.email, name=account.name, role=account.role, active=True)
            user.set_password(account.password)
            session.add(user)
            session.flush()
            created += 1
        if account.membership and user.membership_for(org_id) is None:
            user.memberships.append(Membership(organization_id=org_id, role=account.membership))
    session.flush()
    return created
