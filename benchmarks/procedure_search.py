"""How long a Japanese search of a 4,500-procedure catalogue takes.

Usage (PostgreSQL; the numbers in docs/performance.md come from it):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/yorisou_bench \\
        .venv/bin/python benchmarks/procedure_search.py

It migrates the database named by DATABASE_URL and, unless they are there,
creates --procedures synthetic procedures (code prefix ``BS-``) with Japanese
names made from 60 base words, 15 forms (〜の申請, 〜届, 〜の交付請求 …) and 5
channels, spread over the sections (a small organisation tree is created when
there is none). Their ``search_text`` is rebuilt when ``search_text_for`` has
changed. Then it times ``search()`` over those procedures for 10 queries in
kanji, hiragana, katakana, half-width kana, 旧字体 and Latin letters, --runs
times each after one warm-up, and prints the median and 95th percentile per
query and over all of them as markdown table rows.

Only procedures with the ``BS-`` prefix are searched, so that other benchmarks'
procedures in the same database do not change the figures.
"""

import argparse
import os
import random
import statistics
import time
from typing import Any

PREFIX = "BS-"

BASE_WORDS = [
    "児童手当", "児童扶養手当", "特別児童扶養手当", "住民票の写し", "戸籍謄本",
    "戸籍抄本", "印鑑登録", "印鑑登録証明書", "マイナンバーカード", "国民健康保険",
    "国民年金", "後期高齢者医療", "介護保険", "要介護認定", "身体障害者手帳",
    "療育手帳", "精神障害者保健福祉手帳", "自立支援医療", "生活保護", "就学援助",
    "保育所入所", "放課後児童クラブ", "子ども医療費助成", "ひとり親家庭等医療費助成",
    "妊娠届出", "母子健康手帳", "予防接種", "がん検診", "特定健康診査", "犬の登録",
    "狂犬病予防注射", "粗大ごみ収集", "空き家バンク", "住宅改修費", "耐震診断",
    "建築確認", "開発行為許可", "道路占用許可", "屋外広告物許可", "公園使用許可",
    "市営住宅入居", "固定資産税", "市県民税", "軽自動車税", "納税証明書",
    "所得課税証明書", "口座振替", "罹災証明書", "埋火葬許可", "墓地使用許可",
    "農地転用許可", "水道使用開始", "下水道使用", "危険物取扱", "補助金交付",
    "奨学金", "高額療養費", "出産育児一時金", "葬祭費", "情報公開",
]  # fmt: skip

FORMS = [
    "{}の申請", "{}の変更届", "{}の廃止届", "{}の交付請求", "{}の再交付申請",
    "{}の認定申請", "{}届", "{}の減免申請", "{}に係る証明書の交付請求",
    "{}の更新申請", "{}の取下げ届", "{}の登録申請", "{}の資格喪失届",
    "{}の承認申請", "{}の閲覧請求",
]  # fmt: skip

CHANNELS = ["", "（郵送）", "（代理人）", "（法人）", "（電子申請）"]

QUERIES = [
    ("kanji", "児童手当"),
    ("hiragana", "じどうてあて"),
    ("katakana", "ジュウミンヒョウ"),
    ("half-width katakana", "ｺｸﾐﾝｹﾝｺｳﾎｹﾝ"),
    ("旧字体", "國民健康保險"),
    ("two terms", "住民票 交付"),
    ("one kanji (many matches)", "届"),
    ("hiragana (matches nearly all)", "しんせい"),
    ("full-width Latin", "ＤＶ"),
    ("exact long name", "介護保険の認定申請（郵送）"),
]


def procedure_names(count: int) -> list[str]:
    """*count* distinct names: every base word in every form, per channel."""
    names = [
        form.format(word) + channel
        for channel in CHANNELS
        for word in BASE_WORDS
        for form in FORMS
    ]
    if count > len(names):
        raise SystemExit(f"at most {len(names)} distinct names")
    return names[:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--procedures", type=int, default=4500)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yorisou.conf.dev")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from yorisou.accounts.models import OrgUnit
    from yorisou.procedures.models import Procedure
    from yorisou.procedures.search import search, search_text_for
    from yorisou.reforms.synthetic import _units  # the same small org tree

    call_command("migrate", verbosity=0)
    catalogue = Procedure.objects.filter(code__startswith=PREFIX)
    names = procedure_names(args.procedures)
    rng = random.Random(4500)  # noqa: S311 (made-up data)

    began = time.perf_counter()
    if catalogue.count() != len(names):
        with transaction.atomic():
            catalogue.delete()
            sections, _ = _units()
            bureaus = {
                u.pk: OrgUnit.objects.get(code=u.path.split("/")[0]) for u in sections
            }
            rows: list[Any] = []
            for i, name in enumerate(names):
                section = sections[i % len(sections)]
                keywords = " ".join(rng.sample(BASE_WORDS, 2))
                if i % 7 == 0:
                    keywords += " ＤＶ"
                rows.append(
                    Procedure(
                        code=f"{PREFIX}{i:05d}",
                        name=name,
                        keywords=keywords,
                        kind="application",
                        legal_basis_kind="national_law",
                        org_unit=section,
                        bureau=bureaus[section.pk],
                        search_text=search_text_for(name=name, keywords=keywords),
                    )
                )
            Procedure.objects.bulk_create(rows, batch_size=500)
        action = "created"
    else:
        stale = [
            p
            for p in catalogue.only("pk", "name", "keywords", "search_text")
            if p.search_text != search_text_for(name=p.name, keywords=p.keywords)
        ]
        for p in stale:
            p.search_text = search_text_for(name=p.name, keywords=p.keywords)
        Procedure.objects.bulk_update(stale, ["search_text"], batch_size=500)
        action = f"found ({len(stale)} search texts rebuilt)"
    build_time = time.perf_counter() - began

    all_times: list[float] = []
    rows_out: list[str] = []
    for label, query in QUERIES:
        found = search(catalogue, query)  # warm-up: readers and the query plan
        times: list[float] = []
        for _ in range(args.runs):
            start = time.perf_counter()
            search(catalogue, query)
            times.append((time.perf_counter() - start) * 1000)
        all_times.extend(times)
        top = found[0].name if found else "—"
        rows_out.append(
            f"| {label}: {query} | {len(found)} | {top} "
            f"| {statistics.median(times):.1f} ms | {percentile(times, 95):.1f} ms |"
        )

    print(
        f"database: {connection.vendor}; {len(names):,} procedures {action} "
        f"in {build_time:.1f} s"
    )
    print()
    print(f"| query (median and p95 of {args.runs} runs) | results | first | "
          "median | p95 |")  # fmt: skip
    print("|---|---|---|---|---|")
    for row in rows_out:
        print(row)
    print(
        f"| all {len(QUERIES)} queries | | | {statistics.median(all_times):.1f} ms "
        f"| {percentile(all_times, 95):.1f} ms |"
    )


def percentile(values: list[float], percent: int) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(len(ordered) * percent / 100) - 1)]


if __name__ == "__main__":
    main()
