"""API of online applications: open forms (anyone), the applicant's own
applications and one-step submission with an ``Idempotency-Key`` header, and the
back office's inbox and workflow. 400 with field details on bad input, 403 for
the wrong role, 404 for what the caller may not see."""

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from yorisou.accounts import selectors as account_selectors
from yorisou.eforms import selectors, services
from yorisou.eforms.api.serializers import (
    ApplicationSerializer,
    FormSerializer,
    SubmitSerializer,
    TransitionSerializer,
)
from yorisou.eforms.models import Application, FormDefinition

IDEMPOTENCY = OpenApiParameter(
    "Idempotency-Key",
    str,
    location=OpenApiParameter.HEADER,
    required=True,
    description=(
        "A key of 8–64 characters; the same key never makes a second application."
    ),
)


def _assurance(request: Request) -> str:
    """A session's identity level; token clients count as an account."""
    have = str(account_selectors.session_assurance(request))
    return have if have != "none" else "account"


class FormViewSet(viewsets.ReadOnlyModelViewSet[FormDefinition]):
    """Forms open for applications, with their current definition."""

    serializer_class = FormSerializer
    permission_classes = [AllowAny]
    lookup_field = "slug"

    def get_queryset(self) -> QuerySet[FormDefinition]:
        return selectors.portal_forms()


class ApplicationViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[Application],
):
    """The caller's own applications; POST submits one in a single step."""

    serializer_class = ApplicationSerializer
    permission_classes = [IsAuthenticated]

    def get_queryset(self) -> QuerySet[Application]:
        return (
            selectors.application_list_mine(actor=self.request.user)
            .prefetch_related("statuses")
            .select_related("section")
        )

    @extend_schema(
        request=SubmitSerializer,
        responses={201: ApplicationSerializer, 200: ApplicationSerializer},
        parameters=[IDEMPOTENCY],
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        payload = SubmitSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            form = selectors.form_for_submit(slug=payload.validated_data["form"])
        except FormDefinition.DoesNotExist:
            raise Http404 from None
        application, created = services.application_submit_data(
            actor=request.user,
            definition=form,
            data=payload.validated_data["data"],
            idempotency_key=request.headers.get("Idempotency-Key", ""),
            assurance=_assurance(request),
        )
        return Response(
            {
                "id": application.pk,
                "reference": application.reference,
                "state": application.state,
                "due_on": application.due_on,
            },
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    @extend_schema(request=TransitionSerializer, responses=ApplicationSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str | None = None) -> Response:
        application = self.get_object()
        services.application_transition(
            actor=request.user,
            application=application,
            action="withdraw",
            reason=str(dict(request.data).get("reason", "") or ""),
        )
        return Response(ApplicationSerializer(self.get_object()).data)


class OfficeApplicationViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[Application],
):
    """The back office: applications of the caller's sections, and the workflow."""

    serializer_class = ApplicationSerializer
    permission_classes = [IsAuthenticated]
    queryset = Application.objects.none()  # for the schema; see get_queryset

    def get_queryset(self) -> QuerySet[Application]:
        request = self.request
        filters = selectors.InboxFilter(
            state=request.query_params.get("state", "open"),
            definition=request.query_params.get("form", ""),
        )
        return selectors.inbox(actor=request.user, filters=filters).prefetch_related(
            "statuses"
        )

    @extend_schema(request=TransitionSerializer, responses=ApplicationSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request: Request, pk: str | None = None) -> Response:
        application = self.get_object()
        payload = TransitionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.application_transition(
            actor=request.user, application=application, **payload.validated_data
        )
        return Response(ApplicationSerializer(self.get_object()).data)
