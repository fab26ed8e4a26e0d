"""Services of online applications: drafts, idempotent submission, the
transition map and who may take each step, corrections, deferred work, files,
exports."""

from typing import Any

from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import QueryDict

import pytest

from yorisou.core import dates
from yorisou.core.models import AuditEvent
from yorisou.eforms import selectors, services
from yorisou.eforms.constants import TRANSITIONS, State
from yorisou.eforms.models import Application, ApplicationStatus
from yorisou.eforms.tests.conftest import GOOD

pytestmark = pytest.mark.django_db

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06"
    b"\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01"
    b"\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


def _post(**values: Any) -> QueryDict:
    query = QueryDict(mutable=True)
    for key, value in values.items():
        query[key] = str(value)
    return query


def _submit(form: Any, user: Any, key: str = "key-00000001", **changes: Any) -> Any:
    application, _created = services.application_submit_data(
        actor=user,
        definition=form,
        data={**GOOD, **changes},
        idempotency_key=key,
        assurance="account",
    )
    return application


def test_draft_steps_then_submit_once(
    form: Any, applicant: Any, django_capture_on_commit_callbacks: Any
) -> None:
    draft = services.application_start(
        actor=applicant, definition=form, assurance="account"
    )
    # a second start (another device) resumes the same draft
    assert (
        services.application_start(
            actor=applicant, definition=form, assurance="account"
        )
        == draft
    )
    bad = services.application_save_step(
        actor=applicant,
        application=draft,
        step="applicant",
        post=_post(
            name="熊本 太郎", birthdate="令和2年13月1日", my_number="123456789019"
        ),
    )
    assert not bad.valid and {"birthdate", "my_number"} <= set(bad.errors)
    good = services.application_save_step(
        actor=applicant,
        application=draft,
        step="applicant",
        post=_post(
            name="熊本 太郎", birthdate="平成2年4月1日", my_number="1234 5678 9018"
        ),
    )
    assert good.valid, good.errors
    draft.refresh_from_db()
    # My Number is kept apart, encrypted, never in the answers
    assert "123456789018" not in str(draft.data) and "123456789018" not in draft.secrets
    assert draft.secrets
    services.application_save_step(
        actor=applicant, application=draft, step="request", post=_post(copies="3")
    )
    with django_capture_on_commit_callbacks(execute=True):
        first = services.application_submit(
            actor=applicant, application=draft, assurance="account"
        )
        again = services.application_submit(
            actor=applicant, application=draft, assurance="account"
        )
    assert first.pk == again.pk and first.reference == again.reference
    assert first.state == State.RECEIVED
    assert first.computed.get("fee") == 900
    assert first.due_on == dates.add_business_days(first.submitted_at.date(), 5)
    assert Application.objects.count() == 1
    assert ApplicationStatus.objects.filter(application=first).count() == 1
    # the receipt was built and mailed once, with the PDF
    first.refresh_from_db()
    assert first.receipt and first.receipt_sent_at is not None
    assert len(mail.outbox) == 1 and first.reference in mail.outbox[0].subject
    assert mail.outbox[0].attachments[0][2] == "application/pdf"
    assert "123456789018" not in mail.outbox[0].body
    services.receipt_send(application_id=first.pk)
    assert len(mail.outbox) == 1
    assert AuditEvent.objects.filter(action="eforms.application.submit").count() == 1


def test_submission_is_checked_again_on_the_server(form: Any, applicant: Any) -> None:
    draft = services.application_start(
        actor=applicant, definition=form, assurance="account"
    )
    with pytest.raises(ValidationError) as error:
        services.application_submit(
            actor=applicant, application=draft, assurance="account"
        )
    assert "name" in error.value.message_dict
    draft.refresh_from_db()
    assert draft.state == State.DRAFT and draft.reference is None


def test_idempotency_key_makes_one_application(
    form: Any, applicant: Any, other_citizen: Any
) -> None:
    first = _submit(form, applicant, "same-key-123")
    second, created = services.application_submit_data(
        actor=applicant,
        definition=form,
        data=GOOD,
        idempotency_key="same-key-123",
        assurance="account",
    )
    assert not created and second.pk == first.pk
    # another person's key space is their own
    theirs = _submit(form, other_citizen, "same-key-123")
    assert theirs.pk != first.pk
    assert Application.objects.count() == 2
    with pytest.raises(ValidationError) as error:
        _submit(form, applicant, "k")
    assert "idempotency_key" in error.value.message_dict


def test_bad_answers_change_nothing(form: Any, applicant: Any) -> None:
    with pytest.raises(ValidationError) as error:
        _submit(form, applicant, my_number="123456789019", copies=0)
    assert {"my_number", "copies"} <= set(error.value.message_dict)
    assert Application.objects.count() == 0


def test_assurance_is_required(form: Any, applicant: Any, officer: Any) -> None:
    services.form_definition_save(
        actor=officer,
        procedure=form.procedure,
        slug=form.slug,
        section=form.section,
        assurance="mynumber",
        sla_days=5,
        is_open=True,
    )
    form.refresh_from_db()
    with pytest.raises(PermissionDenied):
        services.application_start(
            actor=applicant, definition=form, assurance="account"
        )
    assert services.application_start(
        actor=applicant, definition=form, assurance="mynumber"
    )


def test_workflow_with_correction(
    form: Any,
    applicant: Any,
    officer: Any,
    other_officer: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    application = _submit(form, applicant)
    with pytest.raises(PermissionDenied):
        services.application_transition(
            actor=other_officer, application=application, action="start_review"
        )
    with pytest.raises(PermissionDenied):
        services.application_transition(
            actor=applicant, application=application, action="start_review"
        )
    services.application_transition(
        actor=officer, application=application, action="start_review"
    )
    # the same click again is a no-op
    services.application_transition(
        actor=officer, application=application, action="start_review"
    )
    with pytest.raises(ValidationError) as error:
        services.application_transition(
            actor=officer, application=application, action="request_correction"
        )
    assert "reason" in error.value.message_dict
    with pytest.raises(ValidationError):
        services.application_transition(
            actor=officer,
            application=application,
            action="request_correction",
            reason="通数をご確認ください。",
            flagged=["nonexistent"],
        )
    with django_capture_on_commit_callbacks(execute=True):
        services.application_transition(
            actor=officer,
            application=application,
            action="request_correction",
            reason="通数をご確認ください。",
            flagged=["copies"],
        )
    application.refresh_from_db()
    assert application.state == State.CORRECTION
    assert any(
        "補正" in m.subject or application.reference in m.subject for m in mail.outbox
    )
    # the applicant may change only the flagged answer
    services.application_save_step(
        actor=applicant,
        application=application,
        step="applicant",
        post=_post(name="別人", birthdate="1990-04-01", my_number="123456789018"),
    )
    services.application_save_step(
        actor=applicant, application=application, step="request", post=_post(copies="1")
    )
    application.refresh_from_db()
    assert application.data["name"] == "熊本 太郎" and application.data["copies"] == 1
    services.application_transition(
        actor=applicant, application=application, action="resubmit"
    )
    application.refresh_from_db()
    assert application.state == State.REVIEWING and application.flagged_fields == []
    with pytest.raises(ValidationError):
        services.application_transition(
            actor=officer, application=application, action="reject"
        )
    services.application_transition(
        actor=officer, application=application, action="approve"
    )
    services.application_transition(
        actor=officer, application=application, action="complete"
    )
    application.refresh_from_db()
    assert application.state == State.COMPLETED and application.closed_at
    history = [s.to_state for s in application.statuses.order_by("seq")]
    assert history == [
        "received",
        "reviewing",
        "correction",
        "reviewing",
        "approved",
        "completed",
    ]
    with pytest.raises(ValidationError):
        services.application_transition(
            actor=applicant, application=application, action="withdraw"
        )


def test_every_transition_names_real_states() -> None:
    for transition in TRANSITIONS.values():
        assert transition.target in State.values
        assert transition.sources <= set(State.values)


def test_stale_revision_is_refused(form: Any, applicant: Any, officer: Any) -> None:
    application = _submit(form, applicant)
    stale = application.revision
    services.application_transition(
        actor=officer, application=application, action="start_review"
    )
    with pytest.raises(ValidationError):
        services.application_transition(
            actor=officer, application=application, action="approve", revision=stale
        )


def test_withdraw_before_decision(
    form: Any, applicant: Any, other_citizen: Any
) -> None:
    application = _submit(form, applicant)
    with pytest.raises(PermissionDenied):
        services.application_transition(
            actor=other_citizen, application=application, action="withdraw"
        )
    services.application_transition(
        actor=applicant, application=application, action="withdraw"
    )
    application.refresh_from_db()
    assert application.state == State.WITHDRAWN


def test_nobody_reads_another_application(
    form: Any, applicant: Any, other_citizen: Any, officer: Any, other_officer: Any
) -> None:
    application = _submit(form, applicant)
    assert selectors.application_get(actor=applicant, pk=application.pk)
    assert selectors.application_get(actor=officer, pk=application.pk)
    for intruder in (other_citizen, other_officer):
        with pytest.raises(Application.DoesNotExist):
            selectors.application_get(actor=intruder, pk=application.pk)
    assert list(selectors.inbox(actor=officer)) == [application]
    assert list(selectors.inbox(actor=other_officer)) == []
    with pytest.raises(PermissionDenied):
        selectors.inbox(actor=applicant)
    # a draft is the citizen's alone
    draft = services.application_start(
        actor=other_citizen, definition=form, assurance="account"
    )
    with pytest.raises(Application.DoesNotExist):
        selectors.application_get(actor=officer, pk=draft.pk)


def test_files_are_checked_kept_and_guarded(
    form: Any,
    applicant: Any,
    other_citizen: Any,
    officer: Any,
    settings: Any,
    tmp_path: Any,
) -> None:
    settings.PRIVATE_FILES_ROOT = tmp_path
    draft = services.application_start(
        actor=applicant, definition=form, assurance="account"
    )
    reference = services.attachment_store(
        actor=applicant,
        application=draft,
        field="name",
        upload=SimpleUploadedFile("写真.png", PNG, content_type="image/png"),
    )
    assert reference["type"] == "image/png"
    with pytest.raises(ValidationError):
        services.attachment_store(
            actor=applicant,
            application=draft,
            field="name",
            upload=SimpleUploadedFile(
                "evil.pdf",
                b"<html><script>x</script></html>",
                content_type="application/pdf",
            ),
        )
    with pytest.raises(PermissionDenied):
        services.attachment_store(
            actor=other_citizen,
            application=draft,
            field="name",
            upload=SimpleUploadedFile("a.png", PNG),
        )
    pk = reference["attachment"]
    assert selectors.attachment_get(actor=applicant, pk=pk)
    from yorisou.eforms.models import Attachment

    for intruder in (other_citizen, officer):  # staff see no drafts
        with pytest.raises(Attachment.DoesNotExist):
            selectors.attachment_get(actor=intruder, pk=pk)


def test_deferred_work_pushes_volumes_to_procedures_and_kpis(
    form: Any, applicant: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from yorisou.procedures.models import MonthlyVolume, ProcedureVolume

    with django_capture_on_commit_callbacks(execute=True):
        first = _submit(form, applicant, "k-00000001")
    with django_capture_on_commit_callbacks(execute=True):
        _submit(form, applicant, "k-00000002")
    month = MonthlyVolume.objects.get(procedure=form.procedure)
    assert month.cases == 2 and month.channel == "online"
    fy = dates.fiscal_year(first.submitted_at.date())
    assert (
        ProcedureVolume.objects.get(
            procedure=form.procedure, fiscal_year=fy, channel="online"
        ).cases
        == 2
    )
    # running the task again changes nothing
    services.volumes_publish(application_id=first.pk)
    assert MonthlyVolume.objects.get(procedure=form.procedure).cases == 2


def test_export_masks_my_number_and_neutralises_formulas(
    form: Any,
    applicant: Any,
    officer: Any,
    settings: Any,
    tmp_path: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.PRIVATE_FILES_ROOT = tmp_path
    _submit(form, applicant, name="=HYPERLINK(1)")
    with django_capture_on_commit_callbacks(execute=True):
        export = services.export_request(
            actor=officer, definition=form, fmt="csv", states=[]
        )
    export.refresh_from_db()
    text = export.file.read().decode("utf-8-sig")
    assert export.rows == 1 and "123456789018" not in text
    assert "'=HYPERLINK(1)" in text
    with pytest.raises(PermissionDenied):
        services.export_request(actor=applicant, definition=form, fmt="csv", states=[])


def test_published_versions_never_change(form: Any, officer: Any) -> None:
    from yorisou.eforms.tests.conftest import DEFINITION

    published = form.current_version
    changed = {**DEFINITION, "title": {"ja": "改訂", "en": "Revised"}}
    draft = services.form_version_save(actor=officer, definition=form, schema=changed)
    assert draft.pk != published.pk and draft.number == published.number + 1
    published.refresh_from_db()
    assert published.schema["title"]["ja"] == "テスト申請書"
    with pytest.raises(ValidationError):
        services.form_version_save(
            actor=officer, definition=form, schema={"steps": "nope"}
        )


def test_messages_and_internal_comments(
    form: Any, applicant: Any, officer: Any, django_capture_on_commit_callbacks: Any
) -> None:
    application = _submit(form, applicant)
    services.message_send(
        actor=officer, application=application, body="内部メモ", internal=True
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.message_send(
            actor=officer, application=application, body="ご確認ください"
        )
    services.message_send(actor=applicant, application=application, body="了解しました")
    seen_by_applicant = [
        m.body for m in selectors.message_list(actor=applicant, application=application)
    ]
    assert seen_by_applicant == ["ご確認ください", "了解しました"]
    assert len(selectors.message_list(actor=officer, application=application)) == 3
    with pytest.raises(ValidationError):
        services.message_send(actor=applicant, application=application, body="  ")


def test_only_unchanged_card_answers_count_as_verified(
    form: Any, applicant: Any
) -> None:
    from yorisou.eforms import formschema

    schema = formschema.FormSchema(form.current_version.schema)
    claims = {"name": "熊本 太郎", "birthdate": "1990-04-01"}
    assert services.verified_paths(schema, {"name": "熊本 太郎"}, claims) == ["name"]
    assert services.verified_paths(schema, {"name": "別人"}, claims) == []
    draft = services.application_start(
        actor=applicant, definition=form, assurance="mynumber"
    )
    services.application_save_step(
        actor=applicant,
        application=draft,
        step="applicant",
        post=_post(name="熊本 太郎", birthdate="1990-04-01", my_number="123456789018"),
    )
    services.application_save_step(
        actor=applicant, application=draft, step="request", post=_post(copies="1")
    )
    submitted = services.application_submit(
        actor=applicant, application=draft, assurance="mynumber", claims=claims
    )
    assert submitted.verified == ["name"]
