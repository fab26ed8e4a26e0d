"""Vocabulary of the reform plan: statuses, the review workflow, indicator kinds."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    """Progress status of one action item (取組項目) in one reporting period."""

    ON_PLAN = "on_plan", _("On plan")  # 計画通り
    CHANGED = "changed", _("Partly changed or delayed")  # 一部変更・遅れ
    DONE = "done", _("Done")  # 完了
    NOT_STARTED = "not_started", _("Not started")  # 未着手
    STOPPED = "stopped", _("Stopped")  # 中止


# Everything but "on plan" and "done" needs a reason the reform office can read.
STATUSES_WITHOUT_REASON = frozenset({Status.ON_PLAN, Status.DONE})


class ReportState(models.TextChoices):
    """Where a status report is in the bureau → reform office review."""

    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    RETURNED = "returned", _("Returned")
    APPROVED = "approved", _("Approved")


class ReportAction(models.TextChoices):
    """What happened to a status report (one history row each)."""

    SAVE = "save", _("Saved")
    SUBMIT = "submit", _("Submitted")
    APPROVE = "approve", _("Approved")
    RETURN = "return", _("Returned")
    REOPEN = "reopen", _("Reopened for revision")
    IMPORT = "import", _("Imported")


# The review workflow as data: (state, action) → new state.
TRANSITIONS: dict[tuple[str, str], str] = {
    # Bureau staff (or the lead) write and rewrite a draft.
    (ReportState.DRAFT, ReportAction.SAVE): ReportState.DRAFT,
    # A returned report is revised by the bureau; revising makes it a draft again.
    (ReportState.RETURNED, ReportAction.SAVE): ReportState.DRAFT,
    # Only the bureau's reform lead sends a report to the reform office.
    (ReportState.DRAFT, ReportAction.SUBMIT): ReportState.SUBMITTED,
    (ReportState.RETURNED, ReportAction.SUBMIT): ReportState.SUBMITTED,
    # The reform office accepts it: its values now count in every rollup.
    (ReportState.SUBMITTED, ReportAction.APPROVE): ReportState.APPROVED,
    # ... or sends it back with a comment saying what to change.
    (ReportState.SUBMITTED, ReportAction.RETURN): ReportState.RETURNED,
    # An approved report can be corrected; the approved values keep counting
    # until the correction is approved in turn.
    (ReportState.APPROVED, ReportAction.REOPEN): ReportState.DRAFT,
    # The lead may take back a submission before review.
    (ReportState.SUBMITTED, ReportAction.REOPEN): ReportState.DRAFT,
}


class PeriodKind(models.TextChoices):
    """Length of a reporting period."""

    YEAR = "year", _("Fiscal year")
    HALF = "half", _("Half year")
    QUARTER = "quarter", _("Quarter")


class Direction(models.TextChoices):
    """Which way an indicator improves."""

    HIGHER = "higher", _("Higher is better")
    LOWER = "lower", _("Lower is better")


class TargetKind(models.TextChoices):
    """How a target is read: a floor to reach or a ceiling not to pass."""

    AT_LEAST = "at_least", _("At least (floor)")
    AT_MOST = "at_most", _("At most (ceiling)")


class ValueKind(models.TextChoices):
    """A yearly figure of an indicator: what happened, or what is aimed at."""

    ACTUAL = "actual", _("Actual value")
    TARGET = "target", _("Target value")


class Judgement(models.TextChoices):
    """The verdict on an indicator (判定); the rule is in ``indicators.judge``."""

    ACHIEVED = "achieved", _("Achieved")  # 達成
    ON_TRACK = "on_track", _("On track")  # 順調
    WATCH = "watch", _("Needs attention")  # 要注意
    MISSED = "missed", _("Missed")  # 未達
    NO_DATA = "no_data", _("No data")


class Frequency(models.TextChoices):
    """How often an operational series gets a point."""

    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")
    YEARLY = "yearly", _("Yearly")
