"""The security gate: bandit and pip-audit run for real on miniature projects and environments."""

from __future__ import annotations

import contextlib
import json
import shutil
import socket
import subprocess
import sys
import textwrap
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import msgspec
import pytest
from pip_audit._service.interface import VulnerabilityService  # type: ignore[import-untyped]

from auditor import config, fingerprints, procs
from auditor.errors import GateError
from auditor.plugin import GateContext
from gates.security import bandit_run, pip_audit_run
from gates.security import gate as security_gate
from gates.security.code_scan import CodeScan, scan
from gates.security.dependencies import DependencyAudit, audit_dependencies
from gates.security.details import SecurityDetails
from gates.security.gate import SecurityGate
from gates.security.osv_db import JsonValue, OsvDatabase, affects, load_record, served_copy
from gates.security.osv_server import OsvServer, Query
from tests import helpers
from tests.helpers import (
    FIXTURES,
    PROJECTS,
    condition,
    copy_project,
    gate,
    load_scorecard,
    run_cli,
    tool_command,
    tree_snapshot,
    write_project,
)
from tests.shared import once_per_run

OSV = FIXTURES / "osv"
LEVELS = ("LOW", "MEDIUM", "HIGH")


# --- the offline OSV database, on real advisory records ------------------------------------


def ids(records: list[dict[str, Any]]) -> set[str]:
    return {str(r["id"]) for r in records}


@pytest.fixture(scope="module")
def osv_db() -> OsvDatabase:
    return OsvDatabase.load(OSV)


@pytest.mark.unit
def test_database_loads_every_record(osv_db: OsvDatabase) -> None:
    assert osv_db.records == len(list(OSV.rglob("*.yaml")))
    assert set(osv_db.by_name) == {"requests", "pip", "setuptools", "py"}


@pytest.mark.parametrize(
    ("name", "version", "expected"),
    [
        # PYSEC-2018-28: introduced 0, fixed 2.20.0; PYSEC-2023-74: 2.3.0 to 2.31.0.
        ("requests", "2.19.0", {"PYSEC-2018-28", "PYSEC-2023-74"}),
        ("Requests", "2.20.0", {"PYSEC-2023-74"}),
        ("requests", "2.31.0", set()),
        ("requests", "2.2.1", {"PYSEC-2014-13", "PYSEC-2014-14", "PYSEC-2015-17", "PYSEC-2018-28"}),
        ("pip", "23.2.1", {"PYSEC-2023-228"}),
        ("pip", "23.3", set()),
        ("setuptools", "65.5.0", {"PYSEC-2022-43012"}),
        ("setuptools", "65.5.1", set()),
        ("py", "1.11.0", {"PYSEC-2022-42969"}),
        ("flask", "0.1", set()),
    ],
)
@pytest.mark.unit
def test_query_matches_name_and_version(
    osv_db: OsvDatabase, name: str, version: str, expected: set[str]
) -> None:
    assert ids(osv_db.query(name, version)) == expected


def first_affected(rel: str) -> dict[str, JsonValue]:
    """A copy of the first `affected[]` entry of a fixture record."""
    affected = load_record(OSV / "vulns" / rel)["affected"]
    assert isinstance(affected, list)
    assert isinstance(affected[0], dict)
    return dict(affected[0])


@pytest.mark.unit
def test_ranges_apply_without_a_version_list() -> None:
    entry = first_affected("py/PYSEC-2022-42969.yaml")
    entry.pop("versions")
    # `last_affected: 1.11.0` closes the range after that version.
    assert affects(entry, "1.11.0")
    assert affects(entry, "1.4.0")
    assert not affects(entry, "1.11.1")
    ranged = first_affected("requests/PYSEC-2023-74.yaml")
    ranged.pop("versions", None)
    assert affects(ranged, "2.3.0")
    assert affects(ranged, "2.30.0")
    assert not affects(ranged, "2.2.1")
    assert not affects(ranged, "2.31.0")


@pytest.mark.unit
def test_timestamps_are_served_in_the_form_pip_audit_parses() -> None:
    # The pip record's timestamps are unquoted YAML, which loads as datetimes.
    record = served_copy(load_record(OSV / "vulns" / "pip" / "PYSEC-2023-228.yaml"))
    assert record["published"] == "2023-10-25T18:17:00Z"
    assert record["modified"] == "2023-11-03T16:28:41.538340Z"
    parse = VulnerabilityService._parse_rfc3339
    assert parse(str(record["published"])) == datetime(2023, 10, 25, 18, 17)
    assert parse(str(record["modified"])) == datetime(2023, 11, 3, 16, 28, 41, 538340)


@pytest.mark.unit
def test_flat_json_records_load_like_yaml(tmp_path: Path, osv_db: OsvDatabase) -> None:
    for path in OSV.rglob("*.yaml"):
        record = load_record(path)
        (tmp_path / f"{record['id']}.json").write_text(json.dumps(record), encoding="utf-8")
    flat = OsvDatabase.load(tmp_path)
    assert flat.records == osv_db.records
    assert ids(flat.query("requests", "2.19.0")) == ids(osv_db.query("requests", "2.19.0"))


@pytest.mark.unit
def test_unreadable_or_empty_databases_are_errors(tmp_path: Path) -> None:
    with pytest.raises(GateError, match="holds no advisory"):
        OsvDatabase.load(tmp_path)
    (tmp_path / "broken.yaml").write_text("id: [unclosed\n", encoding="utf-8")
    with pytest.raises(GateError, match=r"broken\.yaml"):
        OsvDatabase.load(tmp_path)
    with pytest.raises(GateError, match="not a directory"):
        OsvDatabase.load(tmp_path / "missing")


def post(url: str, body: bytes) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_server_answers_osv_queries(osv_db: OsvDatabase) -> None:
    with OsvServer(osv_db) as server:
        query = {"package": {"name": "requests", "ecosystem": "PyPI"}, "version": "2.19.0"}
        status, body = post(server.url, json.dumps(query).encode())
        assert status == 200
        assert ids(body["vulns"]) == {"PYSEC-2018-28", "PYSEC-2023-74"}
        query["version"] = "2.31.0"
        assert post(server.url, json.dumps(query).encode()) == (200, {})
        assert post(server.url, b"not json")[0] == 400
        assert post(server.url.replace("/v1/query", "/v1/other"), b"{}")[0] == 404
        assert server.queries == 2


# --- parsers on saved real output -----------------------------------------------------------


@pytest.mark.unit
def test_everything_skipped_is_not_a_measurement() -> None:
    saved = (FIXTURES / "pip_audit" / "all_skipped.json").read_text(encoding="utf-8")
    with pytest.raises(GateError, match="audited no dependency"):
        pip_audit_run.parse(saved, include_installers=False)
    with pytest.raises(GateError, match="audited no dependency"):
        pip_audit_run.parse(saved, include_installers=True)


@pytest.mark.unit
def test_bandit_file_selection_excludes_tests_by_name_not_substring() -> None:
    root = PROJECTS / "sec_app"
    selection = bandit_run.select_files(root, bandit_run.DEFAULT_EXCLUDE)
    assert selection.files == ["app/__init__.py", "app/contest.py", "app/runner.py"]
    assert selection.excluded == ["tests/"]
    only_app = bandit_run.select_files(root, ["tests", "app/runner.py"])
    assert only_app.files == ["app/__init__.py", "app/contest.py"]


# --- the gate end to end ----------------------------------------------------------------------


@pytest.fixture(scope="session")
def vulnerable_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtual environment with requests 2.19.0 (and the pip and setuptools venv brings),
    made once per run."""

    def build(directory: Path) -> Path:
        venv = directory / "venv"
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
        python = venv / "bin" / "python"
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "--no-deps",
             "--disable-pip-version-check", "requests==2.19.0"],
            check=True, timeout=240,
        )
        return python

    return once_per_run(tmp_path_factory, "vulnerable-venv", build)


def make_target(tmp_path: Path, config: str = "") -> Path:
    root = copy_project("sec_app", tmp_path)
    shutil.copytree(OSV, root / "advisories")
    if config:
        with (root / "pyproject.toml").open("a", encoding="utf-8") as handle:
            handle.write(textwrap.dedent(config))
    return root


def bandit_by_hand(root: Path, severity: str, confidence: str) -> int:
    """Critical findings of bandit run directly on the project's package directory."""
    proc = subprocess.run(
        [sys.executable, "-m", "bandit", "-r", "-f", "json", "-q", str(root / "app")],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert proc.returncode == 1, proc.stderr
    return sum(
        1
        for r in json.loads(proc.stdout)["results"]
        if LEVELS.index(r["issue_severity"]) >= LEVELS.index(severity)
        and LEVELS.index(r["issue_confidence"]) >= LEVELS.index(confidence)
    )


def pip_audit_by_hand(python: Path, count_installers: bool) -> tuple[int, set[str]]:
    """Vulnerabilities pip-audit reports directly, against the fixture database on loopback."""
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout.strip()
    with OsvServer(OsvDatabase.load(OSV)) as server:
        proc = subprocess.run(
            [sys.executable, "-m", "pip_audit", "--path", site, "-f", "json",
             "--progress-spinner", "off", "-s", "osv", "--osv-url", server.url],
            capture_output=True, text=True, timeout=120, check=False,
        )
    assert proc.returncode == 1, proc.stderr
    found = [
        v["id"]
        for dep in json.loads(proc.stdout)["dependencies"]
        if count_installers or dep["name"] not in pip_audit_run.INSTALLERS
        for v in dep.get("vulns", [])
    ]
    return len(found), set(found)


def test_audit_counts_bandit_and_pip_audit_findings(
    tmp_path: Path, vulnerable_venv: Path
) -> None:
    root = make_target(tmp_path)
    before = tree_snapshot(root)
    out = tmp_path / "out"
    result = run_cli("run", root, "--gates", "security", "--python", vulnerable_venv,
                     "--out", out, "--format", "json")
    assert result.code == 1, result.stderr
    card = load_scorecard(out)
    security = gate(card, "security")
    assert security["status"] == "failed"

    critical = condition(card, "security", "critical_findings")["value"]
    assert critical == bandit_by_hand(root, "HIGH", "MEDIUM")
    assert critical >= 1
    rules = {f["rule"] for f in security["findings"]}
    assert "B602" in rules  # subprocess with shell=True
    assert "B324" in rules  # app/contest.py: `test` in a name is not a test directory
    assert "B101" not in rules  # the assert in tests/ is excluded by default
    bandit = [f for f in security["findings"] if f["tool"] == "bandit"]
    assert len(bandit) == sum(security["details"]["bandit"]["counts"].values())
    for finding in bandit:
        assert finding["extra"]["severity"] in LEVELS
        assert finding["extra"]["confidence"] in LEVELS
        assert not finding["path"].startswith(("/", "./"))
    assert security["details"]["bandit"]["excluded"] == ["tests/"]

    expected, expected_ids = pip_audit_by_hand(vulnerable_venv, count_installers=False)
    deps = security["details"]["dependencies"]
    assert condition(card, "security", "vulnerabilities")["value"] == expected >= 1
    assert {v["id"] for v in deps["vulnerable"]} == expected_ids
    # Each vulnerable package and advisory is a finding whose rule is the advisory id.
    vulnerable = [f for f in security["findings"] if f["tool"] == "pip-audit"]
    assert sorted(f["rule"] for f in vulnerable) == sorted(v["id"] for v in deps["vulnerable"])
    assert all(f["line"] is None and f["fingerprint"] for f in vulnerable)
    pysec = next(v for v in deps["vulnerable"] if v["id"] == "PYSEC-2018-28")
    assert pysec["name"] == "requests"
    assert pysec["version"] == "2.19.0"
    assert pysec["fix_versions"] == ["2.20.0"]
    assert "CVE-2018-18074" in pysec["aliases"]
    assert "offline OSV database" in deps["source"]
    assert {name.split("==")[0] for name in deps["ignored"]} >= {"pip", "setuptools"}
    assert "PYSEC-2023-228" in deps["note"]
    assert tree_snapshot(root) == before


def test_thresholds_and_installers_are_configurable(
    tmp_path: Path, vulnerable_venv: Path
) -> None:
    root = make_target(
        tmp_path,
        """
        severity = "MEDIUM"
        confidence = "HIGH"
        include_installers = true
        """,
    )
    out = tmp_path / "out"
    result = run_cli("run", root, "--gates", "security", "--python", vulnerable_venv,
                     "--out", out, "--format", "json")
    assert result.code == 1, result.stderr
    card = load_scorecard(out)
    assert condition(card, "security", "critical_findings")["value"] == bandit_by_hand(
        root, "MEDIUM", "HIGH"
    )
    expected, expected_ids = pip_audit_by_hand(vulnerable_venv, count_installers=True)
    assert condition(card, "security", "vulnerabilities")["value"] == expected
    assert {"PYSEC-2023-228", "PYSEC-2022-43012"} <= expected_ids
    # Nothing is ignored: the empty list is left out of the scorecard.
    assert gate(card, "security")["details"]["dependencies"].get("ignored", []) == []


def site_packages(python: Path) -> Path:
    return Path(subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout.strip())


def make_venv(venv: Path, dists: dict[str, str], files: dict[str, str] | None = None) -> Path:
    """A virtual environment without pip, its site-packages holding DISTS (name: version, the
    metadata an installer writes, no code) and FILES; its interpreter."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True,
                   timeout=120)
    python = venv / "bin" / "python"
    metadata = {
        f"{name}-{version}.dist-info/{part}": text
        for name, version in dists.items()
        for part, text in (
            ("METADATA", f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"),
            ("RECORD", ""),
        )
    }
    write_project(site_packages(python), {**metadata, **(files or {})})
    return python


def venv_in_tree(root: Path) -> Path:
    """A virtual environment at ROOT/.venv, as `uv venv` and `uv pip install` leave it: no
    bytecode compiled. Its site-packages holds one distribution for pip-audit and a `.pth` file
    that imports a module at every start of its interpreter, as setuptools' `_distutils_hack`
    and an editable install's finder do. Returns its interpreter."""
    python = make_venv(root / ".venv", {"startup_hook": "1.0"}, {
        "startup_hook.pth": "import startup_hook\n",
        "startup_hook.py": "STARTED = True\n",
    })
    assert not list((root / ".venv").rglob("__pycache__"))
    return python


def test_the_targets_own_venv_is_left_unchanged(tmp_path: Path) -> None:
    root = make_target(tmp_path)
    python = venv_in_tree(root)
    before = tree_snapshot(root)
    # With the result cache, whose probe of the interpreter (auditor/cache.py) runs too. An empty
    # PYTHONDONTWRITEBYTECODE is unset for Python: the test's own environment must not do the
    # gate's work.
    code, card = helpers.audit(root, tmp_path / "out", gates="security", python=python,
                               env={"PYTHONDONTWRITEBYTECODE": "",
                                    "AUDIT_CACHE_DIR": str(tmp_path / "cache")})
    security = gate(card, "security")
    assert code == 1, security.get("reason")
    # The target's interpreter ran (probed for bandit, asked for its site-packages) and its
    # distribution was audited.
    assert security["details"]["dependencies"]["packages"] == ["startup-hook==1.0"]
    assert card["left_in_target"] == []
    assert tree_snapshot(root) == before
    assert not list(root.rglob("__pycache__"))


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def run_security(root: Path, out: Path, *extra: str | Path) -> tuple[int, dict[str, Any]]:
    code, card = helpers.audit(root, out, *extra, gates="security", python=sys.executable)
    return code, gate(card, "security")


def test_unreachable_vulnerability_source_is_an_error(tmp_path: Path) -> None:
    root = make_target(tmp_path)
    config = tmp_path / "audit.toml"
    config.write_text(
        f'[security]\nosv_url = "http://127.0.0.1:{closed_port()}/v1/query"\n', encoding="utf-8"
    )
    code, security = run_security(root, tmp_path / "out", "--config", config)
    assert code == 3
    assert security["status"] == "error"
    assert "pip-audit" in security["reason"]
    # bandit measured before pip-audit failed: its own count stays in the scorecard.
    conditions = {c["id"]: c for c in security["conditions"]}
    assert conditions["critical_findings"]["value"] == bandit_by_hand(root, "HIGH", "MEDIUM")
    assert conditions["critical_findings"]["status"] == "failed"
    assert conditions["vulnerabilities"]["status"] == "error"
    assert conditions["vulnerabilities"]["reason"] == security["reason"]


REFUSED = "requests"
REFUSAL = {"code": 5, "message": "Package not found."}
_QUERY = msgspec.json.Decoder(Query)


class _RefusingOsv(BaseHTTPRequestHandler):
    """An OSV-compatible service that answers 404 Not Found for one package, as a registry of
    private packages or a proxy in front of the service may, and no advisory for the others."""

    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        query = _QUERY.decode(self.rfile.read(int(self.headers["Content-Length"])))
        refused = query.package.name == REFUSED
        body = json.dumps(REFUSAL if refused else {}).encode()
        self.send_response(404 if refused else 200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Not logged."""


@contextlib.contextmanager
def refusing_osv() -> Iterator[str]:
    """The query URL of a _RefusingOsv on loopback, served until the block ends."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _RefusingOsv)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1/query"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_a_package_the_service_answered_404_for_is_named_with_its_answer(tmp_path: Path) -> None:
    python = make_venv(tmp_path / "env", {"idna": "2.7", "requests": "2.19.0"})
    root = make_target(tmp_path)
    with refusing_osv() as url:
        # pip-audit itself stops on the first HTTP error and names only the URL, the same for
        # every package.
        by_hand = subprocess.run(
            [sys.executable, "-m", "pip_audit", "--path", str(site_packages(python)), "-f",
             "json", "--progress-spinner", "off", "-s", "osv", "--osv-url", url],
            capture_output=True, text=True, timeout=120, check=False,
        )
        assert by_hand.returncode == 1
        assert f"HTTPError: 404 Client Error: Not Found for url: {url}" in by_hand.stderr
        config = tmp_path / "audit.toml"
        config.write_text(f'[security]\nosv_url = "{url}"\n', encoding="utf-8")
        code, card = helpers.audit(root, tmp_path / "out", "--config", config,
                                   gates="security", python=python)
    security = gate(card, "security")
    assert code == 3
    assert security["reason"] == (
        f"pip-audit stopped: the OSV service at {url} answered 404 Not Found for requests "
        f"2.19.0: {json.dumps(REFUSAL)}"
    )
    vulnerabilities = condition(card, "security", "vulnerabilities")
    assert vulnerabilities["status"] == "error"
    assert vulnerabilities["reason"] == security["reason"]
    assert "404 Client Error" in security["details"]["log_tail"]
    # bandit's figure was measured before pip-audit stopped, and stays.
    assert condition(card, "security", "critical_findings")["value"] == bandit_by_hand(
        root, "HIGH", "MEDIUM"
    )


def test_missing_osv_database_is_an_error(tmp_path: Path) -> None:
    root = make_target(tmp_path)
    shutil.rmtree(root / "advisories")
    code, security = run_security(root, tmp_path / "out")
    assert code == 3
    assert "advisories" in security["reason"]


FAKE_VERSION = (
    "import sys\nif sys.argv[1:] == ['--version']:\n    print('fake 9.9')\n    sys.exit(0)\n"
)
"""Fake tools answer `--version` as the real ones do, then misbehave."""
FAKE_TOOLS = {
    "crash": "import sys\nprint('Traceback (most recent call last): boom', file=sys.stderr)\n"
             "sys.exit(2)\n",
    "garbage": "print('\\x00 this is not JSON {')\n",
    "fatal_exit_1": "import sys\nprint('ERROR: fatal', file=sys.stderr)\nsys.exit(1)\n",
    "wrong_json": "print('[1, 2, 3]')\n",
}


EXPECTED_REASON = {
    "missing": "was not found",
    "crash": "failed (exit code 2): Traceback (most recent call last): boom",
    "garbage": "wrote no JSON report (exit code 0)",
    "fatal_exit_1": "wrote no JSON report (exit code 1): ERROR: fatal",
    "wrong_json": "wrote no JSON report (exit code 0): [1, 2, 3]",
}


@pytest.mark.parametrize("option", ["bandit_command", "pip_audit_command"])
@pytest.mark.parametrize("behaviour", ["missing", *FAKE_TOOLS])
def test_tool_failures_fail_closed(tmp_path: Path, option: str, behaviour: str) -> None:
    command = tool_command(
        tmp_path, behaviour,
        None if behaviour == "missing" else FAKE_VERSION + FAKE_TOOLS[behaviour],
    )
    root = make_target(tmp_path, f"{option} = {json.dumps(command)}\n")
    code, security = run_security(root, tmp_path / "out")
    assert code == 3
    assert security["status"] == "error"
    statuses = {c["id"]: c["status"] for c in security["conditions"]}
    if option == "bandit_command":
        # Nothing was measured: every declared condition is an error, none vanishes.
        assert statuses == {"critical_findings": "error", "vulnerabilities": "error",
                            "django_deploy_warnings": "error"}
    else:
        # bandit measured before pip-audit failed: its figure stays, scored as usual; the
        # target is no Django project, which stays a skip with its reason.
        assert statuses == {"critical_findings": "failed", "vulnerabilities": "error",
                            "django_deploy_warnings": "skipped"}
        critical = next(c for c in security["conditions"] if c["id"] == "critical_findings")
        assert critical["value"] == bandit_by_hand(root, "HIGH", "MEDIUM")
        vulns = next(c for c in security["conditions"] if c["id"] == "vulnerabilities")
        assert vulns["reason"] == security["reason"]
    assert security["reason"].startswith(option.removesuffix("_command").replace("_", "-"))
    assert EXPECTED_REASON[behaviour] in security["reason"]
    if behaviour != "missing":
        assert "log_tail" in security["details"]


def test_files_bandit_cannot_parse_are_reported(tmp_path: Path) -> None:
    root = make_target(tmp_path)
    write_project(root, {"app/legacy.py": 'print "python 2"\n'})
    code, security = run_security(root, tmp_path / "out")
    # A file bandit could not read was not judged: never clean, so the gate cannot pass.
    assert code == 3, security["reason"]
    assert [e["path"] for e in security["details"]["bandit"]["errors"]] == ["app/legacy.py"]
    critical = next(c for c in security["conditions"] if c["id"] == "critical_findings")
    assert critical["status"] == "error"
    assert "1 were not judged (app/legacy.py)" in critical["reason"]
    assert critical["population"] == {"noun": "files scanned", "size": 3, "given": 4,
                                      "left_out": ["app/legacy.py"]}


def test_nothing_left_to_scan_is_an_error(tmp_path: Path) -> None:
    root = make_target(tmp_path, 'extend_exclude = ["app"]\n')
    code, security = run_security(root, tmp_path / "out")
    assert code == 3
    assert "no Python file" in security["reason"]


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ('severity = "SEVERE"\n', "severity"),
        ('osv_url = "http://127.0.0.1:9/v1/query"\n', "osv_db"),
        ('osv_url = "ftp://example/v1/query"\n', "ftp://"),
    ],
)
def test_bad_configuration_is_a_usage_error(tmp_path: Path, config: str, message: str) -> None:
    root = make_target(tmp_path, config)
    result = run_cli("run", root, "--gates", "security", "--python", sys.executable,
                     "--out", tmp_path / "out")
    assert result.code == 2
    assert message in result.stderr


def test_dependency_audit_turned_off_passes_on_bandit_alone(tmp_path: Path) -> None:
    root = make_target(tmp_path)
    config = tmp_path / "audit.toml"
    # An unreachable service too: pip-audit must not even start.
    config.write_text(
        "[security]\naudit_dependencies = false\ncritical_findings = 100\n"
        f'osv_url = "http://127.0.0.1:{closed_port()}/v1/query"\n',
        encoding="utf-8",
    )
    code, security = run_security(root, tmp_path / "out", "--config", config)
    assert code == 0
    assert security["status"] == "passed"
    critical = next(c for c in security["conditions"] if c["id"] == "critical_findings")
    assert critical["status"] == "passed"
    assert critical["value"] == bandit_by_hand(root, "HIGH", "MEDIUM") > 0
    vulnerabilities = next(c for c in security["conditions"] if c["id"] == "vulnerabilities")
    assert vulnerabilities["status"] == "skipped"
    assert vulnerabilities["reason"] == "turned off in config"
    assert vulnerabilities["value"] is None
    assert [t["name"] for t in security["details"]["tools"]] == ["bandit"]
    assert "dependencies" not in security["details"]


def test_a_vulnerability_is_waived_by_an_alias_and_fingerprinted_by_package_and_advisory(
    tmp_path: Path, vulnerable_venv: Path
) -> None:
    expires = (datetime.now().date() + timedelta(days=30)).isoformat()
    root = make_target(
        tmp_path,
        f"""
        [[tool.audit.waivers]]
        gate = "security"
        rule = "CVE-2018-18074"
        reason = "no redirects to other hosts in this service"
        owner = "platform"
        expires = {expires}
        """,
    )
    out = tmp_path / "out"
    run_cli("run", root, "--gates", "security", "--python", vulnerable_venv,
            "--out", out, "--format", "json")
    card = load_scorecard(out)
    security = gate(card, "security")
    expected, _ = pip_audit_by_hand(vulnerable_venv, count_installers=False)
    waived = [f for f in security["findings"] if f["state"] == "waived"]
    assert [f["rule"] for f in waived] == ["PYSEC-2018-28"]
    assert waived[0]["fingerprint"] == fingerprints.dependency(
        "security", "requests", "PYSEC-2018-28"
    )
    assert condition(card, "security", "vulnerabilities")["value"] == expected - 1


# --- bandit and pip-audit beside each other ------------------------------------------------


def security_context(root: Path, python: Path, tmp_path: Path) -> GateContext:
    """The gate's context for ROOT as the runner makes it, with no per-target cache."""
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    return GateContext(
        root=root, python=python, workdir=work, out_dir=tmp_path / "out",
        config=config.load(root, None).gates["security"], deadline=time.monotonic() + 600,
    )


def one_after_the_other(ctx: GateContext) -> tuple[CodeScan, DependencyAudit]:
    """bandit's scan, then pip-audit's audit, as the gate ran them before it ran them at once."""
    return scan(ctx), audit_dependencies(ctx)


def test_bandit_and_pip_audit_run_beside_each_other_with_the_same_figures(
    tmp_path: Path, vulnerable_venv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = security_context(make_target(tmp_path), vulnerable_venv, tmp_path)
    code, deps = one_after_the_other(ctx)
    pip_audit_started = threading.Event()
    real_pip_audit, real_bandit = pip_audit_run.run, bandit_run.run

    def pip_audit(*args: Any, **kwargs: Any) -> pip_audit_run.AuditReport:
        pip_audit_started.set()
        return real_pip_audit(*args, **kwargs)

    def bandit(*args: Any, **kwargs: Any) -> bandit_run.BanditReport:
        # bandit starts once pip-audit has: run one after the other, it would wait in vain.
        assert pip_audit_started.wait(120), "pip-audit did not start while bandit waited"
        return real_bandit(*args, **kwargs)

    monkeypatch.setattr(pip_audit_run, "run", pip_audit)
    monkeypatch.setattr(bandit_run, "run", bandit)
    measured = SecurityGate().measure(ctx)
    assert pip_audit_started.is_set()
    assert measured.values == {
        "critical_findings": float(code.report.critical),
        "vulnerabilities": float(len(deps.vulnerable)),
    }
    assert measured.values["critical_findings"] >= 1
    assert measured.values["vulnerabilities"] >= 1
    assert measured.populations == {"files": code.population(), "packages": deps.packages}
    assert [(f.rule, f.path) for f in measured.findings] == [
        (f.rule, f.path) for f in code.report.findings
    ] + [(v.id, "") for v in deps.vulnerable]
    assert isinstance(measured.details, SecurityDetails)
    assert measured.details.dependencies == deps.details
    assert measured.details.bandit == code.details.bandit
    assert not measured.unmeasured
    # Only Django's checklist, of a project that is none.
    assert not {k: v for k, v in measured.skipped.items() if k != "django_deploy_warnings"}
    assert "not a Django project" in measured.skipped["django_deploy_warnings"]


def test_an_error_of_either_tool_is_reported_as_when_run_in_turn(
    tmp_path: Path, vulnerable_venv: Path
) -> None:
    crash = FAKE_VERSION + FAKE_TOOLS["crash"]
    root = make_target(
        tmp_path, f"pip_audit_command = {json.dumps(tool_command(tmp_path, 'crash', crash))}\n"
    )
    ctx = security_context(root, vulnerable_venv, tmp_path)
    measured = SecurityGate().measure(ctx)
    assert measured.values == {"critical_findings": float(scan(ctx).report.critical)}
    assert measured.unmeasured["vulnerabilities"].startswith("pip-audit failed (exit code 2)")
    assert "boom" in measured.log_tail

    bad = make_target(
        tmp_path / "bandit",
        f"bandit_command = {json.dumps(tool_command(tmp_path, 'crash', crash))}\n",
    )
    with pytest.raises(GateError, match=r"^bandit failed \(exit code 2\)"):
        SecurityGate().measure(security_context(bad, vulnerable_venv, tmp_path / "bandit"))
    # pip-audit, beside it, ended with the gate.
    assert not [t for t in threading.enumerate() if t.name == "security-pip-audit"]
    assert not procs._live_groups


def test_an_interruption_stops_the_audit_running_beside(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hang = FAKE_VERSION + "import time\ntime.sleep(120)\n"
    root = make_target(
        tmp_path, f"pip_audit_command = {json.dumps(tool_command(tmp_path, 'hang', hang))}\n"
    )
    started = threading.Event()
    real_pip_audit = pip_audit_run.run

    def pip_audit(*args: Any, **kwargs: Any) -> pip_audit_run.AuditReport:
        started.set()
        return real_pip_audit(*args, **kwargs)

    def interrupted(ctx: GateContext) -> CodeScan:
        assert started.wait(120)
        time.sleep(0.5)  # pip-audit's process is running
        assert procs._live_groups
        raise KeyboardInterrupt

    monkeypatch.setattr(pip_audit_run, "run", pip_audit)
    monkeypatch.setattr(security_gate, "scan", interrupted)
    begun = time.monotonic()
    try:
        with pytest.raises(KeyboardInterrupt):
            SecurityGate().measure(security_context(root, Path(sys.executable), tmp_path))
    finally:
        procs.reset()
    assert time.monotonic() - begun < 60  # not the 120 s the hanging pip-audit would take
    assert not procs._live_groups
    assert not [t for t in threading.enumerate() if t.name == "security-pip-audit"]


def test_a_damaged_advisory_of_a_package_not_installed_does_not_stop_the_audit(
    tmp_path: Path, vulnerable_venv: Path
) -> None:
    root = make_target(tmp_path)
    damaged = root / "advisories" / "vulns" / "flask" / "PYSEC-0000-1.yaml"
    damaged.parent.mkdir()
    damaged.write_text(
        "id: PYSEC-0000-1\naffected:\n  - package: {name: Flask, ecosystem: PyPI\n", "utf-8"
    )
    code, card = helpers.audit(root, tmp_path / "out", gates="security", python=vulnerable_venv)
    assert code == 1, gate(card, "security")["reason"]
    expected, expected_ids = pip_audit_by_hand(vulnerable_venv, count_installers=False)
    assert condition(card, "security", "vulnerabilities")["value"] == expected
    assert {v["id"] for v in gate(card, "security")["details"]["dependencies"]["vulnerable"]} == (
        expected_ids
    )
    # The same damage in an advisory of an installed package is an error that names the file.
    damaged.write_text(damaged.read_text("utf-8").replace("Flask", "requests"), "utf-8")
    code, card = helpers.audit(root, tmp_path / "out2", gates="security", python=vulnerable_venv)
    assert code == 3
    assert "PYSEC-0000-1.yaml cannot be read" in condition(card, "security", "vulnerabilities")[
        "reason"
    ]
