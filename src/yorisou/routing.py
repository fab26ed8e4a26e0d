"""WebSocket routes of every app."""

from django.urls import path

from yorisou.core.consumers import AuditFeedConsumer

websocket_urlpatterns = [
    path("ws/audit/", AuditFeedConsumer.as_asgi()),
]
