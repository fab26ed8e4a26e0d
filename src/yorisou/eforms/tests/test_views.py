"""Screens of online applications without JavaScript: the citizen's journey, the
back office, the builder, the API; ids reveal nothing; constant query counts."""

from typing import Any

from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

import pytest

from yorisou.eforms import services
from yorisou.eforms.models import Application
from yorisou.eforms.tests.conftest import GOOD

pytestmark = pytest.mark.django_db


def _submit(form: Any, user: Any, key: str) -> Application:
    application, _created = services.application_submit_data(
        actor=user, definition=form, data=GOOD, idempotency_key=key, assurance="account"
    )
    return application


def test_citizen_journey_without_javascript(
    client: Any, form: Any, applicant: Any, django_capture_on_commit_callbacks: Any
) -> None:
    portal = client.get(reverse("eforms:portal"))
    assert portal.status_code == 200 and "テスト申請書" in portal.content.decode()
    # not signed in: starting sends the citizen to sign in and back
    start = client.post(reverse("eforms:form_start", kwargs={"slug": "test-form"}))
    assert start.status_code == 302 and "/accounts/login/" in start["Location"]
    client.force_login(applicant)
    session = client.session
    session["yorisou_assurance"] = "account"
    session.save()
    start = client.post(reverse("eforms:form_start", kwargs={"slug": "test-form"}))
    assert start.status_code == 302
    draft = Application.objects.get(applicant=applicant)
    step1 = reverse("eforms:step", kwargs={"pk": draft.pk, "step": "applicant"})
    assert start["Location"] == step1
    page = client.get(step1)
    assert 'name="birthdate"' in page.content.decode()
    bad = client.post(
        step1, {"name": "", "birthdate": "x", "my_number": "1", "action": "next"}
    )
    assert bad.status_code == 400
    assert "field--error" in bad.content.decode()
    ok = client.post(
        step1,
        {
            "name": "熊本 太郎",
            "birthdate": "令和元年5月1日",
            "my_number": "123456789018",
            "action": "next",
        },
    )
    assert ok["Location"].endswith("/step/request/")
    ok = client.post(ok["Location"], {"copies": "2", "action": "next"})
    review = reverse("eforms:review", kwargs={"pk": draft.pk})
    assert ok["Location"] == review
    text = client.get(review).content.decode()
    assert "熊本 太郎" in text and "123456789018" not in text and "600" in text
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(review)
        again = client.post(review)  # a double click
    assert done.status_code == 302 and again.status_code == 302
    assert Application.objects.filter(applicant=applicant).count() == 1
    draft.refresh_from_db()
    assert draft.state == "received" and draft.reference
    page = client.get(done["Location"]).content.decode()
    assert draft.reference in page
    mine = client.get(reverse("eforms:mine")).content.decode()
    assert draft.reference in mine
    receipt = client.get(reverse("eforms:receipt", kwargs={"pk": draft.pk}))
    assert receipt.status_code == 200
    assert b"".join(receipt.streaming_content)[:4] == b"%PDF"
    assert len(mail.outbox) == 1


def test_ids_reveal_nothing(
    client: Any, form: Any, applicant: Any, other_citizen: Any, other_officer: Any
) -> None:
    application = _submit(form, applicant, "key-0000001")
    for user in (other_citizen, other_officer):
        client.force_login(user)
        for name in ("mine_detail", "receipt", "review", "correct"):
            url = reverse(f"eforms:{name}", kwargs={"pk": application.pk})
            assert client.get(url).status_code == 404, (user, name)
        assert client.get(
            reverse("eforms:case", kwargs={"pk": application.pk})
        ).status_code in (403, 404)


def test_back_office_case_and_correction(
    client: Any,
    form: Any,
    applicant: Any,
    officer: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    application = _submit(form, applicant, "key-0000002")
    client.force_login(officer)
    inbox = client.get(reverse("eforms:inbox")).content.decode()
    assert application.reference in inbox
    case = client.get(reverse("eforms:case", kwargs={"pk": application.pk}))
    assert case.status_code == 200 and "123456789018" not in case.content.decode()
    act = reverse("eforms:case_action", kwargs={"pk": application.pk})
    client.post(act, {"action": "start_review"})
    refused = client.post(act, {"action": "request_correction", "flagged": ["copies"]})
    assert refused.status_code == 302
    application.refresh_from_db()
    assert application.state == "reviewing"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            act,
            {
                "action": "request_correction",
                "flagged": ["copies"],
                "reason": "通数をご確認ください。",
            },
        )
    application.refresh_from_db()
    assert application.state == "correction"
    reveal = client.post(reverse("eforms:case_reveal", kwargs={"pk": application.pk}))
    assert "123456789018" in reveal.content.decode()
    from yorisou.core.models import AuditEvent

    assert AuditEvent.objects.filter(
        action="eforms.application.reveal_mynumber"
    ).exists()
    client.force_login(applicant)
    detail = client.get(reverse("eforms:mine_detail", kwargs={"pk": application.pk}))
    assert "通数をご確認ください。" in detail.content.decode()
    step = reverse("eforms:step", kwargs={"pk": application.pk, "step": "request"})
    client.post(step, {"copies": "1", "action": "next"})
    client.post(reverse("eforms:correct", kwargs={"pk": application.pk}))
    application.refresh_from_db()
    assert application.state == "reviewing" and application.data["copies"] == 1


def test_inbox_query_count_is_constant(
    client: Any, form: Any, applicant: Any, officer: Any
) -> None:
    client.force_login(officer)
    url = reverse("eforms:inbox")
    _submit(form, applicant, "key-1000000")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for n in range(10):
        _submit(form, applicant, f"key-2{n:06d}")
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


def test_api_submit_is_idempotent_and_reports_field_errors(
    client: Any, form: Any, applicant: Any, officer: Any
) -> None:
    client.force_login(applicant)
    url = "/api/v1/applications/"
    body = {"form": "test-form", "data": GOOD}
    first = client.post(
        url, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="abcdefgh-1"
    )
    assert first.status_code == 201, first.content
    again = client.post(
        url, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="abcdefgh-1"
    )
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    bad = client.post(
        url,
        {"form": "test-form", "data": {**GOOD, "my_number": "123"}},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="abcdefgh-2",
    )
    assert bad.status_code == 400 and "my_number" in bad.json()
    assert Application.objects.count() == 1
    listing = client.get(url).json()
    assert "123456789018" not in str(listing)
    assert client.get("/api/v1/office/applications/").status_code == 403
    client.force_login(officer)
    pk = first.json()["id"]
    moved = client.post(
        f"/api/v1/office/applications/{pk}/transition/",
        {"action": "start_review"},
        content_type="application/json",
    )
    assert moved.status_code == 200 and moved.json()["state"] == "reviewing"
    wrong = client.post(
        f"/api/v1/office/applications/{pk}/transition/",
        {"action": "reject"},
        content_type="application/json",
    )
    assert wrong.status_code == 400 and "reason" in wrong.json()


def test_builder_preview_publish_and_json_round_trip(
    client: Any, form: Any, officer: Any, applicant: Any
) -> None:
    import json

    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(officer)
    edit = reverse("eforms:builder_edit", kwargs={"slug": "test-form"})
    page = client.get(edit).content.decode()
    assert "テスト申請書" in page and 'id="preview"' in page
    exported = client.get(
        reverse("eforms:builder_export", kwargs={"slug": "test-form", "number": 1})
    )
    schema = json.loads(exported.content)
    schema["title"]["ja"] = "テスト申請書（改訂）"
    client.post(
        reverse("eforms:builder_import", kwargs={"slug": "test-form"}),
        {"file": SimpleUploadedFile("f.json", json.dumps(schema).encode())},
    )
    client.post(
        reverse("eforms:builder_publish", kwargs={"slug": "test-form", "number": 2})
    )
    form.refresh_from_db()
    assert form.current_version.number == 2
    broken = client.post(
        reverse("eforms:builder_import", kwargs={"slug": "test-form"}),
        {"file": SimpleUploadedFile("f.json", b'{"steps": 3}')},
    )
    assert broken.status_code == 302 and form.versions.count() == 2
    preview = client.post(
        reverse("eforms:builder_preview", kwargs={"slug": "test-form"}),
        {"schema": "{nope"},
    )
    assert "JSON" in preview.content.decode()
    client.force_login(applicant)
    assert client.get(edit).status_code in (403, 404)


def test_documents_upload_through_the_step_and_stay_private(
    client: Any,
    form: Any,
    applicant: Any,
    other_citizen: Any,
    officer: Any,
    settings: Any,
    tmp_path: Any,
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from yorisou.eforms.models import Attachment
    from yorisou.eforms.tests.test_services import PNG

    settings.PRIVATE_FILES_ROOT = tmp_path
    client.force_login(applicant)
    draft = services.application_start(
        actor=applicant, definition=form, assurance="account"
    )
    step = reverse("eforms:step", kwargs={"pk": draft.pk, "step": "request"})
    refused = client.post(
        step,
        {
            "copies": "1",
            "document": SimpleUploadedFile("a.pdf", b"<html>no</html>"),
            "action": "next",
        },
    )
    assert refused.status_code == 400 and Attachment.objects.count() == 0
    done = client.post(
        step,
        {
            "copies": "1",
            "document": SimpleUploadedFile("写真.png", PNG, content_type="image/png"),
            "action": "next",
        },
    )
    assert done.status_code == 302, done.content.decode()[:2000]
    attachment = Attachment.objects.get()
    assert not str(attachment.file.path).startswith(str(settings.MEDIA_ROOT))
    review = client.get(reverse("eforms:review", kwargs={"pk": draft.pk}))
    assert "写真.png" in review.content.decode()
    url = reverse("eforms:attachment", kwargs={"pk": attachment.pk})
    got = client.get(url)
    assert got.status_code == 200 and b"".join(got.streaming_content) == PNG
    assert got["Content-Disposition"].startswith("attachment")
    for intruder in (other_citizen, officer):  # a draft: not even the section
        client.force_login(intruder)
        assert client.get(url).status_code == 404
    from yorisou.core.models import AuditEvent

    assert AuditEvent.objects.filter(action="eforms.attachment.open").count() == 1
