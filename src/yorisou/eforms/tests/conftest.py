"""Fixtures of the online application tests: a small published form in
障がい保健福祉課, a citizen, an officer of that section and one of another."""

from typing import Any

import pytest

from yorisou.core.constants import Role
from yorisou.core.tests.test_multiprocess import components

__all__ = ["components"]

DEFINITION: dict[str, Any] = {
    "schema": 1,
    "title": {"ja": "テスト申請書", "en": "Test application"},
    "steps": [
        {
            "key": "applicant",
            "title": {"ja": "申請者", "en": "Applicant"},
            "fields": [
                {
                    "key": "name",
                    "type": "text",
                    "label": {"ja": "氏名", "en": "Name"},
                    "required": True,
                    "prefill": "name",
                },
                {
                    "key": "birthdate",
                    "type": "date",
                    "label": {"ja": "生年月日", "en": "Date of birth"},
                    "required": True,
                },
                {
                    "key": "my_number",
                    "type": "mynumber",
                    "label": {"ja": "個人番号", "en": "My Number"},
                    "required": True,
                },
            ],
        },
        {
            "key": "request",
            "title": {"ja": "請求内容", "en": "Request"},
            "fields": [
                {
                    "key": "copies",
                    "type": "number",
                    "label": {"ja": "通数", "en": "Copies"},
                    "required": True,
                    "min": 1,
                    "max": 10,
                },
                {
                    "key": "document",
                    "type": "file",
                    "label": {"ja": "添付書類", "en": "Document"},
                    "max": 2,
                },
                {
                    "key": "fee",
                    "type": "computed",
                    "label": {"ja": "手数料", "en": "Fee"},
                    "expression": {"*": [{"var": "copies"}, 300]},
                    "unit": "円",
                },
            ],
        },
    ],
}

GOOD = {
    "name": "熊本 太郎",
    "birthdate": "1990-04-01",
    "my_number": "123456789018",
    "copies": 2,
}


@pytest.fixture
def officer(make_user: Any, org: dict[str, Any]) -> Any:
    return make_user(
        Role.PROCEDURE_OFFICER,
        org_unit=org["disability"],
        scope=org["disability"],
        username="officer",
        email="officer@example.jp",
    )


@pytest.fixture
def other_officer(make_user: Any, org: dict[str, Any]) -> Any:
    return make_user(
        Role.PROCEDURE_OFFICER,
        org_unit=org["info"],
        scope=org["info"],
        username="otherofficer",
    )


@pytest.fixture
def applicant(make_user: Any) -> Any:
    return make_user(Role.CITIZEN, username="taro", email="taro@example.jp")


@pytest.fixture
def other_citizen(make_user: Any) -> Any:
    return make_user(Role.CITIZEN, username="jiro", email="jiro@example.jp")


@pytest.fixture
def form(org: dict[str, Any], officer: Any) -> Any:
    """A published, open form of a procedure of 障がい保健福祉課."""
    from yorisou.eforms import services
    from yorisou.procedures.tests.factories import ProcedureFactory

    procedure = ProcedureFactory(
        org_unit=org["disability"], name="テスト証明書の交付請求"
    )
    definition = services.form_definition_save(
        actor=officer,
        procedure=procedure,
        slug="test-form",
        section=org["disability"],
        assurance="account",
        sla_days=5,
    )
    version = services.form_version_save(
        actor=officer, definition=definition, schema=DEFINITION, note="first"
    )
    services.form_version_publish(actor=officer, version=version)
    return services.form_definition_save(
        actor=officer,
        procedure=procedure,
        slug="test-form",
        section=org["disability"],
        assurance="account",
        sla_days=5,
        is_open=True,
    )
