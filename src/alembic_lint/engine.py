"""Lint histories: read files, run the rules, resolve positions, sort the findings."""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from alembic_lint import graph as graph_mod
from alembic_lint.diagnostics import Diagnostic, Location, Related
from alembic_lint.model import Binding, History, Migration, Status, Suppression, SyntaxProblem
from alembic_lint.rules import Rule, registry

if TYPE_CHECKING:
    from alembic_lint.config import Settings

Reader = Callable[[str], bytes]


@dataclass
class Result:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    histories: list[History] = field(default_factory=list)
    files: int = 0


def default_rules() -> list[Rule]:
    return [rule() for rule in registry() if rule.default]


def read_bytes(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


def load_history(
    name: str,
    files: Sequence[Path | str],
    *,
    locations: Sequence[Path | str] = (),
    reader: Reader = read_bytes,
) -> History:
    """Read and extract every file of one history (in Alembic's load order)."""
    from alembic_lint import parse  # LibCST is imported only when a file is read

    migrations = []
    for file in files:
        path = os.path.abspath(file)
        try:
            data = reader(path)
        except OSError as exc:
            migrations.append(_unreadable(path, exc))
            continue
        migrations.append(parse.read_migration(path, data))
    return History(name, tuple(migrations), tuple(str(loc) for loc in locations))


def _unreadable(path: str, exc: OSError) -> Migration:
    reason = exc.strerror or str(exc)
    return Migration(
        path=path,
        filename=os.path.basename(path),
        revision=Binding("revision", Status.ABSENT),
        down_revision=Binding("down_revision", Status.ABSENT),
        branch_labels=Binding("branch_labels", Status.ABSENT),
        depends_on=Binding("depends_on", Status.ABSENT),
        syntax_error=SyntaxProblem(f"cannot read file: {reason}", -1, defines_nothing=False),
        spans=(),
    )


def check_history(
    history: History,
    rules: Iterable[Rule],
    *,
    reader: Reader = read_bytes,
    only: Iterable[str] | None = None,
    sources: dict[str, str] | None = None,
    settings: Settings | None = None,
    exclude: Iterable[str] = (),
) -> list[Diagnostic]:
    """Run ``rules`` over one history; returns sorted diagnostics with resolved positions.

    ``only`` restricts the report to some files; a finding elsewhere that names one of them
    as a related place (the other head, the first declaration) is reported on that file.
    ``sources``, when given, receives the decoded text of every file with a finding.
    Files in ``exclude`` are never reported on; they still place their revision in the
    graph, unless they define none (a helper module), in which case they are dropped.
    """
    rules = list(rules)
    excluded = {os.path.abspath(p) for p in exclude}
    if excluded:
        history = replace(
            history,
            migrations=tuple(
                m for m in history.migrations if m.path not in excluded or m.revision_id
            ),
        )
    graph = graph_mod.build(history)
    found: list[Diagnostic] = []
    for rule in rules:
        found.extend(rule.check(history, graph))
    if excluded:
        found = [d for d in found if d.location.path not in excluded]
    keep = {os.path.abspath(p) for p in only} if only is not None else None
    if keep is not None:
        found = _only(found, keep, history)
    found = resolve_locations(found, history, reader, sources)
    return sorted(suppress(found, history, rules, settings, keep))


def suppress(
    diagnostics: Sequence[Diagnostic],
    history: History,
    rules: Sequence[Rule],
    settings: Settings | None,
    only: set[str] | None = None,
) -> list[Diagnostic]:
    """Drop findings silenced by per-file-ignores, file-ignore comments and ``# noqa``;
    report the suppression comments that silenced nothing (AL900) when that rule is on."""
    from alembic_lint.config import ignored_codes
    from alembic_lint.rules.unused_noqa import UnusedNoqa

    by_path = {m.path: m for m in history.migrations}
    used: dict[tuple[str, Suppression], set[str]] = defaultdict(set)
    kept: list[Diagnostic] = []
    for diagnostic in diagnostics:
        path, code = diagnostic.location.path, diagnostic.code
        if settings is not None and code in ignored_codes(settings, path):
            continue
        migration = by_path.get(path)
        if migration is not None:
            comment = next(
                (c for c in migration.file_ignores if c.codes is None or code in c.codes), None
            ) or next(
                (
                    c
                    for c in migration.noqa
                    if c.line == diagnostic.location.line and (c.codes is None or code in c.codes)
                ),
                None,
            )
            if comment is not None:
                used[(path, comment)].add(code)
                continue
        kept.append(diagnostic)
    checker = next((r for r in rules if isinstance(r, UnusedNoqa)), None)
    if checker is None:
        return kept
    selected = {r.code for r in rules}
    known = {r.code for r in registry()}
    reported = {d.location.path for d in diagnostics} | {p for (p, _) in used}
    for migration in history.migrations:
        if only is not None and migration.path not in only:
            continue
        if migration.path not in reported and migration.noqa + migration.file_ignores == ():
            continue
        if settings is not None and checker.code in ignored_codes(settings, migration.path):
            continue
        for comment in (*migration.file_ignores, *migration.noqa):
            hits = used.get((migration.path, comment), set())
            if not comment.codes:  # bare (None) or an empty list ()
                if not hits:
                    kept.append(checker.unused(migration, comment, [], [], []))
                continue
            unmatched = [c for c in comment.codes if c in selected and c not in hits]
            disabled = [c for c in comment.codes if c in known and c not in selected]
            unknown = [c for c in comment.codes if c not in known]
            if unmatched or disabled or unknown:
                kept.append(checker.unused(migration, comment, unmatched, disabled, unknown))
    return kept


def _only(found: list[Diagnostic], keep: set[str], history: History) -> list[Diagnostic]:
    kept = [d for d in found if d.location.path in keep]
    have = {(d.location.path, d.code) for d in kept}
    names = {m.path: m.filename for m in history.migrations}
    for diagnostic in found:
        if diagnostic.location.path in keep:
            continue
        for related in diagnostic.related:
            path = related.location.path
            if path in keep and (path, diagnostic.code) not in have:
                have.add((path, diagnostic.code))
                where = names.get(diagnostic.location.path, diagnostic.location.path)
                kept.append(
                    replace(
                        diagnostic,
                        location=related.location,
                        message=f"{where}: {diagnostic.message}",
                        related=(Related(diagnostic.location, f"reported in {where}"),),
                    )
                )
    return kept


def resolve_locations(
    diagnostics: Sequence[Diagnostic],
    history: History,
    reader: Reader,
    sources: dict[str, str] | None = None,
) -> list[Diagnostic]:
    """Fill in positions, parsing with position metadata only the files that need it."""
    by_path = {m.path: m for m in history.migrations}
    wanted = {
        loc.path
        for d in diagnostics
        for loc in (d.location, *(r.location for r in d.related))
        if loc.ref >= 0 or (sources is not None and loc is d.location)
    }
    resolved: dict[str, Migration] = {}
    for path in wanted:
        migration = by_path.get(path)
        if migration is None:
            continue
        from alembic_lint import parse

        try:
            data = reader(path)
        except OSError:
            resolved[path] = replace(migration, spans=migration.spans or ())
            continue
        if sources is not None:
            sources[path] = parse.text_of(data)
        resolved[path] = parse.resolve_spans(migration, data)
    return [_resolve(d, resolved) for d in diagnostics]


def _resolve(diagnostic: Diagnostic, resolved: Mapping[str, Migration]) -> Diagnostic:
    def fix(loc: Location) -> Location:
        if loc.ref < 0 or loc.path not in resolved:
            return loc
        span = resolved[loc.path].span(loc.ref)
        return Location(loc.path, span.line, span.column, span.end_line, span.end_column)

    if diagnostic.location.ref < 0 and all(r.location.ref < 0 for r in diagnostic.related):
        return diagnostic
    return replace(
        diagnostic,
        location=fix(diagnostic.location),
        related=tuple(Related(fix(r.location), r.message) for r in diagnostic.related),
    )
