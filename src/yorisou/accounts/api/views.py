"""API of the accounts app: who am I, the organisation tree, users."""

from typing import Any

from django.db.models import QuerySet

from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from yorisou.accounts import selectors
from yorisou.accounts.api.serializers import OrgUnitSerializer, UserSerializer
from yorisou.accounts.models import OrgUnit, User


class MeView(APIView):
    """The signed-in user with their roles."""

    @extend_schema(responses=UserSerializer)
    def get(self, request: Request) -> Response:
        user: Any = request.user
        user = User.objects.prefetch_related("role_assignments__org_unit").get(
            pk=user.pk
        )
        return Response(UserSerializer(user).data)


class OrgUnitViewSet(viewsets.ReadOnlyModelViewSet[OrgUnit]):
    """The organisation tree (staff)."""

    serializer_class = OrgUnitSerializer
    queryset = OrgUnit.objects.none()  # for the schema; rows come from the selector
    lookup_field = "code"

    def get_queryset(self) -> QuerySet[OrgUnit]:
        return selectors.org_unit_list(actor=self.request.user, active_only=False)


class UserViewSet(viewsets.ReadOnlyModelViewSet[User]):
    """User accounts with their roles (system administrators)."""

    serializer_class = UserSerializer
    queryset = User.objects.none()  # for the schema; rows come from the selector

    def get_queryset(self) -> QuerySet[User]:
        return selectors.user_list(actor=self.request.user).prefetch_related(
            "role_assignments__org_unit"
        )
