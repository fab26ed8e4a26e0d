import io

from django.core.exceptions import PermissionDenied, ValidationError

import pytest
from openpyxl import Workbook

from yorisou.accounts import importers, services
from yorisou.accounts.models import OrgUnit, RoleAssignment
from yorisou.core.constants import Role
from yorisou.core.models import AuditEvent

HEADER = "code,parent_code,level,name_ja,name_en,sort_order\n"


def _csv(text: str) -> io.BytesIO:
    return io.BytesIO((HEADER + text).encode())


@pytest.mark.django_db
def test_org_unit_move_updates_descendant_paths(admin_user, org):
    dept = org["welfare"]
    dept.parent = org["general"]
    services.org_unit_save(
        actor=admin_user, unit=dept, changed_fields=["parent"], created=False
    )
    org["disability"].refresh_from_db()
    assert org["disability"].path == "20/3510/351020"
    event = AuditEvent.objects.get(action="accounts.org_unit.update")
    assert event.changes == {"parent": ["健康福祉局", "総務局"]}


@pytest.mark.django_db
def test_org_unit_parent_must_be_one_level_up(admin_user, org):
    unit = OrgUnit(code="999999", name="x", level="section", parent=org["health"])
    with pytest.raises(ValidationError):
        services.org_unit_save(actor=admin_user, unit=unit, created=True)


@pytest.mark.django_db
def test_only_system_admins_manage_the_tree_and_roles(staff_user, org):
    with pytest.raises(PermissionDenied):
        services.org_unit_save(actor=staff_user, unit=org["health"], created=False)
    with pytest.raises(PermissionDenied):
        services.role_assign(actor=staff_user, user=staff_user, role=Role.SYSTEM_ADMIN)


@pytest.mark.django_db
def test_role_assign_is_idempotent_and_scoped_roles_need_a_unit(
    admin_user, staff_user, org
):
    with pytest.raises(ValidationError):
        services.role_assign(
            actor=admin_user, user=staff_user, role=Role.BUREAU_REFORM_LEAD
        )
    for _ in range(2):
        services.role_assign(
            actor=admin_user,
            user=staff_user,
            role=Role.BUREAU_REFORM_LEAD,
            org_unit=org["health"],
        )
    assert (
        RoleAssignment.objects.filter(
            user=staff_user, role=Role.BUREAU_REFORM_LEAD
        ).count()
        == 1
    )
    assert AuditEvent.objects.filter(action="accounts.role.assign").count() == 1


@pytest.mark.django_db
def test_import_creates_tree_from_csv(admin_user):
    result = importers.org_unit_import(
        actor=admin_user,
        stream=_csv(
            "10,,bureau,政策局,Policy Bureau,10\n"
            "1010,10,department,総合政策部,,10\n"
            "101010,1010,section,政策企画課,,10\n"
        ),
        filename="org.csv",
    )
    assert result.ok, result.errors
    assert (result.created, result.updated) == (3, 0)
    assert OrgUnit.objects.get(code="101010").path == "10/1010/101010"


@pytest.mark.django_db
def test_import_from_xlsx_updates_by_code(admin_user, org):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["code", "parent_code", "level", "name_ja", "name_en", "sort_order"])
    sheet.append(["35", None, "bureau", "健康福祉局", "Health and Welfare Bureau", 30])
    sheet.append(["3520", "35", "department", "保険年金部", None, 20])
    data = io.BytesIO()
    workbook.save(data)
    data.seek(0)
    result = importers.org_unit_import(actor=admin_user, stream=data, filename="o.xlsx")
    assert result.ok, result.errors
    assert (result.created, result.updated) == (1, 1)
    assert OrgUnit.objects.get(code="35").name_en == "Health and Welfare Bureau"


@pytest.mark.django_db
def test_import_reports_every_bad_row_and_imports_nothing(admin_user, org):
    before = OrgUnit.objects.count()
    result = importers.org_unit_import(
        actor=admin_user,
        stream=_csv(
            "50,,bureau,環境局,,10\n"  # row 2: fine
            "5010,77,department,環境推進部,,10\n"  # row 3: unknown parent
            "50,,bureau,重複局,,20\n"  # row 4: duplicate code
            "5020,50,division,謎,,x\n"  # row 5: bad level, bad sort order
            "502010,50,section,,,10\n"  # row 6: no name; parent is a bureau
            "60,35,bureau,入れ子局,,10\n"  # row 7: bureau with a parent
        ),
        filename="org.csv",
    )
    assert not result.ok
    assert [(e.row, e.column) for e in result.errors] == [
        (3, "parent_code"),
        (4, "code"),
        (5, "level"),
        (5, "sort_order"),
        (6, "name_ja"),
        (6, "parent_code"),
        (7, "parent_code"),
    ]
    assert OrgUnit.objects.count() == before
    assert not AuditEvent.objects.filter(action__startswith="accounts.org_unit.import")


@pytest.mark.django_db
def test_import_reports_missing_columns(admin_user):
    result = importers.org_unit_import(
        actor=admin_user, stream=io.BytesIO(b"code,name\n1,x\n"), filename="o.csv"
    )
    assert {e.column for e in result.errors} == {
        "parent_code",
        "level",
        "name_ja",
        "name_en",
        "sort_order",
    }


@pytest.mark.django_db
def test_import_reads_shift_jis_csv(admin_user):
    data = (HEADER + "10,,bureau,政策局,,10\n").encode("cp932")
    result = importers.org_unit_import(
        actor=admin_user, stream=io.BytesIO(data), filename="org.csv"
    )
    assert result.ok
    assert OrgUnit.objects.get(code="10").name == "政策局"


@pytest.mark.django_db
def test_import_row_numbers_count_blank_lines(admin_user):
    result = importers.org_unit_import(
        actor=admin_user,
        stream=_csv(
            "50,,bureau,環境局,,10\n\n,,,,,\n5010,77,department,環境推進部,,10\n"
        ),
        filename="org.csv",
    )
    assert [(e.row, e.column) for e in result.errors] == [(5, "parent_code")]
