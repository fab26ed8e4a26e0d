"""Template context: the navigation for the signed-in user."""

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from yorisou.core.navigation import menu_for


def navigation(request: HttpRequest) -> dict[str, Any]:
    """``nav_links`` (what the user may open) and the site name."""
    user = getattr(request, "user", None)
    links = menu_for(user) if user is not None and user.is_authenticated else []
    return {
        "nav_links": [link for link in links if link.group == "main"],
        "nav_admin_links": [link for link in links if link.group == "admin"],
        "site_name": settings.YORISOU["SITE_NAME"],
    }
