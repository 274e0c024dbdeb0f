"""The schema model against a real database: upgrade with real Alembic one revision at a
time, reflect with SQLAlchemy's inspector, and compare with what the model claims."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.script import ScriptDirectory

from alembic_lint import discover, engine, graph
from alembic_lint.schema.objects import Schema
from alembic_lint.schema.replay import Model, replay


@dataclass(frozen=True)
class Reflected:
    columns: dict[str, bool]  # case-folded name -> nullable
    indexes: dict[str, tuple[tuple[str, ...], bool]]  # name -> (columns, unique)
    uniques: dict[str | None, tuple[str, ...]]  # name -> columns


def reflect(url: str) -> dict[str, Reflected]:
    eng = sa.create_engine(url)
    try:
        inspector = sa.inspect(eng)
        found = {}
        for table in inspector.get_table_names():
            if table == "alembic_version":
                continue
            found[table.casefold()] = Reflected(
                {c["name"].casefold(): bool(c["nullable"]) for c in inspector.get_columns(table)},
                {
                    str(i["name"]).casefold(): (
                        tuple(str(c).casefold() for c in i["column_names"]),
                        bool(i["unique"]),
                    )
                    for i in inspector.get_indexes(table)
                },
                {
                    (u["name"].casefold() if u["name"] else None): tuple(
                        c.casefold() for c in u["column_names"]
                    )
                    for u in inspector.get_unique_constraints(table)
                },
            )
        return found
    finally:
        eng.dispose()


def compare(model: Schema, db: dict[str, Reflected], where: str) -> int:
    """Assert that everything ``model`` claims to know holds in ``db``; returns how many
    tables were compared exactly."""
    exact = 0
    for key, table in model.tables.items():
        if model.has_table(key) is not True:
            continue
        assert key in db, f"{where}: the model has table {table.name}, the database does not"
        if table.unsure is not None:
            continue
        exact += 1
        real = db[key]
        columns = {c.name.casefold(): c for c in table.columns}
        assert set(columns) == set(real.columns), f"{where}: columns of {table.name}"
        for name, column in columns.items():
            if column.nullable is not None:
                assert column.nullable == real.columns[name], f"{where}: {table.name}.{name} null"
        named = {i.name.casefold(): i for i in table.indexes if i.name}
        if table.vague or any(i.name is None for i in table.indexes):
            assert set(named) <= set(real.indexes), f"{where}: indexes of {table.name}"
        else:
            assert set(named) == set(real.indexes), f"{where}: indexes of {table.name}"
        for name, index in named.items():
            assert index.unique == real.indexes[name][1], f"{where}: unique index {name}"
            wanted = tuple(c.casefold() if c else "" for c in index.columns)
            if all(wanted):
                assert wanted == real.indexes[name][0], f"{where}: columns of index {name}"
        uniques = {c.name.casefold(): c for c in table.constraints if c.kind == "unique" and c.name}
        real_named = {k for k in real.uniques if k is not None}
        if table.vague or any(c.kind == "unique" and not c.name for c in table.constraints):
            assert set(uniques) <= real_named, f"{where}: unique constraints of {table.name}"
        else:
            assert set(uniques) == real_named, f"{where}: unique constraints of {table.name}"
    for key in db:
        if model.has_table(key) is False:
            raise AssertionError(f"{where}: the database has table {key}, the model says no")
    return exact


@dataclass
class Outcome:
    revisions: int
    compared: int  # revisions compared after upgrade
    undone: int  # revisions compared after their downgrade
    exact_tables: int


def run(project: Path, work: Path, url_of: Callable[[Path], str] | None = None) -> Outcome:
    """Upgrade ``project`` (alembic.ini + migrations) revision by revision on SQLite, and
    downgrade each revision again, comparing with the model at every step."""
    (spec,) = discover.discover([str(project / "alembic.ini")])
    history = engine.load_history(spec.name, spec.files, locations=spec.locations)
    revisions = graph.build(history)
    model: Model = replay(revisions, keep=None)
    import networkx as nx

    order = list(nx.topological_sort(revisions.dag))
    cfg = Config(str(project / "alembic.ini"))
    script = ScriptDirectory.from_config(cfg)  # read once: Alembic's own commands reread it

    def migrate(url: str, target: str, down: bool) -> None:
        cfg.set_main_option("sqlalchemy.url", url)

        def steps(rev: object, context: object) -> object:
            if down:
                return script._downgrade_revs(target, rev)  # as alembic.command.downgrade
            return script._upgrade_revs(target, rev)  # as alembic.command.upgrade

        with EnvironmentContext(cfg, script, fn=steps, destination_rev=target):
            script.run_env()

    databases: dict[int, Path] = {}
    outcome = Outcome(len(order), 0, 0, 0)
    position = {n: i for i, n in enumerate(order)}
    for node in order:
        rev = revisions.id_of(node)
        parents = sorted(revisions.dag.predecessors(node), key=position.__getitem__)
        db = work / f"{rev}.sqlite"
        if parents:
            shutil.copyfile(databases[parents[0]], db)
        url = f"sqlite:///{db}"
        migrate(url, rev, down=False)
        databases[node] = db
        schema = model.at(node)
        assert schema is not None
        outcome.exact_tables += compare(schema, reflect(url), f"after upgrade to {rev}")
        outcome.compared += 1
        if len(parents) <= 1:
            undone = work / f"{rev}.down.sqlite"
            shutil.copyfile(db, undone)
            target = revisions.id_of(parents[0]) if parents else "base"
            migrate(f"sqlite:///{undone}", target, down=True)
            after = model.undone[node]
            compare(after, reflect(f"sqlite:///{undone}"), f"after downgrade of {rev}")
            outcome.undone += 1
    return outcome


def copy_project(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    return target


def project_for(versions: Path, target: Path) -> Path:
    """An Alembic project on SQLite around a copy of the revision files in ``versions``."""
    from tests.schema_gen import ENV_PY

    shutil.copytree(versions, target / "migrations" / "versions")
    (target / "migrations" / "env.py").write_text(ENV_PY)
    (target / "alembic.ini").write_text(
        "[alembic]\nscript_location = %(here)s/migrations\n"
        "sqlalchemy.url = sqlite:///%(here)s/db.sqlite\n"
    )
    return target
