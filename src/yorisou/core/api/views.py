"""API of the core app: the audit trail (system administrators)."""

from django.db.models import QuerySet

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, viewsets

from yorisou.core import selectors
from yorisou.core.models import AuditEvent


class AuditEventSerializer(serializers.ModelSerializer[AuditEvent]):
    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "created_at",
            "actor_id",
            "actor_repr",
            "action",
            "target_type",
            "target_id",
            "target_repr",
            "changes",
            "request_id",
            "client_ip",
            "seq",
            "hash",
        ]


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("action", str, description="action prefix"),
            OpenApiParameter("actor", str, description="username"),
            OpenApiParameter("q", str, description="search"),
        ]
    )
)
class AuditEventViewSet(viewsets.ReadOnlyModelViewSet[AuditEvent]):
    """監査ログ, newest first, filtered like the screen."""

    serializer_class = AuditEventSerializer
    queryset = AuditEvent.objects.none()  # for the schema; rows come from the selector

    def get_queryset(self) -> QuerySet[AuditEvent]:
        params = self.request.query_params
        return selectors.audit_event_list(
            actor=self.request.user,
            filters=selectors.AuditFilter(
                q=params.get("q", ""),
                actor=params.get("actor", ""),
                action=params.get("action", ""),
            ),
        )
