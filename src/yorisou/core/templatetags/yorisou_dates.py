"""Template filters for Japanese dates and fiscal years.

Usage::

    {% load yorisou_dates %}
    {{ application.submitted_on|wareki }}          令和5年5月1日
    {{ application.submitted_on|wareki:"short" }}  R5.5.1
    {{ budget.fiscal_year|wareki_fy }}             令和4年度
    {{ budget.fiscal_year|fy_label }}              令和4年度（2022年度）
                                                   FY2022 (Reiwa 4) in English

Like Django's built-in ``date`` filter, these filters render an empty string
instead of raising when given a value they cannot format.
"""

from __future__ import annotations

from datetime import date, datetime

from django import template
from django.utils import timezone
from django.utils.translation import get_language

from yorisou.core import dates

register = template.Library()


def _to_date(value: object) -> date | None:
    """Coerce a template value to a date; aware datetimes use local time."""
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.date()
    if isinstance(value, date):
        return value
    return None


def _to_fiscal_year(value: object) -> int | None:
    """Coerce a template value (int or digit string) to a fiscal year."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


@register.filter(name="wareki")
def wareki_filter(value: object, arg: str | None = None) -> str:
    """Format a date in the Japanese calendar; *arg* is long/short/year."""
    d = _to_date(value)
    if d is None:
        return ""
    try:
        return dates.wareki(d, style=arg or "long")
    except ValueError:
        return ""


@register.filter(name="wareki_fy")
def wareki_fy_filter(value: object, arg: str | None = None) -> str:
    """Name a fiscal year (int) in the Japanese calendar, e.g. 令和4年度.

    With the argument ``"short"`` the abbreviated form (``R4``) is returned.
    """
    fy = _to_fiscal_year(value)
    if fy is None:
        return ""
    try:
        return dates.wareki_fiscal_year(fy, short=arg == "short")
    except ValueError:
        return ""


@register.filter(name="fy_label")
def fy_label_filter(value: object) -> str:
    """Label a fiscal year in the active language (Japanese unless English)."""
    fy = _to_fiscal_year(value)
    if fy is None:
        return ""
    language = get_language() or "ja"
    if not language.lower().startswith("ja"):
        language = "en"
    try:
        return dates.fiscal_year_label(fy, language=language)
    except ValueError:
        return ""
