"""Choices of the accounts app."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from yorisou.core.constants import SCOPED_ROLES, STAFF_ROLES, Role

__all__ = ["SCOPED_ROLES", "STAFF_ROLES", "OrgLevel", "Role"]


class OrgLevel(models.TextChoices):
    """Levels of the organisation tree: 局 > 部 > 課."""

    BUREAU = "bureau", _("Bureau (局)")
    DEPARTMENT = "department", _("Department (部)")
    SECTION = "section", _("Section (課)")


# The level each level's parent must have (a bureau has none).
PARENT_LEVEL: dict[str, str | None] = {
    OrgLevel.BUREAU: None,
    OrgLevel.DEPARTMENT: OrgLevel.BUREAU,
    OrgLevel.SECTION: OrgLevel.DEPARTMENT,
}
