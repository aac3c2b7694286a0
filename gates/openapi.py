"""The operations of an OpenAPI document, shared by the gates that judge a service's API: what
each declares (its description, its parameters' and body's schemas, its responses), how a
recorded request or route is matched to one, and whether a change touched its handler.

A document is read generically (JSON, or YAML for a file) and then converted into the Structs
below; a field of the wrong type is an error naming it. Local `$ref`s to components
(`#/components/parameters/...`, `#/components/requestBodies/...`) are followed.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import msgspec
import yaml

from auditor.errors import GateError
from auditor.newcode import NewCode

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
NOT_A_CONSTRAINT = frozenset(
    {
        "title",
        "description",
        "example",
        "examples",
        "default",
        "deprecated",
        "readOnly",
        "writeOnly",
        "xml",
        "externalDocs",
    }
)
"""Schema keys that say nothing about what a value may be: a schema of only these is none."""
_PARAM = re.compile(r"\{[^/{}]*\}")


class _Media(msgspec.Struct):
    schema: dict[str, object] | None = None


class _Parameter(msgspec.Struct):
    ref: str | None = msgspec.field(default=None, name="$ref")
    name: str = ""
    where: str = msgspec.field(default="", name="in")
    schema: dict[str, object] | None = None
    content: dict[str, _Media] | None = None
    type: str | None = None
    """Swagger 2.0's inline type of a parameter that is not a body."""


class _Body(msgspec.Struct):
    ref: str | None = msgspec.field(default=None, name="$ref")
    content: dict[str, _Media] | None = None


class _Operation(msgspec.Struct):
    summary: str | None = None
    description: str | None = None
    operationId: str | None = None  # noqa: N815 - OpenAPI's own key
    parameters: list[_Parameter] = []
    requestBody: _Body | None = None  # noqa: N815 - OpenAPI's own key
    responses: dict[str, object] = {}


class _Components(msgspec.Struct):
    parameters: dict[str, _Parameter] = {}
    requestBodies: dict[str, _Body] = {}  # noqa: N815 - OpenAPI's own key


class _Server(msgspec.Struct):
    url: str = ""


class _Document(msgspec.Struct):
    paths: dict[str, dict[str, object]]
    components: _Components = msgspec.field(default_factory=_Components)
    servers: list[_Server] = []
    basePath: str = ""  # noqa: N815 - Swagger 2.0's own key

    def base(self) -> str:
        url = self.servers[0].url if self.servers else self.basePath
        return urlsplit(url).path.rstrip("/")


@dataclass(frozen=True)
class Operation:
    """One operation of the document, as the conditions judge it."""

    name: str
    """`GET /items/{item_id}`: its method and path template, as schemathesis names it."""
    documented: bool
    """Whether it has a description (or a summary that is not generated from a function name)."""
    unschematised: tuple[str, ...]
    """Its parameters and request body that have no schema: `query parameter limit`, `body`."""
    responses: tuple[str, ...]
    """The statuses its `responses` declare: `200`, `4XX`, `default`."""
    base: str = ""
    """The document's base path (its first server's path, Swagger 2.0's `basePath`)."""

    def declares(self, status: int) -> bool:
        """Whether its responses declare STATUS (exactly, by its class `4XX`, or `default`)."""
        text = str(status)
        return any(
            key in ("default", text) or key.upper() == f"{text[0]}XX" for key in self.responses
        )


def _keys_as_text(data: object) -> object:
    """YAML writes `200:` as a number: every mapping key as text, as in JSON."""
    if isinstance(data, dict):
        return {str(k): _keys_as_text(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_keys_as_text(v) for v in data]
    return data


def from_data(data: object, where: str) -> list[Operation]:
    """The operations of an OpenAPI document already parsed (JSON's types); GateError naming
    WHERE and the field when it is not one."""
    try:
        return operations(msgspec.convert(_keys_as_text(data), _Document))
    except msgspec.ValidationError as exc:
        raise GateError(f"the OpenAPI schema ({where}) is not one this gate reads: {exc}") from None


def decode(text: str | bytes, where: str) -> list[Operation]:
    """The operations of an OpenAPI document (JSON or YAML); GateError naming WHERE when it is
    not one."""
    try:
        data = json.loads(text)
    except ValueError:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise GateError(
                f"the OpenAPI schema ({where}) is neither JSON nor YAML: {exc}"
            ) from None
    return from_data(data, where)


def operations(document: _Document) -> list[Operation]:
    found: list[Operation] = []
    for path, item in document.paths.items():
        shared = msgspec.convert(item.get("parameters", []), list[_Parameter])
        for method in METHODS:
            if method not in item:
                continue
            operation = msgspec.convert(item[method], _Operation)
            found.append(_judged(f"{method.upper()} {path}", operation, shared, document))
    return found


def _judged(name: str, op: _Operation, shared: list[_Parameter], document: _Document) -> Operation:
    own = [_resolved(p, document) for p in op.parameters]
    names = {(p.where, p.name) for p in own}
    inherited = [_resolved(p, document) for p in shared]
    params = own + [p for p in inherited if (p.where, p.name) not in names]
    missing = [f"{p.where} parameter {p.name}" for p in params if not _has_schema(p)]
    body = op.requestBody
    if body is not None and body.ref is not None:
        body = document.components.requestBodies.get(body.ref.rsplit("/", 1)[-1], body)
    if body is not None and not _media_have_schemas(body.content):
        missing.append("request body")
    return Operation(
        name=name,
        documented=_documented(op),
        unschematised=tuple(missing),
        responses=tuple(op.responses),
        base=document.base(),
    )


def _resolved(param: _Parameter, document: _Document) -> _Parameter:
    if param.ref is None:
        return param
    return document.components.parameters.get(param.ref.rsplit("/", 1)[-1], param)


def constrains(schema: Mapping[str, object] | None) -> bool:
    """Whether SCHEMA says anything about the value (`{}` or a title alone says nothing)."""
    return schema is not None and any(key not in NOT_A_CONSTRAINT for key in schema)


def _media_have_schemas(content: Mapping[str, _Media] | None) -> bool:
    return bool(content) and all(constrains(m.schema) for m in (content or {}).values())


def _has_schema(param: _Parameter) -> bool:
    if param.where == "body" or param.schema is not None:
        return constrains(param.schema)
    if param.content is not None:
        return _media_have_schemas(param.content)
    return param.type is not None


def generated_summary(summary: str, operation_id: str | None) -> bool:
    """Whether SUMMARY was made from the handler's name, as FastAPI makes `Read Item` from
    `read_item` (whose operationId starts with that name)."""
    words = summary.strip().lower().split()
    if not words or operation_id is None:
        return False
    name = "_".join(words)
    return operation_id.lower() == name or operation_id.lower().startswith(name + "_")


def _documented(op: _Operation) -> bool:
    if op.description and op.description.strip():
        return True
    return bool(op.summary and op.summary.strip()) and not generated_summary(
        op.summary or "", op.operationId
    )


def shape(template: str) -> str:
    """A path template with its parameters unnamed: `/items/{item_id}` -> `/items/{}`."""
    return _PARAM.sub("{}", template.rstrip("/") or "/")


def same_route(operation: str, method: str, template: str) -> bool:
    """Whether a route (METHOD, path TEMPLATE, as the app names it) is OPERATION: the same
    method, and the same path once parameters are unnamed; the operation may sit under a base
    path."""
    op_method, _, op_path = operation.partition(" ")
    if op_method != method.upper():
        return False
    ours, theirs = shape(op_path), shape(template)
    return ours == theirs or ours.endswith(theirs) or theirs.endswith(ours)


def _pattern(template: str) -> str:
    """TEMPLATE as a regular expression, each parameter one path segment."""
    return _PARAM.sub("[^/]+", re.escape(template).replace(r"\{", "{").replace(r"\}", "}"))


def match_path(
    method: str,
    path: str,
    names: Iterable[str],
    template: str | None = None,
    base: str | None = None,
) -> str | None:
    """The operation (of NAMES) a request of METHOD to the concrete PATH belongs to: its path is
    BASE (the document's base path) and the operation's template, or, with BASE unknown (None),
    ends with the template. With the route TEMPLATE the app matched, only an operation of its
    shape; of several, the literal template before parameterised ones."""
    prefix = "(?:.*)?" if base is None else re.escape(base.rstrip("/"))
    candidates = []
    for name in names:
        op_method, _, op_path = name.partition(" ")
        pattern = re.compile(prefix + _pattern(op_path.rstrip("/") or "/"))
        if op_method == method.upper() and pattern.fullmatch(path.rstrip("/") or "/"):
            candidates.append(name)
    if template is not None:
        candidates = [name for name in candidates if same_route(name, method, template)]
    return min(candidates, key=lambda name: (name.count("{"), name), default=None)


_APP_TOKEN = re.compile(r"[A-Za-z_][\w.]*:[A-Za-z_]\w*")


def served_app(start: Sequence[str]) -> str | None:
    """The `module:attribute` an ASGI/WSGI server is told to serve in a start command
    (`uvicorn pkg.main:app`, `gunicorn pkg.wsgi:app`, `flask --app pkg.app:app run`)."""
    return next((token for token in start if _APP_TOKEN.fullmatch(token)), None)


@dataclass(frozen=True)
class Handler:
    """Where an operation's handler is: a file relative to the target root and its lines."""

    path: str
    first: int
    last: int


def handler_span(root: Path, path: str, line: int) -> Handler:
    """The lines of the function whose definition (or first decorator) is at PATH:LINE; that
    line alone when the file does not parse or holds no function there."""
    try:
        tree = ast.parse((root / path).read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return Handler(path, line, line)
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            if line in (first, node.lineno):
                return Handler(path, first, node.end_lineno or node.lineno)
    return Handler(path, line, line)


def changed_line(handler: Handler, new_code: NewCode) -> int | None:
    """The first line of HANDLER the change touched; None when it touched none."""
    lines = new_code.lines.get(handler.path, frozenset())
    return next((n for n in range(handler.first, handler.last + 1) if n in lines), None)


def changed(
    handlers: Mapping[str, Handler], names: Iterable[str], new_code: NewCode
) -> dict[str, int]:
    """Of the operations NAMES, those whose handler the change touched, with its first touched
    line."""
    found: dict[str, int] = {}
    for name in names:
        handler = handlers.get(name)
        line = changed_line(handler, new_code) if handler is not None else None
        if line is not None:
            found[name] = line
    return found
