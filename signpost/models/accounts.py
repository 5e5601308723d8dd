"""People who sign in: provider staff (members of an organisation), moderators, admins."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from signpost.extensions import db
from signpost.models._types import in_list, utcnow
from signpost.models.directory import Organization

USER_ROLES = ("provider", "moderator", "admin")
MEMBER_ROLES = ("owner", "editor")


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint(in_list("role", USER_ROLES), name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str] = mapped_column(String(255), default="")
    role: Mapped[str] = mapped_column(String(20), default="provider")
    active: Mapped[bool] = mapped_column(default=True)
    # Every session records this number when it starts; raising it (signing out, a new
    # password) ends all the user's sessions at once, cookies copied elsewhere included.
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.active

    def set_password(self, password: str) -> None:
        # Werkzeug's scrypt: a maintained, salted, memory-hard scheme.
        self.password_hash = generate_password_hash(password, method="scrypt")

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    @property
    def is_moderator(self) -> bool:
        return self.role in {"moderator", "admin"}

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def membership_for(self, organization_id: str) -> Membership | None:
        for membership in self.memberships:
            if membership.organization_id == organization_id:
                return membership
        return None


class Membership(db.Model):
    __tablename__ = "memberships"
    __table_args__ = (CheckConstraint(in_list("role", MEMBER_ROLES), name="role"),)

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(20), default="editor")

    user: Mapped[User] = relationship(back_populates="memberships")
    organization: Mapped[Organization] = relationship()


class Invitation(db.Model):
    """An owner's invitation to join their organisation. The emailed link carries this id,
    signed and time-limited; the row makes it single-use and lets the owner withdraw it."""

    __tablename__ = "invitations"
    __table_args__ = (CheckConstraint(in_list("role", MEMBER_ROLES), name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(20), default="editor")
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    organization: Mapped[Organization] = relationship()
    invited_by: Mapped[User | None] = relationship()
