"""Support for the differential test: write a history, ask Alembic, ask the linter, compare.

A history is a tuple of :class:`Rev` written as ``NN_<slug>.py`` files (so the load order
is the index order). :func:`ask_alembic` is the oracle: it builds a real
``ScriptDirectory`` on a fresh directory and records what ``RevisionMap`` computes or the
exception it raises. :func:`ask_linter` runs the linter on the same files. The
``check_*`` functions are the invariants; each one raises ``AssertionError`` with the
history and both verdicts in the message.
"""

from __future__ import annotations

import re
import sys
import tempfile
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from alembic_lint import engine
from alembic_lint import graph as graph_mod
from alembic_lint.diagnostics import Diagnostic
from alembic_lint.rules import registry


class _Absent:
    """Marks a revision variable left out of the file."""

    def __repr__(self) -> str:
        return "<absent>"


ABSENT = _Absent()


@dataclass(frozen=True)
class Rev:
    """One migration file: the four variables exactly as written (Python literals)."""

    revision: object
    down: object = None
    labels: object = None
    depends: object = None
    typed: bool = False  # ``revision: str = ...`` (modern template) or ``revision = ...``
    slug: str = "m"

    def describe(self) -> str:
        parts = [f"revision={self.revision!r}", f"down_revision={self.down!r}"]
        if self.labels is not None:
            parts.append(f"branch_labels={self.labels!r}")
        if self.depends is not None:
            parts.append(f"depends_on={self.depends!r}")
        if self.typed:
            parts.append("[typed]")
        return " ".join(parts)


def filename(index: int, rev: Rev) -> str:
    return f"{index:02d}_{rev.slug}.py"


def describe(revs: Sequence[Rev]) -> str:
    return "\n".join(f"  {filename(i, r)}: {r.describe()}" for i, r in enumerate(revs))


_ANNOTATION = {
    "revision": "str",
    "down_revision": "Union[str, Sequence[str], None]",
    "branch_labels": "Union[str, Sequence[str], None]",
    "depends_on": "Union[str, Sequence[str], None]",
}


def render(index: int, rev: Rev) -> str:
    """The source of one file, shaped like Alembic's typed or untyped template."""
    lines = [f'"""migration {index}', "", '"""']
    if rev.typed:
        lines += ["from typing import Sequence, Union", ""]
    lines += ["", "# revision identifiers, used by Alembic."]
    values = (
        ("revision", rev.revision),
        ("down_revision", rev.down),
        ("branch_labels", rev.labels),
        ("depends_on", rev.depends),
    )
    for name, value in values:
        if value is ABSENT:
            continue
        target = f"{name}: {_ANNOTATION[name]}" if rev.typed else name
        lines.append(f"{target} = {value!r}")
    arrow = " -> None" if rev.typed else ""
    for func in ("upgrade", "downgrade"):
        lines += ["", "", f"def {func}(){arrow}:", "    pass"]
    return "\n".join(lines) + "\n"


def write(revs: Sequence[Rev], versions: Path) -> list[Path]:
    versions.mkdir(parents=True, exist_ok=True)
    paths = []
    for index, rev in enumerate(revs):
        path = versions / filename(index, rev)
        path.write_text(render(index, rev), encoding="utf-8")
        paths.append(path)
    return sorted(paths)


# --------------------------------------------------------------------------- the two sides


@dataclass
class AlembicVerdict:
    """What ``RevisionMap`` said: the four tuples, or the exception it raised."""

    heads: tuple[str, ...] = ()
    bases: tuple[str, ...] = ()
    real_heads: tuple[str, ...] = ()
    real_bases: tuple[str, ...] = ()
    #: branch labels of each head's revision object after ``_add_branches``.
    head_labels: dict[str, frozenset[str]] = field(default_factory=dict)
    error: BaseException | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def error_name(self) -> str:
        return type(self.error).__name__ if self.error is not None else ""

    def describe(self) -> str:
        warned = "".join(f"\n    warning: {w}" for w in self.warnings)
        if self.error is not None:
            return f"Alembic raised {self.error_name}{self.error.args!r}{warned}"
        return (
            f"Alembic loaded: heads={self.heads} bases={self.bases} "
            f"real_heads={self.real_heads} real_bases={self.real_bases}{warned}"
        )


@dataclass
class LinterVerdict:
    heads: tuple[str, ...]
    bases: tuple[str, ...]
    real_heads: tuple[str, ...]
    real_bases: tuple[str, ...]
    diagnostics: list[Diagnostic]

    def codes(self) -> set[str]:
        return {d.code for d in self.diagnostics}

    def with_code(self, *codes: str) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.code in codes]

    def describe(self) -> str:
        found = "".join(
            f"\n    {d.code} {Path(d.location.path).name}: {d.message}" for d in self.diagnostics
        )
        return (
            f"linter: heads={self.heads} bases={self.bases} "
            f"real_heads={self.real_heads} real_bases={self.real_bases}{found}"
        )


@contextmanager
def _no_bytecode() -> Iterator[None]:
    """Alembic imports the files; do not litter the temporary directory with .pyc files."""
    saved = sys.dont_write_bytecode
    sys.dont_write_bytecode = True
    try:
        yield
    finally:
        sys.dont_write_bytecode = saved


def ask_alembic(script_dir: Path, versions: Path) -> AlembicVerdict:
    """Build Alembic's revision map for ``versions`` (executing the files) and record it."""
    from alembic.script import ScriptDirectory

    verdict = AlembicVerdict()
    script = ScriptDirectory(str(script_dir), version_locations=[str(versions)])
    with warnings.catch_warnings(record=True) as caught, _no_bytecode():
        warnings.simplefilter("always")
        try:
            revision_map = script.revision_map
            verdict.heads = tuple(revision_map.heads)
            verdict.bases = tuple(revision_map.bases)
            verdict.real_heads = tuple(revision_map._real_heads)
            verdict.real_bases = tuple(revision_map._real_bases)
            by_id = revision_map._revision_map
            for head in verdict.heads:
                rev = by_id[head]
                assert rev is not None
                verdict.head_labels[head] = frozenset(rev.branch_labels)
        except Exception as exc:  # the exception *is* the verdict
            verdict.error = exc
    verdict.warnings = [str(w.message) for w in caught]
    return verdict


def ask_linter(versions: Path, files: Sequence[Path]) -> LinterVerdict:
    history = engine.load_history(str(versions), files)
    graph = graph_mod.build(history)
    diagnostics = engine.check_history(history, [rule() for rule in registry()])
    return LinterVerdict(
        heads=tuple(graph.head_ids()),
        bases=tuple(graph.base_ids()),
        real_heads=tuple(graph.id_of(n) for n in graph.real_heads),
        real_bases=tuple(graph.id_of(n) for n in graph.real_bases),
        diagnostics=diagnostics,
    )


def run_both(revs: Sequence[Rev]) -> tuple[AlembicVerdict, LinterVerdict]:
    """Write ``revs`` into a fresh directory and ask both sides about it.

    A fresh directory per history matters: Alembic loads by path, and a reused path
    could meet stale bytecode.
    """
    with tempfile.TemporaryDirectory(prefix="al-diff-") as tmp:
        script_dir = Path(tmp)
        versions = script_dir / "versions"
        files = write(revs, versions)
        alembic_side = ask_alembic(script_dir, versions)
        linter_side = ask_linter(versions, files)
    return alembic_side, linter_side


# --------------------------------------------------------------------------- an independent model

#: Errors Alembic raises while building the map; any of these codes means "won't load".
LOAD_ERRORS = ("AL002", "AL003", "AL005", "AL006", "AL007", "AL100", "AL101")


def to_tuple(value: object) -> tuple[object, ...]:
    """``alembic.util.to_tuple`` with ``default=()``."""
    if value is None or value is ABSENT:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list | tuple | set | frozenset):
        return tuple(value)
    return (value,)


_NOTHING = object()


def cycle_files(revs: Sequence[Rev]) -> set[str]:
    """Files on a cycle of the history's down_revision + depends_on edges.

    Computed from the spec, independently of both Alembic and the linter, with Alembic's
    resolution rules: an id names the last file defining it; a ``depends_on`` may also
    name a branch label, which stands for the declaring file's id (hence, again, the last
    file with that id); references to nothing are dropped. Self-references count.
    """
    by_id: dict[object, int] = {}
    for index, rev in enumerate(revs):
        by_id[rev.revision] = index
    label_id: dict[object, object] = {}
    for rev in revs:
        for label in to_tuple(rev.labels):
            label_id.setdefault(label, rev.revision)
    edges: dict[int, set[int]] = {i: set() for i in by_id.values()}
    for index in by_id.values():
        rev = revs[index]
        for parent in to_tuple(rev.down):
            if parent in by_id:
                edges[index].add(by_id[parent])
        deps = to_tuple(rev.depends)
        for dep in () if deps == ("",) else deps:
            target = by_id.get(dep, by_id.get(label_id.get(dep, _NOTHING)))
            if target is not None:
                edges[index].add(target)

    def reaches(start: int, goal: int) -> bool:
        seen: set[int] = set()
        todo = list(edges[start])
        while todo:
            node = todo.pop()
            if node == goal:
                return True
            if node not in seen:
                seen.add(node)
                todo.extend(edges[node])
        return False

    return {filename(i, revs[i]) for i in edges if reaches(i, i)}


# --------------------------------------------------------------------------- invariants


def ctx(revs: Sequence[Rev], alembic: AlembicVerdict, linter: LinterVerdict) -> str:
    """Both verdicts and the history, for assertion messages."""
    return f"\nhistory:\n{describe(revs)}\n{alembic.describe()}\n{linter.describe()}"


def check_loaded_graph_matches(
    revs: Sequence[Rev], alembic: AlembicVerdict, linter: LinterVerdict
) -> None:
    """Alembic loaded the history: the linter's heads and bases are Alembic's, exactly.

    Compared as sequences, so both the multiset (a duplicate id is listed once per
    file) and the load order must agree. The depends_on-aware ``real`` variants too.
    """
    c = ctx(revs, alembic, linter)
    assert linter.heads == alembic.heads, f"heads differ{c}"
    assert linter.bases == alembic.bases, f"bases differ{c}"
    assert linter.real_heads == alembic.real_heads, f"real heads differ{c}"
    assert linter.real_bases == alembic.real_bases, f"real bases differ{c}"


def check_loaded_no_load_errors(
    revs: Sequence[Rev], alembic: AlembicVerdict, linter: LinterVerdict
) -> None:
    """Alembic loaded the history: the linter reports none of the "won't load" errors.

    AL004 (duplicates only warn) and AL102 (too long, reserved or empty ids, which fail
    later) may appear. One documented exception: Alembic's cycle check only looks for
    ids unreachable from the (real) heads or bases, so a cycle whose ids are reachable
    both ways loads: one through a merge whose parents include a base-side revision, or
    one closed through a duplicate id (the other copy keeps the id reachable). AL005 is
    accepted there, on the files that really are on a cycle (:func:`cycle_files`).
    """
    on_cycle = cycle_files(revs)
    wrong = [
        d
        for d in linter.with_code(*LOAD_ERRORS)
        if not (d.code == "AL005" and Path(d.location.path).name in on_cycle)
    ]
    c = ctx(revs, alembic, linter)
    assert not wrong, f"Alembic loaded the history but the linter reports load errors{c}"


def check_loaded_multiple_heads(
    revs: Sequence[Rev], alembic: AlembicVerdict, linter: LinterVerdict
) -> None:
    """AL001 agrees with Alembic's head count.

    If Alembic has several heads and they all carry the same branch labels (so no head
    is a separate labelled branch), the linter reports AL001, or AL004 when the extra
    heads come from duplicate ids. Conversely AL001 implies several Alembic heads.
    """
    c = ctx(revs, alembic, linter)
    codes = linter.codes()
    if len(alembic.heads) > 1 and len(set(alembic.head_labels.values())) <= 1:
        assert codes & {"AL001", "AL004"}, f"several heads but no AL001/AL004{c}"
    if "AL001" in codes:
        assert len(alembic.heads) > 1, f"AL001 but Alembic has one head{c}"


_DUPLICATE_WARNING = re.compile(r"Revision (.*) is present more than once")


def check_duplicate_warnings(
    revs: Sequence[Rev], alembic: AlembicVerdict, linter: LinterVerdict
) -> None:
    """Alembic's "Revision X is present more than once" warning goes with AL004 naming X.

    Alembic warns only once every file has loaded, so the converse (AL004 implies the
    warning) is checked only when the history loaded.
    """
    c = ctx(revs, alembic, linter)
    warned = {m.group(1) for w in alembic.warnings if (m := _DUPLICATE_WARNING.fullmatch(w))}
    reported = {d.revision for d in linter.with_code("AL004")}
    assert warned <= reported, f"Alembic warns about duplicates the linter misses{c}"
    if alembic.error is None:
        assert reported <= warned, f"AL004 for an id Alembic does not warn about{c}"


def _names(diagnostic: Diagnostic, key: object) -> bool:
    """Whether a missing-reference finding is about ``key``."""
    if key == "":
        return "''" in diagnostic.message or '""' in diagnostic.message
    return f"'{key}'" in diagnostic.message


def expected_codes(error: BaseException) -> tuple[str, ...] | None:
    """The linter codes one of which must explain Alembic's exception (None: unknown)."""
    from alembic.script.revision import CycleDetected, RevisionError
    from alembic.util import CommandError

    if isinstance(error, KeyError):
        return ("AL002", "AL003", "AL006")
    if isinstance(error, CycleDetected):  # also the Dependency*/Loop variants
        return ("AL005",)
    if isinstance(error, RevisionError):
        message = str(error)
        if message.startswith("Character(s)"):
            return ("AL102",)
        if message.startswith("Branch name"):
            return ("AL007",)
        if message.startswith("Dependency resolution failed; broken map"):
            # _normalize_depends_on walks ancestors through the map that holds branch
            # labels: a down_revision naming a label returns a revision with another id.
            return ("AL002",)
        return None
    if isinstance(error, TypeError):
        return ("AL102",)
    if isinstance(error, CommandError) and "Could not determine revision id" in str(error):
        return ("AL101",)
    if isinstance(error, AttributeError) and "down_revision" in str(error):
        return ("AL101",)
    return None


def check_error_explained(
    revs: Sequence[Rev], alembic: AlembicVerdict, linter: LinterVerdict
) -> None:
    """Alembic refused the history: the linter reports the matching error.

    KeyError(k) must be an AL002/AL003/AL006 naming ``k`` (k may be ``''`` or a branch
    label); cycles and self-loops are AL005; illegal characters and non-string ids
    AL102; reused branch names AL007; a missing ``revision``/``down_revision`` AL101.
    Alembic stops at its first error, so the linter may report more.
    """
    assert alembic.error is not None
    c = ctx(revs, alembic, linter)
    codes = expected_codes(alembic.error)
    assert codes is not None, f"unexpected exception from Alembic{c}"
    found = linter.with_code(*codes)
    if isinstance(alembic.error, KeyError):
        key = alembic.error.args[0]
        found = [d for d in found if _names(d, key)]
    assert found, f"the linter reports no {'/'.join(codes)} for Alembic's error{c}"


# --------------------------------------------------------------------------- references to nothing


@dataclass(frozen=True)
class Repair:
    """A history with its references to nothing taken out (see :func:`repair`)."""

    revs: tuple[Rev, ...]
    empty: bool  # a ``down_revision = ""`` became None (Alembic before 1.13 did that itself)
    missing: bool  # a ``down_revision`` element naming no revision was dropped


def repair(revs: Sequence[Rev]) -> Repair | None:
    """``revs`` without the ``down_revision`` / ``depends_on`` elements that name no
    revision and no branch label (``""`` included, unless some file's id is ``""``); a
    value left empty becomes None. None when there is nothing to take out.

    Why this is the oracle for such histories: Alembic 1.20 stops with ``KeyError`` at
    the first reference to nothing, so it says nothing about the heads. Before 1.13 it
    read ``down_revision = ""`` as None (``tuple_rev_as_scalar`` turns an empty value into
    None; checked against Alembic 1.9.4, which lists that file among the bases and
    reports the heads above it), so replacing ``""`` by None *is* older Alembic's verdict.
    A reference to a missing id, taken out, leaves the graph the files draw: every edge
    that exists, none that does not. The linter's heads are defined the same way (a
    reference to nothing removes no head), so they must equal that run's heads.
    """
    ids = {r.revision for r in revs if isinstance(r.revision, str)}
    labels = {label for r in revs for label in to_tuple(r.labels)}
    empty = missing = False

    def names_nothing(value: object) -> bool:
        return isinstance(value, str) and value not in ids and value not in labels

    def kept(value: object, down: bool) -> object:
        nonlocal empty, missing
        if value is ABSENT or value is None or not any(map(names_nothing, to_tuple(value))):
            return value
        for element in to_tuple(value):
            if down and names_nothing(element):
                empty, missing = empty or element == "", missing or element != ""
        left = [v for v in to_tuple(value) if not names_nothing(v)]
        if not left:
            return None
        return (
            left if isinstance(value, list) else left[0] if isinstance(value, str) else tuple(left)
        )

    fixed = tuple(
        Rev(r.revision, kept(r.down, True), r.labels, kept(r.depends, False), r.typed, r.slug)
        for r in revs
    )
    if fixed == tuple(revs):
        return None
    return Repair(fixed, empty, missing)


def ask_alembic_about(revs: Sequence[Rev]) -> AlembicVerdict:
    """Alembic's verdict on ``revs``, written to a fresh directory."""
    with tempfile.TemporaryDirectory(prefix="al-diff-") as tmp:
        script_dir = Path(tmp)
        versions = script_dir / "versions"
        write(revs, versions)
        return ask_alembic(script_dir, versions)


def check_heads_despite_references_to_nothing(
    revs: Sequence[Rev], fixed: Repair, repaired: AlembicVerdict, linter: LinterVerdict
) -> None:
    """Alembic refused ``revs`` over a reference to nothing, and loads the repaired history:
    the linter's heads are that history's heads (in load order, duplicates included). When
    only ``""`` was repaired, AL001 agrees with the head count as for a history Alembic
    loads (older Alembic loaded this one). When a missing id was dropped, its correction
    may name a head, so AL001 may be held back; but never reported without several heads,
    nor for a revision that is not a head.
    """
    c = ctx(revs, repaired, linter) + f"\nrepaired history:\n{describe(fixed.revs)}"
    assert linter.heads == repaired.heads, f"heads differ from the repaired history's{c}"
    assert linter.real_heads == repaired.real_heads, f"real heads differ (repaired){c}"
    if not fixed.missing:
        check_loaded_multiple_heads(fixed.revs, repaired, linter)
    named = {d.revision for d in linter.with_code("AL001")}
    if named:
        assert len(repaired.heads) > 1, f"AL001 but the repaired history has one head{c}"
        assert named <= set(repaired.heads), f"AL001 names a revision that is no head{c}"


def check(revs: Sequence[Rev], alembic: AlembicVerdict, linter: LinterVerdict) -> str:
    """Assert every invariant that applies to the two verdicts on ``revs``; returns what
    was compared beyond the two verdicts (for the test's statistics)."""
    check_duplicate_warnings(revs, alembic, linter)
    if alembic.error is None:
        check_loaded_graph_matches(revs, alembic, linter)
        check_loaded_no_load_errors(revs, alembic, linter)
        check_loaded_multiple_heads(revs, alembic, linter)
        return ""
    check_error_explained(revs, alembic, linter)
    fixed = repair(revs) if isinstance(alembic.error, KeyError) else None
    if fixed is None:
        return ""
    repaired = ask_alembic_about(fixed.revs)
    if repaired.error is not None:
        return f"repaired history: Alembic raised {repaired.error_name}"
    check_heads_despite_references_to_nothing(revs, fixed, repaired, linter)
    what = '""' if not fixed.missing else "missing ids" if not fixed.empty else '"" and missing ids'
    heads = "several heads" if len(set(repaired.heads)) > 1 else "one head"
    return f"repaired history ({what}) loaded, {heads}: heads compared"
