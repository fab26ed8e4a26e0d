"""Screens of the report generator: request a report, follow it, download it."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yorisou.core import audit
from yorisou.reforms import selectors as reform_selectors
from yorisou.reforms.models import Plan
from yorisou.reports import selectors, services
from yorisou.reports.models import GeneratedReport


def _plan(request: HttpRequest, code: str) -> Plan:
    try:
        return reform_selectors.plan_get(actor=request.user, code=code)
    except Plan.DoesNotExist:
        raise Http404 from None


@login_required
def report_list(request: HttpRequest, plan: str) -> HttpResponse:
    """The plan's generated reports; htmx refreshes the list while one is built."""
    found = _plan(request, plan)
    reports = list(selectors.generated_report_list(actor=request.user, plan=found)[:30])
    pending = any(r.state in ("queued", "running") for r in reports)
    template = (
        "reports/_list.html"
        if request.headers.get("HX-Request")
        else "reports/list.html"
    )
    return render(
        request,
        template,
        {
            "plan": found,
            "reports": reports,
            "pending": pending,
            "periods": reform_selectors.period_list(plan=found),
            "formats": services.FORMATS,
        },
    )


@login_required
@require_POST
def report_request(request: HttpRequest, plan: str) -> HttpResponse:
    """Ask for a report of the plan in a format, for a period."""
    found = _plan(request, plan)
    period = found.periods.filter(code=request.POST.get("period", "")).first()
    try:
        services.report_request(
            actor=request.user,
            plan=found,
            period=period,
            fmt=request.POST.get("format", ""),
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The report is being built."))
    return redirect("reports:list", plan=found.code)


@login_required
def report_download(request: HttpRequest, pk: int) -> FileResponse:
    """Download a generated report (staff); every download is recorded."""
    try:
        generated = selectors.generated_report_get(actor=request.user, pk=pk)
    except GeneratedReport.DoesNotExist:
        raise Http404 from None
    if generated.state != GeneratedReport.State.DONE or not generated.file:
        raise Http404
    audit.record(
        actor=request.user,
        action="reports.report.download",
        target=generated,
        changes={},
    )
    return FileResponse(
        generated.file.open("rb"),
        as_attachment=True,
        filename=(generated.file.name or "report").rsplit("/", 1)[-1],
    )
