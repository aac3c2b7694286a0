"""The deploy gate builds, checks, installs, migrates and starts real miniature projects.

Two projects, each audited once per test run: a good one that passes every condition, and one
whose wheel omits a subpackage, whose README does not render, whose second migration cannot be
reverted, whose models have a column no migration adds, and whose service has no health check.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from auditor.errors import ConfigError
from auditor.model import GateResult
from auditor.plugin import GateConfig, Preparation
from auditor.registry import gates
from gates.deploy.details import DeployDetails
from gates.deploy.settings import OPTIONS
from gates.service import with_defaults
from tests.helpers import run_cli, run_gate, tree_snapshot, write_project
from tests.shared import once_per_run

ENV_PY = """\
from alembic import context
from sqlalchemy import engine_from_config, pool

from shop.models import Base

config = context.config
engine = engine_from_config(config.get_section(config.config_ini_section, {}),
                            prefix="sqlalchemy.", poolclass=pool.NullPool)
with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata,
                      render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
"""
FIRST = """\
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def upgrade():
    op.create_table("items", sa.Column("id", sa.Integer(), primary_key=True),
                    sa.Column("name", sa.Text(), nullable=False))


def downgrade():
    op.drop_table("items")
"""
SECOND = """\
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade():
    op.add_column("items", sa.Column("price", sa.Integer(), nullable=True))


def downgrade():
    {downgrade}
"""
MODELS = """\
from sqlalchemy import Integer, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Item(Base):
    __tablename__ = "items"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    price: Mapped[int | None] = mapped_column(Integer, nullable=True)
{extra}"""
ALEMBIC_INI = "[alembic]\nscript_location = %(here)s/migrations\nprepend_sys_path = .\n"
CLI = "import argparse\n\n\ndef main():\n    argparse.ArgumentParser().parse_args()\n"
PYPROJECT = """\
[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "shop"
version = "1.0"
description = "A shop."
readme = {readme}

[project.scripts]
shop = "shop.cli:main"

[tool.setuptools]
packages = {packages}

[tool.audit.deploy]
isolation = false
start = "python -m http.server {{port}} --bind 127.0.0.1"
{health}
"""


def make_project(root: Path, *, good: bool) -> Path:
    readme = '{ file = "README.md", content-type = "text/markdown" }' if good else '"README.rst"'
    return write_project(
        root,
        {
            "pyproject.toml": PYPROJECT.format(
                readme=readme,
                packages='["shop", "shop.payments"]' if good else '["shop"]',
                health='health = "/"' if good else "",
            ),
            "README.md": "# Shop\n\nA shop.\n",
            "README.rst": "Shop\n====\n\n.. no-such-directive::\n",
            "shop/__init__.py": "",
            "shop/cli.py": CLI,
            "shop/models.py": MODELS.format(
                extra="" if good else "    sku: Mapped[str] = mapped_column(Text)\n"
            ),
            "shop/payments/__init__.py": "",
            "shop/payments/card.py": "FEE = 3\n",
            "alembic.ini": ALEMBIC_INI,
            "migrations/env.py": ENV_PY,
            "migrations/versions/0001_items.py": FIRST,
            "migrations/versions/0002_price.py": SECOND.format(
                downgrade=(
                    'with op.batch_alter_table("items") as batch:\n'
                    '        batch.drop_column("price")'
                )
                if good
                else 'raise RuntimeError("the prices cannot be dropped")'
            ),
        },
    )


Audited = tuple[GateResult, bool]


def audit(tmp_path_factory: pytest.TempPathFactory, name: str, *, good: bool) -> Audited:
    def build(base: Path) -> Audited:
        root = make_project(base / "shop", good=good)
        before = tree_snapshot(root)
        result = run_gate("deploy", root, base / "out", python=Path(sys.executable))
        return result, tree_snapshot(root) == before

    return once_per_run(tmp_path_factory, name, build)


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory) -> Audited:
    return audit(tmp_path_factory, "deploy-good", good=True)


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> Audited:
    return audit(tmp_path_factory, "deploy-broken", good=False)


def conditions(result: GateResult) -> dict[str, tuple[str, float | None]]:
    return {c.id: (c.status, c.value) for c in result.conditions}


def messages(result: GateResult, condition: str) -> list[str]:
    return [
        f"{f.path}: {f.message}" for f in result.findings if f.extra.get("condition") == condition
    ]


def test_a_good_package_passes_every_condition_and_the_tree_is_unchanged(
    good: Audited,
) -> None:
    result, unchanged = good
    assert unchanged
    assert result.status == "passed", (result.reason, conditions(result), result.findings)
    details = result.details
    assert isinstance(details, DeployDetails)
    assert details.install is not None
    assert details.install.imported == 5
    assert [(s.name, s.exit_code) for s in details.install.scripts] == [("shop", 0)]
    assert details.migrations is not None
    assert [(s.phase, s.revision) for s in details.migrations.steps] == [
        ("upgrade", "0001"),
        ("upgrade", "0002"),
        ("downgrade", "0002"),
        ("downgrade", "0001"),
        ("upgrade again", "0001"),
        ("upgrade again", "0002"),
    ]
    assert details.health is not None
    assert details.health.healthy
    assert details.health.startup_s is not None


def test_a_broken_package_fails_naming_each_problem(broken: Audited) -> None:
    result, unchanged = broken
    assert unchanged
    values = conditions(result)
    assert values["package_builds"] == ("passed", 0)
    assert values["wheel_problems"][0] == "failed"
    assert any("long_description" in m for m in messages(result, "wheel_problems"))
    assert values["imports_after_install"][0] == "failed"
    assert messages(result, "imports_after_install") == [
        "shop/payments/__init__.py: shop.payments: in the source tree but not in the wheel",
        "shop/payments/card.py: shop.payments.card: in the source tree but not in the wheel",
    ]
    assert values["migrations_tested"] == ("failed", 1)
    [failed] = messages(result, "migrations_tested")
    assert failed.startswith("migrations/versions/0002_price.py: downgrade of revision 0002")
    assert "the prices cannot be dropped" in failed
    assert values["schema_drift"] == ("failed", 1)
    assert "add_column items.sku" in messages(result, "schema_drift")[0]
    assert values["health_check"] == ("failed", 1)
    assert "has no health check" in messages(result, "health_check")[0]


def test_a_target_without_a_build_backend_is_bad_input(tmp_path: Path) -> None:
    root = write_project(
        tmp_path / "lib",
        {
            "pyproject.toml": '[project]\nname = "lib"\nversion = "1.0"\n',
            "lib.py": "X = 1\n",
        },
    )
    code = run_cli("run", root, "--gates", "deploy", "--out", tmp_path / "out")
    assert code.code == 2
    assert "has no build backend" in code.stderr
    assert "add a [build-system] table to pyproject.toml" in code.stderr
    assert "Traceback" not in code.stderr


@pytest.mark.parametrize(
    ("ini", "expected"),
    [
        ("[alembic]\nsqlalchemy.url = sqlite://\n", "has no `script_location`"),
        ("[alembic\nscript_location = migrations\n", "cannot be read by alembic"),
        ("[alembic]\nscript_location = nowhere\n", "is not a folder of the target"),
    ],
)
def test_a_broken_alembic_ini_is_bad_input(tmp_path: Path, ini: str, expected: str) -> None:
    write_project(tmp_path, {"setup.py": "", "alembic.ini": ini})
    gate = gates()["deploy"]
    config = _config({})
    with pytest.raises(ConfigError, match=expected):
        gate.prepare(config, Preparation(tmp_path, tmp_path, Path(sys.executable), {}))


def test_an_unreachable_database_is_bad_input(tmp_path: Path) -> None:
    write_project(tmp_path, {"setup.py": ""})
    gate = gates()["deploy"]
    config = _config({"database_url": "postgresql://audit@127.0.0.1:9/shop"})
    with pytest.raises(ConfigError, match=r"cannot be reached .*start it, fix the URL"):
        gate.prepare(config, Preparation(tmp_path, tmp_path, Path(sys.executable), {}))


def _config(options: dict[str, object]) -> GateConfig:
    return with_defaults(OPTIONS, options)
