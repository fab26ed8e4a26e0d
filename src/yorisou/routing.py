"""WebSocket routes of every app."""

from django.urls import path

from yorisou.core.consumers import AuditFeedConsumer
from yorisou.emergency.consumers import CallerConsumer, IncidentConsumer

websocket_urlpatterns = [
    path("ws/audit/", AuditFeedConsumer.as_asgi()),
    path("ws/live119/caller/<str:token>/", CallerConsumer.as_asgi()),
    path("ws/live119/incidents/<int:pk>/", IncidentConsumer.as_asgi()),
]
