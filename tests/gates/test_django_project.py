"""A Django project read from its files as Django and pytest-django read them: manage.py's
default settings module, pytest's configuration file in pytest's order, the environment first."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pytest

from gates.django_project import (
    manage_py_settings,
    pytest_config,
    read_probe,
    settings_module,
    uses_pytest_django,
)
from tests.helpers import PROJECTS, write_project

pytestmark = pytest.mark.unit

MANAGE = (
    "import os, sys\n\n\ndef main():\n"
    '    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")\n'
    "    from django.core.management import execute_from_command_line\n"
    "    execute_from_command_line(sys.argv)\n"
)
PYTEST_DJANGO = '[tool.pytest.ini_options]\nDJANGO_SETTINGS_MODULE = "mysite.test_settings"\n'


def test_manage_py_names_the_settings_module_startproject_writes() -> None:
    assert manage_py_settings(PROJECTS / "django_shop" / "manage.py") == "shop.settings"


def test_a_manage_py_that_names_no_module_plainly_names_none(tmp_path: Path) -> None:
    root = write_project(tmp_path, {"manage.py": "import os\nos.environ['X'] = 'y'\n"})
    assert manage_py_settings(root / "manage.py") is None


def test_settings_come_from_the_environment_first(tmp_path: Path) -> None:
    root = write_project(tmp_path, {"manage.py": MANAGE, "pyproject.toml": PYTEST_DJANGO})
    env = {"DJANGO_SETTINGS_MODULE": "mysite.ci"}
    runners: tuple[Literal["django", "pytest"], ...] = ("django", "pytest")
    for runner in runners:
        found = settings_module(root, env, runner)
        assert found is not None
        assert (found.module, found.origin) == ("mysite.ci", "environment")


def test_each_runner_prefers_its_own_configuration(tmp_path: Path) -> None:
    root = write_project(tmp_path, {"manage.py": MANAGE, "pyproject.toml": PYTEST_DJANGO})
    django = settings_module(root, {}, "django")
    pytest_run = settings_module(root, {}, "pytest")
    assert django is not None
    assert pytest_run is not None
    assert django.describe() == "mysite.settings (from manage.py)"
    assert pytest_run.describe() == "mysite.test_settings (from pytest configuration)"


def test_pytest_ini_wins_over_pyproject_as_pytest_reads_it(tmp_path: Path) -> None:
    root = write_project(
        tmp_path,
        {
            "pytest.ini": "[pytest]\naddopts = -q --ds=mysite.from_ini\n",
            "pyproject.toml": PYTEST_DJANGO,
        },
    )
    config = pytest_config(root)
    assert config is not None
    assert (config.file, config.settings) == ("pytest.ini", "mysite.from_ini")
    assert uses_pytest_django(root)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("setup.cfg", "[tool:pytest]\nDJANGO_SETTINGS_MODULE = mysite.settings\n"),
        ("tox.ini", "[pytest]\nDJANGO_SETTINGS_MODULE = mysite.settings\n"),
        ("pytest.toml", '[pytest]\nDJANGO_SETTINGS_MODULE = "mysite.settings"\n'),
    ],
)
def test_pytest_django_is_found_in_every_file_pytest_reads(
    tmp_path: Path, name: str, text: str
) -> None:
    root = write_project(tmp_path, {name: text})
    assert uses_pytest_django(root)


def test_a_pytest_configuration_without_settings_is_not_pytest_django(tmp_path: Path) -> None:
    root = write_project(
        tmp_path, {"pyproject.toml": "[tool.pytest.ini_options]\naddopts = '-q'\n"}
    )
    assert not uses_pytest_django(root)
    assert not uses_pytest_django(PROJECTS / "django_shop")


def test_the_probe_output_is_read_typed_and_anything_else_is_none() -> None:
    line = (
        '{"python": "3.12.1", "django": "5.2", "error": null, "apps": ["rest_framework"], '
        '"modules": {"yaml": true, "uritemplate": false}}'
    )
    probed = read_probe("Django says hello\n" + line)
    assert probed is not None
    assert probed.has_app("rest_framework")
    assert not probed.has_app("drf_spectacular")
    assert read_probe('{"python": "3.12.1"}') is None
    assert read_probe("") is None
