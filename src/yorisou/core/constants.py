"""Shared vocabulary: the roles every app checks against."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """A role a user may hold (several at once), some scoped to an org unit."""

    CITIZEN = "citizen", _("Citizen")
    STAFF = "staff", _("Staff")
    BUREAU_REFORM_LEAD = "bureau_reform_lead", _("Bureau reform lead")
    REFORM_OFFICE = "reform_office", _("Reform office")
    PROCEDURE_OFFICER = "procedure_officer", _("Procedure officer")
    DISPATCHER = "dispatcher", _("Dispatcher")
    FIRE_UNIT = "fire_unit", _("Fire unit")
    FAQ_EDITOR = "faq_editor", _("FAQ editor")
    SYSTEM_ADMIN = "system_admin", _("System administrator")


# Roles whose scope is an org unit (the holder acts for that unit and below).
SCOPED_ROLES = frozenset(
    {Role.BUREAU_REFORM_LEAD, Role.PROCEDURE_OFFICER, Role.FIRE_UNIT}
)
# Every role but citizen is city staff; staff sign-in may require TOTP.
STAFF_ROLES = frozenset(set(Role) - {Role.CITIZEN})

# Field names whose values never reach the audit trail or the logs.
SENSITIVE_FIELDS = frozenset(
    {
        "password",
        "password1",
        "password2",
        "new_password1",
        "new_password2",
        "old_password",
        "token",
        "key",
        "secret",
        "otp_token",
        "my_number",
        "mynumber",
        "individual_number",
        # OpenID Connect: single-use but never worth keeping in a log
        "code",
        "state",
        "nonce",
        "code_verifier",
        "access_token",
        "id_token",
        "refresh_token",
        "client_secret",
    }
)
REDACTED = "[redacted]"
