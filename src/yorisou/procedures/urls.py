"""URLs of the procedure inventory (namespace ``procedures``)."""

from django.urls import path

from yorisou.procedures import views

app_name = "procedures"

urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("new/", views.procedure_edit, name="create"),
    path("triage/", views.triage, name="triage"),
    path("funnel/", views.funnel, name="funnel"),
    path("survey/", views.survey, name="survey"),
    path("p/<str:code>/", views.procedure_detail, name="detail"),
    path("p/<str:code>/edit/", views.procedure_edit, name="edit"),
]
