import os
import secrets
import subprocess
import sys
from io import StringIO

from django.core.management import call_command

import pytest

from yorisou.accounts.models import OrgUnit, User
from yorisou.conf.env import email_settings


def test_email_url_parsing(tmp_path):
    smtp = email_settings("smtp://u%40x:p@mail.example.jp:587?tls=1", tmp_path)
    assert smtp["EMAIL_HOST"] == "mail.example.jp"
    assert smtp["EMAIL_PORT"] == 587
    assert smtp["EMAIL_HOST_USER"] == "u@x"
    assert smtp["EMAIL_USE_TLS"] is True
    default = email_settings("", tmp_path)
    assert default["EMAIL_FILE_PATH"] == str(tmp_path / "mail")


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DJANGO_SETTINGS_MODULE": "yorisou.conf.production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "FIELD_ENCRYPTION_KEYS": "zQ6yO3oXb8cJ1WwQ0m1l3cUe2dH3m4dYkqW1xQm9ZkQ=",
        "ALLOWED_HOSTS": "city.example.jp",
        "YORISOU_VAR_DIR": str(tmp_path),
    }
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "yorisou",
            "check",
            "--deploy",
            "--fail-level",
            "WARNING",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_secret_key(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env.update(
        DJANGO_SETTINGS_MODULE="yorisou.conf.production", YORISOU_VAR_DIR=str(tmp_path)
    )
    result = subprocess.run(
        [sys.executable, "-m", "yorisou", "check"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


@pytest.mark.django_db
def test_load_demo_is_idempotent_and_prints_one_login_per_role():
    out = StringIO()
    call_command("load_demo", stdout=out)
    units, users = OrgUnit.objects.count(), User.objects.count()
    call_command("load_demo", stdout=StringIO())
    assert (OrgUnit.objects.count(), User.objects.count()) == (units, users)
    assert units > 200
    assert users == 14
    for username in (
        "kaigo",
        "kumin",
        "aso",
        "kikuchi",
        "yatsushiro",
        "citizen",
        "staff",
        "reformlead",
        "reformoffice",
        "procedures",
        "dispatcher",
        "fireunit",
        "faqeditor",
        "admin",
    ):
        assert f"  {username} / yorisou-demo" in out.getvalue() or (
            f"{username} / yorisou-demo" in out.getvalue()
        )
    assert OrgUnit.objects.filter(is_sample=False).count() == 0


def test_console_script_hands_off_to_django():
    result = subprocess.run(
        [sys.executable, "-m", "yorisou", "help"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0
    for command in ("serve", "load_demo", "audit_verify"):
        assert command in result.stdout
