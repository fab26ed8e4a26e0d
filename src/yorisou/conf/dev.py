"""Embedded defaults for one machine (``make demo``): only overrides of base."""

from yorisou.conf.base import *  # noqa: F403

WHITENOISE_AUTOREFRESH = True
