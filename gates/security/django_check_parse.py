"""Reading what `manage.py check --deploy` prints: a pure parser, tested on saved outputs.

Django's `BaseCommand.check` (django/core/management/base.py) writes, when there are issues,
a header, then per level a group (`CRITICALS:`, `ERRORS:`, `WARNINGS:`, `INFOS:`, `DEBUGS:`)
of the issues' texts sorted and joined by newlines, then the footer `System check identified
N issues (M silenced).` (`no issues`, `1 issue`). An issue's text is `CheckMessage.__str__`
(django/core/checks/messages.py): `<object or ?>: (<id>) <message>` and, with a hint,
`\\n\\tHINT: <hint>`. The issues go to stderr (stdout when there are none); with an issue at
`--fail-level` (ERROR by default) the header starts with `SystemCheckError: ` and the command
exits 1. The footer's N is what Django counted: a parse that found another number is an error,
never a figure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from auditor.errors import GateError

GROUPS = {
    "CRITICALS": "CRITICAL",
    "ERRORS": "ERROR",
    "WARNINGS": "WARNING",
    "INFOS": "INFO",
    "DEBUGS": "DEBUG",
}
COUNTED_LEVELS = ("CRITICAL", "ERROR", "WARNING")
"""What `django_deploy_warnings` counts: every issue at WARNING or above."""
_GROUP = re.compile(r"^(?P<group>CRITICALS|ERRORS|WARNINGS|INFOS|DEBUGS):$")
_ISSUE = re.compile(r"^(?P<obj>\S.*?): \((?P<id>[^()\s]+)\) (?P<message>.*)$")
_HINT = "\tHINT: "
_FOOTER = re.compile(
    r"^System check identified (?P<count>no issues|1 issue|\d+ issues) "
    r"\((?P<silenced>\d+) silenced\)\.$",
    re.MULTILINE,
)


@dataclass(frozen=True)
class CheckIssue:
    """One issue as Django printed it."""

    id: str
    """Django's id: `security.W018`, `models.W042`, ..."""
    level: str
    """CRITICAL, ERROR, WARNING, INFO or DEBUG (the group it was printed in)."""
    obj: str
    """What it is about; `?` for the settings as a whole."""
    message: str
    hint: str = ""

    @property
    def counted(self) -> bool:
        return self.level in COUNTED_LEVELS


@dataclass(frozen=True)
class CheckOutput:
    issues: tuple[CheckIssue, ...]
    silenced: int
    """Issues the settings silence (SILENCED_SYSTEM_CHECKS), as Django reports them."""


def _footer(text: str) -> tuple[int, int]:
    matches = list(_FOOTER.finditer(text))
    if not matches:
        raise GateError(
            "`manage.py check --deploy` printed no `System check identified ...` line, so it "
            "did not complete its checks"
        )
    found = matches[-1]
    words = found.group("count")
    count = 0 if words == "no issues" else 1 if words == "1 issue" else int(words.split()[0])
    return count, int(found.group("silenced"))


def _issues(text: str) -> list[CheckIssue]:
    issues: list[CheckIssue] = []
    level: str | None = None
    for line in text.splitlines():
        group = _GROUP.match(line)
        if group is not None:
            level = GROUPS[group.group("group")]
            continue
        if level is None or not line or _FOOTER.match(line):
            continue
        issue = _ISSUE.match(line)
        if issue is not None:
            issues.append(
                CheckIssue(issue.group("id"), level, issue.group("obj"), issue.group("message"))
            )
        elif issues and line.startswith(_HINT):
            last = issues[-1]
            issues[-1] = CheckIssue(
                last.id, last.level, last.obj, last.message, line.removeprefix(_HINT)
            )
        elif issues:  # a message or hint that goes on over more lines
            last = issues[-1]
            if last.hint:
                issues[-1] = CheckIssue(
                    last.id, last.level, last.obj, last.message, f"{last.hint}\n{line}"
                )
            else:
                issues[-1] = CheckIssue(last.id, last.level, last.obj, f"{last.message}\n{line}")
    return issues


def parse(text: str) -> CheckOutput:
    """The issues in the command's output (stdout and stderr together); GateError when the
    output is not a completed check or its issues do not add up to the count Django printed."""
    count, silenced = _footer(text)
    issues = _issues(text)
    if len(issues) != count:
        raise GateError(
            f"`manage.py check --deploy` reported {count} issues but {len(issues)} could be "
            "read from its output (an issue without an id?), so they are not counted"
        )
    return CheckOutput(tuple(issues), silenced)
