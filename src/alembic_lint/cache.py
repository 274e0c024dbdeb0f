"""A persistent cache of per-file facts (by content hash) and of whole-run results.

Every file is sealed with the user's key (see sealed.py), so that one the user's own
alembic-lint did not write, such as a cache committed to a repository, is a miss. JSON,
never pickle, all the same: loading must not be able to run code. Anything unexpected in
a file is a miss too; writes are atomic replaces.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from alembic_lint import __version__, replay, runtime, sealed
from alembic_lint.cache_json import (
    STAND_IN,
    diagnostic_from_json,
    diagnostic_to_json,
    dialects_from_json,
    facts_json,
    migration_from_json,
    migration_to_json,
    suppression_from_json,
)
from alembic_lint.cache_json import fingerprint as fingerprint
from alembic_lint.cache_json import view_hash as view_hash
from alembic_lint.diagnostics import Diagnostic
from alembic_lint.model import Migration
from alembic_lint.source import blake2b
from alembic_lint.source import digest as digest

#: Bump when extraction or the stored shape changes: old entries then simply miss.
SCHEMA = 20
#: Another alembic-lint, schema, Python or library (see runtime.py) reads another cache.
STAMP = (
    f"alembic-lint {__version__} cache {SCHEMA} "
    + blake2b(repr(runtime.libraries()).encode(), digest_size=8).hexdigest()
    # The sources themselves: a checkout updated by a pull, where neither the version nor
    # SCHEMA changed, must not be answered from the older code's findings.
    + blake2b(repr(runtime.own_code()).encode(), digest_size=8).hexdigest()
)
#: The usual name of a cache directory given inside a project (``--cache-dir``); the
#: default cache is in the user's cache home (see sealed.project_dir).
DIRNAME = ".alembic-lint-cache"
#: More new files than this in one run: their operations are worth rewriting the ops file.
BULK = 8
#: Files modified this recently (ns) are not known by their stat: a later change within
#: the same tick of a coarse file-system clock would keep it.
RACY_NS = 2_000_000_000
#: Changed entries the facts journal holds before the facts file is rewritten with them.
JOURNAL_MAX = 64
ENV = "ALEMBIC_LINT_CACHE_DIR"
#: What reading a damaged or foreign entry can raise: each means a miss.
DAMAGE = (
    KeyError,
    TypeError,
    ValueError,
    IndexError,
    AttributeError,
    RecursionError,
    OverflowError,
)


class Cache:
    """One history's cache, in files that a run reads only as far as it needs:

    - ``history-*.json``: per file digest, what every run needs (revision variables,
      syntax problem, suppressions, positions) and the file rules' findings on the file;
    - ``changes-*.json``: per file digest, its schema changes, read only when the graph
      is rebuilt (they were half of the facts file, which every warm run reads); entries
      of the facts journal keep theirs inline until the facts file is rewritten;
    - ``ops-*.json``: per file digest, operations, functions and the docstring header,
      read only when a file rule must run on a file whose findings are not cached;
    - ``graph-*.json``: the graph rules' findings (see checking.graph_key);
    - ``result-*.json``: the whole run's findings, for a run where nothing changed.
    """

    def __init__(self, directory: str, history_key: str, variant: str = "") -> None:
        """``variant`` keeps the results of another kind of run (``--against``) apart
        from the plain run's, so that alternating the two does not evict each other's;
        the facts, by content, are shared."""
        self.directory = directory
        # A link in its place (or a file) is never followed: no cache then.
        self.usable = sealed.real_directory(directory) is not False
        self.facts_path = os.path.join(directory, f"history-{history_key}.json")
        self.ops_path = os.path.join(directory, f"ops-{history_key}.json")
        self.changes_path = os.path.join(directory, f"changes-{history_key}.json")
        self._changes: dict[str, Any] | None = None
        self.result_path = os.path.join(directory, f"result-{history_key}{variant}.json")
        self.graph_path = os.path.join(directory, f"graph-{history_key}{variant}.json")
        self.graph = ""
        self.graph_dirty = False
        self._facts: dict[str, Any] | None = None
        # Small changes go to a journal beside the facts file rather than rewriting it:
        # entries are keyed by content, so a journal of an older generation is just ignored.
        self.journal_path = os.path.join(directory, f"history-{history_key}.journal.json")
        self._generation = ""
        self._journal: set[str] = set()  # keys the journal on disk holds
        self._changed: set[str] = set()  # keys added or changed by this run
        self._rewrite = False  # something must go: only a full rewrite can drop it
        self._ops: dict[str, Any] | None = None
        #: Operations of files read in this run, kept until the ops file is rewritten.
        self._new_ops: dict[str, Any] = {}
        self.stats_path = os.path.join(directory, f"stats-{history_key}.json")
        self._stats: dict[str, Any] | None = None
        self.stats_dirty = False
        self.result = ""
        self.facts_dirty = False
        self.ops_dirty = False
        self.result_dirty = False

    def _read(self, path: str) -> dict[str, Any]:
        data = sealed.read(path) if self.usable else None
        if data is None:
            return {}  # missing, not sealed by this user, a link, too big: start empty
        try:
            document = json.loads(data)
        except (ValueError, RecursionError):
            return {}  # truncated or not JSON: start empty, rewrite on save
        if not isinstance(document, dict) or document.get("stamp") != STAMP:
            return {}  # another version's file
        return document

    @property
    def facts(self) -> dict[str, Any]:
        if self._facts is None:
            document = self._read(self.facts_path)
            facts = document.get("facts")
            self._facts = facts if isinstance(facts, dict) else {}
            generation = document.get("generation")
            self._generation = generation if isinstance(generation, str) else ""
            journal = self._read(self.journal_path)
            added = journal.get("facts")
            current = self._generation and journal.get("generation") == self._generation
            if current and isinstance(added, dict):
                self._facts.update(added)
                self._journal = set(added)
        return self._facts

    @property
    def ops(self) -> dict[str, Any]:
        if self._ops is None:
            ops = self._read(self.ops_path).get("ops")
            self._ops = ops if isinstance(ops, dict) else {}
            self._ops.update(self._new_ops)
        return self._ops

    # -- facts

    def known(self, key: str) -> bool:
        """Whether facts of these bytes are cached (without reading the ops file)."""
        return key in self.facts

    def migration(self, key: str, path: str) -> Migration | None:
        """The whole facts of a file (reads the ops file)."""
        ops = self.ops.get(key)
        return None if ops is None else self._load(key, path, ops)

    def stub(
        self, key: str, path: str, rules_key: str, *, wanted: bool
    ) -> tuple[Migration, list[Diagnostic]] | None:
        """For an unchanged file: a stand-in that carries only its path, digest and
        suppression comments, with the file rules' findings on it (``wanted=False``: none,
        the run reports on other files), when the cache holds those findings (under
        ``rules_key``) and the file's graph view; :meth:`light` gives the real facts if the
        run needs them after all (see checking.check_history)."""
        entry = self.facts.get(key)
        if not isinstance(entry, dict) or not isinstance(entry.get("view"), str):
            return None
        local = entry.get("local")
        if not isinstance(local, list) or len(local) != 2 or local[0] != rules_key:
            return None
        try:
            found = [diagnostic_from_json(d, path) for d in local[1]] if wanted else []
            if not (isinstance(entry["noqa"], list) and isinstance(entry["file_ignores"], list)):
                raise TypeError("suppressions are not a list")
            noqa = tuple(suppression_from_json(s) for s in entry["noqa"])
            file_ignores = tuple(suppression_from_json(s) for s in entry["file_ignores"])
        except DAMAGE:
            self._forget(key)
            return None
        stub = Migration(
            path=path,
            filename=os.path.basename(path),
            revision=STAND_IN.revision,
            down_revision=STAND_IN.down_revision,
            branch_labels=STAND_IN.branch_labels,
            depends_on=STAND_IN.depends_on,
            noqa=noqa,
            file_ignores=file_ignores,
            digest=key,
        )
        return stub, found

    def dialects(self, key: str) -> tuple[str, ...] | None:
        """The dialects a cached file shows it is written for (Migration.dialects), read
        without loading its facts; None when the entry is missing or damaged."""
        entry = self.facts.get(key)
        if entry is None:
            return None
        try:
            return dialects_from_json(entry)
        except DAMAGE:
            self._forget(key)
            return None

    def light(self, key: str, path: str, *, changes: bool = True) -> Migration | None:
        """A file's facts without operations (what a stand-in stands for); without
        ``changes``, its schema changes are left undecoded (None)."""
        return self._load(key, path, None, changes=changes)

    def _load(self, key: str, path: str, ops: Any, *, changes: bool = True) -> Migration | None:
        entry = self.facts.get(key)
        if entry is None:
            return None
        if changes and isinstance(entry, dict) and "changes" not in entry:
            stored = self.stored_changes.get(key, _MISSING)
            if stored is _MISSING:
                return None  # (a changes file lost or of another generation: read again)
            entry = {**entry, "changes": stored}
        try:
            return migration_from_json(entry, path, key, ops, changes=changes)
        except DAMAGE:
            self._forget(key)
            return None

    @property
    def stored_changes(self) -> dict[str, Any]:
        """The schema changes of the facts file's entries (those of the journal are
        inline), when the changes file is of the same generation."""
        if self._changes is None:
            self.facts  # noqa: B018 (the generation to match)
            document = self._read(self.changes_path)
            changes = document.get("changes")
            current = self._generation and document.get("generation") == self._generation
            self._changes = changes if current and isinstance(changes, dict) else {}
        return self._changes

    def view(self, migration: Migration) -> str:
        """A hash of what the graph rules read of a file (see checking.graph_key)."""
        entry = self.facts.get(migration.digest) if migration.digest else None
        view = entry.get("view") if isinstance(entry, dict) else None
        return view if isinstance(view, str) else view_hash(migration)

    def put_migration(self, key: str, migration: Migration) -> None:
        entry, ops = migration_to_json(migration)
        entry["view"] = view_hash(migration)
        self.facts[key] = entry
        self.facts_dirty = True
        self._changed.add(key)
        self._new_ops[key] = ops
        if self._ops is not None:
            self._ops[key] = ops
        self.ops_dirty = True

    def put_spans(self, key: str, spans: Sequence[int]) -> None:
        entry = self.facts.get(key)
        if not isinstance(entry, dict) or not spans:
            return
        try:
            variables, syntax, known, _ = json.loads(entry["facts"])
        except DAMAGE:
            return
        if known != list(spans):
            entry["facts"] = facts_json(variables, syntax, spans, "")
            self.facts_dirty = True
            self._changed.add(key)

    def put_findings(self, key: str, rules_key: str, found: Sequence[Diagnostic]) -> None:
        entry = self.facts.get(key)
        if not isinstance(entry, dict) or any(d.fix is not None for d in found):
            return
        entry["local"] = [rules_key, [diagnostic_to_json(d, path=False) for d in found]]
        self.facts_dirty = True
        self._changed.add(key)

    def _forget(self, key: str) -> None:
        self.facts.pop(key, None)
        self.facts_dirty = True
        self._rewrite = True
        if self._ops is not None:
            self._ops.pop(key, None)
            self.ops_dirty = True

    # -- file stats: a file whose stat is unchanged need not be read to be hashed

    @property
    def stats(self) -> dict[str, Any]:
        if self._stats is None:
            stats = self._read(self.stats_path).get("stats")
            self._stats = stats if isinstance(stats, dict) else {}
        return self._stats

    def digest_of(self, path: str, read: Callable[[str], bytes]) -> str:
        """The hash of ``path``'s bytes: the one recorded with its stat when that is
        unchanged, else read (and recorded)."""
        stat = self.stat_of(path)
        known = self.known_digest(path, stat)
        if known is not None:
            return known
        found = digest(read(path))
        self.put_digest(path, stat, found)
        return found

    @staticmethod
    def stat_of(path: str) -> list[int]:
        # What the file holds matters as much as if it had been read: a replay of this run
        # must check it the way it checks the files that were.
        info = replay.stat_content(path)
        return [info.st_mtime_ns, info.st_ctime_ns, info.st_size, info.st_ino]

    def known_digest(self, path: str, stat: list[int]) -> str | None:
        """The hash recorded for ``path`` when its stat is still the one recorded with it."""
        entry = self.stats.get(path)
        if isinstance(entry, list) and len(entry) == 5 and entry[:4] == stat:
            digest = entry[4]
            return digest if isinstance(digest, str) else None
        return None

    def put_digest(self, path: str, stat: list[int], digest: str) -> None:
        """Record a file's hash with its stat, unless the file is too recent to tell a later
        change by its stat (file-system clocks are coarse; see replay.RACY_NS)."""
        if max(stat[0], stat[1]) > time.time_ns() - RACY_NS:
            return
        if self.stats.get(path) != [*stat, digest]:
            self.stats[path] = [*stat, digest]
            self.stats_dirty = True

    # -- whole-run result

    def diagnostics(self, key: str) -> list[Diagnostic] | None:
        found = self._keyed(self.result_path, key)
        if not isinstance(found, list):
            return None
        try:
            return [diagnostic_from_json(d) for d in found]
        except DAMAGE:
            return None  # another shape: a miss

    def put_diagnostics(self, key: str, diagnostics: Sequence[Diagnostic]) -> None:
        self.result = _keyed_json(key, diagnostics)
        self.result_dirty = True

    # -- the graph rules' findings (see checking.graph_key)

    def graph_diagnostics(self, key: str) -> tuple[list[Diagnostic], dict[str, str]] | None:
        """The graph rules' findings under ``key``, with the positions they had when
        stored and, by path, the digest of the bytes those positions in the file were
        worked out on (a file missing there has none that hold)."""
        found = self._keyed(self.graph_path, key)
        if not (isinstance(found, list) and len(found) == 2):
            return None
        listed, at = found
        if not (isinstance(listed, list) and isinstance(at, dict)):
            return None
        if not all(type(v) is str for v in at.values()):
            return None
        try:
            return [diagnostic_from_json(d) for d in listed], at
        except DAMAGE:
            return None

    def _keyed(self, path: str, key: str) -> Any:
        """The JSON a file holds under ``key``, else None. The key is on a line of its own
        after the seal: a run whose key changed need neither check the seal nor decode
        what follows it."""
        data = sealed.read_raw(path) if self.usable else None
        if data is None:
            return None
        start = sealed.SEAL_HEX + 1
        if data[start : data.find(b"\n", start)] != _head(key):
            return None
        payload = sealed.unseal(os.path.basename(path), data)
        if payload is None:
            return None
        try:
            return json.loads(payload[payload.index(b"\n") + 1 :])
        except DAMAGE:
            return None  # truncated or not JSON: a miss

    def put_graph_diagnostics(
        self, key: str, diagnostics: Sequence[Diagnostic], at: Mapping[str, str]
    ) -> None:
        found = [diagnostic_to_json(d) for d in diagnostics]
        text = json.dumps([found, dict(at)], separators=(",", ":"))
        self.graph = f"{_head(key).decode('utf-8')}\n{text}"
        self.graph_dirty = True

    def save(self, keep: Iterable[str], paths: Iterable[str] = ()) -> None:
        """Write atomically, keeping only the facts of ``keep`` (digests) and the stats of
        ``paths``, the files that still exist.

        The ops file is rewritten only when this run read it anyway (changed settings) or
        read many files itself (a cold run): a run that re-read a few edited files leaves
        it alone, and those files are parsed again in the rare run that needs them."""
        wanted = set(keep)
        files = set(paths)
        facts = self.facts if self._facts is not None else {}
        prune = self._facts is not None and not set(facts) <= wanted
        if not (self.usable and sealed.prepare(self.directory)):
            return  # a link, a file or nothing writable there: lint without a cache
        try:
            if self.facts_dirty or prune:
                self._save_facts(facts, wanted)
            if (
                self._ops is None
                and self._new_ops
                and (len(self._new_ops) > BULK or not os.path.exists(self.ops_path))
            ):
                self.ops  # noqa: B018 (loads the file, merging this run's new entries)
            if self._ops is not None and (self.ops_dirty or not set(self._ops) <= wanted):
                kept = {k: v for k, v in self._ops.items() if k in wanted}
                document = {"stamp": STAMP, "ops": kept}
                _atomic_write(self.ops_path, json.dumps(document, separators=(",", ":")))
            if self._stats is not None and (self.stats_dirty or not set(self._stats) <= files):
                kept = {k: v for k, v in self._stats.items() if k in files}
                document = {"stamp": STAMP, "stats": kept}
                _atomic_write(self.stats_path, json.dumps(document, separators=(",", ":")))
            if self.result_dirty:
                _atomic_write(self.result_path, self.result)
            if self.graph_dirty:
                _atomic_write(self.graph_path, self.graph)
        except OSError:
            pass  # a read-only checkout still lints; it just does not get faster

    def _save_facts(self, facts: dict[str, Any], wanted: set[str]) -> None:
        journal = {k: facts[k] for k in self._journal | self._changed if k in facts and k in wanted}
        if self._generation and not self._rewrite and len(journal) <= JOURNAL_MAX:
            # Entries of files that went stay until the next full rewrite: harmless.
            document = {"stamp": STAMP, "generation": self._generation, "facts": journal}
            _atomic_write(self.journal_path, json.dumps(document, separators=(",", ":")))
            return
        kept = {k: v for k, v in facts.items() if k in wanted}
        # Each entry's changes go to the changes file: inline (read or put by this run),
        # else from the changes file that went with the facts file so far.
        inline = all("changes" in v for v in kept.values() if isinstance(v, dict))
        stored = {} if inline else self.stored_changes
        changes: dict[str, Any] = {}
        for k, v in list(kept.items()):
            if isinstance(v, dict) and "changes" in v:
                changes[k] = v["changes"]
                kept[k] = {f: x for f, x in v.items() if f != "changes"}
            elif k in stored:
                changes[k] = stored[k]
            else:
                del kept[k]  # its changes are lost: a miss, read again when next needed
        generation = os.urandom(8).hex()
        # The changes first: a facts file never names a generation whose changes were
        # not written (a run killed in between leaves a changes file nothing matches).
        document = {"stamp": STAMP, "generation": generation, "changes": changes}
        _atomic_write(self.changes_path, json.dumps(document, separators=(",", ":")))
        document = {"stamp": STAMP, "generation": generation, "facts": kept}
        _atomic_write(self.facts_path, json.dumps(document, separators=(",", ":")))
        self._changes = changes
        with contextlib.suppress(OSError):
            os.unlink(self.journal_path)


#: No entry (a JSON null is an entry: a file whose changes are not known).
_MISSING = object()


def _head(key: str) -> bytes:
    return json.dumps({"stamp": STAMP, "key": key}).encode("utf-8")


def _keyed_json(key: str, diagnostics: Sequence[Diagnostic]) -> str:
    found = json.dumps([diagnostic_to_json(d) for d in diagnostics], separators=(",", ":"))
    return f"{_head(key).decode('utf-8')}\n{found}"


def _atomic_write(path: str, text: str) -> None:
    sealed.write(path, text.encode("utf-8"))
