"""Positions from CPython's ast (the fast path) must equal LibCST's own, fact for fact."""

from __future__ import annotations

import glob
from pathlib import Path

import libcst as cst
import pytest

from alembic_lint import parse, positions
from alembic_lint.source import decode

ROOT = Path(__file__).resolve().parent.parent

TRICKY = {
    "non-ascii-and-tabs": (
        '"""Café — migration\n\nRevision ID: é1\nRevises: \n"""\n'
        "from alembic import op\n"
        "revision = 'é1'; down_revision = None  # ünïcode\n"
        "def upgrade():\n\tif True:\n\t\top.drop_index('ïx')\n"
    ),
    "crlf": (
        "revision = 'a'\r\ndown_revision = ('b',\r\n    'c')\r\n"
        "def upgrade():\r\n    op.drop_table('t')\r\n"
    ),
    "nested-blocks": (
        "import typing\n"
        "if typing.TYPE_CHECKING:\n    pass\nelif False:\n    pass\nelse:\n    revision = 'x'\n"
        "try:\n    down_revision = 'y'\nexcept ImportError:\n    down_revision = None\n"
        "with ctx():\n    def upgrade(op):\n        op.drop_column('t', 'c', **kw)\n"
        "for i in []: branch_labels = ()\n"
    ),
    "calls-everywhere": (
        "revision, down_revision = 'a', ('b', 'c')\n"
        "async def helper(): pass\n"
        "def upgrade():\n"
        "    data = {'k': sa.func.now(), 'j': [f(x) for x in g()]}\n"
        "    op.bulk_insert(t, [dict(a=h(), b=op.inline_literal('x'))])\n"
        "    with op.batch_alter_table('t') as b, other() as o:\n"
        "        b.drop_index('ix') if cond() else b.drop_column('c')\n"
        "    op.execute(sa.text('DROP TABLE x'))\n"
        "    op.create_table('t', sa.Column('a', server_default=op.inline_literal('x')),\n"
        "                    op.inline_literal('y'), sqlalchemy.Column(f(op.drop_index('i'))))\n"
        "@decorate(call())\n"
        "def downgrade(): op.drop_table(name=lambda: q())\n"
    ),
}


def both(text: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """(line, column) of every fact by both methods; for a compound statement (a `try:`
    block assigning a revision variable) only the line: ast points at the keyword, which
    the LibCST fallback cannot."""
    migration = parse.read_migration("/v/x.py", text.encode())
    module = cst.parse_module(decode(text.encode()).text)
    extractor = parse._Extractor(module, True)
    extractor.migration("/v/x.py", "x.py")
    found = parse._Positions(module, extractor.wanted).found
    slow = [compute(found.__getitem__) for compute in extractor.pending]
    fast = positions.resolve(
        decode(text.encode()).text, positions.decode_locators(migration.locators)
    )
    compound = [
        locator[-1] == "stmt" and _is_compound(text, locator)
        for locator in positions.decode_locators(migration.locators)
    ]
    return (
        [(s.line, 0 if c else s.column) for s, c in zip(fast, compound, strict=True)],
        [(s.line, 0 if c else s.column) for s, c in zip(slow, compound, strict=True)],
    )


def _is_compound(text: str, locator: tuple[object, ...]) -> bool:
    import ast

    node: object = ast.parse(decode(text.encode()).text)
    for step in locator[:-1]:
        node = node[step] if isinstance(step, int) else getattr(node, str(step))  # type: ignore[index]
    return isinstance(node, ast.Try | ast.If | ast.For | ast.While | ast.With)


@pytest.mark.parametrize("name", sorted(TRICKY))
def test_tricky_sources(name: str) -> None:
    fast, slow = both(TRICKY[name])
    assert fast and fast == slow


def test_every_fixture_file() -> None:
    checked = 0
    for path in sorted(glob.glob(str(ROOT / "fixtures" / "**" / "*.py"), recursive=True)):
        text = Path(path).read_text(encoding="utf-8", errors="replace")
        if parse.read_migration(path, text.encode()).syntax_error is not None:
            continue
        fast, slow = both(text)
        assert fast == slow, path
        checked += len(fast)
    assert checked > 500


def test_locators_that_do_not_fit_fall_back() -> None:
    with pytest.raises(positions.NoMatch):
        positions.resolve("x = 1\n", [("body", 5, "stmt")])
    with pytest.raises(positions.NoMatch):
        positions.resolve("def f():\n    g()\n", [("body", 0, "call", 0, "call:drop_table")])
    data = b"revision = 'a'\ndown_revision = None\n"
    migration = parse.read_migration("/v/a.py", data)
    assert positions.with_spans(migration, data) is not None
    assert positions.with_spans(migration, b"x = 1\n" + data) is None  # other bytes


def test_facts_left_without_a_position_are_placed_when_a_finding_points_at_them() -> None:
    """A cold run works out positions only for the operations that have findings
    (positions.UNASKED for the others); a finding that points at one after all is placed
    by reading the file again, never shown at 0:0."""
    from dataclasses import replace as replaced

    from alembic_lint.checking import pared, resolve_locations
    from alembic_lint.diagnostics import Diagnostic, Location, Severity
    from alembic_lint.model import History

    data = (
        b"revision = 'a'\ndown_revision = None\n"
        b"def upgrade():\n    op.drop_table('t')\n    op.drop_index('i')\n"
    )
    migration = parse.read_migration("/v/a.py", data)
    first, second = migration.ops
    skipped = positions.with_spans(migration, data, {second.ref})
    assert skipped is not None and skipped.span(second.ref) == positions.UNASKED
    assert skipped.span(first.ref).line == 4
    kept = pared(replaced(skipped, ops=migration.ops))
    finding = Diagnostic(
        Location("/v/a.py", 0, 0, 0, 0, ref=second.ref), "X1", "x", "m", Severity.WARNING
    )
    (placed,) = resolve_locations([finding], History("h", (kept,)), lambda path: data)
    assert (placed.location.line, placed.location.column) == (5, 5)
