"""URLs of the report generator (namespace ``reports``)."""

from django.urls import path

from yorisou.reports import views

app_name = "reports"

urlpatterns = [
    path("plans/<slug:plan>/", views.report_list, name="list"),
    path("plans/<slug:plan>/request/", views.report_request, name="request"),
    path("plans/<slug:plan>/layout/", views.report_layout, name="layout"),
    path("<int:pk>/download/", views.report_download, name="download"),
]
