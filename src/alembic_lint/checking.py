"""Run the rules over one history: graph findings (cached by the graph view), file
findings (per file), suppressions, positions."""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from alembic_lint import graph as graph_mod
from alembic_lint import inputs, positions
from alembic_lint.diagnostics import Diagnostic, Location, Related, sort_key
from alembic_lint.inputs import read_regular
from alembic_lint.model import (
    Binding,
    Header,
    History,
    Migration,
    Suppression,
)
from alembic_lint.rules import Rule, registry
from alembic_lint.schema.shared import shared

#: Loads a stand-in's facts (see check_history's ``stubs``); ``changes=False`` may leave
#: out its schema changes.
Loader = Callable[..., Migration]

if TYPE_CHECKING:
    from alembic_lint.config import Settings
    from alembic_lint.schema.replay import Memo

Reader = Callable[[str], bytes]
T = TypeVar("T")


def read_bytes(path: str) -> bytes:
    """A migration's bytes: a regular file's only, and only up to the size limit (see
    inputs.py); anything else is an OSError that the file is reported with."""
    return read_regular(path, inputs.MAX_MIGRATION_BYTES)


def file_findings(migration: Migration, rules: Sequence[Rule]) -> list[Diagnostic]:
    """The file rules' findings on one migration (they never look at other files)."""
    alone = History(migration.path, (migration,))
    unbuilt = graph_mod.RevisionGraph(alone)
    return [d for rule in rules for d in rule.check(alone, unbuilt)]


_NO_HEADER = Header()


def pared(migration: Migration) -> Migration:
    """``migration`` without what only the file rules read (see cache.Cache.stub), nor the
    locators of its positions once they are known."""
    locators = migration.locators if migration.spans is None else ""
    return replace(
        migration, header=_NO_HEADER, functions=(), ops=(), message="", locators=locators
    )


class Shared:
    """One object for equal parts of the facts of a history's files, which a run holds
    until the graph rules have read them all: most files bind ``branch_labels`` and
    ``depends_on`` to None, and their schema changes repeat the same columns (``id``,
    ``created_at``; those are shared by schema.shared), about a sixth of the facts a cold
    run keeps of 10,000 files. Parts are
    shared only when they are equal value for value, each of the same type (``1`` and
    ``True`` are equal in Python, and would say different things)."""

    def __init__(self) -> None:
        self._seen: dict[object, Any] = {}

    def _one(self, value: T, key: object) -> T:
        found: T = self._seen.setdefault(key, value)
        return found

    def migration(self, migration: Migration) -> Migration:
        labels, depends = migration.branch_labels, migration.depends_on
        shared_labels, shared_depends = self._binding(labels), self._binding(depends)
        # Changes from this process's reader are shared already; from a pool worker or
        # the cache, they are shared now.
        shared(migration.changes)
        if shared_labels is labels and shared_depends is depends:
            return migration
        return replace(migration, branch_labels=shared_labels, depends_on=shared_depends)

    def _binding(self, binding: Binding) -> Binding:
        if binding.value is not None or binding.elements:
            return binding  # a value of its own: not worth comparing
        key = ("binding", binding.name, binding.status, binding.reason, binding.ref)
        return self._one(binding, key)


def check_history(
    history: History,
    rules: Iterable[Rule],
    *,
    reader: Reader = read_bytes,
    only: Iterable[str] | None = None,
    settings: Settings | None = None,
    exclude: Iterable[str] = (),
    resolved: dict[str, Migration] | None = None,
    graph_cache: GraphCache | None = None,
    local: Mapping[str, Sequence[Diagnostic]] | None = None,
    local_out: dict[str, list[Diagnostic]] | None = None,
    stubs: Mapping[str, Loader] | None = None,
    built: list[graph_mod.RevisionGraph] | None = None,
    schema_memo: Memo | None = None,
) -> list[Diagnostic]:
    """Run ``rules`` over one history; returns sorted diagnostics with resolved positions.

    ``local`` holds, by path, the file rules' findings already known for some files (their
    migrations may lack operations): the file rules run on the other files only, whose
    findings go to ``local_out`` (every such path, with or without findings). Findings in
    ``local`` that carry a position keep it (the file is unchanged since it was worked out).
    ``stubs`` maps the paths of stand-in migrations (path, digest and suppressions only,
    see cache.Cache.stub; always in ``local``, never excluded) to loaders of their facts,
    called when the graph must be rebuilt, a finding points into the file, or the file has
    suppression comments.

    ``only`` restricts the report to some files; a finding elsewhere that names one of them
    as a related place (the other head, the first declaration) is reported on that file.
    Files in ``exclude`` are never reported on; they still place their revision in the
    graph, unless they define none (a helper module), in which case they are dropped.
    ``built`` receives the revision graph the graph rules ran on, when one was built.
    ``schema_memo`` (a schema.replay.Memo) spares replaying the revisions the last check
    with it already replayed, unchanged.
    """
    rules = list(rules)
    excluded = {os.path.abspath(p) for p in exclude}
    if excluded:
        history = replace(
            history,
            migrations=tuple(
                m for m in history.migrations if m.path not in excluded or m.revision_id
            ),
        )
    stubs = dict(stubs or {})
    graph_rules = [r for r in rules if r.graph]
    graph = _graph_findings(history, graph_rules, graph_cache, stubs, built, schema_memo)
    history = graph.history
    digests = {m.path: m.digest for m in history.migrations}
    # Graph findings from the cache that kept their positions are placed already: a file
    # they point into need not be loaded to place them (see _GraphFound).
    found: list[Diagnostic] = []
    placed: list[Diagnostic] = []
    for diagnostic in graph.found:
        (placed if graph.holds(diagnostic, digests) else found).append(diagnostic)
    # File rules see one migration at a time (the contract that lets their findings be
    # cached per file, apart from the graph's): an unbuilt graph, so networkx is not even
    # imported.
    known = local or {}
    pending = replace(
        history, migrations=tuple(m for m in history.migrations if m.path not in known)
    )
    unbuilt = graph_mod.RevisionGraph(pending)
    fresh = [d for rule in rules if not rule.graph for d in rule.check(pending, unbuilt)]
    if local_out is not None:
        for migration in pending.migrations:
            local_out[migration.path] = []
        for diagnostic in fresh:
            local_out.setdefault(diagnostic.location.path, []).append(diagnostic)
    found.extend(fresh)
    # Known findings that carry a position keep it; the others are placed below.
    for file_found in known.values():
        for diagnostic in file_found:
            (placed if diagnostic.location.line > 0 else found).append(diagnostic)
    if excluded:
        found = [d for d in found if d.location.path not in excluded]
        placed = [d for d in placed if d.location.path not in excluded]
    keep = {os.path.abspath(p) for p in only} if only is not None else None
    if keep is not None:
        # _only moves some findings onto a reported file: those need placing again.
        chosen = _only(found + placed, keep, history)
        kept = {id(d) for d in placed}
        found = [d for d in chosen if id(d) not in kept]
        placed = [d for d in chosen if id(d) in kept]
    unplaced = found
    if stubs:
        pointed = {
            loc.path for d in unplaced for loc in (d.location, *(r.location for r in d.related))
        }
        history = _loaded(history, stubs, pointed, changes=False)
    done: dict[str, Migration] = {}
    found = placed + resolve_locations(unplaced, history, reader, resolved, done)
    if graph_cache is not None and graph_rules:
        graph.store(graph_cache, digests, done)
    if stubs:  # an unused suppression is reported with its file's revision id
        commented = {m.path for m in history.migrations if m.noqa or m.file_ignores}
        history = _loaded(history, stubs, commented, changes=False)
    return sorted(suppress(found, history, rules, settings, keep), key=sort_key)


class GraphCache(Protocol):
    """Where the graph rules' findings are kept between runs, by :func:`graph_key`."""

    def graph_diagnostics(self, key: str) -> tuple[list[Diagnostic], dict[str, str]] | None: ...

    def put_graph_diagnostics(
        self, key: str, diagnostics: Sequence[Diagnostic], at: Mapping[str, str]
    ) -> None: ...

    def view(self, migration: Migration) -> str: ...


def rules_fingerprint(rules: Sequence[Rule]) -> str:
    """The rules, their settings and the Alembic version and dialect they judge for."""
    from alembic_lint import cache as cache_mod

    return cache_mod.fingerprint(cache_mod.STAMP, [rule_key(r) for r in rules])


def rule_key(rule: Rule) -> tuple[object, ...]:
    """What about one rule can change its findings."""
    settings = sorted((k, repr(v)) for k, v in rule.settings.items())
    return (rule.code, settings, str(rule.alembic), rule.dialect)


def graph_key(
    history: History, rules: Sequence[Rule], view: Callable[[Migration], str] | None = None
) -> str:
    """What the graph rules read: each file's path and revision variables (with their
    refs), its syntax problem, and the rules' settings; not its operations or text.
    ``view`` hashes a file's part (default: cache.view_hash; the cache knows most)."""
    from alembic_lint import cache as cache_mod

    hashed = view or cache_mod.view_hash
    branch = history.branch.key if history.branch is not None else None
    return cache_mod.fingerprint(
        rules_fingerprint(rules),
        [(m.path, hashed(m)) for m in history.migrations],
        branch,
        history.archive is not None,  # messages say who deleted a missing parent
        history.head_file,
    )


def _loaded(
    history: History,
    stubs: dict[str, Loader],
    paths: Collection[str] | None,
    *,
    changes: bool = True,
) -> History:
    """``history`` with the stand-ins of ``paths`` (None: all) replaced by their facts,
    which leave ``stubs``. Without ``changes``, their schema changes are not decoded from
    the cache (they may come as None): only for files loaded after the graph rules ran,
    to place findings and read suppressions."""
    chosen = [p for p in stubs if paths is None or p in paths]
    if not chosen:
        return history
    real = {p: stubs.pop(p)(changes=changes) for p in chosen}
    return replace(history, migrations=tuple(real.get(m.path, m) for m in history.migrations))


@dataclass
class _GraphFound:
    """The graph rules' findings of one run, and where their positions came from."""

    found: list[Diagnostic]
    history: History
    key: str = ""
    #: From the cache: by path, the digest of the bytes the positions of the findings in
    #: that file were worked out on. None: worked out by this run, not yet placed.
    at: dict[str, str] | None = None

    def holds(self, diagnostic: Diagnostic, digests: Mapping[str, str]) -> bool:
        """Whether every position of a cached finding is one worked out on the bytes its
        file has now (an edit elsewhere in the history leaves it where it was)."""
        at = self.at
        if at is None:
            return False
        for loc in (diagnostic.location, *(r.location for r in diagnostic.related)):
            if loc.ref >= 0 and (
                loc.line <= 0 or not digests.get(loc.path) or at.get(loc.path) != digests[loc.path]
            ):
                return False
        return True

    def store(
        self, cache: GraphCache, digests: Mapping[str, str], done: Mapping[str, Migration]
    ) -> None:
        """Keep the findings with the positions known now: those this run worked out
        (``done``: the files it placed) and those of the cache that still hold."""
        at = self.at or {}
        # (A file that could not be read again to place its findings has no spans: its
        # positions are no one's.)
        done = {path: m for path, m in done.items() if m.spans}
        pointed = {
            loc.path
            for d in self.found
            for loc in (d.location, *(r.location for r in d.related))
            if loc.ref >= 0
        }
        now: dict[str, str] = {}
        for path in sorted(pointed):
            digest = digests.get(path)
            if digest and (path in done or at.get(path) == digest):
                now[path] = digest
        if self.at is not None and now == self.at:
            return  # nothing moved

        def place(loc: Location) -> Location:
            if loc.ref < 0:
                return loc
            span = done[loc.path].span(loc.ref) if loc.path in done else None
            if span is not None and span.line > 0:
                return Location(
                    loc.path, span.line, span.column, span.end_line, span.end_column, ref=loc.ref
                )
            if at.get(loc.path) == digests.get(loc.path):
                return loc  # still holds (or was never placed)
            return Location(loc.path, 0, 0, 0, 0, ref=loc.ref)  # stale: to be placed again

        placed = [
            replace(
                d,
                location=place(d.location),
                related=tuple(Related(place(r.location), r.message) for r in d.related),
            )
            for d in self.found
        ]
        cache.put_graph_diagnostics(self.key, placed, now)


def _graph_findings(
    history: History,
    rules: Sequence[Rule],
    graph_cache: GraphCache | None,
    stubs: dict[str, Loader],
    built: list[graph_mod.RevisionGraph] | None = None,
    schema_memo: Memo | None = None,
) -> _GraphFound:
    """The graph rules' findings: from the cache when no file's revision variables changed
    (editing a migration's body is the common case), which spares building the graph and
    importing networkx, with the positions they had then; else worked out (positions
    unresolved). Building the graph loads every stand-in first (emptying ``stubs``); the
    history comes back with them loaded."""
    if not rules:
        return _GraphFound([], history)
    key = graph_key(history, rules, graph_cache.view) if graph_cache is not None else ""
    if graph_cache is not None:
        hit = graph_cache.graph_diagnostics(key)
        if hit is not None:
            return _GraphFound(hit[0], history, key, hit[1])
    history = _loaded(history, stubs, None)
    graph = graph_mod.build(history)
    if schema_memo is not None:
        graph.derived["schema-memo"] = schema_memo
    if built is not None:
        built.append(graph)
    found = [d for rule in rules for d in rule.check(history, graph)]
    if built is None:
        # What the rules worked out from the graph refers back to it (the schema model):
        # let both go now rather than at exit (the cyclic collector is off, see entry.py).
        graph.derived.clear()
    if history.branch is not None:
        # The same rules on a predicted merge: say so (the base-only rules say it themselves).
        against = {r.code for r in rules if not r.needs_branch}
        prefix = f"after merging into {history.branch.target}: "
        found = [replace(d, message=prefix + d.message) if d.code in against else d for d in found]
    return _GraphFound(found, history, key)


def suppress(
    diagnostics: Sequence[Diagnostic],
    history: History,
    rules: Sequence[Rule],
    settings: Settings | None,
    only: set[str] | None = None,
) -> list[Diagnostic]:
    """Drop findings silenced by per-file-ignores, file-ignore comments and ``# noqa``;
    report the suppression comments that silenced nothing (AL900) when that rule is on."""
    from alembic_lint.config import ignored_codes
    from alembic_lint.rules.unused_noqa import UnusedNoqa

    by_path = {m.path: m for m in history.migrations}
    used: dict[tuple[str, Suppression], set[str]] = defaultdict(set)
    kept: list[Diagnostic] = []
    ignored: dict[str, set[str]] = {}
    for diagnostic in diagnostics:
        path, code = diagnostic.location.path, diagnostic.code
        if settings is not None:
            off = ignored.get(path)
            if off is None:
                off = ignored[path] = ignored_codes(settings, path)
            if code in off:
                continue
        migration = by_path.get(path)
        if migration is not None and (migration.file_ignores or migration.noqa):
            comment = next(
                (c for c in migration.file_ignores if c.codes is None or code in c.codes), None
            ) or next(
                (
                    c
                    for c in migration.noqa
                    if c.line == diagnostic.location.line and (c.codes is None or code in c.codes)
                ),
                None,
            )
            if comment is not None:
                used[(path, comment)].add(code)
                continue
        kept.append(diagnostic)
    checker = next((r for r in rules if isinstance(r, UnusedNoqa)), None)
    if checker is None:
        return kept
    selected = {r.code for r in rules}
    known = {r.code for r in registry()}
    reported = {d.location.path for d in diagnostics} | {p for (p, _) in used}
    for migration in history.migrations:
        if only is not None and migration.path not in only:
            continue
        if migration.path not in reported and migration.noqa + migration.file_ignores == ():
            continue
        if settings is not None and checker.code in ignored_codes(settings, migration.path):
            continue
        for comment in (*migration.file_ignores, *migration.noqa):
            hits = used.get((migration.path, comment), set())
            # A noqa comment is shared with ruff, flake8 and the rest: only our own codes in it
            # are ours to judge. A file-ignore comment is ours entirely.
            ours = comment.codes
            if comment not in migration.file_ignores:
                if ours is None:
                    continue  # a bare noqa comment: whichever tool it was written for
                ours = tuple(c for c in ours if UnusedNoqa.owns(c))
                if not ours:
                    continue
            if not ours:  # a file-ignore without codes (None) or with an empty list ()
                if not hits:
                    kept.append(checker.unused(migration, comment, [], [], []))
                continue
            unmatched = [c for c in ours if c in selected and c not in hits]
            disabled = [c for c in ours if c in known and c not in selected]
            unknown = [c for c in ours if c not in known]
            if unmatched or disabled or unknown:
                kept.append(checker.unused(migration, comment, unmatched, disabled, unknown))
    return kept


def _only(found: list[Diagnostic], keep: set[str], history: History) -> list[Diagnostic]:
    kept = [d for d in found if d.location.path in keep]
    have = {(d.location.path, d.code) for d in kept}
    names = {m.path: m.filename for m in history.migrations}
    for diagnostic in found:
        if diagnostic.location.path in keep:
            continue
        for related in diagnostic.related:
            path = related.location.path
            if path in keep and (path, diagnostic.code) not in have:
                have.add((path, diagnostic.code))
                where = names.get(diagnostic.location.path, diagnostic.location.path)
                kept.append(
                    replace(
                        diagnostic,
                        location=related.location,
                        message=f"{where}: {diagnostic.message}",
                        related=(Related(diagnostic.location, f"reported in {where}"),),
                    )
                )
    return kept


def resolve_locations(
    diagnostics: Sequence[Diagnostic],
    history: History,
    reader: Reader,
    resolved: dict[str, Migration] | None = None,
    done: dict[str, Migration] | None = None,
) -> list[Diagnostic]:
    """Fill in positions, parsing with position metadata only the files that need it.

    ``resolved``, when given, receives the migrations whose spans were computed; ``done``
    every migration that placed a finding (with its spans)."""
    by_path = {m.path: m for m in history.migrations}
    wanted: dict[str, set[int]] = defaultdict(set)
    for d in diagnostics:
        for loc in (d.location, *(r.location for r in d.related)):
            if loc.ref >= 0:
                wanted[loc.path].add(loc.ref)
    if done is None:
        done = {}
    for path, refs in wanted.items():
        migration = by_path.get(path)
        if migration is None:
            continue
        if migration.spans is not None:
            if all(migration.span(ref).line > 0 for ref in refs):
                done[path] = migration
                continue
            # A fact whose position was not worked out (positions.UNASKED): never expected
            # (only operations are left out, and only the file rules point at them), but
            # should it happen, the position is worked out again rather than shown as 0:0.
            migration = replace(migration, spans=None)
        try:
            data = reader(path)
        except OSError:
            done[path] = replace(migration, spans=())
            continue
        fast = positions.with_spans(migration, data)
        if fast is None:
            from alembic_lint import parse  # LibCST, only when the ast shortcut fails

            fast = parse.resolve_spans(migration, data)
        done[path] = fast
        if resolved is not None:
            resolved[path] = done[path]
    return [with_positions(d, done) for d in diagnostics]


def with_positions(diagnostic: Diagnostic, resolved: Mapping[str, Migration]) -> Diagnostic:
    """``diagnostic`` with the positions of its refs in the files of ``resolved``."""

    def fix(loc: Location) -> Location:
        if loc.ref < 0 or loc.path not in resolved:
            return loc
        span = resolved[loc.path].span(loc.ref)
        return Location(
            loc.path, span.line, span.column, span.end_line, span.end_column, ref=loc.ref
        )

    if diagnostic.location.ref < 0 and all(r.location.ref < 0 for r in diagnostic.related):
        return diagnostic
    return replace(
        diagnostic,
        location=fix(diagnostic.location),
        related=tuple(Related(fix(r.location), r.message) for r in diagnostic.related),
    )
