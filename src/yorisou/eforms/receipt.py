"""The receipt (受付票) an applicant gets after submitting an online application.

An A4 PDF made with reportlab: the city, the procedure, the reference number in
large type with a QR code of the status page, the time of submission in Japan
time and in the Japanese calendar (和暦), the answers as the caller passes them
(already masked: My Number never reaches this module), the fee and whom to ask.
Japanese text uses the built-in CID font, so no font file is needed and the text
stays selectable. Long answers wrap and many answers flow onto more pages, each
with the header and "page / pages".
"""

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from xml.sax.saxutils import escape

from django.utils import timezone, translation
from django.utils.translation import gettext

import segno
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas as pdf_canvas
from reportlab.platypus import (
    Flowable,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from yorisou.core.dates import wareki

__all__ = ["Receipt", "render_receipt"]

FONT = "HeiseiKakuGo-W5"
PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 18 * mm
HEADER_H = 12 * mm
FOOTER_H = 10 * mm
QR_SIZE = 32 * mm
LINE = colors.HexColor("#9AA5B1")
SHADE = colors.HexColor("#EEF2F6")
INK = colors.HexColor("#1F2933")
MUTED = colors.HexColor("#52606D")
# At most this much of one answer per table row (about half a page).
MAX_PIECE_CHARS = 800
MAX_PIECE_LINES = 20


@dataclass(frozen=True)
class Receipt:
    """What a receipt shows. ``rows`` are (section title, label, value) in the
    order of the form, with values already formatted and masked by the caller."""

    city_name: str
    procedure_name_ja: str
    procedure_name_en: str
    reference: str
    submitted_at: datetime  # aware
    applicant_name: str
    rows: Sequence[tuple[str, str, str]] = ()
    fee: int | None = None
    fee_note: str = ""
    contact_section: str = ""
    contact_phone: str = ""
    language: str = "ja"  # "ja" or "en": the headings and formats
    status_url: str = ""  # shown as a QR code when given


def _register_font() -> None:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle(
        "base",
        fontName=FONT,
        fontSize=10,
        leading=14,
        textColor=INK,
        wordWrap="CJK",  # breaks Japanese anywhere and long Latin words too
    )
    return {
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=8.5, leading=12),
        "muted": ParagraphStyle(
            "muted", parent=base, fontSize=8.5, leading=12, textColor=MUTED
        ),
        "title": ParagraphStyle("title", parent=base, fontSize=18, leading=24),
        "procedure": ParagraphStyle("procedure", parent=base, fontSize=13, leading=18),
        "reference": ParagraphStyle("reference", parent=base, fontSize=20, leading=26),
        "section": ParagraphStyle("section", parent=base, fontSize=10.5, leading=15),
    }


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


class _QrCode(Flowable):
    """A QR code drawn as vector squares (sharp at any zoom, no image)."""

    def __init__(self, data: str, size: float) -> None:
        super().__init__()
        self.qr = segno.make(data, error="m", micro=False)
        self.size = size
        self.width = self.height = size

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        return self.size, self.size

    def draw(self) -> None:
        matrix = [list(row) for row in self.qr.matrix]
        border = 2
        cells = len(matrix) + 2 * border
        cell = self.size / cells
        c = self.canv
        c.setFillColor(colors.black)
        c.setStrokeColor(colors.black)
        for y, row in enumerate(matrix):
            top = self.size - (y + border + 1) * cell
            x = 0
            while x < len(row):
                if row[x]:
                    start = x
                    while x < len(row) and row[x]:
                        x += 1
                    c.rect(
                        (start + border) * cell,
                        top,
                        (x - start) * cell,
                        cell,
                        stroke=0,
                        fill=1,
                    )
                else:
                    x += 1


def _numbered_canvas(header: str) -> type:
    """A canvas that writes the header and "page / pages" once the number of
    pages is known (reportlab draws each page before it knows the total)."""

    class NumberedCanvas(pdf_canvas.Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                self._decorate(number, total)
                super().showPage()
            super().save()

        def _decorate(self, number: int, total: int) -> None:
            self.saveState()
            self.setFont(FONT, 8.5)
            self.setFillColor(MUTED)
            top = PAGE_HEIGHT - MARGIN + 4 * mm
            self.drawString(MARGIN, top, header)
            self.setStrokeColor(LINE)
            self.setLineWidth(0.5)
            self.line(MARGIN, top - 2 * mm, PAGE_WIDTH - MARGIN, top - 2 * mm)
            self.drawRightString(
                PAGE_WIDTH - MARGIN, MARGIN - 6 * mm, f"{number} / {total}"
            )
            self.restoreState()

    return NumberedCanvas


def _submitted(when: datetime, language: str) -> str:
    local = timezone.localtime(when)
    if language == "ja":
        return (
            f"{wareki(local)}（{local.year}年{local.month}月{local.day}日）"
            f"{local:%H:%M}"
        )
    return f"{local:%Y-%m-%d %H:%M} JST ({wareki(local)})"


def _fee(receipt: Receipt) -> str:
    if receipt.fee is None:
        return ""
    if receipt.fee == 0:
        text = gettext("No fee")
    elif receipt.language == "ja":
        text = f"{receipt.fee:,}円"
    else:
        text = f"¥{receipt.fee:,}"
    return f"{text}\n{receipt.fee_note}" if receipt.fee_note else text


def _key_table(receipt: Receipt, styles: dict[str, ParagraphStyle]) -> Table:
    procedure = (
        receipt.procedure_name_ja
        if receipt.language == "ja"
        else receipt.procedure_name_en or receipt.procedure_name_ja
    )
    rows: list[list[Any]] = [
        [_p(gettext("Procedure"), styles["small"]), _p(procedure, styles["procedure"])],
        [
            _p(gettext("Reference number"), styles["small"]),
            _p(receipt.reference, styles["reference"]),
        ],
        [
            _p(gettext("Submitted at"), styles["small"]),
            _p(_submitted(receipt.submitted_at, receipt.language), styles["body"]),
        ],
        [
            _p(gettext("Applicant"), styles["small"]),
            _p(receipt.applicant_name, styles["body"]),
        ],
    ]
    fee = _fee(receipt)
    if fee:
        rows.append([_p(gettext("Fee"), styles["small"]), _p(fee, styles["body"])])
    label_w = 30 * mm
    qr_w = QR_SIZE + 6 * mm if receipt.status_url else 0
    table = Table(rows, colWidths=[label_w, PAGE_WIDTH - 2 * MARGIN - label_w - qr_w])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.5, LINE),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
                ("LEFTPADDING", (0, 0), (0, -1), 0),
            ]
        )
    )
    if not receipt.status_url:
        return table
    qr = Table(
        [
            [_QrCode(receipt.status_url, QR_SIZE)],
            [_p(gettext("Scan to check the status"), styles["muted"])],
        ],
        colWidths=[QR_SIZE],
    )
    qr.setStyle(
        TableStyle(
            [
                ("ALIGN", (0, 0), (-1, -1), "CENTER"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    outer = Table([[table, qr]], colWidths=[PAGE_WIDTH - 2 * MARGIN - qr_w, qr_w])
    outer.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (0, -1), 6 * mm),
                ("RIGHTPADDING", (1, 0), (1, -1), 0),
            ]
        )
    )
    return outer


def _pieces(value: str) -> list[str]:
    """*value* cut into pieces that fit on a page: a table row cannot be split,
    so a very long answer continues over several rows."""
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    for line in value.split("\n"):
        while len(line) > MAX_PIECE_CHARS:
            pieces.extend(["\n".join(current)] if current else [])
            current, size = [], 0
            pieces.append(line[:MAX_PIECE_CHARS])
            line = line[MAX_PIECE_CHARS:]
        if current and (
            size + len(line) > MAX_PIECE_CHARS or len(current) >= MAX_PIECE_LINES
        ):
            pieces.append("\n".join(current))
            current, size = [], 0
        current.append(line)
        size += len(line)
    pieces.append("\n".join(current))
    return pieces


def _answers_table(
    rows: Sequence[tuple[str, str, str]], styles: dict[str, ParagraphStyle]
) -> Table:
    data: list[list[Any]] = []
    commands: list[tuple[Any, ...]] = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("GRID", (0, 0), (-1, -1), 0.5, LINE),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
    ]
    section: str | None = None
    for title, label, value in rows:
        if title != section and title:
            row = len(data)
            commands += [
                ("SPAN", (0, row), (1, row)),
                ("BACKGROUND", (0, row), (1, row), SHADE),
                # a section title never ends a page alone
                ("NOSPLIT", (0, row), (1, row + 1)),
            ]
            data.append([_p(title, styles["section"]), ""])
        section = title
        for number, piece in enumerate(_pieces(value or "—")):
            data.append(
                [
                    _p(label if number == 0 else "", styles["small"]),
                    _p(piece, styles["body"]),
                ]
            )
    label_w = 55 * mm
    table = Table(
        data,
        colWidths=[label_w, PAGE_WIDTH - 2 * MARGIN - label_w],
        splitByRow=1,
        repeatRows=0,
    )
    table.setStyle(TableStyle(commands))
    return table


def render_receipt(receipt: Receipt) -> bytes:
    """The receipt as PDF bytes (one page or more, A4 portrait)."""
    _register_font()
    language = receipt.language if receipt.language in ("ja", "en") else "ja"
    with translation.override(language):
        return _render(receipt, language)


def _render(receipt: Receipt, language: str) -> bytes:
    styles = _styles()
    title = gettext("Application receipt")
    header = f"{receipt.city_name}　{title}　{receipt.reference}"
    output = io.BytesIO()
    doc = SimpleDocTemplate(
        output,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN + HEADER_H / 2,
        bottomMargin=MARGIN,
        title=f"{title} {receipt.reference}",
        author=receipt.city_name,
        lang=language,
    )
    story: list[Any] = [
        _p(receipt.city_name, styles["muted"]),
        _p(title, styles["title"]),
        Spacer(1, 4 * mm),
        _key_table(receipt, styles),
        Spacer(1, 4 * mm),
        _p(
            gettext(
                "We have received your application. Keep this receipt and quote the "
                "reference number when you contact us."
            ),
            styles["body"],
        ),
        Spacer(1, 6 * mm),
    ]
    if receipt.rows:
        story += [
            _p(gettext("Your answers"), styles["section"]),
            Spacer(1, 2 * mm),
            _answers_table(receipt.rows, styles),
            Spacer(1, 6 * mm),
        ]
    if receipt.contact_section or receipt.contact_phone:
        contact = "　".join(
            part for part in (receipt.contact_section, receipt.contact_phone) if part
        )
        story += [
            _p(gettext("Inquiries"), styles["section"]),
            _p(contact, styles["body"]),
        ]
    doc.build(story, canvasmaker=_numbered_canvas(header))
    return output.getvalue()
