import logging

import pytest

from yorisou.core import permissions
from yorisou.core.constants import Role
from yorisou.core.logging import RedactingFilter, redact
from yorisou.core.registry import Registry


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("my number 1234 5678 9018 given", "my number [redacted] given"),
        ("id=123456789018", "id=[redacted]"),
        ("password=hunter22&x=1", "password=[redacted]&x=1"),
        ("{'token': 'abc123'}", "{'token': '[redacted]'}"),
        ("order 12345 of 2026", "order 12345 of 2026"),
    ],
)
def test_redact_masks_my_number_and_secrets(raw, expected):
    assert redact(raw) == expected


def test_redacting_filter_cleans_formatted_args():
    record = logging.LogRecord(
        "x",
        logging.INFO,
        __file__,
        1,
        "submitted %s with %s",
        ("123456789018", "password: s3cret"),
        None,
    )
    RedactingFilter().filter(record)
    assert record.getMessage() == "submitted [redacted] with password: [redacted]"


def test_registry_rejects_duplicates_and_names_known_ids():
    reg: Registry[type] = Registry("widget")
    reg.register("a")(int)
    with pytest.raises(ValueError, match="already registered"):
        reg.register("a")(str)
    with pytest.raises(KeyError, match="registered: a"):
        reg.get("b")
    assert list(reg) == [("a", int)]


@pytest.mark.django_db
def test_scoped_role_covers_its_subtree_only(make_user, org):
    lead = make_user(Role.BUREAU_REFORM_LEAD, scope=org["health"])
    assert permissions.has_role(lead, Role.BUREAU_REFORM_LEAD, org_unit=org["health"])
    assert permissions.has_role(
        lead, Role.BUREAU_REFORM_LEAD, org_unit=org["disability"]
    )
    assert not permissions.has_role(
        lead, Role.BUREAU_REFORM_LEAD, org_unit=org["reform"]
    )
    assert not permissions.has_role(lead, Role.REFORM_OFFICE)
    assert permissions.scopes_of(lead, Role.BUREAU_REFORM_LEAD) == ["35"]


@pytest.mark.django_db
def test_citywide_role_and_system_actor(make_user, org):
    office = make_user(Role.REFORM_OFFICE)
    assert permissions.has_role(office, Role.REFORM_OFFICE, org_unit=org["disability"])
    assert permissions.scopes_of(office, Role.REFORM_OFFICE) is None
    assert permissions.has_role(permissions.SYSTEM, Role.SYSTEM_ADMIN)


@pytest.mark.django_db
def test_citizen_is_not_staff(citizen, staff_user):
    assert not permissions.is_staff_member(citizen)
    assert permissions.is_staff_member(staff_user)
    with pytest.raises(permissions.PermissionDenied):
        permissions.require_role(citizen, Role.STAFF)
