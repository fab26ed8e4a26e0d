"""Demo data of the procedure inventory: the city's catalogue of about 4,500
procedures, their yearly cases, the priority candidates and the BPR triage.

Computed from the rows, the catalogue reproduces slide 6 of the city's 2023 report
(``demo_data/README.md`` says what is real and what is sample):

* about 4,500 procedures and 4,000,000 cases in FY2022;
* 118 priority candidates with about 2,200,000 cases (55 %);
* ① start now 69 (1,860,000 cases), of which 45 online by March 2023 and 24
  planned for FY2024; ② decide after the state 8 (220,000); ③ excluded 41
  (120,000).

The 118 candidates come from ``candidates.csv`` (real names where a public list
gives them; invented volumes). The rest of the catalogue is generated from
``sample_subjects.csv`` × ``sample_actions.csv`` with a seeded random generator,
so every load gives the same catalogue.
"""

import csv
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from yorisou.accounts.models import OrgUnit, User
from yorisou.core import audit
from yorisou.core.dates import fiscal_quarter, fiscal_year
from yorisou.core.demo import DemoLoader, DemoLogin, demo_loaders
from yorisou.core.permissions import SYSTEM
from yorisou.procedures import services
from yorisou.procedures.constants import (
    Assurance,
    Channel,
    Kind,
    LegalBasis,
    TriageClass,
    TriageReason,
    TriageStatus,
)
from yorisou.procedures.models import (
    CandidateSelection,
    Procedure,
    ProcedureVolume,
    Tag,
    TriageDecision,
)
from yorisou.procedures.search import search_text_for

DATA_DIR = Path(__file__).parent / "demo_data"
SEED = 20230331

CATALOGUE_SIZE = 4_512  # slide 6: "about 4,500 procedures"
TOTAL_CASES = 4_000_000  # slide 6: "about 4,000,000 cases a year" (FY2022)
SURVEY_FY = 2022  # the year of the survey and of the slide's volumes
NEXT_FY = 2023  # a second year, so that online shares can be compared
# The candidate rule: at least this many cases in SURVEY_FY, or a national
# priority procedure. Every generated procedure stays below it, so running the
# rule again on the demo catalogue selects exactly the 118 candidates.
MIN_CASES = 2_000
SELECTED_AT = datetime(2022, 8, 1, 10, 0)
KPI_DATE = date(2023, 3, 31)  # the reform plan shows 45 procedures online then
REVIEWER = "reformoffice"  # demo user of the accounts loader, if present

SELECTION_NOTE = (
    "全庁調査で把握した令和4年度の年間件数（見込み）が2,000件以上の手続と、"
    "国が示すオンライン化の優先手続（31手続）を優先候補とした。"
    "（デモ用のサンプル：件数は架空）"
)

BATCH = 1000


@dataclass
class Spec:
    """One procedure to create, with its FY2022 volume and (for a candidate) the
    BPR decision."""

    section: str
    name: str
    name_en: str
    kind: str
    legal_basis_kind: str
    legal_basis: str = ""
    requires_presence: bool = False
    requires_wet_signature: bool = False
    fee: int | None = None
    attachments: str = ""
    assurance: str = Assurance.ACCOUNT
    national_26: bool = False
    national_31: bool = False
    keywords: str = ""
    tags: list[tuple[str, str]] = field(default_factory=list)
    is_sample: bool = True
    cases: int = 0  # FY2022, all channels
    mail_share: float = 0.0  # of the cases that are not online
    online_share: float = 0.0  # FY2022
    online_share_next: float = 0.0  # FY2023
    scale: float = 1.0  # relative size (generated procedures)
    decision: dict[str, str] | None = None  # the row of candidates.csv
    pk: int = 0  # of the Procedure, once created


def _rows(name: str) -> Iterator[dict[str, str]]:
    with (DATA_DIR / name).open(encoding="utf-8", newline="") as stream:
        yield from csv.DictReader(stream)


def _flag(value: str) -> bool:
    return value.strip() in {"1", "true", "True", "yes"}


def _tags(life_events: str, categories: str) -> list[tuple[str, str]]:
    return [("life_event", code) for code in life_events.split()] + [
        ("category", code) for code in categories.split()
    ]


def _legal_basis_kind(text: str, family: str) -> str:
    """The kind of legal basis a sample procedure cites, read from its text."""
    if "条例" in text:
        return LegalBasis.MUNICIPAL
    if "要綱" in text or "要領" in text:
        return LegalBasis.GUIDELINE
    if "法" in text or "令" in text:  # laws, their 施行令 and 施行規則
        return LegalBasis.NATIONAL_LAW
    if "規則" in text or "規程" in text:  # the city's own rules (契約規則 …)
        return LegalBasis.MUNICIPAL
    if family in {"subsidy", "event", "registration"}:
        return LegalBasis.GUIDELINE
    return LegalBasis.NONE


def _aware(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _weekday_between(rng: random.Random, first: date, last: date) -> date:
    day = first + timedelta(days=rng.randrange((last - first).days + 1))
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return max(day, first)


# ---------------------------------------------------------------------------
# Reading the curated candidates and generating the rest
# ---------------------------------------------------------------------------


def _check(row: dict[str, str]) -> None:
    """Reject a row of ``candidates.csv`` whose values the models would refuse."""
    allowed = {
        "kind": Kind.values,
        "legal_basis_kind": LegalBasis.values,
        "assurance": [*Assurance.values, ""],
        "triage_class": TriageClass.values,
        "reason": TriageReason.values,
        "status": [*TriageStatus.values, ""],
        "revised_from": [*TriageClass.values, ""],
    }
    for column, values in allowed.items():
        if row[column] not in values:
            raise RuntimeError(
                f"candidates.csv: {row['name']}: {column} {row[column]!r}"
            )


def candidate_specs() -> list[Spec]:
    """The 118 priority candidates of ``candidates.csv``."""
    specs = []
    for row in _rows("candidates.csv"):
        _check(row)
        specs.append(
            Spec(
                section=row["section"],
                name=row["name"],
                name_en=row["name_en"],
                kind=row["kind"],
                legal_basis_kind=row["legal_basis_kind"],
                legal_basis=row["legal_basis"],
                requires_presence=_flag(row["requires_presence"]),
                requires_wet_signature=_flag(row["requires_wet_signature"]),
                fee=int(row["fee"]) if row["fee"] else None,
                attachments=row["attachments"],
                assurance=row["assurance"] or Assurance.ACCOUNT,
                national_26=_flag(row["national_26"]),
                national_31=_flag(row["national_31"]),
                keywords=row["keywords"],
                tags=_tags(row["life_events"], row["categories"]),
                # a name is real when a public list gives it (``listed_in``)
                is_sample=not row["listed_in"],
                cases=int(row["fy2022_cases"] or 0),
                mail_share=float(row["mail_pct"] or 0) / 100,
                online_share=float(row["online_pct_fy2022"] or 0) / 100,
                online_share_next=float(row["online_pct_fy2023"] or 0) / 100,
                decision=row,
            )
        )
    return specs


@dataclass(frozen=True)
class _Action:
    suffix: str
    kind: str
    name_en: str
    weight: float
    mail_share: float
    online_chance: float


def _sections_for(spec: str, units: dict[str, OrgUnit]) -> list[tuple[str, str, str]]:
    """``(section code, ward name, ward name in English)`` for a section spec:
    a code, ``ward:XXXX`` (that section in every ward office) or ``under:CODE``
    (every section below a unit)."""
    if spec.startswith("ward:"):
        wards = [
            u
            for u in units.values()
            if u.level == "bureau" and u.name.endswith("区役所")
        ]
        found = []
        for ward in sorted(wards, key=lambda u: u.code):
            code = ward.code + spec.removeprefix("ward:")
            if code in units:
                found.append(
                    (
                        code,
                        ward.name.removesuffix("役所"),
                        ward.name_en.removesuffix(" Office"),
                    )
                )
        return found
    if spec.startswith("under:"):
        parent = spec.removeprefix("under:")
        return [
            (u.code, "", "")
            for u in sorted(units.values(), key=lambda u: u.code)
            if u.level == "section" and f"/{parent}/" in f"/{u.path}/"
        ]
    return [(spec, "", "")]


def generated_specs(
    rng: random.Random, units: dict[str, OrgUnit], taken: set[str], count: int
) -> list[Spec]:
    """``count`` sample procedures: each subject of ``sample_subjects.csv`` with
    each action of its family in ``sample_actions.csv``, skipping names in
    ``taken`` (the candidates); a seeded sample when there are more."""
    actions: dict[str, list[_Action]] = {}
    for row in _rows("sample_actions.csv"):
        actions.setdefault(row["family"], []).append(
            _Action(
                suffix=row["suffix"],
                kind=row["kind"],
                name_en=row["action_en"],
                weight=float(row["weight"]),
                mail_share=float(row["mail_pct"]) / 100,
                online_chance=float(row["online_chance_pct"]) / 100,
            )
        )
    specs: list[Spec] = []
    seen: set[tuple[str, str]] = set()
    for row in _rows("sample_subjects.csv"):
        family = actions[row["family"]]
        for section, ward, ward_en in _sections_for(row["section"], units):
            subject = row["subject"].replace("{ward}", ward)
            subject_en = row["subject_en"].replace("{ward_en}", ward_en)
            for action in family:
                name = subject + action.suffix
                if name in taken or (section, name) in seen:
                    continue
                seen.add((section, name))
                online = rng.random() < action.online_chance
                online_share = rng.uniform(0.03, 0.3) if online else 0.0
                specs.append(
                    Spec(
                        section=section,
                        name=name,
                        name_en=(
                            f"{subject_en}: {action.name_en}"
                            if action.suffix
                            else subject_en
                        ),
                        kind=action.kind or row["kind"] or Kind.OTHER,
                        legal_basis_kind=_legal_basis_kind(
                            row["legal_basis"], row["family"]
                        ),
                        legal_basis=row["legal_basis"].replace("{ward}", ward),
                        requires_presence=rng.random() < 0.03,
                        requires_wet_signature=rng.random() < 0.12,
                        assurance=rng.choices(
                            [
                                Assurance.NONE,
                                Assurance.ACCOUNT,
                                Assurance.MY_NUMBER_CARD,
                            ],
                            weights=[2, 5, 3],
                        )[0],
                        tags=_tags(row["life_events"], row["categories"]),
                        mail_share=min(0.9, action.mail_share * rng.uniform(0.5, 1.5)),
                        online_share=online_share,
                        online_share_next=(
                            min(0.7, online_share + rng.uniform(0.02, 0.12))
                            if online
                            else 0.0
                        ),
                        scale=float(row["scale"] or 1) * action.weight,
                    )
                )
    if len(specs) < count:
        raise RuntimeError(
            f"demo catalogue: only {len(specs)} sample procedures, {count} needed"
        )
    keep = set(rng.sample(range(len(specs)), count))
    return [spec for i, spec in enumerate(specs) if i in keep]


def spread_cases(rng: random.Random, specs: list[Spec], total: int, cap: int) -> None:
    """Give the sample procedures a long tail of FY2022 cases that adds up to
    exactly ``total``, each below ``cap``: log-normal around each subject's
    scale, softly bent under the cap (no pile-up at the limit)."""
    top = cap - 1
    raw = [spec.scale * math.exp(rng.gauss(0, 1.0)) for spec in specs]

    def spread(factor: float) -> list[int]:
        return [round(top * math.tanh(value * factor / top)) for value in raw]

    low, high = 0.0, 1.0
    while sum(spread(high)) < total:
        high *= 2
    for _ in range(60):
        middle = (low + high) / 2
        low, high = (middle, high) if sum(spread(middle)) < total else (low, middle)
    cases = spread(high)
    # rounding leaves a few cases over or under: adjust the largest ones by one
    missing = total - sum(cases)
    delta = 1 if missing > 0 else -1
    for i in sorted(range(len(cases)), key=lambda i: -cases[i]):
        if not missing:
            break
        if 0 <= cases[i] + delta <= top:
            cases[i] += delta
            missing -= delta
    if missing:
        raise RuntimeError("demo catalogue: cannot spread the cases")
    for spec, value in zip(specs, cases, strict=True):
        spec.cases = value


def channel_split(total: int, online_share: float, mail_share: float) -> list[int]:
    """Cases per channel (counter, mail, online) adding up to ``total``."""
    online = round(total * online_share)
    mail = round((total - online) * mail_share)
    return [total - online - mail, mail, online]


# ---------------------------------------------------------------------------
# The loader
# ---------------------------------------------------------------------------


@demo_loaders.register("procedures")
class ProceduresDemoLoader(DemoLoader):
    """The procedure catalogue, its volumes and the BPR triage of slide 6."""

    order = 30

    def load(self) -> list[DemoLogin]:
        if Procedure.objects.exists():
            return []  # keep what is there
        with transaction.atomic():
            self._load()
        return []

    def _load(self) -> dict[str, int]:
        rng = random.Random(SEED)  # noqa: S311  (sample data, not secrets)
        units = {u.code: u for u in OrgUnit.objects.all()}
        candidates = candidate_specs()
        generated = generated_specs(
            rng,
            units,
            {spec.name for spec in candidates},
            CATALOGUE_SIZE - len(candidates),
        )
        spread_cases(
            rng,
            generated,
            TOTAL_CASES - sum(spec.cases for spec in candidates),
            MIN_CASES,
        )
        specs = candidates + generated
        missing = sorted({s.section for s in specs} - set(units))
        if missing:
            raise RuntimeError(f"demo catalogue: unknown sections {missing[:5]}")

        tags = self._tags()
        # codes follow the organisation, in a shuffled order within a section
        rng.shuffle(specs)
        specs.sort(key=lambda spec: units[spec.section].path)
        procedures = []
        for number, spec in enumerate(specs, start=1):
            unit = units[spec.section]
            procedures.append(
                Procedure(
                    code=f"P-{number:05d}",
                    name=spec.name,
                    name_en=spec.name_en,
                    kind=spec.kind,
                    org_unit=unit,
                    bureau=units[unit.path.split("/", 1)[0]],
                    legal_basis_kind=spec.legal_basis_kind,
                    legal_basis=spec.legal_basis,
                    requires_presence=spec.requires_presence,
                    requires_wet_signature=spec.requires_wet_signature,
                    fee=spec.fee,
                    attachments=spec.attachments,
                    assurance=spec.assurance,
                    national_26=spec.national_26,
                    national_31=spec.national_31,
                    keywords=spec.keywords,
                    search_text=search_text_for(name=spec.name, keywords=spec.keywords),
                    is_sample=spec.is_sample,
                )
            )
        Procedure.objects.bulk_create(procedures, batch_size=BATCH)
        ids = dict(Procedure.objects.values_list("code", "pk"))
        for spec, procedure in zip(specs, procedures, strict=True):
            spec.pk = ids[procedure.code]

        through = Procedure.tags.through
        through.objects.bulk_create(
            [
                through(procedure_id=spec.pk, tag_id=tags[key].pk)
                for spec in specs
                for key in dict.fromkeys(spec.tags)
            ],
            batch_size=BATCH,
        )

        volumes = self._volumes(rng, specs, SURVEY_FY)
        decisions = self._decisions(rng, candidates)
        # The KPI is published as the city would have on 2023-03-31: 45 online,
        # and the online share of FY2022 (the FY2023 volumes come after).
        services.kpi_publish(on=KPI_DATE)
        volumes += self._volumes(rng, specs, NEXT_FY)

        counts = {
            "tags": len(tags),
            "procedures": len(procedures),
            "candidates": len(candidates),
            "volumes": volumes,
            "decisions": decisions,
            f"cases FY{SURVEY_FY}": TOTAL_CASES,
        }
        audit.record(
            actor=SYSTEM,
            action="procedures.demo.load",
            changes={key: [None, value] for key, value in counts.items()},
        )
        return counts

    def _tags(self) -> dict[tuple[str, str], Tag]:
        existing = {(t.kind, t.code): t for t in Tag.objects.all()}
        Tag.objects.bulk_create(
            [
                Tag(
                    kind=row["kind"],
                    code=row["code"],
                    name=row["name"],
                    name_en=row["name_en"],
                    sort_order=int(row["sort_order"]),
                )
                for row in _rows("tags.csv")
                if (row["kind"], row["code"]) not in existing
            ]
        )
        return {(t.kind, t.code): t for t in Tag.objects.all()}

    def _volumes(self, rng: random.Random, specs: list[Spec], year: int) -> int:
        """Volumes of ``year`` per channel; FY2023 totals move by ±5 %."""
        channels = [Channel.COUNTER, Channel.MAIL, Channel.ONLINE]
        rows = []
        for spec in specs:
            if year == SURVEY_FY:
                total, online = spec.cases, spec.online_share
            else:
                total = round(spec.cases * rng.uniform(0.95, 1.05))
                online = spec.online_share_next
            split = channel_split(total, online, spec.mail_share)
            for channel, cases in zip(channels, split, strict=True):
                if cases or (channel == Channel.COUNTER and not total):
                    rows.append(
                        ProcedureVolume(
                            procedure_id=spec.pk,
                            fiscal_year=year,
                            channel=channel,
                            cases=cases,
                        )
                    )
        ProcedureVolume.objects.bulk_create(rows, batch_size=BATCH)
        return len(rows)

    def _decisions(self, rng: random.Random, candidates: list[Spec]) -> int:
        """The candidate selection and one current decision per candidate; a few
        candidates were first put in ② and revised to ① (history)."""
        reviewer = User.objects.filter(username=REVIEWER).first()
        selection = CandidateSelection.objects.create(
            fiscal_year=SURVEY_FY,
            min_cases=MIN_CASES,
            include_national=True,
            note=SELECTION_NOTE,
            selected=len(candidates),
            created_by=reviewer,
            created_at=_aware(SELECTED_AT.date(), SELECTED_AT.hour),
        )
        rows = []
        for spec in candidates:
            row = spec.decision or {}
            decided = (
                date.fromisoformat(row["decided_on"])
                if row["decided_on"]
                else _weekday_between(rng, date(2022, 9, 1), date(2022, 10, 31))
            )
            at = _aware(decided, rng.randrange(9, 17), rng.randrange(60))
            done_on = date.fromisoformat(row["done_on"]) if row["done_on"] else None
            if row["revised_from"]:
                rows.append(
                    TriageDecision(
                        procedure_id=spec.pk,
                        is_current=False,
                        selection=selection,
                        triage_class=row["revised_from"],
                        reason=TriageReason.STATE_SYSTEM,
                        reason_text=row["revised_reason_text"],
                        created_by=reviewer,
                        created_at=at,
                    )
                )
                # revised to ① before it went online
                last = min(date(2023, 1, 31), (done_on or date.max) - timedelta(1))
                revised = _weekday_between(rng, date(2022, 11, 1), last)
                at = _aware(revised, rng.randrange(9, 17), rng.randrange(60))
            target_fy = int(row["target_fy"]) if row["target_fy"] else None
            quarter = int(row["target_quarter"] or 0)
            if done_on is not None:
                target_fy, quarter = fiscal_year(done_on), fiscal_quarter(done_on)
                # a decision is never edited: the current one is the row that
                # recorded "online", on the day it went online
                at = max(at, _aware(done_on, 17))
            rows.append(
                TriageDecision(
                    procedure_id=spec.pk,
                    selection=selection,
                    triage_class=row["triage_class"],
                    reason=row["reason"],
                    reason_text=row["reason_text"],
                    target_fy=target_fy,
                    target_quarter=quarter,
                    status=row["status"] or TriageStatus.NOT_STARTED,
                    done_on=done_on,
                    created_by=reviewer,
                    created_at=at,
                )
            )
        TriageDecision.objects.bulk_create(rows, batch_size=BATCH)
        return len(rows)
