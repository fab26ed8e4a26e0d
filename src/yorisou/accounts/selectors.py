"""Reads of the accounts app: the organisation tree, users, roles."""

from typing import Any

from django.db.models import QuerySet

from yorisou.accounts.models import OrgUnit, RoleAssignment, User
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
