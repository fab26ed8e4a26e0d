from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EmergencyConfig(AppConfig):
    name = "yorisou.emergency"
    label = "emergency"
    verbose_name = _("Live119")

    def ready(self) -> None:
        from yorisou.emergency import demo, navigation, sms  # noqa: F401
