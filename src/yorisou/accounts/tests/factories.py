"""factory_boy factories of the accounts app."""

import factory

from yorisou.accounts.models import OrgUnit, RoleAssignment, User

TEST_PASSWORD = "correct-horse-battery"


class OrgUnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrgUnit
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"9{n:03d}")
    name = factory.Sequence(lambda n: f"テスト組織{n}")
    name_en = factory.Sequence(lambda n: f"Test unit {n}")
    level = "bureau"
    parent = None
    path = factory.LazyAttribute(
        lambda o: f"{o.parent.path}/{o.code}" if o.parent else o.code
    )


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.jp")
    display_name = factory.LazyAttribute(lambda o: f"{o.username} さん")
    password = factory.django.Password(TEST_PASSWORD)


class RoleAssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoleAssignment

    user = factory.SubFactory(UserFactory)
    role = "staff"
