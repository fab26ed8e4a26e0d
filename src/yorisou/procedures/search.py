"""Japanese search of the procedure catalogue (placeholder; see issue 4 §6).

``search_text_for`` builds the text stored in ``Procedure.search_text``;
``normalise`` is applied to both the stored text and the query.
"""

import unicodedata


def normalise(text: str) -> str:
    """NFKC and lower case (to be extended: kana, readings, 旧字)."""
    return unicodedata.normalize("NFKC", text).lower()


def search_text_for(*, name: str, keywords: str = "") -> str:
    """The searchable text of a procedure."""
    return normalise(f"{name} {keywords}")
