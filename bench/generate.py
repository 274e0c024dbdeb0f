"""Generate a realistic synthetic Alembic history for benchmarks.

    python bench/generate.py OUT_DIR --files N [--seed S]

writes ``OUT_DIR/alembic.ini`` (``script_location = %(here)s/migrations``),
``OUT_DIR/migrations/env.py``, ``OUT_DIR/migrations/script.py.mako`` and N revision files in
``OUT_DIR/migrations/versions/``, shaped like ``alembic revision --autogenerate`` output
(about 45 lines each). The history is a long linear chain with occasional branch points,
each closed by a merge migration (``alembic merge``), so it always ends with exactly one
head. Revision ids are 12 lowercase hex digits from a seeded RNG; file names are
``<rev>_<slug>.py``. The output depends only on N and the seed.

About one drop in four carries ``if_exists=True`` and about one migration in forty has an
empty downgrade, so alembic-lint reports AL201 and AL202 findings, as it would on a real,
unbaselined project. Nothing else: no syntax errors, no unresolved or dangling revisions,
and no schema-model finding (a column is altered only to change it, a downgrade puts back
what its upgrade dropped as it was, and each line of a branch works on its own tables).

As a library: ``generate(out_dir, files, seed=0)`` returns the versions directory;
``generate_squash(out_dir, lines=6000, follow=20, seed=0)`` writes a history that starts
with one squashed migration of about ``lines`` lines (hundreds of drops in its downgrade).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

ALEMBIC_INI = """\
# A generic, single database configuration.

[alembic]
# path to migration scripts
script_location = %(here)s/migrations

# sys.path path, will be prepended to sys.path if present.
prepend_sys_path = .

# version path separator; "os" splits on os.pathsep
path_separator = os

sqlalchemy.url = sqlite:///%(here)s/bench.db

[loggers]
keys = root,sqlalchemy,alembic

[handlers]
keys = console

[formatters]
keys = generic

[logger_root]
level = WARNING
handlers = console
qualname =

[logger_sqlalchemy]
level = WARNING
handlers =
qualname = sqlalchemy.engine

[logger_alembic]
level = INFO
handlers =
qualname = alembic

[handler_console]
class = StreamHandler
args = (sys.stderr,)
level = NOTSET
formatter = generic

[formatter_generic]
format = %(levelname)-5.5s [%(name)s] %(message)s
datefmt = %H:%M:%S
"""

ENV_PY = '''\
"""Minimal Alembic environment (offline and online) for the benchmark project."""

from alembic import context
from sqlalchemy import engine_from_config, pool

config = context.config
target_metadata = None


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connectable = engine_from_config(
        config.get_section(config.config_ini_section, {}),
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    with connectable.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
'''

SCRIPT_MAKO = '''\
"""${message}

Revision ID: ${up_revision}
Revises: ${down_revision | comma,n}
Create Date: ${create_date}

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
${imports if imports else ""}

# revision identifiers, used by Alembic.
revision: str = ${repr(up_revision)}
down_revision: Union[str, Sequence[str], None] = ${repr(down_revision)}
branch_labels: Union[str, Sequence[str], None] = ${repr(branch_labels)}
depends_on: Union[str, Sequence[str], None] = ${repr(depends_on)}


def upgrade() -> None:
    """Upgrade schema."""
    ${upgrades if upgrades else "pass"}


def downgrade() -> None:
    """Downgrade schema."""
    ${downgrades if downgrades else "pass"}
'''

TABLE_NAMES = (
    "users",
    "accounts",
    "organizations",
    "teams",
    "memberships",
    "roles",
    "permissions",
    "sessions",
    "api_keys",
    "customers",
    "addresses",
    "products",
    "product_variants",
    "categories",
    "tags",
    "orders",
    "order_items",
    "invoices",
    "invoice_lines",
    "payments",
    "refunds",
    "subscriptions",
    "plans",
    "coupons",
    "shipments",
    "warehouses",
    "inventory_levels",
    "suppliers",
    "purchase_orders",
    "audit_logs",
    "notifications",
    "webhooks",
    "webhook_deliveries",
    "comments",
    "posts",
    "attachments",
    "reviews",
    "carts",
    "cart_items",
    "price_lists",
    "tax_rates",
    "currencies",
    "exchange_rates",
    "reports",
    "dashboards",
    "feature_flags",
    "experiments",
    "jobs",
    "job_runs",
)

COLUMN_TYPES = (
    ("name", "sa.String(length=120)", "sa.VARCHAR(length=120)"),
    ("title", "sa.String(length=255)", "sa.VARCHAR(length=255)"),
    ("description", "sa.Text()", "sa.TEXT()"),
    ("status", "sa.String(length=32)", "sa.VARCHAR(length=32)"),
    ("email", "sa.String(length=255)", "sa.VARCHAR(length=255)"),
    ("external_id", "sa.String(length=64)", "sa.VARCHAR(length=64)"),
    ("slug", "sa.String(length=80)", "sa.VARCHAR(length=80)"),
    ("code", "sa.String(length=16)", "sa.VARCHAR(length=16)"),
    ("amount_cents", "sa.BigInteger()", "sa.BIGINT()"),
    ("quantity", "sa.Integer()", "sa.INTEGER()"),
    ("priority", "sa.SmallInteger()", "sa.SMALLINT()"),
    ("sort_order", "sa.Integer()", "sa.INTEGER()"),
    ("price", "sa.Numeric(precision=12, scale=2)", "sa.NUMERIC(precision=12, scale=2)"),
    ("is_active", "sa.Boolean()", "sa.BOOLEAN()"),
    ("is_archived", "sa.Boolean()", "sa.BOOLEAN()"),
    ("created_at", "sa.DateTime(timezone=True)", "sa.DateTime(timezone=True)"),
    ("updated_at", "sa.DateTime(timezone=True)", "sa.DateTime(timezone=True)"),
    ("deleted_at", "sa.DateTime()", "sa.DATETIME()"),
    ("expires_at", "sa.DateTime()", "sa.DATETIME()"),
    ("last_seen_at", "sa.DateTime()", "sa.DATETIME()"),
    ("starts_on", "sa.Date()", "sa.DATE()"),
    ("settings", "sa.JSON()", "sa.JSON()"),
    ("metadata_json", "sa.JSON()", "sa.JSON()"),
    ("currency", "sa.String(length=3)", "sa.VARCHAR(length=3)"),
    ("country_code", "sa.String(length=2)", "sa.VARCHAR(length=2)"),
    ("phone", "sa.String(length=32)", "sa.VARCHAR(length=32)"),
    ("url", "sa.String(length=2048)", "sa.VARCHAR(length=2048)"),
    ("token_hash", "sa.String(length=128)", "sa.VARCHAR(length=128)"),
    ("uuid", "sa.Uuid()", "sa.UUID()"),
    ("version", "sa.Integer()", "sa.INTEGER()"),
    ("notes", "sa.Text()", "sa.TEXT()"),
    ("weight_grams", "sa.Integer()", "sa.INTEGER()"),
)

DATA_FIXES = (
    "UPDATE {t} SET {c} = NULL WHERE {c} = ''",
    "UPDATE {t} SET updated_at = created_at WHERE updated_at IS NULL",
    "DELETE FROM {t} WHERE {c} IS NULL",
    "UPDATE {t} SET {c} = lower({c})",
)

IF_EXISTS_RATE = 0.25  # drops that carry if_exists=True
EMPTY_DOWNGRADE_RATE = 0.025  # hand-written, irreversible migrations (AL202)
BRANCH_RATE = 0.04  # chance, per migration on a single-headed chain, of a branch point
MERGE_RATE = 0.3  # chance, per migration while two heads are open, of the merge


@dataclass
class Table:
    name: str
    columns: list[str] = field(default_factory=list)  # besides id
    indexes: list[str] = field(default_factory=list)  # indexed columns
    #: Each column's nullability (``id`` aside): what autogenerate reflects when it writes
    #: a downgrade that puts a column back, and why it alters one (only to change it).
    nullable: dict[str, bool] = field(default_factory=dict)


@dataclass
class Body:
    message: str
    up: list[str] = field(default_factory=list)
    down: list[str] = field(default_factory=list)  # in reverse order at the end
    batch: bool = False


class Schema:
    """Just enough schema state that the generated operations read like a real project's.

    One per line of development: the second line of a branch point starts with a schema of
    its own (``branch``), whose operations touch only the tables it creates, so neither
    line works on what the other one changed; the merge takes the branch's tables in."""

    def __init__(self, rng: random.Random, names: Schema | None = None) -> None:
        self.rng = rng
        self.tables: list[Table] = []
        self.unused = list(TABLE_NAMES)
        self.generation = 1
        self.names = names  # the schema that hands out table names (one for all lines)

    def branch(self) -> Schema:
        return Schema(self.rng, names=self.names or self)

    def new_table_name(self) -> str:
        if self.names is not None:
            return self.names.new_table_name()
        if not self.unused:
            self.generation += 1
            self.unused = [f"{n}_v{self.generation}" for n in TABLE_NAMES]
        return self.unused.pop(self.rng.randrange(len(self.unused)))

    def column_type(self, column: str) -> tuple[str, str]:
        for name, new, existing in COLUMN_TYPES:
            if name == column:
                return new, existing
        return "sa.Integer()", "sa.INTEGER()"

    def free_column(self, table: Table) -> str | None:
        candidates = [c[0] for c in COLUMN_TYPES if c[0] not in table.columns]
        return self.rng.choice(candidates) if candidates else None

    def drop(self, call: str) -> str:
        """A drop call, with ``if_exists=True`` now and then."""
        if self.rng.random() < IF_EXISTS_RATE:
            return call[:-1] + ", if_exists=True)"
        return call


def _column(name: str, sa_type: str, nullable: bool) -> str:
    extra = ", server_default=sa.text('now()')" if name == "created_at" else ""
    return f"sa.Column('{name}', {sa_type}{extra}, nullable={nullable})"


def op_create_table(s: Schema, b: Body) -> None:
    rng = s.rng
    table = Table(s.new_table_name())
    columns = [
        c[0] for c in rng.sample(COLUMN_TYPES, rng.randint(3, 6)) if c[0] != "created_at"
    ] + ["created_at"]
    b.up.append(f"op.create_table('{table.name}',")
    b.up.append("sa.Column('id', sa.Integer(), nullable=False),")
    for column in columns:
        nullable = rng.random() < 0.4
        b.up.append(f"{_column(column, s.column_type(column)[0], nullable)},")
        table.columns.append(column)
        table.nullable[column] = nullable
    parent = rng.choice(s.tables) if s.tables and rng.random() < 0.6 else None
    if parent is not None:
        fk = f"{parent.name.rstrip('s')}_id"
        table.columns.append(fk)
        table.nullable[fk] = False
        b.up.insert(-len(columns), f"sa.Column('{fk}', sa.Integer(), nullable=False),")
        b.up.append(f"sa.ForeignKeyConstraint(['{fk}'], ['{parent.name}.id'], ),")
    b.up.append("sa.PrimaryKeyConstraint('id')")
    b.up.append(")")
    b.down.append(s.drop(f"op.drop_table('{table.name}')"))
    indexed = rng.choice(table.columns)
    index = f"ix_{table.name}_{indexed}"
    b.up.append(
        f"op.create_index(op.f('{index}'), '{table.name}', ['{indexed}'], "
        f"unique={rng.random() < 0.2})"
    )
    b.down.append(s.drop(f"op.drop_index(op.f('{index}'), table_name='{table.name}')"))
    table.indexes.append(indexed)
    s.tables.append(table)
    b.message = rng.choice(("create {t} table", "add {t}", "{t}")).format(t=table.name)


def op_add_columns(s: Schema, b: Body) -> None:
    rng = s.rng
    table = rng.choice(s.tables)
    added = []
    up: list[str] = []
    down: list[str] = []  # in upgrade order; reversed at the end
    for _ in range(rng.choice((1, 1, 2, 3))):
        column = s.free_column(table)
        if column is None:
            break
        table.columns.append(column)
        table.nullable[column] = True
        added.append(column)
        col = _column(column, s.column_type(column)[0], True)
        index = f"ix_{table.name}_{column}" if rng.random() < 0.35 else None
        if b.batch:
            up.append(f"    batch_op.add_column({col})")
            down.append(s.drop(f"    batch_op.drop_column('{column}')"))
            if index:
                up.append(f"    batch_op.create_index(batch_op.f('{index}'), ['{column}'])")
                down.append(s.drop(f"    batch_op.drop_index(batch_op.f('{index}'))"))
        else:
            up.append(f"op.add_column('{table.name}', {col})")
            down.append(s.drop(f"op.drop_column('{table.name}', '{column}')"))
            if index:
                up.append(f"op.create_index(op.f('{index}'), '{table.name}', ['{column}'])")
                down.append(s.drop(f"op.drop_index(op.f('{index}'), table_name='{table.name}')"))
        if index:
            table.indexes.append(column)
    if not added:
        op_create_table(s, b)
        return
    if b.batch:
        header = f"with op.batch_alter_table('{table.name}', schema=None) as batch_op:"
        up.insert(0, header)
        b.down.append(header + "\n" + "\n".join(reversed(down)))
    else:
        b.down.extend(down)
    b.up.extend(up)
    b.message = f"add {' and '.join(added)} to {table.name}"


def op_create_index(s: Schema, b: Body) -> None:
    rng = s.rng
    table = rng.choice(s.tables)
    candidates = [c for c in table.columns if c not in table.indexes]
    if not candidates:
        op_add_columns(s, b)
        return
    column = rng.choice(candidates)
    index = f"ix_{table.name}_{column}"
    unique = rng.random() < 0.3
    b.up.append(f"op.create_index(op.f('{index}'), '{table.name}', ['{column}'], unique={unique})")
    b.down.append(s.drop(f"op.drop_index(op.f('{index}'), table_name='{table.name}')"))
    table.indexes.append(column)
    b.message = f"index {table.name}.{column}"


def op_alter_columns(s: Schema, b: Body) -> None:
    """``render_as_batch`` style: alter_column inside batch_alter_table, making nullable
    columns NOT NULL (autogenerate alters a column only where the model differs)."""
    rng = s.rng
    table = rng.choice(s.tables)
    candidates = [c for c in table.columns if table.nullable.get(c, True)]
    if not candidates:
        op_add_columns(s, b)
        return
    columns = rng.sample(candidates, min(len(candidates), rng.choice((1, 1, 2))))
    b.up.append(f"with op.batch_alter_table('{table.name}', schema=None) as batch_op:")
    down = [f"with op.batch_alter_table('{table.name}', schema=None) as batch_op:"]
    for column in columns:
        existing = s.column_type(column)[1]
        for lines, nullable in ((b.up, False), (down, True)):
            lines.append(f"    batch_op.alter_column('{column}',")
            lines.append(f"           existing_type={existing},")
            lines.append(f"           nullable={nullable})")
        table.nullable[column] = False
    b.down.extend(reversed(down))
    b.message = f"make {' and '.join(columns)} on {table.name} not null"


def op_drop_column(s: Schema, b: Body) -> None:
    rng = s.rng
    table = rng.choice(s.tables)
    if len(table.columns) < 2:
        op_add_columns(s, b)
        return
    column = rng.choice(table.columns)
    table.columns.remove(column)
    if column in table.indexes:
        table.indexes.remove(column)
        index = f"ix_{table.name}_{column}"
        b.up.append(s.drop(f"op.drop_index(op.f('{index}'), table_name='{table.name}')"))
        b.down.append(f"op.create_index(op.f('{index}'), '{table.name}', ['{column}'])")
    existing = s.column_type(column)[1]
    b.up.append(s.drop(f"op.drop_column('{table.name}', '{column}')"))
    # As autogenerate writes it back from the database: the same nullability and default.
    default = ", server_default=sa.text('now()')" if column == "created_at" else ""
    nullable = table.nullable.pop(column, True)
    b.down.append(
        f"op.add_column('{table.name}', sa.Column('{column}', {existing}{default}, "
        f"autoincrement=False, nullable={nullable}))"
    )
    b.message = f"drop {column} from {table.name}"


def op_drop_table(s: Schema, b: Body) -> None:
    rng = s.rng
    if len(s.tables) < 4:
        op_create_table(s, b)
        return
    table = s.tables.pop(rng.randrange(len(s.tables)))
    for column in table.indexes:
        index = f"ix_{table.name}_{column}"
        b.up.append(s.drop(f"op.drop_index('{index}', table_name='{table.name}')"))
        b.down.append(f"op.create_index('{index}', '{table.name}', ['{column}'], unique=False)")
    b.up.append(s.drop(f"op.drop_table('{table.name}')"))
    create = [f"op.create_table('{table.name}',"]
    create.append("sa.Column('id', sa.INTEGER(), autoincrement=True, nullable=False),")
    for column in table.columns:
        nullable = table.nullable.get(column, True)
        create.append(f"{_column(column, s.column_type(column)[1], nullable)},")
    create.append(f"sa.PrimaryKeyConstraint('id', name='{table.name}_pkey')")
    b.down.append("\n".join(create) + "\n)")
    b.message = f"drop legacy {table.name} table"


def op_execute(s: Schema, b: Body) -> None:
    rng = s.rng
    table = rng.choice(s.tables)
    column = rng.choice(table.columns) if table.columns else "id"
    sql = rng.choice(DATA_FIXES).format(t=table.name, c=column)
    b.up.append(f'op.execute("{sql}")')
    b.message = f"backfill {table.name} {column}"


OPERATIONS = (
    (op_create_table, 22),
    (op_add_columns, 30),
    (op_create_index, 10),
    (op_alter_columns, 12),
    (op_drop_column, 9),
    (op_drop_table, 3),
    (op_execute, 5),
)


def _slug(message: str) -> str:
    """Alembic's slug: non-word runs become ``_``, truncated to 40 characters at a word."""
    slug = "_".join(re.findall(r"\w+", message.lower()))
    if len(slug) > 40:
        slug = slug[:40].rsplit("_", 1)[0]
    return slug


def _indent(lines: list[str]) -> str:
    return "\n".join("    " + line.replace("\n", "\n    ") for line in lines)


def _render(
    rev: str, parents: tuple[str, ...], message: str, date: dt.datetime, up: str, down: str
) -> str:
    down_revision: str | tuple[str, ...] | None
    down_revision = None if not parents else parents[0] if len(parents) == 1 else parents
    return (
        SCRIPT_MAKO.replace("${message}", message)
        .replace("${up_revision}", rev)
        .replace("${down_revision | comma,n}", ", ".join(parents))
        .replace("${create_date}", date.strftime("%Y-%m-%d %H:%M:%S.%f"))
        .replace('${imports if imports else ""}', "")
        .replace("${repr(up_revision)}", repr(rev))
        .replace("${repr(down_revision)}", repr(down_revision))
        .replace("${repr(branch_labels)}", "None")
        .replace("${repr(depends_on)}", "None")
        .replace('${upgrades if upgrades else "pass"}', up)
        .replace('${downgrades if downgrades else "pass"}', down)
    )


def _autogenerated(lines: list[str]) -> str:
    return (
        "# ### commands auto generated by Alembic - please adjust! ###\n"
        + _indent(lines)
        + "\n    # ### end Alembic commands ###"
    )


def _migration_body(schema: Schema) -> tuple[str, str, str]:
    rng = schema.rng
    body = Body(message="", batch=rng.random() < 0.2)
    if not schema.tables:
        op_create_table(schema, body)
    else:
        functions = [f for f, _ in OPERATIONS]
        weights = [w for _, w in OPERATIONS]
        for _ in range(rng.choice((1, 2, 2, 3))):
            rng.choices(functions, weights)[0](schema, body)
    messages = body.message
    up = _autogenerated(body.up)
    if rng.random() < EMPTY_DOWNGRADE_RATE:
        down = "pass"
    elif not body.down:
        down = "pass" if body.up[0].startswith("op.execute") else _autogenerated(["pass"])
    else:
        down = _autogenerated(list(reversed(body.down)))
    if rng.random() < 0.06:
        # A hand-written data fix after the schema change.
        table = rng.choice(schema.tables)
        column = rng.choice(table.columns) if table.columns else "id"
        up += "\n\n    " + f'op.execute("{rng.choice(DATA_FIXES).format(t=table.name, c=column)}")'
    return messages, up, down


def plan(files: int, rng: random.Random) -> list[tuple[int, ...]]:
    """The parents of each of ``files`` revisions, as indexes in creation order.

    The shape: one root, a linear chain, and now and then a branch point (two children of
    one revision) whose two lines each grow a few revisions before a merge revision joins
    them. At least one branch when there are 20 files or more; always one head at the end.
    """
    parents: list[tuple[int, ...]] = []
    heads: list[int] = []
    second_child_of: int | None = None  # a branch point waiting for its second child
    branched = False
    for i in range(files):
        remaining = files - i
        if not heads:
            parents.append(())
            heads = [i]
        elif second_child_of is not None:
            parents.append((second_child_of,))
            heads.append(i)
            second_child_of = None
        elif len(heads) == 2 and (remaining == 1 or rng.random() < MERGE_RATE):
            parents.append((heads[0], heads[1]))
            heads = [i]
        elif len(heads) == 2:
            k = rng.randrange(2)
            parents.append((heads[k],))
            heads[k] = i
        elif remaining >= 3 and (
            rng.random() < BRANCH_RATE or (not branched and files >= 20 and i >= files // 2)
        ):
            # A branch point: this revision and the next both revise the current head.
            parents.append((heads[0],))
            second_child_of = heads[0]
            heads = [i]
            branched = True
        else:
            parents.append((heads[0],))
            heads = [i]
    return parents


def _project(out_dir: Path) -> Path:
    """Write the project around the versions directory (ini, env.py, template); return it."""
    out_dir = Path(out_dir)
    versions = out_dir / "migrations" / "versions"
    versions.mkdir(parents=True, exist_ok=True)
    (out_dir / "alembic.ini").write_text(ALEMBIC_INI, encoding="utf-8")
    (out_dir / "migrations" / "env.py").write_text(ENV_PY, encoding="utf-8")
    (out_dir / "migrations" / "script.py.mako").write_text(SCRIPT_MAKO, encoding="utf-8")
    (out_dir / "migrations" / "README").write_text(
        "Synthetic Alembic history for the alembic-lint benchmark.\n", encoding="utf-8"
    )
    return versions


def _revision_ids(rng: random.Random, count: int) -> list[str]:
    ids: list[str] = []
    seen: set[str] = set()
    while len(ids) < count:
        rev = f"{rng.getrandbits(48):012x}"
        if rev not in seen:
            seen.add(rev)
            ids.append(rev)
    return ids


def generate(out_dir: Path, files: int, seed: int = 0) -> Path:
    """Write an Alembic project with ``files`` revisions under ``out_dir``; return versions."""
    if files < 1:
        raise ValueError("files must be at least 1")
    versions = _project(out_dir)
    rng = random.Random(seed)
    shape = plan(files, rng)
    ids = _revision_ids(rng, files)

    main_line = Schema(rng)
    line_of: list[Schema] = []  # each revision's line of development
    has_child: set[int] = set()
    date = dt.datetime(2019, 1, 7, 9, 30, 0, 0)
    for i, parent_indexes in enumerate(shape):
        rev = ids[i]
        parents = tuple(ids[p] for p in parent_indexes)
        date += dt.timedelta(seconds=rng.randint(600, 5 * 86400), microseconds=rng.randrange(10**6))
        if not parent_indexes:
            schema = main_line
        elif len(parent_indexes) > 1:
            schema = line_of[parent_indexes[0]]
            for parent in parent_indexes[1:]:  # (plan merges two lines, never more)
                if line_of[parent] is not schema:
                    schema.tables.extend(line_of[parent].tables)
        elif parent_indexes[0] in has_child:
            schema = line_of[parent_indexes[0]].branch()  # the second child of a branch point
        else:
            schema = line_of[parent_indexes[0]]
        has_child.update(parent_indexes)
        line_of.append(schema)
        if len(parents) > 1:
            message, up, down = "merge heads", "pass", "pass"
        else:
            message, up, down = _migration_body(schema)
        source = _render(rev, parents, message, date, up, down)
        (versions / f"{rev}_{_slug(message)}.py").write_text(source, encoding="utf-8")
    return versions


#: What a squash migration's upgrade is made of: the schema built up, never torn down.
SQUASH_OPERATIONS = ((op_create_table, 6), (op_add_columns, 3), (op_create_index, 2))


def generate_squash(out_dir: Path, lines: int = 6000, follow: int = 20, seed: int = 0) -> Path:
    """Write a project whose history starts with one squashed migration of about ``lines``
    lines (the whole schema created in ``upgrade()``, and dropped again, index by index and
    table by table, in ``downgrade()``: several hundred drops, most without ``if_exists``),
    followed by ``follow`` ordinary migrations in a line; return the versions directory.

    The shape of a real history that squashed years of migrations into one file: the file
    that made a run with fixes attached re-parse it once per drop.
    """
    if lines < 100 or follow < 0:
        raise ValueError("lines must be at least 100 and follow at least 0")
    versions = _project(out_dir)
    rng = random.Random(seed)
    ids = _revision_ids(rng, follow + 1)
    schema = Schema(rng)
    up: list[str] = []
    down: list[str] = []
    written = 0
    while written < lines - 40:  # the template and the markers around the bodies
        body = Body(message="", batch=False)
        if len(schema.tables) < 4:
            op_create_table(schema, body)
        else:
            functions = [f for f, _ in SQUASH_OPERATIONS]
            rng.choices(functions, [w for _, w in SQUASH_OPERATIONS])[0](schema, body)
        up += body.up
        down += body.down
        written += sum(x.count("\n") + 1 for x in body.up + body.down)
    date = dt.datetime(2021, 3, 1, 12, 0, 0, 0)
    message = "squashed initial schema"
    source = _render(
        ids[0], (), message, date, _autogenerated(up), _autogenerated(list(reversed(down)))
    )
    (versions / f"{ids[0]}_{_slug(message)}.py").write_text(source, encoding="utf-8")
    for index in range(1, follow + 1):
        date += dt.timedelta(days=rng.randint(1, 30))
        message, body_up, body_down = _migration_body(schema)
        source = _render(ids[index], (ids[index - 1],), message, date, body_up, body_down)
        (versions / f"{ids[index]}_{_slug(message)}.py").write_text(source, encoding="utf-8")
    return versions


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir", type=Path, metavar="OUT_DIR")
    parser.add_argument("--files", type=int, default=1000, help="revision files (default 1000)")
    parser.add_argument("--seed", type=int, default=0, help="RNG seed (default 0)")
    args = parser.parse_args(argv)
    if args.files < 1:
        parser.error("--files must be at least 1")
    versions = generate(args.out_dir, args.files, args.seed)
    print(f"wrote {args.files} revisions to {versions}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
