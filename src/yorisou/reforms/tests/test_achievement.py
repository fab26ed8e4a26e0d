"""The judgement rule of indicators (検証指標), with the seed's own figures."""

from decimal import Decimal as D

import pytest

from yorisou.reforms.achievement import assess
from yorisou.reforms.constants import Judgement


def judge(
    direction: str,
    kind: str,
    base: str,
    latest: str,
    target: str,
    *,
    years=(2021, 2022, 2023),
):
    return assess(
        direction=direction,
        target_kind=kind,
        baseline_year=years[0],
        baseline_value=D(base),
        actuals={years[0]: D(base), years[1]: D(latest)},
        targets={years[2]: D(target)},
    )


@pytest.mark.parametrize(
    ("name", "direction", "kind", "values", "judgement", "rate"),
    [
        (
            "satisfaction",
            "higher",
            "at_least",
            ("48.9", "44.1", "65"),
            Judgement.WATCH,
            "-29.8",
        ),
        (
            "ward counters",
            "higher",
            "at_least",
            ("87", "87", "90"),
            Judgement.WATCH,
            "0.0",
        ),
        (
            "konbini",
            "higher",
            "at_least",
            ("107087", "300170", "500000"),
            Judgement.WATCH,
            "49.1",
        ),
        (
            "motivation",
            "higher",
            "at_least",
            ("82", "81", "95"),
            Judgement.WATCH,
            "-7.7",
        ),
        (
            "leave days",
            "higher",
            "at_least",
            ("14", "15", "16"),
            Judgement.ON_TRACK,
            "50.0",
        ),
        (
            "telework",
            "higher",
            "at_least",
            ("23", "45", "50"),
            Judgement.ON_TRACK,
            "81.5",
        ),
        (
            "debt ratio",
            "lower",
            "at_most",
            ("5.4", "5.3", "5.2"),
            Judgement.ON_TRACK,
            "50.0",
        ),
        (
            "future burden",
            "lower",
            "at_most",
            ("104.6", "108.5", "107.8"),
            Judgement.WATCH,
            None,
        ),
        (
            "bonds",
            "lower",
            "at_most",
            ("2248", "2359", "2430"),
            Judgement.ACHIEVED,
            None,
        ),
    ],
)
def test_seed_indicators_are_judged_by_the_rule(
    name, direction, kind, values, judgement, rate
):
    result = judge(direction, kind, *values)
    assert result.judgement == judgement, name
    if rate is None:
        assert result.rate is None
    else:
        assert f"{result.rate:.1f}" == rate
    assert result.latest_year == 2022 and result.target_year == 2023
    assert result.time_share == D(50)


def test_municipal_bonds_within_the_ceiling_are_achieved_though_they_grew():
    result = judge("lower", "at_most", "2248", "2359", "2430")
    assert result.judgement == Judgement.ACHIEVED
    assert result.improved is False  # it moved the wrong way, but stays within target


def test_ceiling_below_the_baseline_measures_the_way_down():
    result = judge("lower", "at_most", "100", "90", "80")
    assert result.rate == D(50)
    assert result.judgement == Judgement.ON_TRACK


def test_target_year_reached_without_meeting_it_is_missed():
    result = judge("higher", "at_least", "10", "15", "20", years=(2021, 2023, 2023))
    assert result.judgement == Judgement.MISSED


def test_floor_met_early_is_achieved():
    assert judge("higher", "at_least", "10", "25", "20").judgement == Judgement.ACHIEVED


def test_ceiling_exceeded_at_the_target_year_is_missed():
    result = judge("lower", "at_most", "5.4", "5.3", "5.2", years=(2021, 2023, 2023))
    assert result.judgement == Judgement.MISSED


def test_no_actual_after_the_baseline_means_no_data():
    result = assess(
        direction="higher",
        target_kind="at_least",
        baseline_year=2021,
        baseline_value=D(1),
        actuals={2021: D(1)},
        targets={2023: D(2)},
    )
    assert result.judgement == Judgement.NO_DATA


def test_the_next_target_after_the_latest_year_is_used():
    result = assess(
        direction="higher",
        target_kind="at_least",
        baseline_year=2020,
        baseline_value=D(0),
        actuals={2022: D(30)},
        targets={2021: D(10), 2024: D(100), 2026: D(200)},
    )
    assert result.target_year == 2024
    assert result.rate == D(30)
    assert result.judgement == Judgement.WATCH  # 30% of the way, 50% of the time
