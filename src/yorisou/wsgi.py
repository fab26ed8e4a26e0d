"""WSGI entry point (HTTP only; WebSockets need the ASGI server)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yorisou.conf.dev")
application = get_wsgi_application()
