"""Administration screens for the organisation tree, users and roles.

Saves go through the services, so each change is checked and audited; only
system administrators may open these screens.
"""

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Model
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from yorisou.accounts import services
from yorisou.accounts.models import OrgUnit, RoleAssignment, User
from yorisou.core import permissions
from yorisou.core.constants import Role


class SystemAdminOnly:
    """Admin permissions from the system-administrator role, not Django's flags."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return permissions.has_role(request.user, Role.SYSTEM_ADMIN)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return permissions.has_role(request.user, Role.SYSTEM_ADMIN)

    has_add_permission = has_view_permission
    has_change_permission = has_view_permission

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # deactivate instead: history refers to units and users


@admin.register(OrgUnit)
class OrgUnitAdmin(SystemAdminOnly, admin.ModelAdmin[OrgUnit]):
    list_display = ["code", "name", "name_en", "level", "parent", "is_active"]
    list_filter = ["level", "is_active", "is_sample"]
    search_fields = ["code", "name", "name_en"]
    ordering = ["path"]
    autocomplete_fields = ["parent"]
    fields = ["code", "name", "name_en", "level", "parent", "sort_order", "is_active"]

    def save_model(
        self, request: HttpRequest, obj: OrgUnit, form: ModelForm[OrgUnit], change: bool
    ) -> None:
        services.org_unit_save(
            actor=request.user,
            unit=obj,
            changed_fields=form.changed_data,
            created=not change,
        )


class RoleAssignmentInline(admin.TabularInline[RoleAssignment, User]):
    model = RoleAssignment
    extra = 1
    autocomplete_fields = ["org_unit"]
    fields = ["role", "org_unit"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return permissions.has_role(request.user, Role.SYSTEM_ADMIN)

    has_change_permission = has_add_permission
    has_view_permission = has_add_permission
    has_delete_permission = has_add_permission


@admin.register(User)
class UserAdmin(SystemAdminOnly, DjangoUserAdmin):  # type: ignore[type-arg]
    list_display = ["username", "display_name", "org_unit", "email", "is_active"]
    list_filter = ["is_active", "is_sample", "role_assignments__role"]
    search_fields = ["username", "display_name", "email", "org_unit__name"]
    autocomplete_fields = ["org_unit"]
    inlines = [RoleAssignmentInline]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Person"), {"fields": ("display_name", "email", "org_unit")}),
        (_("Status"), {"fields": ("is_active", "last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "username",
                    "display_name",
                    "email",
                    "org_unit",
                    "password1",
                    "password2",
                ),
            },
        ),
    )
    readonly_fields = ["last_login", "date_joined"]
    actions = ["reset_two_factor"]

    def save_model(
        self, request: HttpRequest, obj: User, form: ModelForm[User], change: bool
    ) -> None:
        services.user_save(
            actor=request.user,
            user=obj,
            changed_fields=form.changed_data,
            created=not change,
        )

    def save_formset(
        self, request: HttpRequest, form: Any, formset: Any, change: bool
    ) -> None:
        for inline_form in formset.forms:
            if not inline_form.has_changed() and inline_form.instance.pk:
                continue
            data = getattr(inline_form, "cleaned_data", None) or {}
            if not data:
                continue
            instance: RoleAssignment = inline_form.instance
            if data.get("DELETE") and instance.pk:
                services.role_revoke(actor=request.user, assignment=instance)
                continue
            if instance.pk:
                old = RoleAssignment.objects.get(pk=instance.pk)
                services.role_revoke(actor=request.user, assignment=old)
            services.role_assign(
                actor=request.user,
                user=form.instance,
                role=data["role"],
                org_unit=data.get("org_unit"),
            )

    @admin.action(description=_("Reset two-factor sign-in (lost phone)"))
    def reset_two_factor(self, request: HttpRequest, queryset: Any) -> None:
        for user in queryset:
            services.totp_device_reset(actor=request.user, user=user)


def _unregister_defaults() -> None:
    """Hide admin screens of third-party models that admins should not edit."""
    from django.contrib.auth.models import Group

    for model in (Group,):
        if admin.site.is_registered(model):
            admin.site.unregister(model)


_unregister_defaults()
admin.site.site_header = _("Yorisou administration")
admin.site.site_title = _("Yorisou administration")
admin.site.index_title = _("Organisation, users and roles")


def _admin_has_permission(request: HttpRequest) -> bool:
    return bool(request.user.is_active) and permissions.has_role(
        request.user, Role.SYSTEM_ADMIN
    )


admin.site.has_permission = _admin_has_permission  # type: ignore[method-assign]
__all__ = ["Model"]
