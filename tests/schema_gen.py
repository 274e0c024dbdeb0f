"""Generated Alembic histories that run on a real SQLite database: autogenerate-shaped files
covering every operation the schema model reads, with branches and merges.

Each revision works on tables only its own line of the history touches, so Alembic may
apply parallel lines in any order. ``generate(directory, seed, revisions)`` writes the
project (alembic.ini, env.py, versions/) and returns the versions directory.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

ENV_PY = """\
from alembic import context
from sqlalchemy import engine_from_config, pool

config = context.config


def run_migrations_online() -> None:
    connectable = engine_from_config(
        config.get_section(config.config_ini_section, {}),
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    with connectable.connect() as connection:
        context.configure(connection=connection, target_metadata=None)
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
"""

TEMPLATE = '''\
"""{message}

Revision ID: {rev}
Revises: {revises}
Create Date: 2026-01-01 00:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
{constants}

# revision identifiers, used by Alembic.
revision: str = {rev!r}
down_revision: Union[str, Sequence[str], None] = {down!r}
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
{up}


def downgrade() -> None:
    """Downgrade schema."""
{down_body}
'''

TYPES = ("sa.Integer()", "sa.String(length=40)", "sa.Text()", "sa.Boolean()", "sa.Date()")


@dataclass
class Table:
    name: str
    columns: dict[str, bool] = field(default_factory=dict)  # name -> nullable
    indexes: dict[str, tuple[str, bool]] = field(default_factory=dict)  # name -> (column, unique)
    uniques: dict[str, str] = field(default_factory=dict)  # constraint name -> column
    parent: str | None = None  # referenced by a foreign key on parent_id


@dataclass
class Line:
    """The tables one line of the history owns (branches never share a table)."""

    tables: dict[str, Table] = field(default_factory=dict)


class Generator:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.counter = 0
        self.constants: list[str] = []  # module-level lines of the file being written

    def fresh(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    # Each operation returns (upgrade lines, downgrade lines in upgrade order) and updates
    # the line's tables as Alembic would leave them.

    def create_table(self, line: Line) -> tuple[list[str], list[str]]:
        rng = self.rng
        table = Table(self.fresh("t"))
        columns = ["sa.Column('id', sa.Integer(), nullable=False)"]
        table.columns["id"] = False
        for _ in range(rng.randint(1, 3)):
            name = self.fresh("c")
            nullable = rng.random() < 0.6
            columns.append(f"sa.Column('{name}', {rng.choice(TYPES)}, nullable={nullable})")
            table.columns[name] = nullable
        extra = []
        owned = [t for t in line.tables.values() if t.parent is None]
        if owned and rng.random() < 0.4:
            parent = rng.choice(owned)
            columns.append("sa.Column('parent_id', sa.Integer(), nullable=True)")
            table.columns["parent_id"] = True
            extra.append(f"sa.ForeignKeyConstraint(['parent_id'], ['{parent.name}.id'], )")
            table.parent = parent.name
        if rng.random() < 0.3:
            column = next(c for c in table.columns if c not in ("id", "parent_id"))
            unique = f"uq_{table.name}_{column}"
            extra.append(f"sa.UniqueConstraint('{column}', name='{unique}')")
            table.uniques[unique] = column
        extra.append("sa.PrimaryKeyConstraint('id')")
        up = [f"op.create_table('{table.name}',", *(f"{c}," for c in columns + extra[:-1])]
        up.append(f"{extra[-1]}")
        up.append(")")
        line.tables[table.name] = table
        return ["\n".join(up)], [f"op.drop_table('{table.name}')"]

    def drop_table(self, line: Line) -> tuple[list[str], list[str]]:
        referenced = {t.parent for t in line.tables.values()}
        candidates = [t for t in line.tables.values() if t.name not in referenced]
        if len(line.tables) < 3 or not candidates:
            return self.create_table(line)
        table = self.rng.choice(candidates)
        del line.tables[table.name]
        up = [f"op.drop_index('{i}', table_name='{table.name}')" for i in table.indexes]
        up.append(f"op.drop_table('{table.name}')")
        columns = [
            f"sa.Column('{c}', sa.Integer(), nullable={n})" for c, n in table.columns.items()
        ]
        constraints = [f"sa.UniqueConstraint('{c}', name='{u}')" for u, c in table.uniques.items()]
        if table.parent:
            constraints.append(f"sa.ForeignKeyConstraint(['parent_id'], ['{table.parent}.id'], )")
        constraints.append("sa.PrimaryKeyConstraint('id')")
        body = [f"{c}," for c in columns + constraints[:-1]]
        create = "\n".join([f"op.create_table('{table.name}',", *body, constraints[-1], ")"])
        down = [create] + [
            f"op.create_index('{i}', '{table.name}', ['{c}'], unique={u})"
            for i, (c, u) in table.indexes.items()
        ]
        # Downgrade lines are given in upgrade order and reversed by the caller.
        return up, list(reversed(down))

    def add_column(self, line: Line) -> tuple[list[str], list[str]]:
        table = self.pick(line)
        if table is None:
            return self.create_table(line)
        name = self.fresh("c")
        table.columns[name] = True
        column = f"sa.Column('{name}', {self.rng.choice(TYPES)}, nullable=True)"
        if self.rng.random() < 0.5:
            return (
                [f"op.add_column('{table.name}', {column})"],
                [f"op.drop_column('{table.name}', '{name}')"],
            )
        return (
            [self.batch(table.name, f"batch_op.add_column({column})")],
            [self.batch(table.name, f"batch_op.drop_column('{name}')")],
        )

    def drop_column(self, line: Line) -> tuple[list[str], list[str]]:
        table = self.pick(line)
        if table is None:
            return self.create_table(line)
        used = {c for c, _ in table.indexes.values()} | set(table.uniques.values())
        candidates = [c for c in table.columns if c not in ("id", "parent_id") and c not in used]
        if len(candidates) < 2:
            return self.add_column(line)
        name = self.rng.choice(candidates)
        nullable = table.columns.pop(name)
        return (
            [self.batch(table.name, f"batch_op.drop_column('{name}')")],
            [
                self.batch(
                    table.name,
                    f"batch_op.add_column(sa.Column('{name}', sa.INTEGER(), nullable={nullable}))",
                )
            ],
        )

    def alter_nullable(self, line: Line) -> tuple[list[str], list[str]]:
        table = self.pick(line)
        if table is None:
            return self.create_table(line)
        name = self.rng.choice([c for c in table.columns if c != "id"] or ["id"])
        if name == "id" or name == "parent_id":
            return self.add_column(line)
        old = table.columns[name]
        table.columns[name] = not old
        change = f"batch_op.alter_column('{name}', existing_type=sa.Integer(), nullable={not old})"
        undo = f"batch_op.alter_column('{name}', existing_type=sa.Integer(), nullable={old})"
        return [self.batch(table.name, change)], [self.batch(table.name, undo)]

    def rename_column(self, line: Line) -> tuple[list[str], list[str]]:
        table = self.pick(line)
        used = set() if table is None else {c for c, _ in table.indexes.values()}
        used |= set() if table is None else set(table.uniques.values())
        candidates = (
            []
            if table is None
            else [c for c in table.columns if c not in ("id", "parent_id") and c not in used]
        )
        if table is None or not candidates:
            return self.add_column(line)
        old = self.rng.choice(candidates)
        new = self.fresh("r")
        table.columns[new] = table.columns.pop(old)
        return (
            [self.batch(table.name, f"batch_op.alter_column('{old}', new_column_name='{new}')")],
            [self.batch(table.name, f"batch_op.alter_column('{new}', new_column_name='{old}')")],
        )

    def create_index(self, line: Line) -> tuple[list[str], list[str]]:
        table = self.pick(line)
        if table is None:
            return self.create_table(line)
        indexed = {c for c, _ in table.indexes.values()}
        candidates = [c for c in table.columns if c != "id" and c not in indexed]
        if not candidates:
            return self.add_column(line)
        column = self.rng.choice(candidates)
        unique = self.rng.random() < 0.3
        name = f"ix_{table.name}_{column}"
        table.indexes[name] = (column, unique)
        if self.rng.random() < 0.2:
            keyword = "UNIQUE INDEX" if unique else "INDEX"
            return (
                [f'op.execute("CREATE {keyword} {name} ON {table.name} ({column})")'],
                [f'op.execute("DROP INDEX {name}")'],
            )
        return (
            [f"op.create_index(op.f('{name}'), '{table.name}', ['{column}'], unique={unique})"],
            [f"op.drop_index(op.f('{name}'), table_name='{table.name}')"],
        )

    def drop_index(self, line: Line) -> tuple[list[str], list[str]]:
        tables = [t for t in line.tables.values() if t.indexes]
        if not tables:
            return self.create_index(line)
        table = self.rng.choice(tables)
        name = self.rng.choice(sorted(table.indexes))
        column, unique = table.indexes.pop(name)
        return (
            [f"op.drop_index('{name}', table_name='{table.name}')"],
            [f"op.create_index('{name}', '{table.name}', ['{column}'], unique={unique})"],
        )

    def unique_constraint(self, line: Line) -> tuple[list[str], list[str]]:
        table = self.pick(line)
        if table is None:
            return self.create_table(line)
        if table.uniques and self.rng.random() < 0.5:
            name = self.rng.choice(sorted(table.uniques))
            column = table.uniques.pop(name)
            return (
                [self.batch(table.name, f"batch_op.drop_constraint('{name}', type_='unique')")],
                [
                    self.batch(
                        table.name, f"batch_op.create_unique_constraint('{name}', ['{column}'])"
                    )
                ],
            )
        taken = set(table.uniques.values())
        candidates = [c for c in table.columns if c not in ("id", "parent_id") and c not in taken]
        if not candidates:
            return self.add_column(line)
        column = self.rng.choice(candidates)
        name = f"uq_{table.name}_{column}"
        table.uniques[name] = column
        return (
            [self.batch(table.name, f"batch_op.create_unique_constraint('{name}', ['{column}'])")],
            [self.batch(table.name, f"batch_op.drop_constraint('{name}', type_='unique')")],
        )

    def rename_table(self, line: Line) -> tuple[list[str], list[str]]:
        referenced = {t.parent for t in line.tables.values()}
        candidates = [
            t for t in line.tables.values() if t.name not in referenced and t.parent is None
        ]
        if not candidates:
            return self.create_table(line)
        table = self.rng.choice(candidates)
        old, new = table.name, self.fresh("t")
        del line.tables[old]
        table.name = new
        line.tables[new] = table
        if self.rng.random() < 0.5:
            return [f"op.rename_table('{old}', '{new}')"], [f"op.rename_table('{new}', '{old}')"]
        return (
            [f'op.execute("ALTER TABLE {old} RENAME TO {new}")'],
            [f'op.execute("ALTER TABLE {new} RENAME TO {old}")'],
        )

    def sql_table(self, line: Line) -> tuple[list[str], list[str]]:
        table = Table(self.fresh("t"))
        table.columns = {"id": False, self.fresh("c"): True}
        other = list(table.columns)[1]
        line.tables[table.name] = table
        sql = f"CREATE TABLE {table.name} (id INTEGER NOT NULL PRIMARY KEY, {other} TEXT)"
        return [f'op.execute("{sql}")'], [f'op.execute("DROP TABLE {table.name}")']

    def data(self, line: Line) -> tuple[list[str], list[str]]:
        """A data statement between schema operations, written as migrations write them:
        literal SQL, an f-string, text built with names, or SQLAlchemy Core on sa.table()."""
        table = self.pick(line)
        if table is None:
            return self.create_table(line)
        name = table.name
        local = self.fresh("v")
        column = self.rng.choice(sorted(table.columns))
        variants = [
            f'op.execute("UPDATE {name} SET id = id WHERE id > 0")',
            f"{local} = 0\nop.execute(f'UPDATE {name} SET id = id WHERE id > {{{local}}}')",
            f"{local} = sa.table('{name}', sa.column('id'))\n"
            f"op.execute({local}.update().where({local}.c.id < 0).values(id={local}.c.id))",
            f"op.execute(sa.table('{name}', sa.column('id')).delete().where(sa.column('id') < 0))",
            f"{local} = '{name}'\n"
            f"op.execute(sa.text('DELETE FROM ' + {local} + ' WHERE {column} IS NULL AND id < 0'))",
            f"{local} = 'UPDATE {name} SET id = id WHERE id > %s'\nop.execute({local} % 0)",
        ]
        return [self.rng.choice(variants)], []

    def named_column(self, line: Line) -> tuple[list[str], list[str]]:
        """add_column with the table and column named by module-level constants."""
        table = self.pick(line)
        if table is None:
            return self.create_table(line)
        name = self.fresh("c")
        table.columns[name] = True
        table_constant, column_constant = self.fresh("TABLE_"), self.fresh("COLUMN_")
        self.constants += [f"{table_constant} = {table.name!r}", f"{column_constant} = {name!r}"]
        column = f"sa.Column({column_constant}, sa.Integer(), nullable=True)"
        return (
            [f"op.add_column({table_constant}, {column})"],
            [f"op.drop_column({table_constant}, {column_constant})"],
        )

    def pick(self, line: Line) -> Table | None:
        return (
            self.rng.choice(sorted(line.tables.values(), key=lambda t: t.name))
            if line.tables
            else None
        )

    @staticmethod
    def batch(table: str, *lines: str) -> str:
        body = "\n".join(f"    {line}" for line in lines)
        return f"with op.batch_alter_table('{table}', schema=None) as batch_op:\n{body}"

    OPERATIONS = (
        ("create_table", 14),
        ("drop_table", 3),
        ("add_column", 14),
        ("drop_column", 6),
        ("alter_nullable", 6),
        ("rename_column", 4),
        ("create_index", 8),
        ("drop_index", 4),
        ("unique_constraint", 5),
        ("rename_table", 3),
        ("sql_table", 3),
        ("data", 5),
        ("named_column", 3),
    )

    def body(self, line: Line) -> tuple[str, str]:
        up: list[str] = []
        down: list[str] = []
        names = [n for n, _ in self.OPERATIONS]
        weights = [w for _, w in self.OPERATIONS]
        for _ in range(self.rng.choice((1, 1, 2, 3))):
            operation = getattr(self, self.rng.choices(names, weights)[0])
            if not line.tables:
                operation = self.create_table
            more_up, more_down = operation(line)
            up.extend(more_up)
            down.extend(more_down)
        return _indent(up), _indent(list(reversed(down)) or ["pass"])


def _indent(lines: list[str]) -> str:
    return "\n".join("    " + line.replace("\n", "\n    ") for line in lines)


def generate(directory: Path, seed: int, revisions: int = 30) -> Path:
    """Write a project with about ``revisions`` revisions; the versions directory."""
    gen = Generator(seed)
    versions = directory / "migrations" / "versions"
    versions.mkdir(parents=True)
    (directory / "migrations" / "env.py").write_text(ENV_PY)
    (directory / "alembic.ini").write_text(
        "[alembic]\nscript_location = %(here)s/migrations\n"
        "sqlalchemy.url = sqlite:///%(here)s/db.sqlite\n"
    )
    ids = iter(f"{gen.rng.getrandbits(48):012x}" for _ in range(10**6))
    main = Line()
    head: str | None = None
    written = 0

    def write(rev: str, down: str | tuple[str, ...] | None, line: Line | None) -> None:
        gen.constants = []
        up, down_body = ("    pass", "    pass") if line is None else gen.body(line)
        revises = "" if down is None else ", ".join((down,) if isinstance(down, str) else down)
        text = TEMPLATE.format(
            message=f"revision {rev}",
            rev=rev,
            revises=revises,
            down=down,
            up=up,
            down_body=down_body,
            constants="".join(f"{c}\n" for c in gen.constants),
        )
        (versions / f"{rev}_step.py").write_text(text)

    while written < revisions:
        if head is not None and gen.rng.random() < 0.15:
            # Two lines from one parent, each on tables of its own, then a merge.
            lines = []
            for _ in range(2):
                own = Line()
                tip = head
                for _ in range(gen.rng.randint(1, 3)):
                    rev = next(ids)
                    write(rev, tip, own)
                    tip, written = rev, written + 1
                lines.append((tip, own))
            rev = next(ids)
            write(rev, (lines[0][0], lines[1][0]), None)
            for _, own in lines:
                main.tables.update(own.tables)
            head, written = rev, written + 1
            continue
        rev = next(ids)
        write(rev, head, main)
        head, written = rev, written + 1
    return versions
