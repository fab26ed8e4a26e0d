from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReformsConfig(AppConfig):
    name = "yorisou.reforms"
    label = "reforms"
    verbose_name = _("Reform plan")

    def ready(self) -> None:
        from yorisou.reforms import demo, navigation, report_sections  # noqa: F401
