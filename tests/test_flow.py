"""Drops in a migration's own functions, and drops already guarded: facts, rules, and Alembic.

Two fixture histories shaped like the public ones these cases came from:
``fixtures/real/helper_drops`` (operations in module-level functions, nested, recursive,
called with keywords, shared by upgrade and downgrade, defined twice) and
``fixtures/real/guarded_drops`` (the inspector style of re-runnable migrations). Alembic
runs both: its own trace of the operations it executes must be what the facts list, and
on SQLite the guarded drops re-run where the flagged ones fail.
"""

from __future__ import annotations

import gc
import io
import json
import sqlite3
import traceback
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from alembic.operations.base import AbstractOperations
from alembic.script import ScriptDirectory

from alembic_lint import parse, positions
from alembic_lint.astread import read_migration_fast
from alembic_lint.cache import DAMAGE
from alembic_lint.cache_json import migration_from_json, migration_to_json
from alembic_lint.cli import main
from alembic_lint.model import Body, Guard, GuardKind, Migration
from alembic_lint.rules.drop_without_if_exists import DropWithoutIfExists
from alembic_lint.rules.examples import Example, File, expected, history, m
from alembic_lint.rules.missing_downgrade import MissingDowngrade
from conftest import lint_dir, triples, write_example
from test_astread import assert_same
from test_seeds import OFFLINE_ENV

ROOT = Path(__file__).resolve().parent.parent
HELPER_DROPS = ROOT / "fixtures" / "real" / "helper_drops" / "versions"
GUARDED_DROPS = ROOT / "fixtures" / "real" / "guarded_drops" / "versions"
IRREVERSIBLE = 'raise NotImplementedError("irreversible")'
W = "  # expect: AL201"


def read(file: File) -> Migration:
    """The facts of one file, checked to be the same from both readers, with positions."""
    fast = assert_same(file.source)
    assert fast is not None
    data = file.source.encode()
    slow = parse.read_migration("/v/x.py", data)
    return positions.with_spans(slow, data) or parse.resolve_spans(slow, data)


def case(upgrade: str, helpers: str = "", downgrade: str = IRREVERSIBLE) -> Example:
    return history(m("aaaaaaaaaaaa", upgrade=upgrade, downgrade=downgrade, helpers=helpers))


def assert_markers(example: Example, tmp_path: Path) -> None:
    found = triples(
        lint_dir(write_example(example, tmp_path), [DropWithoutIfExists(), MissingDowngrade()])
    )
    assert found == expected(example)


# --------------------------------------------------------------------------- helpers

HELPER_CASES = {
    "called-before-its-definition": case(
        "drop_refund_table()", f"def drop_refund_table():\n    op.drop_table('refund'){W}\n"
    ),
    "nested-three-deep": case(
        "cleanup()",
        "def cleanup():\n    _tables()\n\ndef _tables():\n    _one('a')\n\n"
        f"def _one(name):\n    op.drop_table(name){W}\n",
    ),
    "recursive": case(
        "_drop(['a', 'b'])",
        f"def _drop(names):\n    if names:\n        op.drop_table(names[0]){W}\n"
        "        _drop(names[1:])\n",
    ),
    "mutually-recursive": case(
        "_even(4)",
        f"def _even(n):\n    op.drop_index('ix_even'){W}\n    if n:\n        _odd(n - 1)\n\n"
        f"def _odd(n):\n    op.drop_index('ix_odd'){W}\n    _even(n - 1)\n",
    ),
    "in-loops-conditions-and-with-blocks": case(
        "for t in ('a', 'b'):\n    _a(t)\nif x:\n    _b()\nwith ctx():\n    y = [_c()]\n",
        f"def _a(t):\n    op.drop_table(t){W}\n\ndef _b():\n    op.drop_index('i'){W}\n\n"
        f"def _c():\n    op.drop_column('t', 'c'){W}\n",
    ),
    "op-as-a-parameter-and-keywords": case(
        "_drop(op, name='a')\n_drop_column(table='t', column='c')",
        f"def _drop(op, name):\n    op.drop_table(name){W}\n\n"
        "def _drop_column(*, table, column):\n    with op.batch_alter_table(table) as b:\n"
        f"        b.drop_column(column){W}\n",
    ),
    "shared-by-upgrade-and-downgrade": case(
        "_rebuild_view()",
        f"def _rebuild_view():\n    op.execute('DROP VIEW totals'){W}\n",
        downgrade="_rebuild_view()",
    ),
    "defined-twice-the-last-wins": case(
        "_drop()",
        f"def _drop():\n    op.drop_table('old')\n\ndef _drop():\n    op.drop_table('new'){W}\n",
    ),
    "rebound-after-its-def": case(
        "_drop()",
        "def _drop():\n    op.drop_table('a')\n\n_drop = make_dropper()\n",
    ),
    "imported-from-another-module": case(
        "from myapp.migrations import drop_all\ndrop_all()\n_drop()",
        "from helpers import _drop\n",
    ),
    "shadowed-in-the-caller": case(
        "_drop = other\n_drop()\nfor _b in x:\n    _b()\n",
        "def _drop():\n    op.drop_table('a')\n\ndef _b():\n    op.drop_table('b')\n",
    ),
    "a-parameter-shadows": case(
        "_run(_drop)",
        "def _run(_drop):\n    _drop()\n\ndef _drop():\n    op.drop_table('a')\n",
    ),
    "methods-are-not-followed": case(
        "Dropper().drop()\nDropper.drop()",
        "class Dropper:\n    def drop(self):\n        op.drop_table('a')\n",
    ),
    "entry-points-are-not-helpers": case(
        "upgrade_data()",
        f"def upgrade_data():\n    op.drop_table('a'){W}\n",
    ),
    "defined-under-try": case(
        "_drop()",
        f"try:\n    from shared import _drop\nexcept ImportError:\n"
        f"    def _drop():\n        op.drop_table('a'){W}\n",
    ),
}


@pytest.mark.parametrize("name", sorted(HELPER_CASES))
def test_drops_in_helpers(tmp_path: Path, name: str) -> None:
    example = HELPER_CASES[name]
    for file in example.files:
        read(file)
    assert_markers(example, tmp_path)


def test_helper_operations_record_their_chain_and_entry_point() -> None:
    migration = read(
        m(
            "aaaaaaaaaaaa",
            upgrade="cleanup()\nop.drop_table('t', if_exists=True)",
            downgrade="_one('z')",
            helpers="def cleanup():\n    _one('a')\n    _one('b')\n\n"
            "def _one(name):\n    op.drop_table(name)\n",
        )
    )
    ops = [(c.name, c.function, c.via, migration.span(c.ref).line) for c in migration.ops]
    helper_line = migration.span(migration.ops[0].ref).line
    assert ops == [
        ("drop_table", "upgrade", ("cleanup", "_one"), helper_line),  # once, not per call
        ("drop_table", "upgrade", (), ops[1][3]),
        ("drop_table", "downgrade", ("_one",), helper_line),
    ]
    assert migration.ops[0].ref == migration.ops[2].ref  # one call, two entry points


def test_a_helper_runs_where_it_is_called() -> None:
    """Operations come in the order they run: a helper's where it is first called."""
    migration = read(
        m(
            "aaaaaaaaaaaa",
            upgrade="op.create_table('a')\n_middle(op.f('x'))\nop.drop_table('c')",
            helpers="def _middle(name):\n    op.drop_table('b')\n",
        )
    )
    assert [c.name for c in migration.ops] == ["create_table", "f", "drop_table", "drop_table"]
    assert [c.via for c in migration.ops] == [(), (), ("_middle",), ()]


BODIES = {
    "helper-that-does-nothing": ("_noop()", "def _noop():\n    '''Nothing.'''\n", Body.EMPTY),
    "helpers-that-do-nothing": (
        "_a()\n_b()\n_a()",
        "def _a():\n    pass\n\ndef _b():\n    _a()\n",
        Body.EMPTY,
    ),
    "recursion-adds-nothing": ("_a()", "def _a():\n    _b()\n\ndef _b():\n    _a()\n", Body.EMPTY),
    "helper-that-drops": ("_a()", "def _a():\n    op.drop_table('t')\n", Body.CODE),
    "helper-that-raises": (
        "_none()\n_irreversible()",
        "def _none():\n    pass\n\ndef _irreversible():\n    raise NotImplementedError\n",
        Body.NOT_IMPLEMENTED,
    ),
    "unknown-function": ("_imported()", "from x import _imported\n", Body.CODE),
    "assigned-result": ("x = _a()", "def _a():\n    pass\n", Body.CODE),
    "shadowed": ("_a = f\n_a()", "def _a():\n    pass\n", Body.CODE),
}


@pytest.mark.parametrize("name", sorted(BODIES))
def test_what_a_downgrade_amounts_to_through_helpers(name: str) -> None:
    body, helpers, kind = BODIES[name]
    migration = read(
        m("aaaaaaaaaaaa", upgrade="op.drop_table('t')", downgrade=body, helpers=helpers)
    )
    downgrade = migration.function("downgrade")
    assert downgrade is not None and downgrade.body is kind


@pytest.mark.parametrize(
    ("upgrade", "downgrade", "codes"),
    [
        ("_drop()", "_nothing()", {"AL202"}),  # an empty downgrade behind a helper
        ("_nothing()", "_nothing()", set()),  # nothing to undo either
        ("_drop()", "_irreversible()", set()),  # declared irreversible behind a helper
        ("_drop()", "_restore()", set()),
    ],
)
def test_missing_downgrade_through_helpers(
    tmp_path: Path, upgrade: str, downgrade: str, codes: set[str]
) -> None:
    helpers = (
        "def _drop():\n    op.drop_table('t', if_exists=True)\n\n"
        "def _nothing():\n    pass\n\n"
        "def _irreversible():\n    raise NotImplementedError('gone')\n\n"
        "def _restore():\n    op.create_table('t')\n"
    )
    example = history(m("aaaaaaaaaaaa", upgrade=upgrade, downgrade=downgrade, helpers=helpers))
    found = {d.code for d in lint_dir(write_example(example, tmp_path), [MissingDowngrade()])}
    assert found == codes


# --------------------------------------------------------------------------- guards

INSPECT = "inspector = sa.inspect(op.get_bind())\n"
GUARD_CASES = {
    "in-a-list-of-names": case(
        INSPECT + "existing = [ix['name'] for ix in inspector.get_indexes('t')]\n"
        "if 'ix_a' in existing:\n    op.drop_index('ix_a', table_name='t')\n"
    ),
    "has-table": case("if inspector.has_table('legacy'):\n    op.drop_table('legacy')\n"),
    "has-index-two-arguments": case(
        "if inspector.has_index('t', 'ix_a'):\n    op.drop_index('ix_a', table_name='t')\n"
    ),
    "an-existence-function": case(
        "if table_exists(bind, 'legacy'):\n    op.drop_table('legacy')\n"
        "if _index_exists('ix'):\n    op.drop_index('ix')\n"
    ),
    "a-column-in-a-comprehension": case(
        "column = 'nickname'\n"
        "if column in [c['name'] for c in inspector.get_columns('user')]:\n"
        "    op.drop_column('user', column)\n"
    ),
    "a-loop-variable": case(
        "for name in ('ix_a', 'ix_b'):\n    if name in existing:\n"
        "        op.drop_index(name, table_name='t')\n"
    ),
    "an-attribute": case(
        "for ix in indexes:\n    if ix.name in existing:\n        op.drop_index(ix.name)\n"
    ),
    "and-other-tests": case(
        "if dialect == 'postgresql' and 'ix_a' in existing:\n    op.drop_index('ix_a')\n"
    ),
    "the-else-of-a-negation": case(
        "if 'legacy' not in tables:\n    pass\nelse:\n    op.drop_table('legacy')\n"
        "if not inspector.has_table('old'):\n    log()\nelif x:\n    op.drop_table('old')\n"
    ),
    "after-an-early-return": case(
        "if 'legacy' not in tables:\n    return\nop.drop_table('legacy')\n"
        "with op.batch_alter_table('t') as b:\n    b.drop_column('legacy')\n"
    ),
    "after-an-early-continue-or-raise": case(
        "for name in names:\n    if not has_table(name):\n        continue\n"
        "    op.drop_table(name)\n"
        "if not (has_index('a') and has_index('b')):\n    raise RuntimeError\n"
        "op.drop_index('a')\nop.drop_index('b')\n"
    ),
    "or-of-negations-then-return": case(
        "if 'a' not in names or 'b' not in names:\n    return\n"
        "op.drop_table('a')\nop.drop_table('b')\n"
    ),
    "try-except-pass": case(
        "try:\n    op.drop_index('ix_a')\nexcept Exception:\n    pass\n"
        "try:\n    with op.batch_alter_table('t') as b:\n        b.drop_column('c')\n"
        "except (KeyError, sa.exc.ProgrammingError):\n    logger.info('gone')\n"
        "try:\n    op.drop_table('t')\nexcept:\n    pass\n"
    ),
    "suppress": case(
        "with contextlib.suppress(sa.exc.OperationalError):\n    op.drop_table('t')\n"
    ),
    "guard-inside-the-helper": case(
        "_drop_if_exists('ix_a', 't')",
        "def _drop_if_exists(name, table):\n    if index_exists(name, table):\n"
        "        op.drop_index(name, table_name=table)\n",
    ),
    "a-loop-over-the-inspector": case(
        INSPECT + "for index in inspector.get_indexes('t'):\n"
        "    if index['column_names'] == ['c']:\n"
        "        op.drop_index(index_name=op.f(index['name']), table_name='t')\n"
        "fks = inspector.get_foreign_keys('t')\nfor fk in fks:\n"
        "    op.drop_constraint(fk['name'], 't', type_='foreignkey')\n"
        "for table in sa.inspect(op.get_bind()).get_table_names():\n"
        "    op.drop_table(table)\n"
        "indexes = inspector.get_indexes('u')\n"
        "for ix in (ix for ix in indexes if ix['name'].startswith('ix_old')):\n"
        "    old_name = ix['name']\n    op.drop_index(old_name, table_name='u')\n"
    ),
    "sql-with-a-guard-naming-its-table": case(
        "if inspector.has_table('audit_log'):\n    op.execute('DROP TABLE audit_log')\n"
        "if 'Totals' in views:\n    op.execute('DROP VIEW public.\"totals\"')\n"
    ),
    # Not guarded.
    "a-negation": case(
        f"if not inspector.has_table('legacy'):\n    op.drop_table('legacy'){W}\n"
        f"if 'ix' not in existing:\n    op.drop_index('ix'){W}\n"
    ),
    "another-object": case(
        f"if inspector.has_table('user'):\n    op.drop_column('user', 'nickname'){W}\n"
        f"if 'ix_a' in existing:\n    op.drop_index('ix_b'){W}\n"
        f"if 'nickname' in [c['name'] for c in inspector.get_columns('user')]:\n"
        f"    op.drop_table('user'){W}\n"
    ),
    "something-else": case(
        f"if context.is_offline_mode():\n    op.drop_index('ix'){W}\n"
        f"if table_not_exists('t'):\n    op.drop_table('t'){W}\n"
        f"if dialect in ('t',):\n    pass\nop.drop_table('t'){W}\n"
    ),
    "or-of-tests": case(
        f"if 'a' in names or 'b' in names:\n    op.drop_table('a'){W}\n"
        f"if not ('a' in names and 'b' in names):\n    pass\nelse:\n    op.drop_table('b')\n"
    ),
    "an-exit-that-is-not-one": case(
        f"if 'a' not in names:\n    log()\nop.drop_table('a'){W}\n"
        f"if 'b' in names:\n    return\nop.drop_table('b'){W}\n"
    ),
    "a-loop-that-does-not-list-what-exists": case(
        f"for name in ('ix_a', 'ix_b'):\n    op.drop_index(name){W}\n"
        f"for t in inspector.get_table_names():\n    op.drop_table(t + '_old'){W}\n"
        f"    op.drop_table(t[:-4]){W}\n    op.drop_column(t, 'legacy'){W}\n"
        f"names = inspector.get_table_names()\nnames = ['a']\nfor n in names:\n"
        f"    op.drop_table(n){W}\n"
        f"for ix in inspector.get_pk_constraint('t'):\n    op.drop_index(ix){W}\n"
    ),
    "a-try-that-does-not-swallow": case(
        f"try:\n    op.drop_table('a'){W}\nexcept Exception:\n    log()\n    raise\n"
        f"try:\n    op.drop_table('b'){W}\nexcept (KeyError, ValueError):\n    pass\n"
        f"try:\n    pass\nexcept Exception:\n    op.drop_table('c'){W}\n"
        f"try:\n    pass\nfinally:\n    op.drop_table('d'){W}\n"
        f"with suppress(KeyError):\n    op.drop_table('e'){W}\n"
        f"try:\n    op.drop_table('f'){W}\nexcept sa.exc.OperationalError:\n"
        f"    if dialect == 'sqlite':\n        log()\n    else:\n        raise\n"
    ),
    "a-guard-around-the-call-of-a-helper": case(
        "if inspector.has_table('legacy'):\n    _drop_legacy()",
        f"def _drop_legacy():\n    op.drop_table('legacy'){W}\n",
    ),
    "a-nested-function-under-a-guard": case(
        f"if 'a' in names:\n    def later():\n        op.drop_table('a'){W}\n    later()\n"
    ),
    "a-guard-outside-the-function": case(
        "_drop()",
        f"if 'a' in names:\n    def _drop():\n        op.drop_table('a'){W}\n",
    ),
    "sql-with-a-guard-naming-another-table": case(
        f"if inspector.has_table('audit'):\n    op.execute('DROP TABLE audit_log'){W}\n"
    ),
}


@pytest.mark.parametrize("name", sorted(GUARD_CASES))
def test_guarded_drops(tmp_path: Path, name: str) -> None:
    example = GUARD_CASES[name]
    for file in example.files:
        read(file)
    assert_markers(example, tmp_path)


def test_guards_are_facts_the_rule_judges() -> None:
    migration = read(
        m(
            "aaaaaaaaaaaa",
            upgrade="if 'ix_a' in existing and inspector.has_table('t'):\n"
            "    with op.batch_alter_table('t') as b:\n"
            "        try:\n            b.drop_index('ix_a')\n        except Exception:\n"
            "            pass\n"
            "if context.is_offline_mode():\n    op.drop_index('ix_b', table_name='t')\n",
        )
    )
    first, second = migration.ops[1:]
    assert first.guards == (
        Guard(GuardKind.EXISTS, (0,), ("ix_a",)),
        Guard(GuardKind.EXISTS, (), ("t",)),  # names the table, which b.drop_index does not
        Guard(GuardKind.SWALLOWED),
    )
    # A test of something else guards nothing; it only says the drop may not run.
    assert second.guards == (Guard(GuardKind.CONDITION),)


def test_a_guard_by_keyword_argument() -> None:
    migration = read(
        m(
            "aaaaaaaaaaaa",
            upgrade="if has_index(index_name='ix_a'):\n"
            "    op.drop_index(index_name='ix_a', table_name=t)\n",
        )
    )
    (call,) = migration.ops
    assert call.guards == (Guard(GuardKind.EXISTS, ("index_name",), ("ix_a",)),)


# --------------------------------------------------------------------------- the fixtures


def markers(versions: Path) -> set[tuple[str, int, str]]:
    files = sorted(p for p in versions.iterdir() if p.suffix == ".py")
    return expected(Example(tuple(File(p.name, p.read_text(encoding="utf-8")) for p in files)))


@pytest.mark.parametrize("versions", [HELPER_DROPS, GUARDED_DROPS], ids=lambda p: p.parent.name)
def test_fixture_findings_match_markers(versions: Path) -> None:
    assert markers(versions)
    assert triples(lint_dir(versions)) == markers(versions)
    script = ScriptDirectory(str(versions.parent), version_locations=[str(versions)])
    assert len(script.get_heads()) == 1


ONLINE_ENV = """\
from alembic import context
from sqlalchemy import create_engine

engine = create_engine(context.config.get_main_option("sqlalchemy.url"))
with engine.connect() as connection:
    context.configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()
"""


def alembic_config(script: Path, versions: Path, env: str, url: str) -> Config:
    script.mkdir(parents=True, exist_ok=True)
    (script / "env.py").write_text(env, encoding="utf-8")
    config = Config(output_buffer=io.StringIO())
    config.set_main_option("script_location", str(script))
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", str(versions))
    config.set_main_option("sqlalchemy.url", url)
    return config


#: Alembic's operation classes by the name of the `op` method that makes them.
OP_CLASSES = {"ExecuteSQLOp": "execute"}


def test_alembic_executes_the_operations_the_facts_list(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run the helper fixture up and down through Alembic (offline, PostgreSQL) and record,
    for every operation it executes, the line of the migration that called it and the entry
    point it ran under: exactly the operations the facts list, helpers included (the first
    of two definitions never runs; a recursive helper runs twice, one line)."""
    executed: set[tuple[str, int, str, str]] = set()
    invoke = AbstractOperations.invoke

    def traced(self: AbstractOperations, operation: Any) -> Any:
        frames = [f for f in traceback.extract_stack() if Path(f.filename).parent == HELPER_DROPS]
        kind = type(operation).__name__
        name = OP_CLASSES.get(kind) or "".join(
            f"_{c.lower()}" if c.isupper() else c for c in kind.removesuffix("Op")
        ).lstrip("_")
        executed.add((Path(frames[-1].filename).name, frames[-1].lineno or 0, frames[0].name, name))
        return invoke(self, operation)

    monkeypatch.setattr(AbstractOperations, "invoke", traced)
    config = alembic_config(tmp_path, HELPER_DROPS, OFFLINE_ENV, "postgresql://")
    command.upgrade(config, "head", sql=True)
    command.downgrade(config, "head:base", sql=True)

    listed: set[tuple[str, int, str, str]] = set()
    for path in sorted(HELPER_DROPS.glob("*.py")):
        migration = read(File(path.name, path.read_text(encoding="utf-8")))
        for call in migration.ops:
            if call.name not in ("batch_alter_table", "f") and not call.name.startswith("<"):
                listed.add((path.name, migration.span(call.ref).line, call.function, call.name))
    assert {e for e in executed if e[3].startswith("drop")}, "the trace saw no drops"
    assert executed == listed


def test_guarded_drops_re_run_on_sqlite_and_flagged_ones_fail(tmp_path: Path) -> None:
    """The guarded migration (no finding) runs again over its own result and over a half
    done state; the flagged drops of the next one fail when their object is gone."""

    def config(name: str) -> tuple[Config, Path]:
        database = tmp_path / f"{name}.sqlite"
        env = tmp_path / f"script_{name}"
        return alembic_config(env, GUARDED_DROPS, ONLINE_ENV, f"sqlite:///{database}"), database

    def schema(database: Path) -> set[str]:
        with sqlite3.connect(database) as db:
            rows = db.execute("SELECT type, name FROM sqlite_master").fetchall()
            columns = {f"user.{row[1]}" for row in db.execute("PRAGMA table_info('user')")}
        return {f"{kind} {name}" for kind, name in rows if not name.startswith("sqlite_")} | columns

    full, database = config("full")
    command.upgrade(full, "0002")
    after = schema(database)
    assert "table legacy_user" not in after and "user.nickname" not in after
    assert "index ix_session_token" not in after and "table session" in after
    command.stamp(full, "0001")
    command.upgrade(full, "0002")  # everything already dropped: a no-op, not an error
    assert schema(database) == after

    half, database = config("half")
    command.upgrade(half, "0001")
    with sqlite3.connect(database) as db:
        db.execute("DROP INDEX ix_user_email")
        db.execute("DROP TABLE legacy_user")
        db.execute("DROP INDEX ix_session_token")
    command.upgrade(half, "0002")  # a migration that failed halfway, run again
    assert schema(database) == after

    command.upgrade(full, "0003")
    command.stamp(full, "0002")
    with pytest.raises(Exception, match="no such table: import_batch"):
        command.upgrade(full, "0003")  # the drop_table flagged on line 24

    column, database = config("column")
    command.upgrade(column, "0002")
    with sqlite3.connect(database) as db:
        db.execute("ALTER TABLE import_batch DROP COLUMN source")
    with pytest.raises(Exception, match="source"):
        command.upgrade(column, "0003")  # the drop_column flagged on line 23
    assert markers(GUARDED_DROPS) == {
        ("0003_drop_import_batch.py", 23, "AL201"),
        ("0003_drop_import_batch.py", 24, "AL201"),
    }


# --------------------------------------------------------------------------- the cache


@pytest.mark.parametrize("versions", [HELPER_DROPS, GUARDED_DROPS], ids=lambda p: p.parent.name)
def test_helpers_and_guards_survive_the_cache(versions: Path) -> None:
    for path in sorted(versions.glob("*.py")):
        migration = read(File(path.name, path.read_text(encoding="utf-8")))
        entry, ops = json.loads(json.dumps(migration_to_json(migration)))
        back = migration_from_json(entry, migration.path, migration.digest, ops)
        # The arguments are not stored (the changes made from them are).
        bare = tuple(replace(o, args=(), kwargs=(), batch_call=None) for o in migration.ops)
        assert back.ops == bare and back.functions == migration.functions
        assert back.changes == migration.changes
    assert any(c.via for c in back.ops) or versions == GUARDED_DROPS


@pytest.mark.parametrize(
    "damage",
    [
        {"via": "cleanup"},
        {"via": [1]},
        {"guards": [["exists", [0], []], ["sure", [], []]]},
        {"guards": [["exists", [0.5], []]]},
        {"guards": [["exists", [0]]]},
        {"later": True},
    ],
)
def test_damaged_helper_and_guard_facts_are_refused(damage: dict[str, object]) -> None:
    """A cache entry is checked type by type (cache.DAMAGE makes it a miss)."""
    path = HELPER_DROPS / "3b5d7f9a1c42_backfill_numbers_and_cleanup.py"
    migration = read(File(path.name, path.read_text(encoding="utf-8")))
    entry, ops = json.loads(json.dumps(migration_to_json(migration)))
    ops["ops"][0] = [*ops["ops"][0][:7], damage]
    with pytest.raises(DAMAGE):
        migration_from_json(entry, migration.path, migration.digest, ops)


@pytest.mark.parametrize("versions", [HELPER_DROPS, GUARDED_DROPS], ids=lambda p: p.parent.name)
def test_the_same_findings_cold_warm_and_without_cache(
    versions: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def run(*args: str) -> tuple[int, str]:
        code = main(["--format", "json", *args, str(versions)])
        return code, capsys.readouterr().out

    plain = run("--no-cache")
    cache = str(tmp_path / "cache")
    assert run("--cache-dir", cache) == run("--cache-dir", cache) == plain
    assert plain[0] == 1 and json.loads(plain[1])


def test_the_ast_reader_leaves_no_garbage_cycles() -> None:
    """A run keeps the garbage collector off (entry.main): a cycle through a reader would
    keep every file's tree alive. The readers' helper and guard machinery makes none."""
    files = [p.read_bytes() for d in (HELPER_DROPS, GUARDED_DROPS) for p in sorted(d.glob("*.py"))]
    gc.collect()
    collecting = gc.isenabled()
    gc.disable()
    try:
        for data in files:
            assert read_migration_fast("/v/x.py", data) is not None
        assert gc.collect() == 0
    finally:
        if collecting:
            gc.enable()


def test_a_helper_called_inside_a_batch_does_not_split_the_batch(tmp_path: Path) -> None:
    """The helper's calls run (and sit in the facts) between the batch's opening and its
    calls: each batch call is still judged by its own `batch_alter_table`."""
    example = case(
        "with op.batch_alter_table('t', recreate='always') as b:\n"
        "    _other_table()\n"
        "    b.drop_column('x')\n",
        "def _other_table():\n"
        "    with op.batch_alter_table('u', recreate='never') as c:\n"
        "        c.drop_column('y')\n",
    )
    found = {
        d.location.line: d.message
        for d in lint_dir(write_example(example, tmp_path), [DropWithoutIfExists()])
    }
    (x_line,) = [n for n, m in found.items() if "recreates the table" in m]
    (y_line,) = [n for n, m in found.items() if "recreates the table" not in m]
    source = example.files[0].source.splitlines()
    assert "b.drop_column('x')" in source[x_line - 1]
    assert "c.drop_column('y')" in source[y_line - 1]


@pytest.mark.parametrize(
    ("text", "may"),
    [
        ("from alembic import op\ndef upgrade():\n    op.drop_table('t')\n", False),
        ("def upgrade():\n    op.drop_table(\n        't')\n    op.f('x')\n", False),
        ("def upgrade():\n    fn = op.drop_table\n    fn('t')\n", True),
        ("def upgrade():\n    helper(op)\n", True),
        ("def upgrade():\n    import os; fn = op.drop_table\n", True),
        ("def upgrade():\n    x = f'{op}'\n", True),
        ("from alembic import op as o\n", True),
        ("with op.batch_alter_table('t') as b:\n    b.drop_column('c')\n", False),
        ("with op.batch_alter_table('t') as b:\n    helper(b)\n", True),
        ("batch = op.batch_alter_table('t')\nwith batch as b:\n    b.x()\n", True),
    ],
)
def test_the_text_pass_never_misses_op_or_a_batch_used_as_a_value(text: str, may: bool) -> None:
    """flow._may_escape decides whether the exact pass over the tree runs: a False here
    for a use of `op` other than calling its methods would hide an escape."""
    from alembic_lint.flow import _may_escape

    assert _may_escape(text, {"op"}) is may
