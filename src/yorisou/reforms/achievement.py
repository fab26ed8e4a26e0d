"""How an indicator (検証指標) is judged: achievement rate and 達成/順調/要注意/未達.

The rule, as shown on screen and in docs/glossary.md:

* The latest actual (A, year yA) is compared with the first target (T, year yT) in
  or after yA (or the last target if all lie before), starting from the baseline
  (B, year yB).
* **Achieved (達成)** when the target is met: A ≥ T for a floor ("at least"),
  A ≤ T for a ceiling ("at most"). A ceiling is met as long as A stays within it,
  even if A moved away from the baseline (市債残高 2,248 → 2,359 億円 under a ceiling
  of 2,430 億円 is achieved).
* **Missed (未達)** when the target year has come (yA ≥ yT) and the target is not met.
* Otherwise the **achievement rate** is the share of the way from B to T covered:
  (A − B) / (T − B) for a floor and (B − A) / (B − T) for a ceiling below the
  baseline. It is compared with the share of the time elapsed, (yA − yB) / (yT − yB):
  **on track (順調)** when the rate is at least the time share, **needs attention
  (要注意)** when it is below it (or when a ceiling at or above the baseline is
  exceeded before the target year).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from yorisou.reforms.constants import Direction, Judgement, TargetKind

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Assessment:
    """The computed state of one indicator."""

    baseline_year: int
    baseline_value: Decimal
    latest_year: int | None
    latest_value: Decimal | None
    target_year: int | None
    target_value: Decimal | None
    rate: Decimal | None  # achievement rate in %, None where it has no meaning
    time_share: Decimal | None  # share of the time to the target elapsed, in %
    judgement: Judgement
    improved: bool | None  # latest better than baseline, in the indicator's direction


def _pick_target(targets: Mapping[int, Decimal], year: int) -> tuple[int, Decimal]:
    upcoming = sorted(y for y in targets if y >= year)
    chosen = upcoming[0] if upcoming else max(targets)
    return chosen, targets[chosen]


def assess(
    *,
    direction: str,
    target_kind: str,
    baseline_year: int,
    baseline_value: Decimal,
    actuals: Mapping[int, Decimal],
    targets: Mapping[int, Decimal],
) -> Assessment:
    """Assess an indicator from its baseline, actuals per year and targets per year."""
    later = {y: v for y, v in actuals.items() if y > baseline_year}
    if not later or not targets:
        latest_year = max(later) if later else None
        return Assessment(
            baseline_year,
            baseline_value,
            latest_year,
            later.get(latest_year) if latest_year else None,
            None,
            None,
            None,
            None,
            Judgement.NO_DATA,
            None,
        )
    y_a = max(later)
    a = later[y_a]
    b = baseline_value
    y_t, t = _pick_target(targets, y_a)
    ceiling = target_kind == TargetKind.AT_MOST
    met = a <= t if ceiling else a >= t
    improved = (a < b) if direction == Direction.LOWER else (a > b)
    if a == b:
        improved = False

    rate: Decimal | None
    if ceiling:
        rate = (b - a) / (b - t) * HUNDRED if b > t else None
    elif t != b:
        rate = (a - b) / (t - b) * HUNDRED
    else:
        rate = HUNDRED if met else Decimal(0)

    time_share: Decimal | None = None
    if y_t > baseline_year:
        time_share = Decimal(y_a - baseline_year) / Decimal(y_t - baseline_year) * 100

    if met:
        judgement = Judgement.ACHIEVED
    elif y_a >= y_t:
        judgement = Judgement.MISSED
    elif rate is not None and time_share is not None and rate >= time_share:
        judgement = Judgement.ON_TRACK
    else:
        judgement = Judgement.WATCH
    return Assessment(
        baseline_year, b, y_a, a, y_t, t, rate, time_share, judgement, improved
    )
