"""The back office: each section's inbox, one application's case page with its
workflow, messages and files, bulk exports and statistics."""

from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yorisou.eforms import formschema, selectors, services
from yorisou.eforms.constants import TRANSITIONS, State, Who
from yorisou.eforms.models import Application, ApplicationExport, FormDefinition

PAGE_SIZE = 50


def _lang() -> str:
    return (get_language() or "ja")[:2]


def _case(request: HttpRequest, pk: int) -> Application:
    try:
        application = selectors.application_get(actor=request.user, pk=pk)
    except Application.DoesNotExist:
        raise Http404 from None
    if not selectors.can_handle(request.user, application.section):
        raise Http404
    return application


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    """The section's applications, due first, with counts and filters."""
    filters = selectors.InboxFilter(
        state=request.GET.get("state", "open"),
        definition=request.GET.get("form", ""),
        assignee=request.GET.get("assignee", ""),
        overdue=request.GET.get("overdue") == "1",
        query=request.GET.get("q", "")[:40],
    )
    applications = selectors.inbox(actor=request.user, filters=filters)
    page = Paginator(applications, PAGE_SIZE).get_page(request.GET.get("page"))
    template = (
        "eforms/office/_inbox_table.html"
        if request.headers.get("HX-Request")
        else "eforms/office/inbox.html"
    )
    return render(
        request,
        template,
        {
            "page": page,
            "filters": filters,
            "counts": selectors.inbox_counts(actor=request.user),
            "forms": list(selectors.handled_forms(actor=request.user)),
            "states": [(s.value, s.label) for s in State if s != State.DRAFT],
            "today": timezone.localdate(),
        },
    )


@login_required
def case(request: HttpRequest, pk: int) -> HttpResponse:
    """One application in the back office."""
    application = _case(request, pk)
    schema = formschema.FormSchema(application.version.schema)
    actions = [
        t
        for t in TRANSITIONS.values()
        if t.who == Who.STAFF and application.state in t.sources
    ]
    return render(
        request,
        "eforms/office/case.html",
        {
            "application": application,
            "title": application.version.title(_lang()),
            "rows": services.application_summary(
                actor=request.user, application=application, lang=_lang()
            ),
            "computed": application.computed,
            "verified": application.verified,
            "history": selectors.status_history(
                actor=request.user, application=application
            ),
            "messages_list": selectors.message_list(
                actor=request.user, application=application
            ),
            "attachments": selectors.attachment_list(
                actor=request.user, application=application
            ),
            "actions": actions,
            "colleagues": selectors.colleagues(
                actor=request.user, application=application
            ),
            "templates": selectors.message_templates(
                actor=request.user, application=application
            ),
            "fields": _flaggable(schema),
            "has_mynumber": bool(application.secrets),
            "today": timezone.localdate(),
        },
    )


def _flaggable(schema: Any) -> list[tuple[str, str]]:
    """The top-level answers staff may ask to be corrected, with their labels."""
    out = []
    for one in schema.steps:
        for field in getattr(one, "fields", []):
            if getattr(field, "type", "") in ("static", "computed"):
                continue
            out.append((field.key, f"{one.title(_lang())} / {field.label(_lang())}"))
    return out


@login_required
@require_POST
def case_action(request: HttpRequest, pk: int) -> HttpResponse:
    """A step of the workflow (start review, correction, approve, reject, complete)."""
    application = _case(request, pk)
    reason = request.POST.get("reason", "").strip()
    chosen = request.POST.get("template", "")
    if not reason and chosen:
        standard = {
            str(t.pk): t
            for t in selectors.message_templates(
                actor=request.user, application=application
            )
        }.get(chosen)
        if standard is not None:
            reason = standard.body_ja
    try:
        services.application_transition(
            actor=request.user,
            application=application,
            action=request.POST.get("action", ""),
            reason=reason,
            flagged=request.POST.getlist("flagged"),
            revision=int(request.POST.get("revision") or 0) or None,
        )
    except (ValidationError, PermissionDenied) as error:
        texts = (
            error.messages
            if isinstance(error, ValidationError)
            else [_("You may not do that.")]
        )
        for message in texts:
            messages.error(request, message)
    else:
        messages.success(request, _("Saved."))
    return redirect("eforms:case", pk=pk)


@login_required
@require_POST
def case_assign(request: HttpRequest, pk: int) -> HttpResponse:
    application = _case(request, pk)
    raw = request.POST.get("assignee", "")
    assignee: Any
    if raw == "me":
        assignee = request.user
    elif raw:
        assignee = get_user_model().objects.filter(pk=raw).first()
        if assignee is None:
            messages.error(request, _("Choose a member of staff."))
            return redirect("eforms:case", pk=pk)
    else:
        assignee = None
    try:
        services.application_assign(
            actor=request.user, application=application, assignee=assignee
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    return redirect("eforms:case", pk=pk)


@login_required
@require_POST
def case_message(request: HttpRequest, pk: int) -> HttpResponse:
    """A message to the applicant or an internal comment."""
    application = _case(request, pk)
    try:
        services.message_send(
            actor=request.user,
            application=application,
            body=request.POST.get("body", ""),
            internal=request.POST.get("internal") == "1",
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Saved."))
    return redirect(f"{reverse('eforms:case', kwargs={'pk': pk})}#messages")


@login_required
@require_POST
def case_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    """Show the My Number in clear once (recorded in the audit trail)."""
    application = _case(request, pk)
    secrets = services.mynumber_reveal(actor=request.user, application=application)
    schema = formschema.FormSchema(application.version.schema)
    rows = []
    for path, value in sorted(secrets.items()):
        field = services.field_or_none(schema, path)
        label = field.label(_lang()) if field is not None else path
        rows.append((label, value))
    response = render(
        request, "eforms/office/reveal.html", {"application": application, "rows": rows}
    )
    response["Cache-Control"] = "no-store"
    return response


# --- exports and statistics ---------------------------------------------------


@login_required
def exports(request: HttpRequest) -> HttpResponse:
    """Bulk exports for core systems: ask for one, follow it, download it."""
    if request.method == "POST":
        try:
            form = selectors.handled_forms(actor=request.user).get(
                slug=request.POST.get("form", "")
            )
            services.export_request(
                actor=request.user,
                definition=form,
                fmt=request.POST.get("format", ""),
                states=request.POST.getlist("states"),
            )
        except FormDefinition.DoesNotExist:
            messages.error(request, _("Choose a form."))
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("The export is being built."))
        return redirect("eforms:exports")
    forms = list(selectors.handled_forms(actor=request.user))
    done = selectors.export_list(actor=request.user)
    return render(
        request,
        "eforms/office/exports.html",
        {
            "forms": forms,
            "exports": done,
            "states": [(s.value, s.label) for s in State if s != State.DRAFT],
            "pending": any(e.state == "queued" for e in done),
        },
    )


@login_required
def export_download(request: HttpRequest, pk: int) -> FileResponse:
    try:
        export = selectors.export_get(actor=request.user, pk=pk)
    except ApplicationExport.DoesNotExist:
        raise Http404 from None
    services.export_opened(actor=request.user, export=export)
    response = FileResponse(
        export.file.open("rb"),
        as_attachment=True,
        filename=export.file.name.rsplit("/", 1)[-1],
    )
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def statistics(request: HttpRequest) -> HttpResponse:
    """Per procedure: applications by state, overdue."""
    return render(
        request,
        "eforms/office/statistics.html",
        {"rows": selectors.statistics(actor=request.user)},
    )
