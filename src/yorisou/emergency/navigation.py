"""Menu entries of Live119."""

from django.utils.translation import gettext_lazy as _

from yorisou.core.constants import Role
from yorisou.core.navigation import MenuEntry, menu


@menu.register("emergency.incidents")
class IncidentsMenu(MenuEntry):
    label = _("Live119 incidents")
    description = _("Video and location from 119 callers: incidents of your centre.")
    url_name = "emergency:incidents"
    roles = frozenset({Role.DISPATCHER})
    group = "main"
    order = 80


@menu.register("emergency.guidance")
class GuidanceMenu(MenuEntry):
    label = _("Guidance videos")
    description = _("First-aid videos to send to callers: CPR, AED, bleeding.")
    url_name = "emergency:guidance"
    roles = frozenset({Role.DISPATCHER})
    group = "main"
    order = 82


@menu.register("emergency.unit")
class UnitMenu(MenuEntry):
    label = _("Assigned incidents")
    description = _("Incidents your unit is sent to, with the caller's video.")
    url_name = "emergency:unit"
    roles = frozenset({Role.FIRE_UNIT})
    group = "main"
    order = 85
