"""URLs of the sample provider, mounted at ``/demo-idp/``.

Empty unless the app is installed (``YORISOU_DEMO_IDP``), so the root URLconf can
include it unconditionally.
"""

from django.conf import settings
from django.urls import URLPattern, path

app_name = "devidp"
urlpatterns: list[URLPattern] = []

if "yorisou.devidp" in settings.INSTALLED_APPS:
    from yorisou.devidp import views

    urlpatterns = [
        path("", views.root, name="root"),
        path(".well-known/openid-configuration", views.discovery, name="discovery"),
        path("jwks", views.jwks, name="jwks"),
        path("authorize", views.authorize, name="authorize"),
        path("token", views.token, name="token"),
        path("userinfo", views.userinfo, name="userinfo"),
    ]
