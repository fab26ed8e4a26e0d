"""Serializers of the accounts API (output only: writes go through the admin)."""

from rest_framework import serializers

from yorisou.accounts.models import OrgUnit, RoleAssignment, User


class OrgUnitSerializer(serializers.ModelSerializer[OrgUnit]):
    parent_code = serializers.CharField(source="parent.code", default=None)

    class Meta:
        model = OrgUnit
        fields = [
            "code",
            "name",
            "name_en",
            "level",
            "parent_code",
            "path",
            "sort_order",
            "is_active",
            "is_sample",
        ]


class RoleAssignmentSerializer(serializers.ModelSerializer[RoleAssignment]):
    scope = serializers.CharField(source="org_unit.code", default=None)

    class Meta:
        model = RoleAssignment
        fields = ["role", "scope"]


class UserSerializer(serializers.ModelSerializer[User]):
    org_unit = serializers.CharField(source="org_unit.code", default=None)
    roles = RoleAssignmentSerializer(source="role_assignments", many=True)

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "display_name",
            "email",
            "org_unit",
            "roles",
            "is_active",
        ]
