"""The words of the caller's page in Japanese, English and やさしい日本語 (easy
Japanese: short sentences, common words, kana readings), for people in a hurry,
children, older people and residents from abroad.

Each text is written twice: as a plain message and with the context
"easy Japanese". The Japanese catalogue holds the easy wording under that
context; in English both are the same sentence.
"""

from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

EASY = "easy Japanese"

TEXTS: dict[str, tuple[Any, Any]] = {
    "title": (_("119 video call"), pgettext_lazy("easy Japanese", "119 video call")),
    "lead": (
        _(
            "Stay on the phone with the dispatcher. This page lets you send video "
            "and your location, and shows first-aid videos."
        ),
        pgettext_lazy(
            "easy Japanese",
            "Stay on the phone with the dispatcher. This page lets you send video "
            "and your location, and shows first-aid videos.",
        ),
    ),
    "noscript": (
        _(
            "Turn on JavaScript to send video. Keep talking to the dispatcher on "
            "the phone."
        ),
        pgettext_lazy(
            "easy Japanese",
            "Turn on JavaScript to send video. Keep talking to the dispatcher on "
            "the phone.",
        ),
    ),
    "consent_title": (
        _("Send video and your location"),
        pgettext_lazy("easy Japanese", "Send video and your location"),
    ),
    "consent": (
        _(
            "When you press the button, your phone asks to use the camera and your "
            "location. Allow both. The video and location go only to the fire "
            "department for this emergency, and may be recorded."
        ),
        pgettext_lazy(
            "easy Japanese",
            "When you press the button, your phone asks to use the camera and your "
            "location. Allow both. The video and location go only to the fire "
            "department for this emergency, and may be recorded.",
        ),
    ),
    "start": (_("Start the video"), pgettext_lazy("easy Japanese", "Start the video")),
    "camera_help": (
        _(
            "The camera is not allowed. Open your browser’s settings for this site, "
            "allow the camera, then press “Try again”. You can keep talking on the "
            "phone."
        ),
        pgettext_lazy(
            "easy Japanese",
            "The camera is not allowed. Open your browser’s settings for this site, "
            "allow the camera, then press “Try again”. You can keep talking on the "
            "phone.",
        ),
    ),
    "retry": (_("Try again"), pgettext_lazy("easy Japanese", "Try again")),
    "location_help": (
        _(
            "Your location is not allowed. Allow location for this site in your "
            "browser’s settings, or tell the dispatcher where you are."
        ),
        pgettext_lazy(
            "easy Japanese",
            "Your location is not allowed. Allow location for this site in your "
            "browser’s settings, or tell the dispatcher where you are.",
        ),
    ),
    "close_video": (
        _("Close the video"),
        pgettext_lazy("easy Japanese", "Close the video"),
    ),
    "flip": (_("Switch camera"), pgettext_lazy("easy Japanese", "Switch camera")),
    "end": (_("End"), pgettext_lazy("easy Japanese", "End")),
    "messages": (_("Messages"), pgettext_lazy("easy Japanese", "Messages")),
    "message_label": (
        _("Message to the dispatcher"),
        pgettext_lazy("easy Japanese", "Message to the dispatcher"),
    ),
    "send": (_("Send"), pgettext_lazy("easy Japanese", "Send")),
    "ended_title": (
        _("The video has ended"),
        pgettext_lazy("easy Japanese", "The video has ended"),
    ),
    "ended": (
        _(
            "Stay on the phone and follow the dispatcher. If the dispatcher asks, "
            "open the link in the text message again."
        ),
        pgettext_lazy(
            "easy Japanese",
            "Stay on the phone and follow the dispatcher. If the dispatcher asks, "
            "open the link in the text message again.",
        ),
    ),
    # for live119-caller.js
    "asking": (
        _("Allow the camera and your location when your phone asks."),
        pgettext_lazy(
            "easy Japanese", "Allow the camera and your location when your phone asks."
        ),
    ),
    "connecting": (
        _("Connecting the video…"),
        pgettext_lazy("easy Japanese", "Connecting the video…"),
    ),
    "live": (
        _("The dispatcher can see your video."),
        pgettext_lazy("easy Japanese", "The dispatcher can see your video."),
    ),
    "reconnecting": (
        _("Connection lost. Reconnecting…"),
        pgettext_lazy("easy Japanese", "Connection lost. Reconnecting…"),
    ),
    "videoFailed": (
        _("The video could not connect. Keep talking on the phone."),
        pgettext_lazy(
            "easy Japanese", "The video could not connect. Keep talking on the phone."
        ),
    ),
    "noCamera": (
        _("No video. Your location and messages still reach the dispatcher."),
        pgettext_lazy(
            "easy Japanese",
            "No video. Your location and messages still reach the dispatcher.",
        ),
    ),
    "error": (
        _("Something went wrong. Keep talking on the phone."),
        pgettext_lazy(
            "easy Japanese", "Something went wrong. Keep talking on the phone."
        ),
    ),
    "position": (
        _("Your location: %(lat)s, %(lng)s (within %(accuracy)s m)"),
        pgettext_lazy(
            "easy Japanese", "Your location: %(lat)s, %(lng)s (within %(accuracy)s m)"
        ),
    ),
    "you": (_("You"), pgettext_lazy("easy Japanese", "You")),
    "dispatcher": (_("Dispatcher"), pgettext_lazy("easy Japanese", "Dispatcher")),
    "confirmEnd": (
        _("End the video? Stay on the phone."),
        pgettext_lazy("easy Japanese", "End the video? Stay on the phone."),
    ),
}

# The texts the page's script needs (the rest are in the template).
SCRIPT_KEYS = (
    "asking",
    "connecting",
    "live",
    "reconnecting",
    "videoFailed",
    "noCamera",
    "error",
    "position",
    "you",
    "dispatcher",
    "confirmEnd",
)

# (code, label as the language names itself) offered on the page
CHOICES = (("ja", "日本語"), ("easy", "やさしい にほんご"), ("en", "English"))


def texts(easy: bool) -> dict[str, str]:
    """Every text of the caller's page in the active language (easy or plain)."""
    return {key: str(pair[1] if easy else pair[0]) for key, pair in TEXTS.items()}
