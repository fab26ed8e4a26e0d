"""Token authentication of the API with the token and its user read in one
written-out query.

DRF's ``TokenAuthentication`` builds and compiles
``Token.objects.select_related("user").get(key=…)`` on every request; on the
submit path that cost more CPU than the query itself (docs/performance.md,
"Online applications: submit throughput"). The rules are DRF's: an unknown key
or an inactive user is refused, nothing is cached, so a deleted token stops
working at once.
"""

from typing import Any

from django.utils.translation import gettext_lazy as _

from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token

from yorisou.accounts.models import User
from yorisou.core import bulk

_USER_OF_KEY_SQL = """
    SELECT {columns}, t.created FROM authtoken_token t
    JOIN accounts_user u ON u.id = t.user_id
    WHERE t.key = %s
"""


class TokenAuthentication(authentication.TokenAuthentication):
    """``Authorization: Token <key>``, as DRF's, in one written-out query."""

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        sql = _USER_OF_KEY_SQL.format(columns=bulk.columns(User, "u"))
        found = bulk.fetch_one(User, sql, [key], "u")
        if found is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        user, (created,) = found
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        token = Token(key=key, user=user, created=created)
        token._state.adding = False
        token._state.db = user._state.db
        return user, token
