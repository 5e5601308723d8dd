"""Signing in and out, password resets, registering an organisation, invitations, members.

Views parse the form, call :mod:`signpost.accounts.users`, and render or redirect.
"""

from __future__ import annotations

import logging

from flask import abort, current_app, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from signpost import auth
from signpost.accounts import tokens, users
from signpost.extensions import db, limiter
from signpost.listings import organization_for
from signpost.mail import MailError, send_email
from signpost.models import Membership, Organization, User
from signpost.models.accounts import Invitation
from signpost.provider.common import me, render_page
from signpost.provider.forms import (
    AcceptInvitationForm,
    ActionForm,
    ForgotPasswordForm,
    InviteForm,
    RegisterForm,
    ResetPasswordForm,
    SignInForm,
)

log = logging.getLogger(__name__)


def _sign_in_limit() -> str:
    return str(current_app.config["RATELIMIT_SIGN_IN"])


def _email_key() -> str:
    """Rate-limit key for attempts on one account, from wherever they come."""
    return "account:" + users.normalise_email(request.form.get("email", ""))[:254]


def _home(user: User) -> str:
    return url_for("admin.queue") if user.is_moderator else url_for("provider.dashboard")


@limiter.limit(_sign_in_limit, methods=["POST"])
@limiter.limit(_sign_in_limit, methods=["POST"], key_func=_email_key)
def sign_in() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(_home(me()))
    form = SignInForm()
    if form.validate_on_submit():
        user = users.authenticate(db.session, form.email.data, form.password.data)
        if user is not None:
            auth.sign_in(user)
            return redirect(auth.safe_next(request.args.get("next")) or _home(user))
        form.email.errors.append("Enter a correct email address and password")
    return render_page("provider/sign_in.html", form=form)


def sign_out() -> ResponseReturnValue:
    auth.sign_out()
    flash("You have signed out.", "success")
    return redirect(url_for("provider.sign_in"))


@limiter.limit(_sign_in_limit, methods=["POST"])
@limiter.limit(_sign_in_limit, methods=["POST"], key_func=_email_key)
def forgot_password() -> ResponseReturnValue:
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        user = users.user_for_reset(db.session, form.email.data)
        if user is not None:
            token = tokens.make_reset_token(
                current_app.config["SECRET_KEY"], user.id, user.password_hash
            )
            link = url_for("provider.reset_password", token=token, _external=True)
            try:
                send_email(
                    [user.email],
                    "Reset your Signpost password",
                    "Someone asked to reset the password for your Signpost account.\n\n"
                    f"To choose a new password, open this link within an hour:\n{link}\n\n"
                    "If it was not you, ignore this email: your password has not changed.",
                )
            except MailError:
                log.error("password reset email could not be sent")
        # The same answer whether or not the account exists.
        return render_page("provider/check_email.html", email=form.email.data)
    return render_page("provider/forgot_password.html", form=form)


def reset_password(token: str) -> ResponseReturnValue:
    secret = current_app.config["SECRET_KEY"]
    try:
        user_id, fingerprint = tokens.read_reset_token(secret, token)
        users.user_for_reset_link(db.session, user_id, fingerprint)
    except tokens.TokenError as error:
        return render_page("provider/link_invalid.html", expired=error.expired, reset=True)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            users.reset_password(db.session, user_id, fingerprint, form.password.data)
        except tokens.TokenError:  # used in another tab a moment ago
            return render_page("provider/link_invalid.html", expired=False, reset=True)
        except users.AccountError as error:
            form.password.errors.append(error.message)
        else:
            flash("Your password has been changed. Sign in with your new password.", "success")
            return redirect(url_for("provider.sign_in"))
    return render_page("provider/reset_password.html", form=form)


@limiter.limit(_sign_in_limit, methods=["POST"])
def register() -> ResponseReturnValue:
    if current_user.is_authenticated:
        flash("You are signed in already. Sign out to register another organisation.", "info")
        return redirect(url_for("provider.dashboard"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = users.register_organization(
                db.session,
                organization=form.organisation(),
                name=form.your_name.data,
                email=form.email.data,
                password=form.password.data,
            )
        except users.AccountError as error:
            db.session.rollback()
            getattr(form, error.field or "email").errors.append(error.message)
        else:
            auth.sign_in(user)
            flash(
                "Your organisation has been registered. A moderator will check it; meanwhile "
                "you can add your listings. They will be public once it is approved.",
                "success",
            )
            return redirect(url_for("provider.dashboard"))
    return render_page("provider/register.html", form=form)


def _invitation_or_invalid(token: str) -> Invitation | ResponseReturnValue:
    try:
        invitation_id = tokens.read_invitation_token(current_app.config["SECRET_KEY"], token)
    except tokens.TokenError as error:
        return render_page("provider/link_invalid.html", expired=error.expired, reset=False)
    invitation = users.open_invitation(db.session, invitation_id)
    if invitation is None:
        return render_page("provider/link_invalid.html", expired=False, reset=False)
    return invitation


def accept_invitation(token: str) -> ResponseReturnValue:
    found = _invitation_or_invalid(token)
    if not isinstance(found, Invitation):
        return found
    invitation = found
    existing = users.find_user(db.session, invitation.email)
    signed_in = me() if current_user.is_authenticated else None
    form = AcceptInvitationForm() if existing is None else ActionForm()
    if form.validate_on_submit():
        try:
            user = users.accept_invitation(
                db.session,
                invitation,
                signed_in=signed_in,
                name=form.name.data if isinstance(form, AcceptInvitationForm) else "",
                password=form.password.data if isinstance(form, AcceptInvitationForm) else "",
            )
        except users.AccountError as error:
            db.session.rollback()
            field = getattr(form, error.field or "", None)
            if field is None:
                return render_page(
                    "provider/invitation.html",
                    form=form,
                    invitation=invitation,
                    existing=existing,
                    signed_in=signed_in,
                    error_list=[{"text": error.message, "href": "#main-content"}],
                )
            field.errors.append(error.message)
        else:
            if signed_in is None or signed_in.id != user.id:
                auth.sign_in(user)
            flash(f"You have joined {invitation.organization.name}.", "success")
            return redirect(url_for("provider.dashboard"))
    return render_page(
        "provider/invitation.html",
        form=form,
        invitation=invitation,
        existing=existing,
        signed_in=signed_in,
    )


def _owned_organization(org_id: str) -> Organization:
    found = organization_for(db.session, me(), org_id)
    if found is None:
        abort(404)
    organization, membership = found
    if membership.role != "owner":
        abort(403)
    return organization


def _members_page(
    organization: Organization, form: InviteForm, status: int = 200
) -> ResponseReturnValue:
    return render_page(
        "provider/members.html",
        form=form,
        status=status,
        organization=organization,
        members=users.members(db.session, organization),
        invitations=users.open_invitations(db.session, organization),
    )


@login_required
def members(org_id: str) -> ResponseReturnValue:
    organization = _owned_organization(org_id)
    form = InviteForm()
    if form.validate_on_submit():
        try:
            invitation = users.invite(
                db.session, me(), organization, form.email.data, form.role.data
            )
        except users.AccountError as error:
            db.session.rollback()
            getattr(form, error.field or "email").errors.append(error.message)
        else:
            token = tokens.make_invitation_token(current_app.config["SECRET_KEY"], invitation.id)
            link = url_for("provider.accept_invitation", token=token, _external=True)
            try:
                send_email(
                    [invitation.email],
                    f"You have been invited to manage {organization.name} on Signpost",
                    f"{me().name or me().email} has invited you to help keep "
                    f"{organization.name}'s listings on Signpost up to date.\n\n"
                    f"To accept, open this link within 7 days:\n{link}\n",
                )
            except MailError:
                flash(
                    "The invitation was saved but the email could not be sent. "
                    "Withdraw it and try again later.",
                    "warning",
                )
            else:
                flash(f"Invitation sent to {invitation.email}.", "success")
            return redirect(url_for("provider.members", org_id=organization.id))
    return _members_page(organization, form)


@login_required
def remove_member(org_id: str, user_id: int) -> ResponseReturnValue:
    organization = _owned_organization(org_id)
    member = db.session.get(Membership, (user_id, organization.id))
    if member is None:
        abort(404)
    try:
        users.remove_member(db.session, me(), organization, member)
    except users.AccountError as error:
        db.session.rollback()
        flash(error.message, "warning")
    else:
        flash("Member removed.", "success")
    return redirect(url_for("provider.members", org_id=organization.id))


@login_required
def withdraw_invitation(org_id: str, invitation_id: int) -> ResponseReturnValue:
    organization = _owned_organization(org_id)
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or invitation.organization_id != organization.id:
        abort(404)
    users.withdraw_invitation(db.session, invitation)
    flash("Invitation withdrawn.", "success")
    return redirect(url_for("provider.members", org_id=organization.id))
