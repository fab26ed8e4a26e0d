"""URLs of the reform plan screens (namespace ``reforms``)."""

from django.urls import path

from yorisou.reforms import views

app_name = "reforms"

urlpatterns = [
    path("", views.plan_list, name="plan_list"),
    path("new/", views.plan_edit, name="plan_create"),
    path("public/<slug:plan>/", views.public_plan, name="public"),
    path("worklist/", views.worklist_any, name="my_worklist"),
    path("review/", views.review_any, name="my_review"),
    path("<slug:plan>/", views.dashboard, name="dashboard"),
    path("<slug:plan>/edit/", views.plan_edit, name="plan_edit"),
    path("<slug:plan>/structure/", views.structure, name="structure"),
    path(
        "<slug:plan>/structure/<str:kind>/new/",
        views.structure_edit,
        name="structure_create",
    ),
    path(
        "<slug:plan>/structure/<str:kind>/<str:code>/",
        views.structure_edit,
        name="structure_edit",
    ),
    path("<slug:plan>/periods/", views.period_list, name="periods"),
    path("<slug:plan>/pillars/<str:code>/", views.pillar_detail, name="pillar_detail"),
    path("<slug:plan>/items/<str:code>/", views.item_detail, name="item_detail"),
    path(
        "<slug:plan>/items/<str:code>/report/<str:period>/",
        views.report_edit,
        name="report_edit",
    ),
    path(
        "<slug:plan>/reports/<int:pk>/<str:action>/",
        views.report_action,
        name="report_action",
    ),
    path("<slug:plan>/worklist/", views.worklist, name="worklist"),
    path("<slug:plan>/review/", views.review_queue, name="review"),
    path("<slug:plan>/indicators/", views.indicator_list, name="indicators"),
    path(
        "<slug:plan>/indicators/<str:code>/",
        views.indicator_detail,
        name="indicator_detail",
    ),
    path("<slug:plan>/series/<slug:code>/", views.series_detail, name="series_detail"),
    path("<slug:plan>/transfer/", views.transfer_view, name="transfer"),
]
