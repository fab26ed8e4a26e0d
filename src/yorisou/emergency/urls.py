"""URLs of Live119 (namespace ``emergency``, under ``/live119/``)."""

from django.urls import path

from yorisou.emergency import views

app_name = "emergency"

urlpatterns = [
    # dispatchers
    path("", views.incidents, name="incidents"),
    path("console/", views.console, name="console"),
    path("incidents/<int:pk>/", views.incident, name="incident"),
    path("incidents/<int:pk>/edit/", views.incident_edit, name="incident_edit"),
    path("incidents/<int:pk>/close/", views.incident_close, name="incident_close"),
    path("incidents/<int:pk>/units/", views.unit_assign, name="unit_assign"),
    path("incidents/<int:pk>/invite/", views.invite_send, name="invite_send"),
    path("incidents/<int:pk>/invites/", views.invite_list, name="invite_list"),
    path(
        "incidents/<int:pk>/invites/<int:invite>/revoke/",
        views.invite_revoke,
        name="invite_revoke",
    ),
    path("units/<int:pk>/release/", views.unit_release, name="unit_release"),
    path("snapshots/<int:pk>/", views.snapshot_file, name="snapshot_file"),
    path("guidance/", views.guidance, name="guidance"),
    path("guidance/<int:pk>/file/", views.guidance_file, name="guidance_file"),
    path("guidance/<int:pk>/remove/", views.guidance_remove, name="guidance_remove"),
    path("recordings/", views.recordings, name="recordings"),
    path("recordings/<int:pk>/", views.recording, name="recording"),
    path("recordings/<int:pk>/file/", views.recording_file, name="recording_file"),
    # fire units
    path("unit/", views.unit, name="unit"),
    # the caller (no account: the token of the SMS link)
    path("c/<str:token>/", views.caller, name="caller"),
    path(
        "c/<str:token>/guidance/<int:pk>/",
        views.caller_guidance,
        name="caller_guidance",
    ),
]
