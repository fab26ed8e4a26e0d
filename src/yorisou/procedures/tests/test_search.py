"""Japanese search of the procedure catalogue: normalisation, readings, ranking."""

import threading
from typing import Any

import pytest

from yorisou.procedures.models import Procedure
from yorisou.procedures.search import (
    normalise,
    reading,
    search,
    search_text_for,
)


def make_procedure(
    org: dict[str, Any], code: str, name: str, keywords: str = ""
) -> Procedure:
    return Procedure.objects.create(
        code=code,
        name=name,
        keywords=keywords,
        kind="application",
        legal_basis_kind="national_law",
        org_unit=org["elderly"],
        bureau=org["health"],
        search_text=search_text_for(name=name, keywords=keywords),
    )


def names(procedures: list[Procedure]) -> list[str]:
    return [procedure.name for procedure in procedures]


@pytest.fixture
def catalogue(org: dict[str, Any]) -> dict[str, Procedure]:
    rows = [
        ("P01", "児童手当の認定請求", "子育て"),
        ("P02", "住民票の写しの交付請求", "証明書"),
        ("P03", "印鑑登録証明書の交付申請", "住民票 実印"),
        ("P04", "国民健康保険の加入届", "国保 転入"),
        ("P05", "ＤＶ等支援措置の申出", "配偶者暴力"),
        ("P06", "介護保険要介護認定の申請", "介護"),
    ]
    return {code: make_procedure(org, code, name, kw) for code, name, kw in rows}


def test_normalise_folds_width_case_kana_and_spaces():
    assert normalise("ＡＢＣ　abc  ｼﾞﾄﾞｳﾃｱﾃ ジドウテアテ\n１２３") == (
        "abc abc じどうてあて じどうてあて 123"
    )


def test_normalise_turns_old_kanji_into_new():
    assert normalise("證國學來會圖縣廣澤濱險") == "証国学来会図県広沢浜険"
    assert normalise("國民健康保險") == normalise("国民健康保険") == "国民健康保険"


def test_reading_is_hiragana():
    assert reading("児童手当") == "じどうてあて"
    assert reading("國民健康保險の加入届") == "こくみんけんこうほけんのかにゅうとどけ"
    assert reading("要介護認定") == "ようかいごにんてい"
    assert reading("ひとり親家庭") == "ひとりおやかてい"
    assert reading("マイナンバーカード（仮称）") == "まいなんばーかーど(かしょう)"
    assert reading("") == ""


def test_reading_of_a_long_text():
    assert reading("住民票の写し " * 5000) == " ".join(
        ["じゅうみんひょうのうつし"] * 5000
    )
    # Without spaces it is read in pieces of 4,096 characters.
    assert reading("住民票" * 6000).startswith("じゅうみんひょう" * 1365)


def test_reading_works_in_other_threads():
    results: list[str] = []
    threads = [
        threading.Thread(target=lambda: results.append(reading("住民票")))
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == ["じゅうみんひょう"] * 4


def test_search_text_holds_name_keywords_and_their_readings():
    assert search_text_for(name="住民票の写しの交付請求", keywords="証明書　住所") == (
        "住民票の写しの交付請求\n"
        "証明書 住所\n"
        "じゅうみんひょうのうつしのこうふせいきゅう\n"
        "しょうめいしょ じゅうしょ"
    )
    assert search_text_for(name="ＤＶ等支援措置") == (
        "dv等支援措置\n\nでぃーぶいとうしえんそち\n"
    )


@pytest.mark.parametrize(
    "query", ["児童手当", "じどうてあて", "ジドウテアテ", "ｼﾞﾄﾞｳﾃｱﾃ", "  児童手当　"]
)
def test_kanji_hiragana_katakana_and_half_width_find_the_same(catalogue, query):
    assert names(search(Procedure.objects.all(), query)) == ["児童手当の認定請求"]


def test_old_kanji_find_the_new(catalogue):
    found = search(Procedure.objects.all(), "國民健康保險")
    assert names(found) == ["国民健康保険の加入届"]
    assert names(search(Procedure.objects.all(), "登録證明書")) == [
        "印鑑登録証明書の交付申請"
    ]


@pytest.mark.parametrize("query", ["ＤＶ", "dv", "DV", "ｄｖ"])
def test_full_width_and_half_width_latin_match(catalogue, query):
    assert names(search(Procedure.objects.all(), query)) == ["ＤＶ等支援措置の申出"]


def test_name_match_ranks_before_keyword_match(catalogue):
    assert names(search(Procedure.objects.all(), "住民票")) == [
        "住民票の写しの交付請求",
        "印鑑登録証明書の交付申請",
    ]


def test_reading_of_a_kanji_query_finds_another_spelling(catalogue):
    assert names(search(Procedure.objects.all(), "ようかいご")) == [
        "介護保険要介護認定の申請"
    ]


@pytest.mark.parametrize("query", ["", "   ", "　"])
def test_empty_query_finds_nothing(catalogue, query, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert search(Procedure.objects.all(), query) == []


@pytest.mark.parametrize("query", ["宇宙旅行", "うちゅうりょこう", "xyz", "%", "_"])
def test_query_matching_nothing_finds_nothing(catalogue, query):
    assert search(Procedure.objects.all(), query) == []


def test_every_term_must_match(catalogue):
    assert names(search(Procedure.objects.all(), "児童 認定")) == ["児童手当の認定請求"]
    assert names(search(Procedure.objects.all(), "じどう　にんてい")) == [
        "児童手当の認定請求"
    ]
    assert search(Procedure.objects.all(), "児童 転入") == []


def test_one_kanji_is_not_looked_for_in_readings(catalogue):
    # 市 reads し, which occurs in うつし, しんせい … of almost every procedure.
    assert search(Procedure.objects.all(), "市") == []
    assert names(search(Procedure.objects.all(), "届")) == ["国民健康保険の加入届"]


def test_ranking_by_name(org, django_assert_num_queries):
    for code, name, keywords in [
        ("R1", "外国人住民の転入届", ""),
        ("R2", "転入届の受理証明書の交付請求", ""),
        ("R3", "転入届", ""),
        ("R4", "国民健康保険の加入届", "転入届"),
        ("R5", "転入届（国外から）", ""),
        ("R6", "転入届（国内から）", ""),
        ("R7", "転出届", ""),
    ]:
        make_procedure(org, code, name, keywords)
    with django_assert_num_queries(2):
        found = search(Procedure.objects.all(), "転入届")
    assert [(p.code, p.name) for p in found] == [
        ("R3", "転入届"),  # exact name
        ("R5", "転入届（国外から）"),  # name starts with it; ties by code
        ("R6", "転入届（国内から）"),
        ("R2", "転入届の受理証明書の交付請求"),  # longer name
        ("R1", "外国人住民の転入届"),  # name contains it
        ("R4", "国民健康保険の加入届"),  # keywords only
    ]


def test_ranking_by_reading(org):
    for code, name, keywords in [
        ("K1", "子供会活動補助金の交付申請", ""),
        ("K2", "こども医療費助成の申請", ""),
        ("K3", "子ども", ""),
        ("K4", "要保護児童の子ども食堂利用申請", ""),
        ("K5", "子育て短期支援事業の利用申請", "子ども ショートステイ"),
        ("K6", "ひとり親家庭の子供の学習支援", ""),
    ]:
        make_procedure(org, code, name, keywords)
    assert names(search(Procedure.objects.all(), "子ども")) == [
        "子ども",  # exact name
        "要保護児童の子ども食堂利用申請",  # name contains it
        "こども医療費助成の申請",  # reading starts with こども (shorter first)
        "子供会活動補助金の交付申請",
        "ひとり親家庭の子供の学習支援",  # reading contains こども
        "子育て短期支援事業の利用申請",  # keywords only
    ]


def test_limit_keeps_the_best(org):
    for n in range(5):
        make_procedure(org, f"L{n}", "転入届" + "の写し" * (4 - n))
    found = search(Procedure.objects.all(), "転入届", limit=2)
    assert [p.code for p in found] == ["L4", "L3"]
    assert search(Procedure.objects.all(), "転入届", limit=0) == []


def test_search_keeps_the_filters_of_the_queryset(catalogue):
    only_others = Procedure.objects.exclude(code="P02")
    assert names(search(only_others, "住民票")) == ["印鑑登録証明書の交付申請"]
