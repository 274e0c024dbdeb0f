"""``--against REV``: the histories as they will be after merging the work tree into REV.

The predicted merge (git/merge.py) is a new source of bytes for the usual engine: its
files are discovered through discover.py (on a file-system view of the merge) and read
through a reader; what the branch changed against the fork point is handed to the rules
as a Branch (branch.py).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from alembic_lint import discover
from alembic_lint.branch import Branch, Commit, Conflict, Edit, Origin
from alembic_lint.discover import HistorySpec
from alembic_lint.git.merge import MERGED, OURS, THEIRS, Merge, Outcome
from alembic_lint.git.process import (
    LOG_FORMAT,
    GitError,
    Repository,
    detect_renames,
    log_records,
    merge_text,
    open_repository,
)
from alembic_lint.git.trees import FILE, MODULE, Index, WorkTree
from alembic_lint.git.trees import Commit as CommitTree
from alembic_lint.git.views import MergedView
from alembic_lint.model import Migration

if TYPE_CHECKING:
    from alembic_lint.diagnostics import Diagnostic
    from alembic_lint.engine import Options
    from alembic_lint.rules import Rule

__all__ = ["GitError", "Predicted", "Prediction", "predict"]

#: Commits on the target since the fork whose added files are looked up for messages.
_LOG_LIMIT = 5000


@dataclass(frozen=True)
class Predicted:
    """One history of the predicted merge, ready for ``engine.lint``."""

    spec: HistorySpec  # files: the merged files (absolute work-tree paths)
    branch: Branch
    #: Paths whose bytes are not the work tree's (the reader gives the merge's).
    virtual: frozenset[str]
    #: What to report on: the files the branch added, changed or deleted.
    only: frozenset[str]
    #: The ``head-file`` setting's file for this history (read from the merge), if any.
    head_file: str | None = None


class Prediction:
    """The work tree merged into ``revision``, worked out lazily; close() when done."""

    def __init__(
        self, repo: Repository, revision: str, target: str, fork: str, where: Path | None = None
    ) -> None:
        self.repo = repo
        self.revision = revision
        self.target = target
        self.fork = fork
        self.merge = Merge(
            CommitTree(repo, fork),
            WorkTree(str(repo.top), repo.object_format, Index(repo)),
            CommitTree(repo, target),
            lambda base, ours, theirs: merge_text(repo, base, ours, theirs),
            here="this branch",
            there=revision,
        )
        self.view = MergedView(str(repo.top), self.merge, _aliases(repo.top, where))

    def close(self) -> None:
        self.repo.close()

    def __enter__(self) -> Prediction:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def reader(self, path: str) -> bytes:
        """The bytes of a file of the merge (engine.Reader)."""
        return self.view.read_bytes(path)

    # ------------------------------------------------------------------ histories

    def histories(
        self,
        paths: Sequence[str],
        section: str | None = None,
        head_file_for: Callable[[Sequence[Path]], str | None] | None = None,
    ) -> list[Predicted]:
        """discover.discover on the merge (configs and version locations as merged).
        ``head_file_for`` gives a history's head file (``Settings.head_file_for``)."""
        specs = discover.discover(paths, section=section, fs=self.view)
        scope = []
        for spec in specs:
            for location in spec.locations:
                scope.append((self._inside(location), spec.recursive))
        if self.merge.follow_renames(scope, detect_renames):
            specs = discover.discover(paths, section=section, fs=self.view)  # renames applied
        return [
            self._predicted(spec, head_file_for(spec.locations) if head_file_for else None)
            for spec in specs
        ]

    def _inside(self, location: Path) -> str:
        """A version location's path in the work tree; GitError when it is elsewhere (its
        merge is not this repository's: its files would be read as they are, and never
        reported on)."""
        top = self.repo.top
        rel = self.view.rel(self.view.realpath(str(location)))
        if rel is None:
            raise GitError(
                f"{location}: not in the git work tree {top}; --against compares one "
                "repository at a time: run it once for each"
            )
        parts = rel.split("/") if rel else []
        for end in range(1, len(parts) + 1):
            outcome = self.merge.outcome("/".join(parts[:end]))
            if outcome is not None and outcome.ours is not None and outcome.ours.kind == MODULE:
                raise GitError(
                    f"{location}: in {top / '/'.join(parts[:end])}, a git repository of "
                    f"its own (a submodule) inside {top}; run --against from inside it"
                )
        return rel

    def _predicted(self, spec: HistorySpec, head_file: str | None) -> Predicted:
        from alembic_lint import cache_json

        origins: dict[str, Origin] = {}
        virtual: set[str] = set()
        conflicts: list[Conflict] = []
        gone = self._deletions(spec, origins, conflicts)
        self._files(spec, gone, origins, virtual, conflicts)
        configured_here = self._configuration(spec, head_file, origins, conflicts)
        base = self._base_facts(origins)
        edits = self._edits(origins, base)
        added_in = self._added_in(
            [p for p, o in origins.items() if o is Origin.ADDED_THERE], spec.locations
        )
        key = cache_json.fingerprint(
            str(self.repo.top),
            self.revision,
            self.fork,
            sorted((p, o.value) for p, o in origins.items()),
            sorted((p, [c.short, c.date, c.subject]) for p, c in added_in.items()),
            [(m.path, m.digest) for m in base],
            [(e.path, e.function, list(_span_tuple(e))) for e in edits],
            [(c.path, c.reason) for c in conflicts],
        )
        branch = Branch(
            target=self.revision,
            fork=self.fork[:10],
            top=str(self.repo.top),
            aliases=self.view.aliases,
            origins=origins,
            added_in=added_in,
            base=tuple(base),
            edits=tuple(edits),
            conflicts=tuple(conflicts),
            key=key,
        )
        reported = branch.reported()
        if configured_here:  # every file of the history is the branch's business
            reported |= {str(f) for f in spec.files}
        if spec.only is not None:
            reported &= frozenset(str(p) for p in spec.only)
        if reported and head_file is not None:
            reported |= {head_file}  # the branch changed the history: is its head file current?
        return Predicted(replace(spec, only=None), branch, frozenset(virtual), reported, head_file)

    def _deletions(
        self, spec: HistorySpec, origins: dict[str, Origin], conflicts: list[Conflict]
    ) -> dict[str, dict[str, str]]:
        """Files Alembic would load that are gone from the merge, deleted on a side (or
        moved: see _moved); by side, their fork ids and paths."""
        view, merge = self.view, self.merge
        gone: dict[str, dict[str, str]] = {OURS: {}, THEIRS: {}}
        for location in spec.locations:
            rel = view.rel(view.realpath(str(location)))
            if rel is None:
                continue
            # git stops at the directory itself too: a file or a submodule on one side
            # where the other has the directory of migrations.
            parts = rel.split("/") if rel else []
            for end in range(1, len(parts) + 1):
                outcome = merge.outcome("/".join(parts[:end]))
                path = view.absolute("/".join(parts[:end]))
                if outcome is not None and outcome.conflict is not None and path not in origins:
                    origins[path] = Origin.CONFLICT
                    conflicts.append(Conflict(path, outcome.conflict))
            for child, outcome in merge.walk(rel, recursive=spec.recursive):
                path = view.absolute(child)
                if outcome.kind is not None or not discover.is_revision_name(child):
                    continue
                if outcome.conflict is not None:
                    origins[path] = Origin.CONFLICT
                    conflicts.append(Conflict(path, outcome.conflict))
                    continue
                if outcome.renamed is not None or outcome.fork is None:
                    continue  # moved, not deleted (the new path is in the history)
                if outcome.ours is None and outcome.theirs:
                    origins[path] = Origin.DELETED_HERE
                    gone[OURS][outcome.fork.oid or ""] = path
                elif outcome.theirs is None and outcome.ours:
                    origins[path] = Origin.DELETED_THERE
                    gone[THEIRS][outcome.fork.oid or ""] = path
        return gone

    def _files(
        self,
        spec: HistorySpec,
        gone: dict[str, dict[str, str]],
        origins: dict[str, Origin],
        virtual: set[str],
        conflicts: list[Conflict],
    ) -> None:
        """How each file of the merged history came to be, and whose bytes it holds."""
        for file in spec.files:
            path = str(file)
            rel = self.view.rel(path)
            outcome = self.merge.outcome(rel) if rel is not None else None
            if outcome is None or rel is None:
                continue
            origin = origins[path] = self._origin(rel, outcome)
            moved = self._moved(rel, outcome, origin, gone)
            if moved is not None:
                here = origin is Origin.ADDED_HERE
                origins[path] = Origin.RENAMED_HERE if here else Origin.RENAMED_THERE
                del origins[moved]  # renamed, not deleted
            if outcome.source != OURS or outcome.data is not None or outcome.origin:
                virtual.add(path)
            if outcome.conflict is not None:
                conflicts.append(Conflict(path, outcome.conflict))

    def _configuration(
        self,
        spec: HistorySpec,
        head_file: str | None,
        origins: dict[str, Origin],
        conflicts: list[Conflict],
    ) -> bool:
        """Conflicts in the configuration and the head file (git stops there too), and
        whether the branch changed how the history is configured."""
        others = [head_file] if head_file is not None else []
        if spec.config is not None:
            others += [str(spec.config), str(spec.config.parent / "pyproject.toml")]
        configured_here = False
        for other in dict.fromkeys(others):
            rel = self.view.rel(other)
            outcome = self.merge.outcome(rel) if rel is not None else None
            if outcome is None or rel is None or outcome.kind not in (None, FILE):
                continue
            if outcome.conflict is not None:
                conflicts.append(Conflict(other, outcome.conflict))
                origins[other] = Origin.CONFLICT
            elif other != head_file and outcome.kind is not None:
                configured_here |= self._origin(rel, outcome) in (
                    Origin.ADDED_HERE,
                    Origin.CHANGED_HERE,
                    Origin.CHANGED_BOTH,
                )
        return configured_here

    def _moved(
        self, rel: str, outcome: Outcome, origin: Origin, gone: dict[str, dict[str, str]]
    ) -> str | None:
        """The deleted path an added file came from, when it holds the same bytes (git's
        exact rename: not a new file, nor a deletion)."""
        if origin is Origin.ADDED_HERE and outcome.ours is not None and gone[OURS]:
            return gone[OURS].get(self.merge.sides[OURS].oid(rel, outcome.ours))
        if origin is Origin.ADDED_THERE and outcome.theirs is not None and gone[THEIRS]:
            return gone[THEIRS].get(outcome.theirs.oid or "")
        return None

    def _origin(self, rel: str, outcome: Outcome) -> Origin:
        if outcome.conflict is not None:
            return Origin.CONFLICT
        if outcome.renamed is not None:
            side, _ = outcome.renamed
            if outcome.source == OURS and side == THEIRS:
                return Origin.CHANGED_HERE  # edited here, moved there: the edit is ours
            return Origin.RENAMED_HERE if side == OURS else Origin.RENAMED_THERE
        if outcome.source == MERGED:
            return Origin.CHANGED_BOTH
        if outcome.source == THEIRS:
            return Origin.ADDED_THERE if outcome.fork is None else Origin.CHANGED_THERE
        if outcome.fork is None:
            # Added here, unless the target added the very same file.
            return Origin.UNCHANGED if outcome.theirs is not None else Origin.ADDED_HERE
        mine = self.merge.sides[OURS].oid(rel, outcome.ours) if outcome.ours else None
        if outcome.fork.kind == (outcome.ours.kind if outcome.ours else None) and (
            mine == outcome.fork.oid
        ):
            return Origin.UNCHANGED
        if outcome.theirs is not None and mine == outcome.theirs.oid:
            return Origin.UNCHANGED  # the target has made the same change
        return Origin.CHANGED_HERE

    def _base_facts(self, origins: dict[str, Origin]) -> list[Migration]:
        """Facts at the fork point of the files the branch changed or deleted."""
        from alembic_lint import engine

        changed = (Origin.CHANGED_HERE, Origin.CHANGED_BOTH, Origin.CONFLICT, Origin.DELETED_HERE)
        found = []
        for path, origin in sorted(origins.items()):
            if origin not in changed:
                continue
            data = self._fork_bytes(path)
            if data is not None:
                found.append(engine.read_facts(path, data))
        return found

    def _fork_bytes(self, path: str) -> bytes | None:
        """The fork point's bytes of a file of the merge (where a rename came from)."""
        rel = self.view.rel(path)
        if rel is None:
            return None
        outcome = self.merge.outcome(rel)
        if outcome is not None and outcome.renamed is not None and outcome.origin:
            rel = outcome.origin
        return self.merge.read_side("fork", rel)

    def _edits(self, origins: dict[str, Origin], base: list[Migration]) -> list[Edit]:
        from alembic_lint.astread.changes import first_change

        edits = []
        for migration in base:
            if origins.get(migration.path) is Origin.DELETED_HERE:
                continue
            old = self._fork_bytes(migration.path)
            try:
                new = self.reader(migration.path)
            except OSError:
                continue
            if old is None:
                continue
            for function in ("upgrade", "downgrade"):
                span = first_change(old, new, function)
                if span is not None:
                    edits.append(Edit(migration.path, function, span))
        return edits

    def _added_in(self, paths: list[str], locations: Sequence[Path]) -> dict[str, Commit]:
        """The target's commit that added each of ``paths`` since the fork (one git log)."""
        if not paths:
            return {}
        wanted = {rel: p for p in paths if (rel := self.view.rel(p)) is not None}
        specs = []
        for location in locations:
            rel = self.view.rel(self.view.realpath(str(location)))
            if rel is not None:
                specs.append(f":(literal){rel}" if rel else ":/")
        try:
            out = self.repo.run(
                [
                    "log",
                    "--no-renames",
                    "--diff-filter=A",
                    "--no-show-signature",
                    f"--max-count={_LOG_LIMIT}",
                    LOG_FORMAT,
                    "--name-only",
                    "-z",
                    f"{self.fork}..{self.target}",
                    "--",
                    *specs,
                ]
            )
        except GitError:
            return {}  # only wording depends on it
        found: dict[str, Commit] = {}
        for _, short, date, subject, names in log_records(out):
            commit = Commit(short, date, subject)
            for rel in names:
                if rel in wanted and wanted[rel] not in found:
                    found[wanted[rel]] = commit  # newest first: the last time it was added
        return found


def _span_tuple(edit: Edit) -> tuple[int, int, int, int]:
    s = edit.span
    return (s.line, s.column, s.end_line, s.end_column)


def lint_history(
    prediction: Prediction,
    item: Predicted,
    options: Options,
    *,
    exclude: Sequence[str] = (),
    sources: dict[str, str] | None = None,
    fixes: bool = False,
) -> list[Diagnostic]:
    """``engine.lint`` on one history of the merge, reporting on the branch's files."""
    from alembic_lint import engine
    from alembic_lint.git.deleted import Archive

    options = replace(
        options,
        reader=prediction.reader,
        disk_outside_only=True,
        virtual=item.virtual,
    )
    return engine.lint(
        item.spec.name,
        item.spec.files,
        options,
        locations=item.spec.locations,
        only=sorted(item.only),
        exclude=exclude,
        sources=sources,
        fixes=fixes,
        branch=item.branch,
        archive=Archive(item.spec.locations, prediction.repo),
        head_file=item.head_file,
    )


def lint(
    revision: str,
    paths: Sequence[str],
    rules: Sequence[Rule],
    *,
    where: Path | None = None,
    section: str | None = None,
    cache_dir: str | None = None,
) -> list[Diagnostic]:
    """Lint the histories at ``paths`` as they will be after merging the work tree (which
    holds ``where``, default: the current directory) into ``revision``."""
    from alembic_lint import engine
    from alembic_lint.diagnostics import sort_key

    found: list[Diagnostic] = []
    with predict(revision, where or Path.cwd()) as prediction:
        for item in prediction.histories(paths, section):
            options = engine.Options(rules=rules, cache_dir=cache_dir)
            found.extend(lint_history(prediction, item, options))
    return sorted(found, key=sort_key)


def predict(revision: str, where: Path) -> Prediction:
    """Open the git work tree holding ``where`` and set up the merge of it into
    ``revision``; GitError (one line, with the fix) when that cannot be done."""
    if not revision.strip():
        raise GitError(f"--against {revision!r}: not a revision")
    repo = open_repository(where)
    try:
        head = repo.commit("HEAD")
        if head is None:
            raise GitError("HEAD has no commit yet: commit once, then compare with --against")
        target = repo.commit(revision)
        if target is None:
            hint = ""
            if revision.endswith("/HEAD"):
                remote = revision.rsplit("/", 1)[0]
                hint = f" (set it with: git remote set-head {remote} --auto)"
            elif repo.is_shallow():
                hint = " (a shallow clone: fetch it, e.g. actions/checkout with fetch-depth: 0)"
            kind = repo.kind(revision)
            if kind is not None:
                raise GitError(f"--against {revision}: names a {kind}, not a commit")
            if ".." in revision:
                raise GitError(
                    f"--against {revision}: a range; give the one revision this branch "
                    "will be merged into, e.g. origin/main"
                )
            raise GitError(f"--against {revision}: unknown revision{hint}")
        fork = repo.merge_base(head, target)
        if fork is None:
            if repo.is_shallow():
                raise GitError(
                    f"--against {revision}: the merge base is not in this shallow clone; "
                    "fetch the whole history (actions/checkout: fetch-depth: 0; "
                    "or git fetch --unshallow)"
                )
            raise GitError(f"--against {revision}: HEAD and {revision} have no common ancestor")
    except BaseException:
        repo.close()
        raise
    return Prediction(repo, revision, target, fork, where)


def _aliases(top: Path, where: Path | None) -> tuple[str, ...]:
    """Names of the work tree's top that paths may come with: git gives it resolved, while
    the current directory (and so every PATH) may reach it through a symlink."""
    found = []
    for start in (where, Path.cwd()):
        if start is None:
            continue
        current = Path(os.path.abspath(start))
        for candidate in (current, *current.parents):
            if str(candidate) != str(top) and os.path.realpath(candidate) == str(top):
                found.append(str(candidate))
                break
    return tuple(dict.fromkeys(found))
