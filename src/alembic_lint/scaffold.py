"""Write new revision files (``merge``) the way Alembic would, without Mako or Alembic."""

from __future__ import annotations

import datetime
import os
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from alembic_lint import literal
from alembic_lint.atomic import leaves_tree, write_atomic
from alembic_lint.discover import HistorySpec, would_load
from alembic_lint.graph import RefKind, RevisionGraph, UnknownRevision
from alembic_lint.inputs import read_text
from alembic_lint.rules._common import EXCERPT, excerpt

__all__ = [
    "DEFAULT_FILE_TEMPLATE",
    "DEFAULT_MERGE_MESSAGE",
    "GENERIC_TEMPLATE",
    "ScaffoldError",
    "TemplateValues",
    "choose_heads",
    "file_name",
    "heads_problem",
    "is_plain",
    "new_rev_id",
    "render",
    "slugify",
    "target_directory",
    "write_new",
]

DEFAULT_FILE_TEMPLATE = "%(rev)s_%(slug)s"  # alembic/script/base.py
DEFAULT_TRUNCATE_SLUG_LENGTH = 40
DEFAULT_MERGE_MESSAGE = "merge heads"
_SLUG = re.compile(r"\w+")
_EXPRESSION = re.compile(r"\$\{(.*?)\}", re.DOTALL)
# A Mako control line (`% if`, not `%%`) or a `##` comment; `\`-newline joins lines.
_MAKO_LINE = re.compile(r"^[ \t]*(?:%(?!%)|##)", re.MULTILINE)

#: Alembic's ``generic`` script.py.mako (1.16.2 and later), used when the project's is missing
#: or needs Mako to render.
GENERIC_TEMPLATE = '''"""${message}

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


class ScaffoldError(Exception):
    """A one-line reason why no file was written (the CLI prints it and exits 2)."""


@dataclass(frozen=True, slots=True)
class TemplateValues:
    """What ``ScriptDirectory.generate_revision`` passes to ``script.py.mako`` for a merge."""

    message: str
    up_revision: str
    down_revision: tuple[str, ...]
    create_date: datetime.datetime

    def expressions(self) -> dict[str, str]:
        """Each plain ``${...}`` expression (whitespace collapsed) -> its rendered text."""
        down: str | tuple[str, ...] | None  # revision.tuple_rev_as_scalar
        if not self.down_revision:
            down = None
        elif len(self.down_revision) == 1:
            down = self.down_revision[0]
        else:
            down = self.down_revision
        comma = down if isinstance(down, str) else ", ".join(down or ())
        return {
            "message": self.message,
            "up_revision": self.up_revision,
            "down_revision | comma,n": comma,
            "down_revision|comma,n": comma,
            "create_date": str(self.create_date),
            "repr(up_revision)": repr(self.up_revision),
            "repr(down_revision)": repr(down),
            "repr(branch_labels)": repr(None),
            "repr(depends_on)": repr(None),
            'imports if imports else ""': "",
            "imports if imports else ''": "",
            'upgrades if upgrades else "pass"': "pass",
            "upgrades if upgrades else 'pass'": "pass",
            'downgrades if downgrades else "pass"': "pass",
            "downgrades if downgrades else 'pass'": "pass",
        }


def _normalise(expression: str) -> str:
    return " ".join(expression.split())


_PLAIN = frozenset(TemplateValues("", "", (), datetime.datetime(2000, 1, 1)).expressions())


def is_plain(template: str) -> bool:
    """Whether ``template`` renders the same by substitution as by Mako."""
    if "<%" in template or "%>" in template or _MAKO_LINE.search(template):
        return False
    if re.search(r"\\\r?\n", template):
        return False
    return all(_normalise(m.group(1)) in _PLAIN for m in _EXPRESSION.finditer(template))


#: The template's list of the merged revisions (the ``Revises:`` line of the docstring).
_REVISES = ("down_revision | comma,n", "down_revision|comma,n")


def render(template: str, values: TemplateValues) -> str:
    """Substitute a plain template (see ``is_plain``) as Mako would, except that the
    message and the ids of the merged revisions are escaped for the literal or comment
    they land in (Mako pastes them as they are, so a message, or an id in a repository,
    holding three double quotes ends the docstring and goes on as code)."""
    table = values.expressions()
    text = template.replace("\r\n", "\n")  # Mako's lexer normalises newlines
    marker, revises = _marker("message", text), _marker("revises", text)

    def substitute(match: re.Match[str]) -> str:
        expression = _normalise(match.group(1))
        if expression == "message":
            return marker
        return revises if expression in _REVISES else table[expression]

    text = _EXPRESSION.sub(substitute, text)
    for placeholder, value, what in (
        (marker, values.message, "the message"),
        (revises, table[_REVISES[0]], "the revision ids"),
    ):
        try:
            text = literal.place(text, placeholder, value)
        except literal.PlacementError as exc:
            raise ScaffoldError(f"cannot write {what} safely into script.py.mako: {exc}") from None
    return text


def _marker(name: str, text: str) -> str:
    """A placeholder found nowhere in ``text`` (nor in another placeholder)."""
    marker = f"{name}{new_rev_id()}"
    while marker in text:
        marker += new_rev_id()
    return marker


def new_rev_id() -> str:
    return uuid.uuid4().hex[-12:]  # alembic.util.rev_id


def slugify(message: str, truncate: int | None = None) -> str:
    """The file-name slug of ``message`` (``ScriptDirectory._rev_path``)."""
    length = DEFAULT_TRUNCATE_SLUG_LENGTH if truncate is None else truncate
    slug = "_".join(_SLUG.findall(message)).lower()
    if len(slug) > length:
        slug = slug[:length].rsplit("_", 1)[0] + "_"
    return slug


def file_name(
    template: str | None,
    rev: str,
    message: str,
    create_date: datetime.datetime,
    truncate: int | None = None,
) -> str:
    """The new file's path relative to its version location (may hold ``/``)."""
    tokens = {
        "rev": rev,
        "slug": slugify(message, truncate),
        "epoch": int(create_date.timestamp()),
        "year": create_date.year,
        "month": create_date.month,
        "day": create_date.day,
        "hour": create_date.hour,
        "minute": create_date.minute,
        "second": create_date.second,
    }
    try:
        return f"{(template or DEFAULT_FILE_TEMPLATE) % tokens}.py"
    except (KeyError, ValueError, TypeError) as exc:
        raise ScaffoldError(f"file_template {template!r} cannot be rendered: {exc!r}") from None


_BAD_REF = {
    RefKind.MISSING: "names no revision in this history",
    RefKind.LABEL: "is a branch label, not a revision id",
    RefKind.EMPTY: "is an empty id",
    RefKind.NOT_STR: "is not a revision id string",
}


def heads_problem(graph: RevisionGraph) -> str | None:
    """Why the heads of ``graph`` cannot be trusted, if they cannot."""
    migrations = graph.migrations
    if graph.uncertain:
        names = ", ".join(migrations[n].filename for n in graph.uncertain[:3])
        return f"the revision ids or parents of {names} are not literals (fix or lint first)"
    # A base written `down_revision = ""` hides no head (Alembic before 1.13 read it as
    # None); any other reference to nothing may be a head's missing child.
    bad = [b for b in graph.bad_refs if b.kind is not RefKind.EMPTY]
    if bad:
        ref = bad[0]
        value = ref.element.value
        shown = f"'{value}'" if isinstance(value, str) else repr(value)
        return (
            f"{migrations[ref.node].filename}: {ref.attribute} {shown} {_BAD_REF[ref.kind]}; "
            "run `alembic-lint` and fix the history first"
        )
    cycles = graph.cycles()
    if cycles:
        cycle = cycles[0]
        ids = excerpt([graph.id_of(n) for n in cycle[:EXCERPT]], len(cycle))
        return f"the history has a cycle through {ids}; fix it first"
    if graph.duplicates:
        rid = next(iter(graph.duplicates))
        return f"revision {rid} is defined by more than one file; fix it first"
    return None


def choose_heads(graph: RevisionGraph, wanted: Sequence[str]) -> list[str]:
    """The heads to merge: all of them, or ``wanted`` resolved like Alembic's partial ids."""
    problem = heads_problem(graph)
    if problem is not None:
        raise ScaffoldError(f"cannot tell the heads: {problem}")
    heads = list(dict.fromkeys(graph.head_ids()))
    if not wanted or list(wanted) == ["heads"]:
        if not heads:
            raise ScaffoldError("the history has no revisions: nothing to merge")
        if len(heads) == 1:
            raise ScaffoldError(f"only one head ({heads[0]}): nothing to merge")
        return heads
    chosen = [_resolve(graph, given) for given in wanted]
    if len(set(chosen)) != len(chosen):
        raise ScaffoldError("Duplicate head revisions specified")
    for rid in chosen:
        if rid not in heads:
            raise ScaffoldError(f"Revision {rid} is not a head revision")
    if len(chosen) < 2:
        raise ScaffoldError("give at least two heads to merge")
    return [h for h in heads if h in chosen]  # Alembic's order, not the argument order


def _resolve(graph: RevisionGraph, given: str) -> str:
    try:
        return graph.resolve(given)
    except UnknownRevision as exc:
        raise ScaffoldError(str(exc)) from None


def target_directory(spec: HistorySpec, graph: RevisionGraph, heads: Sequence[str]) -> Path:
    """Where Alembic writes the merge: the only version location, else the first head's."""
    if len(spec.locations) == 1:
        return spec.locations[0]
    first = Path(graph.migrations[graph.by_id[heads[0]]].path).parent
    return first if first in spec.locations else spec.locations[0]


def script_template(spec: HistorySpec) -> str:
    """The project's ``script.py.mako`` if plain, else Alembic's generic one."""
    for location in spec.locations:
        candidate = location.parent / "script.py.mako"
        if candidate.is_file():
            try:
                text = read_text(candidate)
            except (OSError, UnicodeDecodeError):
                return GENERIC_TEMPLATE
            return text if is_plain(text) else GENERIC_TEMPLATE
    return GENERIC_TEMPLATE


def write_new(path: Path, text: str) -> None:
    """Write ``text`` to a new file ``path`` atomically; never replace an existing one."""
    if path.exists():
        raise ScaffoldError(f"{path} already exists")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # permissions as for any new file (0644 under umask 022): it is meant to be committed
        write_atomic(path, text.encode("utf-8"), exclusive=True, create_mode=0o666)
    except FileExistsError:  # created while we wrote
        raise ScaffoldError(f"{path} already exists") from None


def merge(
    spec: HistorySpec,
    graph: RevisionGraph,
    wanted: Sequence[str],
    message: str | None = None,
    *,
    rev_id: str | None = None,
    now: datetime.datetime | None = None,
    dry_run: bool = False,
) -> tuple[Path, str]:
    """Write a merge revision of the heads (or ``wanted``) of one history (not with
    ``dry_run``); return its path and text."""
    heads = choose_heads(graph, wanted)
    message = DEFAULT_MERGE_MESSAGE if message is None else message
    rev = rev_id or new_rev_id()
    create_date = now or datetime.datetime.now()
    name = file_name(spec.file_template, rev, message, create_date, spec.truncate_slug_length)
    directory = target_directory(spec, graph, heads)
    if "\0" in name:
        raise ScaffoldError(f"file_template {spec.file_template!r} holds a NUL character")
    path = directory / name
    if not _inside(path, directory):
        raise ScaffoldError(
            f"file_template {spec.file_template!r} puts the merge at {path}, outside the "
            f"versions directory {directory}; nothing written"
        )
    if not would_load(spec, Path(os.path.normpath(path))):
        # Alembic skips it: the heads would stay as they are, after a "done"
        raise ScaffoldError(
            f"file_template {spec.file_template!r} names the merge {name}, which Alembic "
            "would not load from "
            f"{directory}{'' if spec.recursive else ' (recursive_version_locations is off)'}; "
            "nothing written"
        )
    leaving = leaves_tree(path)
    if leaving is not None:
        raise ScaffoldError(f"{path}: {leaving}; nothing written")
    values = TemplateValues(message, rev, tuple(heads), create_date)
    text = render(script_template(spec), values)
    if not dry_run:
        write_new(path, text)
    return path, text


def _inside(path: Path, directory: Path) -> bool:
    """Whether ``path`` stays below ``directory``: no absolute name, no ``..``, no symlinked
    subdirectory leading elsewhere."""
    relative = os.path.relpath(os.path.abspath(path), os.path.abspath(directory))
    if os.path.isabs(relative) or relative.split(os.sep)[0] == os.pardir:
        return False
    real_directory = os.path.realpath(directory)
    return os.path.realpath(path).startswith(os.path.join(real_directory, ""))
