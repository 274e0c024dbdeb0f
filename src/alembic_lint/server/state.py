"""What the language server knows: the workspace's histories, the editor's unsaved buffers,
each file's facts and findings, kept in memory and worked out again per changed file."""

from __future__ import annotations

import io
import os
import tokenize
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from alembic_lint import checking, config, dialects, discover, engine
from alembic_lint.baseline import Entry, Statements
from alembic_lint.config import Settings
from alembic_lint.diagnostics import Diagnostic, Related
from alembic_lint.dialects import Target
from alembic_lint.discover import HistorySpec
from alembic_lint.graph import RevisionGraph
from alembic_lint.model import History, Migration
from alembic_lint.rules import Rule, related
from alembic_lint.source import digest, text_of

if TYPE_CHECKING:
    from alembic_lint.schema.replay import Memo

#: The rule whose findings get their fork point as a related place.
MULTIPLE_HEADS = "AL001"


@dataclass(frozen=True, slots=True)
class Known:
    """One file as last read: its revision facts and its file rules' findings."""

    #: Pared facts (revision variables, suppression comments, positions): what the graph
    #: rules and the placing of their findings read.
    migration: Migration
    #: The file rules' findings, placed (file findings depend on the file alone).
    local: tuple[Diagnostic, ...]
    digest: str
    message: str  # the docstring's first line
    #: Pure ASCII: a column in code points is a column in any client's units.
    ascii: bool


@dataclass(eq=False)
class Tracked:
    """One history: its files in Alembic's load order, what is known of each, its findings."""

    spec: HistorySpec
    project: Project
    disk: list[str]  # the revision files listed on disk, load order
    #: The target database as settings and the ini give it (see dialects.py); when not
    #: settled there, the files decide, and ``dialect`` is what they decided last.
    target: Target | None = None
    dialect: str | None = None
    files: list[str] = field(default_factory=list)  # disk plus unsaved new buffers
    known: dict[str, Known] = field(default_factory=dict)
    findings: dict[str, list[Diagnostic]] = field(default_factory=dict)
    #: Worked out from the files as they are now, forgotten when one changes.
    forks: dict[frozenset[str], list[Related]] = field(default_factory=dict)
    _graph: RevisionGraph | None = None
    _node_of: dict[str, int] | None = None
    #: The schema model's steps (a schema.replay.Memo), kept from one check to the next:
    #: an edit replays only the revisions it changed and those above them.
    schema_memo: Memo | None = None
    _listed: frozenset[str] | None = None

    def rules(self) -> list[Rule]:
        """The project's rules, judging for this history's database (as the CLI's)."""
        return [rule.for_dialect(self.dialect) for rule in self.project.rules]

    def history(self) -> History:
        migrations = tuple(self.known[p].migration for p in self.files)
        return History(self.spec.name, migrations, tuple(str(x) for x in self.spec.locations))

    def graph(self) -> RevisionGraph:
        """The revision graph of the files as they are now (built once per change)."""
        if self._graph is None:
            from alembic_lint import graph

            self._graph = graph.build(self.history())
        return self._graph

    def listed(self) -> frozenset[str]:
        """The files on disk, as a set (kept until :meth:`set_disk` changes them)."""
        if self._listed is None:
            self._listed = frozenset(self.disk)
        return self._listed

    def set_disk(self, files: list[str]) -> None:
        self.disk = files
        self._listed = None

    def node_of(self) -> dict[str, int]:
        """Each file's node in :meth:`graph`."""
        if self._node_of is None:
            self._node_of = {m.path: n for n, m in enumerate(self.graph().migrations)}
        return self._node_of

    def forget(self) -> None:
        """The files changed: what was worked out from them no longer holds."""
        self._graph = self._node_of = None
        self.forks = {}

    def memo(self) -> Memo | None:
        """The schema model's memo of this history (made when a rule reads the model)."""
        if self.schema_memo is None and any(r.schema for r in self.project.rules):
            from alembic_lint.schema import replay

            self.schema_memo = replay.Memo()
        return self.schema_memo

    def holds(self, path: str) -> bool:
        return path in self.known

    def may_hold(self, path: str) -> bool:
        return path in self.known or discover.would_load(self.spec, Path(path))


@dataclass(eq=False)
class Project:
    """A workspace folder: its settings, the rules they select, its histories."""

    folder: Path
    settings: Settings
    rules: list[Rule]
    histories: list[Tracked] = field(default_factory=list)
    problem: str | None = None  # why it has no histories (bad settings, nothing found)
    #: The problem is one the user must see (bad settings), not just "nothing here".
    serious: bool = False
    warnings: list[str] = field(default_factory=list)  # configs found that cannot be read


def encoded(text: str) -> bytes:
    """The bytes an editor would save for ``text``: in the encoding its coding cookie
    declares (PEP 263), else UTF-8, so that the engine decodes them back to ``text``."""
    data = text.encode("utf-8", "surrogatepass")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError:
        return data  # a broken cookie: the engine reports it (AL100)
    if encoding in ("utf-8", "utf-8-sig"):
        return data
    try:
        return text.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return data  # not savable as declared: the engine reports the decoding problem


def read_file(path: str, data: bytes, file_rules: Sequence[Rule]) -> Known:
    """Facts and file findings of one file: CPython's ast reader, LibCST where it cannot
    read the file (the engine's two readers, which give the same facts)."""
    from alembic_lint import astread

    migration = astread.read_migration_fast(path, data)
    if migration is None:
        from alembic_lint import parse

        migration = parse.read_migration(path, data)
    if migration.spans is None:
        from alembic_lint import parse

        migration = parse.resolve_spans(migration, data)
    return _known(migration, data, file_rules)


def full_facts(path: str, data: bytes) -> Migration:
    """Every fact of one file, placed (for navigation and fixes: headers, operations)."""
    from alembic_lint import astread, parse

    migration = astread.read_migration_fast(path, data) or parse.read_migration(path, data)
    return parse.resolve_spans(migration, data) if migration.spans is None else migration


def _known(migration: Migration, data: bytes, file_rules: Sequence[Rule]) -> Known:
    found = tuple(checking.file_findings(migration, file_rules))
    return Known(checking.pared(migration), found, digest(data), migration.message, data.isascii())


def _unreadable(path: str, exc: OSError, file_rules: Sequence[Rule]) -> Known:
    migration = engine.unreadable(path, exc)
    found = tuple(checking.file_findings(migration, file_rules))
    return Known(migration, found, "", "", True)


class State:
    """The workspace: folders, settings, histories, buffers; :meth:`flush` brings the
    findings up to date after edits and says which files' findings changed."""

    def __init__(self, config_file: Path | None = None) -> None:
        self.config_file = config_file
        self.folders: list[Path] = []
        self.buffers: dict[str, str] = {}  # open documents, by tracked path
        self.projects: list[Project] = []
        self.dirty: set[str] = set()
        self._index: dict[str, list[Tracked]] = {}  # tracked path -> its histories
        self._real: dict[str, str] = {}  # resolved path -> tracked path
        self._full: dict[str, tuple[str, Migration]] = {}  # path -> (digest, all facts)
        self._baselines: dict[str, tuple[tuple[int, int, int], list[Entry]]] = {}
        #: The statements baseline entries are matched by (see baseline.Statements).
        self._statements = Statements(self._read_text)

    # -- reading

    def read(self, path: str) -> bytes:
        """The engine's reader: the editor's buffer when the file is open, else the disk (a
        buffer too large to analyse is bounded where bytes are parsed, as any reader's)."""
        text = self.buffers.get(path)
        if text is not None:
            return encoded(text)
        return checking.read_bytes(path)

    def text(self, path: str) -> str:
        """The text of a file as the client sees it (its buffer, else the disk)."""
        text = self.buffers.get(path)
        if text is not None:
            return text
        try:
            return text_of(checking.read_bytes(path))
        except OSError:
            return ""

    def full(self, path: str) -> Migration | None:
        """All the facts of a tracked file as it is now (kept for the last version read)."""
        try:
            data = self.read(path)
        except OSError:
            return None
        key = digest(data)
        kept = self._full.get(path)
        if kept is not None and kept[0] == key:
            return kept[1]
        migration = full_facts(path, data)
        if len(self._full) > 64:
            self._full.clear()
        self._full[path] = (key, migration)
        return migration

    def canonical(self, path: str) -> str:
        """The tracked name of ``path`` (an editor may reach a file through a symlink)."""
        path = os.path.abspath(path)
        if path in self._index:
            return path
        return self._real.get(os.path.realpath(path), path)

    # -- loading

    def load(self) -> list[Project]:
        """Find every history of the workspace folders and read every file; returns the
        projects that have a problem (settings that do not load, no history found) or
        warnings (a config found below a folder that cannot be read)."""
        self.projects, self._index, self._real = [], {}, {}
        self._full.clear()
        self._statements = Statements(self._read_text)
        self.dirty.clear()
        seen: set[frozenset[Path]] = set()
        problems: list[Project] = []
        for folder in self.folders:
            project = self._project(folder)
            self.projects.append(project)
            if project.problem is not None or project.warnings:
                problems.append(project)
            if project.problem is not None:
                continue
            for tracked in project.histories:
                key = frozenset(p.resolve() for p in tracked.spec.locations)
                if key in seen:  # two folders reaching the same history: checked once
                    continue
                seen.add(key)
                self._read_all(tracked)
                self._check(tracked)
        return problems

    def _project(self, folder: Path) -> Project:
        from alembic_lint.alembic_versions import target_version

        try:
            settings = config.load(self.config_file or config.find(folder))
            chosen = config.select_rules([settings.file_layer])
        except config.ConfigError as exc:
            return Project(folder, Settings(root=folder), [], problem=str(exc), serious=True)
        targets = [str(settings.root / p) for p in settings.paths]
        warnings: list[str] = []
        try:
            specs = discover.discover(targets, cwd=folder, warn=warnings.append)
        except discover.DiscoveryError as exc:
            # A config that Alembic could not load is for the user to fix (the CLI stops
            # on it); a folder without Alembic, or gone, is nothing to worry about.
            serious = not isinstance(exc, discover.NoHistory) and folder.is_dir()
            return Project(folder, settings, [], problem=f"{folder}: {exc}", serious=serious)
        target, _ = target_version(settings, specs, folder)
        rules = [cls(settings.rule_options.get(cls.name), alembic=target) for cls in chosen]
        project = Project(folder, settings, rules, warnings=warnings)
        for spec in specs:
            config_file = str(spec.config) if spec.config is not None else None
            url = spec.sqlalchemy_url
            database = dialects.configured(settings.dialect, settings.where(), url, config_file)
            tracked = Tracked(spec, project, [os.path.abspath(f) for f in spec.files], database)
            tracked.dialect = database.name
            project.histories.append(tracked)
        return project

    def histories(self) -> list[Tracked]:
        found: dict[int, Tracked] = {}
        for trackeds in self._index.values():
            for tracked in trackeds:
                found.setdefault(id(tracked), tracked)
        return list(found.values())

    def _file_rules(self, tracked: Tracked) -> list[Rule]:
        return [r for r in tracked.rules() if not r.graph]

    def _read_all(self, tracked: Tracked) -> None:
        tracked.files = self._members(tracked)
        rules = self._file_rules(tracked)
        for path in tracked.files:
            tracked.known[path] = self._read_one(path, rules)
            self._enter(path, tracked)
        self._settle(tracked)

    def _settle(self, tracked: Tracked) -> bool:
        """Decide the history's database from its files when nothing else does; when that
        changes, judge every file again (a file's findings depend on it). Whether it did."""
        target = tracked.target
        if target is None or target.settled:
            return False
        evidence = (known.migration.dialects for known in tracked.known.values())
        decided = dialects.from_files(target, evidence).name
        if decided == tracked.dialect:
            return False
        tracked.dialect = decided
        rules = self._file_rules(tracked)
        for path in tracked.files:
            tracked.known[path] = self._read_one(path, rules)
        return True

    def _read_one(self, path: str, rules: Sequence[Rule]) -> Known:
        try:
            data = self.read(path)
        except OSError as exc:
            return _unreadable(path, exc, rules)
        return read_file(path, data, rules)

    def _enter(self, path: str, tracked: Tracked) -> None:
        owners = self._index.setdefault(path, [])
        if tracked not in owners:
            owners.append(tracked)
        self._real[os.path.realpath(path)] = path

    def _leave(self, path: str, tracked: Tracked) -> None:
        owners = self._index.get(path, [])
        if tracked in owners:
            owners.remove(tracked)
        if not owners:
            self._index.pop(path, None)
            self._real.pop(os.path.realpath(path), None)
            self._statements.forget(path)

    def _members(self, tracked: Tracked) -> list[str]:
        """The files of a history: those on disk, and new files open in the editor that
        Alembic would load once saved, each where Alembic would load it."""
        listed = tracked.listed()
        new = [
            p
            for p in sorted(self.buffers)
            if p not in listed and discover.would_load(tracked.spec, Path(p))
        ]
        files = list(tracked.disk)
        for path in new:
            files.insert(discover.load_position(files, path), path)
        return files

    # -- changes

    def opened(self, path: str, text: str) -> str:
        path = self.canonical(path)
        self.buffers[path] = text
        self.dirty.add(path)
        return path

    def closed(self, path: str) -> str:
        path = self.canonical(path)
        self.buffers.pop(path, None)
        self.dirty.add(path)
        return path

    def touched(self, path: str) -> str:
        """A file changed on disk (saved, or changed by another program)."""
        path = self.canonical(path)
        self.dirty.add(path)
        return path

    def relist(self) -> None:
        """Files were created or deleted on disk: list every history's files again."""
        for tracked in self.histories():
            spec = tracked.spec
            listed = discover.list_version_files(
                spec.locations, recursive=spec.recursive, sourceless=spec.sourceless
            )
            tracked.set_disk([os.path.abspath(f) for f in listed])
            self.dirty.update(tracked.files)
            self.dirty.update(tracked.disk)

    def flush(self) -> set[str]:
        """Read again the files marked dirty, check their histories again; returns the
        paths whose findings (or whose text, hence positions) changed."""
        dirty, self.dirty = self.dirty, set()
        if not dirty:
            return set()
        changed: set[str] = set()
        for tracked in self.histories():
            rewritten = self._update(tracked, dirty)
            if rewritten is None:
                continue
            before = tracked.findings
            self._check(tracked)
            after = tracked.findings
            for path in set(before) | set(after):
                if path in rewritten or _differ(before.get(path, []), after.get(path, [])):
                    changed.add(path)
        return changed

    def _update(self, tracked: Tracked, dirty: set[str]) -> set[str] | None:
        """Bring ``tracked``'s files up to date with ``dirty``: None when nothing changed,
        else the paths whose content changed (their positions may have moved)."""
        if not any(tracked.may_hold(p) for p in dirty):
            return None
        files = self._members(tracked)
        changed = files != tracked.files
        rewritten: set[str] = set()
        for path in set(tracked.files) - set(files):
            del tracked.known[path]
            self._leave(path, tracked)
        tracked.files = files
        rules = self._file_rules(tracked)
        for path in list(files):
            if path in tracked.known and path not in dirty:
                continue
            try:
                data = self.read(path)
            except FileNotFoundError:
                if path in tracked.disk:  # deleted behind our back: gone from the history
                    tracked.set_disk([p for p in tracked.disk if p != path])
                    tracked.files.remove(path)
                    tracked.known.pop(path, None)
                    self._leave(path, tracked)
                    changed = True
                continue
            except OSError as exc:
                tracked.known[path] = _unreadable(path, exc, rules)
            else:
                old = tracked.known.get(path)
                if old is not None and old.digest == digest(data):
                    continue
                tracked.known[path] = read_file(path, data, rules)
            self._enter(path, tracked)
            rewritten.add(path)
            changed = True
        if changed and self._settle(tracked):
            rewritten.update(tracked.files)  # every finding may read differently now
        return rewritten if changed else None

    def _check(self, tracked: Tracked) -> None:
        """The history's findings, per file, from the known facts and file findings: the
        graph rules run again, the file rules' findings are reused (engine.check_history)."""
        project = tracked.project
        settings = project.settings
        files = tracked.files
        excluded = [p for p in files if config.is_excluded(settings, p)] if settings.exclude else []
        tracked.forget()
        built: list[RevisionGraph] = []
        history = tracked.history()
        found = checking.check_history(
            history,
            tracked.rules(),
            reader=self.read,
            settings=settings,
            exclude=excluded,
            local={p: tracked.known[p].local for p in files},
            built=built,
            schema_memo=tracked.memo(),
        )
        if built and built[0].history == history:  # the graph of every file (none excluded)
            tracked._graph = built[0]
        found = self._baseline(project, found)
        by_path: dict[str, list[Diagnostic]] = {p: [] for p in files}
        for diagnostic in found:
            by_path.setdefault(diagnostic.location.path, []).append(diagnostic)
        tracked.findings = by_path

    # -- questions

    def owner(self, path: str) -> Tracked | None:
        owners = self._index.get(self.canonical(path))
        return owners[0] if owners else None

    def findings(self, path: str) -> list[Diagnostic]:
        tracked = self.owner(path)
        return tracked.findings.get(self.canonical(path), []) if tracked is not None else []

    def is_ascii(self, path: str) -> bool:
        """Whether the file's text is ASCII (then no text is needed to convert columns)."""
        if path in self.buffers:
            return self.buffers[path].isascii()
        tracked = self.owner(path)
        known = tracked.known.get(path) if tracked is not None else None
        return known is not None and known.ascii

    def statements_kept(self) -> int:
        return self._statements.kept()

    def all_paths(self) -> Iterable[str]:
        return self._index.keys()

    def baselines(self) -> list[str]:
        """The baseline files of the projects (their findings depend on them)."""
        return [
            os.path.abspath(p.settings.root / p.settings.baseline)
            for p in self.projects
            if p.settings.baseline is not None
        ]

    def is_baseline(self, path: str) -> bool:
        return os.path.abspath(path) in self.baselines()

    def _baseline(self, project: Project, found: list[Diagnostic]) -> list[Diagnostic]:
        """Hold back the findings the project's baseline records, as the CLI does (the
        file is read again only when its stat changes)."""
        settings = project.settings
        if settings.baseline is None:
            return found
        from alembic_lint import baseline

        path = os.path.abspath(settings.root / settings.baseline)
        try:
            info = os.stat(path)
            stamp = (info.st_mtime_ns, info.st_size, info.st_ino)
            kept = self._baselines.get(path)
            if kept is None or kept[0] != stamp:
                kept = self._baselines[path] = (stamp, baseline.read(path))
        except (OSError, baseline.BaselineError):
            return found  # the CLI says what is wrong; the editor shows every finding
        never = {r.code for r in project.rules if r.graph}
        held, _, _ = baseline.apply(
            found, self._statements(found), kept[1], str(settings.root), never
        )
        return held

    def _read_text(self, path: str) -> str | None:
        try:
            return text_of(self.read(path))
        except OSError:
            return None

    def fork_points(self, tracked: Tracked, finding: Diagnostic) -> list[Related]:
        """For a multiple-heads finding, where its heads diverge (their nearest common
        ancestors), as places to show beside the other heads."""
        if finding.code != MULTIPLE_HEADS or finding.location.path not in tracked.known:
            return []
        paths = frozenset([finding.location.path, *(r.location.path for r in finding.related)])
        found = tracked.forks.get(paths)
        if found is not None:  # each head of a fork asks the same question
            return found
        graph = tracked.graph()
        node_of = tracked.node_of()
        nodes = [node_of[p] for p in paths if p in node_of and node_of[p] in graph.dag]
        rooted = [n for n in nodes if graph.ancestors(n)]
        found = []
        for node in graph.nearest_common_ancestors(rooted) if len(rooted) > 1 else []:
            migration = graph.migrations[node]
            name = f"{graph.id_of(node)} ({migration.filename})"
            found.append(related(migration, migration.revision.ref, f"fork point {name}"))
        tracked.forks[paths] = found
        return found


def _differ(before: list[Diagnostic], after: list[Diagnostic]) -> bool:
    """Whether two lists of findings would show differently (places, messages, related)."""
    if before != after:
        return True
    pairs = zip(before, after, strict=True)
    return any(a.related != b.related or a.severity != b.severity for a, b in pairs)


__all__ = ["Known", "Project", "Related", "State", "Tracked", "encoded", "read_file"]
