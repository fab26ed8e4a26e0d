"""Checks on the media files of Live119, made on their content: guidance videos
(mp4 / webm, opened with PyAV to prove they hold a video stream) and still images
taken from the caller's video (JPEG / PNG)."""

import io
from dataclasses import dataclass
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from yorisou.emergency.constants import GUIDANCE_TYPES, SNAPSHOT_TYPES

__all__ = ["CheckedVideo", "check_guidance_video", "check_still_image"]

HEAD_BYTES = 4096
# ISO base media brands of ordinary MP4 files (not QuickTime ``qt  ``).
_MP4_BRANDS = frozenset(
    {b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1"}
    | {b"dash", b"M4V ", b"mmp4", b"msnv"}
)
_EBML = b"\x1a\x45\xdf\xa3"


@dataclass(frozen=True)
class CheckedVideo:
    """What the check found out about an accepted video."""

    content_type: str
    extension: str
    size: int
    duration: float | None


def _sniff_video(head: bytes) -> str | None:
    if head[4:8] == b"ftyp" and head[8:12] in _MP4_BRANDS:
        return "video/mp4"
    if head[:4] == _EBML and b"webm" in head[:64]:
        return "video/webm"
    return None


def _too_large(limit: int) -> ValidationError:
    return ValidationError(
        _("The file is too large (at most %(limit)s).")
        % {"limit": filesizeformat(limit)},
        code="too_large",
    )


def _size_of(file: Any) -> int:
    size = getattr(file, "size", None)
    if size is not None:
        return int(size)
    position = file.tell()
    file.seek(0, io.SEEK_END)
    end = int(file.tell())
    file.seek(position)
    return end


def _probe(stream: IO[bytes]) -> float | None:
    """Open the file with PyAV: it must hold a video stream. Its duration (s)."""
    import av

    try:
        with av.open(stream, mode="r") as container:
            videos = container.streams.video
            if not videos:
                raise ValidationError(_("The file holds no video."), code="no_video")
            if container.duration:
                return float(container.duration) / av.time_base
            video = videos[0]
            if video.duration and video.time_base:
                return float(video.duration * video.time_base)
            return None
    except ValidationError:
        raise
    except Exception:  # PyAV raises many kinds for damaged files
        raise ValidationError(
            _("The file could not be read as a video."), code="unreadable"
        ) from None


def check_guidance_video(file: Any, *, limit: int) -> CheckedVideo:
    """Accept an MP4 or WebM video (by its content, whatever its name says);
    raise ``ValidationError`` with a code (empty, too_large, type, no_video,
    unreadable). The file is left rewound."""
    size = _size_of(file)
    if size == 0:
        raise ValidationError(_("The file is empty."), code="empty")
    if size > limit:
        raise _too_large(limit)
    file.seek(0)
    head = file.read(HEAD_BYTES)
    file.seek(0)
    content_type = _sniff_video(head)
    if content_type is None:
        raise ValidationError(_("Only MP4 and WebM videos can be added."), code="type")
    inner = getattr(file, "file", file)
    duration = _probe(inner)
    file.seek(0)
    return CheckedVideo(content_type, GUIDANCE_TYPES[content_type], size, duration)


def check_still_image(content: bytes, *, limit: int) -> tuple[str, str]:
    """Accept a JPEG or PNG still (by its content); ``(content_type, extension)``.
    Pillow, when installed, also checks that the image decodes."""
    if not content:
        raise ValidationError(_("The file is empty."), code="empty")
    if len(content) > limit:
        raise _too_large(limit)
    if content[:3] == b"\xff\xd8\xff":
        content_type = "image/jpeg"
    elif content[:8] == b"\x89PNG\r\n\x1a\n":
        content_type = "image/png"
    else:
        raise ValidationError(_("Not an image."), code="type")
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - Pillow comes with reportlab
        return content_type, SNAPSHOT_TYPES[content_type]
    try:
        with Image.open(io.BytesIO(content)) as image:
            image.verify()
            found = (image.format or "").lower()
    except Exception:
        raise ValidationError(_("Not an image."), code="type") from None
    if found not in ("jpeg", "png") or not content_type.endswith(found):
        raise ValidationError(_("Not an image."), code="type")
    return content_type, SNAPSHOT_TYPES[content_type]
