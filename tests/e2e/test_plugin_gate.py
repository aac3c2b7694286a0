"""A gate from another distribution, as users install one: examples/plugin-gate installed into
an environment of its own, then listed, configured, selected, scored, cached and recorded, and
shown in every report format; a plugin that cannot load is one clear error naming it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import venv
from pathlib import Path
from typing import Any

import pytest
from junitparser import JUnitXml

from tests.helpers import CliResult
from tests.shared import once_per_run

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
PLUGIN = REPO / "examples" / "plugin-gate"
UNDOCUMENTED = '''\
"""A module with a docstring."""


def documented() -> int:
    """Has one."""
    return 1


def bare() -> int:
    return 2


class Thing:
    def method(self) -> int:
        return 3
'''


def _environment(directory: Path) -> Path:
    """A virtual environment that sees the auditor's own packages (a `.pth` file adds its
    site-packages), with nothing else installed; its interpreter."""
    venv.EnvBuilder(with_pip=False).create(directory)
    python = directory / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    ours = sysconfig.get_paths()["purelib"]
    (Path(purelib) / "auditor-environment.pth").write_text(
        f"import site; site.addsitedir({ours!r})\n", encoding="utf-8"
    )
    return python


def _install(python: Path, project: Path) -> None:
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
         "--no-index", str(project)],
        capture_output=True, text=True, check=True, timeout=300,
    )


def _plugin_environment(directory: Path) -> str:
    python = _environment(directory / "env")
    # Built from a copy: a build leaves build/ and *.egg-info beside the sources.
    _install(python, Path(shutil.copytree(PLUGIN, directory / "plugin-gate")))
    return str(python)


@pytest.fixture(scope="module")
def plugin_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return Path(once_per_run(tmp_path_factory, "plugin-gate-env", _plugin_environment))


def _audit(python: Path, *args: str | Path, cwd: Path | None = None) -> CliResult:
    proc = subprocess.run(
        [str(python), "-m", "auditor", *map(str, args)], cwd=cwd, capture_output=True,
        text=True, timeout=300, check=False,
    )
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


def _project(root: Path, table: str = "") -> Path:
    root.mkdir(parents=True)
    (root / "pkg").mkdir()
    (root / "pkg" / "__init__.py").write_text('"""The package."""\n', encoding="utf-8")
    (root / "pkg" / "mod.py").write_text(UNDOCUMENTED, encoding="utf-8")
    (root / "pyproject.toml").write_text(
        '[project]\nname = "p"\nversion = "0"\n' + textwrap.dedent(table), encoding="utf-8"
    )
    return root


def _ruff_by_hand(root: Path, select: str) -> list[dict[str, Any]]:
    """The oracle: ruff's own findings for the same rules on the same code."""
    proc = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--select", select, "--no-cache",
         "--output-format", "json", "--exit-zero", "."],
        cwd=root, capture_output=True, text=True, check=True,
    )
    found: list[dict[str, Any]] = json.loads(proc.stdout)
    return found


def test_a_plugin_gate_is_listed_configured_scored_and_reported(
    plugin_python: Path, tmp_path: Path
) -> None:
    listed = _audit(plugin_python, "gates")
    assert listed.code == 0, listed.stderr
    assert "docstrings  Docstrings, runs ruff (D1 rules)" in listed.stdout
    assert "undocumented" in listed.stdout
    root = _project(tmp_path / "p", """
        [tool.audit.docstrings]
        undocumented = 2
    """)
    out = tmp_path / "out"
    ran = _audit(plugin_python, "run", root, "--gates", "docstrings", "--out", out,
                 "--format", "html,json,junit,sarif,markdown", "--history", tmp_path / "h.db")
    expected = _ruff_by_hand(root, "D1")
    assert len(expected) == 3  # D101 Thing, D102 method, D103 bare
    card = json.loads((out / "scorecard.json").read_text(encoding="utf-8"))
    gate = card["gates"][0]
    assert gate["id"] == "docstrings"
    condition = gate["conditions"][0]
    assert (condition["value"], condition["threshold"]) == (3.0, 2.0)
    assert condition["population"] == {"noun": "files checked", "size": 2}
    assert gate["status"] == "failed"
    assert ran.code == 1, ran.stderr
    assert sorted(f["rule"] for f in gate["findings"]) == sorted(f["code"] for f in expected)
    assert gate["details"]["by_rule"] == {"D101": 1, "D102": 1, "D103": 1}
    html = (out / "scorecard.html").read_text(encoding="utf-8")
    assert "Docstrings" in html
    assert "by_rule" in html
    junit = JUnitXml.fromfile(str(out / "junit.xml"))
    cases = {suite.name: [case.name for case in suite] for suite in junit}
    assert cases["docstrings"] == ["undocumented: Undocumented public definitions"]
    sarif = json.loads((out / "scorecard.sarif").read_text(encoding="utf-8"))
    assert [len(run["results"]) for run in sarif["runs"]] == [3]
    assert "| Docstrings |" in (out / "scorecard.md").read_text(encoding="utf-8")
    history = _audit(plugin_python, "history", root, "--history", tmp_path / "h.db",
                     "--format", "json")
    assert json.loads(history.stdout)[0]["figures"]["docstrings.undocumented"]["value"] == 3.0
    again = _audit(plugin_python, "run", root, "--gates", "docstrings", "--out",
                   tmp_path / "out2", "--format", "json", "--no-history")
    cached = json.loads((tmp_path / "out2" / "scorecard.json").read_text(encoding="utf-8"))
    assert again.code == 1
    assert "cached" in cached["gates"][0]


def test_a_plugin_gate_reads_its_table_with_the_same_validation(
    plugin_python: Path, tmp_path: Path
) -> None:
    root = _project(tmp_path / "p", """
        [tool.audit.docstrings]
        undocumentd = 2
    """)
    typo = _audit(plugin_python, "run", root, "--gates", "docstrings", "--no-history")
    assert typo.code == 2
    assert "`undocumentd` is not a key of [tool.audit.docstrings]" in typo.stderr
    assert "did you mean `undocumented`?" in typo.stderr
    assert "Traceback" not in typo.stderr
    selected = _project(tmp_path / "q", """
        [tool.audit.docstrings]
        select = ["D103"]
    """)
    out = tmp_path / "out"
    ran = _audit(plugin_python, "run", selected, "--gates", "docstrings", "--out", out,
                 "--format", "json", "--no-history")
    card = json.loads((out / "scorecard.json").read_text(encoding="utf-8"))
    assert ran.code == 1
    assert card["gates"][0]["conditions"][0]["value"] == len(_ruff_by_hand(selected, "D103"))
    schema = _audit(plugin_python, "schema")
    assert "DocstringDetails" in json.loads(schema.stdout)["$defs"]


BROKEN_PYPROJECT = """\
[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "audit-broken"
version = "0.1"

[project.entry-points."auditor.gates"]
broken = "audit_broken:Gate"
"""


def test_a_broken_plugin_is_an_error_when_selected_and_a_warning_otherwise(
    tmp_path: Path
) -> None:
    project = tmp_path / "broken"
    project.mkdir()
    (project / "pyproject.toml").write_text(BROKEN_PYPROJECT, encoding="utf-8")
    (project / "audit_broken.py").write_text("raise ImportError('no such thing')\n", "utf-8")
    python = _environment(tmp_path / "env")
    _install(python, project)
    root = _project(tmp_path / "p")
    chosen = _audit(python, "run", root, "--gates", "broken", "--no-history")
    assert chosen.code == 2
    assert "the gate plugin `broken` of the distribution audit-broken 0.1" in chosen.stderr
    assert "`broken = audit_broken:Gate`" in chosen.stderr
    assert "no such thing" in chosen.stderr
    assert "Traceback" not in chosen.stderr
    others = _audit(python, "run", root, "--gates", "lint", "--no-history", "--out",
                    tmp_path / "out", "--format", "json")
    assert others.code == 0, others.stderr
    assert "warning: the gate plugin `broken`" in others.stderr
