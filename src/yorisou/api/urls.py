"""The REST API root (/api/v1/), its OpenAPI schema and documentation page."""

from django.urls import include, path

from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.authtoken.views import obtain_auth_token
from rest_framework.routers import DefaultRouter

from yorisou.accounts.api.views import MeView, OrgUnitViewSet, UserViewSet
from yorisou.core.api.views import AuditEventViewSet
from yorisou.eforms.api.views import (
    ApplicationViewSet,
    FormViewSet,
    OfficeApplicationViewSet,
)
from yorisou.reforms.api.views import (
    ActionItemViewSet,
    IndicatorViewSet,
    PlanViewSet,
    SeriesViewSet,
    StatusReportViewSet,
)

app_name = "api"

router = DefaultRouter()
router.register("org-units", OrgUnitViewSet, basename="org-unit")
router.register("users", UserViewSet, basename="user")
router.register("audit-events", AuditEventViewSet, basename="audit-event")
router.register("reform-plans", PlanViewSet, basename="reform-plan")
router.register("reform-items", ActionItemViewSet, basename="reform-item")
router.register("reform-reports", StatusReportViewSet, basename="reform-report")
router.register("reform-indicators", IndicatorViewSet, basename="reform-indicator")
router.register("reform-series", SeriesViewSet, basename="reform-series")
router.register("forms", FormViewSet, basename="form")
router.register("applications", ApplicationViewSet, basename="application")
router.register(
    "office/applications", OfficeApplicationViewSet, basename="office-application"
)

urlpatterns = [
    path("v1/", include(router.urls)),
    path("v1/me/", MeView.as_view(), name="me"),
    path("v1/auth/token/", obtain_auth_token, name="token"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"
    ),
]
