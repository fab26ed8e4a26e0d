"""Demo data of online applications: five real procedures with realistic forms
(``demo_data/forms/*.json``), sample citizens with applications in every state,
and the back office of the sections that handle them.

Everything here is sample data (people, answers, reference numbers); the
procedures and their forms follow what Japanese cities publish.
"""

import json
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from yorisou.accounts import services as account_services
from yorisou.accounts.demo import DEMO_PASSWORD, demo_password_hash
from yorisou.accounts.models import OrgUnit, User
from yorisou.core import dates
from yorisou.core.constants import Role
from yorisou.core.demo import DemoLoader, DemoLogin, demo_loaders
from yorisou.core.permissions import SYSTEM
from yorisou.eforms import references, services
from yorisou.eforms.models import (
    Application,
    ApplicationStatus,
    FormDefinition,
    MessageTemplate,
)

FORMS_DIR = Path(__file__).parent / "demo_data" / "forms"


@dataclass(frozen=True)
class DemoForm:
    slug: str
    file: str
    procedure: str  # the procedure's name in the demo catalogue
    assurance: str
    sla_days: int


FORMS = [
    DemoForm(
        "jidou-teate-nintei",
        "jidou-teate-nintei.json",
        "児童手当等の受給資格及び児童手当の額についての認定請求",
        "mynumber",
        15,
    ),
    DemoForm(
        "jidou-teate-genkyo",
        "jidou-teate-genkyo.json",
        "児童手当等の現況届",
        "account",
        10,
    ),
    DemoForm("hoiku-riyou", "hoiku-riyou.json", "保育施設等の利用申込", "account", 20),
    DemoForm(
        "kaigo-nintei", "kaigo-nintei.json", "要介護・要支援認定の申請", "mynumber", 30
    ),
    DemoForm("juminhyo", "juminhyo.json", "住民票の写しの交付請求", "account", 5),
]

# (username, display name, role, section code, scope code)
OFFICERS = [
    ("kaigo", "介護 保（サンプル介護保険課）", "351040", "351040"),
    ("kumin", "区民 窓（サンプル区民課）", "801020", "801020"),
]
CITIZENS = [
    ("aso", "阿蘇 太郎（サンプル市民）"),
    ("kikuchi", "菊池 さくら（サンプル市民）"),
    ("yatsushiro", "八代 健（サンプル市民）"),
]

ADDRESS = {
    "postal_code": "860-0001",
    "prefecture": "熊本県",
    "city": "熊本市中央区",
    "line1": "千葉城町2-1",
    "line2": "サンプルマンション101",
}


def _answers(slug: str, name: str, kana: str, n: int) -> dict[str, Any]:
    """Sample answers of each demo form (valid for its definition)."""
    birth = f"19{85 + n % 10}-0{1 + n % 9}-1{n % 9}"
    if slug == "jidou-teate-nintei":
        return {
            "name": name,
            "kana": kana,
            "birthdate": birth,
            "gender": "female" if n % 2 else "male",
            "address": ADDRESS,
            "phone": "096-328-2111",
            "employment": "employee",
            "mynumber": "123456789018",
            "has_spouse": "yes",
            "spouse_name": "熊本 一郎",
            "spouse_kana": "クマモト イチロウ",
            "spouse_birthdate": "1986-05-05",
            "spouse_living": "together",
            "higher_earner": "me",
            "children": [
                {
                    "child_name": "熊本 はな",
                    "child_kana": "クマモト ハナ",
                    "child_birthdate": "2023-04-01",
                    "child_relationship": "child",
                    "child_living": "together",
                }
            ],
            "use_public_account": True,
            "consent": True,
        }
    if slug == "jidou-teate-genkyo":
        return {
            "recipient_number": f"{4300100 + n}",
            "name": name,
            "kana": kana,
            "birthdate": birth,
            "address": ADDRESS,
            "phone": "096-328-2111",
            "address_changed": "no",
            "spouse_status": "together",
            "children": [
                {
                    "child_name": "熊本 そら",
                    "child_birthdate": "2019-10-10",
                    "child_living": "together",
                }
            ],
            "consent": True,
        }
    if slug == "hoiku-riyou":
        return {
            "child_name": "熊本 こはる",
            "child_kana": "クマモト コハル",
            "child_birthdate": "2024-06-01",
            "guardian1_name": name,
            "guardian1_relationship": "mother",
            "guardian1_work": "maternity",
            "guardian1_due_date": "2027-02-01",
            "address": ADDRESS,
            "phone": "096-328-2111",
            "has_guardian2": "no",
            "facility_1": "chuo",
            "facility_2": "jonan",
            "start_date": "2027-04-01",
            "consent_share": True,
            "consent": True,
        }
    if slug == "kaigo-nintei":
        return {
            "applicant_type": "self",
            "insured_number": f"{1000000000 + n}",
            "insured_category": "first",
            "insured_name": name,
            "insured_kana": kana,
            "insured_birthdate": "1948-02-02",
            "insured_gender": "female" if n % 2 else "male",
            "insured_address": ADDRESS,
            "insured_phone": "096-328-2111",
            "insured_mynumber": "123456789018",
            "application_kind": "new",
            "whereabouts": "home",
            "reason": "歩行が不安定になり、入浴に介助が必要になったため。",
            "visit_contact": "insured",
            "doctor_name": "肥後 守",
            "clinic_name": "サンプル内科クリニック",
            "clinic_phone": "096-372-1111",
            "consent_share": True,
            "consent": True,
        }
    return {  # juminhyo
        "name": name,
        "kana": kana,
        "birthdate": birth,
        "address": ADDRESS,
        "phone": "096-328-2111",
        "whose": "self",
        "purpose": "employment",
        "copies": 1 + n % 3,
        "delivery": "post",
        "consent": True,
    }


# Where each sample application ends up: (state, days ago submitted)
STORIES: list[tuple[str, int]] = [
    ("received", 1),
    ("received", 40),  # overdue
    ("reviewing", 6),
    ("correction", 9),
    ("approved", 12),
    ("rejected", 15),
    ("completed", 25),
    ("withdrawn", 3),
]

TEMPLATES = [
    (
        "missing-document",
        "書類の不足",
        "提出書類が不足しています。マイページから追加してください。",
        "A document is missing. Please add it on My page.",
    ),
    (
        "check-answer",
        "記載内容の確認",
        "記載内容に誤りがある可能性があります。印の付いた項目をご確認のうえ、訂正してください。",
        "An answer may be wrong. Please check the marked answers and correct them.",
    ),
    (
        "not-eligible",
        "要件に該当しない",
        "審査の結果、受給要件に該当しないため却下します。詳しくは担当課までお問い合わせください。",
        "After review, the requirements are not met. "
        "Please contact the section for details.",
    ),
]


@demo_loaders.register("eforms")
class EformsDemoLoader(DemoLoader):
    """The five demo forms, their back office and sample applications."""

    order = 40  # after accounts (10), reforms and procedures

    def load(self) -> list[DemoLogin]:
        from yorisou.procedures.models import Procedure

        units = {u.code: u for u in OrgUnit.objects.all()}
        logins = [self._officer(spec, units) for spec in OFFICERS]
        citizens = [self._citizen(username, name) for username, name in CITIZENS]
        citizens.insert(0, User.objects.get(username="citizen"))
        with transaction.atomic():
            for code, title, ja, en in TEMPLATES:
                MessageTemplate.objects.get_or_create(
                    code=code,
                    section=None,
                    defaults={"title": title, "body_ja": ja, "body_en": en},
                )
        for index, spec in enumerate(FORMS):
            procedure = Procedure.objects.filter(name=spec.procedure).first()
            if procedure is None:
                raise RuntimeError(f"demo procedure missing: {spec.procedure}")
            form = self._form(spec, procedure)
            if Application.objects.filter(definition=form).exists():
                continue  # idempotent: the applications are there already
            self._applications(form, spec, citizens, index)
        return logins + [
            DemoLogin(str(Role.CITIZEN.label), username, DEMO_PASSWORD)
            for username, _name in CITIZENS
        ]

    def _officer(
        self, spec: tuple[str, str, str, str], units: dict[str, Any]
    ) -> DemoLogin:
        username, name, section, scope = spec
        user = User.objects.filter(username=username).first()
        if user is None:
            user = account_services.user_create(
                actor=SYSTEM,
                username=username,
                email=f"{username}@example.invalid",
                display_name=name,
                org_unit=units[section],
                password_hash=demo_password_hash(),
                is_sample=True,
            )
        account_services.role_assign(
            actor=SYSTEM, user=user, role=Role.PROCEDURE_OFFICER, org_unit=units[scope]
        )
        account_services.role_assign(
            actor=SYSTEM, user=user, role=Role.STAFF, org_unit=None
        )
        return DemoLogin(str(Role.PROCEDURE_OFFICER.label), username, DEMO_PASSWORD)

    def _citizen(self, username: str, name: str) -> User:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = account_services.user_create(
                actor=SYSTEM,
                username=username,
                email=f"{username}@example.invalid",
                display_name=name,
                org_unit=None,
                password_hash=demo_password_hash(),
                is_sample=True,
            )
            account_services.role_assign(
                actor=SYSTEM, user=user, role=Role.CITIZEN, org_unit=None
            )
        return user

    def _form(self, spec: DemoForm, procedure: Any) -> FormDefinition:
        existing = FormDefinition.objects.filter(procedure=procedure).first()
        if existing is not None and existing.current_version_id:
            return existing
        schema = json.loads((FORMS_DIR / spec.file).read_text(encoding="utf-8"))
        form = services.form_definition_save(
            actor=SYSTEM,
            procedure=procedure,
            slug=spec.slug,
            section=procedure.org_unit,
            assurance=spec.assurance,
            sla_days=spec.sla_days,
            is_sample=True,
        )
        version = services.form_version_save(
            actor=SYSTEM, definition=form, schema=schema, note="初版（サンプル）"
        )
        services.form_version_publish(actor=SYSTEM, version=version)
        return services.form_definition_save(
            actor=SYSTEM,
            procedure=procedure,
            slug=spec.slug,
            section=procedure.org_unit,
            assurance=spec.assurance,
            sla_days=spec.sla_days,
            is_open=True,
            is_sample=True,
        )

    def _applications(
        self, form: FormDefinition, spec: DemoForm, citizens: list[User], offset: int
    ) -> None:
        officer = self._handler(form)
        for n, (state, days_ago) in enumerate(STORIES):
            citizen = citizens[(n + offset) % len(citizens)]
            # one transaction per story: the receipt and emails (on commit)
            # see the backdated submission
            with transaction.atomic():
                self._story(form, spec, officer, citizen, n, state, days_ago)
        # a draft the demo citizen left half-way, to resume on My page
        services.application_start(
            actor=citizens[0], definition=form, assurance=form.assurance
        )

    def _story(
        self,
        form: FormDefinition,
        spec: DemoForm,
        officer: User,
        citizen: User,
        n: int,
        state: str,
        days_ago: int,
    ) -> None:
        now = timezone.now()
        name = (citizen.display_name or "熊本 花子").split("（")[0]
        application, _created = services.application_submit_data(
            actor=citizen,
            definition=form,
            data=_answers(spec.slug, name, "クマモト ハナコ", n),
            idempotency_key=f"demo-{spec.slug}-{n:02d}",
            assurance=form.assurance,
        )
        submitted = now - timedelta(days=days_ago)
        Application.objects.filter(pk=application.pk).update(
            submitted_at=submitted,
            reference=references.new_reference(timezone.localdate(submitted)),
            due_on=dates.add_business_days(
                timezone.localdate(submitted), form.sla_days
            ),
            is_sample=True,
        )
        application.statuses.update(created_at=submitted)
        self._walk(application, state, officer, citizen)
        # the later steps happened a day or two apart, not all today
        for status in application.statuses.filter(seq__gt=1):
            when = min(now, submitted + timedelta(days=status.seq, hours=2))
            ApplicationStatus.objects.filter(pk=status.pk).update(created_at=when)

    def _handler(self, form: FormDefinition) -> User:
        from yorisou.eforms import selectors

        for user in User.objects.filter(is_sample=True).order_by("username"):
            if selectors.can_handle(user, form.section):
                return user
        raise RuntimeError(f"no demo officer handles {form.section}")

    def _walk(self, application: Any, state: str, officer: User, citizen: User) -> None:
        def act(action: str, **extra: Any) -> None:
            services.application_transition(
                actor=officer, application=application, action=action, **extra
            )

        if state == "received":
            return
        if state == "withdrawn":
            services.application_transition(
                actor=citizen,
                application=application,
                action="withdraw",
                reason="別の方法で手続きしたため。",
            )
            return
        services.application_assign(
            actor=officer, application=application, assignee=officer
        )
        act("start_review")
        if state == "correction":
            schema_keys = list(application.data)
            act(
                "request_correction",
                reason=TEMPLATES[1][2],
                flagged=[schema_keys[0]],
            )
        elif state == "approved":
            act("approve")
        elif state == "rejected":
            act("reject", reason=TEMPLATES[2][2])
        elif state == "completed":
            act("approve")
            act("complete")
