"""Private file storage for online applications: attachments and receipts.

Files live under ``settings.PRIVATE_FILES_ROOT``, outside ``MEDIA_ROOT`` and the
static files, and have no URL: only views that check permissions (and record the
access) serve them. Each file gets a random name ``<prefix>/YYYY/MM/<uuid4 hex>``
without an extension, so the path reveals neither the applicant's file name nor
its type; the original name is kept in the database. Files are created readable
by the server's user only (0600, directories 0700).
"""

import os
import posixpath
import uuid
from pathlib import Path, PurePosixPath
from typing import Any

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import FileSystemStorage
from django.utils import timezone
from django.utils.functional import cached_property

__all__ = ["PrivateStorage", "private_path_for", "private_storage"]

FILE_MODE = 0o600
DIRECTORY_MODE = 0o700


class PrivateStorage(FileSystemStorage):
    """A file system storage at ``PRIVATE_FILES_ROOT`` with random file names and
    no URLs. Any name given to :meth:`save` only contributes its directory part
    (``upload_to``, e.g. ``attachments/``)."""

    def __init__(self) -> None:
        super().__init__(
            file_permissions_mode=FILE_MODE,
            directory_permissions_mode=DIRECTORY_MODE,
        )

    @cached_property
    def base_location(self) -> str:
        # Read when first needed, not at import, so that tests can point it
        # elsewhere with override_settings.
        return os.fspath(settings.PRIVATE_FILES_ROOT)

    def _clear_cached_properties(self, setting: Any, **kwargs: Any) -> None:
        super()._clear_cached_properties(setting, **kwargs)
        if setting == "PRIVATE_FILES_ROOT":
            self.__dict__.pop("base_location", None)
            self.__dict__.pop("location", None)

    def get_available_name(self, name: str, max_length: int | None = None) -> str:
        """Replace the file name by ``YYYY/MM/<uuid4 hex>`` (Japan time) under the
        directory part of *name*."""
        directory = posixpath.dirname(str(name).replace("\\", "/"))
        if ".." in PurePosixPath(directory).parts or directory.startswith("/"):
            raise SuspiciousFileOperation("path traversal in a private file name")
        month = timezone.localdate().strftime("%Y/%m")
        while True:
            candidate = posixpath.join(directory, month, uuid.uuid4().hex)
            if max_length is not None and len(candidate) > max_length:
                raise SuspiciousFileOperation(
                    f"a private file name needs {len(candidate)} characters, "
                    f"more than the {max_length} allowed"
                )
            if not self.exists(candidate):
                return candidate

    def url(self, name: str | None) -> str:
        raise ValueError(
            "private files have no URL; serve them through a view that checks "
            "permissions and records the access"
        )


private_storage = PrivateStorage()


def private_path_for(name: str) -> Path:
    """The absolute path of a stored private file (for ``FileResponse`` or a
    web server's X-Accel-Redirect), checked to stay under the root."""
    return Path(private_storage.path(name))
