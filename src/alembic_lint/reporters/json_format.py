"""JSON: an array of findings with ruff's keys."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from alembic_lint.diagnostics import Diagnostic, Fix
from alembic_lint.reporters import Report


def _fix(fix: Fix | None) -> dict[str, Any] | None:
    if fix is None:
        return None
    return {
        "applicability": fix.applicability.value,
        "message": fix.message,
        "edits": [
            {
                "content": edit.content,
                "location": {"row": edit.start.line, "column": edit.start.column},
                "end_location": {"row": edit.end.line, "column": edit.end.column},
            }
            for edit in fix.edits
        ],
    }


def as_dict(diagnostic: Diagnostic, url: str | None) -> dict[str, Any]:
    loc = diagnostic.location
    return {
        "code": diagnostic.code,
        "name": diagnostic.name,
        "message": diagnostic.message,
        "severity": diagnostic.severity.value,
        "filename": loc.path,
        "location": {"row": loc.line, "column": loc.column},
        "end_location": {"row": loc.end_line, "column": loc.end_column},
        "fix": _fix(diagnostic.fix),
        "url": url,
        "revision": diagnostic.revision,
        "related": [
            {
                "filename": r.location.path,
                "location": {"row": r.location.line, "column": r.location.column},
                "message": r.message,
            }
            for r in diagnostic.related
        ],
    }


def render(diagnostics: Sequence[Diagnostic], report: Report) -> str:
    from alembic_lint.rules import DOCS_URL

    items = [as_dict(d, DOCS_URL.format(name=d.name)) for d in diagnostics]
    return json.dumps(items, indent=2) + "\n"
