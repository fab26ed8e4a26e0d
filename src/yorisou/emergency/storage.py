"""Private file storage of Live119: guidance videos, still images, recordings.

Files live under ``LIVE119["RECORDINGS_ROOT"]`` (by default ``var/private/live119``),
outside ``MEDIA_ROOT`` and the static files, and have no URL: only views that check
permissions (and record each view of a recording) serve them. Names are random
(``<folder>/YYYY/MM/<uuid4 hex>.<ext>``) so a path reveals nothing about the call;
files are readable by the server's user only (0600, directories 0700).
"""

import os
import posixpath
import uuid
from pathlib import Path, PurePosixPath
from typing import Any

from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import FileSystemStorage
from django.utils import timezone
from django.utils.functional import cached_property

from yorisou.emergency.constants import conf

__all__ = ["Live119Storage", "live119_root", "live119_storage", "new_name"]

FILE_MODE = 0o600
DIRECTORY_MODE = 0o700


def live119_root() -> Path:
    """The folder of every Live119 file (read at call time: tests override it)."""
    return Path(conf("RECORDINGS_ROOT"))


def new_name(folder: str, extension: str) -> str:
    """A fresh random name ``folder/YYYY/MM/<uuid4 hex>.<extension>`` (Japan time)."""
    month = timezone.localdate().strftime("%Y/%m")
    suffix = f".{extension}" if extension else ""
    return posixpath.join(folder, month, uuid.uuid4().hex + suffix)


class Live119Storage(FileSystemStorage):
    """A file system storage at ``LIVE119["RECORDINGS_ROOT"]`` with random names and
    no URLs. A name given to :meth:`save` contributes its folder and extension only.
    """

    def __init__(self) -> None:
        super().__init__(
            file_permissions_mode=FILE_MODE,
            directory_permissions_mode=DIRECTORY_MODE,
        )

    @cached_property
    def base_location(self) -> str:
        return os.fspath(live119_root())

    def _clear_cached_properties(self, setting: Any, **kwargs: Any) -> None:
        super()._clear_cached_properties(setting, **kwargs)
        if setting == "LIVE119":
            self.__dict__.pop("base_location", None)
            self.__dict__.pop("location", None)

    def get_available_name(self, name: str, max_length: int | None = None) -> str:
        name = str(name).replace("\\", "/")
        directory = posixpath.dirname(name)
        if ".." in PurePosixPath(directory).parts or directory.startswith("/"):
            raise SuspiciousFileOperation("path traversal in a Live119 file name")
        extension = posixpath.splitext(name)[1].lstrip(".").lower()[:5]
        folder = directory.split("/", 1)[0] if directory else "files"
        while True:
            candidate = new_name(folder, extension)
            if max_length is not None and len(candidate) > max_length:
                raise SuspiciousFileOperation("Live119 file name too long")
            if not self.exists(candidate):
                return candidate

    def url(self, name: str | None) -> str:
        raise ValueError(
            "Live119 files have no URL; serve them through a view that checks "
            "permissions"
        )

    def path_of(self, name: str) -> Path:
        """The absolute path of a stored file (checked to stay under the root)."""
        return Path(self.path(name))

    def relative_name(self, path: str | os.PathLike[str]) -> str:
        """The storage name of an absolute path under the root (for files written by
        the media hub); refuses anything outside the root."""
        root = Path(self.location).resolve()
        resolved = Path(path).resolve()
        if not resolved.is_relative_to(root):
            raise SuspiciousFileOperation("a Live119 file outside its root")
        return resolved.relative_to(root).as_posix()


live119_storage = Live119Storage()
