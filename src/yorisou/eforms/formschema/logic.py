"""JSON Logic for conditions, rules and computed values of form definitions.

Expressions are evaluated with ``json_logic.jsonLogic`` (package
``json-logic-modernized``); the browser evaluates the same expressions with
``json-logic-js`` (``static/yorisou/js/eforms.js``), which registers the same two
extra operators. Only the operators in :data:`OPERATORS` may appear in a
definition (:func:`check_logic` reports any other as a definition problem).

Dates are ISO strings (``"2023-04-01"``), so ``<``, ``<=``, ``==`` … compare them
correctly. Two operators are added for dates:

- ``{"today": []}``: today's date in Japan time, ISO;
- ``{"years_between": [from, to]}``: whole years from one date to the other (an age:
  ``{"years_between": [{"var": "birthdate"}, {"today": []}]}``); null when either
  is not a date.

An expression that fails at run time (a missing value multiplied, a division by
zero) never crashes the form: :func:`evaluate` logs it and returns the default.
"""

import logging
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from json_logic import jsonLogic, operations

from yorisou.eforms.formschema._common import Problem

logger = logging.getLogger(__name__)

#: Operators a definition may use (``log`` and anything unknown are refused).
OPERATORS: frozenset[str] = frozenset(
    {
        "var", "missing", "missing_some",
        "if", "?:", "==", "===", "!=", "!==", "!", "!!", "and", "or",
        ">", ">=", "<", "<=", "+", "-", "*", "/", "%", "min", "max",
        "in", "cat", "substr", "merge",
        "map", "filter", "reduce", "all", "none", "some",
        "today", "years_between",
    }
)  # fmt: skip

# Operators whose second argument is evaluated per element of an array: the
# ``var`` inside refers to the element, not to the form's fields.
_ARRAY_OPERATORS = frozenset({"map", "filter", "reduce", "all", "none", "some"})


def _to_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def _today() -> str:
    return timezone.localdate().isoformat()


def _years_between(start: Any, end: Any = None) -> int | None:
    first, last = _to_date(start), _to_date(end if end is not None else _today())
    if first is None or last is None:
        return None
    years = last.year - first.year
    if (last.month, last.day) < (first.month, first.day):
        years -= 1
    return years


# json-logic-modernized keeps its operators in one module-level table.
operations.setdefault("today", _today)
operations.setdefault("years_between", _years_between)


def evaluate(expression: Any, data: Mapping[str, Any], default: Any = None) -> Any:
    """The value of a JSON Logic ``expression`` over ``data``; ``default`` if it
    fails (the failure is logged: it is a problem of the definition)."""
    try:
        return jsonLogic(expression, dict(data))
    except Exception as exc:  # a rule's error is the definition's, not the citizen's
        # Usually a value not given yet (null * 300); definitions are checked for
        # unknown operators and fields before they are used.
        logger.debug("form logic failed: %r: %s", expression, exc)
        return default


def truthy(expression: Any, data: Mapping[str, Any], default: bool = False) -> bool:
    """Whether a condition holds, with JSON Logic's notion of truth (an empty
    list is false, as in json-logic-js)."""
    value = evaluate(expression, data, default)
    if isinstance(value, list):
        return len(value) > 0
    return bool(value)


def variables(expression: Any) -> set[str]:
    """The field paths an expression reads with ``var`` (outside array operators)."""
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict) and len(node) == 1:
            operator, args = next(iter(node.items()))
            args_list = args if isinstance(args, list) else [args]
            if operator == "var":
                if args_list and isinstance(args_list[0], str | int):
                    found.add(str(args_list[0]))
                return
            if operator in ("missing", "missing_some"):
                names = args_list[-1] if operator == "missing_some" else args_list
                if isinstance(names, list) and names and isinstance(names[0], list):
                    names = names[0]
                for name in names if isinstance(names, list) else []:
                    if isinstance(name, str):
                        found.add(name)
                return
            if operator in _ARRAY_OPERATORS:
                walk(args_list[:1])
                walk(args_list[2:])
                return
            walk(args_list)

    walk(expression)
    return {name for name in found if name}


def check_logic(expression: Any, path: str, known: Iterable[str]) -> list[Problem]:
    """Problems of an expression: unknown operators, malformed nodes and ``var``
    references to fields that do not exist (``known``: every field key)."""
    problems: list[Problem] = []
    keys = set(known)

    def walk(node: Any, where: str) -> None:
        if isinstance(node, list):
            for index, item in enumerate(node):
                walk(item, f"{where}.{index}")
        elif isinstance(node, dict):
            if len(node) != 1:
                problems.append(
                    Problem(
                        where,
                        _("A logic expression must have exactly one operator."),
                    )
                )
                return
            operator, args = next(iter(node.items()))
            if operator not in OPERATORS:
                problems.append(
                    Problem(
                        where,
                        _("Unknown logic operator “%(operator)s”.")
                        % {"operator": operator},
                    )
                )
                return
            walk(args, f"{where}.{operator}")

    walk(expression, path)
    for name in sorted(variables(expression)):
        if name.split(".")[0] not in keys:
            problems.append(
                Problem(
                    path,
                    _("The expression refers to an unknown field “%(name)s”.")
                    % {"name": name},
                )
            )
    return problems
