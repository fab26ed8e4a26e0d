"""WebSocket consumer of the live audit feed (system administrators only)."""

from typing import Any

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from yorisou.core import permissions
from yorisou.core.constants import Role
from yorisou.core.events import AUDIT_FEED_GROUP


class AuditFeedConsumer(AsyncJsonWebsocketConsumer):
    """Forwards new audit events to an administrator's browser."""

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not await permissions.ahas_role(user, Role.SYSTEM_ADMIN):
            await self.close(code=4403)
            return
        await self.channel_layer.group_add(AUDIT_FEED_GROUP, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(AUDIT_FEED_GROUP, self.channel_name)

    async def audit_event(self, message: dict[str, Any]) -> None:
        await self.send_json({k: v for k, v in message.items() if k != "type"})
