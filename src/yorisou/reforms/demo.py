"""Demo data of the reform plan, modelled on the city's 2023 report (see
``demo_data/plan/README.md`` for what is real and what is sample)."""

from pathlib import Path

from yorisou.core.demo import DemoLoader, DemoLogin, demo_loaders
from yorisou.core.permissions import SYSTEM

PLAN_DIR = Path(__file__).parent / "demo_data" / "plan"


@demo_loaders.register("reforms")
class ReformsDemoLoader(DemoLoader):
    """The city hall reform plan: stages, 6 promotion items, 71 initiatives,
    137 action items, statuses, the 9 verification indicators and the series."""

    order = 20

    def load(self) -> list[DemoLogin]:
        from yorisou.reforms import transfer

        workbook = transfer.read_plan_workbook(PLAN_DIR, PLAN_DIR.name)
        result = transfer.plan_import(actor=SYSTEM, workbook=workbook, mark_sample=True)
        if not result.ok:
            raise RuntimeError(f"demo plan is invalid: {result.errors[:5]}")
        return []
