"""`--against REV`: each scenario of a branch meeting its target, in a real git repository,
compared with a real `git merge` and Alembic's verdict on the result (against_support)."""

from __future__ import annotations

from pathlib import Path

import pytest

from against_support import VERSIONS, compare, predict, state
from alembic_lint.cli import main
from alembic_lint.rules.examples import m
from git_support import git, two_branches


def mig(revision: str, down: object = None, **kwargs: object) -> tuple[str, str]:
    """(path in the repository, source) of a migration like `alembic revision` writes."""
    file = m(revision, down, **kwargs)  # type: ignore[arg-type]
    return f"{VERSIONS}/{file.filename}", file.source


def tree(*files: tuple[str, str]) -> dict[str, str | None]:
    return dict(files)


BASE = tree(mig("aaaaaaaaaaaa"), mig("bbbbbbbbbbbb", "aaaaaaaaaaaa"))


def codes(predicted: object) -> list[str]:
    return sorted(d.code for d in predicted.diagnostics)  # type: ignore[attr-defined]


def test_two_branches_add_on_one_parent(tmp_path: Path) -> None:
    repo = two_branches(
        tmp_path,
        BASE,
        tree(mig("cccccccccccc", "bbbbbbbbbbbb", message="add last_login")),
        tree(mig("dddddddddddd", "bbbbbbbbbbbb", message="add orders")),
        target_message="add last_login",
    )
    predicted = compare(repo)
    assert set(predicted.verdict.heads) == {"cccccccccccc", "dddddddddddd"}
    (head,) = [d for d in predicted.diagnostics if d.code == "AL001"]
    assert head.location.path.endswith("dddddddddddd_add_orders.py")
    assert head.message.startswith("after merging into main: 2 heads, dddddddddddd (added on")
    assert "cccccccccccc (added on main since this branch forked, in " in head.message
    assert '"add last_login")' in head.message
    assert head.message.endswith(
        "they diverge at bbbbbbbbbbbb; fix: alembic-lint rebase --onto cccccccccccc"
    )
    assert codes(predicted) == ["AL001", "AL014"]


def test_on_top_of_the_target_head_is_clean(tmp_path: Path) -> None:
    repo = two_branches(
        tmp_path,
        BASE,
        tree(mig("cccccccccccc", "bbbbbbbbbbbb")),
        {},
        work=tree(mig("dddddddddddd", "cccccccccccc")),  # written after pulling main
    )
    # The branch is based on the fork, but its file names main's head: a clean merge.
    assert codes(compare(repo)) == []


def test_branch_deletes_a_revision_the_target_merges_to(tmp_path: Path) -> None:
    merge = mig("eeeeeeeeeeee", ("cccccccccccc", "dddddddddddd"), message="merge")
    base = dict(
        BASE, **tree(mig("cccccccccccc", "bbbbbbbbbbbb"), mig("dddddddddddd", "bbbbbbbbbbbb"))
    )
    repo = two_branches(tmp_path, base, tree(merge), {f"{VERSIONS}/dddddddddddd_example.py": None})
    predicted = compare(repo)
    assert "AL003" in {d.code for d in predicted.verdict.diagnostics}
    (deleted,) = [d for d in predicted.diagnostics if d.code == "AL011"]
    assert deleted.location.path.endswith("dddddddddddd_example.py")
    assert "eeeeeeeeeeee (added on main since this branch forked" in deleted.message
    assert "restore it with: git checkout " in deleted.message


def test_target_deletes_a_revision_the_branch_merges_to(tmp_path: Path) -> None:
    merge = mig("eeeeeeeeeeee", ("cccccccccccc", "dddddddddddd"), message="merge")
    base = dict(
        BASE, **tree(mig("cccccccccccc", "bbbbbbbbbbbb"), mig("dddddddddddd", "bbbbbbbbbbbb"))
    )
    repo = two_branches(tmp_path, base, {f"{VERSIONS}/dddddddddddd_example.py": None}, tree(merge))
    predicted = compare(repo)
    (missing,) = [d for d in predicted.diagnostics if d.code == "AL003"]
    assert missing.location.path.endswith("eeeeeeeeeeee_merge.py")
    assert missing.message.startswith("after merging into main: merge parent 'dddddddddddd'")


def test_both_pick_the_same_id(tmp_path: Path) -> None:
    repo = two_branches(
        tmp_path,
        BASE,
        tree(mig("cccccccccccc", "bbbbbbbbbbbb", message="add users")),
        tree(mig("cccccccccccc", "bbbbbbbbbbbb", message="add orders")),
    )
    predicted = compare(repo)
    found = [d for d in predicted.diagnostics if d.code == "AL004"]
    assert found and all(d.location.path.endswith("_add_orders.py") for d in found)
    assert "cccccccccccc_add_users.py, added on main since this branch forked" in found[0].message


def test_branch_edits_a_merged_migration(tmp_path: Path) -> None:
    edited = mig(
        "bbbbbbbbbbbb", "aaaaaaaaaaaa", upgrade="op.create_table('user')\nop.drop_index('ix')"
    )
    repo = two_branches(tmp_path, BASE, {}, dict([edited]))
    predicted = compare(repo)
    (edit,) = [d for d in predicted.diagnostics if d.code == "AL013"]
    assert edit.location.line == edited[1].splitlines().index("    op.create_table('user')") + 1
    assert edit.message.startswith("upgrade() of bbbbbbbbbbbb changed, but bbbbbbbbbbbb is in main")
    # The file's own findings are reported too: the branch changed it.
    assert "AL201" in codes(predicted)


def test_adding_if_exists_to_a_merged_migration_is_no_edit(tmp_path: Path) -> None:
    old = mig("bbbbbbbbbbbb", "aaaaaaaaaaaa", upgrade="op.drop_index('ix')")
    new = mig("bbbbbbbbbbbb", "aaaaaaaaaaaa", upgrade="op.drop_index('ix', if_exists=True)")
    repo = two_branches(tmp_path, dict(BASE, **dict([old])), {}, dict([new]))
    assert codes(compare(repo)) == ["AL202"]  # the file's own finding, not an edit (AL013)


def test_branch_rewrites_a_merged_down_revision(tmp_path: Path) -> None:
    repo = two_branches(
        tmp_path,
        BASE,
        {},
        tree(mig("cccccccccccc", "aaaaaaaaaaaa"), mig("bbbbbbbbbbbb", "cccccccccccc")),
    )
    predicted = compare(repo)
    assert "AL012" in codes(predicted)


def test_rename_on_one_side_edit_on_the_other(tmp_path: Path) -> None:
    path, source = mig("bbbbbbbbbbbb", "aaaaaaaaaaaa")
    renamed = f"{VERSIONS}/bbbbbbbbbbbb_renamed.py"
    edited = source.replace("def upgrade():\n    pass", "def upgrade():\n    op.create_table('t')")
    repo = two_branches(tmp_path, BASE, {path: edited}, {path: None, renamed: source})
    predicted = compare(repo)
    assert predicted.files[renamed] == edited.encode()
    assert path not in predicted.files


def test_rename_on_the_target_edit_on_the_branch(tmp_path: Path) -> None:
    path, source = mig("bbbbbbbbbbbb", "aaaaaaaaaaaa")
    renamed = f"{VERSIONS}/bbbbbbbbbbbb_renamed.py"
    edited = source.replace("def upgrade():\n    pass", "def upgrade():\n    op.create_table('t')")
    repo = two_branches(tmp_path, BASE, {path: None, renamed: source}, {path: edited})
    predicted = compare(repo)
    assert predicted.files[renamed] == edited.encode()
    assert "AL013" in codes(predicted)  # the edit followed the file: still an edit


def test_rename_meets_a_deletion(tmp_path: Path) -> None:
    path, source = mig("bbbbbbbbbbbb", "aaaaaaaaaaaa")
    renamed = f"{VERSIONS}/bbbbbbbbbbbb_renamed.py"
    repo = two_branches(tmp_path, BASE, {path: None}, {path: None, renamed: source})
    compare(repo)


def test_uncommitted_changes_count(tmp_path: Path) -> None:
    path, source = mig("bbbbbbbbbbbb", "aaaaaaaaaaaa")
    repo = two_branches(
        tmp_path,
        BASE,
        tree(mig("cccccccccccc", "bbbbbbbbbbbb")),
        {},
        work={
            **tree(mig("dddddddddddd", "bbbbbbbbbbbb")),  # untracked
            path: source.replace("    pass", "    op.drop_table('x')", 1),  # modified
        },
    )
    predicted = compare(repo)
    assert {"AL001", "AL013"} <= set(codes(predicted))


def test_uncommitted_deletion(tmp_path: Path) -> None:
    repo = two_branches(
        tmp_path,
        BASE,
        tree(mig("cccccccccccc", "bbbbbbbbbbbb")),
        {},
        work={f"{VERSIONS}/bbbbbbbbbbbb_example.py": None},
    )
    predicted = compare(repo)
    assert "AL011" in codes(predicted)


def test_conflicting_edit(tmp_path: Path) -> None:
    path, source = mig("bbbbbbbbbbbb", "aaaaaaaaaaaa")
    mine = source.replace("def upgrade():\n    pass", "def upgrade():\n    op.create_table('a')")
    theirs = source.replace("def upgrade():\n    pass", "def upgrade():\n    op.create_table('b')")
    repo = two_branches(tmp_path, BASE, {path: theirs}, {path: mine})
    predicted = compare(repo)
    (conflict,) = [d for d in predicted.diagnostics if d.code == "AL010"]
    assert "changed on both this branch and main, differently" in conflict.message


def test_edits_git_merges_cleanly_are_merged(tmp_path: Path) -> None:
    path, source = mig("bbbbbbbbbbbb", "aaaaaaaaaaaa")
    mine = source.replace("def upgrade():\n    pass", "def upgrade():\n    op.create_table('a')")
    theirs = source.replace(
        "def downgrade():\n    pass", "def downgrade():\n    op.drop_table('b')"
    )
    repo = two_branches(tmp_path, BASE, {path: theirs}, {path: mine})
    predicted = compare(repo)
    assert b"op.create_table('a')" in predicted.files[path]
    assert b"op.drop_table('b')" in predicted.files[path]


def test_delete_meets_an_edit(tmp_path: Path) -> None:
    path, source = mig("bbbbbbbbbbbb", "aaaaaaaaaaaa")
    theirs = source.replace("def upgrade():\n    pass", "def upgrade():\n    op.create_table('b')")
    repo = two_branches(tmp_path, BASE, {path: theirs}, {path: None})
    predicted = compare(repo)
    assert "deleted on this branch and changed on main" in predicted.diagnostics[0].message


def test_version_locations_changed_on_the_target(tmp_path: Path) -> None:
    ini = "[alembic]\nscript_location = db\nversion_locations = {}\n"
    moved = "db/other"
    base = {"alembic.ini": ini.format("db/versions"), **BASE}
    target = {
        "alembic.ini": ini.format("db/versions db/other"),
        **tree(mig("cccccccccccc", "bbbbbbbbbbbb")),
    }
    target[f"{moved}/cccccccccccc_example.py"] = target.pop(f"{VERSIONS}/cccccccccccc_example.py")
    repo = two_branches(tmp_path, base, target, tree(mig("dddddddddddd", "bbbbbbbbbbbb")))
    before = state(repo)
    predicted = predict(repo, paths=["alembic.ini"])
    assert state(repo) == before
    assert f"{moved}/cccccccccccc_example.py" in predicted.files
    assert set(predicted.verdict.heads) == {"cccccccccccc", "dddddddddddd"}


def test_cli_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = two_branches(tmp_path / "repo", BASE, {}, {})
    versions = str(repo / VERSIONS)
    for revision in ("no-such-branch", "--output=x", "main\nHEAD"):
        assert main(["--against", revision, "--no-cache", versions]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "alembic-lint: error: --against no-such-branch: unknown revision"
    assert err[1] == "alembic-lint: error: --against --output=x: unknown revision"
    assert not (repo / "x").exists()
    outside = tmp_path / "plain"
    outside.mkdir()
    (outside / "a.py").write_text(mig("aaaaaaaaaaaa")[1])
    assert main(["--against", "main", str(outside)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not in a git repository" in err


def test_shallow_clone_names_the_fix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    origin = two_branches(
        tmp_path / "origin",
        BASE,
        tree(mig("cccccccccccc", "bbbbbbbbbbbb")),
        tree(mig("dddddddddddd", "bbbbbbbbbbbb")),
    )
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth=1", "--no-single-branch", f"file://{origin}", str(clone))
    git(clone, "checkout", "-q", "feature")
    assert main(["--against", "origin/main", "--no-cache", str(clone / VERSIONS)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "shallow clone" in err and "fetch-depth: 0" in err


def test_a_similar_file_counts_as_a_rename_as_in_git(tmp_path: Path) -> None:
    """The branch deletes a migration and adds another of the same template; main edited
    the deleted one: git pairs them as a rename and carries main's edit over (or stops)."""
    path, source = mig("bbbbbbbbbbbb", "aaaaaaaaaaaa")
    edited = source.replace(
        "def downgrade():\n    pass", "def downgrade():\n    op.drop_table('x')"
    )
    new_path, new_source = mig("cccccccccccc", "aaaaaaaaaaaa")
    repo = two_branches(tmp_path, BASE, {path: edited}, {path: None, new_path: new_source})
    compare(repo)


def test_one_git_process_reads_every_object(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """All blobs come from one `git cat-file --batch`, not a process per file; files the
    target did not change are read from the work tree."""
    import subprocess

    target = dict(mig(f"c{i:011d}", "bbbbbbbbbbbb") for i in range(6))
    repo = two_branches(tmp_path, BASE, target, tree(mig("dddddddddddd", "bbbbbbbbbbbb")))
    started: list[list[str]] = []
    real_popen = subprocess.Popen

    def spy(args: list[str], *rest: object, **kwargs: object) -> object:
        started.append([a for a in args if not a.startswith("-c") and "=" not in a])
        return real_popen(args, *rest, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(subprocess, "Popen", spy)
    predicted = predict(repo)
    assert len([f for f in predicted.files if "/c0" in f]) == 6
    commands = [next(a for a in args[1:] if not a.startswith("-")) for args in started]
    commands = [c for c in commands if c != "status"]  # the test's own look at the index
    assert commands.count("cat-file") == 1, commands
    # (ls-files: the index's stat of the work tree's files, once per directory.)
    assert sorted(commands) == ["cat-file", "log", "ls-files", "merge-base", "rev-parse"], commands


def test_the_cli_writes_nothing_git_sees(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = two_branches(
        tmp_path,
        BASE,
        tree(mig("cccccccccccc", "bbbbbbbbbbbb")),
        tree(mig("dddddddddddd", "bbbbbbbbbbbb")),
        work=tree(mig("eeeeeeeeeeee", "dddddddddddd")),
    )
    index = (repo / ".git" / "index").read_bytes()
    status = git(repo, "--no-optional-locks", "status", "--porcelain")
    for args in ([], ["--format", "json"], ["--format", "full"]):
        assert main(["--against", "main", *args, str(repo / VERSIONS)]) == 1
    capsys.readouterr()
    assert (repo / ".git" / "index").read_bytes() == index
    assert git(repo, "--no-optional-locks", "status", "--porcelain") == status


def test_a_baseline_holds_back_file_findings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    new = tree(mig("cccccccccccc", "bbbbbbbbbbbb", upgrade="op.drop_table('t')"))
    repo = two_branches(tmp_path, BASE, {}, new)
    monkeypatch.chdir(repo)
    assert main(["--no-cache", "--against", "main", VERSIONS]) == 1
    assert "AL201" in capsys.readouterr().out
    assert main(["--no-cache", "--write-baseline", "base.json", VERSIONS]) == 0
    capsys.readouterr()
    assert main(["--no-cache", "--against", "main", "--baseline", "base.json", VERSIONS]) == 0


def test_through_a_symlinked_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = two_branches(
        tmp_path / "real",
        BASE,
        tree(mig("cccccccccccc", "bbbbbbbbbbbb")),
        tree(mig("dddddddddddd", "bbbbbbbbbbbb")),
    )
    link = tmp_path / "link"
    link.symlink_to(repo)
    assert main(["--no-cache", "--against", "main", str(link / VERSIONS)]) == 1
    out = capsys.readouterr().out
    assert "AL001 after merging into main: 2 heads, dddddddddddd (added on this branch)" in out


def test_a_branch_that_reconfigures_the_history_answers_for_all_of_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The branch drops a version location from alembic.ini: the revisions there vanish
    and their children lose a parent, in files the branch did not touch."""
    ini = "[alembic]\nscript_location = db\nversion_locations = {}\n"
    child = mig("cccccccccccc", "bbbbbbbbbbbb")
    base = {
        "alembic.ini": ini.format("db/versions db/old"),
        "db/old/aaaaaaaaaaaa_example.py": m("aaaaaaaaaaaa").source,
        "db/old/bbbbbbbbbbbb_example.py": m("bbbbbbbbbbbb", "aaaaaaaaaaaa").source,
        child[0]: child[1],
    }
    repo = two_branches(tmp_path, base, {}, {"alembic.ini": ini.format("db/versions")})
    monkeypatch.chdir(repo)
    assert main(["--no-cache", "--against", "main", "alembic.ini"]) == 1
    out = capsys.readouterr().out
    assert f"{VERSIONS}/cccccccccccc_example.py" in out and "AL002 after merging into main" in out


def test_a_rename_git_finds_between_two_other_deletions(tmp_path: Path) -> None:
    """Found by the random test: main deletes both files and adds an edited copy of the
    second; the branch deleted the first. git pairs the first with the copy (its only
    candidate for a file the branch changed) and stops with rename/delete."""
    first, second = mig("aaaaaaaaaaaa"), mig("bbbbbbbbbbbb", "aaaaaaaaaaaa")
    moved = m("bbbbbbbbbbbb", "aaaaaaaaaaaa", upgrade="op.create_table('moved')")
    target = {first[0]: None, second[0]: None, f"{VERSIONS}/bbbbbbbbbbbb_moved.py": moved.source}
    repo = two_branches(tmp_path, dict([first, second]), target, {first[0]: None})
    assert compare(repo).conflicts == {f"{VERSIONS}/bbbbbbbbbbbb_moved.py"}


def test_a_renamed_file_is_neither_new_nor_deleted(tmp_path: Path) -> None:
    """Renaming a merged migration (the same bytes): no finding about a deletion, and its
    old findings are not the branch's."""
    path, source = mig("bbbbbbbbbbbb", "aaaaaaaaaaaa", upgrade="op.drop_table('t')")
    repo = two_branches(
        tmp_path,
        dict([mig("aaaaaaaaaaaa"), (path, source)]),
        tree(mig("cccccccccccc", "bbbbbbbbbbbb")),
        {path: None, f"{VERSIONS}/bbbbbbbbbbbb_renamed.py": source},
    )
    assert codes(compare(repo)) == []
