"""A monorepo's components: discovery, names, path dependencies, selection, what a change
touched, the settings a component inherits, the CI outputs and the summary's verdict."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import jsonschema
import junitparser
import msgspec
import pytest
import yaml

from auditor import components as comp
from auditor import summary as summary_mod
from auditor.config import from_mapping
from auditor.errors import ConfigError
from auditor.model import Scorecard
from auditor.scorecard import loads
from reports.summary_writer import SUMMARY_RENDERERS
from tests.helpers import FIXTURES, write_project

pytestmark = pytest.mark.unit

SHIPPED = Path(__file__).resolve().parents[2] / "auditor" / "schema" / "summary.schema.json"


def _project(name: str, extra: str = "") -> str:
    return f'[project]\nname = "{name}"\nversion = "0.1.0"\n{extra}'


def _repo(tmp_path: Path, root: str) -> Path:
    return write_project(
        tmp_path,
        {
            "pyproject.toml": root,
            "services/orders/pyproject.toml": _project(
                "orders", '\n[tool.uv.sources]\ncommon = { path = "../../libs/common" }\n'
            ),
            "services/users/pyproject.toml": _project(
                "users", 'dependencies = ["shared @ file:///${PROJECT_ROOT}/../../libs/shared"]\n'
            ),
            "libs/common/pyproject.toml": _project("common"),
            "libs/shared/pyproject.toml": _project("shared"),
            "libs/notes/README.md": "no project here\n",
        },
    )


def _found(root: Path, globs: tuple[str, ...]) -> list[comp.Component]:
    return comp.discover(root, comp.Declaration(globs, (), "the test"))


def test_globs_give_the_components_named_by_folder_with_their_path_dependencies(
    tmp_path: Path,
) -> None:
    root = _repo(tmp_path, "")
    found = _found(root, ("services/*", "libs/common", "libs/shared"))
    assert [(c.name, c.path) for c in found] == [
        ("common", "libs/common"),
        ("shared", "libs/shared"),
        ("orders", "services/orders"),
        ("users", "services/users"),
    ]
    deps = {c.name: c.depends_on for c in found}
    assert deps == {
        "common": (),
        "shared": (),
        "orders": ("libs/common",),
        "users": ("libs/shared",),
    }


def test_a_uv_workspace_names_its_members_and_workspace_sources(tmp_path: Path) -> None:
    root = _repo(
        tmp_path,
        '[tool.uv.workspace]\nmembers = ["services/*", "libs/*"]\n'
        'exclude = ["libs/notes", "libs/shared"]\n',
    )
    (root / "services/users/pyproject.toml").write_text(
        _project("users", "\n[tool.uv.sources]\ncommon = { workspace = true }\n"),
        encoding="utf-8",
    )
    cfg = from_mapping({}, "defaults", "tool.audit")
    declared = comp.declaration(root, cfg)
    assert declared is not None
    found = comp.discover(root, declared)
    assert [c.name for c in found] == ["common", "orders", "users"]
    assert next(c for c in found if c.name == "users").depends_on == ("libs/common",)


def test_folders_that_share_a_name_are_named_by_their_paths(tmp_path: Path) -> None:
    root = write_project(
        tmp_path,
        {
            "a/api/pyproject.toml": _project("a-api"),
            "b/api/pyproject.toml": _project("b-api"),
            "b/web/pyproject.toml": _project("web"),
        },
    )
    assert [c.name for c in _found(root, ("*/*",))] == ["a/api", "b/api", "web"]


@pytest.mark.parametrize(
    ("globs", "words"),
    [
        (("services/*", "nothing/*"), ["`nothing/*`", "matches no directory"]),
        (("libs/*",), ["libs/notes", "has no pyproject.toml"]),
        (("services/*", "services/orders"), ["services/orders is listed twice"]),
    ],
)
def test_bad_component_lists_are_one_plain_error(
    tmp_path: Path, globs: tuple[str, ...], words: list[str]
) -> None:
    root = _repo(tmp_path, "")
    with pytest.raises(ConfigError) as caught:
        _found(root, globs)
    assert all(word in str(caught.value) for word in words), caught.value
    assert "\n" not in str(caught.value)


def test_components_in_the_config_must_be_globs_inside_the_root() -> None:
    with pytest.raises(ConfigError, match="relative to the target root"):
        from_mapping({"components": ["../elsewhere"]}, "pyproject.toml", "tool.audit")
    with pytest.raises(ConfigError, match="non-empty list of globs"):
        from_mapping({"components": []}, "pyproject.toml", "tool.audit")
    cfg = from_mapping({"components": ["services/*"]}, "pyproject.toml", "tool.audit")
    assert cfg.components == ("services/*",)


def test_selection_by_name_or_path_and_an_unknown_name(tmp_path: Path) -> None:
    found = _found(_repo(tmp_path, ""), ("services/*", "libs/common"))
    assert [c.name for c in comp.select(found, "users, libs/common")] == ["common", "users"]
    with pytest.raises(ConfigError, match="`billing` in --components is no component"):
        comp.select(found, "billing")


def test_a_change_touches_a_component_through_its_path_dependencies(tmp_path: Path) -> None:
    found = _found(_repo(tmp_path, ""), ("services/*", "libs/common", "libs/shared"))
    by = {c.name: c for c in found}
    change = ["libs/common/common/core.py"]
    assert [c.name for c in found if comp.touched(c, found, change)] == ["common", "orders"]
    assert comp.touched(by["users"], found, ["uv.lock"])
    assert not comp.touched(by["users"], found, ["services/orders2/x.py", "README.md"])


def test_a_component_takes_the_root_settings_as_defaults(tmp_path: Path) -> None:
    root_section = {
        "components": ["services/*"],
        "out": "reports",
        "python": ".venv",
        "history": "../runs.sqlite",
        "gates": ["coverage", "lint"],
        "coverage": {"line_coverage": 90, "timeout": 100},
    }
    merged = comp.settings(tmp_path, root_section, {"coverage": {"line_coverage": 70}})
    assert merged == {
        "history": str(tmp_path / "../runs.sqlite"),
        "gates": ["coverage", "lint"],
        "coverage": {"line_coverage": 70, "timeout": 100},
    }
    assert root_section["coverage"] == {"line_coverage": 90, "timeout": 100}


def test_the_matrix_and_the_child_pipeline(tmp_path: Path) -> None:
    found = _found(_repo(tmp_path, ""), ("services/*",))
    assert json.loads(comp.matrix(found)) == {
        "include": [
            {"name": "orders", "path": "services/orders"},
            {"name": "users", "path": "services/users"},
        ]
    }
    pipeline = yaml.safe_load(
        comp.gitlab_pipeline(found, include=".gitlab/audit.yml", new_code="main", out="reports")
    )
    assert pipeline["audit"]["parallel"]["matrix"] == [{"COMPONENT": ["orders", "users"]}]
    assert '--components "$COMPONENT"' in pipeline["audit"]["script"][0]
    assert pipeline["summary"]["script"][0].startswith("audit summary 'reports/*/scorecard.json'")
    assert "--new-code main" in pipeline["summary"]["script"][0]
    alone = yaml.safe_load(comp.gitlab_pipeline([], include="x.yml", new_code=None, out="r"))
    assert "audit" not in alone
    assert alone["summary"]["needs"] == []


def _card(status: str, component: str) -> Scorecard:
    card = loads((FIXTURES / "reports" / "full.json").read_bytes(), "full")
    return msgspec.structs.replace(
        card,
        status=status,
        target=msgspec.structs.replace(card.target, component=component),
    )


def _summary(
    tmp_path: Path, outcomes: dict[str, str], names: str | None = None
) -> tuple[summary_mod.Summary, dict[str, Scorecard]]:
    found = _found(_repo(tmp_path, ""), ("services/*", "libs/common"))
    chosen = comp.select(found, names) if names else found
    cards = {path: _card(status, path) for path, status in outcomes.items()}
    made = summary_mod.build(
        tmp_path,
        found,
        chosen,
        {p: summary_mod.Outcome(c, f"{p}/scorecard.json") for p, c in cards.items()},
        datetime(2026, 1, 2, tzinfo=UTC),
        1.5,
        None,
    )
    return made, cards


def test_one_verdict_three_wins_over_one_and_a_missing_scorecard_is_an_error(
    tmp_path: Path,
) -> None:
    all_three = {"libs/common": "passed", "services/orders": "passed", "services/users": "passed"}
    assert summary_mod.exit_code(_summary(tmp_path, all_three)[0]) == 0
    failed = _summary(tmp_path, {**all_three, "services/users": "failed"})[0]
    assert summary_mod.exit_code(failed) == 1
    assert failed.reason is not None
    assert failed.reason.startswith("failed: users")
    both = _summary(tmp_path, {**all_three, "services/users": "failed", "libs/common": "error"})[0]
    assert summary_mod.exit_code(both) == 3
    missing = _summary(tmp_path, {"libs/common": "passed", "services/users": "passed"})[0]
    assert summary_mod.exit_code(missing) == 3
    assert [r.status for r in missing.components] == ["passed", "missing", "passed"]
    chosen = _summary(tmp_path, {"services/users": "passed"}, names="users")[0]
    assert summary_mod.exit_code(chosen) == 0
    assert [r.status for r in chosen.components] == ["not_selected", "not_selected", "passed"]


def test_the_summary_formats_derive_from_the_summary(tmp_path: Path) -> None:
    made, cards = _summary(tmp_path, {"libs/common": "passed", "services/users": "failed"})
    data = json.loads(SUMMARY_RENDERERS["json"].render(made, cards))
    jsonschema.validate(data, summary_mod.schema())
    assert summary_mod.loads(SUMMARY_RENDERERS["json"].render(made, cards).encode(), "x") == made
    xml = tmp_path / "junit.xml"
    xml.write_text(SUMMARY_RENDERERS["junit"].render(made, cards), encoding="utf-8")
    junit = junitparser.JUnitXml.fromfile(str(xml))
    assert [suite.name for suite in junit] == ["common", "orders", "users"]
    assert junit.errors == 1  # orders: missing
    sarif = json.loads(SUMMARY_RENDERERS["sarif"].render(made, cards))
    uris = {
        loc["physicalLocation"]["artifactLocation"]["uri"]
        for run in sarif["runs"]
        for result in run["results"]
        for loc in result.get("locations", [])
        if "physicalLocation" in loc
    }
    assert uris
    assert all(u.startswith(("libs/common/", "services/users/")) for u in uris), uris
    html = SUMMARY_RENDERERS["html"].render(made, cards)
    assert 'href="services/users/scorecard.json"' in html
    markdown = SUMMARY_RENDERERS["markdown"].render(made, cards)
    assert "| users |" in markdown


def test_the_shipped_summary_schema_is_the_generated_one() -> None:
    generated = json.dumps(summary_mod.generated_schema(), indent=2, ensure_ascii=False) + "\n"
    assert SHIPPED.read_text(encoding="utf-8") == generated, (
        "auditor/schema/summary.schema.json is stale: "
        "run `audit schema --summary > auditor/schema/summary.schema.json`"
    )
    jsonschema.Draft202012Validator.check_schema(summary_mod.schema())
