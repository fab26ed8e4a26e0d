"""Checks on files that applicants upload (添付書類), made on their content.

:func:`check_upload` looks at what a file is, not what it is called: the first
bytes are identified with ``puremagic`` and confirmed against each accepted type's
signature; a name whose extension says something else is refused (a photo saved
as ``.jpg`` that is really a PNG is accepted and recorded as a PNG); PDFs with
scripts or launch actions are refused. The file is read once, in chunks, for its
size, its SHA-256 and the PDF check.

Messages name the problem and what to do, without echoing file contents. Nothing
here logs.
"""

import hashlib
import re
import unicodedata
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext

import puremagic

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile

__all__ = ["CheckedFile", "check_upload", "safe_file_name"]

HEAD_BYTES = 8192  # enough for every signature; read once more, not the whole file
CHUNK_BYTES = 256 * 1024
MAX_NAME_LENGTH = 120
# Decompressed PDF object streams are scanned too; more than this is refused
# rather than inflated (a zip bomb would otherwise fill the memory).
MAX_INFLATED_BYTES = 64 * 1024 * 1024

# PDF names that run code or programs when the document is opened or clicked.
_PDF_ACTIVE_NAMES = frozenset({b"JS", b"JavaScript", b"Launch"})


@dataclass(frozen=True)
class CheckedFile:
    """What :func:`check_upload` found out about an accepted file."""

    content_type: str  # the type of the content, e.g. "image/png"
    size: int  # bytes, as counted
    sha256: str  # hex digest of the content
    safe_name: str  # the name to show and to offer on download
    extension: str  # the content's usual extension, without the dot: "png"


@dataclass(frozen=True)
class _Type:
    label: str
    extensions: tuple[str, ...]  # the first one is used for safe names
    matches: Callable[[bytes], bool]


def _is_pdf(head: bytes) -> bool:
    # The header may follow a few bytes of whitespace; nothing else.
    return head.lstrip(b"\r\n\t \x00")[:5] == b"%PDF-"


def _is_jpeg(head: bytes) -> bool:
    return head[:3] == b"\xff\xd8\xff"


def _is_png(head: bytes) -> bool:
    return head[:8] == b"\x89PNG\r\n\x1a\n"


# ISO base media brands of HEIF images (photos from phones).
_HEIF_BRANDS = frozenset(
    {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs"}
    | {b"mif1", b"msf1"}
)


def _is_heic(head: bytes) -> bool:
    if head[4:8] != b"ftyp" or len(head) < 16:
        return False
    box_size = int.from_bytes(head[:4], "big")
    brands = [head[8:12]] + [
        head[i : i + 4] for i in range(16, min(box_size, len(head)) - 3, 4)
    ]
    return any(brand in _HEIF_BRANDS for brand in brands)


KNOWN_TYPES: dict[str, _Type] = {
    "application/pdf": _Type("PDF", ("pdf",), _is_pdf),
    "image/jpeg": _Type("JPEG", ("jpg", "jpeg", "jpe", "jfif"), _is_jpeg),
    "image/png": _Type("PNG", ("png",), _is_png),
    "image/heic": _Type("HEIC", ("heic", "heif"), _is_heic),
}
_ALIASES = {
    "image/jpg": "image/jpeg",
    "image/pjpeg": "image/jpeg",
    "image/x-png": "image/png",
    "image/heif": "image/heic",
    "application/x-pdf": "application/pdf",
}
_EXTENSION_TYPES = {
    extension: content_type
    for content_type, known in KNOWN_TYPES.items()
    for extension in known.extensions
}
# Extensions refused on any content even if puremagic does not list them.
_RISKY_EXTENSIONS = frozenset(
    (  # noqa: SIM905
        "exe com scr bat cmd ps1 vbs js jse wsf hta msi dll jar lnk sh "
        "html htm xhtml svg xml php zip"
    ).split()
)


def _canonical(content_type: str) -> str:
    content_type = content_type.strip().lower()
    return _ALIASES.get(content_type, content_type)


def _label(content_type: str) -> str:
    known = KNOWN_TYPES.get(content_type)
    return known.label if known else content_type.rpartition("/")[2].upper()


def _sniff(head: bytes) -> tuple[str, str] | None:
    """The content type and usual extension of a file starting with *head*."""
    try:
        matches = puremagic.magic_string(head)
    except (puremagic.PureError, ValueError):
        matches = []
    other: tuple[str, str] | None = None
    for match in matches:
        content_type = _canonical(match.mime_type or "")
        known = KNOWN_TYPES.get(content_type)
        if known is not None:
            # puremagic also lists loose signatures (JPEG 2000 as image/jpeg,
            # "\x89PNG" written out as text): confirm with the strict one.
            if known.matches(head):
                return content_type, known.extensions[0]
        elif content_type and other is None:
            other = content_type, str(match.extension).lstrip(".").lower()
    # HEIF brands that puremagic files under other types (mif1, msf1).
    for content_type, known in KNOWN_TYPES.items():
        if known.matches(head):
            return content_type, known.extensions[0]
    return other


def _accepted_by(content_type: str, extension: str, accept: Iterable[str]) -> bool:
    """Whether an HTML-style ``accept`` list ("application/pdf", "image/*",
    ".pdf") admits the type."""
    extensions = {extension, *getattr(KNOWN_TYPES.get(content_type), "extensions", ())}
    for item in accept:
        item = item.strip().lower()
        if item.startswith("."):
            if item[1:] in extensions:
                return True
        elif item.endswith("/*"):
            if content_type.startswith(item[:-1]):
                return True
        elif _canonical(item) == content_type:
            return True
    return False


def _setting(key: str) -> Any:
    value: Any = settings.EFORMS[key]
    return value


def _upload_types() -> list[str]:
    return [str(t) for t in _setting("UPLOAD_TYPES")]


def _allowed_labels(accept: list[str] | None) -> str:
    labels = []
    for content_type in map(_canonical, _upload_types()):
        known = KNOWN_TYPES.get(content_type)
        extension = known.extensions[0] if known else ""
        if accept is None or _accepted_by(content_type, extension, accept):
            labels.append(_label(content_type))
    return ", ".join(dict.fromkeys(labels)) or ", ".join(accept or [])


def _extension_of(name: str) -> str:
    _stem, dot, extension = name.rpartition(".")
    return extension.lower() if dot else ""


def _is_known_extension(extension: str) -> bool:
    if extension in _EXTENSION_TYPES or extension in _RISKY_EXTENSIONS:
        return True
    if not extension.isascii() or not extension.isalnum() or len(extension) > 8:
        return False
    try:
        puremagic.from_extension(extension)
    except (puremagic.PureError, ValueError):
        return False
    return True


def _extension_fits(extension: str, content_type: str, real_extension: str) -> bool:
    if not extension or extension == real_extension:
        return True
    claimed = _EXTENSION_TYPES.get(extension)
    if claimed == content_type:
        return True
    # A photo saved with another image extension (phones and messaging apps do
    # this): accept it and record the real type.
    if claimed and claimed.startswith("image/") and content_type.startswith("image/"):
        return True
    # An extension that means nothing is just part of the name.
    return not _is_known_extension(extension)


_UNSAFE = re.compile(r"[^\w\-.()\[\] ・「」（）]+")
_WINDOWS_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL"}
    | {f"COM{i}" for i in range(1, 10)}
    | {f"LPT{i}" for i in range(1, 10)}
)


def safe_file_name(name: str, extension: str = "") -> str:
    """A file name safe to store, show and offer on download: NFKC (full-width
    letters become ASCII, Japanese stays), no directories, no control or
    direction characters, at most 120 characters, ending in ``.extension``
    (replacing the name's own extension if it is a known file type)."""
    name = unicodedata.normalize("NFKC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C")
    if extension and _is_known_extension(_extension_of(name)):
        name = name.rpartition(".")[0]
    name = _UNSAFE.sub("_", name)
    name = re.sub(r"\s+", " ", name)
    name = re.sub(r"_{2,}", "_", name).strip(" ._")
    if name.upper().partition(".")[0] in _WINDOWS_RESERVED:
        name = f"_{name}"
    suffix = f".{extension}" if extension else ""
    name = name[: MAX_NAME_LENGTH - len(suffix)].rstrip(" .") or "file"
    return name + suffix


class _NameScanner:
    """Finds PDF names (``/JS``; also written with ``#xx`` escapes, ``/J#53``) in
    text that arrives in pieces."""

    _NAME = re.compile(rb"/((?:[^\x00\t\n\f\r ()<>\[\]{}/%#]|#[0-9A-Fa-f]{2})+)")
    _OVERLAP = 64  # longer than any escaped name we look for

    def __init__(self) -> None:
        self.tail = b""
        self.found = False

    @staticmethod
    def names(data: bytes) -> set[bytes]:
        return {
            re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes.fromhex(m[1].decode()), n)
            for n in _NameScanner._NAME.findall(data)
        }

    def feed(self, data: bytes, *, final: bool = False) -> None:
        data = self.tail + data
        for match in self._NAME.finditer(data):
            # A name touching the end may go on in the next piece.
            if match.end() == len(data) and not final:
                continue
            name = re.sub(
                rb"#([0-9A-Fa-f]{2})", lambda m: bytes.fromhex(m[1].decode()), match[1]
            )
            if name in _PDF_ACTIVE_NAMES:
                self.found = True
        self.tail = b"" if final else data[-self._OVERLAP :]


class _PdfProblem(Exception):
    def __init__(self, code: str) -> None:
        self.code = code


class _PdfScanner:
    """Looks for active content in a PDF read in chunks: names outside streams,
    and inside compressed object streams (where PDF 1.5+ writers put most
    dictionaries). Other streams (page contents, images, fonts) are skipped, so
    random bytes in a photo do not look like ``/JS``.

    This is a byte-level heuristic, not a PDF parser: a file crafted to confuse it
    (a ``stream`` keyword inside a string, say) can still hide a name, so files
    are served as downloads and a real scanner remains worth adding."""

    _STREAM = re.compile(rb"(?<![A-Za-z])stream(?:\r\n|\n|\r)")
    _END = b"endstream"

    def __init__(self) -> None:
        self.outside = _NameScanner()
        self.inner: _NameScanner | None = None
        self.inflater: zlib._Decompress | None = None
        self.in_stream = False
        self.context = b""  # the object's dictionary before "stream"
        self.buffer = b""
        self.pos = 0  # where unread bytes start in the buffer
        self.inflated = 0

    def feed(self, chunk: bytes, *, final: bool = False) -> None:
        self.buffer += chunk
        while True:
            if self.in_stream:
                end = self.buffer.find(self._END)
                if end < 0:
                    # "endstream" may be cut in two
                    keep = 0 if final else len(self._END) - 1
                    cut = max(len(self.buffer) - keep, 0)
                    self._stream_data(self.buffer[:cut])
                    self.buffer = self.buffer[cut:]
                    return
                self._stream_data(self.buffer[:end])
                self._close_stream()
                # keep the "m" of "endstream" for the look-behind
                self.buffer = self.buffer[end + len(self._END) - 1 :]
                self.pos = 1
                continue
            match = self._STREAM.search(self.buffer, self.pos)
            # "stream\r" at the very end may go on with "\n" in the next chunk
            if match is not None and (final or match.end() < len(self.buffer)):
                self._outside(self.buffer[self.pos : match.start()])
                self._open_stream()
                self.buffer = self.buffer[match.end() :]
                self.pos = 0
                continue
            cut = max(self.pos, len(self.buffer) - (0 if final else 16))
            self._outside(self.buffer[self.pos : cut])
            # Keep one byte already seen, for the look-behind before "stream".
            start = max(cut - 1, 0)
            self.buffer = self.buffer[start:]
            self.pos = cut - start
            return

    def close(self) -> bool:
        """Whether the PDF has active content."""
        self.feed(b"", final=True)
        if self.in_stream:
            self._close_stream()
        self.outside.feed(b"", final=True)
        return self.outside.found

    def _outside(self, data: bytes) -> None:
        self.outside.feed(data)
        self.context = (self.context + data)[-4096:]

    def _open_stream(self) -> None:
        self.in_stream = True
        start = self.context.rfind(b"obj")
        dictionary = self.context[start:] if start >= 0 else self.context
        self.context = b""
        names = _NameScanner.names(dictionary)
        if b"ObjStm" not in names:
            return
        filters = names & {
            b"FlateDecode",
            b"ASCIIHexDecode",
            b"ASCII85Decode",
            b"LZWDecode",
            b"RunLengthDecode",
            b"Crypt",
        }
        if filters - {b"FlateDecode"}:
            raise _PdfProblem("pdf_unreadable")
        self.inner = _NameScanner()
        self.inflater = zlib.decompressobj() if filters else None

    def _stream_data(self, data: bytes) -> None:
        if self.inner is None:
            return
        if self.inflater is None:
            self.inner.feed(data)
            return
        try:
            while True:
                out = self.inflater.decompress(data, CHUNK_BYTES)
                self.inflated += len(out)
                if self.inflated > MAX_INFLATED_BYTES:
                    raise _PdfProblem("pdf_unreadable")
                self.inner.feed(out)
                # After the end of the zlib data, the bytes left (the end of
                # line before "endstream") stay in unconsumed_tail: stop there.
                if self.inflater.eof:
                    return
                data = self.inflater.unconsumed_tail
                if not data and not out:
                    return
        except zlib.error:
            raise _PdfProblem("pdf_unreadable") from None

    def _close_stream(self) -> None:
        self.in_stream = False
        if self.inner is not None and self.inflater is not None:
            # output held back by the max_length of the last calls
            self._stream_data(b"")
        if self.inner is not None:
            self.inner.feed(b"", final=True)
            if self.inner.found:
                self.outside.found = True
        self.inner = None
        self.inflater = None


def _too_large(size: int, limit: int) -> ValidationError:
    return ValidationError(
        gettext("The file is too large (%(size)s). The limit is %(limit)s.")
        % {"size": filesizeformat(size), "limit": filesizeformat(limit)},
        code="too_large",
    )


def check_upload(
    file: "UploadedFile[bytes]", *, accept: list[str] | None = None
) -> CheckedFile:
    """Check an uploaded file and describe it; raise ``ValidationError`` (with a
    ``code``: empty, too_large, type, extension, pdf_active, pdf_unreadable) if it
    cannot be accepted. ``accept`` narrows ``EFORMS["UPLOAD_TYPES"]`` for one
    field, in the form of HTML's accept attribute. The file is left rewound."""
    limit = int(_setting("UPLOAD_MAX_BYTES"))
    declared = file.size
    if declared == 0:
        raise ValidationError(gettext("The file is empty."), code="empty")
    if declared is not None and declared > limit:
        raise _too_large(declared, limit)

    file.seek(0)
    head = file.read(HEAD_BYTES)
    file.seek(0)
    if not head:
        raise ValidationError(gettext("The file is empty."), code="empty")

    allowed = {_canonical(t) for t in _upload_types()}
    sniffed = _sniff(head)
    if (
        sniffed is None
        or sniffed[0] not in allowed
        or (accept is not None and not _accepted_by(*sniffed, accept))
    ):
        raise ValidationError(
            gettext("This type of file cannot be accepted. Accepted types: %(types)s.")
            % {"types": _allowed_labels(accept)},
            code="type",
        )
    content_type, real_extension = sniffed

    original = unicodedata.normalize("NFKC", file.name or "")
    original = original.replace("\\", "/").rsplit("/", 1)[-1]
    extension = _extension_of(original)
    if not _extension_fits(extension, content_type, real_extension):
        raise ValidationError(
            gettext(
                "The file name ends in .%(extension)s, but the file is a %(type)s "
                "file. Check that you chose the right file."
            )
            % {"extension": extension, "type": _label(content_type)},
            code="extension",
        )

    digest = hashlib.sha256()
    size = 0
    pdf = _PdfScanner() if content_type == "application/pdf" else None
    try:
        # Not file.chunks(): for files kept in memory it yields one copy of all.
        file.seek(0)
        for chunk in iter(lambda: file.read(CHUNK_BYTES), b""):
            size += len(chunk)
            if size > limit:
                raise _too_large(size, limit)
            digest.update(chunk)
            if pdf is not None:
                pdf.feed(chunk)
        active = pdf.close() if pdf is not None else False
    except _PdfProblem as problem:
        active, unreadable = False, problem.code
    else:
        unreadable = ""
    finally:
        file.seek(0)
    if unreadable:
        raise ValidationError(
            gettext(
                "This PDF cannot be checked: it is encrypted or damaged. Save it "
                "again without a password and upload the new file."
            ),
            code="pdf_unreadable",
        )
    if active:
        raise ValidationError(
            gettext(
                "This PDF contains scripts or commands, which cannot be accepted. "
                'Save it again as a plain PDF (for example with "Print to PDF") and '
                "upload the new file."
            ),
            code="pdf_active",
        )
    if size == 0:
        raise ValidationError(gettext("The file is empty."), code="empty")

    return CheckedFile(
        content_type=content_type,
        size=size,
        sha256=digest.hexdigest(),
        safe_name=safe_file_name(original, real_extension),
        extension=real_extension,
    )
