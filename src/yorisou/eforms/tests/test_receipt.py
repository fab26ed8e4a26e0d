import io
from datetime import UTC, datetime

from django.utils import translation
from django.utils.translation import gettext

from pypdf import PdfReader

from yorisou.eforms.receipt import Receipt, render_receipt

REFERENCE = "2026-1128-7K4-F9Q-XM2"


def receipt(**changes) -> Receipt:
    values = {
        "city_name": "熊本市",
        "procedure_name_ja": "児童手当 認定請求",
        "procedure_name_en": "Child allowance claim",
        "reference": REFERENCE,
        # 05:05 UTC is 14:05 in Japan
        "submitted_at": datetime(2026, 11, 28, 5, 5, tzinfo=UTC),
        "applicant_name": "熊本 太郎",
        "rows": [
            ("申請者", "氏名", "熊本 太郎"),
            ("申請者", "個人番号", "**** **** 9012"),
            ("振込先", "金融機関", "肥後銀行 本店"),
        ],
        "fee": 1200,
        "fee_note": "窓口でお支払いください",
        "contact_section": "子ども支援課",
        "contact_phone": "096-328-2158",
        "status_url": f"https://yorisou.example.jp/eforms/status/{REFERENCE}",
    }
    values.update(changes)
    return Receipt(**values)


def pages(pdf: bytes) -> list[str]:
    assert pdf.startswith(b"%PDF-")
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def test_receipt_shows_the_essentials():
    (text,) = pages(render_receipt(receipt()))
    assert REFERENCE in text
    assert "熊本市" in text
    assert "児童手当 認定請求" in text
    assert "金融機関" in text
    assert "肥後銀行 本店" in text
    assert "**** **** 9012" in text
    assert "1,200円" in text
    assert "窓口でお支払いください" in text
    assert "子ども支援課" in text
    assert "096-328-2158" in text


def test_submitted_at_in_japan_time_and_wareki():
    (text,) = pages(render_receipt(receipt()))
    assert "令和8年11月28日" in text
    assert "14:05" in text


def test_japanese_headings_come_from_the_catalogue():
    (text,) = pages(render_receipt(receipt(language="ja")))
    with translation.override("ja"):
        for heading in ("Application receipt", "Reference number", "Your answers"):
            assert gettext(heading) in text


def test_english_headings():
    (text,) = pages(render_receipt(receipt(language="en", fee=1200)))
    assert "Application receipt" in text
    assert "Reference number" in text
    assert "Submitted at" in text
    assert "Child allowance claim" in text
    assert "2026-11-28 14:05 JST" in text
    assert "¥1,200" in text
    assert "Inquiries" in text


def test_the_language_does_not_leak():
    with translation.override("en"):
        render_receipt(receipt(language="ja"))
        assert translation.get_language() == "en"


def test_no_fee_and_free():
    (text,) = pages(render_receipt(receipt(fee=None, fee_note="")))
    assert "円" not in text
    (text,) = pages(render_receipt(receipt(language="en", fee=0, fee_note="")))
    assert "No fee" in text


def test_without_rows_contact_or_qr():
    pdf = render_receipt(
        receipt(rows=[], contact_section="", contact_phone="", status_url="")
    )
    (text,) = pages(pdf)
    assert REFERENCE in text


def test_markup_in_values_is_shown_as_text():
    (text,) = pages(render_receipt(receipt(rows=[("A", "<b>x</b>", "a & b <i>")])))
    assert "<b>x</b>" in text
    assert "a & b <i>" in text


def test_many_rows_flow_onto_numbered_pages():
    rows = [(f"区分{i // 10}", f"項目{i}", f"回答{i}") for i in range(100)]
    texts = pages(render_receipt(receipt(rows=rows)))
    total = len(texts)
    assert total >= 2
    for number, text in enumerate(texts, start=1):
        assert f"{number} / {total}" in text
        assert REFERENCE in text  # the header repeats
    everything = "".join(texts)
    assert "回答0" in everything
    assert "回答99" in everything


def test_a_very_long_answer_wraps_over_pages():
    long_answer = "長い説明です。" * 1500 + "おわり"
    texts = pages(render_receipt(receipt(rows=[("備考", "自由記述", long_answer)])))
    assert len(texts) >= 3
    assert "おわり" in texts[-1] or "おわり" in texts[-2]


def test_a_long_latin_word_wraps():
    url = "https://example.jp/" + "a" * 400
    texts = pages(render_receipt(receipt(rows=[("A", "URL", url)])))
    assert len(texts) == 1
