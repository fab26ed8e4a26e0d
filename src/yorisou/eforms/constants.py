"""Vocabulary of online applications: states, the transition map, assurance."""

from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class State(models.TextChoices):
    """Where an application is (申請の状況)."""

    DRAFT = "draft", pgettext_lazy("application state", "Draft")
    RECEIVED = "received", pgettext_lazy("application state", "Received")  # 受付
    REVIEWING = "reviewing", pgettext_lazy("application state", "Under review")
    CORRECTION = (
        "correction",
        pgettext_lazy("application state", "Correction requested"),
    )  # 補正依頼中
    APPROVED = "approved", pgettext_lazy("application state", "Approved")  # 承認
    REJECTED = "rejected", pgettext_lazy("application state", "Rejected")  # 却下
    COMPLETED = "completed", pgettext_lazy("application state", "Completed")  # 完了
    WITHDRAWN = "withdrawn", pgettext_lazy("application state", "Withdrawn")


class VersionState(models.TextChoices):
    """A form version is edited as a draft; publishing freezes it."""

    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    RETIRED = "retired", _("Retired")


class Assurance(models.TextChoices):
    """The identity a procedure needs before a citizen may apply (本人確認)."""

    NONE = "none", _("None (anyone)")
    ACCOUNT = "account", _("Account with a verified email")
    MYNUMBER = "mynumber", _("My Number card")


class MessageKind(models.TextChoices):
    TO_APPLICANT = "to_applicant", _("To the applicant")
    FROM_APPLICANT = "from_applicant", _("From the applicant")
    INTERNAL = "internal", _("Internal comment")


class Who(models.TextChoices):
    APPLICANT = "applicant", _("Applicant")
    STAFF = "staff", _("Staff")


@dataclass(frozen=True)
class Transition:
    """One step of the workflow: who may take it, from where to where."""

    action: str
    label: Any  # a lazy translation
    sources: frozenset[str]
    target: str
    who: str
    reason_required: bool = False


# The whole workflow (受付 → 審査中 → 補正依頼中 → 承認 / 却下 → 完了) as a plain map;
# services refuse anything not listed here.
TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        Transition(
            "submit",
            _("Submit"),
            frozenset({State.DRAFT}),
            State.RECEIVED,
            Who.APPLICANT,
        ),
        Transition(
            "start_review",
            _("Start review"),
            frozenset({State.RECEIVED}),
            State.REVIEWING,
            Who.STAFF,
        ),
        Transition(
            "request_correction",
            _("Request a correction"),
            frozenset({State.RECEIVED, State.REVIEWING}),
            State.CORRECTION,
            Who.STAFF,
            reason_required=True,
        ),
        Transition(
            "resubmit",
            _("Send the corrections"),
            frozenset({State.CORRECTION}),
            State.REVIEWING,
            Who.APPLICANT,
        ),
        Transition(
            "approve",
            _("Approve"),
            frozenset({State.REVIEWING}),
            State.APPROVED,
            Who.STAFF,
        ),
        Transition(
            "reject",
            _("Reject"),
            frozenset({State.REVIEWING}),
            State.REJECTED,
            Who.STAFF,
            reason_required=True,
        ),
        Transition(
            "complete",
            _("Complete"),
            frozenset({State.APPROVED}),
            State.COMPLETED,
            Who.STAFF,
        ),
        Transition(
            "withdraw",
            _("Withdraw the application"),
            frozenset({State.RECEIVED, State.REVIEWING, State.CORRECTION}),
            State.WITHDRAWN,
            Who.APPLICANT,
        ),
    )
}

# States in which the back office still has work to do (the inbox).
OPEN_STATES = frozenset(
    {State.RECEIVED, State.REVIEWING, State.CORRECTION, State.APPROVED}
)
# States in which the SLA clock runs (it stops while the applicant corrects).
CLOCK_STATES = frozenset({State.RECEIVED, State.REVIEWING})
FINAL_STATES = frozenset({State.REJECTED, State.COMPLETED, State.WITHDRAWN})
