"""Root URLs."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from yorisou.accounts import views as account_views
from yorisou.core import views as core_views

urlpatterns = [
    path("", account_views.home, name="home"),
    path("accounts/", include("yorisou.accounts.urls")),
    path("core/", include("yorisou.core.urls")),
    path("reforms/", include("yorisou.reforms.urls")),
    path("procedures/", include("yorisou.procedures.urls")),
    path("reports/", include("yorisou.reports.urls")),
    path("applications/", include("yorisou.eforms.urls")),
    path("live119/", include("yorisou.emergency.urls")),
    path("api/", include("yorisou.api.urls")),
    path("demo-idp/", include("yorisou.devidp.urls")),  # empty unless installed
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", core_views.healthz, name="healthz"),
    # The administration screens use Yorisou's own sign-in (throttled, 2FA).
    path(
        "admin/login/",
        RedirectView.as_view(pattern_name="accounts:login", query_string=True),
    ),
    path("admin/", admin.site.urls),
]

handler500 = "yorisou.core.views.server_error"
