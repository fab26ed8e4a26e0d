"""Screens of the report generator: request a report, follow it, download it."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
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
            "layout": selectors.report_layout(plan=found),
            "layout_editable": selectors.report_layout_editable(actor=request.user),
            "layout_errors": [],
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


def _chosen_from_post(request: HttpRequest) -> list[str]:
    """The included sections ordered by the positions typed in (blank: at the end,
    in the order shown)."""
    included = request.POST.getlist("include")
    shown = request.POST.getlist("shown")
    ranked = []
    for index, key in enumerate(shown):
        if key not in included:
            continue
        raw = request.POST.get(f"position-{key}", "").strip()
        try:
            position = float(raw) if raw else float("inf")
        except ValueError:
            position = float("inf")
        ranked.append((position, index, key))
    return [key for _position, _index, key in sorted(ranked)]


@login_required
@require_POST
def report_layout(request: HttpRequest, plan: str) -> HttpResponse:
    """Choose which sections the plan's report shows and in what order."""
    found = _plan(request, plan)
    try:
        if request.POST.get("action") == "reset":
            services.report_layout_reset(actor=request.user, plan=found)
        else:
            services.report_layout_save(
                actor=request.user, plan=found, chosen=_chosen_from_post(request)
            )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The contents of the report were saved."))
    return redirect(f"{reverse('reports:list', kwargs={'plan': found.code})}#layout")
