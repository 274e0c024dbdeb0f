"""The schema model against a real database: upgrade with real Alembic one revision at a
time, reflect with SQLAlchemy's inspector, and compare with what the model claims."""

from __future__ import annotations

import shutil
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
    """Tables, columns, indexes and unique constraints as the database has them (one
    query per kind for all tables: PostgreSQL's catalog is slow to ask table by table)."""
    eng = sa.create_engine(url)
    try:
        inspector = sa.inspect(eng)
        columns = inspector.get_multi_columns()
        indexes = inspector.get_multi_indexes()
        uniques = inspector.get_multi_unique_constraints()
        found = {}
        for key in columns:
            table = key[1]
            if table == "alembic_version":
                continue
            found[table.casefold()] = Reflected(
                {c["name"].casefold(): bool(c["nullable"]) for c in columns[key]},
                {
                    str(i["name"]).casefold(): (
                        tuple(str(c).casefold() for c in i["column_names"]),
                        bool(i["unique"]),
                    )
                    for i in indexes.get(key, [])
                    # PostgreSQL lists the index behind a unique constraint as well.
                    if not i.get("duplicates_constraint")
                },
                {
                    (u["name"].casefold() if u["name"] else None): tuple(
                        c.casefold() for c in u["column_names"]
                    )
                    for u in uniques.get(key, [])
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


class Backend:
    """Where each revision's database lives: a fresh one, or a copy of another."""

    def fresh(self, name: str) -> str:
        raise NotImplementedError

    def copy(self, source: str, name: str) -> str:
        raise NotImplementedError


class SQLite(Backend):
    """One file per database (a copy is a file copy)."""

    def __init__(self, work: Path) -> None:
        self.work = work

    def fresh(self, name: str) -> str:
        return f"sqlite:///{self.work / name}.sqlite"

    def copy(self, source: str, name: str) -> str:
        shutil.copyfile(source.removeprefix("sqlite:///"), self.work / f"{name}.sqlite")
        return self.fresh(name)


class Postgres(Backend):
    """One database per revision in a PostgreSQL server (a copy is CREATE DATABASE ...
    TEMPLATE, which needs nobody connected to the template)."""

    def __init__(self, server: str) -> None:
        self.server = server  # e.g. postgresql+psycopg://postgres@/{db}?host=/path
        self.admin = sa.create_engine(server.format(db="postgres"), isolation_level="AUTOCOMMIT")
        self.made: list[str] = []

    def _create(self, name: str, template: str | None) -> str:
        clause = f' TEMPLATE "{template}"' if template else ""
        with self.admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"{clause}')
        self.made.append(name)
        return self.server.format(db=name)

    def fresh(self, name: str) -> str:
        return self._create(name, None)

    def copy(self, source: str, name: str) -> str:
        template = sa.engine.make_url(source).database
        return self._create(name, template)

    def close(self) -> None:
        with self.admin.connect() as connection:
            for name in self.made:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        self.admin.dispose()


def run(project: Path, backend: Backend, prefix: str = "r") -> Outcome:
    """Upgrade ``project`` (alembic.ini + migrations) revision by revision, and downgrade
    each revision again, comparing with the model at every step: each revision's database
    starts as a copy of its first parent's (what the model does too)."""
    (spec,) = discover.discover([str(project / "alembic.ini")])
    history = engine.load_history(spec.name, spec.files, locations=spec.locations)
    revisions = graph.build(history)
    model: Model = replay(revisions, keep=None)
    import networkx as nx

    order = list(nx.topological_sort(revisions.dag))
    cfg = Config(str(project / "alembic.ini"))
    script = ScriptDirectory.from_config(cfg)  # read once: Alembic's own commands reread it

    def migrate(url: str, target: str, down: bool) -> None:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))

        def steps(rev: object, context: object) -> object:
            if down:
                return script._downgrade_revs(target, rev)  # as alembic.command.downgrade
            return script._upgrade_revs(target, rev)  # as alembic.command.upgrade

        with EnvironmentContext(cfg, script, fn=steps, destination_rev=target):
            script.run_env()

    databases: dict[int, str] = {}
    outcome = Outcome(len(order), 0, 0, 0)
    position = {n: i for i, n in enumerate(order)}
    for node in order:
        rev = revisions.id_of(node)
        parents = sorted(revisions.dag.predecessors(node), key=position.__getitem__)
        name = f"{prefix}_{rev}"
        url = backend.copy(databases[parents[0]], name) if parents else backend.fresh(name)
        migrate(url, rev, down=False)
        databases[node] = url
        schema = model.at(node)
        assert schema is not None
        outcome.exact_tables += compare(schema, reflect(url), f"after upgrade to {rev}")
        outcome.compared += 1
        if len(parents) <= 1:
            undone = backend.copy(url, f"{name}_down")
            target = revisions.id_of(parents[0]) if parents else "base"
            migrate(undone, target, down=True)
            compare(model.undone[node], reflect(undone), f"after downgrade of {rev}")
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
        "prepend_sys_path = %(here)s\npath_separator = os\n"
        "sqlalchemy.url = sqlite:///%(here)s/db.sqlite\n"
    )
    return target


def postgres_binaries() -> Path | None:
    """The directory of Debian's PostgreSQL server programs (newest version), if any."""
    import glob

    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version)
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _version(path: str) -> tuple[int, ...]:
    part = Path(path).parts[-3]
    return tuple(int(p) for p in part.split(".") if p.isdigit())


class PostgresServer:
    """A throwaway PostgreSQL server on a Unix socket in ``directory`` (no TCP port), with
    durability off: it holds test databases only. As root, it runs as the ``postgres``
    user, which the server insists on."""

    def __init__(self, directory: Path) -> None:
        import os
        import subprocess

        binaries = postgres_binaries()
        if binaries is None:
            raise RuntimeError("no PostgreSQL server programs (Debian's postgresql package)")
        self.bin = binaries
        self.data = directory / "data"
        self.socket = directory
        self.prefix: list[str] = []
        if os.geteuid() == 0:
            import pwd

            user = pwd.getpwnam("postgres")
            os.chown(directory, user.pw_uid, user.pw_gid)
            self.prefix = ["runuser", "-u", "postgres", "--"]
        self._run = subprocess.run
        self._call(
            "initdb",
            "-D",
            str(self.data),
            "-A",
            "trust",
            "-U",
            "postgres",
            "--no-sync",
            "-E",
            "UTF8",
        )
        options = (
            f"-k {self.socket} -c listen_addresses='' -c fsync=off -c full_page_writes=off "
            "-c synchronous_commit=off"
        )
        self._call(
            "pg_ctl",
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(directory / "log"),
            "-w",
            "start",
        )
        self.url = f"postgresql+psycopg://postgres@/{{db}}?host={self.socket}"

    def _call(self, program: str, *args: str) -> None:
        proc = self._run(
            [*self.prefix, str(self.bin / program), *args],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            cwd="/",
        )
        if proc.returncode != 0:
            raise RuntimeError(f"{program} failed: {proc.stdout}{proc.stderr}")

    def stop(self) -> None:
        self._call("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
