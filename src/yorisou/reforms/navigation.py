"""Menu entries of the reform plan."""

from django.utils.translation import gettext_lazy as _

from yorisou.core.constants import Role
from yorisou.core.navigation import MenuEntry, menu


@menu.register("reforms.plans")
class ReformPlanMenu(MenuEntry):
    label = _("Reform plan")
    description = _(
        "Progress of the reform plan: statuses by promotion item and bureau, "
        "indicators and trends."
    )
    url_name = "reforms:plan_list"
    roles = frozenset({Role.STAFF})
    order = 100


@menu.register("reforms.worklist")
class WorklistMenu(MenuEntry):
    label = _("My action items")
    description = _("Write and submit your bureau's status reports for the period.")
    url_name = "reforms:my_worklist"
    roles = frozenset({Role.BUREAU_REFORM_LEAD, Role.STAFF})
    order = 110


@menu.register("reforms.review")
class ReviewMenu(MenuEntry):
    label = _("Review queue")
    description = _("Approve or return the status reports bureaus submitted.")
    url_name = "reforms:my_review"
    roles = frozenset({Role.REFORM_OFFICE})
    order = 120
