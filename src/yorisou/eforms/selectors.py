"""Reads of online applications, each checking who asks (``actor=``).

An applicant reads only their own applications; staff read the applications of
the sections they hold the procedure-officer role for (and below); nobody
reaches another's application or file by changing an id.
"""

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from yorisou.core import bulk, permissions
from yorisou.core.constants import Role
from yorisou.eforms.constants import OPEN_STATES, MessageKind, State, VersionState
from yorisou.eforms.models import (
    Application,
    ApplicationStatus,
    Attachment,
    FormDefinition,
    FormVersion,
    Message,
    MessageTemplate,
)

BACK_OFFICE_ROLES = (Role.PROCEDURE_OFFICER,)
FORM_ADMIN_ROLES = (Role.PROCEDURE_OFFICER, Role.SYSTEM_ADMIN)


def _section_filter(actor: Any, prefix: str = "section__") -> Q | None:
    """The sections whose applications ``actor`` may handle, as a filter; None
    when the actor handles none."""
    if not permissions.has_role(actor, *BACK_OFFICE_ROLES):
        return None
    scopes = permissions.scopes_of(actor, *BACK_OFFICE_ROLES)
    if scopes is None:
        return Q()
    condition = Q(pk__in=[])
    for scope in scopes:
        condition |= Q(**{f"{prefix}path__startswith": scope})
    return condition


def can_handle(actor: Any, section: Any) -> bool:
    """Whether ``actor`` works the back office of ``section``."""
    return permissions.has_role(actor, *BACK_OFFICE_ROLES, org_unit=section)


def can_manage_forms(actor: Any, section: Any = None) -> bool:
    """Whether ``actor`` may build and publish the forms of ``section``."""
    if permissions.has_role(actor, Role.SYSTEM_ADMIN):
        return True
    if section is None:
        return permissions.has_role(actor, Role.PROCEDURE_OFFICER)
    return permissions.has_role(actor, Role.PROCEDURE_OFFICER, org_unit=section)


# --- the portal (public) ------------------------------------------------------


def portal_forms() -> QuerySet[FormDefinition]:
    """Forms open for applications, with their procedure (anyone may read)."""
    return (
        FormDefinition.objects.filter(
            is_open=True, current_version__state=VersionState.PUBLISHED
        )
        .select_related("procedure", "section", "current_version")
        .prefetch_related("procedure__tags")
        .order_by("procedure__code")
    )


# The submit path runs its lookups as written-out SQL: building and compiling
# the same ORM queries cost more CPU than running them (docs/performance.md,
# "Online applications: submit throughput").
_FORM_FOR_SUBMIT_SQL = """
    SELECT {columns}, v.published_at
    FROM eforms_formdefinition d
    JOIN eforms_formversion v ON v.id = d.current_version_id
    WHERE d.slug = %s AND d.is_open AND v.state = %s
"""
_PUBLISHED_VERSIONS: dict[tuple[int, Any], FormVersion] = {}


def form_for_submit(*, slug: str) -> FormDefinition:
    """An open form with its published version and nothing else (the API's
    submit path). The definition is read every time (opening, closing and
    publishing take effect at once); a published version never changes, so it
    is kept per process. Raises ``FormDefinition.DoesNotExist``."""
    sql = _FORM_FOR_SUBMIT_SQL.format(columns=bulk.columns(FormDefinition, "d"))
    found = bulk.fetch_one(
        FormDefinition,
        sql,
        [slug, VersionState.PUBLISHED],
        "d",
        extra=[FormVersion._meta.get_field("published_at")],
    )
    if found is None:
        raise FormDefinition.DoesNotExist
    definition, (published_at,) = found
    version_id = definition.current_version_id
    assert version_id is not None  # the join above
    # keyed like the parsed schemas: by id and publication time
    key = (version_id, published_at)
    version = _PUBLISHED_VERSIONS.get(key)
    if version is None:
        version = FormVersion.objects.get(pk=version_id)
        if (version.pk, version.published_at) == key:
            if len(_PUBLISHED_VERSIONS) > 500:
                _PUBLISHED_VERSIONS.clear()
            _PUBLISHED_VERSIONS[key] = version
    definition.current_version = version
    return definition


def application_for_key(*, scoped_key: str) -> Application | None:
    """The application made with an idempotency key (``<user id>:<key>``), if any:
    one indexed lookup, and the whole row only when there is one (a retry)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM eforms_application WHERE idempotency_key = %s",
            [scoped_key],
        )
        row = cursor.fetchone()
    return Application.objects.get(pk=row[0]) if row else None


def applications_awaiting_receipt(
    *, submitted_before: Any, since: Any, limit: int = 500
) -> list[int]:
    """Ids of submitted applications whose receipt was not sent yet, oldest
    first: the work after submission that a killed process or an unreachable
    broker left undone (for the periodic sweep; the system acts, no actor)."""
    return list(
        Application.objects.exclude(state=State.DRAFT)
        .filter(
            receipt_sent_at__isnull=True,
            submitted_at__lt=submitted_before,
            submitted_at__gte=since,
        )
        .order_by("submitted_at")
        .values_list("pk", flat=True)[:limit]
    )


def portal_form_get(*, slug: str) -> FormDefinition:
    """One open form by its address (raises ``DoesNotExist``)."""
    return portal_forms().get(slug=slug)


# --- the applicant ------------------------------------------------------------


def application_list_mine(*, actor: Any) -> QuerySet[Application]:
    """The actor's own applications and drafts, newest first."""
    if not getattr(actor, "is_authenticated", False):
        return Application.objects.none()
    return (
        Application.objects.filter(applicant=actor)
        .select_related("definition__procedure", "version")
        .annotate(
            unread=Count(
                "messages",
                filter=Q(
                    messages__kind=MessageKind.TO_APPLICANT,
                    messages__read_at__isnull=True,
                ),
            )
        )
        .order_by("-updated_at", "-id")
    )


def draft_for(*, actor: Any, definition: FormDefinition) -> Application | None:
    """The actor's unsubmitted draft of ``definition``, if any (resume anywhere)."""
    if not getattr(actor, "is_authenticated", False):
        return None
    return (
        Application.objects.filter(
            applicant=actor, definition=definition, state=State.DRAFT
        )
        .select_related("version", "definition__procedure")
        .order_by("-updated_at")
        .first()
    )


def application_get(*, actor: Any, pk: int) -> Application:
    """One application, if the actor is its applicant or handles its section.

    Raises ``Application.DoesNotExist`` otherwise (the same answer as for an id
    that does not exist, so ids reveal nothing).
    """
    application = (
        Application.objects.select_related(
            "definition__procedure",
            "version",
            "section",
            "applicant",
            "assignee",
        )
        .filter(pk=pk)
        .first()
    )
    if application is None or not may_read(actor, application):
        raise Application.DoesNotExist
    return application


def may_read(actor: Any, application: Application) -> bool:
    """Whether ``actor`` may read ``application``."""
    if not getattr(actor, "is_authenticated", False):
        return False
    if application.applicant_id == actor.pk:
        return True
    return application.state != State.DRAFT and can_handle(actor, application.section)


def is_applicant(actor: Any, application: Application) -> bool:
    return bool(
        getattr(actor, "is_authenticated", False)
        and application.applicant_id == actor.pk
    )


def status_history(*, actor: Any, application: Application) -> list[ApplicationStatus]:
    """The application's timeline, oldest first."""
    if not may_read(actor, application):
        raise Application.DoesNotExist
    return list(application.statuses.select_related("actor").order_by("seq"))


def message_list(*, actor: Any, application: Application) -> list[Message]:
    """Messages of the application; internal comments only for staff."""
    if not may_read(actor, application):
        raise Application.DoesNotExist
    messages = application.messages.select_related("author").order_by("created_at")
    if is_applicant(actor, application) and not can_handle(actor, application.section):
        messages = messages.exclude(kind=MessageKind.INTERNAL)
    return list(messages)


def attachment_list(*, actor: Any, application: Application) -> list[Attachment]:
    if not may_read(actor, application):
        raise Application.DoesNotExist
    return list(application.attachments.filter(removed_at__isnull=True))


def attachment_get(*, actor: Any, pk: int) -> Attachment:
    """One file, only for the applicant and the staff of the section."""
    attachment = (
        Attachment.objects.select_related("application__section")
        .filter(pk=pk, removed_at__isnull=True)
        .first()
    )
    if attachment is None or not may_read(actor, attachment.application):
        raise Attachment.DoesNotExist
    return attachment


# --- the back office ----------------------------------------------------------


@dataclass(frozen=True)
class InboxFilter:
    """What the inbox shows (from the query string)."""

    state: str = "open"
    definition: str = ""
    assignee: str = ""  # "me", "none" or ""
    overdue: bool = False
    query: str = ""

    def apply(
        self, applications: QuerySet[Application], actor: Any
    ) -> QuerySet[Application]:
        if self.state == "open":
            applications = applications.filter(state__in=OPEN_STATES)
        elif self.state in State.values and self.state != State.DRAFT:
            applications = applications.filter(state=self.state)
        if self.definition:
            applications = applications.filter(definition__slug=self.definition)
        if self.assignee == "me":
            applications = applications.filter(assignee=actor)
        elif self.assignee == "none":
            applications = applications.filter(assignee__isnull=True)
        if self.overdue:
            applications = applications.filter(
                state__in=OPEN_STATES, due_on__lt=timezone.localdate()
            )
        if self.query:
            applications = applications.filter(
                Q(reference__icontains=self.query.strip())
                | Q(applicant__display_name__icontains=self.query.strip())
            )
        return applications


def inbox(*, actor: Any, filters: InboxFilter = InboxFilter()) -> QuerySet[Application]:
    """Submitted applications of the sections the actor handles, due first."""
    condition = _section_filter(actor)
    if condition is None:
        raise permissions.PermissionDenied
    applications = Application.objects.exclude(state=State.DRAFT).filter(condition)
    return (
        filters.apply(applications, actor)
        .select_related("definition__procedure", "applicant", "assignee", "section")
        .order_by("due_on", "submitted_at", "id")
    )


def inbox_counts(*, actor: Any) -> dict[str, int]:
    """How many applications are in each state, and overdue, for the actor's
    sections (one query)."""
    condition = _section_filter(actor)
    if condition is None:
        raise permissions.PermissionDenied
    today = timezone.localdate()
    counts = (
        Application.objects.exclude(state=State.DRAFT)
        .filter(condition)
        .aggregate(
            open=Count("id", filter=Q(state__in=OPEN_STATES)),
            overdue=Count("id", filter=Q(state__in=OPEN_STATES, due_on__lt=today)),
            unassigned=Count(
                "id", filter=Q(state__in=OPEN_STATES, assignee__isnull=True)
            ),
            **{
                state: Count("id", filter=Q(state=state))
                for state in State.values
                if state != State.DRAFT
            },
        )
    )
    return {key: int(value or 0) for key, value in counts.items()}


def handled_forms(*, actor: Any) -> QuerySet[FormDefinition]:
    """The forms of the sections the actor handles (filters, statistics)."""
    condition = _section_filter(actor)
    if condition is None:
        raise permissions.PermissionDenied
    return (
        FormDefinition.objects.filter(condition)
        .select_related("procedure", "section", "current_version")
        .order_by("procedure__code")
    )


def colleagues(*, actor: Any, application: Application) -> list[Any]:
    """Staff who may be assigned the application (they handle its section)."""
    from yorisou.accounts.models import RoleAssignment

    if not can_handle(actor, application.section):
        raise permissions.PermissionDenied
    grants = RoleAssignment.objects.filter(role=Role.PROCEDURE_OFFICER).select_related(
        "user", "org_unit"
    )
    users = {}
    for grant in grants:
        if grant.org_unit is None or application.section.path.startswith(
            grant.org_unit.path
        ):
            users[grant.user.pk] = grant.user
    return sorted(users.values(), key=lambda u: u.display_name or u.username)


def message_templates(*, actor: Any, application: Application) -> list[MessageTemplate]:
    if not can_handle(actor, application.section):
        raise permissions.PermissionDenied
    return list(
        MessageTemplate.objects.filter(
            Q(section__isnull=True) | Q(section=application.section)
        )
    )


def statistics(*, actor: Any, since: date | None = None) -> list[dict[str, Any]]:
    """Per form: applications by state and the median days to a decision."""
    forms = handled_forms(actor=actor)
    rows = (
        Application.objects.filter(definition__in=forms)
        .exclude(state=State.DRAFT)
        .values("definition__slug")
        .annotate(
            total=Count("id"),
            open=Count("id", filter=Q(state__in=OPEN_STATES)),
            approved=Count("id", filter=Q(state__in=[State.APPROVED, State.COMPLETED])),
            rejected=Count("id", filter=Q(state=State.REJECTED)),
            withdrawn=Count("id", filter=Q(state=State.WITHDRAWN)),
            overdue=Count(
                "id",
                filter=Q(state__in=OPEN_STATES, due_on__lt=timezone.localdate()),
            ),
        )
    )
    if since is not None:
        rows = rows.filter(submitted_at__date__gte=since)
    by_slug = {row["definition__slug"]: row for row in rows}
    return [
        {
            "form": form,
            **by_slug.get(
                form.slug,
                {
                    "total": 0,
                    "open": 0,
                    "approved": 0,
                    "rejected": 0,
                    "withdrawn": 0,
                    "overdue": 0,
                },
            ),
        }
        for form in forms
    ]


# --- form definitions ---------------------------------------------------------


def form_list(*, actor: Any) -> QuerySet[FormDefinition]:
    """Forms the actor may manage."""
    if not can_manage_forms(actor):
        raise permissions.PermissionDenied
    forms = FormDefinition.objects.select_related(
        "procedure", "section", "current_version"
    ).order_by("procedure__code")
    if permissions.has_role(actor, Role.SYSTEM_ADMIN):
        return forms
    condition = _section_filter(actor)
    return forms.filter(condition) if condition is not None else forms.none()


def form_get(*, actor: Any, slug: str) -> FormDefinition:
    form = form_list(actor=actor).filter(slug=slug).first()
    if form is None:
        raise FormDefinition.DoesNotExist
    return form


def version_list(*, actor: Any, definition: FormDefinition) -> list[FormVersion]:
    if not can_manage_forms(actor, definition.section):
        raise permissions.PermissionDenied
    return list(
        definition.versions.select_related("created_by", "published_by").order_by(
            "-number"
        )
    )


def export_list(*, actor: Any) -> list[Any]:
    """The actor's own recent bulk exports."""
    from yorisou.eforms.models import ApplicationExport

    if not permissions.has_role(actor, *BACK_OFFICE_ROLES):
        raise permissions.PermissionDenied
    return list(
        ApplicationExport.objects.filter(requested_by=actor)
        .select_related("definition__procedure")
        .order_by("-created_at")[:20]
    )


def export_get(*, actor: Any, pk: int) -> Any:
    """One finished export of the actor's, if they still handle its section."""
    from yorisou.eforms.models import ApplicationExport

    export = (
        ApplicationExport.objects.filter(pk=pk, requested_by=actor)
        .select_related("definition__section")
        .first()
    )
    if (
        export is None
        or not export.file
        or not can_handle(actor, export.definition.section)
    ):
        raise ApplicationExport.DoesNotExist
    return export
