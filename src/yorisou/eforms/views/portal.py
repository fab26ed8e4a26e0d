"""The citizen portal (smartphone first; every step works without JavaScript):
find a procedure, read what is needed, sign in, fill the form step by step with
the draft saved on the server, review, submit; My page with the timeline,
messages, corrections and withdrawal."""

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yorisou.accounts import selectors as account_selectors
from yorisou.eforms import formschema, selectors, services
from yorisou.eforms.constants import TRANSITIONS, State
from yorisou.eforms.models import Application, Attachment, FormDefinition


def _lang() -> str:
    return (get_language() or "ja")[:2]


def _assurance(request: HttpRequest) -> str:
    return str(account_selectors.session_assurance(request))


def _claims(request: HttpRequest) -> dict[str, Any]:
    return dict(account_selectors.verified_claims(actor=request.user, request=request))


def _own(request: HttpRequest, pk: int) -> Application:
    try:
        application = selectors.application_get(actor=request.user, pk=pk)
    except Application.DoesNotExist:
        raise Http404 from None
    if not selectors.is_applicant(request.user, application):
        raise Http404
    return application


# --- finding a procedure ------------------------------------------------------


def portal(request: HttpRequest) -> HttpResponse:
    """The portal's front page: search, life events, categories, every form."""
    query = request.GET.get("q", "").strip()[:100]
    tag = request.GET.get("tag", "").strip()[:40]
    forms = list(selectors.portal_forms())
    tags: dict[str, Any] = {}
    for form in forms:
        for one in form.procedure.tags.all():
            tags.setdefault(one.kind, {})[one.code] = one
    shown = forms
    if tag:
        shown = [f for f in forms if any(t.code == tag for t in f.procedure.tags.all())]
    if query:
        from yorisou.procedures import selectors as procedure_selectors

        found = procedure_selectors.procedure_search_public(
            query=query, among=[f.procedure_id for f in forms]
        )
        order = {p.pk: i for i, p in enumerate(found)}
        shown = sorted(
            (f for f in shown if f.procedure_id in order),
            key=lambda f: order[f.procedure_id],
        )
    return render(
        request,
        "eforms/portal.html",
        {
            "forms": shown,
            "query": query,
            "tag": tag,
            "life_events": sorted(
                tags.get("life_event", {}).values(), key=lambda t: t.sort_order
            ),
            "categories": sorted(
                tags.get("category", {}).values(), key=lambda t: t.sort_order
            ),
            "lang": _lang(),
        },
    )


def form_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """What a procedure needs before one starts: documents, fee, identity."""
    try:
        form = selectors.portal_form_get(slug=slug)
    except FormDefinition.DoesNotExist:
        raise Http404 from None
    version = form.current_version
    assert version is not None
    schema = formschema.FormSchema(version.schema)
    draft = selectors.draft_for(actor=request.user, definition=form)
    return render(
        request,
        "eforms/form_detail.html",
        {
            "form": form,
            "procedure": form.procedure,
            "title": version.title(_lang()),
            "intro": schema.intro(_lang()),
            "steps": [(s.key, s.title(_lang())) for s in schema.steps],
            "draft": draft,
            "assurance_ok": services.assurance_satisfies(
                _assurance(request), form.assurance
            ),
            "signed_in": request.user.is_authenticated,
        },
    )


@require_POST
def form_start(request: HttpRequest, slug: str) -> HttpResponse:
    """Start (or resume) the application; sign in first with the identity the
    procedure needs."""
    try:
        form = selectors.portal_form_get(slug=slug)
    except FormDefinition.DoesNotExist:
        raise Http404 from None
    detail = reverse("eforms:form_detail", kwargs={"slug": slug})
    have = _assurance(request) if request.user.is_authenticated else "none"
    if not request.user.is_authenticated or not services.assurance_satisfies(
        have, form.assurance
    ):
        query = {"next": detail}
        if form.assurance == "mynumber":
            query["assurance"] = "mynumber"
        return redirect(f"{reverse('accounts:login')}?{urlencode(query)}")
    try:
        application = services.application_start(
            actor=request.user, definition=form, assurance=have
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect(detail)
    return redirect(
        "eforms:step", pk=application.pk, step=application.current_step or "-"
    )


# --- filling in ---------------------------------------------------------------


def _step_context(
    request: HttpRequest,
    application: Application,
    step: str,
    data: dict[str, Any],
    errors: dict[str, Any],
) -> dict[str, Any]:
    schema = formschema.FormSchema(application.version.schema)
    keys = schema.step_keys
    index = keys.index(step)
    claims = _claims(request)
    flagged = (
        application.flagged_fields if application.state == State.CORRECTION else []
    )
    fields = formschema.bound_fields(
        schema,
        step,
        data,
        errors,
        lang=_lang(),
        prefill=claims,
        verified=frozenset(claims),
    )
    if flagged:
        tops = {path.split(".")[0] for path in flagged}
        fields = [f for f in fields if str(getattr(f, "key", "")).split(".")[0] in tops]
    return {
        "application": application,
        "form": application.definition,
        "title": application.version.title(_lang()),
        "step": schema.step(step),
        "step_title": schema.step(step).title(_lang()),
        "steps": [(s.key, s.title(_lang())) for s in schema.steps],
        "index": index + 1,
        "count": len(keys),
        "previous": keys[index - 1] if index > 0 else None,
        "next": keys[index + 1] if index + 1 < len(keys) else None,
        "fields": fields,
        "errors": errors,
        "error_links": formschema.error_summary(schema, errors, lang=_lang())
        if errors
        else [],
        "correction": bool(flagged),
        "claims": claims,
    }


@login_required
def step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    """One step of the form. POST saves it (the draft stays on the server, so the
    citizen may go on later on another device) and goes to the next step."""
    application = _own(request, pk)
    if application.state not in (State.DRAFT, State.CORRECTION):
        return redirect("eforms:mine_detail", pk=application.pk)
    schema = formschema.FormSchema(application.version.schema)
    if step not in schema.step_keys:
        raise Http404
    data = services.application_data(actor=request.user, application=application)
    if request.method == "POST":
        action = request.POST.get("action", "next")
        engine_action = action if ":" in action else ""
        try:
            result = services.application_save_step(
                actor=request.user,
                application=application,
                step=step,
                post=request.POST,
                uploads={k: request.FILES.getlist(k) for k in request.FILES},
                action=engine_action,
            )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
            return redirect("eforms:step", pk=application.pk, step=step)
        if request.headers.get("HX-Request") and action == "autosave":
            return render(
                request,
                "eforms/_saved.html",
                {"saved_at": timezone.localtime(), "errors": {}},
            )
        if engine_action or action == "save" or not result.valid:
            if action == "save" and result.valid:
                messages.success(
                    request,
                    _("Saved. You can go on later from My page, on any device."),
                )
            context = _step_context(
                request, application, step, result.data, result.errors
            )
            status = 200 if result.valid or engine_action else 400
            return render(request, "eforms/step.html", context, status=status)
        keys = schema.step_keys
        index = keys.index(step)
        if action == "back" and index > 0:
            return redirect("eforms:step", pk=application.pk, step=keys[index - 1])
        if application.state == State.CORRECTION:
            return redirect("eforms:correct", pk=application.pk)
        if index + 1 < len(keys):
            return redirect("eforms:step", pk=application.pk, step=keys[index + 1])
        return redirect("eforms:review", pk=application.pk)
    return render(
        request, "eforms/step.html", _step_context(request, application, step, data, {})
    )


@login_required
def review(request: HttpRequest, pk: int) -> HttpResponse:
    """Everything on one page before submitting; POST submits (once)."""
    application = _own(request, pk)
    if application.state != State.DRAFT:
        return redirect("eforms:mine_detail", pk=application.pk)
    schema = formschema.FormSchema(application.version.schema)
    data = services.application_data(actor=request.user, application=application)
    errors: dict[str, Any] = {}
    claims = _claims(request)
    if request.method == "POST":
        try:
            submitted = services.application_submit(
                actor=request.user,
                application=application,
                assurance=_assurance(request),
                claims=claims,
            )
        except PermissionDenied:
            messages.error(
                request, _("Sign in with the identity this procedure needs first.")
            )
            return redirect("eforms:form_detail", slug=application.definition.slug)
        except ValidationError as error:
            errors = dict(getattr(error, "message_dict", {}) or {"": error.messages})
            messages.error(request, _("Some answers need your attention."))
        else:
            return redirect("eforms:done", pk=submitted.pk)
    return render(
        request,
        "eforms/review.html",
        {
            "application": application,
            "title": application.version.title(_lang()),
            "rows": formschema.summary(schema, data, lang=_lang()),
            "verified": services.verified_paths(schema, data, claims),
            "computed": formschema.compute(schema, data),
            "errors": errors,
            "first_error_step": _first_error_step(schema, errors),
        },
        status=400 if errors else 200,
    )


def _first_error_step(schema: Any, errors: dict[str, Any]) -> str | None:
    for key in schema.step_keys:
        for path in errors:
            field = services.field_or_none(schema, path)
            if field is not None and field.step == key:
                return str(key)
    return schema.step_keys[0] if errors else None


@login_required
def done(request: HttpRequest, pk: int) -> HttpResponse:
    """The reference number after submitting."""
    application = _own(request, pk)
    if application.state == State.DRAFT:
        return redirect("eforms:review", pk=application.pk)
    return render(request, "eforms/done.html", {"application": application})


@login_required
@require_POST
def discard(request: HttpRequest, pk: int) -> HttpResponse:
    application = _own(request, pk)
    try:
        services.application_discard(actor=request.user, application=application)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("eforms:mine_detail", pk=pk)
    messages.success(request, _("The draft was deleted."))
    return redirect("eforms:mine")


# --- My page ------------------------------------------------------------------


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    """マイページ: the citizen's applications and drafts."""
    return render(
        request,
        "eforms/mine.html",
        {"applications": list(selectors.application_list_mine(actor=request.user))},
    )


@login_required
def mine_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One application: status timeline, messages, receipt, correction, withdraw."""
    application = _own(request, pk)
    if application.state == State.DRAFT:
        return redirect(
            "eforms:step", pk=application.pk, step=application.current_step or "-"
        )
    services.messages_mark_read(actor=request.user, application=application)
    schema = formschema.FormSchema(application.version.schema)
    data = services.application_data(actor=request.user, application=application)
    return render(
        request,
        "eforms/mine_detail.html",
        {
            "application": application,
            "title": application.version.title(_lang()),
            "history": selectors.status_history(
                actor=request.user, application=application
            ),
            "messages_list": selectors.message_list(
                actor=request.user, application=application
            ),
            "rows": formschema.summary(schema, data, lang=_lang()),
            "attachments": selectors.attachment_list(
                actor=request.user, application=application
            ),
            "can_withdraw": application.state in TRANSITIONS["withdraw"].sources,
            "flagged": [
                (path, services.field_or_none(schema, path))
                for path in application.flagged_fields
            ],
        },
    )


@login_required
def correct(request: HttpRequest, pk: int) -> HttpResponse:
    """Answer a correction request (補正): change only the flagged answers or add
    documents, then send the corrections."""
    application = _own(request, pk)
    if application.state != State.CORRECTION:
        return redirect("eforms:mine_detail", pk=pk)
    schema = formschema.FormSchema(application.version.schema)
    flagged_steps = []
    for key in schema.step_keys:
        if any(
            getattr(services.field_or_none(schema, path), "step", None) == key
            for path in application.flagged_fields
        ):
            flagged_steps.append((key, schema.step(key).title(_lang())))
    errors: dict[str, Any] = {}
    if request.method == "POST":
        try:
            services.application_transition(
                actor=request.user,
                application=application,
                action="resubmit",
                revision=int(request.POST.get("revision") or 0) or None,
            )
        except ValidationError as error:
            errors = dict(getattr(error, "message_dict", {}) or {"": error.messages})
            messages.error(request, _("Some answers need your attention."))
        else:
            messages.success(request, _("Your corrections were sent."))
            return redirect("eforms:mine_detail", pk=pk)
    data = services.application_data(actor=request.user, application=application)
    return render(
        request,
        "eforms/correct.html",
        {
            "application": application,
            "title": application.version.title(_lang()),
            "flagged_steps": flagged_steps,
            "rows": [
                row
                for row in formschema.summary(schema, data, lang=_lang())
                if any(
                    str(getattr(row, "path", "")).split(".")[0] == p.split(".")[0]
                    for p in application.flagged_fields
                )
            ],
            "messages_list": selectors.message_list(
                actor=request.user, application=application
            ),
            "errors": errors,
        },
        status=400 if errors else 200,
    )


@login_required
@require_POST
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    application = _own(request, pk)
    try:
        services.application_transition(
            actor=request.user,
            application=application,
            action="withdraw",
            reason=request.POST.get("reason", ""),
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The application was withdrawn."))
    return redirect("eforms:mine_detail", pk=pk)


@login_required
@require_POST
def message_post(request: HttpRequest, pk: int) -> HttpResponse:
    """The applicant writes to the section."""
    application = _own(request, pk)
    try:
        services.message_send(
            actor=request.user,
            application=application,
            body=request.POST.get("body", ""),
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Your message was sent."))
    return redirect(f"{reverse('eforms:mine_detail', kwargs={'pk': pk})}#messages")


@login_required
def receipt(request: HttpRequest, pk: int) -> FileResponse:
    """The PDF receipt of one's own application."""
    application = _own(request, pk)
    if not application.receipt:
        raise Http404
    return FileResponse(
        application.receipt.open("rb"),
        as_attachment=True,
        filename=f"{application.reference}.pdf",
        content_type="application/pdf",
    )


@login_required
def attachment(request: HttpRequest, pk: int) -> FileResponse:
    """A file of an application, for its applicant and the section's staff;
    every access is recorded."""
    try:
        found = selectors.attachment_get(actor=request.user, pk=pk)
    except Attachment.DoesNotExist:
        raise Http404 from None
    services.attachment_opened(actor=request.user, attachment=found)
    response = FileResponse(
        found.file.open("rb"),
        as_attachment=True,
        filename=found.name,
        content_type=found.content_type,
    )
    response["Cache-Control"] = "private, no-store"
    return response
