"""Template helpers of the procedure screens."""

from django import template

register = template.Library()


@register.filter
def share_of(part: int | None, whole: int | None) -> str:
    """``part`` as a percentage of ``whole`` with one decimal, or ``—``."""
    if not whole or part is None:
        return "—"
    return f"{part * 100 / whole:.1f}%"


@register.filter
def triage_label(value: str | None) -> str:
    """The label of a classification code (① Start now …)."""
    from yorisou.procedures.constants import TriageClass

    return str(TriageClass(value).label) if value else ""


@register.filter
def status_label(value: str | None) -> str:
    """The label of a triage status code."""
    from yorisou.procedures.constants import TriageStatus

    return str(TriageStatus(value).label) if value else ""
