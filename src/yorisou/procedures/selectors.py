"""Reads of the procedure inventory: catalogue lists, the funnel, KPIs."""

from dataclasses import dataclass
from datetime import date

from django.db.models import Max, Sum

from yorisou.procedures.constants import Channel, TriageStatus
from yorisou.procedures.models import ProcedureVolume, TriageDecision


@dataclass(frozen=True)
class OnlineKpis:
    """What the reform plan is told about putting procedures online."""

    online_procedures: int
    share_year: int | None
    online_cases: int
    total_cases: int


def online_kpis(*, as_of: date) -> OnlineKpis:
    """Procedures online by ``as_of``, and the online share of cases in the
    latest fiscal year that has volumes."""
    online = TriageDecision.objects.filter(
        is_current=True, status=TriageStatus.ONLINE, done_on__lte=as_of
    ).count()
    year = ProcedureVolume.objects.aggregate(year=Max("fiscal_year"))["year"]
    if year is None:
        return OnlineKpis(online, None, 0, 0)
    volumes = ProcedureVolume.objects.filter(fiscal_year=year)
    total = volumes.aggregate(n=Sum("cases"))["n"] or 0
    online_cases = (
        volumes.filter(channel=Channel.ONLINE).aggregate(n=Sum("cases"))["n"] or 0
    )
    return OnlineKpis(online, year, online_cases, total)
