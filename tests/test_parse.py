"""The LibCST reader: what it extracts, what it refuses to guess, and where things are."""

from __future__ import annotations

import textwrap

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
    assert migration.ops == ()


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
