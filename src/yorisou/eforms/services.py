"""Writes of online applications: forms and their versions, drafts, submission,
the back-office workflow, messages and files. Every change is audited; side
effects (receipt, emails, statistics) are scheduled on commit.
"""

import logging
import uuid
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from yorisou.core import audit, bulk, crypto, dates, deferred
from yorisou.eforms import files, formschema, references, selectors
from yorisou.eforms.constants import (
    TRANSITIONS,
    Assurance,
    MessageKind,
    State,
    VersionState,
    Who,
)
from yorisou.eforms.models import (
    Application,
    ApplicationStatus,
    Attachment,
    FormDefinition,
    FormVersion,
    Message,
)

ASSURANCE_RANK = {Assurance.NONE: 0, Assurance.ACCOUNT: 1, Assurance.MYNUMBER: 2}

logger = logging.getLogger(__name__)


def _audit(actor: Any, action: str, target: Any, changes: dict[str, Any]) -> None:
    audit.record(actor=actor, action=f"eforms.{action}", target=target, changes=changes)


_PUBLISHED_SCHEMAS: dict[tuple[int, Any], "formschema.FormSchema"] = {}


def _schema(version: FormVersion) -> "formschema.FormSchema":
    """The parsed definition of a version; a published version never changes,
    so its parse is kept (per process, keyed by id and publication time)."""
    if version.published_at is None:
        return formschema.FormSchema(version.schema)
    key = (version.pk, version.published_at)
    parsed = _PUBLISHED_SCHEMAS.get(key)
    if parsed is None:
        if len(_PUBLISHED_SCHEMAS) > 500:
            _PUBLISHED_SCHEMAS.clear()
        parsed = _PUBLISHED_SCHEMAS[key] = formschema.FormSchema(version.schema)
    return parsed


def field_or_none(schema: Any, path: str) -> Any:
    """The field of ``schema`` at ``path``, or None for an unknown path."""
    try:
        return schema.field(path)
    except KeyError:
        return None


def assurance_satisfies(have: str, need: str) -> bool:
    """Whether a session's identity (none / account / mynumber) is enough."""
    rank = {str(key): value for key, value in ASSURANCE_RANK.items()}
    return rank.get(have, 0) >= rank.get(need, 0)


# --- form definitions and versions --------------------------------------------


def form_definition_save(
    *,
    actor: Any,
    procedure: Any,
    slug: str,
    section: Any,
    assurance: str = Assurance.ACCOUNT,
    sla_days: int = 10,
    is_open: bool = False,
    is_sample: bool = False,
) -> FormDefinition:
    """Create or change the online form of a procedure (form managers)."""
    if not selectors.can_manage_forms(actor, section):
        raise PermissionDenied
    if assurance not in Assurance.values:
        raise ValidationError({"assurance": _("Choose the identity needed.")})
    if not 1 <= sla_days <= 365:
        raise ValidationError({"sla_days": _("Enter between 1 and 365 business days.")})
    with transaction.atomic():
        definition = (
            FormDefinition.objects.select_for_update()
            .filter(procedure=procedure)
            .first()
        )
        created = definition is None
        if definition is None:
            before: dict[str, Any] = {}
            definition = FormDefinition(procedure=procedure)
        else:
            before = audit.snapshot(definition, _DEFINITION_FIELDS)
        if is_open and (created or definition.current_version_id is None):
            raise ValidationError(
                {"is_open": _("Publish a version before opening the form.")}
            )
        definition.slug = slug
        definition.section = section
        definition.assurance = assurance
        definition.sla_days = sla_days
        definition.is_open = is_open
        definition.is_sample = is_sample
        definition.full_clean(exclude=["procedure", "current_version"])
        definition.save()
        after = audit.snapshot(definition, _DEFINITION_FIELDS)
        changes = audit.diff(before, after)
        if changes:
            _audit(
                actor, "form.create" if created else "form.update", definition, changes
            )
    return definition


_DEFINITION_FIELDS = ["slug", "section", "assurance", "sla_days", "is_open"]


def _check_definition(schema: Any) -> None:
    problems = formschema.validate_definition(schema)
    errors = [p for p in problems if getattr(p, "severity", "error") == "error"]
    if errors:
        raise ValidationError(
            {
                "schema": [
                    f"{p.path}: {p.message}" if p.path else str(p.message)
                    for p in errors
                ]
            }
        )


def form_version_save(
    *, actor: Any, definition: FormDefinition, schema: Any, note: str = ""
) -> FormVersion:
    """Save the form's draft version (a new draft when none is open). Published
    versions never change."""
    if not selectors.can_manage_forms(actor, definition.section):
        raise PermissionDenied
    _check_definition(schema)
    with transaction.atomic():
        FormDefinition.objects.select_for_update().get(pk=definition.pk)
        draft = definition.versions.filter(state=VersionState.DRAFT).first()
        if draft is None:
            last = definition.versions.order_by("-number").first()
            draft = FormVersion.objects.create(
                definition=definition,
                number=(last.number + 1) if last else 1,
                schema=schema,
                note=note[:300],
                created_by=actor if getattr(actor, "pk", None) else None,
            )
            _audit(actor, "version.create", draft, {"number": [None, draft.number]})
            return draft
        if draft.schema == schema and draft.note == note[:300]:
            return draft
        draft.schema = schema
        draft.note = note[:300]
        draft.save(update_fields=["schema", "note"])
        _audit(actor, "version.update", draft, {"schema": ["…", "…"]})
    return draft


def form_version_publish(*, actor: Any, version: FormVersion) -> FormVersion:
    """Publish a draft version: it becomes immutable and new applications use it;
    the previous version is retired (applications keep theirs)."""
    definition = version.definition
    if not selectors.can_manage_forms(actor, definition.section):
        raise PermissionDenied
    with transaction.atomic():
        locked = FormVersion.objects.select_for_update().get(pk=version.pk)
        if locked.state == VersionState.PUBLISHED:
            return locked
        if locked.state != VersionState.DRAFT:
            raise ValidationError(_("Only a draft version can be published."))
        _check_definition(locked.schema)
        previous = definition.current_version_id
        FormVersion.objects.filter(
            definition=definition, state=VersionState.PUBLISHED
        ).update(state=VersionState.RETIRED)
        locked.state = VersionState.PUBLISHED
        locked.published_at = timezone.now()
        locked.published_by = actor if getattr(actor, "pk", None) else None
        locked.save(update_fields=["state", "published_at", "published_by"])
        FormDefinition.objects.filter(pk=definition.pk).update(current_version=locked)
        definition.current_version = locked
        _audit(
            actor,
            "version.publish",
            locked,
            {"current_version": [previous, locked.pk]},
        )
    return locked


# --- drafts -------------------------------------------------------------------


def application_start(
    *, actor: Any, definition: FormDefinition, assurance: str
) -> Application:
    """The actor's draft of the form: the one already started (on any device), or
    a new one on the published version."""
    if not getattr(actor, "is_authenticated", False):
        raise PermissionDenied
    if not definition.is_open or definition.current_version_id is None:
        raise ValidationError(_("This form does not take applications now."))
    if not assurance_satisfies(assurance, definition.assurance):
        raise PermissionDenied
    with transaction.atomic():
        existing = selectors.draft_for(actor=actor, definition=definition)
        if existing is not None:
            return existing
        version = definition.current_version
        assert version is not None
        first = _schema(version).step_keys[0]
        application = Application.objects.create(
            definition=definition,
            version=version,
            applicant=actor,
            section=definition.section,
            state=State.DRAFT,
            idempotency_key=uuid.uuid4().hex,
            current_step=first,
        )
        _audit(
            actor, "application.start", application, {"form": [None, definition.slug]}
        )
    return application


def _locked_own(actor: Any, application: Application) -> Application:
    locked = Application.objects.select_for_update().get(pk=application.pk)
    if not selectors.is_applicant(actor, locked):
        raise PermissionDenied
    return locked


def _full_data(application: Application) -> dict[str, Any]:
    secrets = crypto.decrypt_json(application.secrets) if application.secrets else {}
    return formschema.join_sensitive(application.data, secrets)


def _store_data(application: Application, schema: Any, data: dict[str, Any]) -> None:
    public, secrets = formschema.split_sensitive(schema, data)
    application.data = public
    application.secrets = crypto.encrypt_json(secrets) if secrets else ""
    application.computed = formschema.compute(schema, data)


def application_summary(
    *, actor: Any, application: Application, lang: str
) -> list[Any]:
    """The answers as label/value rows for the applicant or the section's staff,
    My Number masked."""
    if not selectors.may_read(actor, application):
        raise PermissionDenied
    schema = _schema(application.version)
    return list(formschema.summary(schema, _full_data(application), lang=lang))


def application_data(*, actor: Any, application: Application) -> dict[str, Any]:
    """The application's answers with My Number in clear, for the applicant's own
    form (the back office reads a masked summary instead)."""
    if not selectors.is_applicant(actor, application):
        raise PermissionDenied
    return _full_data(application)


def application_save_step(
    *,
    actor: Any,
    application: Application,
    step: str,
    post: Any,
    uploads: Mapping[str, list[UploadedFile[Any]]] | None = None,
    action: str = "",
) -> Any:
    """Save one step of the applicant's draft (also the automatic draft saving)
    and return the engine's ``StepResult`` (``.valid``, ``.errors``, ``.data``).

    During a correction request only the flagged fields may change.
    """
    with transaction.atomic():
        locked = _locked_own(actor, application)
        if locked.state not in (State.DRAFT, State.CORRECTION):
            raise ValidationError(_("This application can no longer be changed."))
        schema = _schema(locked.version)
        if step not in schema.step_keys:
            raise ValidationError({"step": _("Unknown step.")})
        before = _full_data(locked)

        def store(path: str, upload: UploadedFile[Any]) -> dict[str, Any]:
            return attachment_store(
                actor=actor, application=locked, field=path, upload=upload
            )

        result = formschema.clean_step(
            schema,
            step,
            post,
            before,
            uploads=uploads or {},
            store_upload=store,
            action=action,
        )
        data = result.data
        if locked.state == State.CORRECTION:
            data = _only_flagged(before, data, locked.flagged_fields)
        _store_data(locked, schema, data)
        if locked.state == State.DRAFT:
            locked.current_step = step
        locked.revision += 1
        locked.save(
            update_fields=[
                "data",
                "secrets",
                "computed",
                "current_step",
                "revision",
                "updated_at",
            ]
        )
        application.__dict__.update(
            {
                k: getattr(locked, k)
                for k in ("data", "secrets", "computed", "current_step", "revision")
            }
        )
    return result


def _only_flagged(
    before: dict[str, Any], after: dict[str, Any], flagged: list[str]
) -> dict[str, Any]:
    """``before`` with only the flagged top-level answers taken from ``after``."""
    tops = {path.split(".")[0] for path in flagged}
    merged = dict(before)
    for key in tops:
        if key in after:
            merged[key] = after[key]
        else:
            merged.pop(key, None)
    return merged


def application_discard(*, actor: Any, application: Application) -> None:
    """Delete the applicant's own unsubmitted draft."""
    with transaction.atomic():
        locked = _locked_own(actor, application)
        if locked.state != State.DRAFT:
            raise ValidationError(_("Only a draft can be discarded."))
        _audit(
            actor,
            "application.discard",
            locked,
            {"form": [locked.definition.slug, None]},
        )
        for attachment in locked.attachments.all():
            attachment.file.delete(save=False)
        locked.delete()


# --- submission ---------------------------------------------------------------


def verified_paths(
    schema: Any, data: dict[str, Any], claims: dict[str, Any]
) -> list[str]:
    """The answers that equal what the My Number card proved (基本4情報): a
    prefilled field the citizen did not change. Checked on the server; the
    browser's read-only inputs prove nothing."""
    if not claims:
        return []
    found = []
    for field in schema.all_fields():
        key = field.prefill
        if not key or not claims.get(key) or field.group is not None:
            continue
        try:
            expected = field.kind.clean(field, claims[key])
            given = field.kind.clean(field, data.get(field.key))
        except formschema.FieldError:
            expected = given = None  # a claim or answer the field cannot take
        if given and given == expected:
            found.append(field.key)
    return found


def application_submit(
    *,
    actor: Any,
    application: Application,
    assurance: str,
    claims: dict[str, Any] | None = None,
) -> Application:
    """Submit the draft (受付). Idempotent: submitting again (a double click, a
    retried request) returns the same application with the same reference.

    Everything is checked again on the server. The application, its first
    status and the audit record are written in one transaction; the receipt,
    the email and the statistics follow after commit.
    """
    with transaction.atomic():
        locked = _locked_own(actor, application)
        if locked.state != State.DRAFT:
            return locked
        definition = locked.definition
        if not assurance_satisfies(assurance, definition.assurance):
            raise PermissionDenied
        schema = _schema(locked.version)
        data = formschema.prune(schema, _full_data(locked))
        errors = formschema.clean_all(schema, data)
        if errors:
            raise ValidationError(errors)
        _store_data(locked, schema, data)
        now = timezone.now()
        locked.reference = _unique_reference(timezone.localdate(now))
        locked.state = State.RECEIVED
        locked.submitted_at = now
        locked.due_on = dates.add_business_days(
            timezone.localdate(now), definition.sla_days
        )
        locked.assurance = assurance
        locked.verified = verified_paths(schema, data, claims or {})
        locked.revision += 1
        locked.save()
        _status(locked, actor, "submit", State.DRAFT, State.RECEIVED, "", now, seq=1)
        _audit(
            actor,
            "application.submit",
            locked,
            {
                "state": [State.DRAFT, State.RECEIVED],
                "reference": [None, locked.reference],
            },
        )
        _after_submit(locked.pk, definition.pk)
    return locked


def application_submit_data(
    *,
    actor: Any,
    definition: FormDefinition,
    data: dict[str, Any],
    idempotency_key: str,
    assurance: str,
) -> tuple[Application, bool]:
    """Create and submit an application in one step (the API). The same
    ``idempotency_key`` returns the first application instead of a second one.
    Returns the application and whether it was created now."""
    if not getattr(actor, "is_authenticated", False):
        raise PermissionDenied
    key = (idempotency_key or "").strip()
    if not 8 <= len(key) <= 64:
        raise ValidationError(
            {"idempotency_key": _("Send an Idempotency-Key of 8 to 64 characters.")}
        )
    scoped_key = f"{actor.pk}:{key}"  # at most 64 + 1 + 20 characters
    existing = selectors.application_for_key(scoped_key=scoped_key)
    if existing is not None:
        if existing.applicant_id != actor.pk or existing.definition_id != definition.pk:
            raise ValidationError(
                {"idempotency_key": _("This key was used for another application.")}
            )
        return existing, False
    if not definition.is_open or definition.current_version is None:
        raise ValidationError(_("This form does not take applications now."))
    if not assurance_satisfies(assurance, definition.assurance):
        raise PermissionDenied
    version = definition.current_version
    schema = _schema(version)
    cleaned = formschema.prune(schema, data)
    errors = formschema.clean_all(schema, cleaned)
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    application = Application(
        definition=definition,
        version=version,
        applicant=actor,
        section_id=definition.section_id,
        state=State.RECEIVED,
        idempotency_key=scoped_key,
        submitted_at=now,
        due_on=dates.add_business_days(timezone.localdate(now), definition.sla_days),
        assurance=assurance,
        current_step=schema.step_keys[-1],
    )
    _store_data(application, schema, cleaned)
    # The unique constraints decide: the same key raced in from another request
    # (answer with that application), or, rarely, the random reference was
    # taken (draw another and write again).
    for _attempt in range(_REFERENCE_ATTEMPTS):
        application.reference = references.new_reference(timezone.localdate(now))
        try:
            _submit_write(application, actor, definition, now)
        except IntegrityError:
            existing = selectors.application_for_key(scoped_key=scoped_key)
            if existing is not None:
                return existing, False
            if not Application.objects.filter(reference=application.reference).exists():
                raise  # neither the key nor the reference: a real error
            application.pk = None
            application._state.adding = True
            continue
        return application, True
    raise RuntimeError("could not draw a free reference number")


_REFERENCE_ATTEMPTS = 5


def _submit_write(
    application: Application, actor: Any, definition: FormDefinition, now: Any
) -> None:
    """The application, its first status and its audit event, in one transaction;
    the deferred work is scheduled for its commit."""
    with transaction.atomic():
        # the application and its first status in one statement
        first = _new_status(
            application, actor, "submit", State.DRAFT, State.RECEIVED, "", now, 1
        )
        bulk.insert_with_child(application, first, "application")
        _audit(
            actor,
            "application.submit",
            application,
            {
                "state": [None, State.RECEIVED],
                "reference": [None, application.reference],
            },
        )
        _after_submit(application.pk, definition.pk)


def _unique_reference(on: date) -> str:
    """A reference not taken yet (the web form's submit, under the row lock)."""
    for _attempt in range(_REFERENCE_ATTEMPTS):
        reference = references.new_reference(on)
        if not Application.objects.filter(reference=reference).exists():
            return reference
    raise RuntimeError("could not draw a free reference number")


def _after_submit(application_id: int, definition_id: int) -> None:
    from yorisou.eforms import tasks

    # sent in batches off the request's path; after_submit_sweep does what a
    # killed process did not send
    deferred.call_after_commit(tasks.application_submitted, application_id)


def application_after_submit(*, application_id: int) -> None:
    """The work after a submission: the PDF receipt, the email with it, the
    statistics (each step done once, however often this runs)."""
    receipt_build(application_id=application_id)
    receipt_send(application_id=application_id)
    volumes_publish(application_id=application_id)


AFTER_SUBMIT_GRACE = timedelta(minutes=2)
AFTER_SUBMIT_HORIZON = timedelta(days=7)


def after_submit_sweep(*, limit: int = 500) -> int:
    """Do the work after submission (receipt, email, statistics) for the
    applications that have waited for it longer than ``AFTER_SUBMIT_GRACE``;
    returns how many were done. Each step is idempotent."""
    now = timezone.now()
    pending = selectors.applications_awaiting_receipt(
        submitted_before=now - AFTER_SUBMIT_GRACE,
        since=now - AFTER_SUBMIT_HORIZON,
        limit=limit,
    )
    done = 0
    for application_id in pending:
        try:
            application_after_submit(application_id=application_id)
        except Exception:  # the next sweep tries again; go on with the others
            logger.warning(
                "after-submit work failed for application %s",
                application_id,
                exc_info=True,
            )
            continue
        done += 1
    return done


def _status(
    application: Application,
    actor: Any,
    action: str,
    from_state: str,
    to_state: str,
    reason: str,
    at: Any = None,
    seq: int | None = None,
) -> ApplicationStatus:
    if seq is None:
        last = (
            application.statuses.order_by("-seq").values_list("seq", flat=True).first()
        )
        seq = (last or 0) + 1
    status = _new_status(
        application, actor, action, from_state, to_state, reason, at, seq
    )
    bulk.insert_one(status)  # append-only history: always a new row
    return status


def _new_status(
    application: Application,
    actor: Any,
    action: str,
    from_state: str,
    to_state: str,
    reason: str,
    at: Any,
    seq: int,
) -> ApplicationStatus:
    return ApplicationStatus(
        application=application,
        seq=seq,
        action=action,
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        actor=actor if getattr(actor, "pk", None) else None,
        by_applicant=selectors.is_applicant(actor, application),
        created_at=at or timezone.now(),
    )


# --- the workflow -------------------------------------------------------------


def application_transition(
    *,
    actor: Any,
    application: Application,
    action: str,
    reason: str = "",
    flagged: list[str] | None = None,
    revision: int | None = None,
) -> Application:
    """Move the application along the workflow (``constants.TRANSITIONS``).

    Staff act on their sections' applications, the applicant on their own. A
    repeated action that already took effect is a no-op; a form older than the
    application (``revision``) is refused. Rejection and correction requests need
    a reason; a correction request names the fields to correct.
    """
    transition = TRANSITIONS.get(action)
    if transition is None or action == "submit":
        raise ValidationError({"action": _("Unknown action.")})
    reason = (reason or "").strip()
    with transaction.atomic():
        locked = (
            Application.objects.select_for_update()
            .select_related("section", "definition", "version")
            .get(pk=application.pk)
        )
        if transition.who == Who.STAFF:
            if not selectors.can_handle(actor, locked.section):
                raise PermissionDenied
        elif not selectors.is_applicant(actor, locked):
            raise PermissionDenied
        if locked.state == transition.target and locked.state not in transition.sources:
            return locked  # the same click again
        if locked.state not in transition.sources:
            raise ValidationError(
                _("This application is %(state)s; it cannot be changed that way now.")
                % {"state": State(locked.state).label}
            )
        if revision is not None and revision != locked.revision:
            raise ValidationError(
                _(
                    "Someone changed this application meanwhile. "
                    "Reload the page and try again."
                )
            )
        if transition.reason_required and not reason:
            raise ValidationError({"reason": _("Give a reason.")})
        changes: dict[str, Any] = {"state": [locked.state, transition.target]}
        update = ["state", "revision", "updated_at"]
        today = timezone.localdate()
        if action == "request_correction":
            schema = _schema(locked.version)
            fields = [
                f for f in (flagged or []) if field_or_none(schema, f) is not None
            ]
            if not fields:
                raise ValidationError({"flagged": _("Choose the answers to correct.")})
            locked.flagged_fields = fields
            changes["flagged_fields"] = [None, fields]
            update.append("flagged_fields")
        if action == "resubmit":
            schema = _schema(locked.version)
            data = formschema.prune(schema, _full_data(locked))
            errors = formschema.clean_all(schema, data)
            if errors:
                raise ValidationError(errors)
            # the clock stopped while the applicant corrected
            stopped = _last_status_time(locked)
            if locked.due_on and stopped:
                paused = dates.business_days_between(timezone.localdate(stopped), today)
                locked.due_on = dates.add_business_days(locked.due_on, paused)
                update.append("due_on")
            locked.flagged_fields = []
            update.append("flagged_fields")
        if transition.target in (State.APPROVED, State.REJECTED):
            locked.decided_at = timezone.now()
            update.append("decided_at")
        if transition.target in (State.COMPLETED, State.REJECTED, State.WITHDRAWN):
            locked.closed_at = timezone.now()
            update.append("closed_at")
        before_state = locked.state
        locked.state = transition.target
        locked.revision += 1
        locked.save(update_fields=update)
        _status(locked, actor, action, before_state, transition.target, reason)
        if reason and transition.who == Who.STAFF:
            Message.objects.create(
                application=locked,
                kind=MessageKind.TO_APPLICANT,
                body=reason,
                author=actor if getattr(actor, "pk", None) else None,
            )
        _audit(actor, f"application.{action}", locked, changes)
        application_id = locked.pk
        from yorisou.eforms import tasks

        transaction.on_commit(
            lambda: tasks.application_changed.delay(application_id, action)
        )
    return locked


def _last_status_time(application: Application) -> Any:
    return (
        application.statuses.order_by("-seq")
        .values_list("created_at", flat=True)
        .first()
    )


def application_assign(
    *, actor: Any, application: Application, assignee: Any
) -> Application:
    """Assign the application to a member of staff of its section (or nobody)."""
    with transaction.atomic():
        locked = (
            Application.objects.select_for_update()
            .select_related("section")
            .get(pk=application.pk)
        )
        if not selectors.can_handle(actor, locked.section):
            raise PermissionDenied
        if assignee is not None and not selectors.can_handle(assignee, locked.section):
            raise ValidationError(
                {"assignee": _("This person does not handle this section.")}
            )
        if locked.assignee_id == (assignee.pk if assignee else None):
            return locked
        changes = {
            "assignee": [
                str(locked.assignee) if locked.assignee else None,
                str(assignee) if assignee else None,
            ]
        }
        locked.assignee = assignee
        locked.save(update_fields=["assignee", "updated_at"])
        _audit(actor, "application.assign", locked, changes)
    return locked


def message_send(
    *, actor: Any, application: Application, body: str, internal: bool = False
) -> Message:
    """A message from staff to the applicant, an internal comment, or a message
    from the applicant to the section."""
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("Write a message.")})
    if len(body) > 4000:
        raise ValidationError({"body": _("Write at most 4,000 characters.")})
    with transaction.atomic():
        locked = (
            Application.objects.select_for_update()
            .select_related("section")
            .get(pk=application.pk)
        )
        if selectors.can_handle(actor, locked.section) and locked.state != State.DRAFT:
            kind = MessageKind.INTERNAL if internal else MessageKind.TO_APPLICANT
        elif selectors.is_applicant(actor, locked) and not internal:
            if locked.state == State.DRAFT:
                raise ValidationError(
                    _("Submit the application before sending messages.")
                )
            kind = MessageKind.FROM_APPLICANT
        else:
            raise PermissionDenied
        message = Message.objects.create(
            application=locked, kind=kind, body=body, author=actor
        )
        _audit(actor, "message.send", locked, {"message": [None, kind]})
        if kind == MessageKind.TO_APPLICANT:
            from yorisou.eforms import tasks

            message_id = message.pk
            transaction.on_commit(lambda: tasks.message_notify.delay(message_id))
    return message


def messages_mark_read(*, actor: Any, application: Application) -> int:
    """The applicant has seen the messages to them."""
    if not selectors.is_applicant(actor, application):
        return 0
    return application.messages.filter(
        kind=MessageKind.TO_APPLICANT, read_at__isnull=True
    ).update(read_at=timezone.now())


# --- files --------------------------------------------------------------------


def attachment_store(
    *, actor: Any, application: Application, field: str, upload: UploadedFile[Any]
) -> dict[str, Any]:
    """Check an uploaded file on its content, keep it outside the web root, and
    return the reference the form keeps in its answers."""
    if not selectors.is_applicant(actor, application):
        raise PermissionDenied
    if application.state not in (State.DRAFT, State.CORRECTION):
        raise ValidationError(_("This application can no longer be changed."))
    schema = _schema(application.version)
    spec = field_or_none(schema, field)
    accept = list(spec.opt("accept") or []) if spec is not None else []
    checked = files.check_upload(upload, accept=accept or None)
    attachment = Attachment(
        application=application,
        field=field,
        name=checked.safe_name,
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        uploaded_by=actor,
    )
    upload.seek(0)
    attachment.file.save(checked.safe_name, upload, save=False)
    attachment.save()
    _audit(
        actor, "attachment.upload", application, {"attachment": [None, attachment.pk]}
    )
    return {
        "attachment": attachment.pk,
        "name": attachment.name,
        "size": attachment.size,
        "type": attachment.content_type,
    }


def attachment_opened(*, actor: Any, attachment: Attachment) -> None:
    """Record that someone opened a file (every access is audited)."""
    _audit(
        actor,
        "attachment.open",
        attachment.application,
        {"attachment": [None, attachment.pk]},
    )


def mynumber_reveal(*, actor: Any, application: Application) -> dict[str, str]:
    """The application's My Number values in clear, for staff of the section;
    every reveal is audited."""
    if not selectors.can_handle(actor, application.section):
        raise PermissionDenied
    secrets: dict[str, str] = (
        crypto.decrypt_json(application.secrets) if application.secrets else {}
    )
    _audit(
        actor,
        "application.reveal_mynumber",
        application,
        {"fields": [None, sorted(secrets)]},
    )
    return secrets


# --- deferred work (called by tasks; each checks what is already done) --------


def _application_for_task(application_id: int) -> Application | None:
    return (
        Application.objects.select_related(
            "definition__procedure", "definition__section", "version", "applicant"
        )
        .filter(pk=application_id)
        .first()
    )


def receipt_build(*, application_id: int) -> bool:
    """Render the PDF receipt (受付票) once; returns whether it was made now."""
    from django.conf import settings
    from django.core.files.base import ContentFile

    from yorisou.eforms import receipt as receipt_pdf

    application = _application_for_task(application_id)
    if application is None or application.state == State.DRAFT or application.receipt:
        return False
    schema = _schema(application.version)
    rows = [
        (row.step_title, row.label, row.value)
        for row in formschema.summary(schema, _full_data(application), lang="ja")
    ]
    procedure = application.definition.procedure
    fee = application.computed.get("fee") if application.computed else None
    content = receipt_pdf.render_receipt(
        receipt_pdf.Receipt(
            city_name=settings.YORISOU["CITY_NAME"] or settings.YORISOU["SITE_NAME"],
            procedure_name_ja=procedure.name,
            procedure_name_en=procedure.name_en,
            reference=application.reference or "",
            submitted_at=application.submitted_at or timezone.now(),
            applicant_name=application.applicant.display_name
            or application.applicant.get_username(),
            rows=rows,
            fee=int(fee) if isinstance(fee, int | float) else None,
            contact_section=application.definition.section.name,
            language="ja",
            status_url=settings.SITE_URL.rstrip("/")
            + reverse("eforms:mine_detail", kwargs={"pk": application.pk}),
        )
    )
    with transaction.atomic():
        locked = Application.objects.select_for_update().get(pk=application_id)
        if locked.receipt:
            return False
        locked.receipt.save(f"{locked.reference}.pdf", ContentFile(content), save=False)
        locked.save(update_fields=["receipt"])
    return True


def receipt_send(*, application_id: int) -> bool:
    """Email the applicant that the application was received, with the receipt
    (once)."""
    from yorisou.eforms import notifications

    application = _application_for_task(application_id)
    if application is None or application.receipt_sent_at is not None:
        return False
    attachments = []
    if application.receipt:
        with application.receipt.open("rb") as handle:
            attachments.append(
                (f"{application.reference}.pdf", handle.read(), "application/pdf")
            )
    notifications.send_to_applicant(application, "received", attachments=attachments)
    Application.objects.filter(pk=application_id, receipt_sent_at__isnull=True).update(
        receipt_sent_at=timezone.now()
    )
    return True


def volumes_publish(*, application_id: int) -> None:
    """Count the form's online applications in the month of this one and push
    the figure to the procedure inventory (which feeds the reform KPIs)."""
    from yorisou.core.permissions import SYSTEM
    from yorisou.procedures import services as procedure_services

    application = _application_for_task(application_id)
    if application is None or application.submitted_at is None:
        return
    month = timezone.localdate(application.submitted_at).replace(day=1)
    next_month = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
    start = timezone.make_aware(datetime.combine(month, time.min))
    end = timezone.make_aware(datetime.combine(next_month, time.min))
    cases = (
        Application.objects.filter(
            definition__procedure=application.definition.procedure,
            submitted_at__gte=start,
            submitted_at__lt=end,
        )
        .exclude(state=State.DRAFT)
        .count()
    )
    procedure_services.monthly_volume_record(
        actor=SYSTEM,
        procedure=application.definition.procedure,
        month=month,
        channel="online",
        cases=cases,
    )


def change_notify(*, application_id: int) -> bool:
    """Email the applicant about the latest state change (each change once)."""
    from yorisou.eforms import notifications

    application = _application_for_task(application_id)
    if application is None:
        return False
    last = application.statuses.order_by("-seq").first()
    if last is None or last.seq <= application.notified_seq or last.by_applicant:
        return False
    notifications.send_to_applicant(application, "changed")
    Application.objects.filter(pk=application_id, notified_seq__lt=last.seq).update(
        notified_seq=last.seq
    )
    return True


def message_notify(*, message_id: int) -> bool:
    """Email the applicant that a message waits on My page."""
    from yorisou.eforms import notifications

    message = (
        Message.objects.select_related("application").filter(pk=message_id).first()
    )
    if message is None or message.kind != MessageKind.TO_APPLICANT or message.read_at:
        return False
    application = _application_for_task(message.application_id)
    if application is None:
        return False
    notifications.send_to_applicant(application, "message")
    return True


# --- bulk export --------------------------------------------------------------

EXPORT_FORMATS = ("csv", "xlsx")


def export_request(
    *, actor: Any, definition: FormDefinition, fmt: str, states: list[str]
) -> Any:
    """Ask for a bulk export of a form's applications (built by a task)."""
    from yorisou.eforms import tasks
    from yorisou.eforms.models import ApplicationExport

    if not selectors.can_handle(actor, definition.section):
        raise PermissionDenied
    if fmt not in EXPORT_FORMATS:
        raise ValidationError({"format": _("Choose CSV or Excel.")})
    chosen = [s for s in states if s in State.values and s != State.DRAFT]
    with transaction.atomic():
        export = ApplicationExport.objects.create(
            requested_by=actor, definition=definition, fmt=fmt, states=chosen
        )
        _audit(
            actor,
            "export.request",
            definition,
            {"format": [None, fmt], "states": [None, chosen]},
        )
        export_id = export.pk
        transaction.on_commit(lambda: tasks.export_build.delay(export_id))
    return export


def export_opened(*, actor: Any, export: Any) -> None:
    """Record a download of an export (it holds personal data)."""
    _audit(actor, "export.download", export.definition, {"export": [None, export.pk]})


def export_rows(
    definition: FormDefinition, states: list[str]
) -> tuple[list[str], list[list[Any]]]:
    """The header and rows of an export: one row per application, one column per
    answer (latest version's fields first), My Number masked."""
    applications = (
        Application.objects.filter(definition=definition)
        .exclude(state=State.DRAFT)
        .select_related("version", "applicant", "assignee")
        .order_by("submitted_at", "id")
    )
    if states:
        applications = applications.filter(state__in=states)
    columns: list[str] = []
    seen: set[str] = set()
    body: list[dict[str, Any]] = []
    schemas: dict[int, Any] = {}
    for application in applications.iterator(chunk_size=500):
        schema = schemas.get(application.version_id)
        if schema is None:
            schema = schemas[application.version_id] = _schema(application.version)
        answers: dict[str, Any] = {}
        for row in formschema.summary(schema, application.data, lang="ja"):
            if row.kind != "field":
                continue
            label = f"{row.label} [{row.path}]"
            answers[label] = row.value
            if label not in seen:
                seen.add(label)
                columns.append(label)
        body.append(
            {
                "受付番号": application.reference,
                "状況": State(application.state).label,
                "受付日時": timezone.localtime(application.submitted_at).strftime(
                    "%Y-%m-%d %H:%M"
                )
                if application.submitted_at
                else "",
                "回答期限": application.due_on.isoformat()
                if application.due_on
                else "",
                "担当": str(application.assignee or ""),
                "様式": application.version.number,
                **answers,
            }
        )
    header = ["受付番号", "状況", "受付日時", "回答期限", "担当", "様式", *columns]
    return header, [[row.get(column, "") for column in header] for row in body]


def export_build(*, export_id: int) -> None:
    """Write the export file (idempotent: a finished export is left alone)."""
    import csv
    import io

    from django.core.files.base import ContentFile

    from yorisou.core.tabular import SheetContent, write_xlsx
    from yorisou.eforms.models import ApplicationExport

    export = (
        ApplicationExport.objects.select_related("definition")
        .filter(pk=export_id)
        .first()
    )
    if export is None or export.state == ApplicationExport.State.DONE:
        return
    try:
        header, rows = export_rows(export.definition, list(export.states))
        if export.fmt == "csv":
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            writer.writerow(header)
            writer.writerows([[_csv_safe(value) for value in row] for row in rows])
            content = ("\ufeff" + buffer.getvalue()).encode("utf-8")
        else:
            content = write_xlsx(
                [
                    SheetContent(
                        name=export.definition.slug[:31], header=header, rows=rows
                    )
                ]
            )
    except Exception as exc:
        ApplicationExport.objects.filter(pk=export_id).update(
            state=ApplicationExport.State.FAILED, error=str(exc)[:2000]
        )
        raise
    name = f"{export.definition.slug}-{timezone.localtime():%Y%m%d-%H%M}.{export.fmt}"
    export.file.save(name, ContentFile(content), save=False)
    export.rows = len(rows)
    export.state = ApplicationExport.State.DONE
    export.finished_at = timezone.now()
    export.save(update_fields=["file", "rows", "state", "finished_at"])


def _csv_safe(value: Any) -> Any:
    """Neutralise spreadsheet formulas in exported text (=, +, -, @ at the start)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
