"""The ast reader (astread) against the LibCST reader: the same facts, locators and spans."""

from __future__ import annotations

import ast
import dataclasses
import glob
import importlib.util
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import libcst
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alembic_lint import parse, positions
from alembic_lint.astread import read_migration_fast
from alembic_lint.model import Migration
from alembic_lint.rules import registry
from alembic_lint.source import DecodeProblem, decode, digest
from test_positions import TRICKY

ROOT = Path(__file__).resolve().parent.parent


def reference(path: str, data: bytes) -> Migration:
    """What the LibCST reader and the engine's span resolution make of ``data`` (the LibCST
    reader itself: parse.read_migration gives deep or large files to the ast reader)."""
    try:
        migration = parse.read_with_libcst(path, data)
    except libcst.ParserSyntaxError:
        migration = parse.read_migration(path, data)  # what the engine then reads
    return positions.with_spans(migration, data) or replace(
        migration, spans=parse.read_with_libcst(path, data, positions=True).spans
    )


def assert_same(data: bytes | str, path: str = "/versions/aaaaaaaaaaaa_x.py") -> Migration | None:
    """Every field of both readers' Migration is equal, ``spans``, ``locators`` and ``digest``
    included; their reprs too (so ``True`` is not ``1``, nor ``1.0``)."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    fast = read_migration_fast(path, data)
    try:
        ast.parse(decode(data).text)
    except (DecodeProblem, SyntaxError, ValueError):
        assert fast is None
        return None
    assert fast is not None
    if fast.spans is None:
        # Locators that CPython's ast cannot follow: the LibCST reader's facts have the
        # same problem, and the engine resolves both the same way (a LibCST re-read).
        assert fast.locators
        assert positions.with_spans(parse.read_migration(path, data), data) is None
        fast = parse.resolve_spans(fast, data)
    ref = reference(path, data)
    assert ref.syntax_error is None, ref.syntax_error  # ast accepts what LibCST accepts
    for field in dataclasses.fields(Migration):
        assert getattr(fast, field.name) == getattr(ref, field.name), field.name
    assert repr(fast) == repr(ref)
    assert fast.digest == digest(data)
    return fast


# --------------------------------------------------------------------------- corpora


FIXTURES = sorted(glob.glob(str(ROOT / "fixtures" / "**" / "*.py"), recursive=True))


def test_the_fixtures_are_all_there() -> None:
    assert len(FIXTURES) >= 117


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: str(Path(p).relative_to(ROOT)))
def test_fixture_files(path: str) -> None:
    assert_same(Path(path).read_bytes(), path)


EXAMPLE_SOURCES = {
    f"{rule.code}-{kind}-{index}-{file.filename}-{which}": file.source
    for rule in registry()
    for kind, examples in (("valid", rule.valid), ("invalid", rule.invalid))
    for index, example in enumerate(examples)
    for which, files in (("files", example.files), ("fixed", example.fixed))
    for file in files
}


@pytest.mark.parametrize("name", sorted(EXAMPLE_SOURCES))
def test_rule_example_files(name: str) -> None:
    assert_same(EXAMPLE_SOURCES[name])


@pytest.mark.parametrize("name", sorted(TRICKY))
def test_positions_tricky_sources(name: str) -> None:
    assert_same(TRICKY[name])


def test_benchmark_corpus(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location(
        "astread_bench_generate", ROOT / "bench" / "generate.py"
    )
    assert spec is not None and spec.loader is not None
    generate = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = generate  # dataclasses look their module up
    spec.loader.exec_module(generate)
    versions = generate.generate(tmp_path, 150, seed=3)
    files = sorted(versions.glob("*.py"))
    assert len(files) == 150
    ops = 0
    for file in files:
        migration = assert_same(file.read_bytes(), str(file))
        assert migration is not None and migration.revision.known
        ops += len(migration.ops)
    assert ops > 300


# --------------------------------------------------------------------------- edge cases

H = '"""Add things\n\nRevision ID: aaaaaaaaaaaa\nRevises: bbbbbbbbbbbb\n"""\n'
IMPORTS = "from alembic import op\nimport sqlalchemy as sa\n"

EDGES = {
    # Revision variables: literals, containers, unresolved values and their wording.
    "literals": IMPORTS + "revision = 'a'\ndown_revision = ('b', \"c\")\nbranch_labels = ['x']\n"
    "depends_on = {'d', 'e'}\n",
    "numbers-and-singletons": "revision = 1\ndown_revision = True\nbranch_labels = 1.5\n"
    "depends_on = None\n",
    "bytes-and-concatenation": "revision = b'ab'\ndown_revision = 'a' 'b'\n"
    "branch_labels = ('a' 'b', b'c')\ndepends_on = u'x'\n",
    "duplicates-in-a-set": "down_revision = {'a', 'a', 'b'}\ndepends_on = ('a', 'a')\n",
    "sets-in-source-order": "revision = {'r'}\ndown_revision = {'zz', 'a', 'zz', 'mm'}\n"
    "depends_on = {1, True, 1.0, 'x'}\nbranch_labels = {('a', 'b'), 'c', ('a', 'b')}\n",
    "unresolved-wording": "revision = -1\ndown_revision = PARENT\nbranch_labels = f'{x}'\n"
    "depends_on = x[0]\n",
    "unresolved-wording-2": "revision = a.b.c\ndown_revision = f()\nbranch_labels = 'a' + 'b'\n"
    "depends_on = {'a': 1}\n",
    "unresolved-wording-3": "revision = not x\ndown_revision = a or b\nbranch_labels = a < b\n"
    "depends_on = a if b else c\n",
    "unresolved-wording-4": "revision = lambda: 1\ndown_revision = [i for i in x]\n"
    "branch_labels = (x := 1)\ndepends_on = ...\n",
    "unresolved-wording-5": "revision = 1j\ndown_revision = ('a', *rest)\n"
    "branch_labels = {[1]}\ndepends_on = 'a' f'b'\n",
    "unresolved-wording-6": "revision = f().x\ndown_revision = {i for i in x}\n"
    "branch_labels = (i for i in x)\ndepends_on = {k: v for k, v in x}\n",
    "parenthesised": "revision = ('a')\ndown_revision = (('b'),)\nbranch_labels = ()\n"
    "depends_on = (None)\n",
    # Assignment forms.
    "annotated": "revision: str = 'a'\ndown_revision: str\nbranch_labels: tuple = ()\n"
    "depends_on = 'x'\n",
    "tuple-unpacking": "revision, down_revision = 'a', ('b', 'c')\n"
    "[branch_labels, depends_on] = [None, 'x']\n",
    "tuple-unpacking-unresolved": "revision, down_revision = f()\nbranch_labels, x = 1, 2, 3\n"
    "(depends_on, y), z = (1, 2), 3\n",
    "starred-unpacking": "revision, *down_revision = 'a', 'b'\nx, *branch_labels = 'c', *d\n",
    "starred-and-nested-targets": "*depends_on, revision = ['a', 'b']\n"
    "(down_revision, y), z = ('c', 1), 2\n[x, [branch_labels]] = 1, ['d']\n"
    "x.y, z[0], revision = 1, 2, 'e'\n",
    "chained": "revision = down_revision = 'a'\nbranch_labels = x, depends_on = (1, 2)\n"
    "revision = revision\n",
    "augmented-and-del": "revision = 'a'\nrevision += 'b'\ndown_revision = 'x'\ndel down_revision\n"
    "branch_labels = 'y'\ndel (branch_labels, x)\ndepends_on = 'z'\nx.depends_on += 1\n",
    "semicolons": "revision = 'a'; down_revision = None; branch_labels = ()  # trailing\n",
    "globals": "revision = 'a'\nglobals()['revision'] = 'b'\n",
    "setattr-and-vars": "revision = 'a'\nsetattr(sys.modules[__name__], 'revision', 'b')\n"
    "down_revision = 'c'\nvars().update(down_revision='d')\nx[globals()] = 1\n",
    "getattr-module": "revision = 'a'\ndef __getattr__(name):\n    return 'x'\n",
    "async-getattr": "async def __getattr__(name): pass\n",
    "defs-and-classes-rebind": "revision = 'a'\ndef revision(): pass\nclass down_revision: pass\n"
    "down_revision = 'b'\n",
    # Imports: the op names, the alembic package, stars, relative imports.
    "imports": "import revision\nimport a.down_revision\nimport x as branch_labels\n"
    "from . import depends_on\n",
    "imports-2": "revision = 'a'\nfrom .. import x as revision\nfrom .m import down_revision\n"
    "from a.b import branch_labels as y, depends_on\n",
    "star-import": "revision = 'a'\nfrom m import *\ndown_revision = 'b'\nfrom . import *\n",
    "op-alias": "from alembic import op as o\ndef upgrade():\n    o.drop_table('t')\n"
    "    op.drop_table('u')\n    x.drop_table('v')\n",
    "import-alembic-op-as": "import alembic.op as aop\ndef upgrade():\n    aop.drop_table('t')\n",
    "import-alembic": "import alembic\ndef upgrade():\n    alembic.op.drop_table('t')\n"
    "    alembic.drop_table('u')\n",
    "import-alembic-as": "import alembic as al\ndef upgrade():\n    al.op.drop_table('t')\n",
    "relative-alembic": "from .alembic import op as o\ndef upgrade():\n    o.drop_table('t')\n",
    "op-parameter": "from x import op as y\ndef upgrade(op):\n    op.drop_table('t')\n"
    "def downgrade(*, op):\n    op.drop_table('t')\ndef upgrade_data(op, /):\n    op.x()\n",
    "op-imported-inside": "def upgrade():\n    o.drop_table('a')\n    from alembic import op as o\n"
    "    o.drop_table('b')\ndef downgrade():\n    o.drop_table('c')\n",
    "op-imported-late": "def upgrade():\n    o.drop_table('a')\nfrom alembic import op as o\n",
    "op-imported-in-try": "try:\n    from alembic import op as o\nexcept ImportError:\n    pass\n"
    "def upgrade():\n    o.drop_table('a')\n",
    # Conditionals at module level.
    "type-checking": "import typing\nif typing.TYPE_CHECKING:\n    revision = 'x'\n"
    "else:\n    revision = 'y'\nif TYPE_CHECKING:\n    from alembic import op as o\n",
    "if-false-and-true": "if False:\n    revision = 'a'\nelif x:\n    revision = 'b'\n"
    "if True:\n    down_revision = 'c'\nelse:\n    down_revision = 'd'\n",
    "if-integers": "if 0:\n    revision = 'a'\nif 0x0:\n    down_revision = 'b'\nif 1:\n"
    "    branch_labels = 'c'\nif (0):\n    pass\nelse:\n    depends_on = 'd'\nif 00:\n    x = 1\n",
    "if-none-and-truthy-else": "if None:\n    pass\nelse: revision = 'a'\n"
    "if True: down_revision = 'b'\nif 1: branch_labels = 'c'; depends_on = 'd'\n",
    "one-line-blocks": "if True: revision = 'a'\nif False: pass\nelse: del revision\n"
    "if True: \\\n    down_revision = 'b'\n",
    "one-line-block-statements": "if True: revision = 'a'; down_revision = ('b', 'c')\n"
    "if 0: pass\nelse: branch_labels = {'x', 'y'}; x, depends_on = 1, 'z'\n"
    "if TYPE_CHECKING: revision = 'no'\nelif 1: import alembic; from alembic import op as o\n"
    "if None: pass\nelse: revision: str = 'r'; down_revision += 'x'; globals()\n"
    "def upgrade():\n    o.drop_table('t')\n",
    "one-line-block-def-after": "if True: revision = 'a'\ndef upgrade(): pass\n"
    "if False: pass\nelse: del revision; x = 1\n",
    "elif-chains": "if 0:\n    pass\nelif False:\n    pass\nelif True:\n    revision = 'a'\n"
    "else:\n    revision = 'b'\nif 0:\n    pass\nelse:\n    if True:\n"
    "        down_revision = 'c'\n",
    "compound-blocks": "try:\n    revision = 'a'\nexcept E as down_revision:\n    pass\n"
    "for branch_labels in []: pass\nwhile x:\n    depends_on = 1\n",
    "compound-few-names": "if x:\n    revision = 'a'\n    down_revision = 'b'\n"
    "with a as branch_labels, b as depends_on: pass\n",
    "compound-name-kinds": "if x:\n    y.revision = f(down_revision=1)\n"
    "    g(lambda branch_labels: 1)\n    global depends_on\n",
    "match-binds-and-defines": "match x:\n    case revision:\n        def upgrade(): pass\n",
    "match-block": "match x:\n    case {'a': revision, **down_revision}:\n        pass\n"
    "    case C(branch_labels=depends_on) | [*_, None]:\n        pass\n",
    "def-under-match": "match x:\n    case _:\n        def upgrade():\n"
    "            op.drop_table('t')\n",
    "try-star": "try:\n    revision = 'a'\nexcept* ValueError:\n    pass\n",
    "defs-under-blocks": "try:\n    def upgrade():\n        op.drop_table('a')\nexcept E:\n"
    "    def upgrade():\n        op.drop_table('b')\n    def downgrade(): pass\n"
    "with ctx():\n    def upgrade_extra(): op.drop_index('i')\n",
    "def-in-class-ignored": "class C:\n    def upgrade(self):\n        op.drop_table('a')\n",
    "async-defs": "async def upgrade():\n    await op.drop_table('a')\n"
    "async def downgrade(): pass\n",
    "redefined": "def upgrade():\n    op.drop_table('a')\ndef upgrade():\n    op.drop_table('b')\n",
    # Function bodies.
    "bodies": "def upgrade():\n    '''doc'''\n    ...\n    pass\n    # comment\n"
    "def downgrade():\n    raise NotImplementedError()\n",
    "bodies-2": "def upgrade():\n    'a' f'{b}'\ndef downgrade():\n    f'{b}'\n"
    "def upgrade_x(): b'x'; raise ValueError\ndef downgrade_y():\n    1\n",
    "bodies-3": "def upgrade():\n    None\ndef downgrade():\n    x = 1\n    raise Exception\n",
    "params": "def upgrade(a, b=1, *args, c, d=2, **kw): pass\ndef downgrade(x, /, y): pass\n",
    # Operation calls.
    "keywords": IMPORTS
    + "def upgrade():\n    op.drop_table('t', if_exists=True, schema=None, x=f(),\n"
    "        y=-1, z=[1, ('a', b)], w={1, 2}, v=1.5, u=b'x', t='a' 'b', s=f'{x}', **kw)\n",
    "execute-sql": IMPORTS
    + "from sqlalchemy import text\ndef upgrade():\n    op.execute('DROP a')\n"
    "    op.execute(text('DROP b'))\n    op.execute(sa.text('DROP' ' c'))\n"
    "    op.execute(b'DROP d')\n    op.execute(sqltext='DROP e')\n    op.execute(f'DROP {x}')\n"
    "    op.execute(sqlalchemy.sql.text(text='DROP f'))\n    op.execute(*args)\n"
    "    op.execute(x, 'DROP g')\n    op.execute(sql.text(*parts))\n    op.execute()\n",
    "batch": IMPORTS + "def upgrade():\n    with op.batch_alter_table('t') as b, other() as c:\n"
    "        b.drop_column('x')\n        c.drop_column('y')\n"
    "        with op.batch_alter_table('u', schema='s') as d:\n            d.drop_index('i')\n"
    "            b.alter_column('z', nullable=True)\n    b.drop_column('after')\n"
    "    with op.batch_alter_table('v'):\n        pass\n"
    "    with (op.batch_alter_table('w') as (e)):\n        e.drop_constraint('k')\n",
    "nested-calls": IMPORTS
    + "def upgrade():\n    op.create_table('t', sa.Column('a', sa.Integer(),\n"
    "        server_default=op.inline_literal('x')), op.inline_literal('y'),\n"
    "        sqlalchemy.Column(f(op.drop_index('i'))))\n"
    "    op.bulk_insert(t, [dict(a=h(), b=op.inline_literal('x'))])\n"
    "    x = [op.drop_index(i) for i in g()] or {k: op.f(k) for k in y}\n",
    "star-after-keyword": IMPORTS + "def upgrade():\n    op.drop_table(k=op.f('a'), *op.g('b'))\n"
    "    op.execute(x=1, *op.h())\n",
    "nested-defs-and-match": IMPORTS + "def upgrade():\n    op.drop_table('a')\n"
    "    def helper(x=op.f()):\n        op.drop_table('b')\n    @dec(op.g())\n"
    "    class K(Base, op.h(), metaclass=op.i()):\n        op.drop_table('c')\n"
    "    match op.j():\n        case 1 if op.k():\n            op.drop_table('d')\n"
    "    op.drop_table('e')\n",
    "blocks-in-functions": IMPORTS + "def upgrade():\n    if op.f():\n        op.drop_table('a')\n"
    "    elif x: op.drop_table('b')\n    else:\n        op.drop_table('c')\n"
    "    for i in op.g(): op.drop_table(i)\n    else:\n        op.h()\n"
    "    while op.w(): break\n    try:\n        op.drop_table('d')\n"
    "    except op.Error(e) as err:\n        op.drop_table('e')\n    else:\n        op.x()\n"
    "    finally:\n        op.y()\n    lambda: op.z()\n"
    "    op.drop_table('f'); op.drop_table('g')\n",
    "except-handler-order": IMPORTS + "def upgrade():\n    def inner():\n        try: pass\n"
    "        except op.a(): op.b()\n        except op.c(): op.d()\n",
    "dict-order": IMPORTS
    + "def upgrade():\n    def i():\n        x = {op.a(): op.b(), **op.c(), op.d(): 1}\n",
    "lambda-defaults": IMPORTS
    + "def upgrade():\n    def i(a=op.a(), /, b=op.b(), *c, d=op.d(), **e): pass\n"
    "    f = lambda p=op.p(), *, q=op.q(): op.r()\n",
    "decorated-nested": IMPORTS
    + "def upgrade():\n    @op.dec()\n    def i(x: op.ann() = op.dft()) -> op.ret():\n"
    "        op.body()\n",
    "one-line-function": IMPORTS + "def upgrade(): op.drop_table('a'); op.drop_table('b')\n"
    "def downgrade(): pass\n",
    "sqlalchemy-skip": IMPORTS
    + "def upgrade():\n    sa.Table('t', m, sa.Column('c', default=op.f()))\n"
    "    op.drop_table('x')\n    sqlalchemy.schema.Column(op.g())\n    sa(op.h())\n",
    # Operation arguments as written (model.Expr), which the schema model reads.
    "args-literals": IMPORTS + "def upgrade():\n"
    "    op.create_table('t', sa.Column('a', sa.Integer(), nullable=False, default=-1),\n"
    "        sa.Column('b', sa.Numeric(10, -2.5), server_default=sa.text('now()')),\n"
    "        sa.Column('c', sa.String(length=1_000), info={'k': 1}),\n"
    "        sa.PrimaryKeyConstraint('a', name=op.f('pk_t')), schema=None)\n",
    "args-strings": IMPORTS + "def upgrade():\n"
    "    op.create_index('ix' 'a', 't', [r'a\\b', 'c\\'d', \"\"\"e\nf\"\"\", b'g', u'h'])\n"
    "    op.execute(f'DROP {x}')\n"
    "    op.drop_table('''t''')\n",
    "args-crlf-string": IMPORTS.replace("\n", "\r\n")
    + "def upgrade():\r\n    op.execute('''ALTER TABLE t\r\n  ADD c INT''')\r\n",
    "args-opaque": IMPORTS + "def upgrade():\n"
    "    op.add_column(TABLE, col, *more, **kw)\n"
    "    op.create_table('t', *[sa.Column(n, sa.Integer()) for n in names])\n"
    "    op.alter_column('t', 'c', type_=sa.String().with_variant(sa.Text(), 'pg'))\n"
    "    op.drop_index(x[0], table_name=a if b else c)\n"
    "    op.create_index('i', 't', [sa.text('lower(x)'), ...], unique=-True)\n"
    "    op.bulk_insert(t, [{'a': 1j}, lambda: 2, -(1), - 1.5e3])\n",
    "args-deep": IMPORTS
    + "def upgrade():\n    op.execute("
    + "f(" * 40
    + ")" * 40
    + ")\n    op.create_table('t', "
    + "[" * 30
    + "]" * 30
    + ")\n",
    "args-batch": IMPORTS + "def upgrade():\n"
    "    with op.batch_alter_table('t', schema='s', recreate='always') as b, x() as y:\n"
    "        b.add_column(sa.Column('c', sa.Integer()))\n"
    "        with op.batch_alter_table(name) as b:\n"
    "            b.drop_column('d')\n"
    "        b.drop_column('e')\n",
    # Docstring header.
    "header-plain": H + IMPORTS + "revision = 'aaaaaaaaaaaa'\n",
    "header-variants": "r'''Café ☕ migration\n  Revision ID:  abc  \n\tRevises: d, e'''\n",
    "header-one-line": '"Revision ID: abc"\n',
    "header-revises-last": '"""Msg\nRevises: abc"""\nrevision = "x"\n',
    "header-prefix-only": '  \nu"""Revision ID: a\nRevision ID: b\nx Revises: c\n  Revises:"""\n',
    "header-concatenated": '"""Revision ID: a\n""" "more"\n',
    "header-parenthesised": '("""Msg\nRevision ID: a\n""")\n',
    "header-bytes": 'b"""Revision ID: a"""\n',
    "header-fstring": 'f"""Revision ID: {a}"""\n',
    "header-after-semicolon": '"""Revision ID: a"""; x = 1\n',
    "header-not-first": 'x = 1\n"""Revision ID: a"""\n',
    "header-escapes": '"""Quote \\"\\"\\" inside\nRevision ID: a\\tb\n"""\n',
    "header-empty": '""\nrevision = "a"\n',
    "header-empty-module": "",
    "header-comment-only": "# just a comment\n",
    # Line endings, non-ASCII columns, suppressions.
    "crlf": (
        H + IMPORTS + "revision = 'aaaaaaaaaaaa'\ndef upgrade():\n    op.drop_table('t')\n"
    ).replace("\n", "\r\n"),
    "crlf-docstring-last-line": '"""Msg\r\nRevises: a"""\r\nrevision = "é"\r\n',
    "non-ascii": '"""Ünïcødé — 迁移\n\nRevision ID: é1\n"""\n'
    "revision = 'é1'; down_revision = ('ü', 'ß')  # 注释\n"
    "def upgrade():\n    x = 'ä'; op.drop_table('ïx', schema='ß')\n",
    "noqa": IMPORTS + "revision = 'a'  # noqa: AL100\n# alembic-lint: file-ignore[AL201]\n"
    "def upgrade():\n    op.drop_table('t')  # NOQA\n    s = '# noqa'\n",
    "form-feed-and-tabs": "\x0crevision = 'a'\nif True:\n\tdown_revision = 'b'\n",
    "continuation": "revision = \\\n    'a'\ndef \\\n  upgrade():\n    op.drop_table('t')\n",
    "def-name-elsewhere": "def upgrade(\n):\n    op.drop_table('t')\n",
    # More shapes: old Mac and mixed line breaks, exotic calls, blocks in functions.
    "truthy-defs": "if True:\n    def upgrade():\n        op.drop_table('a')\nif 1:\n"
    "    revision = 'x'\n"
    "else:\n    revision = 'y'\n",
    "old-mac": "'''Msg\rRevision ID: a\rRevises: b\r'''\rrevision = 'a'\rdown_revision = None\r"
    "def upgrade():\r    op.drop_table('t')\r",
    "old-mac-2": "revision = 'a'\rif True: down_revision = 'b'\r",
    "mixed-newlines": "revision = 'a'\r\ndown_revision = ('b',\n 'c')\rdef upgrade():\r\n"
    "    op.drop_table('t')\n",
    "continuation-string": "revision = 'a' \\\n    'b'\ndown_revision = \\\n None\n",
    "decorated": "@dec\ndef upgrade():\n    op.drop_table('a')\n@dec(x)\n"
    "async def downgrade(): pass\n",
    "module-for-else": "for i in x:\n    pass\nelse:\n    revision = 'a'\nwhile 0:\n    pass\n"
    "else: down_revision = 'b'\n",
    "walrus-expr": "(revision := 'a')\nrevision\nglobal down_revision\n",
    "keyword-values": "def upgrade():\n"
    "    op.f(a=(), b=[], c={}, d=set(), e=(1,), f=-0.0, g=0.0, h=1e400, i=None, j=..., k=op)\n",
    "fstring-calls": 'def upgrade():\n    op.execute(f"{op.f()} {x:{op.g()}}")\n'
    "    op.h()[op.i()].j(op.k())\n",
    "unicode-ids": "révision = 'a'\nrevision = 'ü'\ndef upgrade():\n    op.drop_tablé('ä')\n"
    "    opé.x()\n",
    "tabs-gap": "if True:\t# c\n\trevision = 'a'\nif True:\t\\\n\tdown_revision = 'b'\n",
    "comment-lines": "if True:  # c\n    # c2\n\n    revision = 'a'\n",
    "paren-test": "if (True):\n    revision = 'a'\nif (\n    False\n):\n    pass\nelse:\n"
    "    down_revision = 'b'\nif not False:\n    branch_labels = 'c'\n",
    "backslash-test": "if \\\n True:\n    revision = 'a'\n",
    "doc-call": "'''Revision ID: a'''.strip()\n",
    "doc-after-comments": "# coding: utf-8\n\n# hi\n'''Msg\n   'Revision ID: abc\nRevises: \n'''\n",
    "doc-single-quotes": "'Revision ID: abc'\n",
    "doc-raw-escapes": "r'''Revision ID: a\\'''\nb'''\n",
    "doc-empty-lines": '"""\n\n\n   \nRevision ID: x"""\n',
    "bom-cookie": "\ufeff# -*- coding: utf-8 -*-\nrevision = 'é'\n",
    "nested-with-batch": "def upgrade():\n    with op.batch_alter_table('a') as b:\n"
    "        with b.x() as c, op.batch_alter_table('d') as e:\n"
    "            e.f(); c.g(); b.h()\n",
    "batch-from-alias": "from alembic import op as o\ndef upgrade(op):\n"
    "    with o.batch_alter_table('a') as b:\n        b.drop_column('x')\n"
    "    with op.batch_alter_table('a') as (c, d):\n        c.x()\n",
    "op-modules": "import alembic.op\nimport alembic.op as z\ndef upgrade():\n"
    "    alembic.op.drop_table('a')\n    z.drop_table('b')\n",
    "sa-nested": "def upgrade():\n"
    "    op.create_table('t', sa.Column('a', op.f()), sa.PrimaryKeyConstraint(op.g()), "
    "sa(op.h()), sa.x.y(op.i()))\n",
    "sql-variants": "def upgrade():\n    op.execute(('a'))\n    op.execute('a' 'b')\n"
    "    op.execute(u'x')\n"
    "    op.execute(r'\\d')\n    op.execute(text(sqltext='x'))\n"
    "    op.execute(sa.text(f'{x}'))\n    op.execute(sql.text(**k))\n"
    "    op.execute(x.text('a'))\n",
    # op.execute() of SQL built when it runs, and names known exactly (executed.py).
    "execute-built": "T = 'users'\nS = f'UPDATE {T} SET a = 1'\nfrom textwrap import dedent\n"
    "def upgrade():\n    op.execute(S)\n    op.execute(dedent(S + x))\n"
    "    t = sa.table(T)\n    op.execute(t.update().where(t.c.a == 1).values(a=2))\n"
    "    op.execute(sa.text('DELETE FROM %s' % T).bindparams())\n"
    "    op.execute('x {} {y}'.format(1, y=2))\n    op.execute(f'{T!r} {T:>3} {T!s}')\n"
    "    op.execute(textwrap.dedent(f'''\n        UPDATE {T}\n    '''))\n"
    "    op.add_column(T, sa.Column(C, sa.Integer(), server_default=D))\n"
    "    f = lambda T: op.drop_table(T)\n    [op.drop_table(T) for T in x]\n"
    "    def inner(C):\n        op.drop_column(T, C)\n    inner(1)\n"
    "    batch_op.execute(t.insert())\n"
    "C = 'c'\nD = 'd'\nD = 'e'\n",
    "execute-built-scopes": "global S\nS = 'DROP TABLE x'\ndef upgrade():\n"
    "    op.execute(S)\n    op.execute(U)\n    global U\n    U = 'x'\n"
    "def downgrade(S='a'):\n    op.execute(S)\n    op.execute(V)\n"
    "from m import *\nV = 'y'\n",
    "execute-batch": "def upgrade():\n    with op.batch_alter_table('t') as b:\n"
    "        b.execute('DROP x')\n",
    "exotic-op": "def upgrade():\n    op.drop_table\n    op()\n    op.a.b()\n    (op).c()\n"
    "    (op.d)()\n",
    "comprehension-scopes": "if x:\n    [revision for revision in y]\n",
    "lambda-scan": "if x:\n    f = lambda revision=None, *down_revision, branch_labels, "
    "**depends_on: 0\n",
    "global-in-block": "if x:\n    global revision, down_revision\n",
    "try-else-finally": "try:\n    pass\nexcept (A, B) as e:\n    pass\nelse:\n"
    "    revision = 'a'\nfinally:\n"
    "    down_revision = 'b'\n",
    "class-kw": "if x:\n    class C(revision=1): pass\n    def down_revision(): pass\n",
    "deeper": "if x:\n    if y:\n        def upgrade():\n            op.drop_table('a')\n"
    "    else:\n"
    "        def downgrade(): raise NotImplementedError\n",
    "getattr-in-block": "if x:\n    def __getattr__(n): pass\nrevision = 'a'\n",
    "upgrade-var": "upgrade = 1\ndef downgrade(): pass\n",
    "only-docstring": '"""Just a message"""',
    "empty": "",
    "whitespace-only": "\n\n   \n",
    "no-trailing-newline": "revision = 'a'",
    "import-star-inside": "def upgrade():\n    from alembic import *\n    op.x()\n",
    "async-with": "async def upgrade():\n    async with op.batch_alter_table('a') as b:\n"
    "        b.x()\n"
    "    async for i in op.y(): op.z()\n",
    "match-func": "def upgrade():\n    match op.a():\n        case {'k': 1, "
    "**r} if op.b(): op.c()\n"
    "        case C(1, k=op.d) | [1, *_]: pass\n    op.e()\n",
    "try-star-func": "def upgrade():\n    try:\n        op.a()\n    except* E as e:\n"
    "        op.b()\n",
    "annotation-order": "def upgrade():\n    x: op.a() = op.b()\n    y: int\n",
    "class-body-calls": "def upgrade():\n    class A(op.base()):\n        x = op.f()\n    op.g()\n",
    "starred-call": "def upgrade():\n    op.f(*op.a(), **op.b())\n"
    "    op.g(op.c(), *op.d(), k=op.e(), *op.f2(), **op.h())\n",
    "multiline-call": "def upgrade():\n    op.f(\n        k=op.a(),\n        *op.b(),\n    )\n",
    # Module-level functions called from the entry points (helpers).
    "helpers-nested": "def upgrade():\n    a()\ndef a():\n    op.x()\n    b()\n    op.y()\n"
    "def b():\n    op.drop_table('t')\ndef downgrade():\n    b()\n    a()\n",
    "helpers-recursive": "def upgrade():\n    h(3)\ndef h(n):\n    if n:\n"
    "        op.drop_index('i')\n        h(n - 1)\n",
    "helpers-mutual": "def upgrade(): a()\ndef a(): op.x(); b()\ndef b(): op.y(); a()\n"
    "def downgrade(): b()\n",
    "helpers-in-arguments": "def upgrade():\n    a(b(op.f()), k=c())\ndef a(*x, **k): op.a()\n"
    "def b(x): op.b()\ndef c(): op.c()\n",
    "helpers-in-blocks": "def upgrade():\n    for t in x:\n        a(t)\n    if y:\n        b()\n"
    "    else:\n        pass\n    with op.batch_alter_table('t') as bo:\n        c(bo)\n"
    "    try:\n        d()\n    except E:\n        a(0)\n    while z: [e() for _ in y]\n"
    "def a(t): op.drop_table(t)\ndef b(): op.drop_index('i')\n"
    "def c(bo): bo.drop_column('c')\n"
    "def d():\n    with op.batch_alter_table('u') as b2:\n        b2.drop_column('d')\n"
    "def e(): op.e()\n",
    "helpers-op-parameter": "from alembic import op as o\ndef upgrade():\n    a(o)\n    b(op=o)\n"
    "def a(op): op.drop_table('a')\ndef b(*, op): op.drop_table('b')\n"
    "def c(): from alembic import op as q; q.drop_table('c')\ndef downgrade(): c()\n",
    "helpers-defined-twice": "def upgrade():\n    a()\ndef a(): op.drop_table('first')\n"
    "def a(): op.drop_table('second')\n",
    "helpers-rebound": "def upgrade():\n    a(); b(); c(); d(); e(); f(); g(); h()\n"
    "def a(): op.a()\na = 1\ndef b(): op.b()\nimport b\ndef c(): op.c()\nfrom m import c\n"
    "def d(): op.d()\nclass d: pass\ndef e(): op.e()\ndel e\ndef f(): op.f()\nf += 1\n"
    "def g(): op.g()\ng: int\ndef h(): op.h()\nx, (h, y) = 1, (2, 3)\n",
    "helpers-rebound-then-defined": "a = 1\ndef a(): op.a()\ndef upgrade(): a()\n"
    "if True: b = 2\nif x: b = 3\ndef b(): op.b()\nif x:\n    b = 4\ndef downgrade(): b()\n",
    "helpers-shadowed-locally": "def a(): op.a()\ndef b(): op.b()\ndef c(): op.c()\n"
    "def d(): op.d()\ndef e(): op.e()\ndef f(): op.f()\ndef g(): op.g()\n"
    "def upgrade(x, *b, c=1, **d):\n    a(); b(); c(); d(); e(); f(); g()\n"
    "    a = 1\n    for e in y: pass\n    import f.z\n    def g(): pass\n"
    "def downgrade():\n    a(); b(); c(); d(); e(); f()\n    with x as (a, [b]): pass\n"
    "    try: pass\n    except E as c: pass\n    (d := 1)\n    [e for e in y]\n"
    "    match x:\n        case {'k': f}: pass\n",
    "helpers-shadowed-more": "def a(): op.a()\ndef b(): op.b()\ndef c(): op.c()\n"
    "def d(): op.d()\ndef upgrade():\n    global a\n    a = 1\n    a(); b(); c(); d()\n"
    "    lambda b: b\n    [d for c in y if (d := c)]\n    class b: pass\n"
    "def downgrade():\n    a(); b(); c()\n    match x:\n        case [*a, b] | {**c}: pass\n"
    "    del b\n",
    # Calls the readers do not follow, recorded for the schema model (model.UNFOLLOWED).
    "unfollowed-imports": "from . import helpers\nfrom .util import add_audit as aa\n"
    "import app.migrate\nfrom sqlalchemy import text\nimport os, json\n"
    "def upgrade():\n    helpers.drop_it('t')\n    aa(op, 't')\n    app.migrate.run()\n"
    "    os.getenv('X'); json.dumps({}); print(text('x')); Model(x=1)\n"
    "    from .more import later\n    later()\n    op.add_column('t', sa.Column('c', T()))\n"
    "    op.alter_column('t', 'c', type_=aa(1))\n"
    "def downgrade():\n    helpers = {}\n    helpers.get('x')\n    exec('1')\n",
    "unfollowed-effects": "from app import helpers, config\ndef upgrade():\n"
    "    x = helpers.value(); helpers.effect(); (yield helpers.y())\n"
    "    with helpers.ctx(), open(f): pass\n    if config('A'): print(config('B'))\n"
    "    for r in conn.execute(q): conn.execute(q2)\n    rows = conn.execute(q).fetchall()\n"
    "async def downgrade():\n    await helpers.later(); await conn.execute(q)\n",
    "deferred-operations": "def upgrade():\n    def inner():\n        op.a()\n"
    "    f = lambda: op.b()\n    [op.c() for _ in x]\n    {k: op.d() for k in x}\n"
    "    g = (h() for _ in x)\n    op.e()\n    class K:\n        op.f2()\n"
    "def h(): op.g()\n",
    "unfollowed-connection": "def upgrade():\n    conn = op.get_bind()\n"
    "    conn.execute(sa.text('ALTER TABLE t ADD COLUMN c INTEGER'))\n"
    "    op.get_bind().execute(f'DROP TABLE {name}')\n"
    "    op.get_context().connection.exec_driver_sql('UPDATE t SET c = 1')\n"
    "    if x:\n        session.execute(t.update().values(c=helpers.value()))\n"
    "    sa.Table('t', meta).create(conn); meta.create_all(conn)\n"
    "    postgresql.ENUM('a', name='e').create(conn); my_enum.drop(conn)\n"
    "    Token.create(name='x'); Token.create(**kw); ix.create(bind=conn); t.drop(*a)\n",
    "unfollowed-helpers": "import contextlib\nfrom .deco import wrap\nfrom x import *\n"
    "def upgrade():\n    a(); b(); c(op); d(op); getattr(op, 'drop_table')('t'); e()\n"
    "@wrap\ndef a(): op.drop_table('a')\n@contextlib.contextmanager\ndef b(): op.x()\n"
    "def c(o): o.drop_table('c')\ndef d(op): op.drop_table('d')\n"
    "def downgrade():\n    c(*[op]); d(o=op); f(1, op=op); g(x, **{'o': op}); h([op], op)\n"
    "    o2 = op\n    o2.drop_table('e'); helpers.run(o=(op,))\n"
    "def f(a, op): op.drop_table('f')\ndef g(a, *, o): o.drop_table('g')\n"
    "def h(a, b): b.drop_table('h')\n",
    # `op` or a batch used other than by calling methods (flow.ModuleScope.escapes), and
    # names that reach operations from elsewhere (flow.ModuleScope._origin).
    "unfollowed-escapes": "import functools, importlib\nfrom alembic.op import drop_column\n"
    "from .util import Dropper\nimport helpers\nalias = helpers.run\n"
    "mod = importlib.import_module('m')\nfrom flask_sqlalchemy import SQLAlchemy\n"
    "db = SQLAlchemy()\n"
    "class Local:\n    def run(self): op.drop_table('l')\n"
    "def upgrade():\n    fn = op.drop_table\n    fn('t')\n"
    "    functools.partial(op.drop_table, 't')()\n    with op.batch_alter_table('t') as b:\n"
    "        _batch(b)\n    Local().run(); drop_column('t', 'c'); alias(); mod.f()\n"
    "    d = Dropper(); d.run(); Dropper('x').go(); Dropper()\n"
    "    types = sa.Table('t', meta)\n    types.drop(conn); my_enum.create(conn)\n"
    "    db.session.commit()\n"
    "def _batch(b, o=op): b.drop_column('c')\n"
    "def downgrade():\n    batch = op.batch_alter_table('t')\n    with batch as b2:\n"
    "        b2.drop_column('c')\n    x = {'d': op.drop_table}\n",
    "helpers-role-named": "def upgrade():\n    upgrade_data()\n    downgrade_x()\n"
    "def upgrade_data(): op.a()\ndef downgrade_x(): op.b()\n",
    "helpers-under-blocks": "try:\n    from m import a\nexcept ImportError:\n"
    "    def a(): op.a()\nif x:\n    def b(): op.b()\nelse:\n    def b(): op.c()\n"
    "def upgrade(): a(); b()\n",
    "helpers-under-match": "match x:\n    case _:\n        def h():\n"
    "            op.drop_table('t')\n"
    "def upgrade():\n    h()\n",
    "helpers-async-decorated-classes": "async def a(): op.a()\n@dec\ndef b(): op.b()\n"
    "class C:\n    def m(self): op.m()\ndef upgrade():\n    a(); b(); C().m(); C.m(); x.b()\n",
    "helpers-in-nested-def": "def upgrade():\n    def inner():\n        a()\n    inner()\n"
    "def a(): op.a()\n",
    "helpers-sqlalchemy-arguments": "def upgrade():\n    op.create_table('t', sa.Column('c', "
    "default=a()))\n    sa.Column(a())\ndef a(): op.a()\n",
    # What a body amounts to through helpers.
    "bodies-through-helpers": "def upgrade(): a()\ndef downgrade():\n    '''doc'''\n    b(); a()\n"
    "def a(): pass\ndef b():\n    a()\n    raise NotImplementedError\n",
    "bodies-through-recursion": "def upgrade(): a()\ndef downgrade(): b(1)\ndef a(): a()\n"
    "def b(x): c()\ndef c(): b(2)\n",
    "bodies-not-helpers": "def upgrade(): x = a()\ndef downgrade(): a(); m.a(); a\ndef a(): pass\n",
    "bodies-shadowed": "def upgrade():\n    a = b\n    a()\ndef downgrade(a): a()\ndef a(): pass\n",
    # Guards: conditions an operation runs under.
    "guards-existence": "def upgrade():\n    if 'ix' in existing:\n        op.drop_index('ix')\n"
    "    if inspector.has_table('t'):\n        op.drop_table('t', schema='s')\n"
    "    if table_exists(t) and 'c' in cols:\n        op.drop_column(t, 'c')\n"
    "    if x.name in names:\n        op.drop_index(x.name, table_name=x.table)\n",
    "guards-negations": "def upgrade():\n    if 'a' not in x:\n        op.a('a')\n    else:\n"
    "        op.b('a')\n    if not has_index(i):\n        pass\n    elif y:\n        op.c(i)\n"
    "    if not ('a' in x and 'b' in y):\n        op.d('a')\n    else:\n        op.e('b')\n"
    "    if not (not 'a' in x or 'b' not in y): op.f('a', 'b')\n",
    "guards-early-exits": "def upgrade():\n    for n in ns:\n        if n not in x:\n"
    "            continue\n        op.a(n)\n        if has_t(n): break\n        op.b(n)\n"
    "    if 'a' in x:\n        return\n    else:\n        pass\n    op.c('a')\n"
    "    if not exists('b'):\n        raise E\n    with op.batch_alter_table('t') as b:\n"
    "        b.drop_column('b')\n",
    "guards-try-and-suppress": "def upgrade():\n    try:\n        op.a()\n    except Exception:\n"
    "        pass\n    try:\n        op.b()\n    except KeyError:\n        pass\n    try:\n"
    "        op.c()\n    except:\n        raise\n    try:\n        op.d()\n"
    "    except (E, ValueError) as e:\n        log(e)\n    except Exception:\n        raise\n"
    "    else:\n        op.e()\n    finally:\n        op.f()\n"
    "    with contextlib.suppress(Exception), op.batch_alter_table('t') as b:\n"
    "        b.drop_column('c')\n    with suppress(KeyError):\n        op.g()\n"
    "    with suppress():\n        op.h()\n    try:\n        op.i()\n"
    "    except* E:\n        pass\n",
    "guards-mentions": "def upgrade():\n    if f'{a}' in x: op.a(a)\n"
    "    if 'a' 'b' in x: op.b('ab')\n"
    "    if has_t(b'x', k='y', *z): op.c('y', 'x')\n    if has_t(t.u, None): op.d(t.u, *v, t.u)\n"
    "    if [c['n'] for c in y] in z: op.e(c, 'n', k='n', **w)\n"
    "    if 'u' in [c['n'] for c in i.get_columns('t')]: op.f('t', 'u', k='t')\n",
    "guards-not-guards": "def upgrade():\n    if context.is_offline_mode():\n        op.a('x')\n"
    "    if table_not_exists('t'): op.b('t')\n    if a < b in c: op.c(a)\n"
    "    if x in y == z: op.d(x)\n    while 'a' in x: op.e('a')\n    if 'a' in x or b: op.f('a')\n"
    "    if has_(t): op.g(t)\n    if (lambda: 1)(): op.h()\n",
    "guards-nested-scopes": "if 'a' in x:\n    def upgrade():\n        op.a('a')\n"
    "def downgrade():\n    if 'b' in x:\n        def inner():\n            op.b('b')\n"
    "        class K:\n            op.c('b')\n        match y:\n            case 1:\n"
    "                op.d('b')\n        h('b')\ndef h(n):\n    if has(n):\n        op.e(n)\n"
    "    op.f(n)\n",
    "guards-helpers-shared": "def upgrade():\n    if 'a' in x:\n        h()\ndef downgrade():\n"
    "    h()\ndef h():\n    if index_exists('i'):\n        op.drop_index('i')\n"
    "    op.drop_table('t')\n",
    "guards-listed": "def upgrade():\n    i = sa.inspect(op.get_bind())\n"
    "    for ix in i.get_indexes('t'):\n        op.drop_index(op.f(ix['name']), ix.t, k=ix)\n"
    "    fks = i.get_foreign_keys('t')\n    for a, (b, c) in fks:\n        op.x(a, b['n'], c[0])\n"
    "    for n in (n for n in fks if n):\n        m = n.name\n        op.y(m, name=n)\n"
    "    for t in get_table_names():\n        op.z(t + 'x', t[:1], f(t))\n"
    "    fks = 1\n    for q in fks:\n        op.w(q)\n    async def inner():\n"
    "        async for r in i.get_columns('t'):\n            op.v(r)\n",
    "guards-one-line-and-semicolons": "def upgrade():\n    if 'a' in x: op.a('a'); op.b('a')\n"
    "    if 'b' not in x: return\n    op.c('b'); op.d('b')\n",
    # Dialect evidence (Migration.dialects): imports at module level and in functions,
    # dialect keywords of operations; look-alikes that are not evidence.
    "dialect-imports": "from sqlalchemy.dialects import postgresql, mysql as my\n"
    "import sqlalchemy.dialects.sqlite\nimport sqlalchemy.dialects.oracle.base as ora\n"
    "from sqlalchemy.dialects.mssql.base import BIT\nfrom sqlalchemy.dialects import *\n"
    "from .sqlalchemy.dialects import postgres\nfrom sqlalchemy import dialects\n"
    "if TYPE_CHECKING:\n    from sqlalchemy.dialects import mysql\n",
    "dialect-imports-in-functions": "def upgrade():\n"
    "    from sqlalchemy.dialects.postgresql import JSONB\n"
    "    import sqlalchemy.dialects.mysql\n"
    "    def inner():\n        from sqlalchemy.dialects.sqlite import JSON\n"
    "def helper():\n    from sqlalchemy.dialects import oracle\n",
    "dialect-keywords": "def upgrade():\n"
    "    op.create_table('t', sa.Column('id', sa.Integer, sqlite_on_conflict='x'),"
    " mysql_engine='InnoDB', sqlite=True)\n"
    "    with op.batch_alter_table('t') as b:\n"
    "        b.create_index('i', ['c'], mariadb_length=3)\n"
    "def downgrade():\n    op.create_index('i', 't', ['c'], postgresql_using='gin', **kw)\n"
    "    other.create_index('i', mssql_clustered=True)\n",
}


def test_files_naming_a_dialect_carry_its_marks() -> None:
    """reading.may_name_dialect lets the engine skip parsing files early when it finds the
    dialect: it must say True of every file whose facts name one."""
    from alembic_lint.reading import may_name_dialect

    named = 0
    for source in [*EDGES.values(), *EXAMPLE_SOURCES.values()]:
        data = source.encode("utf-8")
        migration = read_migration_fast("/v/a.py", data)
        if migration is not None and migration.dialects:
            named += 1
            assert may_name_dialect(data), source
    assert named >= 3
    assert not may_name_dialect(EDGES["literals"].encode())
    assert may_name_dialect("revision = 'é'\n".encode())  # non-ASCII: identifiers fold


def test_there_are_enough_edge_cases() -> None:
    assert len(EDGES) >= 25


@pytest.mark.parametrize("name", sorted(EDGES))
def test_edge_cases(name: str) -> None:
    assert_same(EDGES[name])


@pytest.mark.parametrize("name", ["crlf", "non-ascii", "noqa", "batch", "keywords"])
def test_edge_cases_as_other_encodings(name: str) -> None:
    text = EDGES[name]
    assert_same(b"\xef\xbb\xbf" + text.encode("utf-8"))
    latin = "# -*- coding: latin-1 -*-\n" + text
    if all(ord(c) < 256 for c in latin):
        assert_same(latin.encode("latin-1"))


def test_facts_read_as_the_linter_needs_them() -> None:
    """A spot check that agreement is not agreement on nothing."""
    fast = assert_same(EDGES["batch"])
    assert fast is not None
    assert [(c.name, c.batch) for c in fast.ops] == [
        ("batch_alter_table", False),
        ("drop_column", True),
        ("batch_alter_table", False),
        ("drop_index", True),
        ("alter_column", True),
        ("batch_alter_table", False),
        ("batch_alter_table", False),
        ("drop_constraint", True),
    ]
    fast = assert_same(EDGES["execute-sql"])
    assert fast is not None
    assert [c.sql for c in fast.ops] == [
        *("DROP a", "DROP b", "DROP c", None, "DROP e", None, "DROP f", None, None, None, None),
    ]
    assert fast.spans is not None and fast.span(fast.ops[0].ref).line == 5
    # Names are interned as the LibCST reader's are: thousands of files share them.
    fast = assert_same(EDGES["keywords"])
    assert fast is not None and fast.ops
    call = fast.ops[0]
    assert call.name is sys.intern("drop_table")
    assert all(key is sys.intern(key) for key, _ in call.keywords)
    assert call.keyword("x") is ... and call.keyword("y") is ... and call.star_kwargs
    fast = assert_same(EDGES["helpers-nested"])
    assert fast is not None
    assert [(c.name, c.function, c.via) for c in fast.ops] == [
        ("x", "upgrade", ("a",)),
        ("drop_table", "upgrade", ("a", "b")),
        ("y", "upgrade", ("a",)),
        ("drop_table", "downgrade", ("b",)),
        ("x", "downgrade", ("a",)),
        ("y", "downgrade", ("a",)),
    ]
    fast = assert_same(EDGES["helpers-shadowed-locally"])
    assert fast is not None
    # Only `e` is not bound where it is called: a comprehension's target is its own. The
    # `f` upgrade() imports (`import f.z`) is called: code the readers do not follow.
    assert [(c.name, c.function) for c in fast.ops] == [("<call>", "upgrade"), ("e", "downgrade")]
    assert fast.ops[0].args == ("f", "a function from another module (`f`)")
    fast = assert_same(EDGES["deferred-operations"])
    assert fast is not None
    assert [(c.name, [g.kind.value for g in c.guards]) for c in fast.ops] == [
        *[(name, ["condition"]) for name in ("a", "b", "c", "d", "g")],
        ("e", []),
        ("f2", ["condition"]),
    ]
    fast = assert_same(EDGES["unfollowed-connection"])
    assert fast is not None
    assert [(c.name, c.args[:1], c.sql) for c in fast.ops if c.name.startswith("<")] == [
        ("<execute>", ("conn.execute",), "ALTER TABLE t ADD COLUMN c INTEGER"),
        ("<execute>", ("op.get_bind(...).execute",), None),
        ("<execute>", ("exec_driver_sql",), "UPDATE t SET c = 1"),
        ("<execute>", ("session.execute",), None),
        ("<call>", ("sa.Table(...).create",), None),
        ("<call>", ("meta.create_all",), None),
        ("<call>", ("ix.create",), None),
        ("<call>", ("t.drop",), None),
    ]
    fast = assert_same(EDGES["unfollowed-escapes"])
    assert fast is not None
    # One escape per function walked (the first found), here upgrade() and _batch().
    assert [(c.args, c.via) for c in fast.ops if c.name == "<call>"] == [
        (("op", "`op` used in a way the model does not follow"), ()),
        (("op", "`op` used in a way the model does not follow"), ("_batch",)),
        (("Local(...).run", "a class whose code uses `op`"), ()),
        (("drop_column", "an operation the model does not read"), ()),
        (("alias", "a function from another module (`helpers.run`)"), ()),
        (("mod.f", "code that only running it would tell"), ()),
        (("d.run", "an object from another module (`.util.Dropper.run`)"), ()),
        (("Dropper(...).go", "an object from another module (`.util.Dropper.go`)"), ()),
        (("types.drop", "SQLAlchemy creating or dropping a schema object itself"), ()),
        (("op", "a batch the model does not follow (not bound by `with ... as`)"), ()),
    ]
    fast = assert_same(EDGES["guards-existence"])
    assert fast is not None
    assert [[(g.kind.value, g.arguments) for g in c.guards] for c in fast.ops] == [
        [("exists", (0,))],
        [("exists", (0,))],
        [("exists", (0,)), ("exists", (1,))],
        [("exists", (0,))],
    ]


def test_locators_ast_cannot_follow_leave_spans_for_later() -> None:
    fast = read_migration_fast("/v/x.py", EDGES["def-under-match"].encode())
    assert fast is not None and fast.spans is None
    assert fast.function("upgrade") is not None


def test_a_file_only_ast_accepts_gives_facts() -> None:
    """LibCST 1.x rejects a parenthesised annotated target (valid Python, which Alembic
    loads): both readers then give CPython's facts, so cold and warm runs agree."""
    import libcst

    data = b"revision = 'a'\n(x): int = 1\n"
    with pytest.raises(libcst.ParserSyntaxError):
        libcst.parse_module(data)
    fast = read_migration_fast("/v/x.py", data)
    assert (
        fast is not None
        and fast.revision.value == "a"
        and tuple(fast.spans or ()) == (1, 1, 1, 15, 1, 12, 1, 15)
    )
    assert parse.read_migration("/v/x.py", data) == fast


UNPARSABLE = {
    "python2-print": "revision = 'a'\nprint 'x'\n",
    "unclosed": "revision = ('a',\n",
    "bad-indent": "def upgrade():\nop.drop_table('t')\n",
    "null-byte": "revision = 'a'\x00\n",
    "bad-cookie": "# coding: nonsense\nrevision = 'a'\n",
}


@pytest.mark.parametrize("name", sorted(UNPARSABLE))
def test_files_ast_cannot_parse_give_none(name: str) -> None:
    assert read_migration_fast("/v/x.py", UNPARSABLE[name].encode()) is None
    assert parse.read_migration("/v/x.py", UNPARSABLE[name].encode()).syntax_error is not None


def test_bytes_that_do_not_decode_give_none() -> None:
    assert read_migration_fast("/v/x.py", b"revision = '\xff'\n") is None


def test_deep_nesting_gives_none_or_the_same_facts() -> None:
    assert_same("revision = " + "(" * 150 + "'a'" + ")" * 150 + "\n")
    assert read_migration_fast("/v/x.py", b"x = " + b"-" * 100_000 + b"1\n") is None


@pytest.mark.parametrize(
    "body",
    [
        " + ".join(["1"] * 600),
        "-" * 600 + "1",
        "op.execute(\n" + "".join(f"        'line {i} '\n" for i in range(1500)) + "    )",
    ],
    ids=["chain", "unary", "implicit-concatenation"],
)
def test_deep_expressions_in_functions(body: str) -> None:
    """Deeper than the LibCST reader's recursion could go (it no longer recurses there), not
    too deep for the ast reader's: both must read them, the same way."""
    source = f"revision = 'a'\ndef upgrade():\n    x = {body}\n    op.drop_table('t')\n"
    fast = assert_same(source)
    assert fast is not None and fast.ops[-1].name == "drop_table"


def test_deeper_than_libcst_reads_is_read_from_the_ast() -> None:
    """A file that Python compiles but that is deeper than LibCST is given (its time grows
    with the square of the depth): both entry points give the ast reader's facts."""
    data = b"revision = 'a'\ndepends_on = a" + b".b" * 1500 + b"\n"
    fast = read_migration_fast("/v/x.py", data)
    assert fast is not None and fast.revision.value == "a"
    assert parse.read_migration("/v/x.py", data) == fast


def test_reading_never_imports_libcst() -> None:
    code = (
        "import sys\n"
        "from alembic_lint.astread import read_migration_fast\n"
        f"data = {EDGES['batch']!r}.encode()\n"
        "m = read_migration_fast('/v/x.py', data)\n"
        "assert m is not None and m.spans and m.ops\n"
        "m = read_migration_fast('/v/y.py', b'print \"py2\"\\n')\n"
        "assert m is None\n"
        "print(sorted(n for n in sys.modules if n.split('.')[0] == 'libcst'))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, cwd=ROOT
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


SEED_PROBE = """
import hashlib, itertools
from alembic_lint import parse, positions
from alembic_lint.astread import read_migration_fast
names = ["revision", "down_revision", "branch_labels", "depends_on"]
sources = []
for a, b in itertools.permutations(names, 2):
    sources += [
        f"if x:\\n    {a} = 1\\n    {b} = 2\\n",
        f"if x: {a} = {b}\\n",
        f"for {a} in {b}: pass\\n",
        f"try:\\n    {a}.{b}\\nexcept: pass\\n",
        f"with {a} as {b}: pass\\n",
        f"{a} = {{'dd', 'eee', 'f'}}\\n{b} = {{'x', 'yy', 'x', 'zzz'}}\\n",
    ]
for a, b, c in itertools.permutations(names, 3):
    sources.append(f"if {a}: {b}, {c} = 1, 2\\n")
def plain(value):
    # A frozenset's repr follows the hash seed; the value does not.
    return sorted(map(repr, value)) if isinstance(value, frozenset) else value
differ = 0
facts = hashlib.sha256()
for source in sources:
    data = source.encode()
    ref = positions.with_spans(parse.read_migration("/v/x.py", data), data)
    fast = read_migration_fast("/v/x.py", data)
    differ += repr(fast) != repr(ref)
    bindings = (ref.revision, ref.down_revision, ref.branch_labels, ref.depends_on)
    for b in bindings:
        elements = [(plain(e.value), e.ref) for e in b.elements]
        facts.update(repr((b.status, b.reason, b.ref, plain(b.value), elements)).encode())
    facts.update(repr((ref.locators, ref.spans)).encode())
print(len(sources), differ, facts.hexdigest())
"""


def test_facts_are_the_same_under_other_hash_seeds() -> None:
    """Blocks rebinding two revision variables and sets of ids: the order of their refs
    (and so their locators and spans) must not follow a set's iteration order, which the
    hash seed changes; and the two readers agree under every seed."""
    outputs = set()
    for seed in ("1", "2", "3", "4"):
        proc = subprocess.run(
            [sys.executable, "-c", SEED_PROBE],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        count, differ, _ = proc.stdout.split()
        assert (count, differ) == ("96", "0")
        outputs.add(proc.stdout)
    assert len(outputs) == 1


# --------------------------------------------------------------------------- generated

VAR = st.sampled_from(["revision", "down_revision", "branch_labels", "depends_on"])
NAME = VAR | st.sampled_from(["x", "op", "o", "sa"])
ID = st.text(alphabet="abcdef0123456789é_", max_size=6)
STRING = st.one_of(
    ID.map(repr),
    ID.map(lambda s: f'"{s}"'),
    ID.map(lambda s: f"r'{s}'"),
    ID.map(lambda s: f"u'{s}'"),
    ID.map(lambda s: f"b'{s.replace('é', 'e')}'"),
    st.tuples(ID, ID).map(lambda p: f"'{p[0]}' \"{p[1]}\""),
    ID.map(lambda s: f"'''{s}'''"),
)
SCALAR = STRING | st.sampled_from(["None", "True", "False", "0", "12", "1.5", "0x1f", "-1", "1j"])
NONLITERAL = st.sampled_from(
    [
        *("PARENT", "a.b", "f()", "x + 'y'", "f'{x}'", "x[0]", "{'a': 1}", "(y := 1)", "..."),
        *("lambda: 1", "a if b else c", "not x", "[i for i in y]", "a or b", "a < b", "f().g"),
    ]
)


@st.composite
def containers(draw: st.DrawFn) -> str:
    items = draw(st.lists(SCALAR | NONLITERAL.filter(lambda s: s == "PARENT"), max_size=3))
    if draw(st.booleans()) and items:
        items[-1] = "*" + draw(st.sampled_from(["x", "(1, 2)"]))
    body = ", ".join(items)
    opening, closing = draw(st.sampled_from(["()", "[]", "{}"]))
    if opening == "{" and not items:
        return "set()"
    single = len(items) == 1 and opening == "("
    comma = "," if single or (items and draw(st.booleans())) else ""
    return f"{opening}{body}{comma}{closing}"


VALUE = SCALAR | NONLITERAL | containers()


@st.composite
def module_statement(draw: st.DrawFn) -> list[str]:
    var, other, value = draw(VAR), draw(NAME), draw(VALUE)
    kind = draw(st.integers(0, 19))
    if kind < 6:
        return [f"{var} = {value}"]
    if kind == 6:
        return [f"{var}: str = {value}" if draw(st.booleans()) else f"{var}: str"]
    if kind == 7:
        star = "*" if draw(st.booleans()) else ""
        return [f"{var}, {star}{other} = {value}, {draw(VALUE)}"]
    if kind == 8:
        return [f"[{var}, {other}] = {value}"]
    if kind == 9:
        return [f"{var} = {other} = {value}"]
    if kind == 10:
        return [draw(st.sampled_from([f"{var} += 'x'", f"del {var}", f"del {var}, {other}"]))]
    if kind == 11:
        return [
            draw(
                st.sampled_from(
                    [
                        f"globals()['{var}'] = {value}",
                        "setattr(sys.modules[__name__], 'x', 1)",
                        "vars().update(a=1)",
                        "globals().update(revision='x')",
                    ]
                )
            )
        ]
    if kind == 12:
        return [
            draw(
                st.sampled_from(
                    [
                        "from alembic import op",
                        "from alembic import op as o",
                        "import alembic.op as o",
                        "import alembic",
                        "import alembic.op",
                        f"from m import {var}",
                        f"import {other}",
                        f"from . import {other} as {var}",
                        "from m import *",
                    ]
                )
            )
        ]
    if kind in (13, 14):
        test = draw(
            st.sampled_from(
                [
                    *("TYPE_CHECKING", "typing.TYPE_CHECKING", "False", "0", "0x0", "None"),
                    *("True", "1", "x", "(0)", "f()", "''"),
                ]
            )
        )
        inner = f"{var} = {value}"
        if draw(st.booleans()):
            lines = [f"if {test}: {inner}"]
        else:
            lines = [f"if {test}:", f"    {inner}", f"    {other} = {draw(VALUE)}"]
        choice = draw(st.integers(0, 3))
        if choice == 1:
            lines += [f"else: {draw(VAR)} = {draw(VALUE)}"]
        elif choice == 2:
            lines += ["else:", f"    {draw(VAR)} = {draw(VALUE)}"]
        elif choice == 3:
            lines += [f"elif {draw(st.sampled_from(['True', 'x', '0']))}:", f"    {other} = 1"]
        return lines
    if kind == 15:
        return ["try:", f"    {var} = {value}", "except ImportError:", f"    {other} = None"]
    if kind == 16:
        return [draw(st.sampled_from([f"for {var} in []: pass", f"with x as {var}: pass"]))]
    if kind == 17:
        return [f"def {draw(st.sampled_from(['__getattr__', var, 'helper']))}(name): pass"]
    if kind == 18:
        # Rebinding a name after (or before) the def of a helper of that name.
        helper = draw(HELPER)
        return [
            draw(
                st.sampled_from(
                    [
                        f"class {draw(NAME)}: pass",
                        f"class {helper}: pass",
                        f"{helper} = {value}",
                        f"from m import {helper}",
                        f"import {helper}",
                        f"del {helper}",
                        f"{helper}: int",
                        f"{helper}, x = 1, 2",
                        f"if x: {helper} = 1",
                    ]
                )
            )
        ]
    return [f"x = {value}  # noqa" + draw(st.sampled_from(["", ": AL100", ", AL201"]))]


OWNER = st.sampled_from(["op", "op", "o", "alembic.op", "b", "sa", "other"])
OP = st.sampled_from(["drop_table", "execute", "add_column", "create_index", "drop_column"])
#: Names of module-level functions (helpers), and names that are not.
HELPER = st.sampled_from(["helper", "_h1", "_h2", "_h2", "upgrade_data", "sa", "x"])
#: Arguments that guards may name: strings, names, attributes, f-strings, loop elements.
OBJECT = st.sampled_from(
    [
        *("'a'", "'t'", "t", "x.name", "'a' 'b'", "f'{t}'", "b'a'", "*t", "k='a'"),
        *("ix['name']", "op.f(ix['name'])", "ix.name", "ix[0]", "k=ix"),
    ]
)
#: Loops over what the inspector lists, and over other things.
LOOP = st.sampled_from(
    [
        *("for ix in inspector.get_indexes('t'):", "for ix in get_table_names():"),
        *("for ix in (ix for ix in ixs if ix):", "for ix, t in x.get_columns(t):"),
        *("for ix in ('a', 'b'):", "for ix in x.get_pk_constraint('t'):"),
    ]
)
#: Tests of existence, their negations, and tests of something else.
TEST = st.sampled_from(
    [
        *("'a' in existing", "t not in names", "x.name in [c['name'] for c in i.get_columns('t')]"),
        *("inspector.has_table('t')", "not has_index(t, k='a')", "table_exists(x.name)"),
        *("_index_exists('a') and 'b' in y", "'a' in x or t", "not ('a' not in x or t in y)"),
        *("context.is_offline_mode()", "table_not_exists('t')", "x", "a < t in b", "f'{t}' in x"),
        *("has_(t)", "(lambda: t)()", "not (not exists('a'))", "t in x == y"),
    ]
)
HANDLER = st.sampled_from(
    [
        *("except Exception:\n    pass", "except:\n    pass", "except KeyError:\n    pass"),
        *("except (E, ValueError) as e:\n    log(e)", "except Exception:\n    raise"),
        *("except sa.exc.ProgrammingError:\n    if x:\n        raise", "finally:\n    pass"),
    ]
)


@st.composite
def call(draw: st.DrawFn, depth: int = 0) -> str:
    args = []
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.integers(0, 6))
        key = draw(st.sampled_from(["if_exists", "schema", "nullable", "sqltext", "x"]))
        if kind == 0:
            args.append(draw(SCALAR))
        elif kind == 1:
            args.append(f"{key}={draw(VALUE)}")
        elif kind == 2:
            args.append(f"{key}={draw(SCALAR)}")
        elif kind == 3 and depth < 2:
            args.append(draw(call(depth + 1)))
        elif kind == 4:
            args.append("**kw")
        elif kind == 5 and depth < 2:
            inner = draw(call(depth + 1))
            args.append(f"sa.Column('c', sa.Integer(), server_default={inner})")
        else:
            args.append(f"{draw(st.sampled_from(['text', 'sa.text']))}({draw(STRING)})")
    if draw(st.booleans()):
        # Keywords before positionals are a syntax error; keep them last, but for `*a`.
        args.sort(key=lambda a: "=" in a.split("(")[0] or a.startswith("**"))
    else:
        args = [a for a in args if "=" not in a.split("(")[0] and not a.startswith("**")]
        args.append(f"k={draw(SCALAR)}")
        args.append("*rest")
    return f"{draw(OWNER)}.{draw(OP)}({', '.join(args)})"


@st.composite
def helper_call(draw: st.DrawFn) -> str:
    args = draw(st.sampled_from(["", "op", "op=op", "t", "'a', k=_h1()", "*a", "o"]))
    return f"{draw(HELPER)}({args})"


@st.composite
def drop_call(draw: st.DrawFn, owner: str | None = None) -> str:
    """An operation whose arguments a guard may name."""
    args = draw(st.lists(OBJECT, min_size=1, max_size=3))
    args.sort(key=lambda a: "=" in a)  # keywords after positionals
    name = draw(st.sampled_from(["drop_table", "drop_index", "drop_column", "execute"]))
    if name == "execute" and draw(st.booleans()):
        args = [draw(st.sampled_from(["'DROP TABLE a'", "'DROP VIEW \"S\".t'", "sa.text('x')"]))]
    return f"{owner or draw(OWNER)}.{name}({', '.join(args)})"


@st.composite
def function_statements(draw: st.DrawFn, depth: int = 0) -> list[str]:
    kind = draw(st.integers(0, 17 if depth < 2 else 9))
    if kind < 3:
        return [draw(call())]
    if kind == 3:
        return [
            draw(st.sampled_from(["pass", "...", "'''doc'''", "'a' f'{b}'", "f'{b}'", "x = 1"]))
        ]
    if kind == 4:
        return [draw(st.sampled_from(["raise NotImplementedError()", "return", "# noqa: AL201"]))]
    if kind == 5:
        return [f"x = [{draw(call())} for i in y]"]
    if kind == 6:
        return [draw(helper_call())]
    if kind == 7:
        # A name bound in the function: a call of it is not a call of a helper.
        helper = draw(HELPER)
        return [
            draw(
                st.sampled_from(
                    [
                        f"{helper} = f",
                        f"for {helper} in y: pass",
                        f"import {helper}",
                        f"global {helper}",
                        f"with x as {helper}: pass",
                        f"[{helper} for {helper} in y]",
                        f"({helper} := 1)",
                        f"lambda {helper}: {helper}",
                    ]
                )
            )
        ]
    if kind == 8:
        return [draw(drop_call())]
    if kind == 9:
        leave = draw(st.sampled_from(["return", "raise E"]))
        return [f"if {draw(TEST)}: {leave}"]
    inner = [
        "    " + line
        for _ in range(draw(st.integers(1, 3)))
        for line in draw(function_statements(depth + 1))
    ]
    if kind == 10:
        target = draw(st.sampled_from(["b", "c"]))
        return [
            f"with op.batch_alter_table('t') as {target}:",
            *inner,
            f"    {target}.drop_column('y')",
        ]
    if kind == 11:
        test = draw(TEST | st.just("x"))
        orelse = draw(st.sampled_from([[], ["else:", *inner], [f"elif {draw(TEST)}:", *inner]]))
        return [f"if {test}:", *inner, *orelse]
    if kind == 12:
        return ["for i in y:", *inner]
    if kind == 13:
        return ["try:", *inner, *draw(HANDLER).split("\n")]
    if kind == 14:
        return ["def inner():", *inner]
    if kind == 15:
        return ["match x:", "    case 1:", *["    " + line for line in inner]]
    if kind == 16:
        return ["from alembic import op as o", *[line[4:] for line in inner]]
    suppress = draw(st.sampled_from(["suppress(Exception)", "contextlib.suppress(KeyError)"]))
    return [f"with {suppress}, op.batch_alter_table('t') as b:", *inner]


@st.composite
def functions(draw: st.DrawFn) -> list[str]:
    name = draw(
        st.sampled_from(["upgrade", "downgrade", "upgrade_data", "downgrade_x", "helper"]) | HELPER
    )
    params = draw(st.sampled_from(["", "", "op", "*, op", "op, /", "x=f()"]))
    prefix = "async def" if draw(st.integers(0, 9)) == 0 else "def"
    body = [line for _ in range(draw(st.integers(0, 4))) for line in draw(function_statements())]
    if draw(st.integers(0, 5)) == 0 and len(body) == 1 and not body[0].endswith(":"):
        return [f"{prefix} {name}({params}): {body[0]}"]
    return [f"{prefix} {name}({params}):", *(["    " + line for line in body] or ["    pass"])]


@st.composite
def docstrings(draw: st.DrawFn) -> list[str]:
    message = draw(st.sampled_from(["Add a table", "Café ☕ migration", "", "  leading"]))
    rid, revises = draw(ID), draw(st.sampled_from(["", "a1", "a1, b2", "é"]))
    quote = draw(st.sampled_from(['"""', "'''", 'r"""', 'u"""']))
    lines = [f"{quote}{message}", "", f"Revision ID: {rid}", f"Revises: {revises}"]
    if draw(st.booleans()):
        return [*lines[:-1], lines[-1] + quote[-3:]]
    return [*lines, "Create Date: 2024-01-01", quote[-3:]]


@st.composite
def modules(draw: st.DrawFn) -> str:
    lines = draw(docstrings()) if draw(st.integers(0, 4)) else []
    lines += ["from alembic import op", "import sqlalchemy as sa"]
    parts = draw(st.lists(module_statement() | functions(), min_size=1, max_size=8))
    lines += [line for part in parts for line in part]
    text = "\n".join(lines) + "\n"
    if draw(st.booleans()):
        text = text.replace("    ", "\t")
    if draw(st.integers(0, 3)) == 0:
        text = text.replace("\n", "\r\n")
    return text


@pytest.mark.filterwarnings("ignore:invalid escape sequence:DeprecationWarning")
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(modules())
def test_generated_modules(source: str) -> None:
    assert_same(source)


@st.composite
def helper_modules(draw: st.DrawFn) -> str:
    """Entry points that call module-level functions that call each other (nested,
    recursive, mutually recursive, defined twice, rebound, shadowed), with guards."""
    names = ["_h1", "_h2", "helper", "upgrade_data"]
    lines = ["from alembic import op", "import sqlalchemy as sa"]
    for _ in range(draw(st.integers(2, 7))):
        if draw(st.integers(0, 5)) == 0:
            lines += draw(module_statement())
            continue
        name = draw(st.sampled_from(["upgrade", "downgrade", "upgrade", "downgrade", *names]))
        params = draw(st.sampled_from(["", "", "op", "t, *, op", "x=f()", "_h1"]))
        body: list[str] = []
        for _ in range(draw(st.integers(1, 4))):
            kind = draw(st.integers(0, 6))
            if kind < 2:
                callee = draw(st.sampled_from(names))
                args = draw(st.sampled_from(["", "op", "t=1", "'a', op=op"]))
                call = f"{callee}({args})"
                if draw(st.integers(0, 3)) == 0:
                    call = f"x = [{call} for i in y]"
                body.append(call)
            elif kind == 2:
                body += [f"if {draw(TEST)}:", f"    {draw(drop_call(owner='op'))}"]
            elif kind == 3:
                body += ["try:", f"    {draw(drop_call(owner='op'))}", *draw(HANDLER).split("\n")]
            elif kind == 4:
                body += [f"if {draw(TEST)}: {draw(st.sampled_from(['return', 'raise E']))}"]
            elif kind == 5:
                body.append(draw(drop_call(owner="op")))
                if draw(st.booleans()):
                    body[-1:] = [
                        draw(st.sampled_from(["ixs = inspector.get_indexes('t')", "ixs = 1"])),
                        draw(LOOP),
                        "    " + body[-1],
                    ]
            else:
                body += draw(function_statements())
        lines += [f"def {name}({params}):", *["    " + line for line in body]]
    return "\n".join(lines) + "\n"


@pytest.mark.filterwarnings("ignore:invalid escape sequence:DeprecationWarning")
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(helper_modules())
def test_generated_helper_modules(source: str) -> None:
    assert_same(source)


DOC_ATOMS = ["Revision ID:", "Revises:", " ", "\t", "\n", "\r\n", "'", '"', "\\n", "\\", "é"]
DOC_ATOMS += ["☕", "abc", "r", "u", "b", "x ", ":", "#", "{x}", "\\\n", "\\\r\n", '"""', "'''"]


@st.composite
def docstring_modules(draw: st.DrawFn) -> str:
    """The first statement of a module: a string with raw text of the header's interest
    (prefixes, quotes, escapes, line breaks), sometimes not alone or not a string at all."""
    body = "".join(draw(st.lists(st.sampled_from(DOC_ATOMS), max_size=12)))
    prefix = draw(st.sampled_from(["", "r", "u", "R", "b", "f", "rb", "Br"]))
    quote = draw(st.sampled_from(['"""', "'''", '"', "'"]))
    lead = draw(st.sampled_from(["", "# c\n", "\n\n", "(", " ", "\ufeff"]))
    tail = ")" if lead == "(" else ""
    after = draw(st.sampled_from(["", "\n", " 'more'\n", ".strip()\n", "; x = 1\n"]))
    return f"{lead}{prefix}{quote}{body}{quote}{tail}{after}\nrevision = 'a'\n"


@pytest.mark.filterwarnings("ignore:invalid escape sequence:DeprecationWarning")
@settings(max_examples=300, deadline=None)
@given(docstring_modules())
def test_generated_docstrings(source: str) -> None:
    assert_same(source)


def test_arguments_are_read_as_written() -> None:
    """A spot check of model.Expr, so that agreement is not agreement on nothing."""
    from alembic_lint.model import OPAQUE, CallExpr, Name

    fast = assert_same(EDGES["args-literals"])
    assert fast is not None
    (create,) = fast.ops
    table, first, second, third, key = create.args
    assert table == "t"
    assert first == CallExpr(
        "sa.Column",
        ("a", CallExpr("sa.Integer")),
        (("nullable", False), ("default", -1)),
    )
    assert second.args[1] == CallExpr("sa.Numeric", (10, -2.5))  # type: ignore[union-attr]
    assert third.kwargs == (("info", OPAQUE),)  # type: ignore[union-attr]
    assert key == CallExpr(
        "sa.PrimaryKeyConstraint", ("a",), (("name", CallExpr("op.f", ("pk_t",))),)
    )
    assert create.kwargs == (("schema", None),)
    strings = assert_same(EDGES["args-strings"])
    assert strings is not None
    assert strings.ops[0].args == ("ixa", "t", ("a\\b", "c'd", "e\nf", b"g", "h"))
    # Only the operations the schema model reads have their arguments built.
    assert strings.ops[1].name == "execute" and strings.ops[1].args == ()
    crlf = assert_same(EDGES["args-crlf-string"].encode())
    assert crlf is not None and crlf.ops[0].sql == "ALTER TABLE t\n  ADD c INT"
    opaque = assert_same(EDGES["args-opaque"])
    assert opaque is not None
    assert opaque.ops[0].args == (Name("TABLE"), Name("col"), OPAQUE)
    batch = assert_same(EDGES["args-batch"])
    assert batch is not None
    outer = CallExpr("op.batch_alter_table", ("t",), (("schema", "s"), ("recreate", "always")))
    assert [c.batch_call for c in batch.ops if c.batch] == [
        outer,
        CallExpr("op.batch_alter_table", (Name("name"),)),
        outer,
    ]
