"""Production: secure by default; everything else comes from the environment."""

from django.core.exceptions import ImproperlyConfigured

from yorisou.conf.base import *  # noqa: F403
from yorisou.conf.env import env_bool, env_int, env_str

if not env_str("SECRET_KEY"):
    raise ImproperlyConfigured("SECRET_KEY must be set in production")
if YORISOU_DEMO_IDP:  # noqa: F405
    raise ImproperlyConfigured("YORISOU_DEMO_IDP (the sample provider) is for demos")
if not env_str("FIELD_ENCRYPTION_KEYS"):
    raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS must be set in production")
DEBUG = False
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
LANGUAGE_COOKIE_SECURE = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = False
