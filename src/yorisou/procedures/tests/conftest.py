"""Fixtures of the procedure tests: a small hand-checked catalogue."""

from typing import Any

import pytest

from yorisou.core.constants import Role
from yorisou.procedures.tests.factories import ProcedureFactory, ProcedureVolumeFactory


@pytest.fixture
def catalogue(org: dict[str, Any]) -> dict[str, Any]:
    """Six procedures, FY2022 cases (counter + online):

    A 住民票 1,000 (900 + 100) in 高齢福祉課 (健康福祉局), national_26
    B 転出届 500 (500) in 高齢福祉課
    C 児童手当 300 (200 + 100) in 障がい保健福祉課, national_26
    D 犬の登録 150 (150) in 情報政策課 (総務局)
    E 道路占用 40 (40) in 情報政策課
    F 古文書閲覧 10 (10) in 改革プロジェクト推進課
    Total 2,000 cases.
    """
    rows = [
        ("A", "住民票の写しの交付請求", "elderly", 900, 100, True),
        ("B", "転出届", "elderly", 500, 0, False),
        ("C", "児童手当の認定請求", "disability", 200, 100, True),
        ("D", "犬の登録", "info", 150, 0, False),
        ("E", "道路占用許可申請", "info", 40, 0, False),
        ("F", "古文書の閲覧申請", "reform", 10, 0, False),
    ]
    procedures = {}
    for code, name, section, counter, online, national in rows:
        procedure = ProcedureFactory(
            code=code, name=name, org_unit=org[section], national_26=national
        )
        ProcedureVolumeFactory(procedure=procedure, channel="counter", cases=counter)
        if online:
            ProcedureVolumeFactory(procedure=procedure, channel="online", cases=online)
        procedures[code] = procedure
    return procedures


@pytest.fixture
def officer(make_user: Any, org: dict[str, Any]) -> Any:
    """A city-wide procedure officer."""
    return make_user(Role.PROCEDURE_OFFICER, org_unit=org["reform"], username="officer")


@pytest.fixture
def health_officer(make_user: Any, org: dict[str, Any]) -> Any:
    """A procedure officer for 健康福祉局 only."""
    return make_user(
        Role.PROCEDURE_OFFICER,
        org_unit=org["elderly"],
        scope=org["health"],
        username="healthofficer",
    )
