import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from yorisou.core import audit
from yorisou.core.permissions import SYSTEM


@pytest.fixture
def api():
    return APIClient()


@pytest.mark.django_db
def test_me_with_token_auth(api, staff_user):
    token = Token.objects.create(user=staff_user)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    data = api.get("/api/v1/me/").json()
    assert data["username"] == "clerk"
    assert data["roles"] == [{"role": "staff", "scope": None}]


@pytest.mark.django_db
def test_anonymous_gets_401_or_403(api):
    assert api.get("/api/v1/org-units/").status_code in (401, 403)


@pytest.mark.django_db
def test_org_units_for_staff_not_citizens(api, staff_user, citizen, org):
    api.force_authenticate(citizen)
    assert api.get("/api/v1/org-units/").status_code == 403
    api.force_authenticate(staff_user)
    data = api.get("/api/v1/org-units/").json()
    assert data["count"] == 8
    one = api.get("/api/v1/org-units/351020/").json()
    assert one["parent_code"] == "3510"


@pytest.mark.django_db
def test_users_and_audit_only_for_admins(api, staff_user, admin_user):
    audit.record(actor=SYSTEM, action="api.test", target_repr="x")
    api.force_authenticate(staff_user)
    assert api.get("/api/v1/users/").status_code == 403
    assert api.get("/api/v1/audit-events/").status_code == 403
    api.force_authenticate(admin_user)
    assert api.get("/api/v1/users/").json()["count"] == 2
    events = api.get("/api/v1/audit-events/", {"action": "api."}).json()
    assert [e["action"] for e in events["results"]] == ["api.test"]


@pytest.mark.django_db
def test_schema_and_docs(client, admin_user):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/org-units/" in schema.content
    client.force_login(admin_user)
    assert client.get("/api/docs/").status_code == 200
