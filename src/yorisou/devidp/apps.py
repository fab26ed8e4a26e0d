from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DevIdpConfig(AppConfig):
    """A sample デジタル認証アプリ (OpenID Connect provider) for the demo and tests.

    Installed only when ``YORISOU_DEMO_IDP`` is on; production refuses to start
    with it.
    """

    name = "yorisou.devidp"
    label = "devidp"
    verbose_name = _("Sample My Number card sign-in provider")
