"""False alarms found on public projects' histories, one test per class of them.

Each fixture is written by us in the shape of the real files (an older Alembic template's
header, a data migration, a skipped legacy migration...), never copied from them.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from alembic_lint.cli import main
from conftest import lint_dir


def write(directory: Path, files: dict[str, str]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, source in files.items():
        (directory / name).write_text(textwrap.dedent(source).lstrip("\n"), encoding="utf-8")
    return directory


def findings(directory: Path, code: str) -> list[tuple[str, int, str]]:
    from alembic_lint.rules import by_code_or_name

    rule = by_code_or_name(code)
    assert rule is not None
    return sorted(
        (Path(d.location.path).name, d.location.line, d.message)
        for d in lint_dir(directory, [rule()])
        if d.code == code
    )


# --------------------------------------------------------------------------- AL103


def old_template(rev: str, revises: str, down: str, message: str = "initial migration") -> str:
    """A migration as Alembic's templates wrote them around 2015 (no type annotations,
    `Revises:` rendered from the variable as it was, a tuple repr for merges)."""
    return textwrap.dedent(f'''
    """{message}

    Revision ID: {rev}
    Revises: {revises}
    Create Date: 2015-01-08 23:14:00.000000

    """

    # revision identifiers, used by Alembic.
    revision = '{rev}'
    down_revision = {down}

    from alembic import op
    import sqlalchemy as sa


    def upgrade():
        op.create_table('forums', sa.Column('id', sa.Integer(), nullable=False))


    def downgrade():
        op.drop_table('forums')
    ''').lstrip("\n")


#: Headers that say the same as the variables, in the ways real files write them.
SAME = [
    pytest.param("None", "None", id="base-None"),  # the older template's base
    pytest.param("", "None", id="base-empty"),  # today's template: `Revises: `
    pytest.param("-", "None", id="base-dash"),
    pytest.param("()", "()", id="base-empty-tuple"),
    pytest.param(
        "('1f00aa11bb22', '28a0cc33dd44')", "('1f00aa11bb22', '28a0cc33dd44')", id="merge-repr"
    ),
    pytest.param(
        "(u'1f00aa11bb22', u'28a0cc33dd44')", "('1f00aa11bb22', '28a0cc33dd44')", id="merge-py2"
    ),
    pytest.param(
        "['1f00aa11bb22', '28a0cc33dd44']", "['1f00aa11bb22', '28a0cc33dd44']", id="merge-list"
    ),
    pytest.param(
        "28a0cc33dd44, 1f00aa11bb22", "('1f00aa11bb22', '28a0cc33dd44')", id="merge-other-order"
    ),
    pytest.param(
        "1f00aa11bb22,28a0cc33dd44", "('1f00aa11bb22', '28a0cc33dd44')", id="merge-no-space"
    ),
    pytest.param(
        "1f00aa11bb22  28a0cc33dd44", "('1f00aa11bb22', '28a0cc33dd44')", id="merge-spaces"
    ),
    pytest.param("'1f00aa11bb22'", "'1f00aa11bb22'", id="quoted"),
    pytest.param("('1f00aa11bb22',)", "'1f00aa11bb22'", id="one-tuple"),
]


@pytest.mark.parametrize(("revises", "down"), SAME)
def test_header_that_agrees_in_another_notation_is_not_flagged(
    tmp_path: Path, revises: str, down: str
) -> None:
    versions = write(
        tmp_path / "versions",
        {
            "1f00aa11bb22_a.py": old_template("1f00aa11bb22", "None", "None"),
            "28a0cc33dd44_b.py": old_template("28a0cc33dd44", "None", "None"),
            "49b0ee55ff66_merge.py": old_template("49b0ee55ff66", revises, down),
        },
    )
    assert findings(versions, "AL103") == []


def test_header_without_a_revises_line_is_not_flagged(tmp_path: Path) -> None:
    source = old_template("49b0ee55ff66", "x", "'1f00aa11bb22'").replace("Revises: x\n", "")
    versions = write(tmp_path / "versions", {"49b0ee55ff66_b.py": source})
    assert findings(versions, "AL103") == []


#: Headers that name other revisions than the variables: still reported, and fixed to the
#: line Alembic's template writes (`Revises: ${down_revision | comma,n}`).
DIFFERENT = [
    pytest.param("None", "'1f00aa11bb22'", "Revises: 1f00aa11bb22", id="None-but-a-parent"),
    pytest.param("", "'1f00aa11bb22'", "Revises: 1f00aa11bb22", id="empty-but-a-parent"),
    pytest.param("1f00aa11bb22", "None", "Revises: ", id="a-parent-but-a-base"),
    pytest.param(
        "('1f00aa11bb22', '28a0cc33dd44')",
        "('1f00aa11bb22', '3c00aa11bb22')",
        "Revises: 1f00aa11bb22, 3c00aa11bb22",
        id="merge-one-parent-differs",
    ),
    pytest.param(
        "1f00aa11bb22",
        "('1f00aa11bb22', '28a0cc33dd44')",
        "Revises: 1f00aa11bb22, 28a0cc33dd44",
        id="merge-one-parent-missing",
    ),
    pytest.param("1f00aa11", "'1f00aa11bb22'", "Revises: 1f00aa11bb22", id="a-prefix"),
    pytest.param("None, 1f00aa11bb22", "'1f00aa11bb22'", "Revises: 1f00aa11bb22", id="None-and"),
]


@pytest.mark.parametrize(("revises", "down", "fixed"), DIFFERENT)
def test_header_naming_other_revisions_is_flagged_and_fixed(
    tmp_path: Path, revises: str, down: str, fixed: str
) -> None:
    source = old_template("49b0ee55ff66", revises, down)
    versions = write(tmp_path / "versions", {"49b0ee55ff66_merge.py": source})
    found = findings(versions, "AL103")
    assert [(name, line) for name, line, _ in found] == [("49b0ee55ff66_merge.py", 4)]
    assert main(["--no-cache", "--fix", "--select", "AL103", str(versions)]) == 0
    text = (versions / "49b0ee55ff66_merge.py").read_text(encoding="utf-8")
    assert text.splitlines()[3] == fixed
    assert findings(versions, "AL103") == []


def test_messages_say_what_differs(tmp_path: Path) -> None:
    versions = write(
        tmp_path / "versions",
        {
            "49b0ee55ff66_a.py": old_template("49b0ee55ff66", "None", "'1f00aa11bb22'"),
            "5a00aa11bb22_b.py": old_template("5a00aa11bb22", "1f00aa11bb22", "None"),
        },
    )
    assert [m for _, _, m in findings(versions, "AL103")] == [
        "docstring says Revises: None (a base), but down_revision is 1f00aa11bb22",
        "docstring says Revises: 1f00aa11bb22, but down_revision is None (a base)",
    ]


def test_fix_writes_what_alembic_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Real Alembic writes a base, a child, a fork and a merge; their `Revises:` lines are
    made stale in the ways real histories have them; `--fix` gives Alembic's bytes back."""
    from alembic import command
    from alembic.config import Config

    monkeypatch.chdir(tmp_path)
    ini = tmp_path / "alembic.ini"
    command.init(Config(str(ini)), str(tmp_path / "migrations"))
    config = Config(str(ini))
    command.revision(config, message="base", rev_id="aaaaaaaaaaaa")
    command.revision(config, message="left", rev_id="bbbbbbbbbbbb")
    command.revision(config, message="right", rev_id="cccccccccccc", head="aaaaaaaaaaaa@head")
    command.merge(config, "heads", message="merge", rev_id="dddddddddddd")
    versions = tmp_path / "migrations" / "versions"
    originals = {p: p.read_bytes() for p in versions.glob("*.py")}
    stale = {
        "aaaaaaaaaaaa": "Revises: bbbbbbbbbbbb",  # a base whose header names a parent
        "bbbbbbbbbbbb": "Revises: None",  # a parent whose header says there is none
        "cccccccccccc": "Revises:cccccccccccc",
        "dddddddddddd": "Revises: ('bbbbbbbbbbbb', 'aaaaaaaaaaaa')",
    }
    for path in originals:
        rev = path.name[:12]
        text = path.read_text(encoding="utf-8")
        line = next(x for x in text.splitlines() if x.startswith("Revises:"))
        path.write_text(text.replace(line, stale[rev], 1), encoding="utf-8")
    assert len(findings(versions, "AL103")) == 4
    assert main(["--no-cache", "--fix", "--select", "AL103", str(versions)]) == 0
    for path, original in originals.items():
        assert path.read_bytes() == original, path.name


# --------------------------------------------------------------------------- AL202


def migration(upgrade: str, downgrade: str | None = "pass", imports: str = "") -> str:
    """A migration shaped like the data fixes and legacy stubs of real histories."""
    lines = [
        '"""fix data',
        "",
        "Revision ID: 7f6b00aa11bb",
        "Revises: 2730cc22dd33",
        "Create Date: 2021-06-07 15:48:00.000000",
        '"""',
        "import sqlalchemy as sa",
        "from alembic import op",
        *textwrap.dedent(imports).strip("\n").splitlines(),
        "",
        "# revision identifiers, used by Alembic.",
        "revision = '7f6b00aa11bb'",
        "down_revision = '2730cc22dd33'",
        "branch_labels = None",
        "depends_on = None",
        "",
        "",
        "def upgrade():",
        *("    " + x if x else "" for x in textwrap.dedent(upgrade).strip("\n").splitlines()),
    ]
    if downgrade is not None:
        lines += ["", "", "def downgrade():"]
        lines += [
            "    " + x if x else "" for x in textwrap.dedent(downgrade).strip("\n").splitlines()
        ]
    return "\n".join(lines) + "\n"


#: Upgrades that change no schema: their empty downgrade is the right one.
NO_SCHEMA_CHANGE = {
    "update": """
        op.execute('''
            UPDATE events.contributions SET title = 'Untitled' WHERE title = '';
            DELETE FROM events.menu_entries WHERE name = 'obsolete';
        ''')
    """,
    "bulk-insert": """
        email_templates = sa.table("config", sa.column("key", sa.String), sa.column("value"))
        op.bulk_insert(email_templates, [{"key": "password_reset_subject", "value": "Reset"}])
    """,
    "skipped-legacy": """
        if skip_based_on_legacy_engine_version(op, __name__):
            return
        pass
    """,
    "connection": """
        conn = op.get_bind()
        for row in conn.execute(sa.text("SELECT id, weight FROM person WHERE weight < 0")):
            conn.execute(sa.text("UPDATE person SET weight = 0 WHERE id = :id"), {"id": row.id})
    """,
    "orm-session": """
        session = sa.orm.Session(bind=op.get_bind())
        for cert in session.query(Certificate).filter(Certificate.rotation.is_(None)):
            cert.rotation = False
        session.commit()
    """,
    "prints": """
        count = op.get_bind().execute(sa.text("SELECT count(*) FROM activity")).scalar()
        if count:
            print(f"{count} activities need migrating: run `ckan migrate-activities`")
    """,
    "temporary-table": """
        op.execute('''
            CREATE TEMPORARY TABLE merge_map AS
            SELECT id AS source_id, merged_into_id AS target_id FROM users.users WHERE is_deleted;

            CREATE INDEX ix_merge_map_target_id ON merge_map USING btree (target_id);
            CREATE INDEX ON merge_map (source_id);
            ALTER TABLE merge_map ADD PRIMARY KEY (source_id);
        ''')
        op.execute('''
            UPDATE event_registration.registrations r SET user_id = mm.target_id
            FROM merge_map mm WHERE r.user_id = mm.source_id;
            DROP INDEX ix_merge_map_target_id;
            DROP TABLE merge_map;
        ''')
    """,
    "triggers-off-and-on": """
        op.execute('''
            ALTER TABLE events.session_blocks DISABLE TRIGGER consistent_timetable;
            ALTER TABLE events.breaks DISABLE TRIGGER consistent_timetable;
        ''')
        op.execute("UPDATE events.breaks SET duration = '1 minute' WHERE duration < '0'")
        op.execute('''
            ALTER TABLE events.session_blocks ENABLE TRIGGER consistent_timetable;
            ALTER TABLE events.breaks ENABLE TRIGGER consistent_timetable;
        ''')
    """,
    "do-block-of-data": """
        op.execute('''
            DO $$
            BEGIN
                IF EXISTS (SELECT 1 FROM plugins WHERE name = 'legacy') THEN
                    UPDATE plugins SET enabled = false WHERE name = 'legacy';
                END IF;
            END $$;
        ''')
    """,
    "session-settings": """
        op.execute("SET statement_timeout = 0")
        op.execute("LOCK TABLE release_files IN EXCLUSIVE MODE")
        op.execute("UPDATE release_files SET yanked = true WHERE release_id IS NULL")
        op.execute("ANALYZE release_files")
    """,
    "expression": """
        role = sa.table("role", sa.column("name"), sa.column("permissions"))
        op.execute(role.update().where(role.c.name != "Administrator").values(permissions="x"))
    """,
    "sequence-value": """
        op.execute("SELECT setval('trove_classifiers_id_seq', max(id)) FROM trove_classifiers")
    """,
}


@pytest.mark.parametrize("upgrade", NO_SCHEMA_CHANGE.values(), ids=NO_SCHEMA_CHANGE.keys())
def test_empty_downgrade_of_an_upgrade_that_changes_no_schema_is_not_flagged(
    tmp_path: Path, upgrade: str
) -> None:
    versions = write(tmp_path / "versions", {"7f6b00aa11bb_fix.py": migration(upgrade)})
    assert findings(versions, "AL202") == []


#: Upgrades that change the schema where it is less plain than `op.add_column`.
SCHEMA_CHANGE = {
    "extension": (
        'op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")',
        'changes the schema (first: `op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")`)',
    ),
    "enum-value": (
        "op.execute(\"ALTER TYPE authmethod ADD VALUE 'OIDC'\")",
        "changes the schema (first: `op.execute(\"ALTER TYPE authmethod ADD VALUE 'OIDC'\")`)",
    ),
    "do-block": (
        """
        op.execute('''
            DO $$ BEGIN
                CREATE TYPE visibility AS ENUM ('open', 'restricted');
            EXCEPTION WHEN duplicate_object THEN null;
            END $$;
        ''')
        """,
        'changes the schema (first: `op.execute("DO $$ BEGIN CREATE TYPE visibility AS …")`)',
    ),
    "plugin-operation": (
        'op.sync_enum_values("public", "status", ["open", "closed"], [])',
        "changes the schema (first: `op.sync_enum_values()`)",
    ),
    "trigger-left-off": (
        'op.execute("ALTER TABLE events.breaks DISABLE TRIGGER consistent_timetable")',
        'changes the schema (first: `op.execute("ALTER TABLE events.breaks DISABLE …")`)',
    ),
    "trigger-on-then-off": (
        """
        op.execute("ALTER TABLE events.breaks ENABLE TRIGGER consistent_timetable")
        op.execute("ALTER TABLE events.breaks DISABLE TRIGGER consistent_timetable")
        """,
        'changes the schema (first: `op.execute("ALTER TABLE events.breaks ENABLE …")`)',
    ),
    "temporary-then-real": (
        """
        op.execute("CREATE TEMP TABLE ids AS SELECT id FROM project")
        op.execute("CREATE TABLE project_ids AS SELECT id FROM ids")
        """,
        'changes the schema (first: `op.execute("CREATE TABLE project_ids AS SELECT id …")`)',
    ),
    "index-beside-a-temporary-table": (
        """
        op.execute("CREATE TEMP TABLE ids AS SELECT id FROM project")
        op.execute("CREATE INDEX ix_project_name ON project (name)")
        """,
        'changes the schema (first: `op.execute("CREATE INDEX ix_project_name ON project …")`)',
    ),
    "global-temporary": (
        'op.execute("CREATE GLOBAL TEMPORARY TABLE scratch (id integer)")',
        'changes the schema (first: `op.execute("CREATE GLOBAL TEMPORARY TABLE scratch …")`)',
    ),
    "and-data": (
        """
        op.add_column("release", sa.Column("yanked_at", sa.DateTime()))
        op.execute("UPDATE release SET yanked_at = now() WHERE yanked")
        """,
        "changes the schema and data (first: `op.add_column()`)",
    ),
}


@pytest.mark.parametrize(("upgrade", "said"), SCHEMA_CHANGE.values(), ids=SCHEMA_CHANGE.keys())
def test_empty_downgrade_of_a_schema_change_is_flagged(
    tmp_path: Path, upgrade: str, said: str
) -> None:
    versions = write(tmp_path / "versions", {"7f6b00aa11bb_fix.py": migration(upgrade)})
    [(_, _, message)] = findings(versions, "AL202")
    assert message == (
        f"`downgrade()` does nothing but `upgrade()` {said}; "
        "write the reverse or `raise NotImplementedError` to declare it irreversible"
    )


@pytest.mark.parametrize("upgrade", NO_SCHEMA_CHANGE.values(), ids=NO_SCHEMA_CHANGE.keys())
def test_a_missing_downgrade_is_flagged_whatever_the_upgrade_does(
    tmp_path: Path, upgrade: str
) -> None:
    """`alembic downgrade` fails on a file without `downgrade()` (AttributeError), data
    fix or not: `def downgrade(): pass` is what such a file needs."""
    source = migration(upgrade, downgrade=None)
    versions = write(tmp_path / "versions", {"7f6b00aa11bb_fix.py": source})
    [(_, line, message)] = findings(versions, "AL202")
    assert source.splitlines()[line - 1] == "def upgrade():"
    assert "there is no `downgrade()`" in message


def test_data_migrations_are_checked_when_the_project_asks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`check-data-changes = true`: a data change, or SQL that does not say what it does,
    needs its reverse too; an upgrade with no operation at all still does not."""
    sources = {
        f"{n:04d}_{name}.py": migration(NO_SCHEMA_CHANGE[name])
        .replace("7f6b00aa11bb", f"{n:012d}")
        .replace("'2730cc22dd33'", "None" if n == 1 else f"'{n - 1:012d}'")
        for n, name in enumerate(
            ("update", "bulk-insert", "expression", "sequence-value", "skipped-legacy", "prints"),
            start=1,
        )
    }
    write(tmp_path / "versions", sources)
    monkeypatch.chdir(tmp_path)
    assert main(["--no-cache", "--select", "AL202", "versions"]) == 0
    (tmp_path / "pyproject.toml").write_text(
        "[tool.alembic-lint.rules.missing-downgrade]\ncheck-data-changes = true\n"
    )
    capsys.readouterr()
    assert main(["--no-cache", "--select", "AL202", "versions"]) == 1
    said = [
        line.split("`upgrade()` ", 1)[1].split(";")[0]
        for line in capsys.readouterr().out.splitlines()
        if "AL202" in line
    ]
    assert said == [
        'changes data (first: `op.execute("UPDATE events.contributions SET title = …")`)',
        "changes data (first: `op.bulk_insert()`)",
        "runs SQL (first: `op.execute()`)",
        "runs SQL (first: `op.execute(\"SELECT setval('trove_classifiers_id_seq' …\")`)",
    ]


# --------------------------------------------------------------------------- AL001


#: A backfill that imports its ORM's names with `*` before its revision variables (as
#: quay's do): the import may bind `branch_labels`, only running the file would tell.
BACKFILL = '''
"""
back fill build config.

Revision ID: b7d500aa11bb
Revises: a6c400aa11bb
Create Date: 2017-03-17 10:00:19.739858
"""

# revision identifiers, used by Alembic.
import json

from peewee import *

revision = "b7d500aa11bb"
down_revision = "a6c400aa11bb"


class RepositoryBuild(Model):
    job_config = TextField()


def upgrade(op, tables, tester):
    for build in RepositoryBuild.select():
        build.job_config = json.dumps({"expand": True})
        build.save()


def downgrade(op, tables, tester):
    pass
'''


def star_history(directory: Path, c_labels: str = "None") -> Path:
    left = old_template("c8e600aa11bb", "b7d500aa11bb", "'b7d500aa11bb'")
    return write(
        directory,
        {
            "a6c400aa11bb_initial.py": old_template("a6c400aa11bb", "", "None"),
            "b7d500aa11bb_back_fill.py": BACKFILL,
            "c8e600aa11bb_left.py": left.replace(
                "down_revision = 'b7d500aa11bb'\n",
                f"down_revision = 'b7d500aa11bb'\nbranch_labels = {c_labels}\n",
            ),
            "d9f700aa11bb_right.py": old_template("d9f700aa11bb", "b7d500aa11bb", "'b7d500aa11bb'"),
        },
    )


def test_heads_below_a_star_import_are_named_without_a_placeholder(tmp_path: Path) -> None:
    versions = star_history(tmp_path / "versions")
    found = findings(versions, "AL001")
    assert [(name, line) for name, line, _ in found] == [
        ("c8e600aa11bb_left.py", 11),
        ("d9f700aa11bb_right.py", 11),
    ]
    assert {message for _, _, message in found} == {
        "2 heads on one branch: c8e600aa11bb (c8e600aa11bb_left.py), d9f700aa11bb "
        "(d9f700aa11bb_right.py); they diverge at b7d500aa11bb"
    }
    assert main(["graph", "--heads", str(versions)]) == 1


def test_heads_that_unknown_labels_may_separate_are_not_reported(tmp_path: Path) -> None:
    """One head has a label of its own, the other only what the star import may bring:
    if it brings none they are two branches (`upgrade left@head`), so nothing is sure."""
    versions = star_history(tmp_path / "versions", c_labels="('left',)")
    assert findings(versions, "AL001") == []
    assert main(["graph", "--heads", str(versions)]) == 0
