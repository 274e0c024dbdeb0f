"""AL201 per target database, proved with real Alembic (offline `--sql` and online runs) and a
real SQLite; and where the target database comes from (setting, ini URL, the files)."""

from __future__ import annotations

import io
import json
import shutil
import sqlite3
import subprocess
import textwrap
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config

from alembic_lint.cli import main

ENV = """\
from alembic import context
from sqlalchemy import engine_from_config, pool

config = context.config
if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    engine = engine_from_config(
        config.get_section(config.config_ini_section, {}),
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    with engine.connect() as connection:
        context.configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
"""

BASE = '''\
"""create orders

Revision ID: aaaaaaaaaaaa
Revises:
Create Date: 2026-01-01 00:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

revision = "aaaaaaaaaaaa"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "orders",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("placed", sa.String(20)),
        sa.Column("note", sa.String(20)),
        sa.Column("customer_id", sa.Integer),
    )
    op.create_index("ix_orders_placed", "orders", ["placed"])
    op.create_table("legacy_audit", sa.Column("id", sa.Integer, primary_key=True))


def downgrade():
    op.drop_table("legacy_audit")  # noqa: AL201
    op.drop_table("orders")  # noqa: AL201
'''

HEAD = '''\
"""drop the old bits

Revision ID: bbbbbbbbbbbb
Revises: aaaaaaaaaaaa
Create Date: 2026-01-02 00:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

revision = "bbbbbbbbbbbb"
down_revision = "aaaaaaaaaaaa"
branch_labels = None
depends_on = None


def upgrade():
{body}


def downgrade():
    raise NotImplementedError("dropped data cannot come back")
'''


def project(root: Path, url: str, body: str, *, ini_extra: str = "") -> Path:
    """An Alembic project whose second migration's upgrade() is ``body``; its ini path."""
    versions = root / "migrations" / "versions"
    versions.mkdir(parents=True)
    (root / "migrations" / "env.py").write_text(ENV)
    (versions / "aaaaaaaaaaaa_create_orders.py").write_text(BASE)
    head = HEAD.format(body=textwrap.indent(textwrap.dedent(body).strip("\n"), "    "))
    (versions / "bbbbbbbbbbbb_drop_the_old_bits.py").write_text(head)
    ini = root / "alembic.ini"
    ini.write_text(
        f"[alembic]\nscript_location = %(here)s/migrations\nsqlalchemy.url = {url}\n{ini_extra}"
    )
    return ini


def head_file(ini: Path) -> Path:
    return ini.parent / "migrations" / "versions" / "bbbbbbbbbbbb_drop_the_old_bits.py"


def offline_sql(ini: Path, revisions: str = "aaaaaaaaaaaa:head") -> str:
    """What `alembic upgrade REVISIONS --sql` prints, from real Alembic."""
    buffer = io.StringIO()
    command.upgrade(Config(str(ini), output_buffer=buffer), revisions, sql=True)
    return buffer.getvalue()


def sqlite_cli(database: Path, script: str) -> subprocess.CompletedProcess[str]:
    """Run a SQL script with Debian's sqlite3 shell, stopping at the first error."""
    return subprocess.run(
        ["sqlite3", "-bail", str(database)], input=script, capture_output=True, text=True
    )


def findings(capsys: pytest.CaptureFixture[str], *args: str) -> list[dict[str, object]]:
    code = main(["--no-cache", "--format", "json", "--select", "AL201", *args])
    out, err = capsys.readouterr()
    assert code in (0, 1) and "Traceback" not in err, err
    found: list[dict[str, object]] = json.loads(out)
    return sorted(found, key=lambda d: d["location"]["row"])  # type: ignore[index]


def verdicts(found: list[dict[str, object]]) -> list[str]:
    """Each finding's fix applicability, or "no fix"."""
    return [d["fix"]["applicability"] if d["fix"] else "no fix" for d in found]  # type: ignore[index]


def fix(capsys: pytest.CaptureFixture[str], *args: str) -> None:
    main(["--no-cache", "--fix", "--select", "AL201", *args])
    capsys.readouterr()


def add_if_exists(path: Path, *calls: str) -> None:
    """What an `if_exists=True` fix would have written, done by hand."""
    text = path.read_text()
    for call in calls:
        assert call in text
        text = text.replace(call, call[:-1] + ", if_exists=True)")
    path.write_text(text)


# --------------------------------------------------------------------------- SQLite


def test_sqlite_fixes_make_a_half_failed_migration_re_runnable(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The fixes offered on SQLite (drop_index, drop_table) render SQL that SQLite runs on
    the first run, and on a re-run after a run that failed halfway; without them the re-run
    stops on the drop that already happened."""
    body = """
    op.drop_index("ix_orders_placed", table_name="orders")
    op.drop_table("legacy_audit")
    op.execute("UPDATE order_totals SET total = 0")
    """
    ini = project(tmp_path / "p", "sqlite:///%(here)s/app.db", body)
    found = findings(capsys, str(ini))
    assert [d["message"] for d in found] == [
        "`op.drop_index()` without `if_exists=True`",
        "`op.drop_table()` without `if_exists=True`",
    ]
    assert verdicts(found) == ["safe", "safe"]

    # A half-failed run: the two drops ran (SQLite under Alembic commits each DDL
    # statement: no BEGIN in the script), then the UPDATE failed.
    half = tmp_path / "half.db"
    assert sqlite_cli(half, offline_sql(ini, "aaaaaaaaaaaa")).returncode == 0
    failed = sqlite_cli(half, offline_sql(ini))
    assert failed.returncode != 0 and "no such table: order_totals" in failed.stderr
    with sqlite3.connect(half) as db:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master")}
        version = db.execute("SELECT version_num FROM alembic_version").fetchall()
    assert "legacy_audit" not in tables and "ix_orders_placed" not in tables
    assert version == [("aaaaaaaaaaaa",)]

    # The developer repairs the failing statement and runs the migration again.
    path = head_file(ini)
    path.write_text(path.read_text().replace("order_totals SET total", "orders SET placed"))
    unfixed = tmp_path / "unfixed.db"
    shutil.copy(half, unfixed)
    again = sqlite_cli(unfixed, offline_sql(ini))
    assert again.returncode != 0 and "no such index: ix_orders_placed" in again.stderr

    fix(capsys, str(ini))
    sql = offline_sql(ini)
    assert "DROP INDEX IF EXISTS ix_orders_placed;" in sql
    assert "DROP TABLE IF EXISTS legacy_audit;" in sql
    fixed = tmp_path / "fixed.db"
    shutil.copy(half, fixed)
    assert sqlite_cli(fixed, sql).returncode == 0
    first = tmp_path / "first.db"  # and the fixed migration on its first run
    assert sqlite_cli(first, offline_sql(ini, "head")).returncode == 0
    for database in (fixed, first):
        with sqlite3.connect(database) as db:
            version = db.execute("SELECT version_num FROM alembic_version").fetchall()
        assert version == [("bbbbbbbbbbbb",)]


def test_sqlite_drop_column_has_no_fix(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """SQLite rejects the SQL `if_exists=True` gives `drop_column` (the old fix): the
    finding stays (a re-run does fail) and says why there is no fix."""
    ini = project(tmp_path / "p", "sqlite:///%(here)s/app.db", 'op.drop_column("orders", "note")')
    found = findings(capsys, str(ini))
    assert verdicts(found) == ["no fix"]
    assert found[0]["message"] == (
        "`op.drop_column()` fails when re-run after a half-done migration, and SQLite rejects "
        "`DROP COLUMN IF EXISTS`: check that it exists first"
    )
    database = tmp_path / "app.db"
    assert sqlite_cli(database, offline_sql(ini, "aaaaaaaaaaaa")).returncode == 0
    plain = offline_sql(ini)
    assert sqlite_cli(database, plain).returncode == 0  # first run
    rerun = sqlite_cli(database, plain.replace("UPDATE alembic_version", "-- "))
    assert rerun.returncode != 0 and "no such column" in rerun.stderr  # the hazard is real

    add_if_exists(head_file(ini), 'op.drop_column("orders", "note")')
    sql = offline_sql(ini)
    assert "ALTER TABLE orders DROP COLUMN IF EXISTS note;" in sql
    fresh = tmp_path / "fresh.db"
    assert sqlite_cli(fresh, offline_sql(ini, "aaaaaaaaaaaa")).returncode == 0
    rejected = sqlite_cli(fresh, sql)
    assert rejected.returncode != 0 and 'near "EXISTS": syntax error' in rejected.stderr


def test_sqlite_recreating_batch_has_no_fix(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """In a SQLite batch that recreates the table, Alembic ignores `if_exists` on
    drop_column (a run where the column is gone still stops, with a KeyError) and
    `drop_index(if_exists=True)` is a TypeError: no fix for either (real Alembic, online,
    on a real SQLite file)."""
    body = """
    with op.batch_alter_table("orders") as batch_op:
        batch_op.drop_index("ix_orders_placed")
        batch_op.drop_column("note")
    op.execute("UPDATE order_totals SET total = 0")
    """
    ini = project(tmp_path / "p", "sqlite:///%(here)s/app.db", body)
    found = findings(capsys, str(ini))
    assert verdicts(found) == ["no fix", "no fix"]
    assert "`if_exists` is a TypeError in a batch that recreates the table" in str(found[0])
    assert "`if_exists` does nothing in a batch that recreates the table" in str(found[1])

    config = Config(str(ini))
    path = head_file(ini)
    original = path.read_text()
    add_if_exists(path, 'batch_op.drop_index("ix_orders_placed")')
    command.upgrade(config, "aaaaaaaaaaaa")
    with pytest.raises(TypeError, match="unexpected keyword argument 'if_exists'"):
        command.upgrade(config, "head")  # the fix breaks even the first run

    # A database where the drop already happened (what a run that failed after the batch
    # leaves, when the driver had committed it): `if_exists=True` does not help.
    database = tmp_path / "p" / "app.db"
    database.unlink()
    command.upgrade(config, "aaaaaaaaaaaa")
    assert sqlite_cli(database, "ALTER TABLE orders DROP COLUMN note;").returncode == 0
    path.write_text(original)
    add_if_exists(path, 'batch_op.drop_column("note")')
    path.write_text(path.read_text().replace('batch_op.drop_index("ix_orders_placed")', "pass"))
    path.write_text(path.read_text().replace("order_totals SET total", "orders SET placed"))
    with pytest.raises(KeyError, match="note"):
        command.upgrade(config, "head")


def test_sqlite_in_place_batch_gets_a_fix(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A SQLite batch of index operations alters the table in place: `if_exists` works
    there (safe fix); with an added column too, it works unless the column's default is a
    SQL expression (unsafe fix)."""
    body = """
    with op.batch_alter_table("orders") as batch_op:
        batch_op.drop_index("ix_orders_placed")
    """
    ini = project(tmp_path / "p", "sqlite:///%(here)s/app.db", body)
    assert verdicts(findings(capsys, str(ini))) == ["safe"]
    fix(capsys, str(ini))
    sql = offline_sql(ini)
    assert "DROP INDEX IF EXISTS ix_orders_placed;" in sql
    database = tmp_path / "app.db"
    assert sqlite_cli(database, offline_sql(ini, "aaaaaaaaaaaa")).returncode == 0
    assert sqlite_cli(database, sql).returncode == 0
    assert sqlite_cli(database, sql.replace("UPDATE alembic_version", "-- ")).returncode == 0

    body = """
    with op.batch_alter_table("orders") as batch_op:
        batch_op.add_column(sa.Column("status", sa.String(10)))
        batch_op.drop_index("ix_orders_placed")
    """
    ini = project(tmp_path / "q", "sqlite:///%(here)s/app.db", body)
    found = findings(capsys, str(ini))
    assert verdicts(found) == ["unsafe"]
    main(["--no-cache", "--fix", "--unsafe-fixes", "--select", "AL201", str(ini)])
    capsys.readouterr()
    config = Config(str(ini))
    command.upgrade(config, "head")  # a plain added column: in place, it works
    (tmp_path / "q" / "app.db").unlink()
    path = head_file(ini)
    default = "sa.String(10), server_default=sa.text(\"'new'\")"
    path.write_text(path.read_text().replace("sa.String(10)", default))
    command.upgrade(config, "aaaaaaaaaaaa")
    with pytest.raises(TypeError, match="if_exists"):
        command.upgrade(config, "head")  # the expression default recreates the table


# --------------------------------------------------------------------------- PostgreSQL


def test_postgresql_gets_every_fix(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    body = """
    op.drop_table("legacy_audit")
    op.drop_index("ix_orders_placed", table_name="orders")
    op.drop_column("orders", "note")
    op.drop_constraint("uq_orders_placed", "orders", type_="unique")
    with op.batch_alter_table("orders") as batch_op:
        batch_op.drop_column("customer_id")
    """
    ini = project(tmp_path / "p", "postgresql+psycopg://app@db.internal/shop", body)
    assert verdicts(findings(capsys, str(ini))) == ["safe"] * 5
    fix(capsys, str(ini))
    assert findings(capsys, str(ini)) == []
    sql = offline_sql(ini)
    for line in (
        "DROP TABLE IF EXISTS legacy_audit;",
        "DROP INDEX IF EXISTS ix_orders_placed;",
        "ALTER TABLE orders DROP COLUMN IF EXISTS note;",
        "ALTER TABLE orders DROP CONSTRAINT IF EXISTS uq_orders_placed;",
        "ALTER TABLE orders DROP COLUMN IF EXISTS customer_id;",
    ):
        assert line in sql


# --------------------------------------------------------------------------- MySQL


def test_mysql_fixes_only_what_mysql_accepts(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """MySQL has `DROP TABLE IF EXISTS` but no `IF EXISTS` for indexes and columns (MySQL
    8.4 manual, DROP INDEX and ALTER TABLE syntax), and Alembic renders a foreign key drop
    without it: only the table drop gets a fix."""
    body = """
    op.drop_table("legacy_audit")
    op.drop_index("ix_orders_placed", table_name="orders")
    op.drop_column("orders", "note")
    op.drop_constraint("fk_orders_customer", "orders", type_="foreignkey")
    with op.batch_alter_table("orders") as batch_op:
        batch_op.drop_column("customer_id")
    """
    ini = project(tmp_path / "p", "mysql+pymysql://app@db.internal/shop", body)
    found = findings(capsys, str(ini))
    assert verdicts(found) == ["safe", "no fix", "no fix", "no fix", "no fix"]
    assert "MySQL rejects `DROP INDEX IF EXISTS`" in str(found[1]["message"])
    assert "MySQL rejects `DROP COLUMN IF EXISTS`" in str(found[2]["message"])
    assert "Alembic renders no `IF EXISTS` for MySQL here" in str(found[3]["message"])
    fix(capsys, str(ini))
    sql = offline_sql(ini)
    assert "DROP TABLE IF EXISTS legacy_audit;" in sql
    # What the refused fixes would render: SQL that MySQL's grammar lacks, or no guard.
    path = head_file(ini)
    add_if_exists(
        path,
        'op.drop_index("ix_orders_placed", table_name="orders")',
        'op.drop_column("orders", "note")',
        'op.drop_constraint("fk_orders_customer", "orders", type_="foreignkey")',
        'batch_op.drop_column("customer_id")',
    )
    sql = offline_sql(ini)
    assert "DROP INDEX IF EXISTS ix_orders_placed ON orders;" in sql
    assert "ALTER TABLE orders DROP COLUMN IF EXISTS note;" in sql
    assert "ALTER TABLE orders DROP COLUMN IF EXISTS customer_id;" in sql
    assert "ALTER TABLE orders DROP FOREIGN KEY fk_orders_customer;" in sql  # no IF EXISTS


# --------------------------------------------------------------------------- unknown


def test_unknown_database_makes_risky_fixes_unsafe(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    body = """
    op.drop_table("legacy_audit")
    op.drop_index("ix_orders_placed", table_name="orders")
    op.drop_column("orders", "note")
    """
    ini = project(tmp_path / "p", "driver://user:pass@localhost/dbname", body)
    found = findings(capsys, str(ini))
    assert verdicts(found) == ["safe", "unsafe", "unsafe"]
    assert found[2]["fix"]["message"] == (  # type: ignore[index]
        "Add `if_exists=True` (it does not work on SQLite and MySQL; set `dialect`)"
    )


# --------------------------------------------------------------------------- the dialect's source


def dialect_line(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    code = main(["--no-cache", "--show-settings", *args])
    out, err = capsys.readouterr()
    assert code == 0, err
    (line,) = [line for line in out.splitlines() if line.startswith("dialect of ")]
    return line.split(": ", 1)[1]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql+psycopg://app@db.internal/shop", "postgresql (sqlalchemy.url in"),
        ("postgresql://%(user)s@db/shop", "postgresql (sqlalchemy.url in"),
        ("sqlite:///%(here)s/app.db", "sqlite (sqlalchemy.url in"),
        ("mysql+pymysql://app@db/shop?charset=utf8mb4", "mysql (sqlalchemy.url in"),
        ("mariadb+mariadbconnector://app@db/shop", "mariadb (sqlalchemy.url in"),
        ("mssql+pyodbc://app@dsn", "mssql (sqlalchemy.url in"),
        ("%(DB_URL)s", "unknown (no `dialect` setting; sqlalchemy.url in "),
        ("${DATABASE_URL}", "unknown (no `dialect` setting; sqlalchemy.url in "),
        ("driver://user:pass@localhost/dbname", "unknown (no `dialect` setting; sqlalchemy"),
        ("", "unknown (no `dialect` setting; sqlalchemy.url in "),
    ],
)
def test_dialect_from_the_ini_url(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, url: str, expected: str
) -> None:
    ini = project(tmp_path, url, "pass")
    line = dialect_line(capsys, str(ini))
    assert line.startswith(expected), line
    if expected.startswith("unknown"):
        assert line.endswith("; no evidence in the files)")
        reason = {"%": "is not a literal URL", "$": "is not a literal URL", "d": "names 'driver'"}
        assert (reason.get(url[:1]) or "is empty") in line


def test_dialect_setting_wins_and_is_validated(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ini = project(tmp_path, "sqlite:///app.db", "pass")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text('[tool.alembic-lint]\ndialect = "postgresql"\n')
    line = dialect_line(capsys, str(ini))
    assert line == f"postgresql (`dialect` in {tmp_path / 'pyproject.toml'})"
    (tmp_path / "pyproject.toml").write_text('[tool.alembic-lint]\ndialect = "postgres"\n')
    assert main(["--no-cache", str(ini)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "'dialect' must be one of" in err and "'postgres'" in err


def test_dialect_from_configparser_semantics(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The URL is read as Alembic's env.py reads it: from the chosen section (`-n`), with
    the [DEFAULT] section's values inherited."""
    ini = project(tmp_path, "sqlite:///app.db", "pass")
    ini.write_text(
        "[DEFAULT]\nsqlalchemy.url = postgresql://db/shop\n"
        "[alembic]\nscript_location = %(here)s/migrations\n"
        "[reporting]\nscript_location = %(here)s/migrations\nsqlalchemy.url = mysql://db/r\n"
    )
    assert dialect_line(capsys, str(ini)).startswith("postgresql (sqlalchemy.url in")
    assert dialect_line(capsys, str(ini), "-n", "reporting").startswith("mysql (")


def test_flask_migrate_ini_with_a_sqlite_url(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Flask-Migrate keeps alembic.ini inside migrations/ with no script_location; an app
    on SQLite writes its URL there, and its autogenerated migrations use batch mode."""
    migrations = tmp_path / "migrations"
    (migrations / "versions").mkdir(parents=True)
    (migrations / "alembic.ini").write_text(
        "# A generic, single database configuration.\n\n[alembic]\n"
        "# template used to generate migration files\n# file_template = %%(rev)s_%%(slug)s\n\n"
        "sqlalchemy.url = sqlite:///instance/app.db\n\n[loggers]\nkeys = root\n"
    )
    source = (
        '"""drop nickname\n\nRevision ID: 1f2e3d4c5b6a\nRevises: \nCreate Date: '
        '2026-01-01 00:00:00.000000\n\n"""\nfrom alembic import op\nimport sqlalchemy as sa\n\n\n'
        "# revision identifiers, used by Alembic.\nrevision = '1f2e3d4c5b6a'\n"
        "down_revision = None\nbranch_labels = None\ndepends_on = None\n\n\n"
        "def upgrade():\n    # ### commands auto generated by Alembic - please adjust! ###\n"
        "    with op.batch_alter_table('user', schema=None) as batch_op:\n"
        "        batch_op.drop_index('ix_user_nickname')\n"
        "        batch_op.drop_column('nickname')\n\n"
        "    # ### end Alembic commands ###\n\n\n"
        "def downgrade():\n    pass\n"
    )
    (migrations / "versions" / "1f2e3d4c5b6a_drop_nickname.py").write_text(source)
    assert dialect_line(capsys, str(migrations)).startswith("sqlite (sqlalchemy.url in")
    found = findings(capsys, str(migrations))
    assert verdicts(found) == ["no fix", "no fix"]  # the batch recreates the table


FILE = """\
from alembic import op
import sqlalchemy as sa
{imports}
revision = "{rev}"
down_revision = {down}


def upgrade():
    {body}


def downgrade():
    pass
"""


def evidence_history(root: Path, first: str, second: str) -> Path:
    versions = root / "versions"
    versions.mkdir(parents=True)
    (versions / "a.py").write_text(
        FILE.format(imports=first, rev="a", down=None, body='op.create_table("t")')
    )
    (versions / "b.py").write_text(
        FILE.format(imports=second, rev="b", down='"a"', body='op.drop_column("t", "c")')
    )
    return versions


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        ("from sqlalchemy.dialects import postgresql", "", "postgresql"),
        ("from sqlalchemy.dialects.mysql import LONGTEXT", "", "mysql"),
        ("", "import sqlalchemy.dialects.sqlite", "sqlite"),
        (
            "from sqlalchemy.dialects import postgresql",
            "from sqlalchemy.dialects import mysql",
            None,
        ),
        ("", "", None),
    ],
)
def test_dialect_from_evidence_in_the_files(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    first: str,
    second: str,
    expected: str | None,
) -> None:
    versions = evidence_history(tmp_path, first, second)
    line = dialect_line(capsys, str(versions))
    if expected is None:
        assert line.startswith("unknown (no `dialect` setting and no sqlalchemy.url; ")
        assert ("several dialects" in line) == bool(first and second)
    else:
        assert line.startswith(f"{expected} (") and "evidence in the files" in line
    found = findings(capsys, str(versions))
    wanted = {"postgresql": "safe", "mysql": "no fix", "sqlite": "no fix", None: "unsafe"}
    assert verdicts(found) == [wanted[expected]]


def test_keyword_evidence(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """`sqlite_autoincrement=True` on an operation says the migration is for SQLite."""
    versions = evidence_history(tmp_path, "", "")
    path = versions / "a.py"
    path.write_text(path.read_text().replace('("t")', '("t", sqlite_autoincrement=True)'))
    assert dialect_line(capsys, str(versions)).startswith("sqlite (")
    assert verdicts(findings(capsys, str(versions))) == ["no fix"]


def test_a_warm_run_sees_evidence_change_in_another_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The dialect the files show is a fact of the whole history: an edit of a.py changes
    b.py's finding, with the cache as without it."""
    versions = evidence_history(tmp_path, "", "")
    cache = str(tmp_path / "cache")

    def run(*args: str) -> str:
        main(["--format", "json", "--select", "AL201", *args, str(versions)])
        return capsys.readouterr().out

    before = run("--cache-dir", cache)
    assert before == run("--no-cache") and '"unsafe"' in before
    assert run("--cache-dir", cache) == before  # warm
    path = versions / "a.py"
    path.write_text(
        path.read_text().replace(
            "import sqlalchemy as sa", "from sqlalchemy.dialects import sqlite"
        )
    )
    after = run("--cache-dir", cache)
    assert after == run("--no-cache") != before
    assert "SQLite rejects" in after
    assert run("--cache-dir", cache) == after
    path.write_text(path.read_text().replace("from sqlalchemy.dialects import sqlite", ""))
    assert run("--cache-dir", cache) == before


@pytest.mark.parametrize("cache", [False, True])
def test_each_file_is_parsed_once_when_the_files_decide(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    cache: bool,
) -> None:
    """Finding the dialect reads the files first; they are then checked, not read again."""
    from alembic_lint import parse

    versions = evidence_history(tmp_path, "from sqlalchemy.dialects import postgresql", "")
    seen: list[str] = []
    real = parse.read_with_tree  # what read_migration and the engine's reading go through

    def counting(path: str, data: bytes, **kwargs: bool):  # type: ignore[no-untyped-def]
        seen.append(path)
        return real(path, data, **kwargs)

    monkeypatch.setattr(parse, "read_with_tree", counting)
    where = ["--cache-dir", str(tmp_path / "cache")] if cache else ["--no-cache"]
    assert main([*where, "--jobs", "1", "--select", "AL201", str(versions)]) == 1
    assert "`op.drop_column()` without `if_exists=True`" in capsys.readouterr().out
    assert sorted(seen) == sorted(str(p) for p in versions.iterdir())


@pytest.mark.parametrize(
    ("dialect", "body", "expected"),
    [
        # recreate="always" recreates on every database; "never" alters in place.
        (
            "postgresql",
            'with op.batch_alter_table("t", recreate="always") as b:\n    b.drop_column("c")',
            ["no fix: does nothing"],
        ),
        (
            "sqlite",
            'with op.batch_alter_table("t", recreate="never") as b:\n    b.drop_column("c")',
            ["no fix: SQLite rejects `DROP COLUMN IF EXISTS`"],
        ),
        (
            None,
            'with op.batch_alter_table("t", recreate=MODE) as b:\n    b.drop_index("i")',
            ["unsafe"],
        ),
        # Each batch is judged on its own operations.
        (
            "sqlite",
            'with op.batch_alter_table("t") as b:\n    b.drop_column("c")\n'
            'with op.batch_alter_table("u") as b:\n    b.drop_index("i")',
            ["no fix: does nothing", "safe"],
        ),
        (
            "sqlite",
            'with op.batch_alter_table("t") as b:\n    b.drop_index("i")\n'
            '    op.execute("UPDATE t SET c = 1")\n    b.alter_column("c", nullable=True)',
            ["no fix: is a TypeError"],
        ),
        (
            "mysql",
            'with op.batch_alter_table("t") as b:\n    b.drop_index("i")',
            ["no fix: MySQL rejects `DROP INDEX IF EXISTS`"],
        ),
    ],
)
def test_batch_verdicts(
    tmp_path: Path, dialect: str | None, body: str, expected: list[str]
) -> None:
    from alembic_lint import engine
    from alembic_lint.rules.drop_without_if_exists import DropWithoutIfExists

    path = tmp_path / "a.py"
    source = FILE.format(imports="", rev="a", down=None, body=body.replace("\n", "\n    "))
    path.write_text(
        source.replace(
            "def downgrade():\n    pass",
            "def downgrade():\n"
            '    with op.batch_alter_table("v") as b:\n'
            '        b.drop_index("j", if_exists=True)',
        )
    )
    rule = DropWithoutIfExists(dialect=dialect)
    found = engine.lint("h", [path], engine.Options(rules=[rule]), fixes=True)
    assert len(found) == len(expected)
    for finding, want in zip(found, expected, strict=True):
        if want.startswith("no fix: "):
            assert finding.fix is None and want[len("no fix: ") :] in finding.message
        else:
            assert finding.fix is not None and finding.fix.applicability.value == want


def test_the_api_finds_the_dialect_as_the_command_line_does(tmp_path: Path) -> None:
    from alembic_lint import lint_paths

    ini = project(tmp_path / "p", "sqlite:///app.db", 'op.drop_column("orders", "note")')
    (message,) = [d.message for d in lint_paths([str(ini)]) if d.code == "AL201"]
    assert "SQLite rejects `DROP COLUMN IF EXISTS`" in message
    versions = evidence_history(tmp_path / "q", "from sqlalchemy.dialects import mysql", "")
    (message,) = [d.message for d in lint_paths([str(versions)]) if d.code == "AL201"]
    assert "MySQL rejects `DROP COLUMN IF EXISTS`" in message


def test_a_batch_whose_recreate_mode_is_not_literal(tmp_path: Path) -> None:
    """`recreate=` from a variable: in place or not, only running the file would tell."""
    from alembic_lint import engine
    from alembic_lint.rules.drop_without_if_exists import DropWithoutIfExists

    body = 'with op.batch_alter_table("t", recreate=MODE) as b:\n    b.drop_column("c")'
    path = tmp_path / "a.py"
    path.write_text(FILE.format(imports="", rev="a", down=None, body=body.replace("\n", "\n    ")))
    for dialect, applicability in (("postgresql", "unsafe"), ("mysql", None)):
        rule = DropWithoutIfExists(dialect=dialect)
        (found,) = engine.lint("h", [path], engine.Options(rules=[rule]), fixes=True)
        assert (found.fix.applicability.value if found.fix else None) == applicability
        if found.fix:
            assert "only when the batch alters the table in place)" in found.fix.message
        else:  # MySQL rejects it in place, and a recreated batch ignores it
            assert "MySQL rejects `DROP COLUMN IF EXISTS`" in found.message


def test_the_alembic_version_still_decides_first(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fix never uses a parameter the project's Alembic lacks, whatever the database:
    with Alembic 1.13.0, only drop_index (1.11.2) has `if_exists`."""
    body = """
    op.drop_table("legacy_audit")
    op.drop_index("ix_orders_placed", table_name="orders")
    op.drop_column("orders", "note")
    """
    ini = project(tmp_path, "postgresql://db/shop", body)
    (tmp_path / "pyproject.toml").write_text(
        '[tool.alembic-lint]\ntarget-alembic-version = "1.13.0"\n'
    )
    monkeypatch.chdir(tmp_path)
    found = findings(capsys, str(ini))
    assert [(d["message"], d["fix"]["applicability"]) for d in found] == [  # type: ignore[index]
        ("`op.drop_index()` without `if_exists=True`", "safe")
    ]
