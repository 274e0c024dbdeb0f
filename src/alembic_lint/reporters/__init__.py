"""Output formats: each module renders a list of diagnostics and knows nothing of rules."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from alembic_lint.diagnostics import Diagnostic


@dataclass(frozen=True, slots=True)
class Report:
    """What a reporter may use besides the findings."""

    cwd: str
    checked: int = 0  # migration files checked


Renderer = Callable[[Sequence[Diagnostic], Report], str]


def display_path(path: str, cwd: str) -> str:
    """Relative to ``cwd`` when below it, else as given (absolute)."""
    try:
        rel = os.path.relpath(path, cwd)
    except ValueError:
        return path
    return path if rel == ".." or rel.startswith(".." + os.sep) else rel


def renderers() -> dict[str, Renderer]:
    from alembic_lint.reporters import concise, json_format

    return {"concise": concise.render, "json": json_format.render}
