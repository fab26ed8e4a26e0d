from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "yorisou.api"
    label = "api"
    verbose_name = "API"
