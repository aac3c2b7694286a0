"""The service definition `audit init` writes for a Django project: its WSGI or ASGI application
under gunicorn or uvicorn, a health path, and `migrate` as the reset before each start.

The server is the one installed in the target's interpreter, the one the project depends on
first (pyproject.toml's dependencies, requirements*.txt); with neither installed, Django's own
`runserver` (a development server: the comment says to install gunicorn). The health path is a
route the root URLconf names plainly (`health`, `healthz`, `ping`, ...), else `/`, and the
comment says to change it. Nothing here imports the project: its files are read as text.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

from auditor import procs
from auditor.errors import GateError
from auditor.plugin import InitKey
from gates import django_project

SERVERS = ("gunicorn", "uvicorn")
HEALTH_NAMES = ("health", "healthz", "healthcheck", "health-check", "ping", "status", "ready")
_PROBE = (
    "import importlib.util, sys; print(' '.join(n for n in sys.argv[1:] "
    "if importlib.util.find_spec(n)))"
)
_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


@dataclass(frozen=True)
class DjangoLayout:
    """What the project's files say: its settings module and its applications."""

    settings: str
    wsgi: str | None
    """`shop.wsgi:application`, when the module exists."""
    asgi: str | None
    urlconf: Path | None


def _assigned(path: Path, name: str) -> str | None:
    """The string a module assigns to NAME at its top level (`ROOT_URLCONF = "shop.urls"`)."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
        return None
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and node.targets[0].id == name
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            return node.value.value
    return None


def _module_file(root: Path, module: str) -> Path | None:
    base = root.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _application(
    root: Path, settings_file: Path | None, setting: str, package: str, kind: str
) -> str | None:
    dotted = _assigned(settings_file, setting) if settings_file else None
    module, _, attribute = (dotted or f"{package}.{kind}.application").rpartition(".")
    return f"{module}:{attribute}" if _module_file(root, module) else None


def layout(root: Path) -> DjangoLayout | None:
    """The project's layout, None when ROOT is no Django project (no manage.py naming its
    settings module)."""
    manage = django_project.manage_py(root)
    settings = django_project.manage_py_settings(manage) if manage else None
    if settings is None:
        return None
    settings_file = _module_file(root, settings)
    package = settings.rpartition(".")[0] or settings
    urlconf = _assigned(settings_file, "ROOT_URLCONF") if settings_file else None
    return DjangoLayout(
        settings=settings,
        wsgi=_application(root, settings_file, "WSGI_APPLICATION", package, "wsgi"),
        asgi=_application(root, settings_file, "ASGI_APPLICATION", package, "asgi"),
        urlconf=_module_file(root, urlconf) if urlconf else None,
    )


def health_path(urlconf: Path | None) -> str | None:
    """A health route the URLconf names as a plain string (`path("health", ...)`)."""
    if urlconf is None:
        return None
    try:
        tree = ast.parse(urlconf.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
        return None
    routes = [
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name | ast.Attribute)
        and getattr(node.func, "id", getattr(node.func, "attr", "")) == "path"
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    ]
    for name in HEALTH_NAMES:
        for route in routes:
            if route.strip("/") == name:
                return "/" + route
    return None


def declared(root: Path) -> set[str]:
    """The distributions the project names as dependencies (lower-cased)."""
    names: set[str] = set()
    texts = [
        p.read_text(encoding="utf-8", errors="replace")
        for p in sorted(root.glob("requirements*.txt"))
    ]
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        texts.append(pyproject.read_text(encoding="utf-8", errors="replace"))
    for text in texts:
        for raw in text.splitlines():
            match = _REQUIREMENT.match(raw.strip().strip('",'))
            if match:
                names.add(match.group(1).lower().split("[")[0])
    return names


def installed(python: Path, root: Path) -> set[str]:
    """Which of SERVERS the target's interpreter can import."""
    try:
        result = procs.run([str(python), "-I", "-c", _PROBE, *SERVERS], cwd=root, timeout=60)
    except GateError:  # the interpreter is missing, or hung
        return set()
    return set(result.stdout.split()) if result.returncode == 0 else set()


def _start(found: DjangoLayout, server: str | None) -> tuple[str, str]:
    """The start command and what to say of it."""
    if server == "gunicorn" and found.wsgi:
        return (
            f"python -m gunicorn {found.wsgi} --bind 127.0.0.1:{{port}} --workers 2",
            "the project's WSGI application under gunicorn",
        )
    if server == "uvicorn" and (found.asgi or found.wsgi):
        app, interface = (found.asgi, "") if found.asgi else (found.wsgi, " --interface wsgi")
        return (
            f"python -m uvicorn {app}{interface} --host 127.0.0.1 --port {{port}}",
            f"the project's {'ASGI' if found.asgi else 'WSGI'} application under uvicorn",
        )
    return (
        "python manage.py runserver 127.0.0.1:{port} --noreload",
        "Django's development server: install gunicorn (or uvicorn) for figures close to "
        "production",
    )


def init_keys(root: Path, python: Path) -> tuple[InitKey, ...]:
    """The service keys for a Django project at ROOT; none for another project."""
    found = layout(root)
    if found is None:
        return ()
    available = installed(python, root)
    wanted = declared(root)
    ranked = sorted(available, key=lambda s: (s not in wanted, SERVERS.index(s)))
    start, said = _start(found, ranked[0] if ranked else None)
    health = health_path(found.urlconf)
    return (
        InitKey("start", start, f"{said} (Django project, settings {found.settings})"),
        InitKey(
            "reset",
            "python manage.py migrate --noinput",
            "before each start: the database schema migrated",
        ),
        InitKey(
            "health",
            health or "/",
            "polled until it answers 2xx: "
            + (
                "a route of the root URLconf"
                if health
                else "no health route found; change it to a path that answers 2xx without "
                "credentials"
            ),
        ),
        InitKey(
            "env",
            {django_project.SETTINGS_VAR: found.settings},
            "the settings the service runs with",
        ),
        InitKey(
            "endpoints",
            [{"path": health or "/"}],
            "the requests the load gate sends: add the routes your users call",
        ),
    )
