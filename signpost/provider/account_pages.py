"""Signing in and out, password resets, registering an organisation, invitations, members.

Views parse the form, call :mod:`signpost.accounts.users`, and render or redirect.
"""

from __future__ import annotations

import logging

from flask import abort, current_app, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from signpost import auth, rate_limits
from signpost.accounts import tokens, users
from signpost.extensions import db
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
    RegisterStartForm,
    ResetPasswordForm,
    SignInForm,
)
from signpost.urls import absolute_url

log = logging.getLogger(__name__)


def _home(user: User) -> str:
    return url_for("admin.queue") if user.is_moderator else url_for("provider.dashboard")


@rate_limits.sign_in_limits
def sign_in() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(_home(me()))
    form = SignInForm()
    if form.validate_on_submit():
        user = users.authenticate(db.session, form.email.data, form.password.data)
        if user is not None:
            auth.sign_in(user)
            response = redirect(auth.safe_next(request.args.get("next")) or _home(user))
            return rate_limits.remember_device(response, user.email)
        form.email.errors.append("Enter a correct email address and password")
    return render_page("provider/sign_in.html", form=form)


def sign_out() -> ResponseReturnValue:
    """GET asks (a link or a prefetch must not sign anyone out); POST, with CSRF, does it."""
    if request.method == "GET":
        if not current_user.is_authenticated:
            return redirect(url_for("provider.sign_in"))
        return render_page("provider/sign_out.html")
    auth.sign_out()
    flash("You have signed out.", "success")
    return redirect(url_for("provider.sign_in"))


def _send_quietly(to: str, subject: str, body: str) -> None:
    try:
        send_email([to], subject, body)
    except MailError:
        log.error("account email could not be sent")


@rate_limits.email_limits
def forgot_password() -> ResponseReturnValue:
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        email = users.normalise_email(form.email.data)
        user = users.user_for_reset(db.session, email)
        # One email either way, and the same page: the answer and its timing do not say
        # whether the address has an account.
        if user is not None:
            token = tokens.make_reset_token(
                current_app.config["SECRET_KEY"], user.id, user.password_hash
            )
            link = absolute_url("provider.reset_password", token=token)
            _send_quietly(
                user.email,
                "Reset your Signpost password",
                "Someone asked to reset the password for your Signpost account.\n\n"
                f"To choose a new password, open this link within an hour:\n{link}\n\n"
                "If it was not you, ignore this email: your password has not changed.",
            )
        else:
            _send_quietly(
                email,
                "Reset your Signpost password",
                "Someone asked to reset the password for a Signpost account with this email "
                "address, but there is no active account for it.\n\n"
                "If you use Signpost with a different email address, ask for a reset link "
                f"for that one:\n{absolute_url('provider.forgot_password')}\n\n"
                "If it was not you, ignore this email.",
            )
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
            # Opening the emailed link proves this browser is the account owner's.
            email = db.session.get(User, user_id).email  # type: ignore[union-attr]
            return rate_limits.remember_device(redirect(url_for("provider.sign_in")), email)
    return render_page("provider/reset_password.html", form=form)


def _signed_in_already() -> ResponseReturnValue:
    flash("You are signed in already. Sign out to register another organisation.", "info")
    return redirect(url_for("provider.dashboard"))


@rate_limits.email_limits
def register() -> ResponseReturnValue:
    """Step 1: an email address. Whether or not it has an account, the page says "check your
    email" and one email goes to it; only the inbox's owner learns which it was."""
    if current_user.is_authenticated:
        return _signed_in_already()
    form = RegisterStartForm()
    if form.validate_on_submit():
        email = users.normalise_email(form.email.data)
        subject = "Register your organisation on Signpost"
        if users.find_user(db.session, email) is None:
            token = tokens.make_registration_token(current_app.config["SECRET_KEY"], email)
            _send_quietly(
                email,
                subject,
                "To register your organisation on Signpost, open this link within 24 hours:\n"
                f"{absolute_url('provider.register_details', token=token)}\n\n"
                "If it was not you, ignore this email.",
            )
        else:
            _send_quietly(
                email,
                subject,
                "Someone asked to register an organisation on Signpost with this email "
                "address, but it already has a Signpost account.\n\n"
                f"Sign in: {absolute_url('provider.sign_in')}\n"
                f"Forgotten your password? {absolute_url('provider.forgot_password')}\n\n"
                "To add another organisation, register it with a different email address. "
                "If it was not you, ignore this email.",
            )
        return render_page("provider/register_sent.html", email=form.email.data)
    return render_page("provider/register.html", form=form)


@rate_limits.form_limit(rate_limits.sign_in)
def register_details(token: str) -> ResponseReturnValue:
    """Step 2, from the emailed link: the organisation, the person's name and a password."""
    try:
        email = tokens.read_registration_token(current_app.config["SECRET_KEY"], token)
    except tokens.TokenError as error:
        return render_page("provider/link_invalid.html", expired=error.expired, registration=True)
    if current_user.is_authenticated:
        return _signed_in_already()
    form = RegisterForm()
    errors: list[dict[str, str]] = []
    if form.validate_on_submit():
        try:
            user = users.register_organization(
                db.session,
                organization=form.organisation(),
                name=form.your_name.data,
                email=email,
                password=form.password.data,
            )
        except users.AccountError as error:
            db.session.rollback()
            field = getattr(form, error.field or "", None)
            if field is None or error.field == "email":
                errors.append({"text": error.message, "href": "#main-content"})
            else:
                field.errors.append(error.message)
        else:
            auth.sign_in(user)
            flash(
                "Your organisation has been registered. A moderator will check it; meanwhile "
                "you can add your listings. They will be public once it is approved.",
                "success",
            )
            return rate_limits.remember_device(redirect(url_for("provider.dashboard")), email)
    return render_page("provider/register_details.html", form=form, email=email, error_list=errors)


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
            # The emailed link reached this browser: it is the account owner's.
            return rate_limits.remember_device(redirect(url_for("provider.dashboard")), user.email)
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
            link = absolute_url("provider.accept_invitation", token=token)
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
