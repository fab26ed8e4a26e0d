from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProceduresConfig(AppConfig):
    name = "yorisou.procedures"
    label = "procedures"
    verbose_name = _("Procedure inventory")

    def ready(self) -> None:
        from yorisou.procedures import demo, navigation, report_sections  # noqa: F401
