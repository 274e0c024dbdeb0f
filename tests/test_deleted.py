"""Who deleted it: AL002/AL003 name the commit that deleted a missing parent's file."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from alembic_lint.cli import main
from alembic_lint.git import deleted
from alembic_lint.rules.examples import m, raw
from git_support import Builder, git, init

VERSIONS = "db/versions"


def mig(revision: str, down: object = None, *, filename: str | None = None) -> tuple[str, str]:
    file = m(revision, down, filename=filename)
    return f"{VERSIONS}/{file.filename}", file.source


def merge_source() -> str:
    return raw(
        "x.py",
        """
        revision = "34534acb6ed1"
        down_revision = ("98ab620aa6f9", "f6a668d072bb")
        branch_labels = None
        depends_on = None
        """,
    ).source


def repo_with_deletion(tmp_path: Path, *, named: bool = True) -> Path:
    """Seed 003's incident 3: a merge migration names a revision deleted afterwards."""
    repo = init(tmp_path / "repo")
    gone = mig("98ab620aa6f9", "8d46a4ba4167", filename=None if named else "legacy_step.py")
    build = Builder()
    first = build.commit(
        "main",
        dict(
            [
                mig("8d46a4ba4167"),
                gone,
                mig("f6a668d072bb", "8d46a4ba4167"),
                (f"{VERSIONS}/34534acb6ed1_merge.py", merge_source()),
            ]
        ),
        "merge parallel migrations",
    )
    build.commit("main", {gone[0]: None}, "drop broken merge parent", parents=(first,))
    build.write(repo)
    git(repo, "checkout", "-q", "-f", "main")
    return repo


def lint(repo: Path, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main(["--no-cache", *args, str(repo / VERSIONS)]) == 1
    return capsys.readouterr().out


def test_the_deleting_commit_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = repo_with_deletion(tmp_path)
    short = git(repo, "log", "-1", "--format=%h %as").split()
    out = lint(repo, capsys)
    assert (
        f"98ab620aa6f9 was defined in {VERSIONS}/98ab620aa6f9_example.py, deleted in {short[0]} "
        f'({short[1]}, "drop broken merge parent"); restore it with: git checkout {short[0]}^ '
        f"-- {VERSIONS}/98ab620aa6f9_example.py"
    ) in out
    # The command it gives restores the file.
    git(repo, "checkout", f"{short[0]}^", "--", f"{VERSIONS}/98ab620aa6f9_example.py")
    assert main(["--no-cache", str(repo / VERSIONS)]) == 0


def test_a_file_not_named_after_its_id_is_found_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = repo_with_deletion(tmp_path, named=False)
    assert f"was defined in {VERSIONS}/legacy_step.py, deleted in " in lint(repo, capsys)


def test_it_gives_up_quietly_after_its_budget(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = repo_with_deletion(tmp_path)
    monkeypatch.setattr(deleted, "BUDGET", 0.0)
    out = lint(repo, capsys)
    assert "AL003" in out and "deleted in" not in out
    assert capsys.readouterr().err == ""


def test_no_git_no_search(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    versions = tmp_path / VERSIONS
    versions.mkdir(parents=True)
    for path, source in (mig("bbbbbbbbbbbb", "aaaaaaaaaaaa"),):
        (tmp_path / path).write_text(source)
    assert main(["--no-cache", str(versions)]) == 1
    captured = capsys.readouterr()
    assert "AL002" in captured.out and "deleted in" not in captured.out and captured.err == ""


def test_no_missing_parent_runs_no_git(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = init(tmp_path / "repo")
    for path, source in (mig("aaaaaaaaaaaa"), mig("bbbbbbbbbbbb", "aaaaaaaaaaaa")):
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_text(source)

    def no(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"a process was started: {args}")

    monkeypatch.setattr(subprocess, "run", no)
    monkeypatch.setattr(subprocess, "Popen", no)
    assert main(["--no-cache", str(repo / VERSIONS)]) == 0


def test_against_names_the_targets_deletion(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The target deleted a revision the branch's new merge migration names."""
    repo = init(tmp_path / "repo")
    build = Builder()
    base = dict(
        [
            mig("8d46a4ba4167"),
            mig("98ab620aa6f9", "8d46a4ba4167"),
            mig("f6a668d072bb", "8d46a4ba4167"),
        ]
    )
    fork = build.commit("main", base, "base")
    build.commit("main", {f"{VERSIONS}/98ab620aa6f9_example.py": None}, "drop it", parents=(fork,))
    build.commit(
        "feature", {f"{VERSIONS}/34534acb6ed1_merge.py": merge_source()}, "merge", parents=(fork,)
    )
    build.write(repo)
    git(repo, "checkout", "-q", "-f", "feature")
    out = lint(repo, capsys, "--against", "main")
    assert "AL003 after merging into main: merge parent '98ab620aa6f9'" in out
    assert '"drop it"); restore it with: git checkout ' in out
