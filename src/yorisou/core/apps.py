from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "yorisou.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from yorisou.core import navigation  # noqa: F401  (registers menu entries)
