"""factory_boy factories of the reform plan."""

from decimal import Decimal

import factory

from yorisou.reforms.constants import PeriodKind
from yorisou.reforms.models import (
    ActionItem,
    Indicator,
    IndicatorValue,
    Initiative,
    Pillar,
    Plan,
    ReportingPeriod,
    Series,
    Stage,
)


class PlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Plan
        django_get_or_create = ("code",)

    code = "reform"
    name = "市役所改革計画"
    start_fy = 2022
    end_fy = 2023


class StageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Stage

    plan = factory.SubFactory(PlanFactory)
    code = factory.Sequence(lambda n: str(n + 1))
    name = factory.Sequence(lambda n: f"ステージ{n}")
    start_fy = 2022
    end_fy = 2023


class PillarFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Pillar

    stage = factory.SubFactory(StageFactory)
    plan = factory.SelfAttribute("stage.plan")
    code = factory.Sequence(lambda n: str(n + 1))
    name = factory.Sequence(lambda n: f"推進項目{n}")


class InitiativeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Initiative

    pillar = factory.SubFactory(PillarFactory)
    plan = factory.SelfAttribute("pillar.plan")
    code = factory.Sequence(lambda n: f"{n + 1}-1")
    name = factory.Sequence(lambda n: f"取組{n}")


class ActionItemFactory(factory.django.DjangoModelFactory):
    """Needs ``org_unit`` (a section); ``bureau`` is its first path segment."""

    class Meta:
        model = ActionItem

    initiative = factory.SubFactory(InitiativeFactory)
    plan = factory.SelfAttribute("initiative.plan")
    code = factory.Sequence(lambda n: f"9-9-{n + 1}")
    name = factory.Sequence(lambda n: f"取組項目{n}")
    bureau = factory.LazyAttribute(
        lambda o: type(o.org_unit).objects.get(code=o.org_unit.path.split("/")[0])
    )


class PeriodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReportingPeriod

    plan = factory.SubFactory(PlanFactory)
    code = "FY2022"
    kind = PeriodKind.YEAR
    fiscal_year = 2022
    starts_on = factory.Faker("date_between", start_date="-1y", end_date="-1y")
    ends_on = factory.LazyAttribute(lambda o: o.starts_on)
    deadline = factory.LazyAttribute(lambda o: o.ends_on)


class IndicatorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Indicator

    plan = factory.SubFactory(PlanFactory)
    code = factory.Sequence(lambda n: f"i-{n}")
    name = factory.Sequence(lambda n: f"指標{n}")
    unit = "%"
    direction = "higher"
    target_kind = "at_least"
    baseline_year = 2021
    baseline_value = Decimal("10")


class IndicatorValueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IndicatorValue

    indicator = factory.SubFactory(IndicatorFactory)
    fiscal_year = 2022
    kind = "actual"
    value = Decimal("1")


class SeriesFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Series

    code = factory.Sequence(lambda n: f"series-{n}")
    name = factory.Sequence(lambda n: f"系列{n}")
    unit = "%"
    frequency = "yearly"
