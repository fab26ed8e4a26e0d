"""Demo data of the accounts app: a sample organisation and one user per role."""

import functools
from dataclasses import dataclass
from pathlib import Path

from django.contrib.auth.hashers import make_password
from django.db import transaction

from yorisou.accounts import importers, services
from yorisou.accounts.models import OrgUnit, User
from yorisou.core.constants import Role
from yorisou.core.demo import DemoLoader, DemoLogin, demo_loaders
from yorisou.core.permissions import SYSTEM

ORG_FILE = Path(__file__).parent / "demo_data" / "org_units.csv"
DEMO_PASSWORD = "yorisou-demo"  # noqa: S105  (sample accounts, printed on purpose)


@functools.cache
def demo_password_hash() -> str:
    """The demo password hashed once (hashing is slow on purpose)."""
    return make_password(DEMO_PASSWORD)


@dataclass(frozen=True)
class DemoUser:
    username: str
    display_name: str
    role: Role
    section: str | None  # the section (課) they belong to
    scope: str | None = None  # org unit code of a scoped role


DEMO_USERS = [
    DemoUser("citizen", "熊本 花子（サンプル市民）", Role.CITIZEN, None),
    DemoUser("staff", "区民課 一郎（サンプル職員）", Role.STAFF, "801020"),
    DemoUser(
        "reformlead",
        "健康福祉 改（サンプル局改革担当）",
        Role.BUREAU_REFORM_LEAD,
        "351020",
        "35",
    ),
    DemoUser(
        "reformoffice", "改革 推子（サンプル改革推進課）", Role.REFORM_OFFICE, "202010"
    ),
    DemoUser(
        "procedures",
        "手続 整（サンプル手続担当）",
        Role.PROCEDURE_OFFICER,
        "401010",
        "40",
    ),
    DemoUser("dispatcher", "司令 守（サンプル指令員）", Role.DISPATCHER, "652030"),
    DemoUser(
        "fireunit", "中央 救（サンプル出場隊）", Role.FIRE_UNIT, "654010", "654010"
    ),
    DemoUser("faqeditor", "広報 答（サンプルFAQ編集）", Role.FAQ_EDITOR, "101030"),
    DemoUser("admin", "情報 管理（サンプル管理者）", Role.SYSTEM_ADMIN, "202020"),
]


@demo_loaders.register("accounts")
class AccountsDemoLoader(DemoLoader):
    """Sample organisation of an ordinance-designated city, and the demo users."""

    order = 10

    def load(self) -> list[DemoLogin]:
        with ORG_FILE.open("rb") as stream:
            result = importers.org_unit_import(
                actor=SYSTEM, stream=stream, filename=ORG_FILE.name, mark_sample=True
            )
        if not result.ok:
            raise RuntimeError(f"demo organisation is invalid: {result.errors[:3]}")
        with transaction.atomic():
            units = {u.code: u for u in OrgUnit.objects.all()}
            for spec in DEMO_USERS:
                user = User.objects.filter(username=spec.username).first()
                if user is None:
                    user = services.user_create(
                        actor=SYSTEM,
                        username=spec.username,
                        email=f"{spec.username}@example.invalid",
                        display_name=spec.display_name,
                        org_unit=units.get(spec.section) if spec.section else None,
                        password_hash=demo_password_hash(),
                        is_sample=True,
                    )
                roles = [spec.role]
                if spec.role not in (Role.CITIZEN, Role.STAFF):
                    roles.append(Role.STAFF)  # every specialist is also staff
                for role in roles:
                    scope = (
                        units[spec.scope] if spec.scope and role == spec.role else None
                    )
                    services.role_assign(
                        actor=SYSTEM, user=user, role=role, org_unit=scope
                    )
        return [
            DemoLogin(str(spec.role.label), spec.username, DEMO_PASSWORD)
            for spec in DEMO_USERS
        ]
