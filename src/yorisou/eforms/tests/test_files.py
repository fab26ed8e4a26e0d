import hashlib
import io
import os
import zipfile
import zlib

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import InMemoryUploadedFile, SimpleUploadedFile
from django.utils import translation

import pytest
from PIL import Image
from pypdf import PdfWriter
from pypdf.actions import JavaScript
from reportlab.pdfgen import canvas

from yorisou.eforms import files
from yorisou.eforms.files import check_upload, safe_file_name


def _image(fmt: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 3), (200, 30, 30)).save(out, format=fmt)
    return out.getvalue()


def _pdf(text: str = "申請書") -> bytes:
    out = io.BytesIO()
    page = canvas.Canvas(out)
    page.drawString(100, 700, text)
    page.save()
    return out.getvalue()


def _pdf_with_js() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer.add_open_action(JavaScript("app.alert('hello');"))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _raw_pdf(*objects: bytes) -> bytes:
    body = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
    for number, obj in enumerate(objects, start=1):
        body += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    return body + b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"


def _stream(dictionary: bytes, data: bytes) -> bytes:
    return (
        b"<< " + dictionary + b" /Length %d >>\nstream\n" % len(data) + data
    ) + b"\nendstream"


def _object_stream(content: bytes, *, compress: bool = True) -> bytes:
    data = zlib.compress(content) if compress else content
    filters = b"/Filter /FlateDecode " if compress else b""
    return _stream(b"/Type /ObjStm /N 1 /First 4 " + filters, data)


HEIC = (
    b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"
    + b"\x00\x00\x00\x10meta"
    + os.urandom(200)
)
HEIF_MIF1 = b"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00mif1heic" + os.urandom(200)
PNG = _image("PNG")
JPEG = _image("JPEG")
PDF = _pdf()


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def error_code(name: str, content: bytes, **kwargs) -> str | None:
    with pytest.raises(ValidationError) as excinfo:
        check_upload(upload(name, content), **kwargs)
    return excinfo.value.code


# --- accepted files -----------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "content_type", "extension"),
    [
        ("申請書.pdf", PDF, "application/pdf", "pdf"),
        ("photo.jpg", JPEG, "image/jpeg", "jpg"),
        ("photo.JPEG", JPEG, "image/jpeg", "jpg"),
        ("scan.png", PNG, "image/png", "png"),
        ("IMG_0001.HEIC", HEIC, "image/heic", "heic"),
        ("IMG_0002.heif", HEIF_MIF1, "image/heic", "heic"),
    ],
)
def test_accepts_real_files(name, content, content_type, extension):
    file = upload(name, content)
    checked = check_upload(file)
    assert checked.content_type == content_type
    assert checked.extension == extension
    assert checked.size == len(content)
    assert checked.sha256 == hashlib.sha256(content).hexdigest()
    assert file.tell() == 0


def test_a_png_named_jpg_is_accepted_as_png():
    checked = check_upload(upload("photo.jpg", PNG))
    assert checked.content_type == "image/png"
    assert checked.extension == "png"
    assert checked.safe_name == "photo.png"


def test_a_file_without_extension_gets_the_real_one():
    assert check_upload(upload("scan", PDF)).safe_name == "scan.pdf"


def test_an_unknown_extension_is_part_of_the_name():
    assert check_upload(upload("申請書.v2", PDF)).safe_name == "申請書.v2.pdf"


def test_a_plain_pdf_with_binary_streams_is_not_mistaken_for_javascript():
    # random bytes in an image stream may contain "/JS " by chance
    image = os.urandom(4000) + b" /JS /Launch /JavaScript " + os.urandom(4000)
    content = _raw_pdf(b"<< /Type /Catalog >>", _stream(b"/Subtype /Image", image))
    assert check_upload(upload("scan.pdf", content)).content_type == "application/pdf"


def test_a_pdf_with_an_innocent_object_stream_is_accepted():
    content = _raw_pdf(_object_stream(b"2 0 << /Type /Page /JSON (x) >>"))
    assert check_upload(upload("a.pdf", content)).content_type == "application/pdf"


def test_a_large_file_is_read_once_in_chunks(monkeypatch):
    content = _raw_pdf(_stream(b"/Subtype /Image", os.urandom(3 * 1024 * 1024)))
    file = upload("big.pdf", content)
    reads = []
    read = file.file.read

    def spy(size=-1):
        data = read(size)
        reads.append(len(data))
        return data

    monkeypatch.setattr(file.file, "read", spy)
    checked = check_upload(file)
    assert checked.size == len(content)
    assert checked.sha256 == hashlib.sha256(content).hexdigest()
    assert max(reads) <= files.CHUNK_BYTES
    assert sum(reads) <= len(content) + files.HEAD_BYTES


# --- refused files ------------------------------------------------------------


def test_html_renamed_pdf_is_refused():
    html = b"<!DOCTYPE html><html><script>alert(1)</script></html>"
    assert error_code("invoice.pdf", html) == "type"


def test_zip_renamed_png_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("a.txt", "hello")
    assert error_code("photo.png", out.getvalue()) == "type"


def test_exe_renamed_pdf_is_refused():
    exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200
    assert error_code("form.pdf", exe) == "type"


def test_text_is_refused():
    assert error_code("notes.pdf", "ただのテキスト".encode()) == "type"


def test_jpeg_2000_is_not_taken_for_jpeg():
    jp2 = b"\x00\x00\x00\x0cjP  \r\n\x87\n" + b"\x00" * 100
    assert error_code("photo.jpg", jp2) == "type"


def test_a_pdf_named_exe_is_refused():
    assert error_code("form.exe", PDF) == "extension"


def test_an_image_named_pdf_is_refused():
    assert error_code("form.pdf", JPEG) == "extension"


def test_a_pdf_named_html_is_refused():
    assert error_code("form.html", PDF) == "extension"


def test_empty_file_is_refused():
    assert error_code("empty.pdf", b"") == "empty"


def test_oversize_file_is_refused(settings):
    settings.EFORMS = {**settings.EFORMS, "UPLOAD_MAX_BYTES": 1000}
    assert error_code("big.png", PNG + b"\x00" * 1000) == "too_large"


def test_oversize_file_with_a_false_declared_size_is_refused(settings):
    settings.EFORMS = {**settings.EFORMS, "UPLOAD_MAX_BYTES": 1000}
    content = PNG + b"\x00" * 1000
    file = InMemoryUploadedFile(
        io.BytesIO(content), "file", "big.png", "image/png", 10, None
    )
    with pytest.raises(ValidationError) as excinfo:
        check_upload(file)
    assert excinfo.value.code == "too_large"
    assert file.tell() == 0


def test_type_not_in_the_settings_is_refused(settings):
    settings.EFORMS = {**settings.EFORMS, "UPLOAD_TYPES": ["application/pdf"]}
    assert error_code("photo.heic", HEIC) == "type"
    assert check_upload(upload("a.pdf", PDF)).content_type == "application/pdf"


@pytest.mark.parametrize(
    ("accept", "name", "content", "ok"),
    [
        (["image/*"], "a.pdf", PDF, False),
        (["image/*"], "a.png", PNG, True),
        ([".pdf"], "a.pdf", PDF, True),
        ([".pdf"], "a.jpg", JPEG, False),
        (["application/pdf", "image/jpeg"], "a.jpg", JPEG, True),
        (["image/jpg"], "a.jpg", JPEG, True),
        (["image/heif"], "a.heic", HEIC, True),
        (["application/pdf"], "a.png", PNG, False),
    ],
)
def test_field_accept_narrows_the_types(accept, name, content, ok):
    if ok:
        check_upload(upload(name, content), accept=accept)
    else:
        assert error_code(name, content, accept=accept) == "type"


def test_pdf_with_javascript_is_refused():
    assert error_code("form.pdf", _pdf_with_js()) == "pdf_active"


@pytest.mark.parametrize(
    "action",
    [
        b"<< /S /JavaScript /JS (app.alert(1)) >>",
        b"<< /S /Launch /F (cmd.exe) >>",
        b"<< /S /J#61vaScript /J#53 (app.alert(1)) >>",
        b"<< /S/JavaScript/JS(app.alert(1))>>",
    ],
)
def test_pdf_with_actions_is_refused(action):
    content = _raw_pdf(b"<< /Type /Catalog /OpenAction 2 0 R >>", action)
    assert error_code("form.pdf", content) == "pdf_active"


@pytest.mark.parametrize("compress", [True, False])
def test_javascript_hidden_in_an_object_stream_is_refused(compress):
    content = _raw_pdf(
        b"<< /Type /Catalog >>",
        _object_stream(
            b"3 0 << /S /JavaScript /JS (app.alert(1)) >>", compress=compress
        ),
    )
    assert error_code("form.pdf", content) == "pdf_active"


@pytest.mark.parametrize("chunk", [1, 5, 7, 64])
def test_javascript_split_across_chunks_is_found(monkeypatch, chunk):
    monkeypatch.setattr(files, "CHUNK_BYTES", chunk)
    content = _raw_pdf(
        _stream(b"/Subtype /Image", os.urandom(50)),
        b"<< /S /JavaScript /JS (app.alert(1)) >>",
        _object_stream(b"3 0 << /Type /Page >>"),
    )
    assert error_code("form.pdf", content) == "pdf_active"


@pytest.mark.parametrize("chunk", range(1, 13))
def test_short_streams_at_every_chunk_size(monkeypatch, chunk):
    monkeypatch.setattr(files, "CHUNK_BYTES", chunk)
    hidden = _object_stream(b"3 0 << /S /JavaScript /JS (app.alert(1)) >>")
    plain = _raw_pdf(_stream(b"", b""), _stream(b"", b"x"), b"<< /Type /Page >>")
    assert check_upload(upload("a.pdf", plain)).content_type == "application/pdf"
    content = _raw_pdf(_stream(b"", b""), _stream(b"", b"x"), hidden)
    assert error_code("a.pdf", content) == "pdf_active"
    content = _raw_pdf(_stream(b"", b""), b"<< /S /Launch >>")
    assert error_code("a.pdf", content) == "pdf_active"


def test_javascript_deep_in_a_large_object_stream_is_found(monkeypatch):
    monkeypatch.setattr(files, "CHUNK_BYTES", 1000)
    content = _raw_pdf(_object_stream(b"0 " * 200_000 + b"<< /JS (x) >>"))
    assert error_code("a.pdf", content) == "pdf_active"


def test_a_broken_object_stream_is_refused():
    content = _raw_pdf(
        _stream(b"/Type /ObjStm /N 1 /First 4 /Filter /FlateDecode", b"not zlib")
    )
    assert error_code("form.pdf", content) == "pdf_unreadable"


def test_an_inflating_bomb_is_refused(monkeypatch):
    monkeypatch.setattr(files, "MAX_INFLATED_BYTES", 100_000)
    content = _raw_pdf(_object_stream(b"\x00" * 1_000_000))
    assert error_code("form.pdf", content) == "pdf_unreadable"


# --- messages -----------------------------------------------------------------


def test_messages_are_clear():
    with translation.override("en"):
        with pytest.raises(ValidationError) as excinfo:
            check_upload(upload("invoice.pdf", b"<html></html>"))
        assert excinfo.value.messages == [
            "This type of file cannot be accepted. "
            "Accepted types: PDF, JPEG, PNG, HEIC."
        ]
        with pytest.raises(ValidationError) as excinfo:
            check_upload(upload("form.pdf", JPEG))
        assert excinfo.value.messages == [
            "The file name ends in .pdf, but the file is a JPEG file. "
            "Check that you chose the right file."
        ]


def test_too_large_message_names_the_limit(settings):
    settings.EFORMS = {**settings.EFORMS, "UPLOAD_MAX_BYTES": 10 * 1024 * 1024}
    content = PNG + b"\x00" * (10 * 1024 * 1024)
    with translation.override("en"), pytest.raises(ValidationError) as excinfo:
        check_upload(upload("big.png", content))
    assert excinfo.value.messages[0].startswith("The file is too large (10.0")
    assert excinfo.value.messages[0].endswith("The limit is 10.0\xa0MB.")


def test_messages_do_not_echo_the_content():
    secret = b"%PDF-1.7\n<< /S /JavaScript /JS (123456789012) >>\n%%EOF"
    with pytest.raises(ValidationError) as excinfo:
        check_upload(upload("form.pdf", secret))
    assert "123456789012" not in str(excinfo.value)


# --- names --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("..\\..\\Windows\\申請書.PDF", "申請書.pdf"),
        ("ＡＢＣ　住民票（写し）.pdf", "ABC 住民票(写し).pdf"),
        ("ｶﾀｶﾅ.pdf", "カタカナ.pdf"),
        ("invoice\u202efdp.exe", "invoicefdp.pdf"),
        ('a<b>c:d|e?f*g"h.pdf', "a_b_c_d_e_f_g_h.pdf"),
        ("line\nbreak\x00.pdf", "linebreak.pdf"),
        ("   ...hidden.pdf", "hidden.pdf"),
        ("CON.pdf", "_CON.pdf"),
        (".pdf", "file.pdf"),
        ("", "file.pdf"),
        ("/", "file.pdf"),
        ("令和6年度 児童手当 申請書.pdf", "令和6年度 児童手当 申請書.pdf"),
    ],
)
def test_safe_file_name(name, safe):
    assert safe_file_name(name, "pdf") == safe


def test_safe_file_name_is_length_limited():
    name = safe_file_name("あ" * 300 + ".pdf", "pdf")
    assert len(name) == files.MAX_NAME_LENGTH
    assert name.endswith("あ.pdf")


def test_a_right_to_left_override_cannot_hide_the_extension():
    assert error_code("invoice\u202efdp.exe", PDF) == "extension"


def test_check_upload_gives_a_safe_name():
    checked = check_upload(upload("../../ＭＹ　写真.PNG", PNG))
    assert checked.safe_name == "MY 写真.png"
