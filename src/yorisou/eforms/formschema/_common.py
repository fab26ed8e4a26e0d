"""Small pieces shared by the modules of the form engine."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.utils.translation import get_language

if TYPE_CHECKING:
    from yorisou.eforms.formschema.fields import FieldType

#: Languages a definition's texts are written in; Japanese is required.
LANGS = ("ja", "en")

#: Where a field may take its first value from (claims of the My Number card
#: sign-in, or the account's email address).
PREFILL_KEYS = ("name", "address", "birthdate", "gender", "email")


def lang_of(lang: str | None = None) -> str:
    """``"ja"`` or ``"en"`` for a language code (default: the active language)."""
    primary = (lang or get_language() or "ja").replace("_", "-").split("-")[0]
    return "en" if primary.lower() == "en" else "ja"


def text_in(value: Any, lang: str | None = None) -> str:
    """A text of a definition (``{"ja": …, "en": …}`` or a plain string) in
    ``lang``; the Japanese text stands in for a missing translation."""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        wanted = lang_of(lang)
        for candidate in (wanted, "ja", "en"):
            text = value.get(candidate)
            if isinstance(text, str) and text:
                return text
    return ""


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem of a form definition.

    ``path`` points into the definition (``steps.0.fields.2.type``); ``severity``
    is ``"error"`` (the definition cannot be used) or ``"warning"`` (it can, but
    something is missing, such as an English label).
    """

    path: str
    message: str
    severity: str = "error"

    @property
    def is_error(self) -> bool:
        return self.severity == "error"


class FieldError(Exception):
    """A citizen's value is not acceptable; ``message`` says why, plainly.

    Composite fields (an address) name the part that is wrong in ``parts``
    (part key → message) instead of, or as well as, ``message``.
    """

    def __init__(self, message: str = "", *, parts: Mapping[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.parts: dict[str, str] = dict(parts or {})


@dataclass(frozen=True, eq=False)
class Field:
    """A field of a parsed definition: its key, type and options (``spec``).

    ``group`` is the key of the repeating group the field belongs to (None at
    the top level); ``fields`` are the nested fields of a group.
    """

    key: str
    type: str
    spec: Mapping[str, Any]
    kind: "FieldType"
    step: str
    fields: tuple["Field", ...] = ()
    group: str | None = None

    def label(self, lang: str | None = None) -> str:
        return text_in(self.spec.get("label"), lang)

    def help(self, lang: str | None = None) -> str:
        return text_in(self.spec.get("help"), lang)

    def opt(self, name: str, default: Any = None) -> Any:
        """An option of the field's definition."""
        return self.spec.get(name, default)

    @property
    def required(self) -> bool:
        return bool(self.spec.get("required", False))

    @property
    def visible_if(self) -> Any:
        return self.spec.get("visible_if")

    @property
    def required_if(self) -> Any:
        return self.spec.get("required_if")

    @property
    def prefill(self) -> str | None:
        value = self.spec.get("prefill")
        return value if isinstance(value, str) else None

    def walk(self) -> "list[Field]":
        """This field and, for a group, every nested field (depth first)."""
        found = [self]
        for child in self.fields:
            found.extend(child.walk())
        return found
