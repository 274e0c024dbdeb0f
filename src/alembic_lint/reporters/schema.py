"""The schema at a revision as text, JSON or a Mermaid ER diagram (``alembic-lint schema``)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from alembic_lint.schema.objects import Constraint, Schema, Table


@dataclass(frozen=True, slots=True)
class Shown:
    """One schema to show: at which revision, and what that revision is."""

    revision: str
    role: str  # "head", "revision"
    schema: Schema


#: Why tables nobody created may exist at a base (see schema.replay.BEFORE_HISTORY): said
#: once in a footnote rather than as a doubt on every schema.
_BASELINE_DOUBT = "it may be there from before the history"


def text(shown: Sequence[Shown]) -> str:
    out: list[str] = []
    if len(shown) > 1:
        out.append(f"{len(shown)} heads: {', '.join(s.revision for s in shown)}; one schema each.")
        out.append("")
    for number, item in enumerate(shown):
        if number:
            out.append("")
        schema = item.schema
        tables = _sorted(schema)
        exact = sum(1 for t in tables if _certain(schema, t))
        out.append(
            f"# schema at {item.revision} ({item.role}): {len(tables)} "
            f"{'table' if len(tables) == 1 else 'tables'}, {exact} known exactly"
        )
        for table in tables:
            out.append("")
            out.extend(_text_table(schema, table))
        maybe = [k for k in sorted(schema.unsure) if k not in schema.tables]
        for key in maybe:
            out.append("")
            out.append(f"{key}  (may exist: {schema.unsure[key]})")
        if schema.rest is not None and schema.rest != _BASELINE_DOUBT:
            out.append("")
            out.append(f"(the model cannot tell what else exists: {schema.rest})")
    out.append("")
    out.append("Tables created outside the migrations (before the history began) are not shown.")
    return "\n".join(out) + "\n"


def _sorted(schema: Schema) -> list[Table]:
    return sorted(schema.tables.values(), key=lambda t: t.name.casefold())


def _certain(schema: Schema, table: Table) -> bool:
    return schema.has_table(table.name) is True and table.unsure is None


def _text_table(schema: Schema, table: Table) -> list[str]:
    why = schema.why_unsure(table.name)
    lines = [table.name + (f"  (unsure: {why})" if why else "")]
    width = max((len(c.name) for c in table.columns), default=0)
    type_width = max((len(c.type or "?") for c in table.columns), default=0)
    keyed = table.primary_key()
    for column in table.columns:
        null = {True: "NULL", False: "NOT NULL", None: "NULL?"}[column.nullable]
        extra = []
        if column.name.casefold() in keyed:
            extra.append("primary key")
        if column.default is not None:
            extra.append(f"default {column.default}")
        line = f"  {column.name:<{width}}  {column.type or '?':<{type_width}}  {null}"
        lines.append((line + ("  " + ", ".join(extra) if extra else "")).rstrip())
    for index in table.indexes:
        columns = ", ".join(c or "<expression>" for c in index.columns)
        kind = "unique index" if index.unique else "index"
        lines.append(f"  {kind} {index.name or '<named by the database>'} ({columns})")
    for constraint in table.constraints:
        if constraint.kind == "primary" and constraint.name is None:
            continue  # shown on its columns
        lines.append(f"  {_constraint_text(constraint)}")
    return lines


_KINDS = {
    "primary": "primary key",
    "unique": "unique",
    "foreignkey": "foreign key",
    "check": "check",
    "exclude": "exclude",
}


def _constraint_text(constraint: Constraint) -> str:
    name = constraint.name or "<named by the database>"
    text = f"{_KINDS.get(constraint.kind, constraint.kind)} {name}"
    if constraint.columns:
        text += f" ({', '.join(constraint.columns)})"
    if constraint.referent:
        text += f" -> {constraint.referent}"
    if constraint.sqltext:
        text += f": {constraint.sqltext}"
    return text


def as_json(shown: Sequence[Shown]) -> str:
    document = [
        {
            "revision": item.revision,
            "role": item.role,
            "tables": [_json_table(item.schema, t) for t in _sorted(item.schema)],
            "may_exist": {
                k: why
                for k, why in sorted(item.schema.unsure.items())
                if k not in item.schema.tables
            },
            "other_tables_may_exist": item.schema.rest,
        }
        for item in shown
    ]
    return json.dumps(document, indent=2) + "\n"


def _json_table(schema: Schema, table: Table) -> dict[str, Any]:
    return {
        "name": table.name,
        "exact": _certain(schema, table),
        "unsure": schema.why_unsure(table.name),
        "columns": [
            {
                "name": c.name,
                "type": c.type,
                "nullable": c.nullable,
                "default": c.default,
                "primary_key": c.name.casefold() in table.primary_key(),
            }
            for c in table.columns
        ],
        "indexes": [
            {"name": i.name, "columns": list(i.columns), "unique": i.unique} for i in table.indexes
        ],
        "constraints": [
            {
                "kind": c.kind,
                "name": c.name,
                "columns": list(c.columns),
                "referent": c.referent,
                "condition": c.sqltext,
            }
            for c in table.constraints
        ],
    }


_WORD = re.compile(r"[^A-Za-z0-9_]+")


def _mermaid_name(name: str) -> str:
    return _WORD.sub("_", name) or "_"


def _mermaid_type(written: str | None) -> str:
    """A Mermaid attribute type is one word: ``sa.String(length=50)`` becomes ``String``."""
    if not written:
        return "unknown"
    head = written.split("(", 1)[0].rsplit(".", 1)[-1]
    return _mermaid_name(head)


def mermaid(shown: Sequence[Shown]) -> str:
    blocks = []
    for item in shown:
        lines = [f"%% schema at {item.revision} ({item.role})", "erDiagram"]
        schema = item.schema
        tables = _sorted(schema)
        names = {t.name.casefold(): _mermaid_name(t.name) for t in tables}
        for table in tables:
            lines.append(f"    {names[table.name.casefold()]} {{")
            foreign = {c for k in table.constraints if k.kind == "foreignkey" for c in k.columns}
            keyed = table.primary_key()
            for column in table.columns:
                marks = (("PK", column.name.casefold() in keyed), ("FK", column.name in foreign))
                keys = [k for k, on in marks if on]
                comment = "" if schema.why_unsure(table.name) is None else ' "unsure"'
                lines.append(
                    f"        {_mermaid_type(column.type)} {_mermaid_name(column.name)}"
                    + (f" {','.join(keys)}" if keys else "")
                    + comment
                )
            lines.append("    }")
        for table in tables:
            for constraint in table.constraints:
                if constraint.kind != "foreignkey" or not constraint.referent:
                    continue
                target = constraint.referent.split("(", 1)[0].strip()
                if target.casefold() not in names:
                    continue
                label = ", ".join(constraint.columns) or "fk"
                lines.append(
                    f"    {names[target.casefold()]} ||--o{{ {names[table.name.casefold()]} "
                    f': "{label}"'
                )
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


RENDERERS: dict[str, Callable[[Sequence[Shown]], str]] = {
    "text": text,
    "json": as_json,
    "mermaid": mermaid,
}
