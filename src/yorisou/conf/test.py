"""Settings for the test suite: only overrides of base.

``DATABASE_URL`` selects PostgreSQL (as in CI); otherwise SQLite. The cache and
channel layer stay in-process so tests are isolated; the integration tests start
their own server and worker processes on PostgreSQL and Redis.
"""

from yorisou.conf.base import *  # noqa: F403
from yorisou.conf.env import env_bool

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
CELERY_BROKER_URL = "memory://"
CELERY_TASK_ALWAYS_EAGER = True
WHITENOISE_AUTOREFRESH = True

# The sample My Number card provider is installed so its own tests run; sign-in
# with it stays off (MYNUMBER_OIDC) unless a test points MYNUMBER_OIDC at it.
YORISOU_DEMO_IDP = env_bool("YORISOU_DEMO_IDP", True)
if YORISOU_DEMO_IDP:
    INSTALLED_APPS = [*INSTALLED_APPS, "yorisou.devidp"]  # noqa: F405

# The test runner opens and closes the test database itself: no pool.
DATABASES["default"].get("OPTIONS", {}).pop("pool", None)  # noqa: F405
