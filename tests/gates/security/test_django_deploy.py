"""Django's deployment checklist in the security gate: the parser on saved outputs of
`manage.py check --deploy`, then the real command on the Django fixture project."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from auditor.errors import GateError
from gates.security import django_check_parse
from gates.security.details import SecurityDetails
from tests.helpers import PROJECTS, run_gate

WARNINGS_ONLY = """\
System check identified some issues:

WARNINGS:
?: (security.W004) You have not set a value for the SECURE_HSTS_SECONDS setting.
?: (security.W018) You should not have DEBUG set to True in deployment.
catalog.Product: (models.W042) Auto-created primary key used when not defining a primary key.
\tHINT: Configure the DEFAULT_AUTO_FIELD setting or the CatalogConfig.default_auto_field
attribute to point to a subclass of AutoField.

System check identified 3 issues (2 silenced).
"""
WITH_ERRORS = """\
SystemCheckError: System check identified some issues:

ERRORS:
?: (fields.E999) Something is broken
over two lines.

WARNINGS:
?: (security.W009) Your SECRET_KEY has less than 50 characters.

INFOS:
?: (app.I001) Just so you know.

System check identified 3 issues (0 silenced).
"""


@pytest.mark.unit
def test_issues_are_read_with_their_ids_levels_hints_and_silenced_count() -> None:
    found = django_check_parse.parse(WARNINGS_ONLY)
    assert [(i.id, i.level, i.obj) for i in found.issues] == [
        ("security.W004", "WARNING", "?"),
        ("security.W018", "WARNING", "?"),
        ("models.W042", "WARNING", "catalog.Product"),
    ]
    assert found.issues[1].message == "You should not have DEBUG set to True in deployment."
    assert found.issues[2].hint.startswith("Configure the DEFAULT_AUTO_FIELD")
    assert found.issues[2].hint.endswith("subclass of AutoField.")
    assert found.silenced == 2

    with_errors = django_check_parse.parse(WITH_ERRORS)
    assert [(i.id, i.level, i.counted) for i in with_errors.issues] == [
        ("fields.E999", "ERROR", True),
        ("security.W009", "WARNING", True),
        ("app.I001", "INFO", False),
    ]
    assert with_errors.issues[0].message == "Something is broken\nover two lines."
    clean = django_check_parse.parse("System check identified no issues (0 silenced).\n")
    assert clean.issues == ()


@pytest.mark.parametrize(
    ("output", "needle"),
    [
        (
            "Traceback (most recent call last):\nModuleNotFoundError: No module named 'shop'\n",
            "did not complete",
        ),
        (
            "WARNINGS:\n?: security.W018 no id in brackets\n\n"
            "System check identified 1 issue (0 silenced).\n",
            "1 issues but 0 could be read",
        ),
    ],
)
@pytest.mark.unit
def test_an_output_that_does_not_add_up_is_an_error(output: str, needle: str) -> None:
    with pytest.raises(GateError, match=needle):
        django_check_parse.parse(output)


DEPLOY_SETTINGS = """\
from shop.settings import *  # noqa: F403

DEBUG = True
SILENCED_SYSTEM_CHECKS = ["security.W002"]
"""


def _check_by_hand(root: Path, settings: str) -> str:
    """The count line of `manage.py check --deploy` run as a user would."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": settings, "PYTHONDONTWRITEBYTECODE": "1"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return result.stderr.strip().splitlines()[-1]


def test_check_deploy_warnings_are_counted_with_their_ids(tmp_path: Path) -> None:
    root = tmp_path / "shop"
    shutil.copytree(PROJECTS / "django_shop", root)
    (root / "shop" / "deploy.py").write_text(DEPLOY_SETTINGS, encoding="utf-8")
    with (root / "pyproject.toml").open("a", encoding="utf-8") as pyproject:
        pyproject.write(
            '\n[tool.audit.security]\naudit_dependencies = false\ndeploy_settings = "shop.deploy"\n'
        )
    result = run_gate("security", root, tmp_path / "out")
    assert _check_by_hand(root, "shop.deploy") == ("System check identified 4 issues (1 silenced).")
    deploy = next(c for c in result.conditions if c.id == "django_deploy_warnings")
    assert (deploy.value, deploy.status) == (4, "failed")
    found = sorted((f.rule, f.path) for f in result.findings if f.rule.startswith("security."))
    assert found == [
        ("security.W001", "shop/deploy.py"),
        ("security.W003", "shop/deploy.py"),
        ("security.W009", "shop/deploy.py"),
        ("security.W018", "shop/deploy.py"),
    ]
    debug = next(f for f in result.findings if f.rule == "security.W018")
    assert "DEBUG set to True" in debug.message
    assert isinstance(result.details, SecurityDetails)
    assert result.details.django is not None
    assert (
        result.details.django.settings,
        result.details.django.settings_origin,
        result.details.django.silenced,
    ) == ("shop.deploy", "deploy_settings", 1)
    # Nothing written into the project (no bytecode of its modules).
    assert not list(root.rglob("__pycache__"))
