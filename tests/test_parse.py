"""The LibCST reader: what it extracts, what it refuses to guess, and where things are."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from alembic_lint.model import Body, Migration, Status
from alembic_lint.parse import read_migration, resolve_spans


def read(source: str, *, filename: str = "x_mig.py", positions: bool = True) -> Migration:
    data = textwrap.dedent(source).lstrip("\n").encode()
    migration = read_migration(f"/v/{filename}", data)
    return resolve_spans(migration, data) if positions else migration


def pos(migration: Migration, ref: int) -> tuple[int, int]:
    span = migration.span(ref)
    return span.line, span.column


# --------------------------------------------------------------------------- bindings


@pytest.mark.parametrize(
    ("line", "value", "ids"),
    [
        ("down_revision = 'a1'", "a1", ("a1",)),
        ("down_revision = None", None, ()),
        ("down_revision = ('a1', 'b2')", ("a1", "b2"), ("a1", "b2")),
        ("down_revision = ['a1']", ["a1"], ("a1",)),
        ("down_revision = ()", (), ()),
        ("down_revision = []", [], ()),
        ("down_revision = ('a1',)", ("a1",), ("a1",)),
        ("down_revision = (('a1'))", "a1", ("a1",)),
        ("down_revision = ''", "", ("",)),
        ("down_revision = 'a1,b2'", "a1,b2", ("a1,b2",)),
        ("down_revision: Union[str, None] = 'a1'", "a1", ("a1",)),
        ("down_revision: str | Sequence[str] | None = ('a1', 'b2')", ("a1", "b2"), ("a1", "b2")),
        ("down_revision = 'aa' 'bb'", "aabb", ("aabb",)),
        ("down_revision = u'a1'", "a1", ("a1",)),
    ],
)
def test_literal_forms(line: str, value: object, ids: tuple[str, ...]) -> None:
    migration = read(f"revision = 'r1'\n{line}\n")
    assert migration.down_revision.status is Status.LITERAL
    assert migration.down_revision.value == value
    assert migration.down_ids == ids


def test_numeric_string_ids_stay_strings() -> None:
    migration = read("revision = '059'\ndown_revision = '058'\n")
    assert migration.revision_id == "059"
    assert migration.down_ids == ("058",)


def test_last_binding_wins_and_annotation_only_binds_nothing() -> None:
    migration = read(
        """
        revision = "old"
        down_revision = None
        revision = "new"
        depends_on: str
        """
    )
    assert migration.revision_id == "new"
    assert migration.depends_on.status is Status.ABSENT


@pytest.mark.parametrize("test", ["TYPE_CHECKING", "typing.TYPE_CHECKING", "False"])
def test_dead_branches_bind_nothing(test: str) -> None:
    migration = read(
        f"""
        revision = "real"
        down_revision = None
        if {test}:
            revision = "fake"
            down_revision = "zzz"
        """
    )
    assert migration.revision_id == "real"
    assert migration.down_ids == ()


def test_else_of_dead_branch_binds() -> None:
    migration = read(
        """
        revision = "a"
        if TYPE_CHECKING:
            down_revision = "fake"
        else:
            down_revision = "real"
        """
    )
    assert migration.down_ids == ("real",)


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("from revconsts import PARENT\ndown_revision = PARENT", "the name `PARENT`"),
        ("down_revision = 'aaaa' + '1111'", "a computed expression"),
        ("down_revision = get_parent()", "a function call"),
        ("from revconsts import down_revision", "imported from `revconsts`"),
        ("from revconsts import *", "`from revconsts import *`"),
        ("if X:\n    down_revision = 'a'\nelse:\n    down_revision = 'b'", "inside a `if` block"),
        ("try:\n    down_revision = 'a'\nexcept Exception:\n    pass", "inside a `try` block"),
        ("down_revision = 'a'\ndown_revision += ''", "an augmented assignment"),
        ("globals()['down_revision'] = 'a'", "`globals()`"),
        ("down_revision = f'{x}'", "an f-string"),
    ],
)
def test_unknowable_values_are_unresolved_never_guessed(source: str, reason: str) -> None:
    migration = read(f"revision = 'r1'\n{source}\n")
    assert migration.down_revision.status is Status.UNRESOLVED
    assert reason in migration.down_revision.reason
    assert migration.down_ids == ()


def test_literal_after_star_import_wins() -> None:
    migration = read("from consts import *\nrevision = 'r1'\ndown_revision = None\n")
    assert migration.down_revision.status is Status.LITERAL


def test_del_unbinds() -> None:
    migration = read("revision = 'r1'\ndown_revision = None\ndel down_revision\n")
    assert migration.down_revision.status is Status.ABSENT


def test_tuple_unpacking_of_literals() -> None:
    migration = read("revision, down_revision = 'r1', 'r0'\n")
    assert migration.revision_id == "r1"
    assert migration.down_ids == ("r0",)


@pytest.mark.parametrize(
    "source",
    [
        "revision, *down_revision = 'r1', 'r0'",  # Python binds down_revision = ['r0']
        "*down_revision, revision = ['r0', 'r1']",
        "(revision, down_revision), x = ('r1', 'r0'), 1",  # nested: unpacked again
        "[revision, [down_revision]] = 'r1', ['r0']",
    ],
)
def test_starred_and_nested_unpacking_is_unresolved(source: str) -> None:
    migration = read(f"{source}\n")
    for binding in (migration.revision, migration.down_revision):
        assert binding.status is Status.UNRESOLVED
        assert binding.reason == "tuple unpacking"
    assert migration.down_ids == ()


def test_unpacking_beside_an_attribute_target_still_resolves() -> None:
    migration = read("x.y, down_revision, revision = 1, 'r0', 'r1'\n")
    assert migration.revision_id == "r1"
    assert migration.down_ids == ("r0",)


@pytest.mark.parametrize(
    "source",
    [
        "if True: down_revision = 'r0'",
        "if 1: down_revision = 'r0'",
        "if False: pass\nelse: down_revision = 'r0'",
        "if TYPE_CHECKING: down_revision = 'fake'\nelse: down_revision = 'r0'",
        "if 0: pass\nelif True: down_revision = 'r0'",
        "if True: x = 1; down_revision = 'r0'",
        "if True: down_revision = 'zz'; del down_revision; down_revision = ('r0',)",
    ],
)
def test_one_line_blocks_bind_like_indented_ones(source: str) -> None:
    """`if True: x = 1` binds x as its two-line form does (LibCST holds its statements in a
    SimpleStatementSuite rather than in lines of their own)."""
    migration = read(f"revision = 'r1'\n{source}\n")
    assert migration.down_revision.status is Status.LITERAL
    assert migration.down_ids == ("r0",)
    line = source.count("\n") + 2
    column = source.split("\n")[-1].rindex("down_revision") + 1
    assert pos(migration, migration.down_revision.ref) == (line, column)
    assert pos(migration, migration.down_revision.elements[0].ref)[0] == line


def test_one_line_block_under_an_unknown_test_stays_unresolved() -> None:
    migration = read("revision = 'r1'\nif X: down_revision = 'r0'\n")
    assert migration.down_revision.status is Status.UNRESOLVED
    assert "inside a `if` block" in migration.down_revision.reason


def test_a_set_keeps_its_ids_in_source_order_where_they_are() -> None:
    migration = read("revision = 'r1'\ndown_revision = {'zz', 'a', 'zz', 'mm'}\n")
    assert migration.down_revision.value == frozenset({"zz", "a", "mm"})
    assert migration.down_ids == ("zz", "a", "mm")
    places = [pos(migration, e.ref) for e in migration.down_revision.elements]
    assert places == [(2, 18), (2, 24), (2, 35)]


SEED_PROBE = """
import json, sys
from alembic_lint.parse import read_migration, resolve_spans
out = []
for source in json.loads(sys.argv[1]):
    data = source.encode()
    m = resolve_spans(read_migration("/v/x.py", data), data)
    out.append([m.locators, list(m.spans or ()), [
        [b.status.value, b.reason, b.ref, [[repr(e.value), e.ref] for e in b.elements]]
        for b in (m.revision, m.down_revision, m.branch_labels, m.depends_on)
    ]])
print(json.dumps(out))
"""


def test_facts_do_not_depend_on_the_hash_seed() -> None:
    """Refs (and so the order of findings and their places) must not follow the iteration
    order of a set of str, which PYTHONHASHSEED changes from run to run."""
    sources = [
        "if x:\n    revision = 'a'\n    down_revision = 'b'\n",
        "with a as depends_on, b as branch_labels, c as down_revision: pass\n",
        "revision = 'r'\ndown_revision = {'dd', 'eee', 'f', 'gggg'}\n"
        "depends_on = {'x', 'y', 'x'}\nbranch_labels = {'p', 'q'}\n",
    ]
    results = set()
    for seed in ("0", "1", "2", "3", "4", "5"):
        proc = subprocess.run(
            [sys.executable, "-c", SEED_PROBE, json.dumps(sources)],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        results.add(proc.stdout)
    assert len(results) == 1
    first, _, sets = json.loads(results.pop())
    # REVISION_VARS order: revision first, then down_revision.
    assert first[2][0][2] < first[2][1][2]
    assert sets[2][1][3] == [["'dd'", 3], ["'eee'", 4], ["'f'", 5], ["'gggg'", 6]]


def test_legacy_hex_filename_gives_the_id() -> None:
    migration = read("down_revision = None\n", filename="abcdef12.py")
    assert migration.revision.status is Status.ABSENT
    assert migration.revision_id == "abcdef12"
    assert read("down_revision = None\n", filename="abcdef12_init.py").revision_id is None


def test_labels_and_depends() -> None:
    migration = read(
        "revision = 'r'\ndown_revision = None\nbranch_labels = ('expand',)\n"
        "depends_on = ['a', 'b']\n"
    )
    assert migration.label_ids == ("expand",)
    assert migration.depends_ids == ("a", "b")


def test_non_string_revision_is_kept_raw() -> None:
    migration = read("revision = 1234\ndown_revision = None\n")
    assert migration.revision.value == 1234
    assert migration.revision_id is None


# --------------------------------------------------------------------------- header, functions


def test_docstring_header_and_message() -> None:
    migration = read(
        '''
        """Add users table

        Revision ID: bbbb
        Revises: aaaa, cccc
        Create Date: 2026-01-01
        """
        revision = "bbbb"
        down_revision = ("aaaa", "cccc")
        '''
    )
    assert migration.message == "Add users table"
    assert migration.header.revision_id == "bbbb"
    assert migration.header.revises == "aaaa, cccc"
    assert pos(migration, migration.header.revision_id_ref) == (3, 1)
    assert pos(migration, migration.header.revises_ref) == (4, 1)


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        ("pass", Body.EMPTY),
        ("...", Body.EMPTY),
        ('"""Downgrade schema."""\n    pass', Body.EMPTY),
        ("# nothing to do\n    pass", Body.EMPTY),
        ('raise NotImplementedError("irreversible")', Body.NOT_IMPLEMENTED),
        ("op.drop_table('t')", Body.CODE),
        ("if True:\n        pass", Body.CODE),
    ],
)
def test_function_bodies(body: str, kind: Body) -> None:
    migration = read(f"revision = 'r'\ndown_revision = None\n\ndef downgrade():\n    {body}\n")
    func = migration.function("downgrade")
    assert func is not None and func.body is kind
    assert pos(migration, func.ref) == (4, 1)


def test_last_function_definition_wins() -> None:
    migration = read("def downgrade():\n    op.drop_table('x')\n\ndef downgrade():\n    pass\n")
    func = migration.function("downgrade")
    assert func is not None and func.body is Body.EMPTY
    assert migration.ops == ()


# --------------------------------------------------------------------------- operations


@pytest.mark.parametrize(
    "prelude",
    [
        "from alembic import op",
        "from alembic import op as migrate_op",
        "import alembic.op as migrate_op",
    ],
)
def test_op_however_it_is_bound(prelude: str) -> None:
    name = "migrate_op" if " as " in prelude else "op"
    migration = read(f"{prelude}\n\ndef upgrade():\n    {name}.drop_table('t')\n")
    assert [(c.name, c.function, c.batch) for c in migration.ops] == [
        ("drop_table", "upgrade", False)
    ]
    assert pos(migration, migration.ops[0].ref) == (4, 5)


def test_op_as_a_parameter_and_alembic_attribute() -> None:
    migration = read(
        """
        import alembic

        def upgrade(op, tables, tester):
            op.drop_entity(tables.x)

        def downgrade():
            alembic.op.drop_index("ix")
        """
    )
    assert [(c.name, c.function) for c in migration.ops] == [
        ("drop_entity", "upgrade"),
        ("drop_index", "downgrade"),
    ]


def test_other_objects_are_not_ops() -> None:
    migration = read("def upgrade():\n    conn.drop_table('t')\n    session.execute('x')\n")
    # SQL run on something else than `op` is recorded for the schema model alone.
    assert [(c.name, c.args, c.sql) for c in migration.ops] == [
        ("<execute>", ("session.execute",), "x")
    ]


def test_batch_targets_and_keywords() -> None:
    migration = read(
        """
        from alembic import op

        def upgrade():
            with op.batch_alter_table("user", recreate="auto") as b:
                b.drop_column("legacy", if_exists=True)
                b.drop_constraint("uq", type_="unique")
            other.drop_column("x")
            op.drop_index("ix", **kw)
        """
    )
    calls = [(c.name, c.batch, c.keywords, c.star_kwargs) for c in migration.ops]
    assert calls == [
        ("batch_alter_table", False, (("recreate", "auto"),), False),
        ("drop_column", True, (("if_exists", True),), False),
        ("drop_constraint", True, (("type_", "unique"),), False),
        ("drop_index", False, (), True),
    ]


@pytest.mark.parametrize(
    ("call", "sql"),
    [
        ('op.execute("DROP TABLE x")', "DROP TABLE x"),
        ('op.execute(sa.text("DROP INDEX ix"))', "DROP INDEX ix"),
        ("op.execute(text('DROP VIEW v'))", "DROP VIEW v"),
        ('op.execute("DROP " "TABLE y")', "DROP TABLE y"),
        ("op.execute(statement)", None),
        ("op.execute(f'DROP TABLE {t}')", None),
    ],
)
def test_execute_sql_literal(call: str, sql: str | None) -> None:
    migration = read(f"from alembic import op\n\ndef upgrade():\n    {call}\n")
    assert migration.ops[0].sql == sql


def test_multidb_functions_count_as_upgrade_and_downgrade() -> None:
    migration = read("def upgrade_engine1():\n    op.drop_table('t')\n")
    assert [(c.name, c.function) for c in migration.ops] == [("drop_table", "upgrade")]


# --------------------------------------------------------------------------- bad files


def test_python2_file_is_a_syntax_error_but_keeps_its_revision_variables() -> None:
    migration = read(
        """
        revision = '1a2b3c4d'
        down_revision = ('0a0a0a0a',
                         '0b0b0b0b')
        branch_labels = None

        def upgrade():
            print 'upgrading'
        """
    )
    assert migration.syntax_error is not None
    assert "print" in migration.syntax_error.message
    assert pos(migration, migration.syntax_error.ref) == (7, 5)
    assert migration.revision_id == "1a2b3c4d"
    assert migration.down_ids == ("0a0a0a0a", "0b0b0b0b")
    assert migration.depends_on.status is Status.ABSENT


def test_match_statements_have_a_place() -> None:
    migration = read_migration(
        "/v/x.py", b"match x:\n    case revision:\n        pass\n", positions=True
    )
    assert migration.revision.status is Status.UNRESOLVED
    assert "inside a `match` block" in migration.revision.reason
    assert pos(migration, migration.revision.ref)[0] == 1
    # A def under a match has no ast locator: its place comes from LibCST.
    data = b"match x:\n    case revision:\n        def upgrade(): pass\n"
    migration = resolve_spans(read_migration("/v/x.py", data), data)
    assert pos(migration, migration.revision.ref)[0] == 1
    upgrade = migration.function("upgrade")
    assert upgrade is not None and pos(migration, upgrade.ref) == (3, 9)


def chain(terms: int) -> str:
    return " + ".join(["1"] * terms)


LONG_SQL = "".join(f"        'line {i} '\n" for i in range(2000))


@pytest.mark.parametrize(
    "body",
    [
        f"x = {chain(1500)}",  # deeper than Python's recursion limit
        f"x = {'-' * 1200}1",
        f"op.execute(\n{LONG_SQL}    )",  # LibCST nests an implicit concatenation
    ],
)
def test_deep_expressions_in_a_function_are_read(body: str) -> None:
    data = (
        f"revision = 'r1'\ndown_revision = 'r0'\ndef upgrade():\n    {body}\n"
        "    op.drop_table('t')\n"
    ).encode()
    migration = read_migration("/v/x.py", data)
    assert migration.syntax_error is None
    assert (migration.revision_id, migration.down_ids) == ("r1", ("r0",))
    assert migration.ops[-1].name == "drop_table"
    if body.startswith("op.execute"):
        assert migration.ops[0].sql == "".join(f"line {i} " for i in range(2000))
    placed = resolve_spans(migration, data)  # no crash, whatever can place them
    assert placed.spans is not None


def test_deep_but_valid_python_is_read_not_refused() -> None:
    """Python compiles a 1,500-long attribute chain (Alembic loads the file): its facts are
    read from CPython's tree, not reported as a syntax problem."""
    data = b"revision = 'r1'\ndown_revision = 'r0'\ndepends_on = a" + b".b" * 1500 + b"\n"
    migration = read_migration("/v/x.py", data)
    assert migration.syntax_error is None
    assert (migration.revision_id, migration.down_ids) == ("r1", ("r0",))
    assert migration.depends_on.status is Status.UNRESOLVED
    assert read_migration("/v/x.py", data, positions=True) == migration


def test_deep_file_is_linted_on_the_command_line(tmp_path: Path) -> None:
    versions = tmp_path / "versions"
    versions.mkdir()
    files = {
        "aaaaaaaaaaaa_long.py": "revision = 'aaaaaaaaaaaa'\ndown_revision = None\n"
        f"def upgrade():\n    x = {chain(1500)}\n",
        "bbbbbbbbbbbb_deep.py": "revision = 'bbbbbbbbbbbb'\ndown_revision = 'aaaaaaaaaaaa'\n"
        f"depends_on = a{'.b' * 1500}\ndef upgrade():\n    x = {chain(1500)}\n"
        "    op.drop_table('t')\n",
    }
    for name, source in files.items():
        (versions / name).write_text(source + "def downgrade():\n    raise NotImplementedError\n")

    def lint() -> tuple[int, str, str]:
        proc = subprocess.run(
            [sys.executable, "-m", "alembic_lint", "versions"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            env={k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")},
            check=False,
        )
        return proc.returncode, proc.stdout, proc.stderr

    finding = (
        "versions/bbbbbbbbbbbb_deep.py:6:5: AL201 `op.drop_table()` without `if_exists=True`\n"
        "Found 1 problem in 1 migration.\n"
    )
    assert lint() == (1, finding, "")
    # A warm run reads changed files with CPython's ast first: the same answer.
    for name in files:
        with (versions / name).open("a") as handle:
            handle.write("# changed\n")
    assert lint() == (1, finding, "")


def test_fallback_never_evaluates_code() -> None:
    migration = read("revision = __import__('os').getcwd()\ndown_revision = None\nx = = 1\n")
    assert migration.syntax_error is not None
    assert migration.revision.status is Status.UNRESOLVED
    assert migration.revision_id is None


def test_binary_and_undecodable_files() -> None:
    binary = read_migration("/v/b.py", b"\x00\x01revision")
    assert binary.syntax_error is not None and "null bytes" in binary.syntax_error.message
    latin = read_migration("/v/l.py", b"revision = 'a'\ndown_revision = None\n# caf\xe9\n")
    assert latin.syntax_error is not None
    assert "not valid UTF-8" in latin.syntax_error.message
    assert latin.span(latin.syntax_error.ref).line == 3
    assert latin.revision_id == "a"  # recovered: no false missing parent elsewhere


# --------------------------------------------------------------------------- encodings & positions


def test_coding_cookie_latin1() -> None:
    data = (
        "# -*- coding: latin-1 -*-\n"
        '"""Caf\xe9 migration\n\nRevision ID: a1\n"""\n'
        "revision = 'a1'\ndown_revision = None\n"
    ).encode("latin-1")
    migration = resolve_spans(read_migration("/v/a.py", data), data)
    assert migration.syntax_error is None
    assert migration.message == "Caf\xe9 migration"
    assert migration.revision_id == "a1"
    assert pos(migration, migration.down_revision.ref) == (7, 1)


def test_bom_crlf_and_tabs_keep_positions() -> None:
    source = (
        "\ufeffrevision = 'a1'\r\ndown_revision = None\r\n\r\n"
        "def upgrade():\r\n\top.drop_index('ix')\r\n"
    )
    data = source.encode("utf-8")
    migration = resolve_spans(read_migration("/v/a.py", data), data)
    assert migration.syntax_error is None
    assert pos(migration, migration.revision.ref) == (1, 1)
    assert pos(migration, migration.down_revision.ref) == (2, 1)
    assert pos(migration, migration.ops[0].ref) == (5, 2)


def test_columns_count_code_points() -> None:
    data = "x = 'é'; revision = 'a1'\ndown_revision = None\n".encode()
    migration = resolve_spans(read_migration("/v/a.py", data), data)
    assert pos(migration, migration.revision.ref) == (1, 10)


def test_fast_path_has_no_positions_and_same_facts() -> None:
    source = "revision = 'a1'\ndown_revision = None\n\ndef upgrade():\n    op.drop_table('t')\n"
    fast = read(source, positions=False)
    assert fast.spans is None
    slow = read(source)
    assert slow.spans is not None
    assert (fast.revision, fast.down_revision, fast.ops) == (
        slow.revision,
        slow.down_revision,
        slow.ops,
    )


def test_resolve_spans_refuses_changed_content() -> None:
    data = b"revision = 'a1'\ndown_revision = None\n"
    fast = read_migration("/v/a.py", data)
    stale = resolve_spans(fast, b"revision = 'zz'\ndown_revision = None\n")
    assert stale.spans == ()


# --------------------------------------------------------------------------- trusted parse


def _python_sources() -> list[Path]:
    root = Path(__file__).resolve().parent.parent
    folders = ("fixtures", "tests/golden", "bench")
    return sorted(p for d in folders for p in (root / d).rglob("*.py"))


def test_trusted_parse_builds_the_same_trees_as_libcst() -> None:
    import libcst as cst

    from alembic_lint.parse.trusted import parse_module

    sources = _python_sources()
    assert len(sources) > 50
    for path in sources:
        data = path.read_bytes()
        try:
            expected = cst.parse_module(data)
        except cst.ParserSyntaxError:
            with pytest.raises(cst.ParserSyntaxError):
                parse_module(data)
            continue
        tree = parse_module(data)
        assert tree.deep_equals(expected), path
        assert tree.bytes == data, path


def test_trusted_parse_skips_the_checks_only_while_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    import libcst as cst
    from libcst._nodes.base import CSTNode

    from alembic_lint.parse import trusted

    assert trusted._VALIDATE is not None, "LibCST's post-init hook changed: parses are no faster"
    checked: list[str] = []
    validate = cst.Name._validate

    def counting(self: cst.Name) -> None:
        checked.append(self.value)
        validate(self)

    monkeypatch.setattr(cst.Name, "_validate", counting)
    trusted.parse_module("x = f(y)\n")
    assert checked == []
    cst.parse_module("x = f(y)\n")
    assert checked == ["x", "f", "y"]
    # after a parse, and after a failed one, nodes built by hand are checked again
    with pytest.raises(cst.ParserSyntaxError):
        trusted.parse_module("def (:\n")
    with pytest.raises(cst.CSTValidationError):
        cst.Name("x", lpar=[cst.LeftParen()])
    assert CSTNode.__dict__["__post_init__"] is trusted._VALIDATE


def test_trusted_parse_leaves_a_changed_hook_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    from libcst._nodes.base import CSTNode

    from alembic_lint.parse import trusted

    seen: list[object] = []
    monkeypatch.setattr(CSTNode, "__post_init__", lambda self: seen.append(self))
    assert trusted.parse_module("y = 1\n").code == "y = 1\n"
    assert seen  # another hook than the one we know is not switched off


def test_trusted_parse_checks_nodes_when_other_threads_run(monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    import libcst as cst

    from alembic_lint.parse import trusted

    checked: list[str] = []
    validate = cst.Name._validate

    def counting(self: cst.Name) -> None:
        checked.append(self.value)
        validate(self)

    monkeypatch.setattr(cst.Name, "_validate", counting)
    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:
        trusted.parse_module("x = y\n")
    finally:
        release.set()
        other.join()
    assert checked == ["x", "y"]


def test_unsafe_for_libcst_judges_the_size_before_compiling(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An editor's buffer is not bounded as a file on disk is: megabytes are refused by
    their size alone (compiling 20 MB took CPython minutes and 2.9 GB, at every request
    of the language server for the actions under the cursor)."""
    from alembic_lint import cpython, parse

    def compiled(data: bytes, path: str) -> object:
        raise AssertionError("compiled")

    monkeypatch.setattr(cpython, "parse", compiled)
    data = b"x = 1\n" * (parse.LIBCST_MAX_BYTES // 6 + 1)
    assert parse.unsafe_for_libcst("big.py", data) == "larger than 512 KB"
