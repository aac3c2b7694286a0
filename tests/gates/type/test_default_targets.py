"""Without `files`, `modules` or `packages` in the project's mypy configuration, the type gate
checks the project's importable packages, tests excluded, and says what and why."""

from __future__ import annotations

from pathlib import Path

import pytest

from gates.type.targets import default_targets
from tests import helpers
from tests.gates.type.test_gate import mypy_by_hand
from tests.helpers import condition, gate, write_project

BAD = 'count: int = "many"\n'
GOOD = "def one() -> int:\n    return 1\n"

SRC_LAYOUT = {
    "src/pkg/__init__.py": GOOD,
    "src/pkg/tests/test_inside.py": BAD,
    "src/pkg/test_mod.py": BAD,
    "src/pkg/conftest.py": BAD,
    "tests/test_outside.py": BAD,
    "docs/conf.py": BAD,
    "scripts/release.py": BAD,
    "setup.py": BAD,
}


def test_src_layout_checks_its_packages_without_tests(tmp_path: Path) -> None:
    root = write_project(tmp_path / "proj", SRC_LAYOUT)
    code, card = helpers.audit(root, tmp_path / "out", gates="type")
    errors, _rc, total = mypy_by_hand(
        root, tmp_path / "hand", "--exclude", "(^|/)(tests|test_[^/]*|conftest)(/|\\.py$)",
        "src/pkg",
    )
    assert code == 0
    assert condition(card, "type", "type_errors")["value"] == errors == 0
    details = gate(card, "type")["details"]
    assert details["total"]["total"] == total["total"]
    assert details["checked_paths"] == ["src/pkg"]
    assert details["checked"].startswith("src/pkg: the packages of the src/ layout, tests excluded")
    # The whole root, as mypy checks it by default, has errors in every other file.
    everything, _rc, _total = mypy_by_hand(root, tmp_path / "whole", ".", "--exclude", "setup.py")
    assert everything >= 5


def test_the_projects_own_files_still_win(tmp_path: Path) -> None:
    root = write_project(tmp_path / "proj", {
        **SRC_LAYOUT,
        "pyproject.toml": '[tool.mypy]\nfiles = ["src", "tests"]\n',
    })
    code, card = helpers.audit(root, tmp_path / "out", gates="type")
    errors, _rc, _total = mypy_by_hand(root, tmp_path / "hand")
    assert code == 1
    assert condition(card, "type", "type_errors")["value"] == errors >= 4
    assert gate(card, "type")["details"]["checked"].startswith("files, modules or packages")


@pytest.mark.parametrize(
    ("files", "paths", "why"),
    [
        (
            {"pyproject.toml": '[tool.setuptools]\npackages = ["app"]\n'
                               'package-dir = {"" = "lib"}\n',
             "lib/app/__init__.py": GOOD, "lib/other/__init__.py": GOOD, "src/x/__init__.py": GOOD},
            ("lib/app",), "the packages pyproject.toml names in [tool.setuptools] packages",
        ),
        (
            {"pyproject.toml": '[tool.hatch.build.targets.wheel]\npackages = ["src/app"]\n',
             "src/app/__init__.py": GOOD, "src/other/__init__.py": GOOD},
            ("src/app",), "the packages pyproject.toml names in [tool.hatch.build.targets.wheel] "
            "packages",
        ),
        (
            {"pyproject.toml": '[tool.poetry]\npackages = [{include = "app", from = "src"}]\n',
             "src/app/__init__.py": GOOD},
            ("src/app",), "the packages pyproject.toml names in [tool.poetry] packages",
        ),
        (
            {"app/__init__.py": GOOD, "tool.py": GOOD, "test_app.py": BAD, "tests/t.py": BAD,
             "docs/conf.py": BAD, "noxfile.py": BAD, "venv/pyvenv.cfg": "", "data/x.txt": ""},
            ("app", "tool.py"), "the packages and modules at the root",
        ),
        ({"README.md": "hi\n"}, (), "the whole root: no package or module was found at it"),
    ],
)
def test_where_the_packages_come_from(
    tmp_path: Path, files: dict[str, str], paths: tuple[str, ...], why: str
) -> None:
    found = default_targets(write_project(tmp_path, files))
    assert (found.paths, found.why) == (paths, why)
