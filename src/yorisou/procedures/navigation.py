"""Menu entries of the procedure inventory."""

from django.utils.translation import gettext_lazy as _

from yorisou.core.constants import Role
from yorisou.core.navigation import MenuEntry, menu


@menu.register("procedures.catalogue")
class CatalogueMenu(MenuEntry):
    label = _("Procedures")
    description = _("Every administrative procedure: volumes, legal basis, triage.")
    url_name = "procedures:catalogue"
    roles = frozenset({Role.STAFF})
    order = 200


@menu.register("procedures.funnel")
class FunnelMenu(MenuEntry):
    label = _("Putting procedures online")
    description = _("From all procedures to candidates, ① / ② / ③ and the roadmap.")
    url_name = "procedures:funnel"
    roles = frozenset({Role.STAFF})
    order = 210
