"""The list of SMS links alone (``emergency:invite_list``), which the console
fetches again on the ``invites`` event: the same markup as on the incident page,
for the incident's dispatchers only."""

import re
from typing import Any

from django.urls import reverse

import pytest

from yorisou.emergency import services

pytestmark = pytest.mark.usefixtures("live119_settings")

LIST = re.compile(r'<ul class="l119-invites".*?</ul>', re.S)
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')


def _list_of(html: str) -> str:
    found = LIST.search(html)
    assert found, html
    # a CSRF token is masked anew on every rendering
    return TOKEN.sub("", found.group(0))


def test_dispatcher_gets_the_list_as_the_page_shows_it(
    client: Any, dispatcher: Any, incident: Any, sent_invite: Any
) -> None:
    client.force_login(dispatcher)
    url = reverse("emergency:invite_list", args=[incident.pk])
    revoke = reverse("emergency:invite_revoke", args=[incident.pk, sent_invite.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"]
    html = response.content.decode()
    assert "<html" not in html and "<body" not in html
    assert f'data-live119-invites="{url}"' in html
    assert revoke in html
    page = client.get(reverse("emergency:incident", args=[incident.pk]))
    assert _list_of(html) == _list_of(page.content.decode())

    services.invite_revoke(actor=dispatcher, invite=sent_invite)
    html = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert revoke not in html
    assert "withdrawn" in html
    page = client.get(
        reverse("emergency:incident", args=[incident.pk]), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert _list_of(html) == _list_of(page.content.decode())
    assert client.post(url).status_code == 405


def test_others_get_no_list(
    client: Any,
    dispatcher: Any,
    other_dispatcher: Any,
    chuo_unit: Any,
    higashi_unit: Any,
    incident: Any,
    sent_invite: Any,
    fire: Any,
) -> None:
    url = reverse("emergency:invite_list", args=[incident.pk])
    response = client.get(url)
    assert response.status_code == 302  # to the login page
    # a unit assigned to the incident follows it, but not its links
    services.unit_assign(actor=dispatcher, incident=incident, unit=fire["chuo"])
    client.force_login(chuo_unit)
    assert client.get(url).status_code == 403
    for user in (other_dispatcher, higashi_unit):
        client.force_login(user)
        assert client.get(url).status_code == 404
