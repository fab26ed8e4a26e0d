"""Template helpers of the reform plan screens: numbers, statuses, judgements."""

from decimal import Decimal
from typing import Any

from django import template
from django.utils.translation import gettext as _

from yorisou.reforms.constants import Judgement, PeriodKind, ReportState, Status
from yorisou.reforms.periods import period_label

register = template.Library()

# Judgement → (mark, css modifier). The mark is never the only cue: the label
# is always printed beside it.
_JUDGEMENT_MARKS = {
    Judgement.ACHIEVED: ("◎", "achieved"),
    Judgement.ON_TRACK: ("○", "on-track"),
    Judgement.WATCH: ("△", "watch"),
    Judgement.MISSED: ("×", "missed"),
    Judgement.NO_DATA: ("－", "no-data"),
}


@register.filter
def num(value: Decimal | float | int | None, decimals: int = 0) -> str:
    """``2248`` → ``2,248``; ``5.3`` with 1 decimal → ``5.3``; None → ``—``."""
    if value is None or value == "":
        return "—"
    return f"{Decimal(value):,.{int(decimals)}f}"


@register.filter
def pct(value: Decimal | float | None) -> str:
    """A percentage with one decimal, or ``—``."""
    if value is None:
        return "—"
    return f"{Decimal(value):,.1f}%"


@register.filter
def status_label(value: str | None) -> str:
    if not value:
        return _("Not reported")
    return str(Status(value).label)


@register.filter
def state_label(value: str | None) -> str:
    if not value:
        return _("Not reported")
    return str(ReportState(value).label)


@register.filter
def judgement_label(value: str) -> str:
    return str(Judgement(value).label)


@register.filter
def judgement_mark(value: str) -> str:
    return _JUDGEMENT_MARKS[Judgement(value)][0]


@register.filter
def judgement_class(value: str) -> str:
    return _JUDGEMENT_MARKS[Judgement(value)][1]


@register.filter
def get(mapping: Any, key: Any) -> Any:
    """``mapping[key]`` in a template (None when missing)."""
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def count(counts: Any, status: str) -> int:
    """Count of one status in a ``StatusCounts``."""
    return int(counts.get(status))


@register.simple_tag
def level(plan: Any, name: str) -> str:
    """The plan's own name of a level (推進項目, 取組 …)."""
    return str(plan.label(name))


@register.filter
def fy(value: int | str | None) -> str:
    """A fiscal year as people say it: 令和4年度 in Japanese, FY2022 in English."""
    if value is None or value == "":
        return ""
    return period_label(PeriodKind.YEAR, int(value))
