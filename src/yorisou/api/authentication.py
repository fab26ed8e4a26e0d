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

_USER_OF_KEY_SQL = """
    SELECT u.*, t.created AS token_created FROM authtoken_token t
    JOIN accounts_user u ON u.id = t.user_id
    WHERE t.key = %s
"""


class TokenAuthentication(authentication.TokenAuthentication):
    """``Authorization: Token <key>``, as DRF's, in one raw query."""

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        found = list(User.objects.raw(_USER_OF_KEY_SQL, [key]))
        if not found:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        user = found[0]
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        # the raw query's extra column
        token = Token(key=key, user=user, created=user.__dict__["token_created"])
        token._state.adding = False
        token._state.db = user._state.db
        return user, token
