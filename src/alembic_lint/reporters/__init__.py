"""Output formats: each module renders a list of diagnostics and knows nothing of rules."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from alembic_lint.diagnostics import Diagnostic, Severity


@dataclass(frozen=True, slots=True)
class RuleInfo:
    """What an output format may say about a rule (plain data from the registry)."""

    code: str
    name: str
    summary: str
    documentation: str  # markdown
    severity: Severity
    url: str
    default: bool = True
    fixable: bool = False


@dataclass(frozen=True, slots=True)
class Report:
    """What a reporter may use besides the findings."""

    cwd: str
    root: str = ""  # repository root: formats for code hosts use paths relative to it
    checked: int = 0  # migration files checked
    color: bool = False
    version: str = ""
    rules: Sequence[RuleInfo] = ()
    #: Decoded text of the files that have findings (for formats that show source).
    sources: Mapping[str, str] = field(default_factory=dict)

    def rule(self, code: str) -> RuleInfo | None:
        for info in self.rules:
            if info.code == code:
                return info
        return None


Renderer = Callable[[Sequence[Diagnostic], Report], str]


def display_path(path: str, cwd: str) -> str:
    """Relative to ``cwd`` when below it, else as given (absolute)."""
    prefix = cwd.rstrip(os.sep) + os.sep
    if path.startswith(prefix) and ".." not in path:
        return path[len(prefix) :]
    try:
        rel = os.path.relpath(path, cwd)
    except ValueError:
        return path
    return path if rel == ".." or rel.startswith(".." + os.sep) else rel


def repo_path(path: str, report: Report) -> str:
    """Relative to the repository root, with forward slashes (for code hosts)."""
    base = report.root or report.cwd
    prefix = base.rstrip(os.sep) + os.sep
    rel = path[len(prefix) :] if path.startswith(prefix) else os.path.relpath(path, base)
    return rel.replace(os.sep, "/")


def unicode_only(document: str) -> str:
    """A JSON document (and a final newline) that UTF-8 can hold: a file name that is not
    UTF-8 carries lone surrogates (os.fsdecode's escapes of its bytes), which become U+FFFD
    (a code host cannot take the bytes either)."""
    try:
        document.encode("utf-8")
    except UnicodeEncodeError:
        document = document.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return document + "\n"


#: Format name -> the module under alembic_lint.reporters that renders it.
MODULES = {
    "concise": "concise",
    "full": "full",
    "json": "json_format",
    "sarif": "sarif",
    "github": "github",
    "gitlab": "gitlab",
}


def renderer(name: str) -> Renderer:
    """The render function of format ``name`` (importing only its module)."""
    import importlib

    module = importlib.import_module(f"alembic_lint.reporters.{MODULES[name]}")
    render: Renderer = module.render
    return render
