"""A small shop: Django + Django REST Framework + drf-spectacular on SQLite.

The database file is SHOP_DB (default: db.sqlite3 beside manage.py); SHOP_REQUIRE_AUTH=1 makes
every API operation need an authenticated user; SHOP_SCHEMA=drf uses DRF's own schema generator
instead of drf-spectacular (without drf_spectacular installed as an app)."""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = "django-insecure-only-for-tests"  # noqa: S105
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "rest_framework",
    "catalog",
]
if os.environ.get("SHOP_SCHEMA") != "drf":
    INSTALLED_APPS.append("drf_spectacular")

MIDDLEWARE = [
    "django.middleware.common.CommonMiddleware",
]

ROOT_URLCONF = "shop.urls"
WSGI_APPLICATION = "shop.wsgi.application"

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("SHOP_DB", str(BASE_DIR / "db.sqlite3")),
    }
}

USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.BasicAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated"
        if os.environ.get("SHOP_REQUIRE_AUTH") == "1"
        else "rest_framework.permissions.AllowAny"
    ],
    "UNAUTHENTICATED_USER": None,
}
if "drf_spectacular" in INSTALLED_APPS:
    REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"] = "drf_spectacular.openapi.AutoSchema"

SPECTACULAR_SETTINGS = {"TITLE": "Shop", "VERSION": "1.0.0"}
