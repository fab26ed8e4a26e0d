"""Views of the core app: audit trail, site configuration, health, error pages."""

import csv
from collections.abc import Iterator
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import connection
from django.http import (
    HttpRequest,
    HttpResponse,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from yorisou.core import selectors, services
from yorisou.core.forms import AuditFilterForm, SiteConfigurationForm


@login_required
def audit_list(request: HttpRequest) -> HttpResponse:
    """監査ログ: browse and filter the trail; htmx swaps the table only."""
    form = AuditFilterForm(request.GET or None)
    events = selectors.audit_event_list(actor=request.user, filters=form.to_filter())
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    template = (
        "core/_audit_table.html"
        if request.headers.get("HX-Request")
        else "core/audit_list.html"
    )
    return render(
        request,
        template,
        {
            "form": form,
            "page": page,
            "query": request.GET.urlencode(),
            "actions": selectors.audit_action_choices(actor=request.user),
        },
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


@login_required
def audit_export(request: HttpRequest) -> StreamingHttpResponse:
    """The filtered trail as CSV (UTF-8 with BOM so Excel opens it in Japanese)."""
    form = AuditFilterForm(request.GET or None)
    events = selectors.audit_event_list(actor=request.user, filters=form.to_filter())
    writer = csv.writer(_Echo())
    header = [
        "id",
        "time",
        "user",
        "action",
        "target_type",
        "target_id",
        "target",
        "changes",
        "request_id",
        "client_ip",
        "chain_position",
        "hash",
    ]

    def rows() -> Iterator[str]:
        yield "\ufeff" + writer.writerow(header)
        for e in events.iterator(chunk_size=2000):
            yield writer.writerow(
                [
                    e.pk,
                    timezone.localtime(e.created_at).isoformat(),
                    e.actor_repr,
                    e.action,
                    e.target_type,
                    e.target_id,
                    e.target_repr,
                    e.changes,
                    e.request_id,
                    e.client_ip or "",
                    e.seq or "",
                    e.hash,
                ]
            )

    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
    return response


@login_required
def site_configuration(request: HttpRequest) -> HttpResponse:
    """システム設定: run-time switches such as mandatory staff two-factor sign-in."""
    config = selectors.site_configuration_get(actor=request.user)
    form = SiteConfigurationForm(request.POST or None, initial=config.as_dict())
    if request.method == "POST" and form.is_valid():
        services.site_configuration_update(
            actor=request.user,
            require_staff_two_factor=form.cleaned_data["require_staff_two_factor"],
        )
        messages.success(request, _("The settings were saved."))
        return redirect("core:site_configuration")
    return render(request, "core/site_configuration.html", {"form": form})


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and database reachability, for the load balancer."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def server_error(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """500 page that needs no context (the database may be what failed)."""
    return render(request, "500.html", status=500)
