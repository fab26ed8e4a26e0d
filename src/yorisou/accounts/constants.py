"""Choices of the accounts app."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from yorisou.core.constants import SCOPED_ROLES, STAFF_ROLES, Role

__all__ = [
    "ASSURANCE_LEVELS",
    "SCOPED_ROLES",
    "STAFF_ROLES",
    "OrgLevel",
    "Role",
    "assurance_satisfies",
]


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


# How sure we are of who is signed in (本人確認の水準), weakest first. A procedure
# (eforms) names the level it needs; the session holds the level reached.
ASSURANCE_NONE = "none"  # not signed in
ASSURANCE_ACCOUNT = "account"  # email + password (email verified)
ASSURANCE_MYNUMBER = "mynumber"  # My Number card through the OpenID Connect provider
ASSURANCE_LEVELS = (ASSURANCE_NONE, ASSURANCE_ACCOUNT, ASSURANCE_MYNUMBER)

ASSURANCE_LABELS = {
    ASSURANCE_NONE: _("No sign-in"),
    ASSURANCE_ACCOUNT: _("Account (email and password)"),
    ASSURANCE_MYNUMBER: _("My Number card"),
}

# Session keys (the session is the only place the assurance of a sign-in lives).
SESSION_ASSURANCE = "yorisou_assurance"
SESSION_IDENTITY = "yorisou_identity"
SESSION_SIGNIN_PENDING = "yorisou_signin_pending"


def assurance_satisfies(have: str, need: str) -> bool:
    """Whether a session at level ``have`` may do what needs level ``need``.

    Unknown values are treated as "none" for ``have`` and as unsatisfiable for
    ``need``, so a typo never lowers the bar.
    """
    if need not in ASSURANCE_LEVELS:
        return False
    rank = ASSURANCE_LEVELS.index(have) if have in ASSURANCE_LEVELS else 0
    return rank >= ASSURANCE_LEVELS.index(need)


# The claims of the 基本4情報 (name, address, date of birth, gender) we keep.
VERIFIED_CLAIMS = ("name", "address", "birthdate", "gender")

# How long an email verification link stays valid (seconds); settings may override
# with ACCOUNTS_EMAIL_VERIFY_MAX_AGE.
EMAIL_VERIFY_MAX_AGE = 60 * 60 * 48
