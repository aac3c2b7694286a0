"""The deploy gate migrates real miniature Django projects: a good one passes both migration
conditions; a broken one has a migration that cannot be reversed and a field no migration adds.
Each is audited once per test run."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from auditor.model import GateResult
from gates.deploy.details import DeployDetails, Drift
from tests.helpers import run_gate, tree_snapshot, write_project
from tests.shared import once_per_run

MANAGE = """\
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "depot.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
"""
SETTINGS = """\
SECRET_KEY = "not-a-secret"
INSTALLED_APPS = ["depot.store"]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "depot.sqlite3"}}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
USE_TZ = True
"""
MODELS = """\
from django.db import models


class Product(models.Model):
    name = models.TextField()
    price = models.IntegerField(null=True)
{extra}"""
FIRST = """\
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [
        migrations.CreateModel(
            "Product",
            [
                (
                    "id",
                    models.AutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.TextField()),
            ],
        ),
    ]
"""
SECOND = """\
from django.db import migrations, models


def fill(apps, schema_editor):
    apps.get_model("store", "Product").objects.update(price=0)


class Migration(migrations.Migration):
    dependencies = [("store", "0001_initial")]
    operations = [
        migrations.AddField("product", "price", models.IntegerField(null=True)),
        migrations.RunPython(fill{reverse}),
    ]
"""
PYPROJECT = """\
[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "depot"
version = "1.0"
description = "A depot."
readme = { file = "README.md", content-type = "text/markdown" }

[tool.setuptools]
packages = ["depot", "depot.store", "depot.store.migrations"]

# Django names its migrations 0001_...: not importable names, as check-wheel-contents says.
[tool.check-wheel-contents]
ignore = ["W004"]

[tool.audit.deploy]
isolation = false
"""


def make_project(root: Path, *, good: bool) -> Path:
    return write_project(
        root,
        {
            "pyproject.toml": PYPROJECT,
            "README.md": "# Depot\n\nA depot.\n",
            "manage.py": MANAGE,
            "depot/__init__.py": "",
            "depot/settings.py": SETTINGS,
            "depot/store/__init__.py": "",
            "depot/store/models.py": MODELS.format(
                extra="" if good else '    sku = models.TextField(default="")\n'
            ),
            "depot/store/migrations/__init__.py": "",
            "depot/store/migrations/0001_initial.py": FIRST,
            "depot/store/migrations/0002_price.py": SECOND.format(
                reverse=", migrations.RunPython.noop" if good else ""
            ),
        },
    )


Audited = tuple[GateResult, bool]


def audit(tmp_path_factory: pytest.TempPathFactory, name: str, *, good: bool) -> Audited:
    def build(base: Path) -> Audited:
        root = make_project(base / "depot", good=good)
        before = tree_snapshot(root)
        result = run_gate("deploy", root, base / "out", python=Path(sys.executable))
        return result, tree_snapshot(root) == before

    return once_per_run(tmp_path_factory, name, build)


def conditions(result: GateResult) -> dict[str, tuple[str, float | None]]:
    return {c.id: (c.status, c.value) for c in result.conditions}


def messages(result: GateResult, condition: str) -> list[str]:
    return [
        f"{f.path}: {f.message}" for f in result.findings if f.extra.get("condition") == condition
    ]


def test_a_good_django_project_migrates_both_ways_and_the_tree_is_unchanged(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    result, unchanged = audit(tmp_path_factory, "deploy-django-good", good=True)
    assert unchanged
    values = conditions(result)
    assert values["migrations_tested"] == ("passed", 0), (result.reason, result.findings)
    assert values["schema_drift"] == ("passed", 0), messages(result, "schema_drift")
    # The models import from the installed wheel once Django is set up with the settings.
    assert values["imports_after_install"] == ("passed", 100), messages(
        result, "imports_after_install"
    )
    assert result.status == "passed", (result.reason, values, result.findings)
    details = result.details
    assert isinstance(details, DeployDetails)
    migrations = details.migrations
    assert migrations is not None
    assert (migrations.framework, migrations.database, migrations.config) == (
        "django",
        "sqlite",
        "manage.py",
    )
    assert (migrations.revisions, migrations.heads, migrations.tables) == (
        2,
        ("store.0002_price",),
        1,
    )
    assert [(s.phase, s.revision, s.ok) for s in migrations.steps] == [
        ("upgrade", "store.0001_initial", True),
        ("upgrade", "store.0002_price", True),
        ("downgrade", "store.0002_price", True),
        ("downgrade", "store.0001_initial", True),
        ("upgrade again", "store.0001_initial", True),
        ("upgrade again", "store.0002_price", True),
    ]


def test_a_broken_django_project_names_the_irreversible_migration_and_the_drift(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    result, unchanged = audit(tmp_path_factory, "deploy-django-broken", good=False)
    assert unchanged
    values = conditions(result)
    assert values["migrations_tested"] == ("failed", 1)
    [failed] = messages(result, "migrations_tested")
    assert failed.startswith(
        "depot/store/migrations/0002_price.py: downgrade of migration store.0002_price failed: "
    )
    assert "IrreversibleError" in failed
    assert "is not reversible" in failed
    assert values["schema_drift"] == ("failed", 1)
    [drift] = messages(result, "schema_drift")
    assert drift.startswith("depot/store/migrations: Add field sku to product (store)")
    details = result.details
    assert isinstance(details, DeployDetails)
    assert details.migrations is not None
    assert details.migrations.drift == (Drift("add_field", "store.product", "sku"),)
