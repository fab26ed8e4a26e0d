"""STUN/TURN servers from settings, with coturn's short-lived TURN credentials."""

from yorisou.emergency.media.ice import ice_servers, turn_credentials

NOW = 1_700_000_000


def test_turn_credentials_follow_coturn_use_auth_secret():
    # Expected value from: printf '1700003600:incident-7' |
    #   openssl dgst -sha1 -hmac north-secret -binary | base64
    username, credential = turn_credentials(
        user="incident-7", secret="north-secret", ttl_seconds=3600, now=NOW
    )

    assert username == "1700003600:incident-7"
    assert credential == "/ucmZ473HffkWDzktjFWScTmLR0="


def test_ice_servers_list_stun_and_turn_from_settings(settings):
    settings.LIVE119 = {
        **settings.LIVE119,
        "STUN_URLS": ["stun:turn.city.example.jp:3478"],
        "TURN_URLS": [
            "turn:turn.city.example.jp:3478?transport=udp",
            "turns:turn.city.example.jp:5349?transport=tcp",
        ],
        "TURN_SECRET": "north-secret",
        "TURN_TTL_SECONDS": 3600,
    }

    servers = ice_servers(user="incident-7", now=NOW)

    assert servers == [
        {"urls": ["stun:turn.city.example.jp:3478"]},
        {
            "urls": [
                "turn:turn.city.example.jp:3478?transport=udp",
                "turns:turn.city.example.jp:5349?transport=tcp",
            ],
            "username": "1700003600:incident-7",
            "credential": "/ucmZ473HffkWDzktjFWScTmLR0=",
        },
    ]


def test_no_ice_servers_without_settings_and_no_turn_without_a_secret(settings):
    settings.LIVE119 = {
        **settings.LIVE119,
        "STUN_URLS": [],
        "TURN_URLS": ["turn:turn.city.example.jp:3478"],
        "TURN_SECRET": "",
    }

    assert ice_servers(user="incident-7", now=NOW) == []
