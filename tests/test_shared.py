"""The parts of the facts a run shares between files are equal value for value."""

from __future__ import annotations

from dataclasses import replace

from alembic_lint.checking import Shared
from alembic_lint.engine import read_facts
from alembic_lint.rules.examples import m

COLUMNS = (
    "op.create_table('{t}', sa.Column('id', sa.Integer(), nullable={n}),"
    " sa.Column('name', sa.Text(), nullable=True))"
)


def facts(revision: str, table: str, nullable: str, labels: object = None):  # type: ignore[no-untyped-def]
    source = m(
        revision,
        labels=labels,
        upgrade=COLUMNS.format(t=table, n=nullable),
        downgrade="op.alter_column('t', 'c', nullable=False)",
    ).source
    return read_facts(f"/h/{revision}.py", source.encode())


def test_equal_parts_are_one_object_and_the_facts_stay_equal() -> None:
    shared = Shared()
    a = facts("aaaaaaaaaaaa", "users", "False")
    b = facts("bbbbbbbbbbbb", "orders", "False")
    a2, b2 = shared.migration(a), shared.migration(b)
    assert (a2, b2) == (a, b)
    assert a2.changes == a.changes and b2.changes == b.changes
    assert a2.branch_labels is b2.branch_labels and a2.depends_on is b2.depends_on
    assert a2.changes is not None and b2.changes is not None
    (create_a,), (create_b,) = a2.changes.upgrade, b2.changes.upgrade
    assert create_a.columns is create_b.columns  # the same two columns, on other tables
    assert a2.changes.downgrade[0].alter is b2.changes.downgrade[0].alter


def test_values_equal_in_python_but_not_the_same_are_not_shared() -> None:
    """A column whose ``nullable`` were 0 is not one whose ``nullable`` is False, nor a
    label 1 the label True: sharing them would change what a finding says."""
    shared = Shared()
    a = facts("aaaaaaaaaaaa", "users", "False")
    assert a.changes is not None
    (create,) = a.changes.upgrade
    zero = replace(create.columns[0], nullable=0)
    assert zero == create.columns[0]  # equal in Python
    b = replace(
        a,
        changes=replace(a.changes, upgrade=(replace(create, columns=(zero, *create.columns[1:])),)),
    )
    a2, b2 = shared.migration(a), shared.migration(b)
    assert a2.changes is not None and b2.changes is not None
    assert a2.changes.upgrade[0].columns[0].nullable is False
    assert b2.changes.upgrade[0].columns[0].nullable == 0
    assert type(b2.changes.upgrade[0].columns[0].nullable) is int
    one = shared.migration(facts("cccccccccccc", "t", "True", labels=1))
    true = shared.migration(facts("dddddddddddd", "t", "True", labels=True))
    assert type(one.branch_labels.value) is int and type(true.branch_labels.value) is bool
