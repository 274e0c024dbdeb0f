"""SARIF 2.1.0 for code-scanning dashboards (one run, rules from the registry)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from alembic_lint.diagnostics import Diagnostic, Location, Severity
from alembic_lint.reporters import Report, RuleInfo, repo_path, unicode_only

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/alembic-lint/alembic-lint"
#: GitHub code scanning truncates longer rule descriptions.
MAX_TEXT = 1024

_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "note"}
_PROBLEM_SEVERITY = {
    Severity.ERROR: "error",
    Severity.WARNING: "warning",
    Severity.NOTE: "recommendation",
}


def _section(markdown: str, heading: str) -> str:
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", markdown, re.M | re.S)
    return " ".join(match.group(1).split()) if match else ""


def _clip(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1].rstrip() + "…"


def _plain(markdown: str) -> str:
    return re.sub(r"^## ", "", markdown, flags=re.M)


def rule_descriptor(info: RuleInfo) -> dict[str, Any]:
    full = _section(info.documentation, "What it does") or info.summary
    return {
        "id": info.code,
        "name": info.name,
        "shortDescription": {"text": _clip(info.summary.replace("`", ""))},
        "fullDescription": {"text": _clip(full.replace("`", ""))},
        "help": {"text": _plain(info.documentation), "markdown": info.documentation},
        "helpUri": info.url,
        "defaultConfiguration": {"level": _LEVEL[info.severity]},
        "properties": {
            "tags": ["alembic", "migrations", info.name],
            "precision": "very-high",
            "problem.severity": _PROBLEM_SEVERITY[info.severity],
        },
    }


def _physical(location: Location, report: Report) -> dict[str, Any]:
    return {
        # A file name that is not UTF-8: its own bytes, percent-encoded.
        "artifactLocation": {
            "uri": quote(repo_path(location.path, report), safe="/", errors="surrogateescape")
        },
        "region": {
            "startLine": location.line,
            "startColumn": location.column,
            "endLine": max(location.end_line, location.line),
            "endColumn": max(location.end_column, location.column + 1)
            if location.end_line <= location.line
            else max(location.end_column, 1),
        },
    }


def result(diagnostic: Diagnostic, index: int, report: Report) -> dict[str, Any]:
    item: dict[str, Any] = {
        "ruleId": diagnostic.code,
        "ruleIndex": index,
        "level": _LEVEL[diagnostic.severity],
        "message": {"text": diagnostic.message},
        "locations": [{"physicalLocation": _physical(diagnostic.location, report)}],
    }
    if diagnostic.related:
        item["relatedLocations"] = [
            {
                "id": number,
                "physicalLocation": _physical(related.location, report),
                "message": {"text": related.message},
            }
            for number, related in enumerate(diagnostic.related, start=1)
        ]
    if diagnostic.revision is not None:
        item["properties"] = {"revision": diagnostic.revision}
    return item


def document(diagnostics: Sequence[Diagnostic], report: Report) -> dict[str, Any]:
    index = {info.code: n for n, info in enumerate(report.rules)}
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "alembic-lint",
                        "version": report.version,
                        "semanticVersion": report.version,
                        "informationUri": INFORMATION_URI,
                        "rules": [rule_descriptor(info) for info in report.rules],
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": [result(d, index[d.code], report) for d in diagnostics],
            }
        ],
    }


def render(diagnostics: Sequence[Diagnostic], report: Report) -> str:
    return unicode_only(json.dumps(document(diagnostics, report), indent=2, ensure_ascii=False))
