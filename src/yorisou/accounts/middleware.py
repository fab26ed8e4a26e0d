"""Two-factor sign-in for staff: required once set up, or for all when configured."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from django_otp import user_has_device

from yorisou.core import permissions
from yorisou.core.selectors import site_configuration_get

_EXEMPT_PREFIXES = (
    "/accounts/2fa/",
    "/accounts/logout/",
    "/static/",
    "/i18n/",
    "/healthz",
    "/api/",
)


class StaffTwoFactorMiddleware:
    """Sends a signed-in member of staff to the TOTP step until it is passed.

    Staff who set up an authenticator always need it; when the system setting
    "require two-factor for staff" is on, staff without one must set it up first.
    API calls with a token are machine access and are not redirected.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and not request.path.startswith(_EXEMPT_PREFIXES)
            and not getattr(user, "is_verified", lambda: False)()
            and permissions.is_staff_member(user)
        ):
            if user_has_device(user):
                return redirect("accounts:two_factor_verify")
            if site_configuration_get().require_staff_two_factor:
                return redirect("accounts:two_factor_setup")
        return self.get_response(request)
