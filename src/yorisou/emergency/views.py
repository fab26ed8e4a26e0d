"""Live119 pages: the dispatcher's incident list and incident page (the live
video, map and chat are added inside ``{% block live %}``), the unit's list, the
guidance-video library, recordings, and the caller's page behind the SMS link.

Thin adapters: parse input, call one service or selector, render.
"""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from yorisou.emergency import caller_text, selectors, services
from yorisou.emergency.downloads import is_first_request, ranged_file_response
from yorisou.emergency.forms import (
    CloseForm,
    GuidanceForm,
    IncidentForm,
    InviteForm,
    UnitForm,
)
from yorisou.emergency.models import (
    GuidanceVideo,
    Incident,
    Recording,
    Snapshot,
    UnitAssignment,
)
from yorisou.emergency.storage import live119_storage


def _incident(request: HttpRequest, pk: int) -> Incident:
    try:
        return selectors.incident_get(actor=request.user, pk=pk)
    except Incident.DoesNotExist:
        raise Http404 from None


def _errors_to(form: Form, error: ValidationError) -> None:
    """A service's ValidationError on the form: per field where it names one."""
    if hasattr(error, "error_dict"):
        for field, problems in error.error_dict.items():
            form.add_error(field if field in form.fields else None, problems)
    else:
        form.add_error(None, error)


def _private_file(
    request: HttpRequest, name: str | None, content_type: str, filename: str = ""
) -> HttpResponseBase:
    if not name or not live119_storage.exists(name):
        raise Http404
    return ranged_file_response(
        request,
        live119_storage.path_of(name),
        content_type=content_type,
        filename=filename,
    )


# --- the dispatcher ---------------------------------------------------------------


@login_required
def incidents(request: HttpRequest) -> HttpResponse:
    """Open incidents of the dispatcher's centre, and the form for a new one."""
    centre = selectors.centre_of(request.user)
    if centre is None:
        if selectors.is_unit_member(request.user):
            return redirect("emergency:unit")
        raise PermissionDenied
    form = IncidentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            incident = services.incident_open(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            _errors_to(form, error)
        else:
            messages.success(
                request,
                _("Incident %(number)s opened.") % {"number": incident.number},
            )
            return redirect("emergency:incident", pk=incident.pk)
    state = request.GET.get("state", "open")
    listed = selectors.incident_list(
        actor=request.user, state=None if state == "all" else state
    )[:100]
    return render(
        request,
        "emergency/incidents.html",
        {
            "incidents": list(listed),
            "form": form,
            "centre": centre,
            "state": state,
            "active": "incidents",
        },
        status=400 if form.errors else 200,
    )


@login_required
def incident(request: HttpRequest, pk: int) -> HttpResponse:
    """One incident: facts, timeline, units, the SMS link, closing. Units see it
    read-only. The live console is added inside ``{% block live %}``."""
    found = _incident(request, pk)
    return render(request, "emergency/incident.html", _incident_context(request, found))


def _incident_context(
    request: HttpRequest, found: Incident, **forms: Form
) -> dict[str, Any]:
    user = request.user
    dispatch = selectors.can_dispatch(user, found)
    context: dict[str, Any] = {
        "incident": found,
        "dispatch": dispatch,
        "events": selectors.event_list(actor=user, incident=found),
        "assignments": selectors.assignment_list(actor=user, incident=found),
        "snapshots": selectors.snapshot_list(actor=user, incident=found),
        "active": "incidents" if dispatch else "unit",
    }
    context["live_config"] = panel_config(user, found)
    context["live_config_id"] = f"l119-config-{found.pk}"
    if dispatch:
        context.update(
            {
                "invites": selectors.invite_list(actor=user, incident=found),
                "recordings": selectors.recording_list(actor=user, incident=found),
                "guidance_videos": selectors.guidance_list(actor=user),
                "edit_form": forms.get("edit_form")
                or IncidentForm(
                    initial={
                        "caller_phone": found.caller_phone_display,
                        "kind": found.kind,
                        "address": found.address,
                        "notes": found.notes,
                    }
                ),
                "invite_form": forms.get("invite_form")
                or InviteForm(initial={"phone": found.caller_phone_display}),
                "unit_form": forms.get("unit_form")
                or UnitForm(units=selectors.unit_choices(actor=user, incident=found)),
                "close_form": forms.get("close_form") or CloseForm(),
            }
        )
    return context


def _incident_post(
    request: HttpRequest, found: Incident, form_name: str, form: Form
) -> HttpResponse:
    """Render the incident page again with a form's errors (status 400)."""
    context = _incident_context(request, found, **{form_name: form})
    return render(request, "emergency/incident.html", context, status=400)


@login_required
@require_POST
def incident_edit(request: HttpRequest, pk: int) -> HttpResponse:
    found = _incident(request, pk)
    form = IncidentForm(request.POST)
    if form.is_valid():
        try:
            services.incident_update(
                actor=request.user, incident=found, **form.cleaned_data
            )
        except ValidationError as error:
            _errors_to(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("emergency:incident", pk=found.pk)
    return _incident_post(request, found, "edit_form", form)


@login_required
@require_POST
def incident_close(request: HttpRequest, pk: int) -> HttpResponse:
    found = _incident(request, pk)
    form = CloseForm(request.POST)
    if form.is_valid():
        try:
            services.incident_close(
                actor=request.user, incident=found, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            _errors_to(form, error)
        else:
            messages.success(request, _("The incident is closed."))
            return redirect("emergency:incident", pk=found.pk)
    return _incident_post(request, found, "close_form", form)


@login_required
@require_POST
def unit_assign(request: HttpRequest, pk: int) -> HttpResponse:
    found = _incident(request, pk)
    form = UnitForm(
        request.POST, units=selectors.unit_choices(actor=request.user, incident=found)
    )
    if form.is_valid():
        try:
            services.unit_assign(
                actor=request.user, incident=found, unit=form.cleaned_data["unit"]
            )
        except ValidationError as error:
            _errors_to(form, error)
        else:
            return redirect(reverse("emergency:incident", args=[found.pk]) + "#units")
    return _incident_post(request, found, "unit_form", form)


@login_required
@require_POST
def unit_release(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        assignment = selectors.assignment_get(actor=request.user, pk=pk)
    except UnitAssignment.DoesNotExist:
        raise Http404 from None
    services.unit_release(actor=request.user, assignment=assignment)
    return redirect(
        reverse("emergency:incident", args=[assignment.incident_id]) + "#units"
    )


@login_required
@require_POST
def invite_send(request: HttpRequest, pk: int) -> HttpResponse:
    found = _incident(request, pk)
    form = InviteForm(request.POST)
    if form.is_valid():
        try:
            services.invite_send(
                actor=request.user,
                incident=found,
                phone=form.cleaned_data["phone"],
                base_url=request.build_absolute_uri("/"),
            )
        except ValidationError as error:
            _errors_to(form, error)
        else:
            messages.success(request, _("The video link is being sent by SMS."))
            return redirect(reverse("emergency:incident", args=[found.pk]) + "#invites")
    return _incident_post(request, found, "invite_form", form)


@login_required
@require_POST
def invite_revoke(request: HttpRequest, pk: int, invite: int) -> HttpResponse:
    found = _incident(request, pk)
    if not selectors.can_dispatch(request.user, found):
        raise Http404
    chosen = selectors.invite_list(actor=request.user, incident=found).filter(pk=invite)
    if not chosen:
        raise Http404
    services.invite_revoke(actor=request.user, invite=chosen[0])
    return redirect(reverse("emergency:incident", args=[found.pk]) + "#invites")


@login_required
@require_GET
@never_cache
def invite_list(request: HttpRequest, pk: int) -> HttpResponse:
    """The incident's SMS links alone: the list of the incident page (the same
    include), which the console fetches again when the ``invites`` event says
    they changed. Dispatchers only (the selector refuses units)."""
    found = _incident(request, pk)
    invites = selectors.invite_list(actor=request.user, incident=found)
    return render(
        request, "emergency/_invites.html", {"incident": found, "invites": invites}
    )


@login_required
@require_GET
def snapshot_file(request: HttpRequest, pk: int) -> HttpResponseBase:
    try:
        found = selectors.snapshot_get(actor=request.user, pk=pk)
    except Snapshot.DoesNotExist:
        raise Http404 from None
    return _private_file(request, found.image.name, found.content_type)


# --- the unit ---------------------------------------------------------------------


@login_required
def unit(request: HttpRequest) -> HttpResponse:
    """The incidents assigned to the user's unit (the tablet in the vehicle)."""
    if not selectors.is_unit_member(request.user):
        raise PermissionDenied
    return render(
        request,
        "emergency/unit.html",
        {
            "incidents": list(selectors.unit_incident_list(actor=request.user)[:50]),
            "active": "unit",
        },
    )


# --- guidance videos --------------------------------------------------------------


@login_required
def guidance(request: HttpRequest) -> HttpResponse:
    """The guidance-video library of the centre: list, preview, upload."""
    if selectors.centre_of(request.user) is None:
        raise PermissionDenied
    form = GuidanceForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            video = services.guidance_upload(
                actor=request.user,
                file=form.cleaned_data["file"],
                title_ja=form.cleaned_data["title_ja"],
                title_en=form.cleaned_data["title_en"],
            )
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                _errors_to(form, error)
            else:
                form.add_error("file", error)
        else:
            messages.success(
                request, _("“%(title)s” was added.") % {"title": video.title}
            )
            return redirect("emergency:guidance")
    return render(
        request,
        "emergency/guidance.html",
        {
            "videos": list(selectors.guidance_list(actor=request.user)),
            "form": form,
            "active": "guidance",
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def guidance_remove(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        video = selectors.guidance_get(actor=request.user, pk=pk)
    except GuidanceVideo.DoesNotExist:
        raise Http404 from None
    services.guidance_remove(actor=request.user, video=video)
    messages.success(request, _("“%(title)s” was removed.") % {"title": video.title})
    return redirect("emergency:guidance")


@login_required
@require_GET
def guidance_file(request: HttpRequest, pk: int) -> HttpResponseBase:
    """A library video (for the preview and the dispatcher's console)."""
    try:
        video = selectors.guidance_get(actor=request.user, pk=pk)
    except GuidanceVideo.DoesNotExist:
        raise Http404 from None
    return _private_file(request, video.file.name, video.content_type)


# --- recordings -------------------------------------------------------------------


@login_required
def recordings(request: HttpRequest) -> HttpResponse:
    """Recordings of the centre's incidents (dispatchers)."""
    if selectors.centre_of(request.user) is None:
        raise PermissionDenied
    return render(
        request,
        "emergency/recordings.html",
        {
            "recordings": list(selectors.recording_list(actor=request.user)[:200]),
            "active": "recordings",
        },
    )


@login_required
def recording(request: HttpRequest, pk: int) -> HttpResponse:
    """One recording to watch; opening it is recorded in the audit trail."""
    try:
        found = selectors.recording_get(actor=request.user, pk=pk)
    except Recording.DoesNotExist:
        raise Http404 from None
    if found.is_available:
        services.recording_opened(actor=request.user, recording=found)
    return render(
        request,
        "emergency/recording.html",
        {"recording": found, "active": "recordings"},
    )


@login_required
@require_GET
def recording_file(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The video of a recording; each playback from the start is audited (the
    browser's later range requests of the same playback are not)."""
    try:
        found = selectors.recording_get(actor=request.user, pk=pk)
    except Recording.DoesNotExist:
        raise Http404 from None
    if not found.is_available:
        raise Http404
    if is_first_request(request):
        services.recording_opened(actor=request.user, recording=found)
    return _private_file(request, found.file.name, found.content_type)


# --- the caller -------------------------------------------------------------------


@never_cache
def caller(request: HttpRequest, token: str) -> HttpResponse:
    """The page behind the SMS link. Opening it counts against the link's limit;
    a refused link explains what to do (stay on the phone)."""
    try:
        invite = services.invite_open(token)
    except services.InviteRefused as refused:
        return render(
            request,
            "emergency/caller_refused.html",
            {"refused": refused},
            status=410 if refused.code != "unknown" else 404,
        )
    choice = request.GET.get("lang", "")
    if choice not in ("ja", "easy", "en"):
        choice = "en" if (get_language() or "ja").startswith("en") else "ja"
    with translation.override("en" if choice == "en" else "ja"):
        words = caller_text.texts(easy=choice == "easy")
        response = render(
            request,
            "emergency/caller.html",
            {
                "invite": invite,
                "incident": invite.incident,
                "token": token,
                "t": words,
                "lang": choice,
                "html_lang": "en" if choice == "en" else "ja",
                "choices": caller_text.CHOICES,
                "live_config": caller_config(invite, token, words),
            },
        )
    response["Referrer-Policy"] = "no-referrer"
    return response


@never_cache
@require_GET
def caller_guidance(request: HttpRequest, token: str, pk: int) -> HttpResponseBase:
    """A guidance video sent to the caller's incident."""
    try:
        invite = services.invite_check(token=token)
        video = selectors.guidance_for_invite(invite=invite, pk=pk)
    except (services.InviteRefused, GuidanceVideo.DoesNotExist):
        raise Http404 from None
    return _private_file(request, video.file.name, video.content_type)


# --- the live parts (configuration for live119-*.js) ---------------------------


def caller_config(
    invite: Any, token: str, words: dict[str, str] | None = None
) -> dict[str, Any]:
    """What the caller page's script needs: its socket, ICE servers, words."""
    if words is not None:
        return {
            "ws": f"/ws/live119/caller/{token}/",
            "iceServers": selectors.ice_servers(
                incident=invite.incident, invite=invite
            ),
            "text": {key: words[key] for key in caller_text.SCRIPT_KEYS},
        }
    return {
        "ws": f"/ws/live119/caller/{token}/",
        "iceServers": selectors.ice_servers(incident=invite.incident, invite=invite),
        "text": {
            "asking": _("Allow the camera and your location when your phone asks."),
            "connecting": _("Connecting the video…"),
            "live": _("The dispatcher can see your video."),
            "reconnecting": _("Connection lost. Reconnecting…"),
            "videoFailed": _("The video could not connect. Keep talking on the phone."),
            "noCamera": _(
                "No video. Your location and messages still reach the dispatcher."
            ),
            "error": _("Something went wrong. Keep talking on the phone."),
            "position": _("Your location: %(lat)s, %(lng)s (within %(accuracy)s m)"),
            "you": _("You"),
            "dispatcher": _("Dispatcher"),
            "confirmEnd": _("End the video? Stay on the phone."),
        },
    }


def panel_config(user: Any, incident: Incident) -> dict[str, Any]:
    """What one console panel's script needs (dispatchers and units)."""
    conf = settings.LIVE119
    return {
        "ws": f"/ws/live119/incidents/{incident.pk}/",
        "iceServers": selectors.ice_servers(incident=incident, actor=user),
        "tileUrl": conf.get("TILE_URL") or "",
        "tileAttribution": conf.get("TILE_ATTRIBUTION") or "",
        "text": {
            "callerOn": _("The caller is connected."),
            "callerOff": _("The caller is not connected."),
            "startRecording": _("Start recording"),
            "stopRecording": _("Stop recording"),
            "snapshotTaken": _("Still image saved."),
            "ended": _("The video has ended."),
            "confirmEnd": _(
                "End the video for this incident? The caller’s link stops working."
            ),
            "sender_caller": _("Caller"),
            "sender_dispatcher": _("Dispatcher"),
            "sender_unit": pgettext("fire unit", "Unit"),
            "pc_connecting": _("Connecting the video…"),
            "pc_connected": _("Video connected."),
            "pc_failed": _("The video connection failed."),
            "pc_disconnected": _("Video interrupted."),
        },
    }


@login_required
def console(request: HttpRequest) -> HttpResponse:
    """Every open incident of the centre side by side (the command-centre wall)."""
    if selectors.centre_of(request.user) is None:
        raise PermissionDenied
    incidents = list(selectors.incident_list(actor=request.user)[:6])
    panels = [
        {
            "incident": one,
            "dispatch": True,
            "live_config": panel_config(request.user, one),
            "live_config_id": f"l119-config-{one.pk}",
        }
        for one in incidents
    ]
    return render(
        request,
        "emergency/console.html",
        {
            "panels": panels,
            "guidance_videos": selectors.guidance_list(actor=request.user),
            "active": "console",
        },
    )
