"""factory_boy factories of Live119 (rows made directly, for tests only)."""

from datetime import timedelta

from django.utils import timezone

import factory

from yorisou.emergency.constants import IncidentKind
from yorisou.emergency.models import Incident, Invite, UnitAssignment


class IncidentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Incident

    number = factory.Sequence(lambda n: f"2026-{n + 900000:06d}")
    caller_phone = "+819012345678"
    kind = IncidentKind.MEDICAL
    address = "中央区手取本町1-1"
    opened_at = factory.LazyFunction(timezone.now)


class UnitAssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = UnitAssignment

    incident = factory.SubFactory(IncidentFactory)
    assigned_at = factory.LazyFunction(timezone.now)


class InviteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invite

    incident = factory.SubFactory(IncidentFactory)
    token_hash = factory.Sequence(lambda n: f"{n:064x}")
    phone = "+819012345678"
    created_at = factory.LazyFunction(timezone.now)
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(minutes=30))
