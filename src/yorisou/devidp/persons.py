"""The sample people whose "card" the sample provider holds. Invented: 見本."""

from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class SamplePerson:
    """A person as the provider knows them: a stable subject id and the 基本4情報."""

    sub: str
    name: str
    address: str
    birthdate: date
    gender: str

    @property
    def person_id(self) -> str:
        return self.sub

    def claims(self) -> dict[str, str]:
        return {
            "name": self.name,
            "address": self.address,
            "birthdate": self.birthdate.isoformat(),
            "gender": self.gender,
        }


SAMPLE_PERSONS = (
    SamplePerson(
        sub="sample-7f3a91c2",
        name="見本 花子",
        address="東京都千代田区霞が関一丁目1番1号（見本）",
        birthdate=date(1985, 4, 1),
        gender="female",
    ),
    SamplePerson(
        sub="sample-2b8d40e6",
        name="見本 太郎",
        address="大阪府大阪市北区中之島一丁目3番20号（見本）",
        birthdate=date(1950, 12, 24),
        gender="male",
    ),
    SamplePerson(
        sub="sample-c94e17a5",
        name="見本 ゆう",
        address="北海道札幌市中央区北1条西2丁目（見本）",
        birthdate=date(2001, 2, 28),
        gender="other",
    ),
)
GENDER_LABELS = {"female": _("Female"), "male": _("Male"), "other": _("Other")}


def person_get(sub: str) -> SamplePerson | None:
    """The sample person with this subject id."""
    return next((p for p in SAMPLE_PERSONS if p.sub == sub), None)
