import io

from django.core import mail
from django.test import override_settings
from django.urls import reverse

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from yorisou.accounts.models import OrgUnit
from yorisou.accounts.tests.factories import TEST_PASSWORD
from yorisou.core.constants import Role
from yorisou.core.models import AuditEvent, SiteConfiguration


def _login(client, username, password=TEST_PASSWORD):
    return client.post(
        reverse("accounts:login"), {"username": username, "password": password}
    )


@pytest.mark.django_db
def test_sign_in_lands_on_role_home_with_role_menu(client, admin_user):
    response = _login(client, "sysadmin")
    assert response.status_code == 302
    page = client.get("/").content.decode()
    assert 'data-menu="core.audit"' in page
    assert 'data-menu="accounts.org_import"' in page
    assert AuditEvent.objects.filter(action="accounts.user.sign_in").count() == 1


@pytest.mark.django_db
def test_menu_shows_only_what_roles_allow(client, staff_user, citizen):
    client.force_login(staff_user)
    page = client.get("/").content.decode()
    assert 'data-menu="accounts.org_tree"' in page
    assert 'data-menu="core.audit"' not in page
    client.force_login(citizen)
    page = client.get("/").content.decode()
    assert 'data-menu="accounts.org_tree"' not in page
    assert client.get(reverse("accounts:org_tree")).status_code == 403
    assert client.get("/admin/").status_code == 302


@pytest.mark.django_db
def test_home_is_japanese_by_default_and_english_when_switched(client, staff_user):
    client.force_login(staff_user)
    assert 'lang="ja"' in client.get("/").content.decode()
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.cookies["yorisou_language"].value == "en"
    page = client.get("/").content.decode()
    assert 'lang="en"' in page
    assert "Your roles" in page


@pytest.mark.django_db
def test_wrong_passwords_lock_sign_in(client, staff_user):
    for _ in range(5):
        _login(client, "clerk", "wrong-password")
    response = _login(client, "clerk")  # right password, but locked now
    assert response.status_code == 429
    assert "accounts/locked.html" in [t.name for t in response.templates]


@pytest.mark.django_db
def test_password_reset_by_email(client, staff_user):
    client.post(reverse("accounts:password_reset"), {"email": staff_user.email})
    assert len(mail.outbox) == 1
    link = next(line for line in mail.outbox[0].body.splitlines() if "/reset/" in line)
    path = link.split("testserver", 1)[1]
    response = client.get(path, follow=True)
    new = "brand-new-pass-2026"
    response = client.post(
        response.redirect_chain[-1][0],
        {"new_password1": new, "new_password2": new},
    )
    assert response.status_code == 302
    staff_user.refresh_from_db()
    assert staff_user.check_password(new)
    assert AuditEvent.objects.filter(action="accounts.user.password_change").exists()


@pytest.mark.django_db
def test_password_change_form_errors_change_nothing(client, staff_user):
    client.force_login(staff_user)
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": "wrong", "new_password1": "a", "new_password2": "b"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors
    staff_user.refresh_from_db()
    assert staff_user.check_password(TEST_PASSWORD)


@pytest.mark.django_db
def test_two_factor_setup_then_required_at_sign_in(client, staff_user):
    client.force_login(staff_user)
    client.get(reverse("accounts:two_factor_setup"))
    device = TOTPDevice.objects.get(user=staff_user)
    response = client.post(
        reverse("accounts:two_factor_setup"), {"otp_token": "000000"}
    )
    assert "otp_token" in response.context["form"].errors
    device.refresh_from_db()
    device.throttle_reset()  # django-otp slows retries after a wrong code
    code = f"{totp(device.bin_key):06d}"
    response = client.post(reverse("accounts:two_factor_setup"), {"otp_token": code})
    assert response.status_code == 302
    client.logout()
    _login(client, "clerk")
    response = client.get("/")
    assert response.url == reverse("accounts:two_factor_verify")
    device.refresh_from_db()
    device.last_t = -1
    device.save()
    client.post(
        reverse("accounts:two_factor_verify"),
        {"otp_token": f"{totp(device.bin_key):06d}"},
    )
    assert client.get("/").status_code == 200


@pytest.mark.django_db
def test_mandatory_two_factor_sends_staff_to_setup(client, staff_user, citizen):
    SiteConfiguration.objects.create(id=1, require_staff_two_factor=True)
    client.force_login(staff_user)
    assert client.get("/").url == reverse("accounts:two_factor_setup")
    client.force_login(citizen)
    assert client.get("/").status_code == 200


@pytest.mark.django_db
def test_org_import_page_lists_errors_with_400(client, admin_user, org):
    client.force_login(admin_user)
    upload = io.BytesIO(
        b"code,parent_code,level,name_ja,name_en,sort_order\n1,,nope,,,\n"
    )
    upload.name = "org.csv"
    response = client.post(reverse("accounts:org_import"), {"file": upload})
    assert response.status_code == 400
    assert len(response.context["result"].errors) == 2


@pytest.mark.django_db
def test_org_import_page_rejects_other_file_types(client, admin_user):
    client.force_login(admin_user)
    upload = io.BytesIO(b"hello")
    upload.name = "org.txt"
    response = client.post(reverse("accounts:org_import"), {"file": upload})
    assert response.context["form"].errors["file"]


@pytest.mark.django_db
def test_admin_screens_save_through_services(client, admin_user, org):
    client.force_login(admin_user)
    url = reverse("admin:accounts_orgunit_change", args=[org["reform"].pk])
    response = client.post(
        url,
        {
            "code": "202010",
            "name": "改革推進課",
            "name_en": "Reform Section",
            "level": "section",
            "parent": org["admin_dept"].pk,
            "sort_order": 1,
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert OrgUnit.objects.get(code="202010").name == "改革推進課"
    event = AuditEvent.objects.get(action="accounts.org_unit.update")
    assert event.changes["name"] == ["改革プロジェクト推進課", "改革推進課"]


@pytest.mark.django_db
@override_settings(LANGUAGE_CODE="en")
def test_staff_without_role_cannot_open_admin(client, staff_user):
    client.force_login(staff_user)
    assert client.get("/admin/accounts/orgunit/").status_code == 302
    assert Role.SYSTEM_ADMIN  # the admin needs this role


@pytest.mark.django_db
def test_sign_in_page_names_the_site_not_the_host(client, settings):
    # Django's LoginView puts the request's host into ``site_name``; the page
    # title and the header keep the configured name.
    page = client.get(reverse("accounts:login"), HTTP_ACCEPT_LANGUAGE="ja").content
    text = page.decode()
    name = settings.YORISOU["SITE_NAME"]
    assert f"<title>ログイン | {name}</title>" in text
    assert f"<span>{name}</span>" in text
    assert "testserver" not in text
