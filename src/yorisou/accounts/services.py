"""Writes of the accounts app: the organisation tree, users, roles, passwords, TOTP,
citizen sign-up with email verification, and identities verified by a sign-in
provider (My Number card).

Every function records an audit event; passwords, secrets and the personal data
of a verified identity (name, address, date of birth, gender) never reach it.
"""

import logging
import secrets
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables

from django_otp.plugins.otp_totp.models import TOTPDevice

from yorisou.accounts.constants import (
    ASSURANCE_ACCOUNT,
    EMAIL_VERIFY_MAX_AGE,
    PARENT_LEVEL,
    SCOPED_ROLES,
    OrgLevel,
)
from yorisou.accounts.models import OrgUnit, RoleAssignment, User, VerifiedIdentity
from yorisou.accounts.oidc import SignInError
from yorisou.core import audit, permissions
from yorisou.core.constants import Role

logger = logging.getLogger(__name__)

ORG_FIELDS = ["code", "name", "name_en", "level", "parent", "sort_order", "is_active"]
USER_FIELDS = [
    "username",
    "email",
    "display_name",
    "first_name",
    "last_name",
    "org_unit",
    "is_active",
    "password",
]


def _check_org_unit(unit: OrgUnit) -> None:
    """The tree invariants: a unit's parent is one level up; no cycles."""
    expected = PARENT_LEVEL.get(unit.level, "invalid")
    if expected == "invalid":
        raise ValidationError({"level": _("Unknown level.")})
    parent = unit.parent
    if expected is None and parent is not None:
        raise ValidationError({"parent": _("A bureau has no parent unit.")})
    if expected is not None and (parent is None or parent.level != expected):
        raise ValidationError(
            {
                "parent": _("The parent unit must be a %(level)s.")
                % {"level": OrgLevel(expected).label}
            }
        )
    if (
        parent is not None
        and unit.pk
        and (parent.pk == unit.pk or parent.path.startswith(unit.path + "/"))
    ):
        raise ValidationError({"parent": _("A unit cannot be placed below itself.")})


def _path_of(unit: OrgUnit) -> str:
    return f"{unit.parent.path}/{unit.code}" if unit.parent else unit.code


def org_unit_save(
    *, actor: Any, unit: OrgUnit, changed_fields: Iterable[str] = (), created: bool
) -> OrgUnit:
    """Create or update an org unit (組織の作成・変更), keeping descendants' paths."""
    permissions.require_role(actor, Role.SYSTEM_ADMIN)
    _check_org_unit(unit)
    fields = ORG_FIELDS if created else [f for f in ORG_FIELDS if f in changed_fields]
    with transaction.atomic():
        before: dict[str, Any] = {}
        old_path = ""
        if not created:
            previous = OrgUnit.objects.select_for_update().get(pk=unit.pk)
            before, old_path = audit.snapshot(previous, fields), previous.path
        unit.path = _path_of(unit)
        unit.save()
        if old_path and old_path != unit.path:
            for child in OrgUnit.objects.filter(path__startswith=old_path + "/"):
                child.path = unit.path + child.path[len(old_path) :]
                child.save(update_fields=["path"])
        audit.record(
            actor=actor,
            action="accounts.org_unit." + ("create" if created else "update"),
            target=unit,
            changes=audit.diff(before, audit.snapshot(unit, fields)),
        )
    return unit


def user_save(
    *,
    actor: Any,
    user: User,
    changed_fields: Iterable[str] = (),
    created: bool,
) -> User:
    """Create or update a user account from an administration screen."""
    permissions.require_role(actor, Role.SYSTEM_ADMIN)
    fields = USER_FIELDS if created else [f for f in USER_FIELDS if f in changed_fields]
    with transaction.atomic():
        before = {}
        if not created:
            before = audit.snapshot(User.objects.get(pk=user.pk), fields)
        user.save()
        audit.record(
            actor=actor,
            action="accounts.user." + ("create" if created else "update"),
            target=user,
            changes=audit.diff(before, audit.snapshot(user, fields)),
        )
    return user


def user_create(
    *,
    actor: Any,
    username: str,
    email: str = "",
    display_name: str = "",
    org_unit: OrgUnit | None = None,
    password: str | None = None,
    password_hash: str | None = None,
    is_sample: bool = False,
) -> User:
    """Create an account (職員 or 市民); without a password it cannot sign in yet.

    ``password_hash`` (from ``make_password``) lets a loader of many accounts with
    the same password hash it once."""
    user = User(
        username=username,
        email=email,
        display_name=display_name,
        org_unit=org_unit,
        is_sample=is_sample,
    )
    if password_hash:
        user.password = password_hash
    elif password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    return user_save(actor=actor, user=user, created=True)


def role_assign(
    *, actor: Any, user: User, role: str, org_unit: OrgUnit | None = None
) -> RoleAssignment:
    """Give ``user`` a role (city-wide, or for ``org_unit`` and below). Idempotent."""
    permissions.require_role(actor, Role.SYSTEM_ADMIN)
    if role not in Role.values:
        raise ValidationError({"role": _("Unknown role.")})
    if role in SCOPED_ROLES and org_unit is None:
        raise ValidationError(
            {"org_unit": _("This role must be scoped to an organisation unit.")}
        )
    with transaction.atomic():
        assignment, created = RoleAssignment.objects.get_or_create(
            user=user, role=role, org_unit=org_unit
        )
        if created:
            audit.record(
                actor=actor,
                action="accounts.role.assign",
                target=user,
                changes={
                    "role": [None, role],
                    "scope": [None, org_unit.code if org_unit else "*"],
                },
            )
    permissions.forget_roles(user)
    return assignment


def role_revoke(*, actor: Any, assignment: RoleAssignment) -> None:
    """Take a role away from a user."""
    permissions.require_role(actor, Role.SYSTEM_ADMIN)
    with transaction.atomic():
        audit.record(
            actor=actor,
            action="accounts.role.revoke",
            target=assignment.user,
            changes={
                "role": [assignment.role, None],
                "scope": [
                    assignment.org_unit.code if assignment.org_unit else "*",
                    None,
                ],
            },
        )
        assignment.delete()
    permissions.forget_roles(assignment.user)


def user_password_change(*, actor: User, user: User, new_password: str) -> User:
    """Set a new password (the user themself, or after a reset link)."""
    if actor.pk != user.pk:
        raise PermissionDenied
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        audit.record(
            actor=actor,
            action="accounts.user.password_change",
            target=user,
            changes={"password": ["", ""]},
        )
    return user


def user_signed_in(*, user: User, assurance: str = ASSURANCE_ACCOUNT) -> None:
    """Note a successful sign-in, and how sure it is of the person, in the trail."""
    audit.record(
        actor=user,
        action="accounts.user.sign_in",
        target=user,
        target_repr=user.get_username(),
        changes={"assurance": [None, assurance]},
    )


def user_signed_out(*, user: User) -> None:
    """Note a sign-out in the audit trail."""
    audit.record(actor=user, action="accounts.user.sign_out", target=user)


def totp_device_start(*, actor: User) -> TOTPDevice:
    """Begin two-factor set-up: a new, unconfirmed TOTP key for the actor."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=actor, confirmed=False).delete()
        return TOTPDevice.objects.create(
            user=actor, name=_("Authenticator app"), confirmed=False
        )


def totp_device_confirm(*, actor: User, device: TOTPDevice, token: str) -> bool:
    """Confirm set-up with a code from the app; returns whether the code was right."""
    if device.user_id != actor.pk:
        raise PermissionDenied
    if not device.verify_token(token):
        return False
    with transaction.atomic():
        TOTPDevice.objects.filter(user=actor, confirmed=True).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        audit.record(
            actor=actor,
            action="accounts.user.two_factor_enable",
            target=actor,
            changes={"two_factor": [False, True]},
        )
    return True


def totp_device_reset(*, actor: Any, user: User) -> None:
    """An administrator removes a user's TOTP key (lost phone); they set up anew."""
    permissions.require_role(actor, Role.SYSTEM_ADMIN)
    with transaction.atomic():
        deleted, _ = TOTPDevice.objects.filter(user=user).delete()
        if deleted:
            audit.record(
                actor=actor,
                action="accounts.user.two_factor_reset",
                target=user,
                changes={"two_factor": [True, False]},
            )


# Citizen sign-up with email verification (メールアドレスでの利用者登録)

_VERIFY_SALT = "yorisou.accounts.email_verify"


def _normalise_email(email: str) -> str:
    return email.strip().lower()


def _verification_hash(user: User) -> str:
    """Changes whenever the account changes state, so old links stop working."""
    value = f"{user.pk}|{user.email}|{user.password}|{user.is_active}"
    return salted_hmac(_VERIFY_SALT, value, algorithm="sha256").hexdigest()[:32]


def email_verification_token(user: User) -> str:
    """A signed, timestamped token for the link in the verification email."""
    return signing.dumps(
        {"u": user.pk, "h": _verification_hash(user)}, salt=_VERIFY_SALT
    )


def _send_mail(template: str, *, to: str, context: dict[str, Any]) -> None:
    context = {"site_name": settings.YORISOU.get("SITE_NAME", "Yorisou"), **context}
    subject = render_to_string(f"accounts/email/{template}_subject.txt", context)
    body = render_to_string(f"accounts/email/{template}.txt", context)
    send_mail(" ".join(subject.split()), body, None, [to])


def _schedule_verification_email(user: User, base_url: str) -> None:
    link = base_url.rstrip("/") + reverse(
        "accounts:signup_verify", args=[email_verification_token(user)]
    )
    hours = _verify_max_age() // 3600
    context = {"user": user, "link": link, "hours": hours}
    email = user.email
    transaction.on_commit(lambda: _send_mail("verify_email", to=email, context=context))


def _verify_max_age() -> int:
    return int(getattr(settings, "ACCOUNTS_EMAIL_VERIFY_MAX_AGE", EMAIL_VERIFY_MAX_AGE))


def _is_pending_sign_up(user: User) -> bool:
    """An account made by the sign-up form whose email was never confirmed."""
    return (
        not user.is_active
        and user.email_verified_at is None
        and user.username == user.email
        and user.last_login is None
    )


@sensitive_variables("password")
def citizen_sign_up(
    *, email: str, password: str, display_name: str, base_url: str
) -> User | None:
    """利用者登録: create a citizen account that is usable once its email is
    confirmed, and email the confirmation link.

    The caller shows the same answer whatever happens, so nobody learns whether an
    address is registered: an address that already has an account gets an email
    saying so instead of a link; a sign-up that was never confirmed is replaced
    (new password, new link; older links stop working). A double submit creates one
    account. Returns the pending account, or ``None`` when none was made.
    """
    email = _normalise_email(email)
    try:
        with transaction.atomic():
            existing = (
                User.objects.select_for_update()
                .filter(email__iexact=email)
                .order_by("pk")
                .first()
            ) or User.objects.select_for_update().filter(username__iexact=email).first()
            if existing is not None and not _is_pending_sign_up(existing):
                context = {"user": existing, "base_url": base_url.rstrip("/")}
                transaction.on_commit(
                    lambda: _send_mail("signup_exists", to=email, context=context)
                )
                return None
            created = existing is None
            user = existing or User(username=email, email=email, is_active=False)
            before = {} if created else audit.snapshot(user, ["display_name"])
            user.display_name = display_name.strip()
            user.set_password(password)
            user.save()
            if created:
                RoleAssignment.objects.create(user=user, role=Role.CITIZEN)
            audit.record(
                actor=user,
                action="accounts.user.sign_up",
                target=user,
                target_repr=user.username,
                changes={
                    **audit.diff(before, audit.snapshot(user, ["display_name"])),
                    "password": ["", ""],
                    **({"role": [None, Role.CITIZEN.value]} if created else {}),
                },
            )
            _schedule_verification_email(user, base_url)
            return user
    except IntegrityError:
        # A concurrent request (double click) created the same account first; its
        # email is on the way.
        return None


def email_verify(*, token: str) -> tuple[str, User | None]:
    """Confirm an email address from its link; the account becomes usable.

    Returns ``(outcome, user)`` with outcome ``"verified"``, ``"already"`` (the link
    was used before: nothing changes), ``"expired"`` or ``"invalid"``.
    """
    try:
        data = signing.loads(token, salt=_VERIFY_SALT, max_age=_verify_max_age())
    except signing.SignatureExpired:
        return "expired", None
    except signing.BadSignature:
        return "invalid", None
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=data.get("u")).first()
        if user is None:
            return "invalid", None
        if user.is_active and user.email_verified_at is not None:
            return "already", user
        if not constant_time_compare(str(data.get("h")), _verification_hash(user)):
            return "invalid", None
        user.is_active = True
        user.email_verified_at = timezone.now()
        user.save(update_fields=["is_active", "email_verified_at"])
        audit.record(
            actor=user,
            action="accounts.user.email_verify",
            target=user,
            target_repr=user.username,
            changes={"is_active": [False, True], "email_verified": [False, True]},
        )
    return "verified", user


def email_verification_resend(*, email: str, base_url: str) -> bool:
    """Send a new link to a sign-up that was never confirmed (else do nothing).

    Changes no state (the old link keeps working until it expires), so nothing is
    audited. Returns whether an email was sent; callers must not show it.
    """
    email = _normalise_email(email)
    with transaction.atomic():
        user = User.objects.filter(email__iexact=email).order_by("pk").first()
        if user is None or not _is_pending_sign_up(user):
            return False
        _schedule_verification_email(user, base_url)
    return True


# Identities verified by a sign-in provider (マイナンバーカードによる本人確認)

_IDENTITY_FIELDS = ("name", "name_kana", "address", "birthdate", "gender")


def _claim_text(value: Any, limit: int) -> str:
    if isinstance(value, Mapping):  # an OpenID Connect address object
        value = value.get("formatted") or " ".join(
            str(value[k])
            for k in ("postal_code", "region", "locality", "street_address")
            if value.get(k)
        )
    return str(value or "").strip()[:limit]


def _claim_date(value: Any) -> date | None:
    text = str(value or "").strip()
    for candidate in (text, f"{text[:4]}-{text[4:6]}-{text[6:8]}"):
        try:
            return date.fromisoformat(candidate)
        except ValueError:
            continue
    return None


@sensitive_variables("claims", "values")
def _identity_values(claims: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "name": _claim_text(claims.get("name"), 200),
        "name_kana": _claim_text(claims.get("name_kana"), 200),
        "address": _claim_text(claims.get("address"), 500),
        "birthdate": _claim_date(claims.get("birthdate")),
        "gender": _claim_text(claims.get("gender"), 20),
    }


def _citizen_create_for_identity(*, display_name: str, provider_id: str) -> User:
    """A new citizen account whose only way in is the provider (no password)."""
    user = User(
        username=f"{provider_id}-{secrets.token_hex(6)}", display_name=display_name
    )
    user.set_unusable_password()
    user.save()
    RoleAssignment.objects.create(user=user, role=Role.CITIZEN)
    audit.record(
        actor=user,
        action="accounts.user.create",
        target=user,
        target_repr=user.username,
        changes={
            "username": [None, user.username],
            "role": [None, Role.CITIZEN.value],
            "via": [None, provider_id],
        },
    )
    return user


@sensitive_variables("claims", "values")
def verified_identity_sign_in(
    *,
    actor: Any,
    provider_id: str,
    issuer: str,
    subject: str,
    claims: Mapping[str, Any],
) -> VerifiedIdentity:
    """The account of a person a provider has just proven (My Number card).

    Finds the identity by (issuer, subject) and refreshes its 基本4情報; else links
    it to the signed-in citizen (``actor``), else creates a citizen account for it.
    Idempotent: a retry or a double click finds the row the first one made. Raises
    ``SignInError`` when the card belongs to another account than the signed-in one,
    when a member of staff is signed in, or when the account is disabled.
    """
    signed_in = actor if getattr(actor, "is_authenticated", False) else None
    if signed_in is not None and permissions.is_staff_member(signed_in):
        raise SignInError("staff_account")
    values = _identity_values(claims)
    now = timezone.now()
    for attempt in range(2):
        try:
            with transaction.atomic():
                identity = (
                    VerifiedIdentity.objects.select_for_update()
                    .select_related("user")
                    .filter(issuer=issuer, subject=subject)
                    .first()
                )
                if identity is not None:
                    if signed_in is not None and identity.user_id != signed_in.pk:
                        raise SignInError("linked_elsewhere")
                    if not identity.user.is_active:
                        raise SignInError("account_inactive")
                    changed = [
                        f for f in _IDENTITY_FIELDS if getattr(identity, f) != values[f]
                    ]
                    for field, value in values.items():
                        setattr(identity, field, value)
                    identity.verified_at = identity.last_used_at = now
                    identity.save()
                    if changed:
                        # Which claims changed, never their values.
                        audit.record(
                            actor=identity.user,
                            action="accounts.verified_identity.update",
                            target=identity,
                            changes={"claims_changed": [None, changed]},
                        )
                    return identity
                linked = signed_in is not None
                user = signed_in or _citizen_create_for_identity(
                    display_name=values["name"], provider_id=provider_id
                )
                identity = VerifiedIdentity.objects.create(
                    user=user,
                    provider=provider_id,
                    issuer=issuer,
                    subject=subject,
                    verified_at=now,
                    last_used_at=now,
                    **values,
                )
                audit.record(
                    actor=user,
                    action="accounts.verified_identity."
                    + ("link" if linked else "create"),
                    target=identity,
                    changes={
                        "user": [None, user.get_username()],
                        "provider": [None, provider_id],
                        "claims": [None, [f for f in _IDENTITY_FIELDS if values[f]]],
                    },
                )
                return identity
        except IntegrityError:
            if attempt:
                raise
            # A concurrent sign-in of the same person created the row: use it.
    raise AssertionError("unreachable")  # pragma: no cover


def sign_in_failed(*, actor: Any, provider_id: str, reason: str) -> None:
    """Note a sign-in through a provider that did not succeed (reason code only)."""
    logger.info("sign-in via %s did not complete: %s", provider_id, reason)
    audit.record(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action="accounts.user.sign_in_fail",
        target_type="accounts.signinprovider",
        target_id=provider_id,
        target_repr=provider_id,
        changes={"provider": [None, provider_id], "reason": [None, reason]},
    )


__all__ = [
    "citizen_sign_up",
    "email_verification_resend",
    "email_verify",
    "org_unit_save",
    "role_assign",
    "role_revoke",
    "sign_in_failed",
    "totp_device_confirm",
    "totp_device_reset",
    "totp_device_start",
    "user_create",
    "user_password_change",
    "user_save",
    "user_signed_in",
    "user_signed_out",
    "verified_identity_sign_in",
]
