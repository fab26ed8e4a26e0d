"""factory_boy factories of the procedure inventory."""

import factory

from yorisou.procedures.models import Procedure, ProcedureVolume, Tag
from yorisou.procedures.search import search_text_for


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag
        django_get_or_create = ("kind", "code")

    kind = "life_event"
    code = factory.Sequence(lambda n: f"tag-{n}")
    name = factory.Sequence(lambda n: f"タグ{n}")


class ProcedureFactory(factory.django.DjangoModelFactory):
    """Needs ``org_unit`` (a section); ``bureau`` is its first path segment."""

    class Meta:
        model = Procedure

    code = factory.Sequence(lambda n: f"T-{n:05d}")
    name = factory.Sequence(lambda n: f"テスト手続{n}の申請")
    kind = "application"
    legal_basis_kind = "national_law"
    bureau = factory.LazyAttribute(
        lambda o: type(o.org_unit).objects.get(code=o.org_unit.path.split("/")[0])
    )
    search_text = factory.LazyAttribute(
        lambda o: search_text_for(name=o.name, keywords=o.keywords)
    )
    keywords = ""


class ProcedureVolumeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProcedureVolume

    procedure = factory.SubFactory(ProcedureFactory)
    fiscal_year = 2022
    channel = "counter"
    cases = 100
