import re
import stat
from pathlib import Path

from django.conf import settings as django_settings
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.base import ContentFile
from django.utils import timezone

import pytest

from yorisou.eforms.storage import private_path_for, private_storage

UUID_HEX = r"[0-9a-f]{32}"


@pytest.fixture
def root(settings, tmp_path):
    settings.PRIVATE_FILES_ROOT = tmp_path / "private"
    return tmp_path / "private"


def test_default_root_is_outside_media_and_static():
    root = Path(django_settings.PRIVATE_FILES_ROOT).resolve()
    for public in (django_settings.MEDIA_ROOT, django_settings.STATIC_ROOT):
        if public:
            public_path = Path(public).resolve()
            assert not root.is_relative_to(public_path)
            assert not public_path.is_relative_to(root)


def test_saved_under_a_random_name_by_month(root):
    name = private_storage.save("attachments/住民票 (コピー).pdf", ContentFile(b"%PDF"))
    month = timezone.localdate().strftime("%Y/%m")
    assert re.fullmatch(rf"attachments/{month}/{UUID_HEX}", name)
    assert "住民票" not in name
    assert (root / name).read_bytes() == b"%PDF"
    with private_storage.open(name) as f:
        assert f.read() == b"%PDF"


def test_the_same_name_twice_gives_two_files(root):
    first = private_storage.save("receipts/receipt.pdf", ContentFile(b"1"))
    second = private_storage.save("receipts/receipt.pdf", ContentFile(b"2"))
    assert first != second
    assert private_path_for(first).read_bytes() == b"1"
    assert private_path_for(second).read_bytes() == b"2"


def test_name_without_directory(root):
    name = private_storage.save("plain.png", ContentFile(b"x"))
    assert re.fullmatch(rf"\d{{4}}/\d{{2}}/{UUID_HEX}", name)


def test_files_and_directories_are_private(root):
    name = private_storage.save("attachments/a.pdf", ContentFile(b"x"))
    path = private_path_for(name)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    directory = path.parent
    while directory != root.parent:
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700, directory
        directory = directory.parent


def test_private_files_have_no_url(root):
    name = private_storage.save("attachments/a.pdf", ContentFile(b"x"))
    with pytest.raises(ValueError, match="no URL"):
        private_storage.url(name)


def test_path_traversal_is_refused(root):
    with pytest.raises(SuspiciousFileOperation):
        private_storage.save("../outside/a.pdf", ContentFile(b"x"))
    with pytest.raises(SuspiciousFileOperation):
        private_path_for("../outside")
    assert not (root.parent / "outside").exists()


def test_max_length_is_respected(root):
    with pytest.raises(SuspiciousFileOperation):
        private_storage.save("attachments/a.pdf", ContentFile(b"x"), max_length=20)


def test_private_path_for_is_under_the_root(root):
    name = private_storage.save("attachments/a.pdf", ContentFile(b"x"))
    assert private_path_for(name) == root / name
    assert private_path_for(name).is_absolute()


def test_root_follows_the_setting(settings, tmp_path):
    settings.PRIVATE_FILES_ROOT = tmp_path / "one"
    first = private_storage.save("a/x.pdf", ContentFile(b"1"))
    settings.PRIVATE_FILES_ROOT = tmp_path / "two"
    second = private_storage.save("a/x.pdf", ContentFile(b"2"))
    assert (tmp_path / "one" / first).exists()
    assert (tmp_path / "two" / second).exists()
    assert not (tmp_path / "two" / first).exists()


def test_delete(root):
    name = private_storage.save("attachments/a.pdf", ContentFile(b"x"))
    private_storage.delete(name)
    assert not private_storage.exists(name)
