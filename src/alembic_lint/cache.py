"""A persistent cache of per-file facts (by content hash) and of whole-run results.

JSON, never pickle: the cache lives in the project directory, and loading it must not be
able to run code. Anything unexpected in it is a miss; writes are atomic replaces.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from alembic_lint import __version__, replay, runtime
from alembic_lint.atomic import write_atomic
from alembic_lint.diagnostics import Diagnostic, Location, Related, Severity
from alembic_lint.model import (
    REVISION_VARS,
    Binding,
    Body,
    Element,
    Function,
    Header,
    Migration,
    OpCall,
    Status,
    Suppression,
    SyntaxProblem,
)
from alembic_lint.source import digest as digest

#: Bump when extraction or the stored shape changes: old entries then simply miss.
SCHEMA = 8
#: Another alembic-lint, schema, Python or library (see runtime.py) reads another cache.
STAMP = (
    f"alembic-lint {__version__} cache {SCHEMA} "
    + hashlib.blake2b(repr(runtime.libraries()).encode(), digest_size=8).hexdigest()
)
DIRNAME = ".alembic-lint-cache"
#: More new files than this in one run: their operations are worth rewriting the ops file.
BULK = 8
#: Files modified this recently (ns) are not known by their stat: a later change within
#: the same tick of a coarse file-system clock would keep it.
RACY_NS = 2_000_000_000
#: Changed entries the facts journal holds before the facts file is rewritten with them.
JOURNAL_MAX = 64
ENV = "ALEMBIC_LINT_CACHE_DIR"


def fingerprint(*parts: object) -> str:
    """A stable key for anything JSON can express (settings, file lists...)."""
    text = json.dumps(parts, sort_keys=True, default=repr)
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


class Cache:
    """One history's cache, in files that a run reads only as far as it needs:

    - ``history-*.json``: per file digest, what every run needs (revision variables,
      syntax problem, suppressions, positions) and the file rules' findings on the file;
    - ``ops-*.json``: per file digest, operations, functions and the docstring header,
      read only when a file rule must run on a file whose findings are not cached;
    - ``graph-*.json``: the graph rules' findings (see checking.graph_key);
    - ``result-*.json``: the whole run's findings, for a run where nothing changed.
    """

    def __init__(self, directory: str, history_key: str) -> None:
        self.directory = directory
        self.facts_path = os.path.join(directory, f"history-{history_key}.json")
        self.ops_path = os.path.join(directory, f"ops-{history_key}.json")
        self.result_path = os.path.join(directory, f"result-{history_key}.json")
        self.graph_path = os.path.join(directory, f"graph-{history_key}.json")
        self.graph: dict[str, Any] = {}
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
        self.result: dict[str, Any] = {}
        self.facts_dirty = False
        self.ops_dirty = False
        self.result_dirty = False

    @staticmethod
    def _read(path: str) -> dict[str, Any]:
        try:
            with open(path, encoding="utf-8") as handle:
                document = json.load(handle)
        except (OSError, ValueError, RecursionError):
            return {}  # missing, truncated or not JSON: start empty, rewrite on save
        if not isinstance(document, dict) or document.get("stamp") != STAMP:
            return {}  # another version's (or a foreign) file
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
        entry = self.facts.get(key)
        ops = self.ops.get(key)
        if entry is None or ops is None:
            return None
        try:
            return migration_from_json(entry, path, key, ops)
        except (KeyError, TypeError, ValueError, IndexError, AttributeError):
            self._forget(key)
            return None

    def stub(
        self, key: str, path: str, rules_key: str, *, wanted: bool
    ) -> tuple[Migration, list[Diagnostic]] | None:
        """For an unchanged file: a stand-in that carries only its path, digest and
        suppression comments, with the file rules' findings on it (``wanted=False``: none,
        the run reports on other files), when the cache holds those findings (under
        ``rules_key``) and the file's graph view; :meth:`light` gives the real facts if the
        run needs them after all (see checking.check_history)."""
        entry = self.facts.get(key)
        if entry is None or not isinstance(entry.get("view"), str):
            return None
        local = entry.get("local")
        if not isinstance(local, list) or len(local) != 2 or local[0] != rules_key:
            return None
        try:
            found = [diagnostic_from_json(d, path) for d in local[1]] if wanted else []
            noqa = tuple(_suppression(s) for s in entry["noqa"])
            file_ignores = tuple(_suppression(s) for s in entry["file_ignores"])
        except (KeyError, TypeError, ValueError, IndexError, AttributeError):
            self._forget(key)
            return None
        stub = Migration(
            path=path,
            filename=os.path.basename(path),
            revision=_STUB.revision,
            down_revision=_STUB.down_revision,
            branch_labels=_STUB.branch_labels,
            depends_on=_STUB.depends_on,
            noqa=noqa,
            file_ignores=file_ignores,
            digest=key,
        )
        return stub, found

    def light(self, key: str, path: str) -> Migration | None:
        """A file's facts without operations (what a stand-in stands for)."""
        entry = self.facts.get(key)
        if entry is None:
            return None
        try:
            return migration_from_json(entry, path, key, None)
        except (KeyError, TypeError, ValueError, IndexError, AttributeError):
            self._forget(key)
            return None

    def view(self, migration: Migration) -> str:
        """A hash of what the graph rules read of a file (see checking.graph_key)."""
        entry = self.facts.get(migration.digest) if migration.digest else None
        view = entry.get("view") if entry is not None else None
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

    def put_spans(self, key: str, spans: tuple[int, ...]) -> None:
        entry = self.facts.get(key)
        if entry is not None and spans and entry.get("spans") != list(spans):
            entry["spans"] = list(spans)
            entry["locators"] = ""
            self.facts_dirty = True
            self._changed.add(key)

    def put_findings(self, key: str, rules_key: str, found: Sequence[Diagnostic]) -> None:
        entry = self.facts.get(key)
        if entry is None or any(d.fix is not None for d in found):
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

    @staticmethod
    def stat_of(path: str) -> list[int]:
        info = os.stat(path)
        # What the file holds matters as much as if it had been read: a replay of this run
        # must check it the way it checks the files that were.
        replay.depends_on(path)
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
        return self._keyed(self.result_path, key)

    def put_diagnostics(self, key: str, diagnostics: Sequence[Diagnostic]) -> None:
        self.result = {"key": key, "diagnostics": [diagnostic_to_json(d) for d in diagnostics]}
        self.result_dirty = True

    # -- the graph rules' findings (see checking.graph_key)

    def graph_diagnostics(self, key: str) -> list[Diagnostic] | None:
        return self._keyed(self.graph_path, key)

    def _keyed(self, path: str, key: str) -> list[Diagnostic] | None:
        """The findings a file holds under ``key``, else None."""
        document = self._read(path)
        if document.get("key") != key:
            return None
        try:
            return [diagnostic_from_json(d) for d in document["diagnostics"]]
        except (KeyError, TypeError, ValueError, IndexError, AttributeError):
            return None

    def put_graph_diagnostics(self, key: str, diagnostics: Sequence[Diagnostic]) -> None:
        self.graph = {"key": key, "diagnostics": [diagnostic_to_json(d) for d in diagnostics]}
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
        try:
            os.makedirs(self.directory, exist_ok=True)
            ignore = os.path.join(self.directory, ".gitignore")
            if not os.path.exists(ignore):
                _atomic_write(ignore, "# Created by alembic-lint.\n*\n")
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
                document = {"stamp": STAMP, **self.result}
                _atomic_write(self.result_path, json.dumps(document, separators=(",", ":")))
            if self.graph_dirty:
                document = {"stamp": STAMP, **self.graph}
                _atomic_write(self.graph_path, json.dumps(document, separators=(",", ":")))
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
        document = {"stamp": STAMP, "generation": os.urandom(8).hex(), "facts": kept}
        _atomic_write(self.facts_path, json.dumps(document, separators=(",", ":")))
        with contextlib.suppress(OSError):
            os.unlink(self.journal_path)


def _atomic_write(path: str, text: str) -> None:
    write_atomic(path, text.encode("utf-8"))


# --------------------------------------------------------------------------- values


def _value_to_json(value: object) -> Any:
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return {"int": str(value)}
    if isinstance(value, float):
        return {"float": repr(value)}
    if isinstance(value, bytes):
        return {"bytes": value.hex()}
    if isinstance(value, tuple):
        return {"tuple": [_value_to_json(v) for v in value]}
    if isinstance(value, list):
        return {"list": [_value_to_json(v) for v in value]}
    if isinstance(value, frozenset):
        return {"set": [_value_to_json(v) for v in value]}
    if value is ...:
        return {"ellipsis": True}
    raise TypeError(f"cannot cache a {type(value).__name__}")


def _value_from_json(data: Any) -> object:
    if data is None or isinstance(data, bool | str):
        return data
    (kind, payload), *rest = data.items()
    if rest:
        raise ValueError("bad value")
    if kind == "int":
        return int(payload)
    if kind == "float":
        return float(payload)
    if kind == "bytes":
        return bytes.fromhex(payload)
    if kind == "tuple":
        return tuple(_value_from_json(v) for v in payload)
    if kind == "list":
        return [_value_from_json(v) for v in payload]
    if kind == "set":
        return frozenset(_value_from_json(v) for v in payload)
    if kind == "ellipsis":
        return ...
    raise ValueError(f"bad value kind {kind!r}")


# --------------------------------------------------------------------------- facts


def _binding_to_json(b: Binding) -> list[Any]:
    return [
        b.name,
        b.status.value,
        _value_to_json(b.value),
        [[_value_to_json(e.value), e.ref] for e in b.elements],
        b.reason,
        b.ref,
    ]


#: See Cache.stub: the placeholders of a stand-in's revision variables.
_STUB = Migration(
    path="",
    filename="",
    revision=Binding("revision", Status.UNRESOLVED, reason="not loaded"),
    down_revision=Binding("down_revision", Status.UNRESOLVED, reason="not loaded"),
    branch_labels=Binding("branch_labels", Status.UNRESOLVED, reason="not loaded"),
    depends_on=Binding("depends_on", Status.UNRESOLVED, reason="not loaded"),
)

# Lookups by value: calling an Enum class is slow enough to show on thousands of entries.
_STATUS = {s.value: s for s in Status}
_SEVERITY = {s.value: s for s in Severity}


#: Bindings without elements recur across files (``branch_labels = None`` at the same ref):
#: they are frozen, so one object serves them all.
_EMPTY_BINDINGS: dict[tuple[object, ...], Binding] = {}


def _binding_from_json(d: list[Any]) -> Binding:
    name, status, value, elements, reason, ref = d
    if elements or not (value is None or isinstance(value, str)):
        return _make_binding(d)
    key = (name, status, value, reason, ref)
    known = _EMPTY_BINDINGS.get(key)
    if known is None:
        known = _EMPTY_BINDINGS[key] = _make_binding(d)
    return known


def _make_binding(d: list[Any]) -> Binding:
    name, status, value, elements, reason, ref = d
    return Binding(
        str(name),
        _STATUS[status],
        _value_from_json(value),
        tuple(Element(_value_from_json(v), int(r)) for v, r in elements),
        str(reason),
        int(ref),
    )


def _suppression(d: list[Any]) -> Suppression:
    line, column, end, codes = d
    return Suppression(int(line), int(column), int(end), None if codes is None else tuple(codes))


def migration_to_json(m: Migration) -> tuple[dict[str, Any], dict[str, Any]]:
    """The facts every run needs, and the operations (see :class:`Cache`)."""
    h = m.header
    entry = {
        "vars": [_binding_to_json(m.var(n)) for n in REVISION_VARS],
        "syntax": None
        if m.syntax_error is None
        else [m.syntax_error.message, m.syntax_error.ref, m.syntax_error.defines_nothing],
        "noqa": [[s.line, s.column, s.end_column, s.codes] for s in m.noqa],
        "file_ignores": [[s.line, s.column, s.end_column, s.codes] for s in m.file_ignores],
        "spans": None if m.spans is None else list(m.spans),
        # Once the spans are known the locators that lead to them are not needed again
        # (they were the largest part of this file).
        "locators": m.locators if m.spans is None else "",
    }
    ops = {
        "header": [h.revision_id, h.revision_id_ref, h.revises, h.revises_ref],
        "functions": [[f.name, f.body.value, list(f.params), f.ref] for f in m.functions],
        "ops": [
            [
                o.name,
                o.function,
                o.batch,
                [[k, _value_to_json(v)] for k, v in o.keywords],
                o.star_kwargs,
                o.sql,
                o.ref,
            ]
            for o in m.ops
        ],
        "message": m.message,
    }
    return entry, ops


def migration_from_json(
    d: Mapping[str, Any], path: str, key: str = "", ops: Mapping[str, Any] | None = None
) -> Migration:
    """Facts from their JSON; without ``ops``, a file's operations, functions and header
    are left empty (only the file rules read them, and their findings are cached)."""
    revision, down, labels, depends = (_binding_from_json(b) for b in d["vars"])
    syntax = d["syntax"]
    spans = d["spans"]
    migration = Migration(
        path=path,
        filename=os.path.basename(path),
        revision=revision,
        down_revision=down,
        branch_labels=labels,
        depends_on=depends,
        syntax_error=None
        if syntax is None
        else SyntaxProblem(str(syntax[0]), int(syntax[1]), bool(syntax[2])),
        noqa=tuple(_suppression(s) for s in d["noqa"]),
        file_ignores=tuple(_suppression(s) for s in d["file_ignores"]),
        spans=None if spans is None else tuple(map(int, spans)),
        # Steps are not checked here: a bad one fails in positions.resolve, which then
        # falls back to LibCST (a cache must never make a wrong answer, only a slower one).
        locators=str(d["locators"]),
        digest=key,
    )
    if ops is None:
        return migration
    return replace(
        migration,
        header=Header(*ops["header"]),
        functions=tuple(
            Function(str(n), Body(b), tuple(p), int(r)) for n, b, p, r in ops["functions"]
        ),
        ops=tuple(
            OpCall(
                name=str(n),
                function=str(f),
                batch=bool(b),
                keywords=tuple((str(k), _value_from_json(v)) for k, v in kw),
                star_kwargs=bool(star),
                sql=sql,
                ref=int(ref),
            )
            for n, f, b, kw, star, sql, ref in ops["ops"]
        ),
        message=str(ops["message"]),
    )


def view_hash(m: Migration) -> str:
    """A hash of what the graph rules read of a file's content: its revision variables
    (with their refs) and syntax problem (its name, which they read too, is keyed apart)."""
    syntax = m.syntax_error
    return fingerprint(
        [_binding_to_json(m.var(n)) for n in REVISION_VARS],
        None if syntax is None else [syntax.message, syntax.ref, syntax.defines_nothing],
    )


# --------------------------------------------------------------------------- diagnostics


def _location_to_json(loc: Location) -> list[Any]:
    return [loc.path, loc.line, loc.column, loc.end_line, loc.end_column, loc.ref]


def _location_from_json(d: list[Any]) -> Location:
    path, line, column, end_line, end_column, ref = d
    return Location(str(path), int(line), int(column), int(end_line), int(end_column), int(ref))


def diagnostic_to_json(d: Diagnostic, *, path: bool = True) -> list[Any]:
    """``path=False`` leaves out the path of the main location (stored under the file)."""
    if d.fix is not None:
        raise TypeError("findings with fixes are not cached")
    location = _location_to_json(d.location)
    return [
        location if path else location[1:],
        d.code,
        d.name,
        d.message,
        d.severity.value,
        [[_location_to_json(r.location), r.message] for r in d.related],
        d.revision,
    ]


def diagnostic_from_json(d: Sequence[Any], path: str | None = None) -> Diagnostic:
    location, code, name, message, severity, related, revision = d
    return Diagnostic(
        location=_location_from_json(location if path is None else [path, *location]),
        code=str(code),
        name=str(name),
        message=str(message),
        severity=_SEVERITY[severity],
        related=tuple(Related(_location_from_json(loc), str(msg)) for loc, msg in related),
        revision=revision if revision is None else str(revision),
    )
