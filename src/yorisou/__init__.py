"""Yorisou (寄り添う) — an open-source digital city hall platform."""

from yorisou.celery import app as celery_app

__all__ = ["celery_app"]
__version__ = "0.1.0"
