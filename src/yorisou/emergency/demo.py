"""Demo data of Live119: the fire bureau's command centre (情報司令課) with its
guidance-video library, and one open sample incident with 中央消防署 assigned.

The three guidance videos are made here, at load time, with PyAV: a title card
(drawn with Pillow, Japanese when a CJK font is installed) and a moving bar, a few
seconds long. Nothing is downloaded; every row is marked as sample data.
"""

import io
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from yorisou.accounts.models import OrgUnit
from yorisou.core.demo import DemoLoader, DemoLogin, demo_loaders
from yorisou.core.permissions import SYSTEM
from yorisou.emergency import services
from yorisou.emergency.constants import IncidentKind, IncidentState
from yorisou.emergency.models import GuidanceVideo, Incident

CENTRE_CODE = "652030"  # 情報司令課 (the demo dispatcher's section)
UNIT_CODE = "654010"  # 中央消防署 (the demo fire unit's scope)

WIDTH, HEIGHT, FPS, SECONDS = 640, 360, 10, 6


@dataclass(frozen=True)
class SampleVideo:
    title_ja: str
    title_en: str
    colour: tuple[int, int, int]
    beat_per_minute: int  # the pulse drawn on the card (CPR: 100–120 a minute)


SAMPLE_VIDEOS = [
    SampleVideo("心肺蘇生（CPR）の手順", "How to do CPR", (178, 34, 34), 110),
    SampleVideo("AEDの使い方", "How to use an AED", (0, 110, 70), 60),
    SampleVideo("止血の方法", "How to stop bleeding", (30, 70, 150), 40),
]

# Fonts tried for the Japanese title (Debian/Ubuntu, Fedora, macOS, Windows).
CJK_FONTS = [
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/fonts-japanese-gothic.ttf",
    "/usr/share/fonts/opentype/ipafont-gothic/ipagp.ttf",
    "/System/Library/Fonts/ヒラギノ角ゴシック W3.ttc",
    "C:/Windows/Fonts/meiryo.ttc",
]


def _font(size: int) -> tuple[Any, bool]:
    """A font for the card and whether it can draw Japanese."""
    from PIL import ImageFont

    for candidate in CJK_FONTS:
        if Path(candidate).exists():
            try:
                return ImageFont.truetype(candidate, size), True
            except OSError:
                continue
    try:
        return ImageFont.load_default(size), False
    except TypeError:  # Pillow < 10.1: a fixed bitmap font
        return ImageFont.load_default(), False


def _card(video: SampleVideo) -> bytes:
    """The still title card as RGB bytes (plain colour without Pillow)."""
    try:
        from PIL import Image, ImageDraw
    except ImportError:  # pragma: no cover - Pillow comes with reportlab
        return bytes(video.colour) * (WIDTH * HEIGHT)
    image = Image.new("RGB", (WIDTH, HEIGHT), video.colour)
    draw = ImageDraw.Draw(image)
    big, japanese = _font(40)
    small, _ = _font(24)
    lines = [(video.title_ja, big)] if japanese else []
    lines += [(video.title_en, small if japanese else big)]
    y = 90
    for text, font in lines:
        draw.text((WIDTH // 2, y), text, font=font, fill="white", anchor="ma")
        y += 64
    label = "サンプル動画 / Sample video" if japanese else "Sample video"
    draw.rectangle((0, HEIGHT - 56, WIDTH, HEIGHT), fill=(20, 20, 20))
    draw.text((WIDTH // 2, HEIGHT - 44), label, font=small, fill="white", anchor="ma")
    return image.tobytes()


def _frames(video: SampleVideo) -> Iterator[bytes]:
    """The card with a progress bar and a pulsing square, frame by frame."""
    card = bytearray(_card(video))
    row = WIDTH * 3
    total = FPS * SECONDS
    bar_top, bar_height = HEIGHT - 70, 8
    for index in range(total):
        frame = bytearray(card)
        filled = int(WIDTH * (index + 1) / total)
        for y in range(bar_top, bar_top + bar_height):
            start = y * row
            frame[start : start + filled * 3] = b"\xff\xff\xff" * filled
        beat = (index * video.beat_per_minute * 2 // (60 * FPS)) % 2 == 0
        if beat:
            size = 28
            left = WIDTH - 60
            for y in range(24, 24 + size):
                start = y * row + left * 3
                frame[start : start + size * 3] = b"\xff\xff\xff" * size
        yield bytes(frame)


def sample_video_bytes(video: SampleVideo) -> tuple[bytes, str]:
    """Encode one sample clip; ``(content, extension)``: H.264 in MP4 (every phone
    plays it), or VP8 in WebM when this PyAV has no H.264 encoder."""
    import av

    use_h264 = "libx264" in av.codecs_available
    buffer = io.BytesIO()
    container_format, codec, extension = (
        ("mp4", "libx264", "mp4") if use_h264 else ("webm", "libvpx", "webm")
    )
    with av.open(buffer, mode="w", format=container_format) as container:
        stream = container.add_stream(codec, rate=FPS)
        assert isinstance(stream, av.VideoStream)
        stream.width, stream.height = WIDTH, HEIGHT
        stream.pix_fmt = "yuv420p"
        stream.time_base = Fraction(1, FPS)
        if use_h264:
            stream.options = {"preset": "ultrafast", "tune": "stillimage"}
        for index, rgb in enumerate(_frames(video)):
            frame = av.VideoFrame(WIDTH, HEIGHT, "rgb24")
            frame.planes[0].update(rgb)
            frame.pts = index
            for packet in stream.encode(frame.reformat(format="yuv420p")):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buffer.getvalue(), extension


@demo_loaders.register("emergency")
class EmergencyDemoLoader(DemoLoader):
    """Guidance videos and an open sample incident for the demo dispatcher."""

    order = 40

    def load(self) -> list[DemoLogin]:
        centre = OrgUnit.objects.filter(code=CENTRE_CODE).first()
        unit = OrgUnit.objects.filter(code=UNIT_CODE).first()
        if centre is None or unit is None:
            return []  # the accounts loader did not run (or another city's tree)
        self._videos(centre)
        self._incident(centre, unit)
        return []

    def _videos(self, centre: OrgUnit) -> None:
        present = set(
            GuidanceVideo.objects.filter(centre=centre, is_active=True).values_list(
                "title_ja", flat=True
            )
        )
        for spec in SAMPLE_VIDEOS:
            if spec.title_ja in present:
                continue
            content, extension = sample_video_bytes(spec)
            services.guidance_upload(
                actor=SYSTEM,
                centre=centre,
                file=SimpleUploadedFile(
                    f"sample.{extension}", content, content_type=f"video/{extension}"
                ),
                title_ja=spec.title_ja,
                title_en=spec.title_en,
                is_sample=True,
            )

    def _incident(self, centre: OrgUnit, unit: OrgUnit) -> None:
        if Incident.objects.filter(
            centre=centre, is_sample=True, state=IncidentState.OPEN
        ).exists():
            return
        incident = services.incident_open(
            actor=SYSTEM,
            centre=centre,
            kind=IncidentKind.MEDICAL,
            caller_phone="090-1234-5678",
            address="中央区手取本町1-1 付近（サンプル）",
            notes="サンプル事案：60代男性が路上で倒れている（架空の通報）。",
            is_sample=True,
        )
        services.unit_assign(actor=SYSTEM, incident=incident, unit=unit)
        services.position_record(
            actor=SYSTEM, incident=incident, lat=32.80310, lng=130.70790, accuracy=25
        )
