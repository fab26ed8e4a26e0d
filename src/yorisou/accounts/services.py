"""Writes of the accounts app: the organisation tree, users, roles, passwords, TOTP.

Every function records an audit event; passwords and secrets never reach it.
"""

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from django_otp.plugins.otp_totp.models import TOTPDevice

from yorisou.accounts.constants import PARENT_LEVEL, SCOPED_ROLES, OrgLevel
from yorisou.accounts.models import OrgUnit, RoleAssignment, User
from yorisou.core import audit, permissions
from yorisou.core.constants import Role

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
    is_sample: bool = False,
) -> User:
    """Create an account (職員 or 市民); without a password it cannot sign in yet."""
    user = User(
        username=username,
        email=email,
        display_name=display_name,
        org_unit=org_unit,
        is_sample=is_sample,
    )
    if password:
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


def user_signed_in(*, user: User) -> None:
    """Note a successful sign-in in the audit trail."""
    audit.record(actor=user, action="accounts.user.sign_in", target=user)


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


__all__ = [
    "org_unit_save",
    "role_assign",
    "role_revoke",
    "totp_device_confirm",
    "totp_device_reset",
    "totp_device_start",
    "user_create",
    "user_password_change",
    "user_save",
    "user_signed_in",
    "user_signed_out",
]
