"""Runs every install command of the README as written, each in a fresh home directory, and
checks that the `audit` it installed runs. `.ci/run` calls it so the README stays true.

Usage: python scripts/check_install.py [README]
The commands are the lines of the sh block after the `<!-- install commands -->` marker
(comments and blank lines skipped); each runs with bash from the repository root.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MARKER = "<!-- install commands"
BLOCK = re.compile(r"```sh\n(?P<body>.*?)```", re.DOTALL)


def install_commands(readme: str) -> list[str]:
    """The command lines of the install block that follows the marker."""
    start = readme.find(MARKER)
    match = BLOCK.search(readme, start) if start >= 0 else None
    if match is None:
        raise SystemExit(f"no ```sh block after {MARKER!r} in the README")
    lines = (line.split("  #", 1)[0].strip() for line in match["body"].splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def check(command: str, version: str) -> str | None:
    """Run COMMAND in a fresh home; None when the `audit` it installed prints VERSION."""
    with tempfile.TemporaryDirectory(prefix="audit-install-") as home:
        env = {**os.environ, "HOME": home, "PATH": f"{home}/.local/bin:{os.environ['PATH']}"}
        for key in ("VIRTUAL_ENV", "PIPX_HOME", "PIPX_BIN_DIR", "UV_TOOL_DIR", "UV_TOOL_BIN_DIR"):
            env.pop(key, None)
        ran = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", command], cwd=ROOT, env=env,
            capture_output=True, text=True, check=False,
        )
        if ran.returncode != 0:
            return f"exited with code {ran.returncode}:\n{ran.stdout[-2000:]}{ran.stderr[-2000:]}"
        found = sorted(Path(home).glob("**/bin/audit"))
        if not found:
            return "installed no `audit` executable under the home directory"
        shown = subprocess.run(
            [str(found[0]), "--version"], env=env, capture_output=True, text=True, check=False,
        )
        if shown.stdout.strip() != f"audit {version}":
            return f"{found[0]} --version printed {shown.stdout.strip()!r} {shown.stderr!r}"
    return None


def main(argv: list[str]) -> int:
    readme = Path(argv[1]) if len(argv) > 1 else ROOT / "README.md"
    sys.path.insert(0, str(ROOT))
    from auditor import __version__  # noqa: PLC0415  (the checkout's own, not an installed one)

    failed = 0
    for command in install_commands(readme.read_text(encoding="utf-8")):
        print(f"install check: {command}", flush=True)
        problem = check(command, __version__)
        if problem:
            failed += 1
            print(f"  FAILED: {problem}", flush=True)
        else:
            print("  ok: `audit --version` runs", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
