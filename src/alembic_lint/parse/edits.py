"""Byte-preserving LibCST edits of migration files (used by rebase and fixes)."""

from __future__ import annotations

import re

import libcst as cst


def repoint_edit(data: bytes, new_parent: str, old_parent: str) -> bytes | None:
    """``data`` with its ``down_revision`` string ``old_parent`` (and the docstring's
    ``Revises:`` line) changed to ``new_parent``, every other byte kept; ``None`` when the
    module-level ``down_revision`` is not one plain string literal equal to either id.

    Idempotent: a file already naming ``new_parent`` comes back unchanged.
    """
    if any(c in new_parent for c in "'\"\\\r\n") or not new_parent:
        return None
    try:
        module = cst.parse_module(data)
    except (cst.ParserSyntaxError, SyntaxError, UnicodeDecodeError, LookupError):
        return None
    found: list[tuple[int, int, cst.SimpleString]] = []
    for index, stmt in enumerate(module.body):
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for position, small in enumerate(stmt.body):
            target: cst.BaseExpression | None = None
            value: cst.BaseExpression | None = None
            if isinstance(small, cst.Assign) and len(small.targets) == 1:
                target, value = small.targets[0].target, small.value
            elif isinstance(small, cst.AnnAssign):
                target, value = small.target, small.value
            if not (isinstance(target, cst.Name) and target.value == "down_revision"):
                continue
            if not isinstance(value, cst.SimpleString):
                return None
            found.append((index, position, value))
    if len(found) != 1:
        return None
    index, position, literal = found[0]
    prefix = literal.prefix.lower()
    current = literal.evaluated_value
    if "b" in prefix or "f" in prefix or not isinstance(current, str):
        return None
    if current not in (old_parent, new_parent):
        return None
    quote = literal.quote
    new_literal = literal.with_changes(value=f"{literal.prefix}{quote}{new_parent}{quote}")
    body = list(module.body)
    line = body[index]
    assert isinstance(line, cst.SimpleStatementLine)
    small = line.body[position]
    assert isinstance(small, cst.Assign | cst.AnnAssign)
    smalls = list(line.body)
    smalls[position] = small.with_changes(value=new_literal)
    body[index] = line.with_changes(body=smalls)
    first = body[0] if body else None
    if (
        index != 0
        and isinstance(first, cst.SimpleStatementLine)
        and first.body
        and isinstance(first.body[0], cst.Expr)
        and isinstance(first.body[0].value, cst.SimpleString)
    ):
        doc = first.body[0].value
        revises = re.compile(
            r"^([ \t]*Revises:[ \t]*)" + re.escape(old_parent) + r"(?=[ \t]*(?:\r|\n|\Z))",
            re.MULTILINE,
        )
        text = revises.sub(lambda m: m.group(1) + new_parent, doc.value, count=1)
        if text != doc.value:
            expr = first.body[0].with_changes(value=doc.with_changes(value=text))
            body[0] = first.with_changes(body=[expr, *first.body[1:]])
    return module.with_changes(body=body).bytes
