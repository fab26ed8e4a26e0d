from django.urls import reverse

import pytest

from yorisou.core import audit
from yorisou.core.models import AuditEvent, SiteConfiguration
from yorisou.core.permissions import SYSTEM


@pytest.mark.django_db
def test_audit_list_is_for_system_admins_only(client, staff_user, admin_user):
    client.force_login(staff_user)
    assert client.get(reverse("core:audit_list")).status_code == 403
    client.force_login(admin_user)
    assert client.get(reverse("core:audit_list")).status_code == 200


@pytest.mark.django_db
def test_audit_list_filters_and_runs_fixed_queries(
    client, admin_user, django_assert_max_num_queries
):
    for i in range(30):
        audit.record(actor=SYSTEM, action="demo.thing", target_repr=f"item {i}")
    audit.record(actor=SYSTEM, action="other.thing", target_repr="needle")
    client.force_login(admin_user)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("core:audit_list"), {"q": "needle"})
    body = response.content.decode()
    assert "needle" in body
    assert "item 3" not in body
    with django_assert_max_num_queries(12):
        client.get(reverse("core:audit_list"))


@pytest.mark.django_db
def test_audit_list_htmx_returns_only_the_table(client, admin_user):
    client.force_login(admin_user)
    response = client.get(reverse("core:audit_list"), headers={"HX-Request": "true"})
    body = response.content.decode()
    assert "<table" in body
    assert "<html" not in body


@pytest.mark.django_db
def test_audit_export_csv(client, admin_user):
    audit.record(actor=SYSTEM, action="demo.export", target_repr="行1")
    client.force_login(admin_user)
    response = client.get(reverse("core:audit_export"), {"action": "demo."})
    text = b"".join(response.streaming_content).decode("utf-8")
    assert response["Content-Type"].startswith("text/csv")
    assert text.startswith("\ufeffid,time,user,action")
    assert "demo.export" in text
    assert "行1" in text
    assert text.count("\n") == 2


@pytest.mark.django_db
def test_site_configuration_change_is_audited(client, admin_user, staff_user):
    client.force_login(staff_user)
    assert client.get(reverse("core:site_configuration")).status_code == 403
    client.force_login(admin_user)
    response = client.post(
        reverse("core:site_configuration"), {"require_staff_two_factor": "on"}
    )
    assert response.status_code == 302
    assert SiteConfiguration.objects.get().require_staff_two_factor is True
    event = AuditEvent.objects.get(action="core.site_configuration.update")
    assert event.changes == {"require_staff_two_factor": [False, True]}


@pytest.mark.django_db
def test_healthz_and_error_pages(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "ページが見つかりません" in response.content.decode() or (
        "Page not found" in response.content.decode()
    )


def test_security_headers(client, db):
    response = client.get(reverse("accounts:login"))
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self' 'nonce-" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert len(response["X-Request-ID"]) == 32
