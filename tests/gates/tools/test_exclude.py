"""`[tool.audit] exclude`: the globs' meaning, and the regex mypy is given agrees with it."""

from __future__ import annotations

import re

import pytest

from auditor.errors import ConfigError
from auditor.exclude import Exclusion, check_globs

pytestmark = pytest.mark.unit

PATHS = [
    "vendor/lib.py", "src/vendor/x/y.py", "vendors/z.py", "pkg/gen_pb2.py", "pkg/sub/gen_pb2.py",
    "pkg/mod.py", "app/generated/a.py", "app/generated/deep/b.py", "app/other/generated.py",
    "x/app/generated/c.py", "tools/make.py",
]


@pytest.mark.parametrize(
    ("globs", "excluded"),
    [
        (("vendor",), {"vendor/lib.py", "src/vendor/x/y.py"}),
        (("*_pb2.py",), {"pkg/gen_pb2.py", "pkg/sub/gen_pb2.py"}),
        (("app/generated",), {"app/generated/a.py", "app/generated/deep/b.py"}),
        (("app/generated/*",), {"app/generated/a.py", "app/generated/deep/b.py"}),
        (("tools/make.py", "vendor?"), {"tools/make.py", "vendors/z.py"}),
    ],
)
def test_globs_and_the_mypy_regex_agree(globs: tuple[str, ...], excluded: set[str]) -> None:
    exclusion = Exclusion(globs)
    assert {p for p in PATHS if exclusion.excludes(p)} == excluded
    regex = re.compile(exclusion.mypy_regex())

    def mypy_excludes(path: str) -> bool:
        # mypy tests each directory it walks into (with a trailing `/`) and each file.
        parts = path.split("/")
        dirs = ["/".join(parts[: i + 1]) + "/" for i in range(len(parts) - 1)]
        return any(regex.search(p) for p in [*dirs, path])

    assert {p for p in PATHS if mypy_excludes(p)} == excluded
    assert exclusion.ruff_args() == [a for g in globs for a in ("--extend-exclude", g)]


@pytest.mark.parametrize("glob", ["/abs/path", "../outside", "a/../../b", "", "C:/x"])
def test_globs_must_stay_inside_the_root(glob: str) -> None:
    with pytest.raises(ConfigError, match="exclude"):
        check_globs([glob], "`exclude` in [tool.audit]")
