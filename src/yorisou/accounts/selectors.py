"""Reads of the accounts app: the organisation tree, users, roles, and how sure
the current session is of who the person is (assurance, verified claims)."""

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest

from yorisou.accounts.constants import (
    ASSURANCE_ACCOUNT,
    ASSURANCE_LEVELS,
    ASSURANCE_MYNUMBER,
    ASSURANCE_NONE,
    SESSION_ASSURANCE,
    SESSION_IDENTITY,
)
from yorisou.accounts.models import OrgUnit, RoleAssignment, User, VerifiedIdentity
from yorisou.core import permissions
from yorisou.core.constants import Role


def org_unit_list(*, actor: Any, active_only: bool = True) -> QuerySet[OrgUnit]:
    """The organisation tree in tree order; any member of staff may read it."""
    if not permissions.is_staff_member(actor):
        raise permissions.PermissionDenied
    units = OrgUnit.objects.select_related("parent")
    if active_only:
        units = units.filter(is_active=True)
    return units.order_by("path")


def org_unit_get(*, actor: Any, code: str) -> OrgUnit:
    """One unit by code (staff only)."""
    return org_unit_list(actor=actor, active_only=False).get(code=code)


def org_unit_by_codes(codes: set[str]) -> dict[str, OrgUnit]:
    """Units by code, for importers and services (no actor: internal use)."""
    return {unit.code: unit for unit in OrgUnit.objects.filter(code__in=codes)}


def bureau_of(unit: OrgUnit) -> OrgUnit:
    """The bureau (局) a unit belongs to (itself if it is one)."""
    bureau_code = unit.path.split("/", 1)[0]
    if bureau_code == unit.code:
        return unit
    return OrgUnit.objects.get(code=bureau_code)


def user_list(*, actor: Any) -> QuerySet[User]:
    """All users with their section (system administrators only)."""
    permissions.require_role(actor, Role.SYSTEM_ADMIN)
    return User.objects.select_related("org_unit").order_by("username")


def role_assignment_list(*, actor: Any, user: User) -> QuerySet[RoleAssignment]:
    """The roles of ``user``: their own, or anyone's for system administrators."""
    if actor.pk != user.pk:
        permissions.require_role(actor, Role.SYSTEM_ADMIN)
    return (
        RoleAssignment.objects.filter(user=user)
        .select_related("org_unit")
        .order_by("role", "org_unit__path")
    )


def users_with_role(*, role: str, covering: OrgUnit | None = None) -> list[User]:
    """Active users holding ``role`` for ``covering`` (or anywhere, when ``None``).

    Used to address notifications (for instance the reform lead of a bureau); no
    actor because it is called by services and tasks, never shown as a list.
    """
    assignments = RoleAssignment.objects.filter(
        role=role, user__is_active=True
    ).select_related("user", "org_unit")
    users: dict[int, User] = {}
    for assignment in assignments:
        scope = assignment.org_unit.path if assignment.org_unit else ""
        if (
            covering is None
            or not scope
            or covering.path == scope
            or covering.path.startswith(scope + "/")
        ):
            users[assignment.user.pk] = assignment.user
    return [users[pk] for pk in sorted(users)]


def _session_identity(request: HttpRequest) -> VerifiedIdentity | None:
    """The identity verified by this session's sign-in, if it is the user's."""
    identity_id = request.session.get(SESSION_IDENTITY)
    if not identity_id or not request.user.is_authenticated:
        return None
    cached: VerifiedIdentity | None = getattr(request, "_yorisou_identity", None)
    if cached is None or cached.pk != identity_id:
        cached = VerifiedIdentity.objects.filter(
            pk=identity_id, user_id=request.user.pk
        ).first()
        request._yorisou_identity = cached  # type: ignore[attr-defined]
    return cached


def session_assurance(request: HttpRequest) -> str:
    """How sure this session is of who the person is (本人確認の水準).

    ``"none"`` when nobody is signed in; ``"mynumber"`` after a sign-in with the
    My Number card in this session; ``"account"`` for any other sign-in. Compare
    with :func:`yorisou.accounts.constants.assurance_satisfies`.
    """
    if not request.user.is_authenticated:
        return ASSURANCE_NONE
    level = request.session.get(SESSION_ASSURANCE)
    if level == ASSURANCE_MYNUMBER:
        return ASSURANCE_MYNUMBER if _session_identity(request) else ASSURANCE_ACCOUNT
    if level in ASSURANCE_LEVELS and level != ASSURANCE_NONE:
        return str(level)
    return ASSURANCE_ACCOUNT


def verified_claims(*, actor: Any, request: HttpRequest) -> dict[str, str]:
    """The 基本4情報 proven in THIS session (by the My Number card), else ``{}``.

    ``{"name", "address", "birthdate" (YYYY-MM-DD or ""), "gender"}``, for forms to
    prefill and mark as verified. Only the signed-in person may read their own.
    """
    if (
        actor is None
        or not getattr(actor, "is_authenticated", False)
        or actor.pk != request.user.pk
        or session_assurance(request) != ASSURANCE_MYNUMBER
    ):
        return {}
    identity = _session_identity(request)
    if identity is None:
        return {}
    return {
        "name": identity.name,
        "address": identity.address,
        "birthdate": identity.birthdate.isoformat() if identity.birthdate else "",
        "gender": identity.gender,
    }


def verified_identity_list(*, actor: Any, user: User) -> QuerySet[VerifiedIdentity]:
    """The identities linked to ``user``: their own, or anyone's for administrators."""
    if actor.pk != user.pk:
        permissions.require_role(actor, Role.SYSTEM_ADMIN)
    return VerifiedIdentity.objects.filter(user=user).order_by("-last_used_at")
