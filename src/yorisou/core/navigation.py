"""Menu entries: a registry that every app adds to; the menu shows only what the
user's roles allow."""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from yorisou.core import permissions
from yorisou.core.constants import Role
from yorisou.core.registry import Registry


class MenuEntry:
    """One item of the navigation (a small class registered under an id)."""

    label: str | Promise = ""
    description: str | Promise = ""
    url_name: str = ""
    roles: frozenset[str] = frozenset()  # empty: every signed-in user
    group: str = "main"  # "main" for work, "admin" for administration
    order: int = 100

    @classmethod
    def visible_to(cls, user: object) -> bool:
        return not cls.roles or permissions.has_role(user, *cls.roles)


menu: Registry[type[MenuEntry]] = Registry("menu entry")


@dataclass(frozen=True)
class MenuLink:
    """A menu entry resolved for one user."""

    id: str
    label: str
    description: str
    url: str
    group: str


def menu_for(user: object) -> list[MenuLink]:
    """The entries ``user`` may see, in order."""
    entries = sorted(
        ((entry_id, entry) for entry_id, entry in menu if entry.visible_to(user)),
        key=lambda pair: (pair[1].order, pair[0]),
    )
    return [
        MenuLink(
            id=entry_id,
            label=str(entry.label),
            description=str(entry.description),
            url=reverse(entry.url_name),
            group=entry.group,
        )
        for entry_id, entry in entries
    ]


@menu.register("core.audit")
class AuditTrailMenu(MenuEntry):
    label = _("Audit trail")
    description = _("Every change made in Yorisou, who made it and when.")
    url_name = "core:audit_list"
    roles = frozenset({Role.SYSTEM_ADMIN})
    group = "admin"
    order = 910


@menu.register("core.api_docs")
class ApiDocsMenu(MenuEntry):
    label = _("API documentation")
    description = _("The REST API for BI tools and other systems.")
    url_name = "api:docs"
    roles = frozenset({Role.SYSTEM_ADMIN, Role.REFORM_OFFICE})
    group = "admin"
    order = 930


@menu.register("core.settings")
class SiteConfigurationMenu(MenuEntry):
    label = _("System settings")
    description = _("Switches such as mandatory two-factor sign-in for staff.")
    url_name = "core:site_configuration"
    roles = frozenset({Role.SYSTEM_ADMIN})
    group = "admin"
    order = 920
