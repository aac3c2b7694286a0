"""The jinja2 environments of the HTML and Markdown reports."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from jinja2 import (
    BytecodeCache,
    ChoiceLoader,
    Environment,
    FileSystemBytecodeCache,
    FileSystemLoader,
    PackageLoader,
    PrefixLoader,
    StrictUndefined,
)
from jinja2.bccache import Bucket

from auditor.cache import cache_root
from auditor.registry import gates
from reports.views import view_folders


class _QuietBytecodeCache(FileSystemBytecodeCache):
    """Compiled templates kept between runs; one that cannot be written is compiled again."""

    def dump_bytecode(self, bucket: Bucket) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError:
            return


@cache
def _bytecode_cache() -> BytecodeCache | None:
    """Compiling the templates is most of a report's CPU time; jinja2 keys the compiled code by
    the template's source checksum and its own version, so a changed template is recompiled."""
    directory = cache_root() / "templates"
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return _QuietBytecodeCache(str(directory))


@cache
def html_environment() -> Environment:
    """Every value is HTML-escaped unless a template says otherwise (none does)."""
    return Environment(
        loader=ChoiceLoader([
            PackageLoader("reports", "templates"),
            # A gate's partials: `coverage/view.html.j2` is view.html.j2 beside its view module.
            PrefixLoader({
                gate_id: FileSystemLoader(folder) for gate_id, folder in view_folders().items()
            }),
        ]),
        autoescape=True,
        bytecode_cache=_bytecode_cache(),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


@cache
def text_environment() -> Environment:
    """For Markdown: values are escaped by the template's own filters, not as HTML."""
    return Environment(
        loader=PackageLoader("reports", "templates"),
        # Markdown output: cells are escaped by the `md` filter, not as HTML.
        autoescape=False,  # noqa: S701  # nosec B701
        bytecode_cache=_bytecode_cache(),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def warm_up(gate_ids: Iterable[str]) -> None:
    """Load (compile, without a bytecode cache yet) the HTML report's templates for a scorecard
    of GATE_IDS' results, so that writing it after the gates ran finds them ready."""
    html = html_environment()
    names = ["scorecard.html.j2", "macros.html.j2", "history.html.j2", "history_metrics.html.j2"]
    installed, folders = gates(), view_folders()
    for gate_id in gate_ids:
        view = installed[gate_id].view if gate_id in folders else None
        if view is not None:
            names.append(f"{gate_id}/{view.template}")
    for name in names:
        html.get_template(name)
