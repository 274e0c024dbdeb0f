"""Lint histories: read files, run the rules, resolve positions, sort the findings."""

from __future__ import annotations

import functools
import itertools
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from alembic_lint import positions, runtime
from alembic_lint.checking import Reader as Reader
from alembic_lint.checking import Shared, file_findings, pared, rule_key, with_positions
from alembic_lint.checking import check_history as check_history
from alembic_lint.checking import graph_key as graph_key
from alembic_lint.checking import read_bytes as read_bytes
from alembic_lint.checking import rules_fingerprint as rules_fingerprint
from alembic_lint.diagnostics import Diagnostic
from alembic_lint.inputs import TooLarge
from alembic_lint.model import (
    Binding,
    History,
    Migration,
    Status,
    SyntaxProblem,
)
from alembic_lint.rules import Rule, registry
from alembic_lint.source import digest, text_of

if TYPE_CHECKING:
    from alembic_lint.branch import Archive, Branch
    from alembic_lint.cache import Cache
    from alembic_lint.config import Settings
    from alembic_lint.dialects import Target

#: Below this many files to parse, a process pool costs more than it saves.
POOL_MIN_FILES = 64
#: Up to this many changed files in a warm run are read with CPython's ast: importing
#: LibCST takes as long as parsing about fifty files with it.
FAST_READ_MAX = 8


@dataclass
class Options:
    """How to lint: which rules, with what settings, reading and caching how."""

    rules: Sequence[Rule]
    settings: Settings | None = None
    reader: Reader | None = None
    cache_dir: str | None = None  # None: no cache
    jobs: int = 1
    #: ``reader`` returns what is on disk for every path outside ``only`` (the standard-input
    #: run) and ``virtual``: those files may be known by their stat.
    disk_outside_only: bool = False
    #: Paths whose bytes ``reader`` does not take from the disk (a predicted merge's).
    virtual: frozenset[str] = frozenset()
    #: The target database (see dialects.py): settled, or to be decided by the files of
    #: each history. None: the rules judge for the dialect they were made with.
    dialect: Target | None = None


def available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def default_rules() -> list[Rule]:
    return [rule() for rule in registry() if rule.default]


def load_history(
    name: str,
    files: Sequence[Path | str],
    *,
    locations: Sequence[Path | str] = (),
    reader: Reader = read_bytes,
) -> History:
    """Read and extract every file of one history (in Alembic's load order)."""
    from alembic_lint import parse  # LibCST is imported only when a file is read

    migrations = []
    with runtime.collecting():
        for file in files:
            path = os.path.abspath(file)
            try:
                data = reader(path)
            except OSError as exc:
                migrations.append(unreadable(path, exc))
                continue
            migrations.append(parse.read_migration(path, data))
    return History(name, tuple(migrations), tuple(str(loc) for loc in locations))


def lint(
    name: str,
    files: Sequence[Path | str],
    options: Options,
    *,
    locations: Sequence[Path | str] = (),
    only: Iterable[str] | None = None,
    exclude: Iterable[str] = (),
    sources: dict[str, str] | None = None,
    fixes: bool = False,
    branch: Branch | None = None,
    archive: Archive | None = None,
    head_file: str | None = None,
) -> list[Diagnostic]:
    """Lint one history, using the cache: the whole answer when nothing changed, else the
    facts of every unchanged file; only changed files are parsed (in parallel if many).
    With ``fixes``, findings carry their fixes (the whole-run cache is then not used).
    ``branch``: the history is a predicted merge (``--against``), see branch.py.
    ``archive``: where deleted revisions are looked up (the history's git repository).
    ``head_file``: the ``head-file`` setting's file for this history (read with the
    reader, as the migrations are)."""
    from alembic_lint import cache as cache_mod

    reader = options.reader or read_bytes
    paths = [os.path.abspath(f) for f in files]
    only_set = sorted(os.path.abspath(p) for p in only) if only is not None else None
    only_paths = set(only_set) if only_set is not None else None
    excluded = sorted(os.path.abspath(p) for p in exclude)
    store = _store(name, locations, options, "-against" if branch else "")
    # Files are known by the hash of their bytes, which are dropped once hashed: holding
    # every file would cost memory in proportion to the history (the few files that need
    # parsing or positions are read again). With a cache, a file whose stat is the one
    # recorded with its hash is not even read (see cache.Cache.known_digest).
    on_disk = options.reader is None or options.disk_outside_only
    by_stat = store if on_disk else None
    errors: dict[str, OSError] = {}
    digests: dict[str, str] = {}
    virtual = options.virtual
    # Without a cache nothing is looked up by content: each file is read once, when it is
    # parsed (which reports a file it cannot read, as below).
    for path in paths if store is not None else ():
        try:
            if (
                by_stat is not None
                and (only_paths is None or path not in only_paths)
                and path not in virtual
            ):
                digests[path] = by_stat.digest_of(path, reader)
            else:
                digests[path] = cache_mod.digest(reader(path))
        except OSError as exc:
            errors[path] = exc

    result_key = ""
    if store is not None:
        result_key = cache_mod.fingerprint(
            cache_mod.STAMP,
            settings_key(options),
            [(p, digests.get(p)) for p in paths],
            only_set,
            excluded,
            branch.key if branch is not None else None,
        )
        # (A run reporting on some files only never records a whole answer: see below.)
        hit = None if fixes or only is not None else store.diagnostics(result_key)
        if hit is not None:
            _fill_sources(sources, hit, reader)
            return hit

    migrations: dict[str, Migration] = {}
    to_parse: list[str] = []
    # The file rules' findings on unchanged files, by path (see check_history's ``local``).
    local: dict[str, list[Diagnostic]] = {}
    checked: set[str] = set()  # paths whose file findings this run worked out
    stubs: dict[str, Callable[..., Migration]] = {}  # stand-ins, and how to load the facts
    excluded_set = set(excluded)
    rules, first = _bind_dialect(options, paths, digests, errors, store, reader)
    early = {migration.path for migration, _ in first}
    rules_key = rules_fingerprint([r for r in rules if not r.graph])
    for path in paths:
        if path in errors:
            migrations[path] = unreadable(path, errors[path])
            continue
        if path in early:
            continue
        if store is None or not store.known(digests[path]):
            to_parse.append(path)
            continue
        # An unchanged file brings its own findings from the cache, and most of the time
        # the run needs none of its facts: a stand-in carries its path, digest and
        # suppression comments, and check_history loads the facts if the graph must be
        # rebuilt or a finding points into the file. A run that reports on some files only
        # needs no other file's own findings either (they point nowhere else: only graph
        # findings are moved onto a reported file).
        wanted = only_paths is None or path in only_paths
        stand_in = (
            None
            if fixes or path in excluded_set
            else store.stub(digests[path], path, rules_key, wanted=wanted)
        )
        if stand_in is not None:
            migrations[path], local[path] = stand_in
            stubs[path] = functools.partial(_load_light, store, digests[path], path, reader)
            continue
        cached = store.migration(digests[path], path)
        if cached is None:
            to_parse.append(path)
        else:
            migrations[path] = cached
    incremental = store is not None and bool(migrations)
    file_rules = [r for r in rules if not r.graph]
    shared = Shared()
    # Without a cache to fill, files are checked as they are read (in pool workers too),
    # and only what the rest of the run needs is kept.
    check = file_rules if store is None and not fixes else None
    # A pool keeps the main process waiting: the graph's library is imported meanwhile.
    meanwhile = _import_graph if any(r.graph for r in rules) else None
    parsed = itertools.chain(
        first,
        _parse_all(
            to_parse,
            reader,
            options.jobs,
            incremental=incremental,
            check=check,
            meanwhile=meanwhile,
        ),
    )
    for migration, found_here in parsed:
        path = migration.path
        if migration.digest:
            digests[path] = migration.digest  # the bytes that were parsed, if they changed
        if store is not None and migration.digest:
            store.put_migration(migration.digest, migration)
        if not fixes:
            # Check the file now and keep only what the rest of the run reads: holding
            # every file's operations until the end cost memory in proportion to the history.
            if found_here is None:
                found_here = file_findings(migration, file_rules)
                migration = pared(migration)
            migration = shared.migration(migration)
            local[path] = found_here
            checked.add(path)
        migrations[path] = migration
    for path in itertools.chain(to_parse, early):
        if path not in migrations:  # vanished between the two reads
            migrations[path] = unreadable(path, FileNotFoundError(2, "No such file or directory"))

    history = History(
        name,
        tuple(migrations[p] for p in paths),
        tuple(str(x) for x in locations),
        branch=branch,
        archive=archive,
        head_file=_head_file(head_file, reader) if head_file is not None else None,
    )
    resolved: dict[str, Migration] = {}
    fresh: dict[str, list[Diagnostic]] = {}
    found = check_history(
        history,
        rules,
        reader=reader,
        only=only,
        settings=options.settings,
        exclude=exclude,
        resolved=resolved,
        graph_cache=store,
        local=local,
        local_out=fresh,
        stubs=stubs,
    )
    if fixes:
        found = attach_fixes(found, history, rules, reader)
    _fill_sources(sources, found, reader)
    if store is not None:
        for migration in resolved.values():
            if migration.digest and migration.spans:
                store.put_spans(migration.digest, migration.spans)
        fresh.update((path, local[path]) for path in checked)
        # Stored with their positions, which hold as long as the file is unchanged (the
        # only case in which they are used): a later run need not resolve them again.
        placed = {p: m for p, m in migrations.items() if m.spans is not None}
        placed.update(resolved)
        for path, file_found in fresh.items():
            if path not in errors and (path in placed or not file_found):
                store.put_findings(
                    digests[path], rules_key, [with_positions(d, placed) for d in file_found]
                )
        # A run that reports on some files only (--stdin-filename, a file PATH) must not
        # evict the answer for the whole history.
        # Nor one with an unreadable file: the key knows no content for it (a file too
        # large to read can change its revision variables).
        if only is None and not errors and all(d.fix is None for d in found):
            store.put_diagnostics(result_key, found)
        store.save(digests.values(), paths)
    return found


def _head_file(path: str, reader: Reader) -> tuple[str, str | None]:
    try:
        return path, reader(path).decode("utf-8", "replace")
    except OSError:
        return path, None


def _bind_dialect(
    options: Options,
    paths: Sequence[str],
    digests: dict[str, str],
    errors: dict[str, OSError],
    store: Cache | None,
    reader: Reader,
) -> tuple[list[Rule], list[tuple[Migration, list[Diagnostic] | None]]]:
    """The rules judging for the history's dialect, and the files parsed to find it out.

    When no setting or URL settles the dialect, every file's evidence is needed before any
    file is checked: the cache holds it for unchanged files; of the others, those whose
    bytes may name a dialect are parsed first (unchecked; the caller checks them with the
    rules returned), so that a history without any holds no file's facts longer."""
    target = options.dialect
    if target is None:
        return list(options.rules), []
    if target.settled:
        return [r.for_dialect(target.name) for r in options.rules], []
    from alembic_lint import dialects

    readable = [p for p in paths if p not in errors]
    evidence, unknown = _known_evidence(readable, store, reader, digests)
    # Some facts came from the cache: a few changed files are read with CPython's ast.
    first = list(_parse_all(unknown, reader, options.jobs, incremental=bool(evidence)))
    evidence.extend(migration.dialects for migration, _ in first)
    found = dialects.from_files(target, evidence)
    return [r.for_dialect(found.name) for r in options.rules], first


def _known_evidence(
    paths: Sequence[str], store: Cache | None, reader: Reader, digests: dict[str, str] | None
) -> tuple[list[tuple[str, ...]], list[str]]:
    """The dialect evidence of the files the cache knows (by ``digests``, else by hashing
    their bytes), and the other files that may give some: those to parse."""
    from alembic_lint import cache as cache_mod
    from alembic_lint.reading import may_name_dialect

    evidence: list[tuple[str, ...]] = []
    unknown: list[str] = []
    for path in paths:
        data: bytes | None = None
        try:
            if store is not None:
                if digests is not None:
                    key = digests[path]
                else:
                    data = reader(path)
                    key = cache_mod.digest(data)
                cached = store.dialects(key)
                if cached is not None:
                    evidence.append(cached)
                    continue
            if data is None:
                data = reader(path)
        except OSError:
            continue  # reported as unreadable by whoever reads it next
        if may_name_dialect(data):
            unknown.append(path)
    return evidence, unknown


def _store(
    name: str, locations: Sequence[Path | str], options: Options, variant: str = ""
) -> Cache | None:
    """The cache of one history (None without a cache directory); ``variant``: see Cache."""
    if options.cache_dir is None:
        return None
    from alembic_lint import cache as cache_mod

    history_key = cache_mod.fingerprint(sorted(str(loc) for loc in locations) or [name])
    return cache_mod.Cache(options.cache_dir, history_key, variant)


def history_dialect(
    name: str, files: Sequence[Path | str], options: Options, locations: Sequence[Path | str]
) -> Target | None:
    """The dialect ``options`` give a history (for --show-settings): settled, or what its
    files show (from the cache where it knows them; nothing is written)."""
    from alembic_lint import dialects

    target = options.dialect
    if target is None or target.settled:
        return target
    reader = options.reader or read_bytes
    paths = [os.path.abspath(file) for file in files]
    evidence, unknown = _known_evidence(paths, _store(name, locations, options), reader, None)
    evidence.extend(m.dialects for m, _ in _parse_all(unknown, reader, options.jobs))
    return dialects.from_files(target, evidence)


def attach_fixes(
    diagnostics: Sequence[Diagnostic], history: History, rules: Sequence[Rule], reader: Reader
) -> list[Diagnostic]:
    """Ask the fixable rules for the fix of each of their findings (needs the file text)."""
    by_code = {r.code: r for r in rules if r.fixable}
    by_path = {m.path: m for m in history.migrations}
    texts: dict[str, str | None] = {}
    result: list[Diagnostic] = []
    for diagnostic in diagnostics:
        rule = by_code.get(diagnostic.code)
        migration = by_path.get(diagnostic.location.path)
        if rule is not None and migration is None and diagnostic.fix is None:
            other = rule.fix_file(diagnostic, history)  # a finding on another file
            result.append(replace(diagnostic, fix=other) if other is not None else diagnostic)
            continue
        if rule is None or migration is None or diagnostic.fix is not None:
            result.append(diagnostic)
            continue
        path = migration.path
        if path not in texts:
            try:
                data = reader(path)
            except OSError:
                data = None
            # The facts are those of the bytes parsed: a file saved since then gets no fix
            # (the next run works it out on what is there).
            if data is None or (migration.digest and digest(data) != migration.digest):
                texts[path] = None
            else:
                texts[path] = text_of(data)
        text = texts[path]
        fix = rule.fix(diagnostic, migration, text) if text is not None else None
        if fix is not None:
            fix = replace(fix, digest=migration.digest)
        result.append(replace(diagnostic, fix=fix) if fix is not None else diagnostic)
    return result


def _fill_sources(
    sources: dict[str, str] | None, diagnostics: Sequence[Diagnostic], reader: Reader
) -> None:
    if sources is None:
        return
    for path in {d.location.path for d in diagnostics}:
        try:
            sources[path] = text_of(reader(path))
        except OSError:
            continue


def _parse_all(
    paths: list[str],
    reader: Reader,
    jobs: int,
    *,
    incremental: bool = False,
    check: Sequence[Rule] | None = None,
    meanwhile: Callable[[], object] | None = None,
) -> Iterator[tuple[Migration, list[Diagnostic] | None]]:
    """Facts of ``paths``: in a process pool when there are enough, else one at a time
    (each file's bytes are dropped as soon as it is parsed). ``incremental``: the other
    files' facts came from the cache, so a few changed files are read with CPython's ast
    (see astread) rather than paying for LibCST's import. Pool workers run the file rules
    ``check`` too, and send back the pared facts and the findings (else None).
    ``meanwhile`` is called once a pool has sent back its first files (the main process
    only waits for them)."""

    def read(path: str) -> bytes | OSError:
        try:
            return reader(path)
        except OSError as exc:
            return exc  # reported as the file's problem (AL100), as the caller would

    if incremental and len(paths) <= FAST_READ_MAX and "libcst" not in sys.modules:
        from alembic_lint import astread

        for path in paths:
            data = read(path)
            if isinstance(data, OSError):
                yield unreadable(path, data), None
                continue
            fast = astread.read_migration_fast(path, data)
            yield (fast if fast is not None else _read_with_libcst(path, data)), None
        return

    # Imported before any pool forks, so that workers inherit LibCST instead of each
    # importing it.
    from alembic_lint import parse  # noqa: F401

    with runtime.collecting():
        if jobs > 1 and len(paths) >= POOL_MIN_FILES:
            items = []
            for path in paths:
                data = read(path)
                if isinstance(data, OSError):
                    yield unreadable(path, data), None
                else:
                    items.append((path, data))
            workers = min(jobs, len(items) // (POOL_MIN_FILES // 2) or 1)
            chunk = max(1, len(items) // (workers * 4))
            pooled = _pooled(items, workers, chunk, check)
            for found in pooled:
                yield found
                break
            if meanwhile is not None:
                meanwhile()
            yield from pooled
            return
        for path in paths:
            data = read(path)
            if isinstance(data, OSError):
                yield unreadable(path, data), None
                continue
            # With a cache to fill (no check), every fact is placed while CPython's tree
            # is at hand, as pool workers do: placing the findings later read and parsed
            # each file with one again (a tenth of a cold --jobs 1 run).
            yield _read_and_check(path, data, check, all_spans=check is None)


def _import_graph() -> None:
    import networkx  # noqa: F401 (see graph.build)


def _pooled(
    items: list[tuple[str, bytes]], workers: int, chunk: int, check: Sequence[Rule] | None
) -> Iterator[tuple[Migration, list[Diagnostic] | None]]:
    """_read_and_check in ``workers`` processes, ``chunk`` files per task. A worker that
    dies (a crash in native code, the out-of-memory killer) breaks the pool: the files it
    could have held are read again one at a time in a pool of one, where the file that
    kills a worker again is known, and reported as not analysed. Never waits on a dead
    worker (multiprocessing.Pool would, for ever)."""
    from collections import deque
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    def pool(size: int) -> ProcessPoolExecutor:
        import multiprocessing

        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("fork" if "fork" in methods else None)
        return ProcessPoolExecutor(
            size, mp_context=context, initializer=_init_worker, initargs=(check,)
        )

    suspects: deque[tuple[str, bytes]] = deque()
    batches = [items[i : i + chunk] for i in range(0, len(items), chunk)]
    with pool(workers) as executor:
        futures = [executor.submit(_parse_batch, batch) for batch in batches]
        for batch, future in zip(batches, futures, strict=True):
            try:
                yield from future.result()
            except BrokenProcessPool:
                suspects += batch
    while suspects:
        # One file at a time, each sent once the previous one is back: when the worker
        # dies, the file it held is the one.
        with pool(1) as executor:
            while suspects:
                path, data = suspects.popleft()
                try:
                    found = executor.submit(_parse_item, (path, data)).result()
                except BrokenProcessPool:
                    yield _crashed(path, data), None
                    break  # a new pool for the rest
                yield found


def _parse_batch(batch: list[tuple[str, bytes]]) -> list[tuple[Migration, list[Diagnostic] | None]]:
    """In a pool worker: _parse_item over a batch (one message each way per batch)."""
    return [_parse_item(item) for item in batch]


def _crashed(path: str, data: bytes) -> Migration:
    """A file whose reading killed the process reading it: its revision variables, as the
    lines tell them, and the reason, reported once (AL100)."""
    from alembic_lint.parse.fallback import _fallback
    from alembic_lint.source import text_of

    message = "not analysed: reading this file crashed the process that read it"
    return _fallback(path, os.path.basename(path), text_of(data), message, 1, 1)


def _load_light(
    store: Cache, key: str, path: str, reader: Reader, *, changes: bool = True
) -> Migration:
    """The facts behind a stand-in (see Cache.stub): from the cache, else read again;
    without ``changes``, the cache's schema changes are not decoded."""
    light = store.light(key, path, changes=changes)
    if light is not None:
        return light
    try:
        return pared(_read_with_libcst(path, reader(path)))
    except OSError as exc:
        return unreadable(path, exc)


def read_facts(path: str, data: bytes) -> Migration:
    """One file's facts: by CPython's ast when it can (LibCST's import costs as much as
    parsing fifty files), else by LibCST."""
    from alembic_lint import astread

    fast = astread.read_migration_fast(path, data)
    return fast if fast is not None else _read_with_libcst(path, data)


def _read_with_libcst(path: str, data: bytes) -> Migration:
    from alembic_lint import parse

    return parse.read_migration(path, data)


#: In a pool worker: the file rules to run on each file (see _parse_all).
_WORKER_CHECK: Sequence[Rule] | None = None


def _init_worker(check: Sequence[Rule] | None) -> None:
    global _WORKER_CHECK
    _WORKER_CHECK = check


def _read_and_check(
    path: str, data: bytes, check: Sequence[Rule] | None, *, all_spans: bool
) -> tuple[Migration, list[Diagnostic] | None]:
    """The facts of one file. With ``check`` (no cache to fill), also the findings of those
    file rules, placed while the file's bytes are at hand (CPython's ast tells positions
    cheaply; only files with findings need them, and none is read again for them), and
    the facts pared: their positions, in an array, take less memory than the locators
    they replace (see checking.pared). ``all_spans``: positions of every fact for the
    cache (in a pool worker, where that work runs in parallel)."""
    from alembic_lint import parse

    # CPython's tree, which judged the file before LibCST read it, places the facts too.
    migration, tree = parse.read_with_tree(path, data)
    if check is None:
        if all_spans:
            migration = positions.with_spans(migration, data, tree=tree) or migration
        return migration, None
    found = file_findings(migration, check)
    if found:
        # Operations are pointed at by the file rules only, whose findings are all here:
        # the others need no position (working them out was most of this step's time).
        wanted = {loc.ref for d in found for loc in (d.location, *(r.location for r in d.related))}
        skip = {op.ref for op in migration.ops} - wanted
        placed = positions.with_spans(migration, data, skip, tree)
        if placed is not None:
            migration = placed
            found = [with_positions(d, {path: placed}) for d in found]
    return pared(migration), found


def _parse_item(item: tuple[str, bytes]) -> tuple[Migration, list[Diagnostic] | None]:
    """In a pool worker: see _read_and_check."""
    return _read_and_check(*item, _WORKER_CHECK, all_spans=True)


def settings_key(options: Options) -> object:
    """Everything about the rules and settings that can change the findings (a dialect the
    files decide is decided by their contents, which the result is keyed by too)."""
    rules = [rule_key(r) for r in options.rules]
    settings = options.settings
    extra = (
        None
        if settings is None
        else (str(settings.root), settings.per_file_ignores, settings.exclude)
    )
    target = options.dialect
    return [rules, extra, None if target is None else (target.name, target.settled)]


def unreadable(path: str, exc: OSError) -> Migration:
    """The facts of a file that cannot be read: reported as AL100 with the reason (a file
    too large to read keeps the revision variables a stream of its lines tells)."""
    if isinstance(exc, TooLarge):
        from alembic_lint import recover

        return recover.oversized(path, exc)
    reason = exc.strerror or str(exc)
    return Migration(
        path=path,
        filename=os.path.basename(path),
        revision=Binding("revision", Status.ABSENT),
        down_revision=Binding("down_revision", Status.ABSENT),
        branch_labels=Binding("branch_labels", Status.ABSENT),
        depends_on=Binding("depends_on", Status.ABSENT),
        syntax_error=SyntaxProblem(f"cannot read file: {reason}", -1, defines_nothing=False),
        spans=(),
    )
