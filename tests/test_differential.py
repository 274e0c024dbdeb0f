"""Differential test: the linter against Alembic itself, on random and hand-picked histories.

Each history is written to a fresh directory; Alembic builds its ``RevisionMap`` there
(executing the files: the oracle may, the linter never does) and the linter reads the
same files. The invariants live in ``differential_support`` (``check_*``):

* Alembic loads the history -> the linter's heads and bases (and the depends_on-aware
  "real" ones) are Alembic's, in load order with duplicates; it reports no load error
  (AL002/3/5/6/7, AL100, AL101); AL001 agrees with Alembic's head count.
* Alembic raises -> the linter reports the code that explains it (KeyError(k) ->
  AL002/AL003/AL006 naming k, cycles -> AL005, illegal characters or a non-string id
  -> AL102, a reused branch name -> AL007, a missing revision/down_revision -> AL101).

Disagreements found this way were fixed in the linter and stay below as regression cases
(``FIXED_BUGS``). An open one would be pinned as a strict xfail, and the random test would
skip the histories that match it (``known_bug``) so that it keeps looking for new ones.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, event, given, note, reject, settings
from hypothesis import strategies as st

from differential_support import (
    ABSENT,
    Rev,
    check,
    describe,
    run_both,
    to_tuple,
)

# --------------------------------------------------------------------------- generation

#: Ordinary ids: hex, Alembic's 12-hex, numeric strings (leading zeros), words.
ID_POOL = (
    "aaaa1111",
    "bbbb2222",
    "cccc3333",
    "dddd4444",
    "eeee5555",
    "ffff6666",
    "059",
    "0059",
    "1a2b3c4d5e6f",
    "abc",
    "a1",
    "kilo",
    "ocata_expand01",
    "2024_1_contract01",
)
#: Ids Alembic rejects (illegal characters) or the linter flags (length, reserved, empty).
ODD_IDS = ("aaaa-1111", "x+y", "r:1", "rev@2", "a" * 33, "head", "")
LABELS = ("core", "expand", "contract")
#: References no file defines: a typo, a prefix, a pasted filename.
DANGLING = ("zzzz9999", "aaaa111", "aaaa1111_add_users")
SLUGS = ("init", "add_users", "merge", "x")

#: Error-prone features. A history enables none (tame: it usually loads) or a few, so
#: that the errors stay varied and Alembic's first error is not always the same one.
FEATURES = (
    "odd-id",  # illegal characters, over 32 characters, "head", ""
    "int-id",  # revision = 59 (TypeError)
    "no-revision",  # CommandError: Could not determine revision id
    "no-down",  # AttributeError: no down_revision
    "later-parent",  # a parent defined by a later file (cycles)
    "self-parent",
    "dangling-parent",
    "empty-parent",  # down_revision = ""
    "label-parent",  # down_revision = a branch label
    "wild-merge",  # merge parents from anywhere, dangling ones included
    "label-clash",  # a label declared twice
    "label-is-id",
    "odd-label",  # "", (), [] and two labels at once
    "any-dep",  # depends_on any revision (dependency cycles)
    "self-dep",
    "dangling-dep",
    "empty-dep",  # depends_on = "", (), []
    "list-dep",  # a list of ids, labels and dangling names
)
#: Errors Alembic raises as soon as it reads the file: they hide every later error, so
#: they are rarer than the others.
FATAL = frozenset({"odd-id", "int-id", "no-revision", "no-down", "self-parent", "self-dep"})

#: A reference to another file, by position: ("back", k) is the file k places earlier,
#: ("fwd", k) the file k places later. Positions keep the history consistent while
#: Hypothesis deletes files when it shrinks.
Ref = tuple[str, object]


@dataclass(frozen=True)
class Plan:
    """One file, with references to other files still relative (see :func:`resolve`)."""

    id: Ref  # ("fresh", None) | ("dup", k) | ("odd", id) | ("int", None)
    label: Ref  # ("none", None) | ("label", value) | ("clash", value) | ("id", ref) | ("odd", v)
    down: tuple[str, object]  # (kind, argument)
    depends: tuple[str, object]
    form: str  # how a single reference is written: "str", "tuple" or "list"
    typed: bool
    slug: str
    no_revision: bool


def _pick(draw: st.DrawFn, normal: str, options: Sequence[str], enabled: frozenset[str]) -> str:
    """Usually ``normal``; sometimes one of the enabled error ``options``."""
    # Errors that stop Alembic at once are picked less often than the others.
    relevant = [o for o in options if o in enabled for _ in range(1 if o in FATAL else 3)]
    if not relevant:
        return normal
    rate = 10 if all(o in FATAL for o in relevant) else 4
    if draw(st.integers(1, rate)) == rate:
        return draw(st.sampled_from(relevant))
    return normal


_back = st.tuples(st.just("back"), st.integers(1, 4))
_fwd = st.tuples(st.just("fwd"), st.integers(1, 4))


@st.composite
def plans(draw: st.DrawFn, enabled: frozenset[str]) -> Plan:
    normal = draw(st.sampled_from(("fresh",) * 9 + ("dup",)))
    kind = _pick(draw, normal, ("odd-id", "int-id"), enabled)
    ident: Ref = (kind, None)
    if kind == "dup":
        ident = ("dup", draw(st.integers(1, 4)))
    elif kind == "odd-id":
        ident = ("odd", draw(st.sampled_from(ODD_IDS)))
    elif kind == "int-id":
        ident = ("int", None)

    normal = draw(st.sampled_from(("none",) * 7 + ("label",)))
    kind = _pick(draw, normal, ("label-clash", "label-is-id", "odd-label"), enabled)
    label: Ref = ("none", None)
    if kind in ("label", "label-clash"):
        label = (kind, draw(st.sampled_from(LABELS)))
    elif kind == "label-is-id":
        label = ("id", draw(st.one_of(_back, _fwd)))
    elif kind == "odd-label":
        two = tuple(draw(st.lists(st.sampled_from(LABELS), min_size=2, max_size=2)))
        label = ("odd", draw(st.sampled_from(("", (), [], two))))

    normal = draw(st.sampled_from(("earlier",) * 6 + ("none", "none", "merge")))
    parent_errors = (
        "later-parent",
        "self-parent",
        "dangling-parent",
        "empty-parent",
        "label-parent",
        "wild-merge",
        "no-down",
    )
    kind = _pick(draw, normal, parent_errors, enabled)
    down: tuple[str, object] = (kind, None)
    if kind == "earlier":
        down = (kind, draw(_back))
    elif kind == "none":
        down = (kind, draw(st.sampled_from((None, None, (), []))))
    elif kind == "merge":
        down = (kind, draw(st.lists(_back, min_size=2, max_size=3)))
    elif kind == "wild-merge":
        refs = st.one_of(_back, _fwd, st.just(("dangling", DANGLING[0])))
        down = (kind, draw(st.lists(refs, min_size=2, max_size=3)))
    elif kind == "later-parent":
        down = (kind, draw(_fwd))
    elif kind == "dangling-parent":
        down = (kind, draw(st.sampled_from(DANGLING)))
    elif kind == "label-parent":
        down = (kind, draw(st.sampled_from(LABELS)))

    normal = draw(st.sampled_from(("none",) * 8 + ("earlier", "label")))
    dep_errors = ("any-dep", "self-dep", "dangling-dep", "empty-dep", "list-dep")
    kind = _pick(draw, normal, dep_errors, enabled)
    depends: tuple[str, object] = (kind, None)
    if kind == "earlier":
        depends = (kind, draw(_back))
    elif kind == "label":
        depends = (kind, draw(st.sampled_from(LABELS)))
    elif kind == "any-dep":
        depends = (kind, draw(st.one_of(_back, _fwd)))
    elif kind == "dangling-dep":
        depends = (kind, draw(st.sampled_from(DANGLING)))
    elif kind == "empty-dep":
        depends = (kind, draw(st.sampled_from(("", (), []))))
    elif kind == "list-dep":
        refs = st.one_of(
            _back,
            _fwd,
            st.tuples(st.just("label"), st.sampled_from(LABELS)),
            st.just(("dangling", DANGLING[0])),
        )
        depends = (kind, draw(st.lists(refs, min_size=1, max_size=3)))

    return Plan(
        id=ident,
        label=label,
        down=down,
        depends=depends,
        form=draw(st.sampled_from(("str", "str", "tuple", "list"))),
        typed=draw(st.booleans()),
        slug=draw(st.sampled_from(SLUGS)),
        no_revision=_pick(draw, "", ("no-revision",), enabled) == "no-revision",
    )


def _written(ref: object, form: str) -> object:
    """A single reference as a str, a 1-tuple or a 1-list (all the same to Alembic)."""
    return ref if form == "str" else (ref,) if form == "tuple" else [ref]


def resolve(plan_list: Sequence[Plan], pool: Sequence[str]) -> tuple[Rev, ...]:
    """Turn relative plans into revisions: ids first, then labels, then references."""
    count = len(plan_list)
    ids: list[object] = []
    for index, plan in enumerate(plan_list):
        kind, arg = plan.id
        if kind == "dup" and index:
            ids.append(ids[max(index - int(arg), 0)])  # type: ignore[call-overload]
        elif kind == "odd":
            ids.append(arg)
        elif kind == "int":
            ids.append(59)  # Alembic: TypeError: 'int' object is not iterable
        else:
            ids.append(pool[index])

    def target(index: int, ref: Ref) -> object | None:
        """The id a positional reference names (None: no such file, or not a str id)."""
        kind, arg = ref
        if kind == "dangling" or kind == "label":
            return arg
        offset = int(arg)  # type: ignore[call-overload]
        other = index - offset if kind == "back" else index + offset
        if not 0 <= other < count:
            return None
        found = ids[other]
        return found if isinstance(found, str) else None

    labels: list[object] = []
    declared_by: dict[object, int] = {}
    for index, plan in enumerate(plan_list):
        kind, arg = plan.label
        value: object = None
        # Tame labels are declared once; clashing ones wherever they fall.
        if (kind == "label" and arg not in declared_by) or kind == "clash":
            value = _written(arg, plan.form)
        elif kind == "id":
            named = target(index, arg)  # type: ignore[arg-type]
            value = None if named is None else _written(named, plan.form)
        elif kind == "odd":
            value = arg
        for label in to_tuple(value):
            declared_by.setdefault(label, index)
        labels.append(value)

    def other_earlier(index: int) -> object | None:
        """The nearest earlier str id that is not the file's own (tame references)."""
        own = ids[index]
        return next((i for i in reversed(ids[:index]) if isinstance(i, str) and i != own), None)

    downs: list[object] = []
    deps: list[object] = []
    #: Forward references wait for the graph: they point at a descendant when there is
    #: one, so that "later-parent" and "any-dep" make cycles rather than rarely.
    pending_down: dict[int, int] = {}
    pending_dep: dict[int, int] = {}
    for index, plan in enumerate(plan_list):
        own = ids[index]
        kind, arg = plan.down
        down: object = None
        if kind in ("earlier", "later-parent"):
            named = target(index, arg)  # type: ignore[arg-type]
            if kind == "earlier" and named == own:  # a duplicate of its parent: step past
                named = other_earlier(index)
            down = None if named is None else _written(named, plan.form)
            if kind == "later-parent":
                pending_down[index] = int(arg[1])  # type: ignore[index]
        elif kind == "none":
            down = arg
        elif kind in ("merge", "wild-merge"):
            parents = [target(index, r) for r in arg]  # type: ignore[attr-defined]
            down = tuple(p for p in parents if p is not None and (p != own or kind != "merge"))
            if kind == "merge" and plan.form == "list":
                down = list(down)  # type: ignore[arg-type]
        elif kind == "self-parent" and isinstance(own, str):
            down = _written(own, plan.form)
        elif kind in ("dangling-parent", "label-parent"):
            down = _written(arg, plan.form)
        elif kind == "empty-parent":
            down = ""
        elif kind == "no-down":
            down = ABSENT
        downs.append(down)

        kind, arg = plan.depends
        depends: object = None
        if kind in ("earlier", "any-dep"):
            named = target(index, arg)  # type: ignore[arg-type]
            if kind == "earlier" and named == own:
                named = other_earlier(index)
            depends = None if named is None else _written(named, plan.form)
            if kind == "any-dep" and arg[0] == "fwd":  # type: ignore[index]
                pending_dep[index] = int(arg[1])  # type: ignore[index]
        elif kind == "label" and declared_by.get(arg, count) < index:
            depends = arg  # tame: a label of an earlier file
        elif kind == "self-dep" and isinstance(own, str):
            depends = own
        elif kind in ("dangling-dep", "empty-dep"):
            depends = arg
        elif kind == "list-dep":
            named_all = [target(index, r) for r in arg]  # type: ignore[attr-defined]
            depends = [n for n in named_all if n is not None]
        deps.append(depends)

    last = {ident: index for index, ident in enumerate(ids)}
    children: dict[int, set[int]] = {index: set() for index in range(count)}
    for index, value in enumerate(downs):
        for parent in to_tuple(value):
            if parent in last:
                children[last[parent]].add(index)

    def descendant(index: int, offset: int) -> object | None:
        found: set[int] = set()
        todo = list(children[index])
        while todo:
            node = todo.pop()
            if node not in found:
                found.add(node)
                todo.extend(children[node])
        below = sorted(n for n in found if isinstance(ids[n], str) and n != index)
        return ids[below[offset % len(below)]] if below else None

    for pending, values in ((pending_down, downs), (pending_dep, deps)):
        for index, offset in pending.items():
            named = descendant(index, offset)
            if named is not None:
                values[index] = _written(named, plan_list[index].form)

    return tuple(
        Rev(
            revision=ABSENT if plan.no_revision else ids[index],
            down=downs[index],
            labels=labels[index],
            depends=deps[index],
            typed=plan.typed,
            slug=plan.slug,
        )
        for index, plan in enumerate(plan_list)
    )


@st.composite
def histories(draw: st.DrawFn) -> tuple[Rev, ...]:
    """1-12 revisions: random DAGs, merges, duplicates, cycles, dangling refs, labels, deps.

    Parents are mostly earlier files (so tame histories mostly load, with several heads
    and bases often); ids come from a small pool and are sometimes reused; every value is
    written in one of the forms Alembic accepts (str, 1-tuple, list, None, ``()``,
    ``[]``); files alternate between the typed and the untyped template.
    """
    enabled = frozenset(draw(st.sets(st.sampled_from(FEATURES), max_size=3)))
    pool = draw(st.permutations(ID_POOL))
    return resolve(draw(st.lists(plans(enabled), min_size=1, max_size=12)), pool)


# --------------------------------------------------------------------------- open linter bugs


#: Patterns of open linter bugs the random test should skip (none at the moment).
KNOWN_BUG_PATTERNS: tuple[tuple[str, Callable[[Sequence[Rev]], bool]], ...] = ()


def known_bug(revs: Sequence[Rev]) -> str | None:
    """The open linter bug this history runs into (each has a strict xfail case below)."""
    for name, matches in KNOWN_BUG_PATTERNS:
        if matches(revs):
            return name
    return None


# --------------------------------------------------------------------------- the random test


@settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(histories())
def test_linter_agrees_with_alembic(revs: tuple[Rev, ...]) -> None:
    note(f"history:\n{describe(revs)}")
    alembic, linter = run_both(revs)
    note(alembic.describe())
    note(linter.describe())
    if alembic.error is None:
        event(f"Alembic loaded, {min(len(alembic.heads), 3)} head(s)")
        if len(set(alembic.heads)) < len(alembic.heads):
            event("Alembic loaded, duplicate id among heads")
    else:
        event(f"Alembic raised {alembic.error_name}")
    bug = known_bug(revs)
    if bug is not None:
        event(f"skipped, known linter bug: {bug}")
        reject()
    compared = check(revs, alembic, linter)
    if compared:
        event(compared)


# --------------------------------------------------------------------------- explicit cases

A, B, C, D = "aaaa1111", "bbbb2222", "cccc3333", "dddd4444"
Y, Z = "yyyy8888", "zzzz9999"


def r(revision: object, down: object = None, **kwargs: object) -> Rev:
    return Rev(revision, down, **kwargs)  # type: ignore[arg-type]


#: (id, history, what Alembic does: "loaded" or the exception class name).
#: One per row of ALEMBIC_FACTS section 4's error table, then a few healthy shapes.
CASES = [
    ("missing-parent", [r(A), r(B, Z)], "KeyError"),
    ("missing-merge-parent", [r(A), r(C, A), r(D, (B, C))], "KeyError"),
    ("missing-depends-on-target", [r(A), r(B, A, depends=Z)], "KeyError"),
    ("down-revision-is-a-label", [r(A, labels="lbl"), r(B, "lbl")], "KeyError"),
    ("duplicate-id", [r(A), r(B, A), r(B, A)], "loaded"),
    ("cycle-with-no-base", [r(Y, Z), r(Z, Y)], "CycleDetected"),
    ("cycle-beside-healthy-graph", [r(A), r(B, A), r(Y, Z), r(Z, Y)], "CycleDetected"),
    ("self-down-loop", [r(A), r(B, B)], "LoopDetected"),
    ("self-depends-loop", [r(A), r(B, A, depends=B)], "DependencyLoopDetected"),
    (
        "dependency-cycle",
        [r(A), r(B, A, depends=C), r(C, B)],
        "DependencyCycleDetected",
    ),
    ("illegal-characters", [r("aaaa-1111")], "RevisionError"),
    ("label-equal-to-id", [r(A), r(B, A, labels=A)], "RevisionError"),
    ("label-used-twice", [r(A, labels="foo"), r(B, A, labels="foo")], "RevisionError"),
    ("label-twice-in-one-revision", [r(A, labels=("foo", "foo"))], "RevisionError"),
    ("down-revision-empty-string", [r(A, "")], "KeyError"),
    # Alembic before 1.13 read "" as None; the heads above it are compared with that.
    ("empty-string-base-then-fork", [r(A, ""), r(B, A), r(C, B), r(D, B)], "KeyError"),
    (
        "three-heads-one-from-a-deleted-revision",
        [r(A), r(B, A), r(C, B), r(D, B), r("eeee5555", Z), r("ffff6666", "eeee5555")],
        "KeyError",
    ),
    ("parent-never-existed-at-the-tip", [r(A), r(B, A), r(C, Z)], "KeyError"),
    ("g08-childless-depends-on-target", [r(A), r(B, labels="other"), r(C, A, depends=B)], "loaded"),
    ("g08-without-label", [r(A), r(B), r(C, A, depends=B)], "loaded"),
    (
        "multiple-bases-with-labels",
        [r(A, labels="expand"), r(B, labels="contract"), r(C, A), r(D, B)],
        "loaded",
    ),
    ("no-revision-variable", [r(ABSENT)], "CommandError"),
    ("no-down-revision-variable", [r(A, ABSENT)], "AttributeError"),
    ("int-revision", [r(59)], "TypeError"),
    ("too-long-id-loads", [r("a" * 33), r(B, "a" * 33)], "loaded"),
    ("empty-id-is-a-real-id", [r(""), r(B, "")], "loaded"),
    ("numeric-string-ids", [r("059", typed=True), r("0059", ["059"], typed=True)], "loaded"),
    ("merge-of-the-same-parent-twice", [r(A), r(B, (A, A))], "loaded"),
    ("merge-as-list", [r(A), r(B, A), r(C, A), r(D, [B, C])], "loaded"),
    ("empty-forms-are-bases", [r(A, ()), r(B, []), r(C, (A, B), depends=())], "loaded"),
    ("depends-on-a-label", [r(A, labels="core"), r(B), r(C, B, depends="core")], "loaded"),
    ("depends-on-a-list", [r(A), r(B), r(C, A, depends=[A, B])], "loaded"),
    ("two-heads", [r(A), r(B, A), r(C, A)], "loaded"),
    (
        "down-revision-label-and-depends-on",
        [r(A, labels="L"), r(B, "L", depends="L")],
        "RevisionError",
    ),
    # Alembic only looks for revisions unreachable from a head or a base: a cycle through
    # a merge that is reachable both ways loads. The linter rightly reports AL005.
    (
        "cycle-through-a-merge-alembic-misses",
        [r(A), r("x", ("y", A)), r("y", "x"), r("w", "y")],
        "loaded",
    ),
    # The same gap through a duplicate: the label resolves to the id aaaa1111, i.e. to the
    # last file, which then depends on itself; the first copy keeps the id reachable.
    (
        "self-dependency-through-a-duplicate-label-alembic-misses",
        [r(A, labels="core"), r(A, depends="core")],
        "loaded",
    ),
]

#: Disagreements this test found, fixed in the linter: (id, history, Alembic's outcome, what
#: the linter used to get wrong). They stay as regression cases.
FIXED_BUGS = [
    (
        "bug1-depends-on-own-label",
        [r(A, labels="core", depends="core")],
        "DependencyCycleDetected",
        "Alembic resolves the label to the revision itself (a dependency self-loop); the "
        "linter's cycles() ignores the self-edge and reports nothing",
    ),
    (
        "bug2-base-depends-on-empty-string",
        [r(A, depends="")],
        "DependencyCycleDetected",
        'depends_on = "" keeps Revision.dependencies == "" (not None), so the base is not '
        "a real base and Alembic reports a dependency cycle; the linter reports nothing",
    ),
    (
        "bug3-cycle-through-label-parent",
        [r(A, "L", labels="L")],
        "CycleDetected",
        "the label in down_revision resolves through the map while heads are computed, "
        "leaving no head and no base; the linter reports AL002 but no AL005",
    ),
    (
        "bug4-labelled-duplicate-loser-keeps-its-edges",
        [r(A), r(B, A), r(C, B, labels="core"), r(C, A)],
        "loaded",
        "the losing file stays in the map under its label, so its down_revision edge "
        "still removes bbbb2222 from the heads (Alembic heads: cccc3333, cccc3333); the "
        "linter lists bbbb2222 as a head and reports AL001 for it",
    ),
    (
        "bug5-depends-on-label-of-duplicate-loser",
        [r(A), r(C, A, labels="core"), r(C, A), r(D, C), r("eeee5555", A, depends="core")],
        "loaded",
        "Alembic resolves the label to the id, i.e. to the winning file, which stops being "
        "a real head; the linter takes the edge from the losing file (real heads differ)",
    ),
    (
        "bug6-duplicate-loser-missing-dependency",
        [r(A, depends=Z), r(A)],
        "KeyError",
        "Alembic resolves depends_on of every loaded file, losers included (KeyError: "
        "'zzzz9999'); the linter resolves the winners' only and reports just AL004",
    ),
    (
        "bug8-duplicated-base-depends-on-empty-string",
        [r(A, depends=""), r(A)],
        "loaded",
        'AL005 said Alembic stops with "Dependency cycle is detected" because a base has '
        'depends_on = "", but the other file with the same id is a real base, which keeps '
        "the id reachable: Alembic only warns about the duplicate and loads",
    ),
]


@pytest.mark.parametrize(
    ("revs", "outcome"), [pytest.param(revs, out, id=name) for name, revs, out in CASES]
)
def test_alembic_table_case(revs: list[Rev], outcome: str) -> None:
    alembic, linter = run_both(revs)
    assert (alembic.error_name or "loaded") == outcome, alembic.describe()
    check(revs, alembic, linter)


@pytest.mark.parametrize(
    ("revs", "outcome"), [pytest.param(revs, out, id=name) for name, revs, out, _ in FIXED_BUGS]
)
def test_fixed_disagreement(revs: list[Rev], outcome: str) -> None:
    alembic, linter = run_both(revs)
    assert (alembic.error_name or "loaded") == outcome, alembic.describe()
    check(revs, alembic, linter)


def test_empty_string_base_does_not_hide_the_fork() -> None:
    """The real incident: a base with ``down_revision = ""`` (accepted before Alembic 1.13),
    then two heads. Alembic 1.9 listed both heads; the linter reports AL002 for the ``""``
    and AL001 naming both heads."""
    revs = [r(A, ""), r(B, A), r(C, B), r(D, B)]
    _, linter = run_both(revs)
    assert linter.codes() == {"AL001", "AL002"}
    assert {d.revision for d in linter.with_code("AL001")} == {C, D}
    assert all(f"they diverge at {B}" in d.message for d in linter.with_code("AL001"))


def test_three_heads_are_all_named_when_one_line_hangs_from_a_deleted_revision() -> None:
    """Three heads, one of them on a line whose first revision names a deleted parent:
    however that parent is corrected, at least two heads remain, and the message names
    all three as they are now."""
    revs = [r(A), r(B, A), r(C, B), r(D, B), r("eeee5555", Z), r("ffff6666", "eeee5555")]
    _, linter = run_both(revs)
    found = linter.with_code("AL001")
    assert {d.revision for d in found} == {C, D, "ffff6666"}
    assert all(d.message.startswith("3 heads on one branch: ") for d in found)
    assert all(f"ffff6666 descends from '{Z}'" in d.message for d in found)


def test_a_parent_that_never_existed_may_be_the_other_head() -> None:
    """The seed incident (003): a new migration named a parent that never existed; its
    intended parent was the other head. As written there are two heads, but correcting
    the parent may leave one: AL002 only."""
    _, linter = run_both([r(A), r(B, A), r(C, Z)])
    assert linter.codes() == {"AL002"}
