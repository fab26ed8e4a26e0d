"""Menu entries of online applications."""

from django.utils.translation import gettext_lazy as _

from yorisou.core.constants import Role
from yorisou.core.navigation import MenuEntry, menu


@menu.register("eforms.portal")
class PortalMenu(MenuEntry):
    label = _("Apply online")
    description = _("Find a procedure and apply from your phone.")
    url_name = "eforms:portal"
    roles = frozenset({Role.CITIZEN})
    group = "main"
    order = 10


@menu.register("eforms.mine")
class MineMenu(MenuEntry):
    label = _("My applications")
    description = _("Drafts, applications, messages from the city and receipts.")
    url_name = "eforms:mine"
    roles = frozenset({Role.CITIZEN})
    group = "main"
    order = 20


@menu.register("eforms.inbox")
class InboxMenu(MenuEntry):
    label = _("Application inbox")
    description = _("Online applications to your section: review, correct, decide.")
    url_name = "eforms:inbox"
    roles = frozenset({Role.PROCEDURE_OFFICER})
    group = "main"
    order = 60


@menu.register("eforms.builder")
class BuilderMenu(MenuEntry):
    label = _("Online forms")
    description = _("Build, version and publish the forms of your procedures.")
    url_name = "eforms:builder_list"
    roles = frozenset({Role.PROCEDURE_OFFICER, Role.SYSTEM_ADMIN})
    group = "main"
    order = 65
