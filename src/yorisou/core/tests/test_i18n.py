from pathlib import Path

from babel.messages.pofile import read_po

LOCALE = Path(__file__).resolve().parents[2] / "locale"


def test_japanese_catalogue_is_complete():
    with (LOCALE / "ja" / "LC_MESSAGES" / "django.po").open("rb") as f:
        catalog = read_po(f)
    missing = [
        m.id
        for m in catalog
        if m.id
        and (not (m.string if isinstance(m.string, str) else all(m.string)) or m.fuzzy)
    ]
    assert missing == []
    assert len(catalog) > 150


def test_every_template_string_is_in_the_catalogue():
    """A template string missing from the .po would show in English in Japanese."""
    import re

    with (LOCALE / "ja" / "LC_MESSAGES" / "django.po").open("rb") as f:
        ids = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f)}
    root = Path(__file__).resolve().parents[2]
    pattern = re.compile(r'{% translate "([^"]+)"')
    missing = {
        text
        for template in root.rglob("templates/**/*.html")
        for text in pattern.findall(template.read_text())
        if text not in ids
    }
    assert missing == set()
