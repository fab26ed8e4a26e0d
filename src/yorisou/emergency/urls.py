"""URLs of Live119 (namespace ``emergency``)."""

from django.urls import path  # noqa: F401

app_name = "emergency"

urlpatterns: list = []  # type: ignore[type-arg]
