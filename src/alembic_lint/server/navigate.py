"""Navigation on revision ids (definition, references, hover), hover on ``# noqa`` codes,
and completion of revision ids in ``down_revision``."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lsprotocol import types

from alembic_lint.model import Migration, Span
from alembic_lint.rules import by_code_or_name
from alembic_lint.rules.header_mismatch import REVISES_KEY, REVISION_KEY
from alembic_lint.server.convert import path_of
from alembic_lint.server.state import Tracked
from alembic_lint.server.units import Lines
from alembic_lint.suppressions import suppressions

if TYPE_CHECKING:
    from alembic_lint.server.app import Server

_ID = re.compile(r"[A-Za-z0-9_\-.@]+")
_CODE = re.compile(r"[A-Z]+[0-9]+")
#: The text before the cursor inside a string of ``down_revision = ...`` or
#: ``depends_on = ...`` (annotated or not, a tuple or list of earlier strings allowed).
_IN_PARENT = re.compile(
    r"""^\s*(?:down_revision|depends_on)\b[^=#]*=\s*[(\[]?\s*"""
    r"""(?:(?P<q0>['"])[^'"]*(?P=q0)\s*,\s*)*(?P<quote>['"])(?P<prefix>[^'"]*)$"""
)
_CREATED = re.compile(r"^[ \t]*Create Date:[ \t]*(?P<date>\S[^\r\n]*?)[ \t]*$", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Mention:
    """A revision id in a file, where it is and what it is there."""

    value: str
    role: str  # "revision", "down_revision", "depends_on", "header"
    line: int
    column: int
    end_column: int


def _mentions(migration: Migration, lines: list[str]) -> list[Mention]:
    """Every revision id written in a file: its revision variables and its header."""
    found: list[Mention] = []
    for binding in (migration.revision, migration.down_revision, migration.depends_on):
        for element in binding.elements:
            span = migration.span(element.ref)
            if isinstance(element.value, str) and span.line > 0:
                found.append(
                    Mention(element.value, binding.name, span.line, span.column, span.end_column)
                )
    header = migration.header
    for ref, key in ((header.revision_id_ref, REVISION_KEY), (header.revises_ref, REVISES_KEY)):
        span = migration.span(ref)
        if ref < 0 or not 0 < span.line <= len(lines):
            continue
        text = lines[span.line - 1]
        at = text.find(key, max(span.column - 1, 0))
        if at < 0:
            continue
        for match in _ID.finditer(text, at + len(key)):
            value = match.group().rstrip(".")
            if key == REVISES_KEY or value == header.revision_id:
                found.append(
                    Mention(value, "header", span.line, match.start() + 1, match.end() + 1)
                )
    return found


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where a request points: the file, its history (if it has one), its lines, and the
    1-based line and code-point column."""

    path: str
    tracked: Tracked | None
    lines: Lines
    line: int
    column: int


def _cursor(ls: Server, uri: str, position: types.Position) -> Cursor | None:
    path = path_of(uri)
    if path is None:
        return None
    path = ls.state.canonical(path)
    lines = ls.placer().lines(path)
    line, column = lines.from_client(position.line, position.character)
    return Cursor(path, ls.state.owner(path), lines, line, column)


def _at(ls: Server, uri: str, position: types.Position) -> tuple[Tracked, str, Mention] | None:
    """The history, the file and the revision id under the cursor, if any."""
    cursor = _cursor(ls, uri, position)
    if cursor is None or cursor.tracked is None:
        return None
    tracked, path, line, column = cursor.tracked, cursor.path, cursor.line, cursor.column
    migration = ls.state.full(path)
    if migration is None:
        return None
    for mention in _mentions(migration, cursor.lines.lines):
        if mention.line == line and mention.column <= column <= mention.end_column:
            return tracked, path, mention
    return None


def _span_location(ls: Server, path: str, span: Span) -> types.Location:
    placer = ls.placer()
    return types.Location(
        placer.uri(path),
        types.Range(
            placer.position(path, span.line, span.column),
            placer.position(path, span.end_line, span.end_column),
        ),
    )


def _revision_span(migration: Migration) -> Span:
    elements = migration.revision.elements
    return migration.span(elements[0].ref if elements else migration.revision.ref)


def _defining(tracked: Tracked, value: str) -> list[tuple[Migration, Span]]:
    """Where ``value`` is defined: the files whose revision it is, else (``depends_on``
    may name one) those that declare it as a branch label, with the place of either."""
    migrations = [tracked.known[p].migration for p in tracked.files]
    found = [(m, _revision_span(m)) for m in migrations if m.revision_id == value]
    if not found:
        found = [
            (m, m.span(e.ref))
            for m in migrations
            for e in m.branch_labels.elements
            if e.value == value
        ]
    return found


def definition(ls: Server, uri: str, position: types.Position) -> list[types.Location] | None:
    hit = _at(ls, uri, position)
    if hit is None:
        return None
    tracked, _, mention = hit
    found = _defining(tracked, mention.value)
    return [_span_location(ls, m.path, span) for m, span in found] or None


def references(
    ls: Server, uri: str, position: types.Position, declaration: bool
) -> list[types.Location] | None:
    """The children of the revision under the cursor: the files whose ``down_revision``
    (or ``depends_on``) names it."""
    hit = _at(ls, uri, position)
    if hit is None:
        return None
    tracked, _, mention = hit
    found: list[types.Location] = []
    if declaration:
        found += [_span_location(ls, m.path, span) for m, span in _defining(tracked, mention.value)]
    for path in tracked.files:
        migration = tracked.known[path].migration
        for binding in (migration.down_revision, migration.depends_on):
            for element in binding.elements:
                if element.value == mention.value:
                    found.append(_span_location(ls, path, migration.span(element.ref)))
    return found


def hover(ls: Server, uri: str, position: types.Position) -> types.Hover | None:
    hit = _at(ls, uri, position)
    if hit is not None:
        tracked, _, mention = hit
        return types.Hover(
            types.MarkupContent(types.MarkupKind.Markdown, _about(ls, tracked, mention.value))
        )
    return _noqa_hover(ls, uri, position)


def _about(ls: Server, tracked: Tracked, value: str) -> str:
    """What a revision is: its message, file, date and place in the graph."""
    found = [
        m for m in (tracked.known[p].migration for p in tracked.files) if m.revision_id == value
    ]
    if not found:
        return f"`{value}`: no revision of this history has this id"
    graph = tracked.graph()
    node_of = {m.path: n for n, m in enumerate(graph.migrations)}
    parts = []
    for migration in found:
        known = tracked.known[migration.path]
        node = node_of[migration.path]
        roles = [
            name
            for name, nodes in (
                ("head", graph.heads),
                ("base", graph.bases),
                ("branch point", graph.branch_points),
                ("merge point", graph.merge_points),
            )
            if node in nodes
        ]
        created = _CREATED.search(ls.state.text(migration.path)[:4000])
        where = os.path.relpath(migration.path, tracked.project.folder)
        details = [f"`{where}`"]
        if created:
            details.append(f"created {created.group('date')}")
        if roles:
            details.append(" · ".join(roles))
        title = f"**{value}** {known.message}".rstrip()
        parts.append(title + "\n\n" + "  \n".join(details))
    if len(found) > 1:
        parts.insert(0, f"`{value}` is defined by {len(found)} files")
    return "\n\n---\n\n".join(parts)


def _noqa_hover(ls: Server, uri: str, position: types.Position) -> types.Hover | None:
    """The rule's page, for a code in a ``# noqa: CODE`` comment."""
    cursor = _cursor(ls, uri, position)
    if cursor is None:
        return None
    lines, line, column = cursor.lines, cursor.line, cursor.column
    text = lines.line(line)
    noqa, _ = suppressions(text)
    for comment in noqa:
        if not comment.column <= column <= comment.end_column or comment.codes is None:
            continue
        for match in _CODE.finditer(text, comment.column - 1, comment.end_column - 1):
            if match.start() < column <= match.end() + 1:
                rule = by_code_or_name(match.group())
                if rule is None:
                    return None
                url = rule.url()
                body = f"**{rule.code}** `{rule.name}`\n\n{rule.documentation()}\n\n[{url}]({url})"
                start = lines.to_client(line, match.start() + 1)
                end = lines.to_client(line, match.end() + 1)
                return types.Hover(
                    types.MarkupContent(types.MarkupKind.Markdown, body),
                    types.Range(types.Position(*start), types.Position(*end)),
                )
    return None


def completion(ls: Server, uri: str, position: types.Position) -> types.CompletionList | None:
    """Revision ids for the string being typed in ``down_revision`` (or ``depends_on``):
    the current heads first, then the others, newest first."""
    cursor = _cursor(ls, uri, position)
    if cursor is None or cursor.tracked is None:
        return None
    tracked, path, lines = cursor.tracked, cursor.path, cursor.lines
    line, column = cursor.line, cursor.column
    before = lines.line(line)[: column - 1]
    match = _IN_PARENT.match(before)
    if match is None:
        return None
    prefix = match.group("prefix")
    start = types.Position(*lines.to_client(line, column - len(prefix)))
    here = types.Range(start, position)
    own = tracked.known[path].migration.revision_id if path in tracked.known else None
    graph = tracked.graph()
    heads = {graph.id_of(n) for n in graph.heads}
    items = []
    order = list(reversed(tracked.files))
    for rank, other in enumerate(order):
        migration = tracked.known[other].migration
        rid = migration.revision_id
        if rid is None or rid == own:
            continue
        head = rid in heads
        items.append(
            types.CompletionItem(
                label=rid,
                kind=types.CompletionItemKind.Reference,
                detail=("head: " if head else "") + tracked.known[other].message,
                documentation=os.path.basename(other),
                sort_text=f"{0 if head else 1}{rank:08d}",
                filter_text=rid,
                text_edit=types.TextEdit(here, rid),
                preselect=head or None,
            )
        )
    return types.CompletionList(is_incomplete=False, items=items)
