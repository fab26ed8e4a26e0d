"""Permission checks, in one place: roles held by a user, optionally scoped.

Selectors and services call these with ``actor=``; views never filter by hand. A
role held with an org unit applies to that unit and every unit below it (a bureau
reform lead of 健康福祉局 acts for all of its departments and sections). A role held
without an org unit applies city-wide.
"""

from typing import Any, Protocol

from django.core.exceptions import PermissionDenied

from asgiref.sync import sync_to_async

__all__ = ["SYSTEM", "PermissionDenied", "has_role", "require_role"]

from yorisou.core.constants import STAFF_ROLES, Role

_CACHE_ATTR = "_yorisou_roles"


class ScopedUnit(Protocol):
    """Anything with a materialised tree path, such as ``accounts.OrgUnit``."""

    path: str


class SystemActor:
    """The system itself as an actor (commands, demo loading, scheduled tasks).

    It holds every role city-wide and is recorded as ``system`` in the audit trail.
    """

    pk = None
    is_authenticated = False
    is_superuser = False

    def __str__(self) -> str:
        return "system"


SYSTEM = SystemActor()


def role_grants(user: Any) -> list[tuple[str, str]]:
    """``(role, scope_path)`` pairs of a user ('' = city-wide); cached per object."""
    if user is SYSTEM:
        return [(role.value, "") for role in Role]
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    cached: list[tuple[str, str]] | None = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        cached = [
            (role, path or "")
            for role, path in user.role_assignments.values_list(
                "role", "org_unit__path"
            )
        ]
        if user.is_superuser:
            cached.append((Role.SYSTEM_ADMIN.value, ""))
        setattr(user, _CACHE_ATTR, cached)
    return cached


def forget_roles(user: Any) -> None:
    """Drop the cached roles (after a role is assigned or revoked)."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def roles_of(user: Any) -> set[str]:
    """The roles a user holds anywhere."""
    return {role for role, _ in role_grants(user)}


def _covers(scope: str, unit: ScopedUnit | None) -> bool:
    if not scope:
        return True
    if unit is None:
        return False
    return unit.path == scope or unit.path.startswith(scope + "/")


def has_role(user: Any, *roles: str, org_unit: ScopedUnit | None = None) -> bool:
    """Whether ``user`` holds one of ``roles`` covering ``org_unit``.

    With ``org_unit=None`` any grant of the role counts, wherever it is scoped.
    """
    wanted = {str(role) for role in roles}
    for role, scope in role_grants(user):
        if role in wanted and (org_unit is None or _covers(scope, org_unit)):
            return True
    return False


def require_role(user: Any, *roles: str, org_unit: ScopedUnit | None = None) -> None:
    """Raise ``PermissionDenied`` unless :func:`has_role`."""
    if not has_role(user, *roles, org_unit=org_unit):
        raise PermissionDenied


def scopes_of(user: Any, *roles: str) -> list[str] | None:
    """Tree paths where ``user`` holds one of ``roles``; ``None`` means city-wide.

    Selectors use it to filter querysets: ``path__startswith`` any of the scopes.
    """
    wanted = {str(role) for role in roles}
    scopes = [scope for role, scope in role_grants(user) if role in wanted]
    if "" in scopes:
        return None
    return scopes


def is_staff_member(user: Any) -> bool:
    """Whether the user holds any staff role (everything but citizen)."""
    return bool(roles_of(user) & {str(role) for role in STAFF_ROLES})


async def ahas_role(user: Any, *roles: str) -> bool:
    """:func:`has_role` for async code (consumers)."""
    return bool(await sync_to_async(has_role)(user, *roles))
