"""Writes of the procedure inventory: catalogue edits, candidate selection, BPR
triage decisions, and the KPIs pushed to the reform plan."""

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from yorisou.core.permissions import SYSTEM
from yorisou.procedures import selectors
from yorisou.reforms import services as reform_services

# The reform plan's series these KPIs feed (created on first push).
SERIES_ONLINE_PROCEDURES = "procedures-online-count"
SERIES_ONLINE_SHARE = "procedures-online-case-share"


def catalogue_changed() -> None:
    """Schedule, on commit, the refresh of the KPIs the reform plan shows
    (procedures online, online share of cases). Idempotent."""
    from yorisou.procedures import tasks

    transaction.on_commit(lambda: tasks.kpi_publish.delay())


def kpi_publish(*, on: date | None = None) -> bool:
    """Push today's figures to the reform plan through its services (never its
    tables): the number of procedures online and the online share of cases in the
    latest fiscal year with volumes. Returns whether anything was recorded."""
    day = on or timezone.localdate()
    kpis = selectors.online_kpis(as_of=day)
    online_count = reform_services.series_define(
        actor=SYSTEM,
        code=SERIES_ONLINE_PROCEDURES,
        name="オンライン化済の手続数",
        name_en="Procedures online",
        unit="件",
        frequency="monthly",
        chart="procedures-online",
        source="手続台帳（Yorisou procedures）",
        plan=reform_services.plan_for_series(),
    )
    share = reform_services.series_define(
        actor=SYSTEM,
        code=SERIES_ONLINE_SHARE,
        name="電子申請の割合（件数ベース）",
        name_en="Online share of cases",
        unit="%",
        frequency="yearly",
        chart="procedures-online-share",
        source="手続台帳の年間件数（窓口・郵送・電子）",
        plan=reform_services.plan_for_series(),
    )
    reform_services.series_point_record(
        actor=SYSTEM,
        series=online_count,
        on=day,
        value=kpis.online_procedures,
        origin="procedures",
    )
    if kpis.share_year is not None and kpis.total_cases:
        share_value = (
            Decimal(kpis.online_cases) * 100 / Decimal(kpis.total_cases)
        ).quantize(Decimal("0.01"))
        fy_end = date(kpis.share_year + 1, 3, 31)
        reform_services.series_point_record(
            actor=SYSTEM,
            series=share,
            on=fy_end,
            value=share_value,
            origin="procedures",
        )
    return True

