"""GitLab Code Quality report (a JSON array of issues)."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from typing import Any

from alembic_lint.diagnostics import Diagnostic, Severity
from alembic_lint.reporters import Report, repo_path, unicode_only

_SEVERITY = {Severity.ERROR: "critical", Severity.WARNING: "minor", Severity.NOTE: "info"}


def fingerprint(diagnostic: Diagnostic, path: str, occurrence: int) -> str:
    """Stable across line moves: the rule, the file, the revision and the message."""
    key = "\0".join(
        (diagnostic.code, path, diagnostic.revision or "", diagnostic.message, str(occurrence))
    )
    return hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()


def render(diagnostics: Sequence[Diagnostic], report: Report) -> str:
    seen: Counter[tuple[str, str, str]] = Counter()
    issues: list[dict[str, Any]] = []
    for diagnostic in diagnostics:
        path = repo_path(diagnostic.location.path, report)
        key = (diagnostic.code, path, diagnostic.message)
        seen[key] += 1
        issues.append(
            {
                "type": "issue",
                "check_name": f"{diagnostic.code} {diagnostic.name}",
                "description": f"{diagnostic.code} {diagnostic.message}",
                "severity": _SEVERITY[diagnostic.severity],
                "categories": ["Bug Risk"],
                "fingerprint": fingerprint(diagnostic, path, seen[key]),
                "location": {
                    "path": path,
                    "lines": {
                        "begin": diagnostic.location.line,
                        "end": diagnostic.location.end_line,
                    },
                },
            }
        )
    return unicode_only(json.dumps(issues, indent=2, ensure_ascii=False))
