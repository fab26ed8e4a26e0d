"""The section the procedure inventory contributes to the progress report:
the online-ization funnel and the roadmap of ① procedures."""

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yorisou.procedures import selectors
from yorisou.procedures.constants import TriageClass, TriageStatus
from yorisou.reports.content import Chart, Page, Table
from yorisou.reports.registry import ReportSection, SectionContext, sections


@sections.register("procedures.funnel")
class FunnelSection(ReportSection):
    """全手続 → 優先候補 → ①②③, with cases and shares, and the roadmap."""

    title = gettext_lazy("Putting procedures online")
    description = gettext_lazy(
        "The online-ization funnel of the procedure inventory and the roadmap."
    )
    order = 70

    def pages(self, context: SectionContext) -> list[Page]:
        funnel = selectors.funnel(actor=context.actor)
        if not funnel.all.procedures:
            return []
        steps = [
            (_("All procedures"), funnel.all),
            (_("Priority candidates"), funnel.candidates),
            *(
                (str(TriageClass(k).label), funnel.classes[k])
                for k in TriageClass.values
            ),
        ]
        rows: list[list[Any]] = [
            [label, stage.procedures, stage.cases, stage.share]
            for label, stage in steps
        ]
        start_now = funnel.classes[TriageClass.START_NOW].procedures
        online = funnel.start_now_status.get(TriageStatus.ONLINE, 0)
        later = [p for p in funnel.roadmap if p.planned and p.done == 0]
        planned_years = sorted({p.fiscal_year for p in later})
        return [
            Page(
                title=_("Putting administrative procedures online"),
                paragraphs=[
                    _(
                        "Of the %(start)s procedures classified ①, %(online)s are "
                        "online; %(rest)s are planned (%(years)s)."
                    )
                    % {
                        "start": start_now,
                        "online": online,
                        "rest": start_now - online,
                        "years": ", ".join(f"FY{y}" for y in planned_years) or "—",
                    }
                ],
                tables=[
                    Table(
                        title=_("Procedures and cases a year at each step"),
                        columns=[
                            _("Step"),
                            _("Number of procedures"),
                            _("Cases a year"),
                            _("Share of all cases"),
                        ],
                        rows=rows,
                        formats=[None, "#,##0", "#,##0", "0.0%"],
                    )
                ],
                charts=[
                    Chart(
                        title=_("Cases a year at each step"),
                        kind="bar",
                        categories=[label for label, _stage in steps],
                        series=[
                            (_("Cases a year"), [stage.cases for _l, stage in steps])
                        ],
                    )
                ],
                notes=_(
                    "Source: the procedure catalogue, cases of FY%(year)s; the current "
                    "BPR decisions."
                )
                % {"year": funnel.fiscal_year},
            )
        ]
