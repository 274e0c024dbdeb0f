"""``--against`` compared with reality: predict the merge, then really ``git merge`` and ask
Alembic about the result.

:func:`compare` is the oracle check every scenario test and the random test use:

* git merges cleanly -> the predicted versions directory is the merged one, file for
  file and byte for byte; alembic-lint reports no conflict; Alembic's heads, bases and
  errors on the merged directory agree with the linter's on the prediction
  (``differential_support.check``);
* git stops with conflicts in the versions directory -> alembic-lint reports a conflict
  (AL010) on exactly those paths.

Both sides run on the same repository: the prediction first (which must leave the
repository untouched: the index's bytes and ``git status`` are compared), then the real
merge.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from alembic_lint import against, engine
from alembic_lint import graph as graph_mod
from alembic_lint.diagnostics import Diagnostic
from alembic_lint.rules import registry
from differential_support import (
    ABSENT,
    LOAD_ERRORS,
    AlembicVerdict,
    LinterVerdict,
    Rev,
    ask_alembic,
    check_duplicate_warnings,
    check_error_explained,
    check_loaded_graph_matches,
    check_loaded_multiple_heads,
    cycle_files,
    filename,
)
from git_support import conflicted, git, real_merge

VERSIONS = "db/versions"


@dataclass
class Predicted:
    """What --against predicted for one repository."""

    files: dict[str, bytes]  # path relative to the repository -> bytes
    conflicts: set[str]  # paths relative to the repository
    diagnostics: list[Diagnostic]  # the --against run (scoped to the branch)
    verdict: LinterVerdict  # the plain rules on the whole predicted history
    reported: list[str] = field(default_factory=list)


def state(repo: Path) -> tuple[str, str]:
    """What --against must never change: the index's bytes and ``git status``."""
    index = repo / ".git" / "index"
    digest = hashlib.sha256(index.read_bytes()).hexdigest() if index.exists() else ""
    # --no-optional-locks: this very look must not refresh (write) the index.
    status = git(repo, "--no-optional-locks", "status", "--porcelain", "-uall", "--ignored")
    return digest, status


def predict(repo: Path, target: str = "main", paths: Sequence[str] = (VERSIONS,)) -> Predicted:
    before = state(repo)
    rules = [rule() for rule in registry()]
    with against.predict(target, repo) as prediction:
        items = prediction.histories([str(repo / p) for p in paths])
        files: dict[str, bytes] = {}
        conflicts: set[str] = set()
        for item in items:
            for file in item.spec.files:
                rel = file.relative_to(repo).as_posix()
                files[rel] = prediction.reader(str(file))
            conflicts |= {Path(c.path).relative_to(repo).as_posix() for c in item.branch.conflicts}
        (item,) = items
        history = engine.load_history(item.spec.name, item.spec.files, reader=prediction.reader)
        graph = graph_mod.build(history)
        verdict = LinterVerdict(
            heads=tuple(graph.head_ids()),
            bases=tuple(graph.base_ids()),
            real_heads=tuple(graph.id_of(n) for n in graph.real_heads),
            real_bases=tuple(graph.id_of(n) for n in graph.real_bases),
            diagnostics=engine.check_history(history, rules, reader=prediction.reader),
        )
        diagnostics = against.lint_history(prediction, item, engine.Options(rules=rules))
    assert state(repo) == before, "--against changed the repository"
    return Predicted(files, conflicts, diagnostics, verdict)


def merged_files(repo: Path, versions: str = VERSIONS) -> dict[str, bytes]:
    root = repo / versions
    if not root.is_dir():
        return {}
    return {
        p.relative_to(repo).as_posix(): p.read_bytes()
        for p in sorted(root.iterdir())
        if p.is_file() and p.suffix == ".py" and not p.name.startswith("__init__")
    }


def compare(
    repo: Path, target: str = "main", versions: str = VERSIONS, path: str | None = None
) -> Predicted:
    """Predict, really merge, and assert that they agree (see the module docstring).
    ``path`` is what is checked (default: the versions directory)."""
    predicted = predict(repo, target, (path or versions,))
    clean, output = real_merge(repo, target)
    codes = {d.code for d in predicted.diagnostics}
    if clean:
        assert not predicted.conflicts, f"predicted conflicts {predicted.conflicts}\n{output}"
        assert "AL010" not in codes
        assert predicted.files == merged_files(repo, versions), "prediction != merge"
        with tempfile.TemporaryDirectory(prefix="al-against-") as tmp:
            # A copy: Alembic imports the files, which must not litter the repository.
            copy = Path(tmp) / "versions"
            copy.mkdir()
            for rel, data in merged_files(repo, versions).items():
                (copy / Path(rel).name).write_bytes(data)
            alembic = ask_alembic(Path(tmp), copy)
        check(merged_files(repo, versions), alembic, predicted.verdict)
    else:
        real = {p for p in conflicted(repo) if p.startswith(versions + "/")}
        assert real, f"git merge failed without conflicts in {versions}:\n{output}"
        assert predicted.conflicts == real, (predicted.conflicts, real, output)
        assert "AL010" in codes
    return predicted


def revs_of(files: dict[str, bytes]) -> tuple[list[Rev], dict[str, str]]:
    """The merged files as the differential test's revisions (their four variables read
    with CPython's ast, not the linter), and each one's differential name -> real name."""
    import ast

    revs, names = [], {}
    for index, (rel, data) in enumerate(sorted(files.items(), key=lambda item: item[0])):
        values: dict[str, object] = {}
        for node in ast.parse(data).body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
                if isinstance(target, ast.Name):
                    values[target.id] = ast.literal_eval(node.value)
        rev = Rev(
            values.get("revision", ABSENT),
            values.get("down_revision", ABSENT),
            values.get("branch_labels"),
            values.get("depends_on"),
        )
        revs.append(rev)
        names[filename(index, rev)] = Path(rel).name
    return revs, names


def check(files: dict[str, bytes], alembic: AlembicVerdict, linter: LinterVerdict) -> None:
    """differential_support.check on the merged files."""
    revs, names = revs_of(files)
    check_duplicate_warnings(revs, alembic, linter)
    if alembic.error is not None:
        check_error_explained(revs, alembic, linter)
        return
    check_loaded_graph_matches(revs, alembic, linter)
    check_loaded_multiple_heads(revs, alembic, linter)
    # Alembic loads some cycles (see check_loaded_no_load_errors): AL005 is accepted on
    # the files really on one.
    on_cycle = {names[n] for n in cycle_files(revs)}
    wrong = [
        d
        for d in linter.with_code(*LOAD_ERRORS)
        if not (d.code == "AL005" and Path(d.location.path).name in on_cycle)
    ]
    assert not wrong, f"Alembic loaded the merge but the linter reports {wrong}\n{alembic}"
