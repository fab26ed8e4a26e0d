"""Menu entries of the accounts app."""

from django.utils.translation import gettext_lazy as _

from yorisou.core.constants import Role
from yorisou.core.navigation import MenuEntry, menu


@menu.register("accounts.org_import")
class OrgImportMenu(MenuEntry):
    label = _("Import organisation")
    description = _("Add or update bureaus, departments and sections from CSV/Excel.")
    url_name = "accounts:org_import"
    roles = frozenset({Role.SYSTEM_ADMIN})
    group = "admin"
    order = 900


@menu.register("accounts.admin")
class AdminSiteMenu(MenuEntry):
    label = _("Organisation, users and roles")
    description = _("Manage the organisation tree, user accounts and their roles.")
    url_name = "admin:index"
    roles = frozenset({Role.SYSTEM_ADMIN})
    group = "admin"
    order = 890


@menu.register("accounts.org_tree")
class OrgTreeMenu(MenuEntry):
    label = _("Organisation chart")
    description = _("Bureaus, departments and sections of the city.")
    url_name = "accounts:org_tree"
    roles = frozenset({Role.STAFF})
    group = "main"
    order = 500
