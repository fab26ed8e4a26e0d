"""Template context: the navigation for the signed-in user."""

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from yorisou.core.navigation import menu_for


def navigation(request: HttpRequest) -> dict[str, Any]:
    """``nav_links`` (what the user may open) and the site name (``brand_name``:
    Django's auth views put the request's host into their own ``site_name``)."""
    user = getattr(request, "user", None)
    links = menu_for(user) if user is not None and user.is_authenticated else []
    return {
        "nav_links": [link for link in links if link.group == "main"],
        "nav_admin_links": [link for link in links if link.group == "admin"],
        "site_name": settings.YORISOU["SITE_NAME"],
        "brand_name": settings.YORISOU["SITE_NAME"],
        # times written by scripts use the site's zone, as the server's do
        "site_time_zone": settings.TIME_ZONE,
    }
