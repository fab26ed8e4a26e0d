"""Serializers of the online applications API."""

from typing import Any

from rest_framework import serializers

from yorisou.eforms.models import Application, ApplicationStatus, FormDefinition


class FormSerializer(serializers.ModelSerializer[FormDefinition]):
    procedure = serializers.CharField(source="procedure.code", read_only=True)
    procedure_name = serializers.CharField(source="procedure.name", read_only=True)
    section = serializers.CharField(source="section.code", read_only=True)
    version = serializers.IntegerField(source="current_version.number", read_only=True)
    definition = serializers.JSONField(source="current_version.schema", read_only=True)

    class Meta:
        model = FormDefinition
        fields = [
            "slug",
            "procedure",
            "procedure_name",
            "section",
            "assurance",
            "sla_days",
            "version",
            "definition",
        ]


class StatusSerializer(serializers.ModelSerializer[ApplicationStatus]):
    class Meta:
        model = ApplicationStatus
        fields = ["seq", "action", "from_state", "to_state", "reason", "created_at"]


class ApplicationSerializer(serializers.ModelSerializer[Application]):
    """An application as its applicant or the section sees it (My Number never
    included; answers as stored, without the encrypted values)."""

    form = serializers.CharField(source="definition.slug", read_only=True)
    version = serializers.IntegerField(source="version.number", read_only=True)
    section = serializers.CharField(source="section.code", read_only=True)
    statuses = StatusSerializer(many=True, read_only=True)

    class Meta:
        model = Application
        fields = [
            "id",
            "reference",
            "form",
            "version",
            "section",
            "state",
            "data",
            "computed",
            "flagged_fields",
            "revision",
            "submitted_at",
            "due_on",
            "statuses",
        ]
        read_only_fields = fields


class SubmitSerializer(serializers.Serializer[Any]):
    form = serializers.SlugField(help_text="The form's address (slug).")
    data = serializers.DictField(help_text="Answers by field key.")  # type: ignore[assignment]


class TransitionSerializer(serializers.Serializer[Any]):
    action = serializers.ChoiceField(
        choices=[
            "start_review",
            "request_correction",
            "approve",
            "reject",
            "complete",
            "withdraw",
        ]
    )
    reason = serializers.CharField(required=False, allow_blank=True, default="")
    flagged = serializers.ListField(
        child=serializers.CharField(), required=False, default=list
    )
    revision = serializers.IntegerField(required=False, allow_null=True, default=None)
