from django.urls import path

from yorisou.core import views

app_name = "core"

urlpatterns = [
    path("audit/", views.audit_list, name="audit_list"),
    path("audit/export.csv", views.audit_export, name="audit_export"),
    path("settings/", views.site_configuration, name="site_configuration"),
]
