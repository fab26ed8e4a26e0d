"""The caller's page speaks Japanese, English and やさしい日本語 (easy Japanese)."""

import json
import re
from typing import Any

import pytest

pytestmark = pytest.mark.django_db


def _page(client: Any, token: str, lang: str = "") -> str:
    url = f"/live119/c/{token}/" + (f"?lang={lang}" if lang else "")
    response = client.get(url)
    assert response.status_code == 200
    assert response["Referrer-Policy"] == "no-referrer"
    return str(response.content.decode())


def test_caller_page_languages(client: Any, sent_invite: Any) -> None:
    token = sent_invite.token
    plain = _page(client, token)
    assert "映像を送る" in plain and 'lang="ja"' in plain
    easy = _page(client, token, "easy")
    assert "えいぞうを おくる" in easy and "でんわは きらないで" in easy
    config = re.search(
        r'<script id="live119-config" type="application/json">(.*?)</script>', easy
    )
    assert config is not None  # the script's words are easy too
    assert json.loads(config.group(1))["text"]["confirmEnd"].startswith("えいぞうを")
    english = _page(client, token, "en")
    assert "Start the video" in english and 'lang="en"' in english
    # every choice is offered on the page, in its own language
    for label in ("日本語", "やさしい にほんご", "English"):
        assert label in plain
