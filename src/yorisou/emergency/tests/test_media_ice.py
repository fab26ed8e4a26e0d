"""coturn's short-lived TURN credentials (``use-auth-secret``)."""

from yorisou.emergency.media.ice import turn_credentials

NOW = 1_700_000_000


def test_turn_credentials_follow_coturn_use_auth_secret():
    # Expected value from: printf '1700003600:incident-7' |
    #   openssl dgst -sha1 -hmac north-secret -binary | base64
    username, credential = turn_credentials(
        user="incident-7", secret="north-secret", ttl_seconds=3600, now=NOW
    )

    assert username == "1700003600:incident-7"
    assert credential == "/ucmZ473HffkWDzktjFWScTmLR0="
