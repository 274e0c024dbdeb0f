"""Builders for the example histories each rule carries (tests and docs are made from them).

Expected findings are marked inline with ``# expect: CODE`` on the line they point at.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

EXPECT = "# expect:"


@dataclass(frozen=True, slots=True)
class File:
    """One file of an example history."""

    filename: str
    source: str


@dataclass(frozen=True, slots=True)
class Example:
    """A whole versions directory: files in any order (the test writes them all).

    ``fixed`` holds, for a fixable rule, what each changed file must read after ``--fix``
    (``# expect:`` markers included, as they are part of the file). ``dialect``: the
    target database the example is judged for (the `dialect` setting; None: unknown).

    An example with a ``base`` is checked with ``--against`` (see :func:`against`):
    ``base`` is the versions directory at the fork point, ``target`` what the target
    branch added or changed since, ``files`` what this branch added or changed, and
    ``deleted`` the names of the base's files this branch deleted.

    ``head_file`` names the file of ``files`` (not a migration) that the ``head-file``
    setting points at.
    """

    files: tuple[File, ...]
    title: str = ""
    fixed: tuple[File, ...] = ()
    dialect: str | None = None
    base: tuple[File, ...] = ()
    target: tuple[File, ...] = ()
    deleted: tuple[str, ...] = ()
    head_file: str = ""

    @property
    def branch(self) -> bool:
        """Whether this example is a branch against a target (checked with --against)."""
        return bool(self.base or self.target or self.deleted)


def history(
    *files: File,
    title: str = "",
    fixed: tuple[File, ...] = (),
    dialect: str | None = None,
    head_file: str = "",
) -> Example:
    return Example(tuple(files), title, fixed, dialect, head_file=head_file)


def against(
    *,
    base: tuple[File, ...],
    branch: tuple[File, ...] = (),
    target: tuple[File, ...] = (),
    deleted: tuple[str, ...] = (),
    title: str = "",
) -> Example:
    """A branch and the target it merges into (``--against``), from their fork point."""
    return Example(tuple(branch), title, base=tuple(base), target=tuple(target), deleted=deleted)


def raw(filename: str, source: str) -> File:
    """A file with exactly this source (dedented)."""
    return File(filename, textwrap.dedent(source).lstrip("\n"))


def _mark(line: str, codes: str | None) -> str:
    return f"{line}  {EXPECT} {codes}" if codes else line


def m(
    revision: str,
    down: object = None,
    *,
    upgrade: str | None = "pass",
    downgrade: str | None = "pass",
    labels: object = None,
    depends: object = None,
    message: str = "example",
    filename: str | None = None,
    expect: dict[str, str] | None = None,
) -> File:
    """A migration shaped like the one ``alembic revision`` writes.

    ``expect`` maps a line (``revision``, ``down_revision``, ``branch_labels``,
    ``depends_on``, ``def upgrade``, ``def downgrade``) to the codes expected on it.
    ``upgrade=None`` / ``downgrade=None`` leave the function out.
    """
    marks = expect or {}
    if down is None:
        down_ids: tuple[object, ...] = ()
    elif isinstance(down, tuple | list):
        down_ids = tuple(down)
    else:
        down_ids = (down,)
    lines = [
        f'"""{message}',
        "",
        f"Revision ID: {revision}",
        f"Revises: {', '.join(str(d) for d in down_ids)}",
        "Create Date: 2026-01-01 00:00:00.000000",
        "",
        '"""',
        "from alembic import op",
        "import sqlalchemy as sa",
        "",
        "# revision identifiers, used by Alembic.",
        _mark(f"revision = {revision!r}", marks.get("revision")),
        _mark(f"down_revision = {down!r}", marks.get("down_revision")),
        _mark(f"branch_labels = {labels!r}", marks.get("branch_labels")),
        _mark(f"depends_on = {depends!r}", marks.get("depends_on")),
    ]
    for name, body in (("upgrade", upgrade), ("downgrade", downgrade)):
        if body is None:
            continue
        lines += ["", "", _mark(f"def {name}():", marks.get(f"def {name}"))]
        lines += [
            "    " + line if line else "" for line in textwrap.dedent(body).strip("\n").split("\n")
        ]
    return File(filename or f"{revision}_{message.replace(' ', '_')}.py", "\n".join(lines) + "\n")


def expected(example: Example) -> set[tuple[str, int, str]]:
    """``{(filename, line, code)}`` from the ``# expect:`` markers of an example."""
    found: set[tuple[str, int, str]] = set()
    # A finding about a file this branch deleted points where the file was.
    gone = [f for f in example.base if f.filename in example.deleted]
    for file in (*example.files, *gone):
        for number, line in enumerate(file.source.splitlines(), start=1):
            if EXPECT in line:
                for code in line.split(EXPECT, 1)[1].split(","):
                    found.add((file.filename, number, code.strip()))
    return found
