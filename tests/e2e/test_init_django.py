"""`audit init` on a Django project: the service definition it writes starts the project (its
ASGI or WSGI application under the server the environment has, `migrate` before each start,
a health path that answers)."""

from __future__ import annotations

import os
import shutil
import sys
import tomllib
import urllib.request
from pathlib import Path

import pytest

from auditor import config
from gates import service
from gates.load import django_service
from tests.e2e.uncomment import uncommented
from tests.helpers import PROJECTS, run_cli

SHOP = PROJECTS / "django_shop"


@pytest.mark.unit
def test_the_layout_and_the_server_command_come_from_the_projects_files() -> None:
    found = django_service.layout(SHOP)
    assert found is not None
    assert (found.settings, found.wsgi, found.asgi) == (
        "shop.settings",
        "shop.wsgi:application",
        "shop.asgi:application",
    )
    assert django_service.health_path(found.urlconf) == "/health"
    assert django_service._start(found, "gunicorn")[0] == (
        "python -m gunicorn shop.wsgi:application --bind 127.0.0.1:{port} --workers 2"
    )
    assert django_service._start(found, "uvicorn")[0] == (
        "python -m uvicorn shop.asgi:application --host 127.0.0.1 --port {port}"
    )
    wsgi_only = django_service.DjangoLayout("shop.settings", "shop.wsgi:application", None, None)
    assert "--interface wsgi" in django_service._start(wsgi_only, "uvicorn")[0]
    start, said = django_service._start(found, None)
    assert start == "python manage.py runserver 127.0.0.1:{port} --noreload"
    assert "install gunicorn" in said
    assert django_service.layout(PROJECTS / "lint_clean") is None


@pytest.mark.slow
def test_init_on_a_django_project_writes_a_service_definition_that_starts_it(
    tmp_path: Path,
) -> None:
    root = tmp_path / "shop"
    shutil.copytree(SHOP, root)
    result = run_cli("init", root, "--python", sys.executable)
    assert result.code == 0, result.stderr
    text = (root / "pyproject.toml").read_text(encoding="utf-8")
    load = tomllib.loads(text)["tool"]["audit"]["load"]
    # uvicorn is what the tests' environment has (gunicorn is not installed there).
    assert load == {
        "start": "python -m uvicorn shop.asgi:application --host 127.0.0.1 --port {port}",
        "reset": "python manage.py migrate --noinput",
        "health": "/health",
        "env": {"DJANGO_SETTINGS_MODULE": "shop.settings"},
        "endpoints": [{"path": "/health"}],
    }
    # The rest is commented out: uncommenting a key never defines it twice.
    assert tomllib.loads(uncommented(text))["tool"]["audit"]["load"]["users"] == 10
    settings = service.parse_service(config.load(root, None).gates["load"], "[tool.audit.load]")
    running = service.running(
        settings,
        root=root,
        python=Path(sys.executable),
        workdir=tmp_path / "work" / "load",
        log_path=tmp_path / "service.log",
        base_env=dict(os.environ),
    )
    with running as started:
        # The reset migrated the database: the API's tables exist.
        products = f"{started.base_url}/api/products/"
        with urllib.request.urlopen(products, timeout=10) as answer:
            assert answer.status == 200
