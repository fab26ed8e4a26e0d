"""Embedded defaults for one machine (``make demo``): only overrides of base."""

from yorisou.conf.base import *  # noqa: F403
from yorisou.conf.env import env_bool

WHITENOISE_AUTOREFRESH = True

# The sample My Number card sign-in provider (/demo-idp/), on by default so that
# `make demo` can try the whole flow in one process; My Number sign-in uses it
# unless MYNUMBER_OIDC_ISSUER names another provider.
YORISOU_DEMO_IDP = env_bool("YORISOU_DEMO_IDP", True)
if YORISOU_DEMO_IDP:
    INSTALLED_APPS = [*INSTALLED_APPS, "yorisou.devidp"]  # noqa: F405
    if not MYNUMBER_OIDC["ISSUER"]:  # noqa: F405
        MYNUMBER_OIDC.update(  # noqa: F405
            ISSUER="/demo-idp",
            CLIENT_ID=DEMO_IDP["CLIENT_ID"],  # noqa: F405
            CLIENT_SECRET=DEMO_IDP["CLIENT_SECRET"],  # noqa: F405
        )
