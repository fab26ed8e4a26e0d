from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EformsConfig(AppConfig):
    name = "yorisou.eforms"
    label = "eforms"
    verbose_name = _("Online applications")

    def ready(self) -> None:
        from yorisou.eforms import demo, navigation  # noqa: F401
        from yorisou.eforms.formschema import fields  # noqa: F401
