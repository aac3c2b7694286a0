"""A monorepo's components: which they are, what each depends on, which a change touched.

The repository root lists them in `[tool.audit] components` (globs relative to the root), or,
without that key, a uv workspace's `[tool.uv.workspace] members` (less its `exclude`) are them.
Each component is a directory with its own pyproject.toml, named by its folder, or by its path
when two folders share a name. A component depends on another when it names it as a path
dependency (uv's `[tool.uv.sources]` `path` or `workspace = true`, Poetry's `path`, a PEP 508
`file:` reference): a change to the one is a change to the other.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

import yaml
from packaging.requirements import InvalidRequirement, Requirement

from auditor.config import AuditConfig, load_toml
from auditor.errors import ConfigError
from auditor.exclude import check_globs

SHARED_FILES = ("pyproject.toml", "uv.lock")
"""Files at the repository root every component depends on: the root's settings are each
component's defaults, and a uv workspace's lock pins every member's dependencies."""
NOT_INHERITED = ("components", "out", "python")
"""Keys of the root's [tool.audit] a component never takes: the list itself, where reports go
(each component's go to its own folder of the run's) and the interpreter (the root's comes
after the component's own .venv)."""
ROOT_RELATIVE = ("history",)
"""Keys whose relative paths are the root's: a component inherits them made absolute."""


@dataclass(frozen=True)
class Declaration:
    """Where the component list comes from."""

    globs: tuple[str, ...]
    exclude: tuple[str, ...]
    where: str
    """For messages: `[tool.audit] components in FILE`."""


@dataclass(frozen=True)
class Component:
    name: str
    """Its folder's name, or its path when two components' folders share a name."""
    path: str
    """Relative to the repository root, with forward slashes."""
    root: Path
    """Absolute."""
    depends_on: tuple[str, ...] = ()
    """The paths of the components it names as path dependencies."""


def declaration(root: Path, cfg: AuditConfig) -> Declaration | None:
    """The components ROOT declares, or None when it is no monorepo's root."""
    if cfg.components is not None:
        return Declaration(cfg.components, (), f"`components` in [tool.audit] of {cfg.source}")
    pyproject = root / "pyproject.toml"
    if not pyproject.is_file():
        return None
    workspace = load_toml(pyproject).get("tool", {}).get("uv", {}).get("workspace")
    if not isinstance(workspace, dict) or "members" not in workspace:
        return None
    where = f"[tool.uv.workspace] of {pyproject}"
    members, exclude = workspace.get("members"), workspace.get("exclude", [])
    for key, value in (("members", members), ("exclude", exclude)):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"`{key}` in {where} must be a list of globs")
    if not members:
        raise ConfigError(f"`members` in {where} is empty; list the workspace's members")
    return Declaration(
        check_globs(members, f"`members` in {where}"),
        check_globs(exclude, f"`exclude` in {where}") if exclude else (),
        where,
    )


def _matches(root: Path, glob: str, where: str) -> list[Path]:
    found = sorted(
        p
        for p in root.glob(glob)
        if p.is_dir() and not any(part.startswith(".") for part in p.relative_to(root).parts)
    )
    if not found:
        raise ConfigError(
            f"`{glob}` in {where} matches no directory under {root}; fix the glob or remove it"
        )
    return found


def discover(root: Path, declared: Declaration) -> list[Component]:
    """The components DECLARED lists, in path order; a glob that matches nothing, a match
    without pyproject.toml, the root itself or a directory listed twice is a ConfigError."""
    paths: dict[str, str] = {}
    for glob in declared.globs:
        for match in _matches(root, glob, declared.where):
            rel = match.relative_to(root).as_posix()
            if any(fnmatch.fnmatchcase(rel, pattern) for pattern in declared.exclude):
                continue
            if rel == ".":
                raise ConfigError(
                    f"`{glob}` in {declared.where} matches the repository root itself; a "
                    "component is a folder below it"
                )
            if not (match / "pyproject.toml").is_file():
                raise ConfigError(
                    f"{rel} (matched by `{glob}` in {declared.where}) has no pyproject.toml; a "
                    "component is a project with its own: add one, or leave the folder out"
                )
            if rel in paths:
                raise ConfigError(
                    f"{rel} is listed twice in {declared.where} (by `{paths[rel]}` and "
                    f"`{glob}`); list each component once"
                )
            paths[rel] = glob
    ordered = sorted(paths)
    folders = [PurePosixPath(p).name for p in ordered]
    named = [(p if folders.count(f) > 1 else f, p) for f, p in zip(folders, ordered, strict=True)]
    return _with_dependencies(root, [Component(n, p, root / p) for n, p in named])


def _source_paths(data: Mapping[str, Any], names: Mapping[str, str]) -> list[str]:
    """The paths of a pyproject's path dependencies, as written (relative to its folder); a
    `workspace = true` source by the member path its package name has in NAMES."""
    found: list[str] = []
    sources = data.get("tool", {}).get("uv", {}).get("sources", {})
    for package, source in sources.items() if isinstance(sources, dict) else ():
        for entry in source if isinstance(source, list) else [source]:
            if not isinstance(entry, dict):
                continue
            if isinstance(entry.get("path"), str):
                found.append(entry["path"])
            elif entry.get("workspace") is True and _normal(package) in names:
                found.append(names[_normal(package)])
    poetry = data.get("tool", {}).get("poetry", {})
    tables = [poetry.get("dependencies", {})] + [
        group.get("dependencies", {})
        for group in poetry.get("group", {}).values()
        if isinstance(group, dict)
    ]
    for table in tables:
        for spec in table.values() if isinstance(table, dict) else ():
            if isinstance(spec, dict) and isinstance(spec.get("path"), str):
                found.append(spec["path"])
    return found + _file_references(data.get("project", {}))


def _file_references(project: object) -> list[str]:
    """The local paths of PEP 508 `name @ file:...` requirements of [project]."""
    if not isinstance(project, dict):
        return []
    texts = list(project.get("dependencies", []))
    for extra in project.get("optional-dependencies", {}).values():
        texts.extend(extra)
    found: list[str] = []
    for text in texts:
        try:
            url = Requirement(text).url if isinstance(text, str) else None
        except InvalidRequirement:
            continue
        if url and url.startswith("file:"):
            path = unquote(urlsplit(url).path) or url.removeprefix("file:")
            if "${PROJECT_ROOT}" in path:  # PDM's and uv's placeholder for the project's folder
                path = "." + path.split("${PROJECT_ROOT}", 1)[1]
            found.append(path)
    return found


def _normal(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def _with_dependencies(root: Path, found: list[Component]) -> list[Component]:
    names: dict[str, str] = {}
    datas: dict[str, Mapping[str, Any]] = {}
    for component in found:
        datas[component.path] = load_toml(component.root / "pyproject.toml")
        project = datas[component.path].get("project", {})
        if isinstance(project, dict) and isinstance(project.get("name"), str):
            names[_normal(project["name"])] = f"{root}/{component.path}"
    out: list[Component] = []
    for component in found:
        targets = {
            (component.root / p).resolve() for p in _source_paths(datas[component.path], names)
        }
        depends = tuple(
            other.path
            for other in found
            if other is not component
            and any(t == other.root.resolve() or other.root.resolve() in t.parents for t in targets)
        )
        out.append(Component(component.name, component.path, component.root, depends))
    return out


def select(components: Sequence[Component], text: str) -> list[Component]:
    """The components named in TEXT (comma-separated names, or paths); an unknown name is a
    ConfigError listing the names."""
    wanted = [n.strip().strip("/") for n in text.split(",") if n.strip()]
    if not wanted:
        raise ConfigError("--components is empty; give comma-separated component names")
    known = {c.name: c for c in components} | {c.path: c for c in components}
    for name in wanted:
        if name not in known:
            raise ConfigError(
                f"`{name}` in --components is no component; the components are "
                + ", ".join(c.name for c in components)
            )
    chosen = {known[name].path for name in wanted}
    return [c for c in components if c.path in chosen]


def depends_closure(component: Component, components: Sequence[Component]) -> tuple[str, ...]:
    """COMPONENT's path and those of every component it depends on, directly or not."""
    by_path = {c.path: c for c in components}
    seen: list[str] = []
    todo = [component.path]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.append(path)
        todo.extend(by_path[path].depends_on if path in by_path else ())
    return tuple(seen)


def touched(component: Component, components: Sequence[Component], paths: Iterable[str]) -> bool:
    """Whether any of the changed PATHS (relative to the root) is in COMPONENT, in a component
    it depends on, or one of the root's SHARED_FILES."""
    dirs = depends_closure(component, components)
    return any(
        p in SHARED_FILES or any(p == d or p.startswith(f"{d}/") for d in dirs) for p in paths
    )


def settings(root: Path, root_section: Mapping[str, Any], own: Mapping[str, Any]) -> dict[str, Any]:
    """A component's [tool.audit]: the root's keys as defaults, its own over them (a gate's
    table key by key); the root's relative paths made the root's."""
    merged: dict[str, Any] = {}
    for key, value in root_section.items():
        if key in NOT_INHERITED:
            continue
        relative = key in ROOT_RELATIVE and isinstance(value, str) and "://" not in value
        taken = str(root / Path(str(value)).expanduser()) if relative else value
        merged[key] = dict(taken) if isinstance(taken, dict) else taken
    for key, value in own.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged


def matrix(components: Sequence[Component]) -> str:
    """The components as a GitHub Actions matrix (`fromJSON`): one JSON line."""
    include = [{"name": c.name, "path": c.path} for c in components]
    return json.dumps({"include": include}, separators=(",", ":")) + "\n"


def gitlab_pipeline(
    components: Sequence[Component], *, include: str, new_code: str | None, out: str
) -> str:
    """A GitLab child pipeline: one job per component (`parallel:matrix`) writing its reports to
    OUT/NAME, then the summary of them all; INCLUDE is the project's file that defines the hidden
    `.audit` job (image, installing the auditor)."""
    options = f" --new-code {new_code}" if new_code else ""
    pipeline: dict[str, Any] = {"include": [{"local": include}], "stages": ["audit", "summary"]}
    if components:
        pipeline["audit"] = {
            "extends": ".audit",
            "stage": "audit",
            "parallel": {"matrix": [{"COMPONENT": [c.name for c in components]}]},
            "script": [
                f'audit run . --components "$COMPONENT" --out {out} --format html,json,junit'
                + options
            ],
            "artifacts": {
                "when": "always",
                "paths": [f"{out}/$COMPONENT/"],
                "reports": {"junit": f"{out}/$COMPONENT/junit.xml"},
            },
        }
    pipeline["summary"] = {
        "extends": ".audit",
        "stage": "summary",
        "when": "always",
        "needs": [{"job": "audit", "artifacts": True}] if components else [],
        "script": [
            f"audit summary '{out}/*/scorecard.json' --out {out}/summary --format html,json,junit"
            + options
        ],
        "artifacts": {
            "when": "always",
            "paths": [f"{out}/summary/"],
            "reports": {"junit": f"{out}/summary/junit.xml"},
        },
    }
    return yaml.safe_dump(pipeline, sort_keys=False, width=1000)
