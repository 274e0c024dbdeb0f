"""The static schema model: what each operation and literal SQL does, what stays unsure, the
replay along the graph (merges, dangling parents), and the ``schema`` command."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from alembic_lint import engine, graph
from alembic_lint.cli import main
from alembic_lint.model import History, OpCall
from alembic_lint.rules.examples import m
from alembic_lint.schema.changes import Change
from alembic_lint.schema.objects import Schema
from alembic_lint.schema.replay import Model, replay
from alembic_lint.schema.sql import changes as sql_changes

USERS = """\
op.create_table('users',
    sa.Column('id', sa.Integer(), primary_key=True),
    sa.Column('email', sa.String(255), nullable=False, unique=True),
    sa.Column('org_id', sa.Integer(), sa.ForeignKey('orgs.id'), index=True),
    sa.UniqueConstraint('email', 'org_id', name='uq_users_email_org'),
)
op.create_index('ix_users_email', 'users', ['email'])"""


def load(tmp_path: Path, *files: object) -> History:
    versions = tmp_path / "versions"
    versions.mkdir(exist_ok=True)
    for file in files:
        (versions / file.filename).write_text(file.source)  # type: ignore[attr-defined]
    paths = sorted(versions.glob("*.py"))
    return engine.load_history(str(versions), paths)


def model_of(tmp_path: Path, *files: object) -> tuple[Model, graph.RevisionGraph]:
    revisions = graph.build(load(tmp_path, *files))
    return replay(revisions, keep=None), revisions


def at(model: Model, revisions: graph.RevisionGraph, rev: str) -> Schema:
    schema = model.at(revisions.by_id[rev])
    assert schema is not None
    return schema


def failures(model: Model, revisions: graph.RevisionGraph) -> list[tuple[str, str, str]]:
    return [(revisions.id_of(f.node), f.problem.kind, f.problem.what) for f in model.failures]


# --- what operations do


def test_create_table_reads_columns_keys_and_implied_objects(tmp_path: Path) -> None:
    model, revisions = model_of(tmp_path, m("aaaaaaaaaaaa", upgrade=USERS))
    users = at(model, revisions, "aaaaaaaaaaaa").table("users")
    assert users is not None and users.unsure is None
    assert [(c.name, c.type, c.nullable) for c in users.columns] == [
        ("id", "sa.Integer()", False),
        ("email", "sa.String(255)", False),
        ("org_id", "sa.Integer()", True),
    ]
    assert users.primary_key() == {"id"}
    kinds = sorted(
        ((c.kind, c.name or "", c.columns, c.referent) for c in users.constraints), key=str
    )
    assert kinds == [
        ("foreignkey", "", ("org_id",), "orgs(id)"),
        ("primary", "", ("id",), None),
        ("unique", "", ("email",), None),
        ("unique", "uq_users_email_org", ("email", "org_id"), None),
    ]
    assert [(i.name, i.columns) for i in users.indexes] == [
        (None, ("org_id",)),
        ("ix_users_email", ("email",)),
    ]


@pytest.mark.parametrize(
    ("upgrade", "unsure"),
    [
        ("op.add_column('users', col)", "the column col"),
        ("op.drop_column('users', name)", "a column name that is not a literal"),
        ("op.alter_column('users', 'email', **kw)", "`**` arguments"),
        ("op.execute(sql)", "SQL that is not a literal"),
        ("op.my_custom_operation('users')", "`op.my_custom_operation()`"),
        (
            "op.execute('ALTER TABLE users OWNER TO x, ADD CONSTRAINT c EXCLUDE USING gist (a)')",
            "SQL",
        ),
    ],
)
def test_what_the_model_cannot_read_is_unsure(tmp_path: Path, upgrade: str, unsure: str) -> None:
    model, revisions = model_of(
        tmp_path,
        m("aaaaaaaaaaaa", upgrade=USERS),
        m("bbbbbbbbbbbb", "aaaaaaaaaaaa", upgrade=upgrade),
        m("cccccccccccc", "bbbbbbbbbbbb", upgrade="op.drop_column('users', 'nope')"),
    )
    schema = at(model, revisions, "bbbbbbbbbbbb")
    why = schema.why_unsure("users")
    assert why is not None and unsure in why
    assert model.failures == []  # nothing unsure is ever reported


def test_a_table_name_that_is_not_a_literal_makes_everything_unsure(tmp_path: Path) -> None:
    model, revisions = model_of(
        tmp_path,
        m("aaaaaaaaaaaa", upgrade=USERS),
        m("bbbbbbbbbbbb", "aaaaaaaaaaaa", upgrade="op.drop_table(TABLE)"),
        m("cccccccccccc", "bbbbbbbbbbbb", upgrade="op.drop_index('ix_nope', table_name='users')"),
    )
    schema = at(model, revisions, "bbbbbbbbbbbb")
    assert schema.has_table("users") is None and schema.rest is not None
    assert model.failures == []


def test_tables_no_migration_creates_may_predate_the_history(tmp_path: Path) -> None:
    model, revisions = model_of(
        tmp_path,
        m("aaaaaaaaaaaa", upgrade="op.add_column('legacy', sa.Column('x', sa.Integer()))"),
        m("bbbbbbbbbbbb", "aaaaaaaaaaaa", upgrade="op.drop_table('legacy')"),
        m("cccccccccccc", "bbbbbbbbbbbb", upgrade="op.drop_table('legacy')"),
    )
    # Nothing is said of `legacy` until it is dropped; then it is known to be gone.
    assert failures(model, revisions) == [("cccccccccccc", "missing", "table legacy")]


def test_drop_column_takes_its_indexes_and_constraints(tmp_path: Path) -> None:
    model, revisions = model_of(
        tmp_path,
        m("aaaaaaaaaaaa", upgrade=USERS),
        m("bbbbbbbbbbbb", "aaaaaaaaaaaa", upgrade="op.drop_column('users', 'email')"),
        m(
            "cccccccccccc",
            "bbbbbbbbbbbb",
            upgrade="op.drop_index('ix_users_email', table_name='users')\n"
            "op.drop_constraint('uq_users_email_org', 'users')",
        ),
    )
    users = at(model, revisions, "bbbbbbbbbbbb").table("users")
    assert users is not None and users.column("email") is None
    assert [i.name for i in users.indexes] == [None]
    # The database may or may not have dropped them with the column (and the unnamed
    # ones may carry any name): never reported.
    assert failures(model, revisions) == []


def test_renames_are_followed(tmp_path: Path) -> None:
    model, revisions = model_of(
        tmp_path,
        m("aaaaaaaaaaaa", upgrade=USERS),
        m(
            "bbbbbbbbbbbb",
            "aaaaaaaaaaaa",
            upgrade="op.rename_table('users', 'accounts')\n"
            "op.alter_column('accounts', 'email', new_column_name='mail', nullable=True)",
        ),
        m("cccccccccccc", "bbbbbbbbbbbb", upgrade="op.drop_column('users', 'email')"),
    )
    accounts = at(model, revisions, "bbbbbbbbbbbb").table("accounts")
    assert accounts is not None
    assert [(c.name, c.nullable) for c in accounts.columns][1] == ("mail", True)
    assert ("mail",) in [i.columns for i in accounts.indexes]
    assert failures(model, revisions) == [("cccccccccccc", "missing", "table users")]


def test_batch_operations_name_their_table(tmp_path: Path) -> None:
    batch = """\
with op.batch_alter_table('users', schema=None) as batch_op:
    batch_op.add_column(sa.Column('nickname', sa.String(50)))
    batch_op.create_unique_constraint('uq_nick', ['nickname'])
    batch_op.drop_column('nope')"""
    model, revisions = model_of(
        tmp_path,
        m("aaaaaaaaaaaa", upgrade=USERS),
        m("bbbbbbbbbbbb", "aaaaaaaaaaaa", upgrade=batch),
    )
    assert failures(model, revisions) == [("bbbbbbbbbbbb", "missing", "column users.nope")]
    (failure,) = model.failures
    assert failure.problem.change.op == "batch_op.drop_column"


def test_guarded_operations_are_never_reported(tmp_path: Path) -> None:
    model, revisions = model_of(
        tmp_path,
        m("aaaaaaaaaaaa", upgrade=USERS),
        m(
            "bbbbbbbbbbbb",
            "aaaaaaaaaaaa",
            upgrade="op.drop_index('ix_nope', table_name='users', if_exists=True)\n"
            "op.add_column('users', sa.Column('email', sa.Text()), if_not_exists=True)\n"
            "op.execute('DROP TABLE IF EXISTS nope')",
        ),
    )
    assert failures(model, revisions) == []


# --- literal SQL


def sql(text: str) -> list[Change]:
    return list(sql_changes(OpCall("execute", "upgrade", False, (), False, text, 7)))


def test_sql_ddl_is_read() -> None:
    (create,) = sql(
        'CREATE TABLE IF NOT EXISTS "Orders" (id SERIAL PRIMARY KEY, total NUMERIC(10, 2) '
        "NOT NULL DEFAULT 0, user_id INT REFERENCES users(id), note TEXT, "
        "CONSTRAINT uq_o UNIQUE (user_id, note), CHECK (total >= 0)) WITH (fillfactor=70)"
    )
    assert (create.action, create.table, create.guarded, create.partial) == (
        "create_table",
        "Orders",
        True,
        False,
    )
    assert [(c.name, c.type, c.nullable, c.default) for c in create.columns] == [
        ("id", "SERIAL", False, None),
        ("total", "NUMERIC (10 , 2)", False, "0"),
        ("user_id", "INT", True, None),
        ("note", "TEXT", True, None),
    ]
    assert {(c.kind, c.name) for c in create.constraints} == {
        ("primary", None),
        ("foreignkey", None),
        ("unique", "uq_o"),
        ("check", None),
    }
    found = sql(
        "ALTER TABLE users ADD COLUMN x INT NOT NULL, DROP COLUMN IF EXISTS y, "
        "RENAME COLUMN a TO b, ALTER COLUMN c SET NOT NULL; "
        "CREATE UNIQUE INDEX CONCURRENTLY ix ON users USING btree (x); "
        "DROP INDEX IF EXISTS public.ix2; ALTER TABLE users RENAME TO people; "
        "DROP TABLE a, b CASCADE"
    )
    assert [(c.action, c.table, c.name, c.guarded) for c in found] == [
        ("add_column", "users", "x", False),
        ("drop_column", "users", "y", True),
        ("alter_column", "users", "a", False),
        ("alter_column", "users", "c", False),
        ("create_index", "users", "ix", False),
        ("drop_index", None, "ix2", True),
        ("rename_table", "users", "people", False),
        ("drop_table", "a", None, False),
        ("drop_table", "b", None, False),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "UPDATE users SET x = 1 -- ALTER TABLE users DROP x",
        "INSERT INTO t VALUES ('DROP TABLE t')",
        "WITH x AS (SELECT 1) SELECT * FROM x",
        "CREATE OR REPLACE VIEW v AS SELECT 1",
        "CREATE EXTENSION IF NOT EXISTS pg_trgm",
        "DROP TRIGGER t ON users",
        "COMMENT ON TABLE users IS 'x'",
        "ALTER SEQUENCE s RESTART",
        "  ",
        "SET lock_timeout = '5s'; SELECT pg_sleep(1)",
        "SELECT setval('s', (SELECT max(id) FROM users)) WHERE 1 IN (1, 2)",
        "SELECT pg_advisory_xact_lock(42); SELECT ((1))",
    ],
)
def test_sql_that_changes_no_table(text: str) -> None:
    assert sql(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "DO $$ BEGIN EXECUTE 'DROP TABLE x'; END $$",
        "ALTER TABLE users CHANGE a b INT",
        "CREATE TABLE t AS SELECT * FROM u",
        "DROP SCHEMA s CASCADE",
        "ALTER INDEX ix SET TABLESPACE fast",
        "ALTER TABLE users RENAME CONSTRAINT a TO b, ADD COLUMN x INT",
        "CALL do_things()",
        # A function the history defined, TimescaleDB's, pg_partman's: any may run DDL.
        "SELECT drop_email_column()",
        "SELECT create_hypertable('metrics', 'time')",
        "SELECT partman.create_parent('public.events', 'created')",
        "unterminated 'string",
    ],
)
def test_sql_it_cannot_read_is_unsure(text: str) -> None:
    found = sql(text)
    assert found and (found[-1].action == "unknown" or found[-1].partial)


# --- along the graph


def test_the_same_column_on_two_branches_fails_at_the_merge(tmp_path: Path) -> None:
    add = "op.add_column('users', sa.Column('last_login', sa.DateTime()))"
    model, revisions = model_of(
        tmp_path,
        m("aaaaaaaaaaaa", upgrade=USERS),
        m("bbbbbbbbbbbb", "aaaaaaaaaaaa", upgrade=add),
        m("cccccccccccc", "aaaaaaaaaaaa", upgrade=add),
        m("dddddddddddd", ("bbbbbbbbbbbb", "cccccccccccc")),
    )
    (failure,) = model.failures
    assert revisions.id_of(failure.node) == "cccccccccccc"
    assert failure.merge == revisions.by_id["dddddddddddd"]
    assert failure.problem.what == "column users.last_login"


def test_order_dependent_branches_are_not_reported(tmp_path: Path) -> None:
    """One branch adds a column, the other drops the table: it fails in one order only."""
    model, revisions = model_of(
        tmp_path,
        m("aaaaaaaaaaaa", upgrade=USERS),
        m(
            "bbbbbbbbbbbb",
            "aaaaaaaaaaaa",
            upgrade="op.add_column('users', sa.Column('x', sa.Text()))",
        ),
        m("cccccccccccc", "aaaaaaaaaaaa", upgrade="op.drop_table('users')"),
        m("dddddddddddd", ("bbbbbbbbbbbb", "cccccccccccc")),
    )
    assert model.failures == []
    assert at(model, revisions, "dddddddddddd").has_table("users") in (False, None)


def test_a_dangling_parent_makes_its_line_unsure(tmp_path: Path) -> None:
    model, revisions = model_of(
        tmp_path,
        m("aaaaaaaaaaaa", upgrade=USERS),
        m("bbbbbbbbbbbb", "zzzzzzzzzzzz", upgrade="op.drop_column('users', 'nope')"),
    )
    assert model.failures == []
    assert at(model, revisions, "bbbbbbbbbbbb").rest is not None


def test_a_file_that_does_not_parse_makes_what_follows_unsure(tmp_path: Path) -> None:
    from alembic_lint.rules.examples import raw

    model, _ = model_of(
        tmp_path,
        m("aaaaaaaaaaaa", upgrade=USERS),
        raw(
            "bbbbbbbbbbbb_py2.py",
            """
            revision = 'bbbbbbbbbbbb'
            down_revision = 'aaaaaaaaaaaa'
            def upgrade():
                print 'dropping'
                op.drop_column('users', 'email')
            """,
        ),
        m("cccccccccccc", "bbbbbbbbbbbb", upgrade="op.drop_column('users', 'email')"),
    )
    assert model.failures == []


def test_multidb_files_are_unsure(tmp_path: Path) -> None:
    from alembic_lint.rules.examples import raw

    model, _ = model_of(
        tmp_path,
        raw(
            "aaaaaaaaaaaa_multi.py",
            """
            revision = 'aaaaaaaaaaaa'
            down_revision = None
            def upgrade(engine_name):
                globals()["upgrade_%s" % engine_name]()
            def upgrade_engine1():
                op.create_table('users', sa.Column('id', sa.Integer()))
            def upgrade_engine2():
                op.create_table('users', sa.Column('id', sa.Integer()))
            """,
        ),
    )
    assert model.failures == []


# --- the schema command


def write_demo(tmp_path: Path) -> Path:
    versions = tmp_path / "versions"
    versions.mkdir()
    for file in (
        m("aaaaaaaaaaaa", upgrade=USERS),
        m(
            "bbbbbbbbbbbb",
            "aaaaaaaaaaaa",
            upgrade="op.add_column('users', sa.Column('x', sa.Text()))",
        ),
        m("cccccccccccc", "aaaaaaaaaaaa", upgrade="op.execute(sql)"),
    ):
        (versions / file.filename).write_text(file.source)
    return versions


def test_schema_command_shows_each_head(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write_demo(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert main(["schema", "versions"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("2 heads: bbbbbbbbbbbb, cccccccccccc; one schema each.\n")
    assert "# schema at bbbbbbbbbbbb (head): 1 table, 1 known exactly" in out
    assert "  x       sa.Text()       NULL" in out
    assert "users  (unsure: `op.execute()` with SQL that is not a literal)" in out
    assert main(["schema", "versions", "--at", "aaaa", "--format", "json"]) == 0
    (shown,) = json.loads(capsys.readouterr().out)
    assert shown["revision"] == "aaaaaaaaaaaa" and shown["role"] == "revision"
    (users,) = shown["tables"]
    assert users["exact"] and [c["name"] for c in users["columns"]] == ["id", "email", "org_id"]
    assert main(["schema", "versions", "--at", "bbbb", "--format", "mermaid"]) == 0
    diagram = capsys.readouterr().out
    assert "erDiagram" in diagram and "Integer id PK" in diagram and "Text x" in diagram


def test_schema_command_errors_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write_demo(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert main(["schema", "versions", "--at", "ffff"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "ffff" in err


def test_changes_survive_the_cache(tmp_path: Path) -> None:
    """A warm run reports what a cold one does (the changes are cached with the facts)."""
    from alembic_lint.engine import Options, default_rules, lint

    versions = write_demo(tmp_path)
    (versions / "dddddddddddd_x.py").write_text(
        m("dddddddddddd", "bbbbbbbbbbbb", upgrade="op.drop_column('users', 'nope')").source
    )
    files = sorted(versions.glob("*.py"))
    options = Options(default_rules(), cache_dir=str(tmp_path / "cache"))
    cold = lint(str(versions), files, options)
    warm = lint(str(versions), files, options)
    assert [d.code for d in cold if d.code.startswith("AL3")] == ["AL301"]
    assert warm == cold


def test_names_a_convention_or_the_database_gave_are_never_judged(tmp_path: Path) -> None:
    """Dropped by the name PostgreSQL (or a naming convention) gave, then re-created by
    that name in the downgrade: an exact reverse, not an incomplete one."""
    model, _ = model_of(
        tmp_path,
        m(
            "aaaaaaaaaaaa",
            upgrade="op.create_table('rule', sa.Column('id', sa.Integer(), primary_key=True),\n"
            "    sa.Column('name', sa.String(), index=True),\n"
            "    sa.Column('project_id', sa.Integer()),\n"
            "    sa.UniqueConstraint('name', 'project_id'))",
            downgrade="op.drop_table('rule')",
        ),
        m(
            "bbbbbbbbbbbb",
            "aaaaaaaaaaaa",
            upgrade="op.drop_constraint('rule_name_project_id_key', 'rule', type_='unique')\n"
            "op.drop_index('ix_rule_name', table_name='rule')",
            downgrade="op.create_index('ix_rule_name', 'rule', ['name'])\n"
            "op.create_unique_constraint('rule_name_project_id_key', 'rule', "
            "['name', 'project_id'])",
        ),
    )
    assert model.failures == [] and model.unreverted == []


def test_a_type_change_without_existing_nullable_leaves_nullability_unknown(
    tmp_path: Path,
) -> None:
    """MySQL's MODIFY makes the column nullable unless existing_nullable says otherwise."""
    model, revisions = model_of(
        tmp_path,
        m("aaaaaaaaaaaa", upgrade=USERS),
        m(
            "bbbbbbbbbbbb",
            "aaaaaaaaaaaa",
            upgrade="op.alter_column('users', 'email', type_=sa.Text())",
            downgrade="op.alter_column('users', 'email', type_=sa.String(255), "
            "existing_nullable=True)",
        ),
    )
    users = at(model, revisions, "bbbbbbbbbbbb").table("users")
    assert users is not None
    email = users.column("email")
    assert email is not None and email.type == "sa.Text()" and email.nullable is None
    assert model.unreverted == []


def test_a_name_written_out_for_what_the_database_named_is_the_same_object(
    tmp_path: Path,
) -> None:
    """Created unnamed (PostgreSQL calls it `t_project_id_name_key`), dropped with its
    table, and re-created in the downgrade with that name spelled out (autogenerate)."""
    model, _ = model_of(
        tmp_path,
        m(
            "aaaaaaaaaaaa",
            upgrade="op.create_table('t', sa.Column('id', sa.Integer(), primary_key=True),\n"
            "    sa.Column('project_id', sa.Integer()), sa.Column('name', sa.String()),\n"
            "    sa.Column('code', sa.String(), index=True),\n"
            "    sa.UniqueConstraint('project_id', 'name'))",
            downgrade="op.drop_table('t')",
        ),
        m(
            "bbbbbbbbbbbb",
            "aaaaaaaaaaaa",
            upgrade="op.drop_table('t')",
            downgrade="op.create_table('t', sa.Column('id', sa.Integer(), primary_key=True),\n"
            "    sa.Column('project_id', sa.Integer()), sa.Column('name', sa.String()),\n"
            "    sa.Column('code', sa.String()),\n"
            "    sa.UniqueConstraint('project_id', 'name', name=op.f('t_project_id_name_key')))\n"
            "op.create_index('ix_t_code', 't', ['code'])",
        ),
    )
    assert model.unreverted == []


def test_against_names_the_same_column_added_on_the_target_branch(tmp_path: Path) -> None:
    """Each branch adds users.last_login: each is fine alone, and `--against main` on the
    branch says the merged upgrade will fail, on the branch's own file."""
    from against_support import VERSIONS, predict
    from git_support import two_branches

    add = "op.add_column('users', sa.Column('last_login', sa.DateTime()))"
    drop = "op.drop_column('users', 'last_login', if_exists=True)"
    base = m("aaaaaaaaaaaa", upgrade=USERS, downgrade="op.drop_table('users', if_exists=True)")
    theirs = m("bbbbbbbbbbbb", "aaaaaaaaaaaa", upgrade=add, downgrade=drop)
    ours = m("cccccccccccc", "aaaaaaaaaaaa", upgrade=add, downgrade=drop)
    repo = two_branches(
        tmp_path / "repo",
        {f"{VERSIONS}/{base.filename}": base.source},
        {f"{VERSIONS}/{theirs.filename}": theirs.source},
        {f"{VERSIONS}/{ours.filename}": ours.source},
    )
    found = [d for d in predict(repo).diagnostics if d.code == "AL302"]
    assert [Path(d.location.path).name for d in found] == [ours.filename]
    assert "column users.last_login already exists" in found[0].message


@pytest.mark.parametrize(
    "upgrade",
    [
        # An existence test (the inspector style)...
        "tables = sa.inspect(op.get_bind()).get_table_names()\n"
        "if 'users' in tables:\n    op.add_column('users', sa.Column('email', sa.Text()))",
        # ...per database, the branches being alternatives, not a sequence...
        "if op.get_bind().dialect.name == 'sqlite':\n"
        "    op.drop_table('users')\n"
        "    op.create_table('users', sa.Column('id', sa.Integer()),\n"
        "                    sa.Column('email', sa.Text()))\n"
        "else:\n    op.add_column('users', sa.Column('email', sa.Text()))",
        # ...in a loop, an except handler, after an early return...
        "for name in NAMES:\n    op.add_column('users', sa.Column('email', sa.Text()))",
        "try:\n    pass\nexcept Exception:\n"
        "    op.add_column('users', sa.Column('email', sa.Text()))",
        "if is_offline():\n    return\nop.add_column('users', sa.Column('email', sa.Text()))",
        # ...and in a helper called under a condition.
        "if is_postgres():\n    _add()",
    ],
)
def test_operations_under_a_condition_may_not_run(tmp_path: Path, upgrade: str) -> None:
    from alembic_lint.rules.examples import raw

    helper = "def _add():\n    op.add_column('users', sa.Column('email', sa.Text()))\n"
    model, revisions = model_of(
        tmp_path,
        m("aaaaaaaaaaaa", upgrade=USERS),
        raw(
            "bbbbbbbbbbbb_x.py",
            "from alembic import op\nimport sqlalchemy as sa\n"
            "revision = 'bbbbbbbbbbbb'\ndown_revision = 'aaaaaaaaaaaa'\n\n\n"
            f"{helper}\n\ndef upgrade():\n"
            + "".join(f"    {line}\n" for line in upgrade.splitlines())
            + "\n\ndef downgrade():\n    pass\n",
        ),
        m("cccccccccccc", "bbbbbbbbbbbb", upgrade="op.drop_column('users', 'email')"),
    )
    assert model.failures == []
    why = at(model, revisions, "bbbbbbbbbbbb").why_unsure("users")
    # A connection from op.get_bind() may run any SQL: that makes everything unsure too.
    said = ("under a condition", "a connection that may run any SQL")
    assert why is not None and any(s in why for s in said[: 1 + ("get_bind" in upgrade)])


# --- op.execute() of SQL built when the migration runs, and names known exactly

BUILT = '''\
from alembic import op
import sqlalchemy as sa
import textwrap
from textwrap import dedent

revision = "bbbbbbbbbbbb"
down_revision = "aaaaaaaaaaaa"

TABLE = "users"
FUNCTION = """
CREATE OR REPLACE FUNCTION touch() RETURNS trigger AS $$
BEGIN NEW.at = now(); RETURN NEW; END; $$ LANGUAGE plpgsql
"""


def upgrade():
    users = sa.table("users", sa.column("email"))
    op.execute(users.update().where(users.c.email.is_(None)).values(email=""))
    op.execute(tables.users.insert().values(email="x"))
    op.execute(sa.table("users").delete())
    op.execute(sa.update(users).values(email="y"))
    op.execute(f"UPDATE {TABLE} SET email = '{value}' WHERE id > {limit}")
    op.execute(textwrap.dedent(f"""
        WITH old AS (SELECT id FROM users WHERE id < {limit})
        DELETE FROM users WHERE id IN (SELECT id FROM old)
    """))
    op.execute(FUNCTION)
    op.execute(dedent(f"CREATE TRIGGER t BEFORE UPDATE ON {TABLE} EXECUTE PROCEDURE touch()"))
    op.execute("COMMENT ON COLUMN %s.email IS 'x'" % TABLE)
    op.execute("GRANT SELECT ON {} TO reader".format(TABLE))
    statement = sa.text("INSERT INTO audit VALUES (" + str(1) + ")")
    op.execute(statement.bindparams())
    op.add_column(TABLE, sa.Column(COLUMN, sa.Integer()))
    op.execute(f"ALTER TABLE {TABLE} ADD COLUMN {COLUMN}_copy INTEGER")
    op.drop_column(TABLE, COLUMN)


COLUMN = "score"
'''


def test_sql_built_at_run_time_that_changes_no_table_keeps_the_schema_exact(
    tmp_path: Path,
) -> None:
    files = [m("aaaaaaaaaaaa", upgrade=USERS), _File("bbbbbbbbbbbb_b.py", BUILT)]
    model, revisions = model_of(tmp_path, *files)
    schema = at(model, revisions, "bbbbbbbbbbbb")
    assert schema.rest == "it may be there from before the history" and not schema.unsure
    users = schema.table("users")
    assert users is not None and users.unsure is None
    assert [c.name for c in users.columns] == ["id", "email", "org_id", "score_copy"]
    assert model.failures == []


class _File:
    def __init__(self, filename: str, source: str) -> None:
        self.filename, self.source = filename, source


@pytest.mark.parametrize(
    ("upgrade", "why"),
    [
        # The statement's kind is not in the literal words it starts with.
        ("op.execute(f'{verb} TABLE users')", "SQL that is not a literal"),
        ("op.execute(f'ALTER TABLE {name} DROP COLUMN email')", "SQL that is not a literal"),
        ("op.execute(f'UPDATE{x} users')", "SQL that is not a literal"),
        ("op.execute(f'SELECT {function}()')", "SQL that is not a literal"),
        ("op.execute(f'UPDATE users SET a = 1; {more}')", "SQL that is not a literal"),
        ("op.execute(f'UPDATE users SET a = 1; DROP TABLE {name}')", "SQL that is not a literal"),
        ("op.execute(f'DROP FUNCTION {name}')", "SQL that is not a literal"),
        ("op.execute(f'WITH a AS (SELECT 1) SELECT {f}()')", "SQL that is not a literal"),
        # A name bound more than once, or some other way, is not followed.
        ("sql = 'UPDATE users SET a = 1'\nsql = sql + x\nop.execute(sql)", "not a literal"),
        ("for sql in ('UPDATE users SET a = 1',):\n    op.execute(sql)", "not a literal"),
        ("op.execute(build('UPDATE users SET a = 1'))", "SQL that is not a literal"),
        ("op.execute(session.query(User).update())", "SQL that is not a literal"),
        ("op.execute((lambda sql: sql)('DROP TABLE users'))", "SQL that is not a literal"),
        ("op.add_column(table, sa.Column('x', sa.Integer()))", "a table name"),
        ("op.drop_table(TABLE)", "a table name"),  # TABLE is assigned twice below
    ],
)
def test_sql_and_names_only_running_the_file_tells_stay_unsure(
    tmp_path: Path, upgrade: str, why: str
) -> None:
    source = m("bbbbbbbbbbbb", "aaaaaaaaaaaa", upgrade=upgrade).source
    source += "\nTABLE = 'users'\nTABLE = 'orgs'\n"
    model, revisions = model_of(
        tmp_path, m("aaaaaaaaaaaa", upgrade=USERS), _File("bbbbbbbbbbbb_b.py", source)
    )
    schema = at(model, revisions, "bbbbbbbbbbbb")
    reason = schema.why_unsure("users")
    assert reason is not None and why in reason
    assert schema.rest is not None  # the whole schema: the table may be any


def test_names_in_a_nested_scope_are_not_followed(tmp_path: Path) -> None:
    upgrade = (
        "apply = lambda TABLE: op.drop_table(TABLE)\n"
        "def helper(sql='DROP TABLE users'):\n"
        "    op.execute(sql)\n"
        "helper()"
    )
    source = m("bbbbbbbbbbbb", "aaaaaaaaaaaa", upgrade=upgrade).source + "\nTABLE = 'orgs'\n"
    model, revisions = model_of(
        tmp_path, m("aaaaaaaaaaaa", upgrade=USERS), _File("bbbbbbbbbbbb_b.py", source)
    )
    schema = at(model, revisions, "bbbbbbbbbbbb")
    assert schema.rest is not None and schema.has_table("users") is None


@pytest.mark.parametrize(
    "text",
    [
        "DROP TYPE mood CASCADE",  # drops the columns of that type
        "DROP FUNCTION f() CASCADE",  # drops defaults, checks, indexes that call it
        "DROP EXTENSION citext CASCADE",
        "DROP SEQUENCE s CASCADE",
    ],
)
def test_drop_cascade_of_what_columns_use_is_unsure(text: str) -> None:
    (found,) = sql(text)
    assert found.action == "unknown"


@pytest.mark.parametrize("text", ["DROP VIEW v CASCADE", "DROP TYPE mood", "DROP TRIGGER t ON x"])
def test_drop_of_what_no_column_uses_changes_no_table(text: str) -> None:
    assert sql(text) == []


def test_what_execute_runs_survives_the_cache() -> None:
    from alembic_lint.astread import read_migration_fast
    from alembic_lint.cache_json import migration_from_json, migration_to_json

    migration = read_migration_fast("/versions/bbbbbbbbbbbb_b.py", BUILT.encode())
    assert migration is not None
    assert sum(isinstance(o.statement, tuple) for o in migration.ops) >= 8
    assert sum(isinstance(o.statement, str) for o in migration.ops) >= 3
    entry, ops = json.loads(json.dumps(migration_to_json(migration)))
    back = migration_from_json(entry, migration.path, migration.digest, ops)
    # The arguments are not stored (the changes made from them are): all else comes back.
    bare = [replace(o, args=(), kwargs=(), batch_call=None) for o in migration.ops]
    assert list(back.ops) == bare and back.changes == migration.changes
    assert any(o.args for o in migration.ops)


def test_index_and_constraint_renames_are_followed(tmp_path: Path) -> None:
    renames = (
        "op.execute('ALTER INDEX ix_users_email RENAME TO ix_users_mail')\n"
        "op.execute('ALTER TABLE users RENAME CONSTRAINT uq_users_email_org TO uq_users_org')\n"
        "op.execute('ALTER INDEX users_pkey RENAME TO pk_users')"  # named by the database
    )
    model, revisions = model_of(
        tmp_path,
        m("aaaaaaaaaaaa", upgrade=USERS),
        m("bbbbbbbbbbbb", "aaaaaaaaaaaa", upgrade=renames),
        m(
            "cccccccccccc",
            "bbbbbbbbbbbb",
            upgrade="op.drop_index('ix_users_mail', table_name='users')\n"
            "op.drop_constraint('uq_users_org', 'users', type_='unique')\n"
            "op.drop_constraint('pk_users', 'users', type_='primary')\n"
            "op.drop_index('ix_users_email', table_name='users')",
        ),
    )
    users = at(model, revisions, "bbbbbbbbbbbb").table("users")
    assert users is not None and users.unsure is None
    assert {i.name for i in users.indexes} == {None, "ix_users_mail"}
    assert {c.name for c in users.constraints if c.kind == "unique"} == {None, "uq_users_org"}
    assert users.has_index("ix_users_mail") is True
    # The primary key's two names, and whether the index named by a convention is the
    # one dropped last, are not known: nothing is reported.
    assert "pk_users" in users.vague and users.has_constraint("pk_users", "primary") is None
    assert failures(model, revisions) == []


@pytest.mark.parametrize(
    ("text", "action", "table", "name", "new"),
    [
        ("ALTER INDEX s.ix RENAME TO ix2", "rename_index", None, "s.ix", "ix2"),
        ("ALTER TABLE t RENAME CONSTRAINT a TO b", "rename_constraint", "t", "a", "b"),
        ("ALTER TABLE t RENAME INDEX a TO b", "rename_index", "t", "a", "b"),
        ("ALTER TABLE t RENAME KEY a TO b", "rename_index", "t", "a", "b"),
    ],
)
def test_rename_sql_is_read(text: str, action: str, table: str, name: str, new: str) -> None:
    (found,) = sql(text)
    assert (found.action, found.table, found.name) == (action, table, name)
    assert found.alter is not None and found.alter.new_name == new


def test_renaming_a_foreign_key_leaves_an_index_of_its_name(tmp_path: Path) -> None:
    create = (
        "op.create_table('a', sa.Column('id', sa.Integer(), primary_key=True),\n"
        "    sa.Column('b_id', sa.Integer()),\n"
        "    sa.ForeignKeyConstraint(['b_id'], ['a.id'], name='same'))\n"
        "op.create_index('same', 'a', ['b_id'])"
    )
    model, revisions = model_of(
        tmp_path,
        m("aaaaaaaaaaaa", upgrade=create),
        m(
            "bbbbbbbbbbbb",
            "aaaaaaaaaaaa",
            upgrade="op.execute('ALTER TABLE a RENAME CONSTRAINT same TO fk')\n"
            "op.execute('ALTER INDEX same RENAME TO ix')",
        ),
    )
    table = at(model, revisions, "bbbbbbbbbbbb").table("a")
    assert table is not None
    assert [c.name for c in table.constraints if c.kind == "foreignkey"] == ["fk"]
    assert [i.name for i in table.indexes] == ["ix"]


def test_a_drop_of_a_name_it_does_not_know_may_drop_any_listed_one(tmp_path: Path) -> None:
    """With a naming convention (``ck_%(table_name)s_%(constraint_name)s``) a check created
    as ``positive`` is ``ck_items_positive`` in the database: dropping that name and
    creating ``positive`` again is no clash (seen in indico's history)."""
    create = (
        "op.create_table('items', sa.Column('id', sa.Integer(), primary_key=True),\n"
        "    sa.Column('n', sa.Integer()),\n"
        "    sa.CheckConstraint('n > 0', name='positive'))"
    )
    again = (
        "op.drop_constraint('ck_items_positive', 'items')\n"
        "op.create_check_constraint('positive', 'items', 'n >= 0')"
    )
    third = "op.create_check_constraint('positive', 'items', 'n >= 1')"
    model, revisions = model_of(
        tmp_path,
        m("aaaaaaaaaaaa", upgrade=create),
        m("bbbbbbbbbbbb", "aaaaaaaaaaaa", upgrade=again),
        m("cccccccccccc", "bbbbbbbbbbbb", upgrade=third),
    )
    # Created twice without a drop between: a clash whatever the convention makes of it.
    assert failures(model, revisions) == [
        ("cccccccccccc", "exists", "constraint positive on items")
    ]


def test_what_an_operation_that_may_not_run_touched_is_never_said_to_exist(
    tmp_path: Path,
) -> None:
    """upgrade() drops a column after ``if offline: raise`` (it may not run); downgrade()
    adds it back: the column may or may not be there, so no clash is reported (seen in
    indico's history once more of its schema was known)."""
    upgrade = (
        "if context.is_offline_mode():\n"
        "    raise Exception('online only')\n"
        "op.drop_column('users', 'email')\n"
        "op.drop_constraint('uq_users_email_org', 'users', type_='unique')\n"
        "op.drop_index('ix_users_email', table_name='users')"
    )
    downgrade = (
        "op.add_column('users', sa.Column('email', sa.String(255)))\n"
        "op.create_unique_constraint('uq_users_email_org', 'users', ['email', 'org_id'])\n"
        "op.create_index('ix_users_email', 'users', ['email'])\n"
        "op.alter_column('users', 'org_id', new_column_name='email')"
    )
    model, revisions = model_of(
        tmp_path,
        m("aaaaaaaaaaaa", upgrade=USERS),
        m("bbbbbbbbbbbb", "aaaaaaaaaaaa", upgrade=upgrade, downgrade=downgrade),
    )
    assert failures(model, revisions) == []
    undone = model.undone[revisions.by_id["bbbbbbbbbbbb"]].table("users")
    assert undone is not None and undone.unsure is not None
    assert [c.name for c in undone.columns].count("email") == 1


def test_an_index_or_constraint_that_may_not_be_there_leaves_the_table_known(
    tmp_path: Path,
) -> None:
    upgrade = (
        "if op.get_context().dialect.name == 'mysql':\n"
        "    op.drop_constraint('uq_users_email_org', 'users', type_='unique')\n"
        "    op.create_index('ix_mysql', 'users', ['email'])\n"
        "op.drop_index('ix_users_email', table_name='users')\n"
        "op.create_index('ix_users_email', 'users', ['email'])"
    )
    downgrade = (
        "op.create_index('ix_users_email', 'users', ['email'])\n"  # there: a clash
        "op.create_unique_constraint('uq_users_email_org', 'users', ['email', 'org_id'])\n"
        "op.drop_index('ix_mysql', table_name='users')"
    )
    model, revisions = model_of(
        tmp_path,
        m("aaaaaaaaaaaa", upgrade=USERS),
        m("bbbbbbbbbbbb", "aaaaaaaaaaaa", upgrade=upgrade, downgrade=downgrade),
    )
    users = at(model, revisions, "bbbbbbbbbbbb").table("users")
    assert users is not None and users.unsure is None
    assert users.has_constraint("uq_users_email_org", "unique") is None
    assert users.has_index("ix_mysql") is None
    assert failures(model, revisions) == [
        ("bbbbbbbbbbbb", "exists", "index ix_users_email on users")
    ]


# --- what real migrations do that the model cannot see (each history upgrades and
# downgrades on real SQLite: tests/test_schema_db.py::test_hostile_history_runs_on_sqlite)

USERS_PLAIN = (
    "op.create_table('users', sa.Column('id', sa.Integer(), primary_key=True),\n"
    "    sa.Column('email', sa.String(50)))",
    "op.drop_table('users')",
)
#: Linear histories, (upgrade, downgrade) per revision: each once gave a finding on what
#: works on a database.
HOSTILE: dict[str, list[tuple[str, ...]]] = {
    # The recreated table takes a constraint from table_args.
    "batch_table_args": [
        USERS_PLAIN,
        (
            "with op.batch_alter_table('users', recreate='always',\n"
            "        table_args=(sa.UniqueConstraint('email', name='uq_users_e'),)) as b:\n"
            "    b.add_column(sa.Column('x', sa.Integer()))",
            "with op.batch_alter_table('users') as b:\n"
            "    b.drop_constraint('uq_users_e', type_='unique')\n"
            "    b.drop_column('x')",
        ),
    ],
    # Boolean and Enum with create_constraint=True make a CHECK constraint of their name.
    "type_check_constraints": [
        (
            "op.create_table('users', sa.Column('id', sa.Integer(), primary_key=True),\n"
            "    sa.Column('ok', sa.Boolean(create_constraint=True, name='ck_users_ok')),\n"
            "    sa.Column('st', sa.Enum('a', 'b', name='ck_users_st',\n"
            "                            create_constraint=True)))",
            "op.drop_table('users')",
        ),
        (
            "with op.batch_alter_table('users') as b:\n"
            "    b.drop_constraint('ck_users_ok', type_='check')\n"
            "    b.drop_constraint('ck_users_st', type_='check')",
            "pass",
        ),
    ],
    # ...and so does a batch's alter_column to such a type.
    "type_check_by_alter": [
        (
            "op.create_table('users', sa.Column('id', sa.Integer(), primary_key=True),\n"
            "    sa.Column('ok', sa.Integer()))",
            "op.drop_table('users')",
        ),
        (
            "with op.batch_alter_table('users') as b:\n"
            "    b.alter_column('ok', type_=sa.Boolean(create_constraint=True, name='ck_ok'))",
            "with op.batch_alter_table('users') as b:\n"
            "    b.drop_constraint('ck_ok', type_='check')\n"
            "    b.alter_column('ok', type_=sa.Integer())",
        ),
    ],
    # main.users is users on SQLite (public.users on PostgreSQL).
    "schema_qualified": [
        USERS_PLAIN,
        (
            "op.add_column('users', sa.Column('x', sa.Integer()), schema='main')",
            "op.drop_column('users', 'x')",
        ),
        (
            "op.execute('ALTER TABLE main.users ADD COLUMN y INTEGER')",
            "op.drop_column('users', 'y')",
        ),
        (
            "op.add_column('users', sa.Column('z', sa.Integer()))",
            "op.drop_column('users', 'z', schema='main')",
        ),
    ],
}

#: A module of the project's own that migrations import (tests/test_schema_db.py puts it on
#: the path Alembic runs them with).
HELPER_MODULE = """\
from alembic import op
import sqlalchemy as sa


def drop_email():
    op.drop_column("users", "email")


def setting(name):
    return None


def adds_z(func):
    def run():
        op.add_column("users", sa.Column("z", sa.Integer()))
        func()

    return run


class Dropper:
    def run(self):
        op.drop_column("users", "email")
"""
ADD_EMAIL = "op.add_column('users', sa.Column('email', sa.String(50)))"
DROP_EMAIL = "op.drop_column('users', 'email')"
#: What the readers do not follow (model.UNFOLLOWED) or read as SQL on the connection
#: (model.CONNECTION_EXECUTE): (upgrade, downgrade[, module code after them]) per revision.
UNSEEN: dict[str, list[tuple[str, ...]]] = {
    "imported_helper": [
        USERS_PLAIN,
        ("drop_email()", ADD_EMAIL, "from migration_helpers import drop_email"),
        (ADD_EMAIL, DROP_EMAIL),
    ],
    "imported_module_in_function": [
        USERS_PLAIN,
        ("import migration_helpers\nmigration_helpers.drop_email()", ADD_EMAIL),
        (ADD_EMAIL, DROP_EMAIL),
    ],
    "decorated_helper": [
        USERS_PLAIN,
        (
            "_nothing()",
            "op.drop_column('users', 'z')",
            "from migration_helpers import adds_z\n\n@adds_z\ndef _nothing():\n    pass",
        ),
        ("op.drop_column('users', 'z')", "op.add_column('users', sa.Column('z', sa.Integer()))"),
    ],
    # Code that may run any number of times, or never: here never.
    "defined_never_called": [
        USERS_PLAIN,
        (
            "def _never():\n    op.drop_column('users', 'email')\n"
            "later = lambda: op.drop_column('users', 'email')\n"
            "names = [op.drop_column('users', c) for c in ()]",
            "pass",
        ),
        (DROP_EMAIL, ADD_EMAIL),
    ],
    "op_in_a_container": [
        USERS_PLAIN,
        (
            "_drop(*[op])",
            ADD_EMAIL,
            "def _drop(o):\n    o.drop_column('users', 'email')",
        ),
        (ADD_EMAIL, DROP_EMAIL),
    ],
    "op_getattr": [
        USERS_PLAIN,
        ("getattr(op, 'drop_column')('users', 'email')", ADD_EMAIL),
        (ADD_EMAIL, DROP_EMAIL),
    ],
    "sqlalchemy_drops_a_table": [
        USERS_PLAIN,
        (
            "meta = sa.MetaData()\n"
            "sa.Table('users', meta, sa.Column('id', sa.Integer())).drop(op.get_bind())",
            USERS_PLAIN[0],
        ),
        USERS_PLAIN,
    ],
    # `op` or a batch used other than by calling its methods (flow.ModuleScope.escapes).
    "batch_handed_to_a_helper": [
        USERS_PLAIN,
        (
            "with op.batch_alter_table('users') as b:\n    _drop(b)",
            ADD_EMAIL,
            "def _drop(b):\n    b.drop_column('email')",
        ),
        (ADD_EMAIL, DROP_EMAIL),
    ],
    "op_method_as_a_value": [
        USERS_PLAIN,
        ("drop = op.drop_column\ndrop('users', 'email')", ADD_EMAIL),
        (ADD_EMAIL, DROP_EMAIL),
    ],
    "op_method_in_partial": [
        USERS_PLAIN,
        ("import functools\nfunctools.partial(op.drop_column, 'users')('email')", ADD_EMAIL),
        (ADD_EMAIL, DROP_EMAIL),
    ],
    "op_as_a_default": [
        USERS_PLAIN,
        ("_drop()", ADD_EMAIL, "def _drop(o=op):\n    o.drop_column('users', 'email')"),
        (ADD_EMAIL, DROP_EMAIL),
    ],
    "batch_not_bound_by_with": [
        USERS_PLAIN,
        (
            "batch = op.batch_alter_table('users')\nwith batch as b:\n    b.drop_column('email')",
            ADD_EMAIL,
        ),
        (ADD_EMAIL, DROP_EMAIL),
    ],
    # Calls that reach operations through names bound elsewhere (flow.ModuleScope._origin).
    "class_using_op": [
        USERS_PLAIN,
        (
            "Local().run()",
            ADD_EMAIL,
            "class Local:\n    def run(self):\n        op.drop_column('users', 'email')",
        ),
        (ADD_EMAIL, DROP_EMAIL),
    ],
    "object_from_another_module": [
        USERS_PLAIN,
        ("d = Dropper()\nd.run()", ADD_EMAIL, "from migration_helpers import Dropper"),
        (ADD_EMAIL, DROP_EMAIL),
    ],
    "alembic_op_function": [
        USERS_PLAIN,
        ("drop_column('users', 'email')", ADD_EMAIL, "from alembic.op import drop_column"),
        (ADD_EMAIL, DROP_EMAIL),
    ],
    "module_level_op_alias": [
        USERS_PLAIN,
        ("o.drop_column('users', 'email')", ADD_EMAIL, "o = op"),
        (ADD_EMAIL, DROP_EMAIL),
    ],
    "module_level_helper_alias": [
        USERS_PLAIN,
        ("drop()", ADD_EMAIL, "import migration_helpers\ndrop = migration_helpers.drop_email"),
        (ADD_EMAIL, DROP_EMAIL),
    ],
    "helper_module_from_importlib": [
        USERS_PLAIN,
        (
            "helpers.drop_email()",
            ADD_EMAIL,
            "import importlib\nhelpers = importlib.import_module('migration_helpers')",
        ),
        (ADD_EMAIL, DROP_EMAIL),
    ],
    # A table whose variable's name says "type" is no type SQLAlchemy creates.
    "table_named_like_a_type": [
        USERS_PLAIN,
        (
            "user_types = sa.Table('users', sa.MetaData(), autoload_with=op.get_bind())\n"
            "user_types.drop(op.get_bind())",
            USERS_PLAIN[0],
        ),
        USERS_PLAIN,
    ],
    "connection_built_sql": [
        USERS_PLAIN,
        (
            "sql = ' '.join(['ALTER TABLE users', 'ADD COLUMN y INTEGER'])\n"
            "op.get_bind().execute(sa.text(sql))",
            "op.drop_column('users', 'y')",
        ),
        ("op.drop_column('users', 'y')", "op.add_column('users', sa.Column('y', sa.Integer()))"),
    ],
}
#: The same, where the model reads what runs exactly: it must know the schema after them.
SEEN: dict[str, list[tuple[str, ...]]] = {
    "connection_ddl": [
        USERS_PLAIN,
        (
            "op.get_bind().execute(sa.text('ALTER TABLE users ADD COLUMN x INTEGER'))\n"
            "conn = op.get_bind()\n"
            "conn.exec_driver_sql('CREATE INDEX ix_users_x ON users (x)')\n"
            "conn.execute(sa.text('UPDATE users SET x = 1'))",
            "op.drop_index('ix_users_x', table_name='users')\nop.drop_column('users', 'x')",
        ),
        (
            "op.drop_index('ix_users_x', table_name='users')\nop.drop_column('users', 'x')",
            "op.add_column('users', sa.Column('x', sa.Integer()))\n"
            "op.create_index('ix_users_x', 'users', ['x'])",
        ),
    ],
    "op_handed_to_a_helper": [
        USERS_PLAIN,
        (
            "_drop(op)",
            ADD_EMAIL,
            "def _drop(o):\n    o.drop_column('users', 'email')",
        ),
        (ADD_EMAIL, DROP_EMAIL),
    ],
    "op_alias": [
        USERS_PLAIN,
        ("o = op\no.drop_column('users', 'email')", ADD_EMAIL),
        (ADD_EMAIL, DROP_EMAIL),
    ],
    # A batch made apart and entered without a name runs no operation of its own.
    "batch_entered_without_a_name": [
        USERS_PLAIN,
        (
            "batches = [op.batch_alter_table('users', recreate='always')]\n"
            "for batch in batches:\n    with batch:\n        pass",
            "pass",
        ),
        (DROP_EMAIL, ADD_EMAIL),
    ],
    "harmless_calls": [
        USERS_PLAIN,
        (
            "import json, datetime\n"
            "bind = op.get_bind()\n"
            "if bind.dialect.name == 'sqlite':\n"
            "    print(json.dumps({'at': str(datetime.date(2026, 1, 1))}))\n"
            "names = sa.inspect(bind).get_table_names()\n"
            "rows = bind.execute(sa.select(sa.column('id')).select_from(sa.table('users')))\n"
            "bind.execute(sa.table('users', sa.column('email')).update().values(email='x'))\n"
            "ADD_LATER = len(names)\n" + ADD_EMAIL.replace("email", "email2"),
            "op.drop_column('users', 'email2')",
        ),
        ("op.drop_column('users', 'email2')", ADD_EMAIL.replace("email", "email2")),
    ],
    # A function from another module whose value is used computes that value; a query's
    # rows are read; a type is created (an enum, found by the name it is bound to).
    "values_and_queries": [
        USERS_PLAIN,
        (
            "from migration_helpers import setting\n"
            "if setting('X') is None:\n"
            "    level = setting('Y')\n"
            "query = ' '.join(['SELECT id', 'FROM users'])\n"
            "ids = [row[0] for row in op.get_bind().execute(sa.text(query))]\n"
            "state = sa.Enum('a', 'b', name='state_kind')\n"
            "state.create(op.get_bind(), checkfirst=True)\n" + ADD_EMAIL.replace("email", "email2"),
            "op.drop_column('users', 'email2')",
        ),
        ("op.drop_column('users', 'email2')", ADD_EMAIL.replace("email", "email2")),
    ],
}
HOSTILE.update(UNSEEN)
HOSTILE.update(SEEN)


#: The same, for PostgreSQL (tests/test_schema_db.py::test_hostile_history_runs_on_postgres).
HOSTILE_POSTGRES: dict[str, list[tuple[str, ...]]] = {
    "function_ddl": [
        USERS_PLAIN,
        (
            "op.execute('CREATE FUNCTION drop_email() RETURNS void AS $body$ "
            "ALTER TABLE users DROP COLUMN email; $body$ LANGUAGE sql')\n"
            "op.execute('SELECT drop_email()')\n"
            "op.execute('DROP FUNCTION drop_email()')",
            "op.add_column('users', sa.Column('email', sa.String(50)))",
        ),
        (
            "op.add_column('users', sa.Column('email', sa.String(50)))",
            "op.drop_column('users', 'email')",
        ),
    ],
    "public_schema": [
        USERS_PLAIN,
        (
            "op.add_column('users', sa.Column('x', sa.Integer()), schema='public')\n"
            "op.execute('ALTER TABLE public.users ADD COLUMN y INTEGER')",
            "op.drop_column('users', 'x')\nop.drop_column('users', 'y')",
        ),
    ],
}


def hostile_files(name: str) -> list[object]:
    revisions = {**HOSTILE, **HOSTILE_POSTGRES}[name]
    ids = [f"{i:012x}" for i in range(0xA1, 0xA1 + len(revisions))]
    return [
        m(rev, ids[i - 1] if i else None, upgrade=up, downgrade=down, helpers="\n".join(more))
        for i, (rev, (up, down, *more)) in enumerate(zip(ids, revisions, strict=True))
    ]


@pytest.mark.parametrize("name", sorted(HOSTILE) + sorted(HOSTILE_POSTGRES))
def test_what_real_migrations_do_unseen_is_never_reported(tmp_path: Path, name: str) -> None:
    model, revisions = model_of(tmp_path, *hostile_files(name))
    assert failures(model, revisions) == []
    assert model.undone and all(s is not None for s in model.undone.values())


@pytest.mark.parametrize("name", sorted(UNSEEN))
def test_what_the_readers_do_not_follow_leaves_the_schema_unsure(tmp_path: Path, name: str) -> None:
    """Before: each of these gave a finding on a history real Alembic runs cleanly."""
    model, revisions = model_of(tmp_path, *hostile_files(name))
    assert failures(model, revisions) == []
    assert at(model, revisions, "0000000000a2").why_unsure("users") is not None


@pytest.mark.parametrize("name", sorted(SEEN))
def test_sql_on_the_connection_and_harmless_calls_stay_exact(tmp_path: Path, name: str) -> None:
    model, revisions = model_of(tmp_path, *hostile_files(name))
    assert failures(model, revisions) == []
    for rev in ("0000000000a2", "0000000000a3"):
        schema = at(model, revisions, rev)
        assert schema.table("users") is not None and schema.why_unsure("users") is None, rev
    after = at(model, revisions, "0000000000a2").table("users")
    assert after is not None
    columns = {c.name for c in after.columns}
    if name == "connection_ddl":
        assert "x" in columns and after.has_index("ix_users_x") is True
    elif name in ("op_alias", "op_handed_to_a_helper"):
        assert "email" not in columns


def test_queries_and_query_objects_that_run_themselves_change_nothing(tmp_path: Path) -> None:
    upgrade = (
        "conn = op.get_bind()\n"
        "rows = conn.execute(sa.text('(SELECT 1) UNION (SELECT 2)')).fetchall()\n"
        "found = conn.execute(sa.text(f'SELECT id FROM {TABLE} WHERE x = 1')).first()\n"
        "User.update(name='x').where(User.id == 1).execute()\n"
        "r = conn.execute(sa.text(f'DROP INDEX {name}'))"
    )
    model, revisions = model_of(
        tmp_path,
        m("aaaaaaaaaaaa", upgrade=USERS),
        m("bbbbbbbbbbbb", "aaaaaaaaaaaa", upgrade=upgrade.rsplit("\n", 1)[0]),
        m("cccccccccccc", "bbbbbbbbbbbb", upgrade=upgrade.rsplit("\n", 1)[1]),
    )
    assert at(model, revisions, "bbbbbbbbbbbb").why_unsure("users") is None
    # DDL on the connection that it cannot read: anything may have gone (its result used
    # or not).
    assert at(model, revisions, "cccccccccccc").why_unsure("users") is not None


@pytest.mark.parametrize(
    "call",
    [
        "op.run_async(_drop)",
        "op.invoke(DropColumnOp('users', 'email'))",
    ],
)
def test_code_handed_over_makes_everything_unsure(tmp_path: Path, call: str) -> None:
    model, revisions = model_of(
        tmp_path,
        m("aaaaaaaaaaaa", upgrade=USERS),
        m("bbbbbbbbbbbb", "aaaaaaaaaaaa", upgrade=call),
        m("cccccccccccc", "bbbbbbbbbbbb", upgrade="op.add_column('users', sa.Column('email'))"),
    )
    assert failures(model, revisions) == []
    schema = at(model, revisions, "bbbbbbbbbbbb")
    assert schema.rest is not None and schema.why_unsure("users") is not None


def test_a_batch_shaped_by_its_arguments_leaves_its_table_unsure(tmp_path: Path) -> None:
    upgrade = (
        "with op.batch_alter_table('users', reflect_args=[sa.Column('email', sa.Text())]):\n"
        "    pass\n"
        "with op.batch_alter_table('orgs', recreate='always', table_args=ARGS):\n"
        "    pass"
    )
    orgs = "op.create_table('orgs', sa.Column('id', sa.Integer(), primary_key=True))"
    model, revisions = model_of(
        tmp_path,
        m("aaaaaaaaaaaa", upgrade=f"{USERS}\n{orgs}"),
        m("bbbbbbbbbbbb", "aaaaaaaaaaaa", upgrade=upgrade),
    )
    schema = at(model, revisions, "bbbbbbbbbbbb")
    assert "reflect_args" in (schema.why_unsure("users") or "")
    assert "table_args" in (schema.why_unsure("orgs") or "")


def test_a_type_without_create_constraint_brings_no_check(tmp_path: Path) -> None:
    upgrade = (
        "op.create_table('t', sa.Column('a', sa.Boolean()), sa.Column('b', sa.Enum('x')),\n"
        "    sa.Column('c', sa.Boolean(create_constraint=False, name='ck_c')),\n"
        "    sa.Column('d', sa.Boolean(create_constraint=FLAG)))"
    )
    model, revisions = model_of(tmp_path, m("aaaaaaaaaaaa", upgrade=upgrade))
    table = at(model, revisions, "aaaaaaaaaaaa").table("t")
    assert table is not None and table.unsure is None
    assert [(c.kind, c.name, c.columns) for c in table.constraints] == [("check", None, ("d",))]


def test_a_name_under_another_schema_may_be_the_same_table(tmp_path: Path) -> None:
    def users(schema: str) -> str:
        return f"op.create_table('users', sa.Column('id', sa.Integer()), schema={schema!r})"

    model, revisions = model_of(
        tmp_path,
        m("aaaaaaaaaaaa", upgrade=USERS),
        m("bbbbbbbbbbbb", "aaaaaaaaaaaa", upgrade="op.drop_index('ix_a', 'users', schema='s')"),
        m("cccccccccccc", upgrade=users("s")),
        m("dddddddddddd", "cccccccccccc", upgrade="op.drop_column('users', 'id')"),
    )
    assert failures(model, revisions) == []
    assert "s.users" in (at(model, revisions, "bbbbbbbbbbbb").why_unsure("users") or "")
    assert at(model, revisions, "dddddddddddd").why_unsure("s.users") is not None
    # Two other schemas are two tables.
    (tmp_path / "two").mkdir()
    model, revisions = model_of(
        tmp_path / "two",
        m("aaaaaaaaaaaa", upgrade=users("a")),
        m("bbbbbbbbbbbb", "aaaaaaaaaaaa", upgrade="op.drop_table('users', schema='b')"),
    )
    assert at(model, revisions, "bbbbbbbbbbbb").why_unsure("a.users") is None
