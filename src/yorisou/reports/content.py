"""What a report is made of, independent of the file format (the renderers turn
it into pptx, pdf or xlsx). Sections build these from their app's selectors."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

Number = int | float | Decimal | None


@dataclass
class Table:
    """A real table: header, rows, and an Excel number format per column
    (``None`` for text), e.g. ``"#,##0"``, ``"0.0"``, ``"0.0%"``."""

    title: str
    columns: list[str]
    rows: Sequence[Sequence[Any]]
    formats: list[str | None] = field(default_factory=list)


@dataclass
class Chart:
    """A native chart: ``kind`` is ``bar`` (clustered columns), ``stacked_bar``
    (horizontal, stacked), ``line`` or ``stacked_column``; one value per category
    in every series."""

    title: str
    kind: str
    categories: list[str]
    series: Sequence[tuple[str, Sequence[Number]]]
    unit: str = ""
    number_format: str = "#,##0"


@dataclass
class Page:
    """One slide / one PDF page: a title, short paragraphs, tables and charts, and
    notes that say where each figure comes from and for which period."""

    title: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    notes: str = ""


@dataclass
class Report:
    """A whole report: cover facts and the pages of every section in order."""

    title: str
    organisation: str
    period_label: str
    generated_at: datetime
    pages: list[Page] = field(default_factory=list)
