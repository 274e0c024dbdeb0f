"""`--against` attacked: revisions, repository configs, forged git objects and repository
shapes that a hostile pull request or a careless user brings, each in a real git
repository. Whatever comes: one line and exit 2, or the right answer; never a traceback,
a program run, a file written, or a wrong "All checks passed".

Each test failed before the change it covers (a traceback, an unclear message, a wrong
verdict, or a file written outside the repository).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from against_support import VERSIONS, state
from alembic_lint.cli import main
from alembic_lint.rules.examples import m
from git_support import environ, git, two_branches

A, B, C, D = "aaaaaaaaaaaa", "bbbbbbbbbbbb", "cccccccccccc", "dddddddddddd"


def mig(revision: str, down: object = None, **kwargs: object) -> tuple[str, str]:
    file = m(revision, down, **kwargs)  # type: ignore[arg-type]
    return f"{VERSIONS}/{file.filename}", file.source


BASE = dict([mig(A), mig(B, A)])
#: main adds C on B, the branch adds D on B: two heads once merged.
FORKED = (dict([mig(C, B)]), dict([mig(D, B)]))


def forked_files() -> list[tuple[str, str]]:
    """The files of the merge of FORKED: two heads."""
    return [*BASE.items(), *FORKED[0].items(), *FORKED[1].items()]


def forked(path: Path) -> Path:
    return two_branches(path, BASE, *FORKED)


def run(
    capsys: pytest.CaptureFixture[str], repo: Path, revision: str, *paths: str
) -> tuple[int, str, str]:
    code = main(["--no-cache", "--against", revision, *(paths or [str(repo / VERSIONS)])])
    out, err = capsys.readouterr()
    return code, out, err


def one_error(err: str) -> str:
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


def commit_tree(repo: Path, entries: list[tuple[bytes, bytes, str]], branch: str) -> None:
    """A commit on ``main`` whose root tree is made of raw entries (mode, name, object),
    written as git stores it, with nothing checked (``hash-object --literally``)."""
    root = raw_tree(repo, entries)
    commit = git(repo, "commit-tree", root, "-p", "main", "-m", "forged").strip()
    git(repo, "update-ref", f"refs/heads/{branch}", commit)


def raw_tree(repo: Path, entries: list[tuple[bytes, bytes, str]]) -> str:
    data = b"".join(mode + b" " + name + b"\0" + bytes.fromhex(oid) for mode, name, oid in entries)
    return git(repo, "hash-object", "-t", "tree", "-w", "--literally", "--stdin", data=data).strip()


def blob(repo: Path, data: bytes) -> str:
    return git(repo, "hash-object", "-w", "--stdin", data=data).strip()


# ---------------------------------------------------------------------- revisions


def test_a_revision_is_one_line_of_input_whatever_it_holds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A revision with a space or a carriage return made `cat-file --batch` echo it back
    in a line the reader took for an object header: a traceback."""
    repo = forked(tmp_path)
    for revision in ("main\r", "main nope", "no such 1234", "main^{/target work}x"):
        code, _, err = run(capsys, repo, revision)
        assert code == 2
        assert one_error(err).endswith("unknown revision\n"), err
    # A search of commit messages with a space in it is a revision like any other.
    code, out, _ = run(capsys, repo, "main^{/target work}")
    assert code == 1 and "AL001 after merging into main^{/target work}: 2 heads" in out


def test_what_a_revision_names_when_not_a_commit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = forked(tmp_path)
    git(repo, "tag", "a-blob", f"main:{mig(C, B)[0]}")
    git(repo, "tag", "-a", "-m", "a tree", "a-tree", "main^{tree}")
    expected = {
        "a-blob": "--against a-blob: names a blob, not a commit",
        "a-tree": "--against a-tree: names a tree, not a commit",
        "main:db": "--against main:db: names a tree, not a commit",
        "main..feature": "--against main..feature: a range; give the one revision",
        "@{upstream}": "git cat-file stopped: no upstream configured for branch 'feature'",
    }
    for revision, message in expected.items():
        code, _, err = run(capsys, repo, revision)
        assert code == 2
        assert one_error(err).startswith(f"alembic-lint: error: {message}"), err


def test_a_partial_clone_fetches_nothing_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Blobs of the target missing (`--filter=blob:none`): git would fetch them from the
    promisor remote, running what the repository's config names to do it."""
    origin = forked(tmp_path / "origin")
    git(origin, "config", "uploadpack.allowFilter", "true")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--filter=blob:none", f"file://{origin}", str(clone))
    git(clone, "checkout", "-q", "feature")
    marker = tmp_path / "ran"
    git(clone, "config", "protocol.file.allow", "always")
    git(clone, "config", "remote.origin.uploadpack", f"touch {marker}; git-upload-pack")
    before = state(clone)
    code, _, err = run(capsys, clone, "origin/main")
    assert code == 2
    assert "from promisor remote (a partial clone: objects are missing" in one_error(err)
    assert not marker.exists()
    assert state(clone) == before


# ---------------------------------------------------------------------- configs


def test_a_repository_config_changes_no_output_alembic_lint_reads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`i18n.logOutputEncoding` made `git log` answer in UTF-16: the commit that added the
    target's migration was named wrongly (`in  "3"`)."""
    repo = forked(tmp_path)
    git(repo, "config", "i18n.logOutputEncoding", "UTF-16")
    code, out, _ = run(capsys, repo, "main")
    assert code == 1
    assert "added on main since this branch forked, in " in out
    commit = git(repo, "rev-parse", "--short", "main").strip()
    assert f'in {commit} "target work")' in out


def test_a_subject_cannot_split_a_log_record(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The records of `git log` were split at a byte a commit subject may hold."""
    repo = two_branches(tmp_path, BASE, {}, dict([mig(D, B)]))
    path, source = mig(C, B)
    env = dict(environ(), GIT_INDEX_FILE=str(tmp_path / "index"))
    subprocess.run(["git", "read-tree", "main"], cwd=repo, env=env, check=True)
    oid = blob(repo, source.encode())
    subprocess.run(
        ["git", "update-index", "--add", "--cacheinfo", f"100644,{oid},{path}"],
        cwd=repo,
        env=env,
        check=True,
    )
    tree = subprocess.run(
        ["git", "write-tree"], cwd=repo, env=env, check=True, capture_output=True, text=True
    ).stdout.strip()
    commit = git(repo, "commit-tree", tree, "-p", "main", "-m", "add\x01users").strip()
    git(repo, "update-ref", "refs/heads/main", commit)
    code, out, _ = run(capsys, repo, "main")
    assert code == 1
    assert f'in {commit[:7]} "add\\x01users")' in out


# ---------------------------------------------------------------------- forged objects


def test_a_tree_entry_cannot_lead_out_of_its_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A tree entry named `../../x.py` (git refuses to check it out; `hash-object
    --literally` writes it): rename detection wrote the bytes to that path, outside its
    temporary directory, anywhere the user may write."""
    edited = mig(B, A, upgrade="op.drop_table('t')")
    repo = two_branches(tmp_path / "repo", BASE, {}, dict([edited]))
    outside = tmp_path / "written.py"
    forged = m(B, A).source.replace('"""', '"""moved', 1).encode()
    name = b"../" * 12 + str(outside).lstrip("/").encode()
    versions = raw_tree(
        repo,
        [
            (b"100644", mig(A)[0].rsplit("/", 1)[1].encode(), blob(repo, BASE[mig(A)[0]].encode())),
            (b"100644", name, blob(repo, forged)),
        ],
    )
    db = raw_tree(repo, [(b"40000", b"versions", versions)])
    commit_tree(repo, [(b"40000", b"db", db)], "main")
    before = state(repo)
    code, _, err = run(capsys, repo, "main")
    assert code == 2
    assert "git tree db/versions holds an entry named '../../" in one_error(err)
    assert "a path git refuses to check out" in err
    assert not outside.exists()
    assert state(repo) == before


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ([(b"100644", b"..", "blob")], "holds an entry named '..'"),
        ([(b"100644", b".GIT", "blob")], "holds an entry named '.GIT'"),
        ([(b"100644", b"a/b.py", "blob")], "holds an entry named 'a/b.py'"),
        ([(b"100644", b"x.py", "short")], "is malformed"),
        ([(b"40000", b"versions", "blob")], "git tree db/versions is a blob"),
    ],
)
def test_forged_trees_are_one_line(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    entries: list[tuple[bytes, bytes, str]],
    message: str,
) -> None:
    repo = forked(tmp_path)
    oid = blob(repo, m(C, B).source.encode())
    if entries[0][2] == "short":
        data = b"100644 x.py\0\x01\x02"
        inner = git(repo, "hash-object", "-t", "tree", "-w", "--literally", "--stdin", data=data)
        db = raw_tree(repo, [(b"40000", b"versions", inner.strip())])
    elif entries[0][1] == b"versions":
        db = raw_tree(repo, [(b"40000", b"versions", oid)])
    else:
        versions = raw_tree(repo, [(mode, name, oid) for mode, name, _ in entries])
        db = raw_tree(repo, [(b"40000", b"versions", versions)])
    commit_tree(repo, [(b"40000", b"db", db)], "forged")
    code, _, err = run(capsys, repo, "forged")
    assert code == 2
    assert message in one_error(err), err


def test_a_huge_blob_is_not_read_into_memory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A blob of the target is read whole; over the most alembic-lint reads of any file
    (inputs.MAX_CONFIG_BYTES, lowered here), the run stops with its name instead."""
    from alembic_lint.git import trees

    monkeypatch.setattr(trees, "MAX_CONFIG_BYTES", 64 * 1024)
    path, source = mig(C, B)
    big = source + "#" + "x" * (80 * 1024) + "\n"
    repo = two_branches(tmp_path, BASE, {path: big}, dict([mig(D, B)]))
    code, _, err = run(capsys, repo, "main")
    assert code == 2
    assert f"{path} at " in one_error(err) and "file is too large to analyse" in err


def on_main(repo: Path, tmp: Path, entries: dict[str, tuple[str, str | None]]) -> None:
    """A commit on ``main`` with ``entries`` (path -> (mode, object or None: deleted)),
    made through a scratch index: the repository's own index is not touched."""
    env = dict(environ(), GIT_INDEX_FILE=str(tmp / "scratch-index"))
    subprocess.run(["git", "read-tree", "main"], cwd=repo, env=env, check=True)
    for path, (mode, oid) in entries.items():
        args = (
            ["--force-remove", path]
            if oid is None
            else ["--add", "--cacheinfo", f"{mode},{oid},{path}"]
        )
        subprocess.run(["git", "update-index", *args], cwd=repo, env=env, check=True)
    tree = subprocess.run(
        ["git", "write-tree"], cwd=repo, env=env, check=True, capture_output=True, text=True
    ).stdout.strip()
    commit = git(repo, "commit-tree", tree, "-p", "main", "-m", "on main").strip()
    git(repo, "update-ref", "refs/heads/main", commit)


# ---------------------------------------------------------------------- repository shapes


def test_every_history_is_in_the_one_work_tree(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A second PATH in another repository, in none, or in a repository nested in the
    first (a submodule) was read from disk and never reported on: a broken history
    there passed."""
    clean = two_branches(tmp_path / "clean", BASE, {}, dict([mig(D, B)]))
    broken = forked(tmp_path / "broken")
    plain = tmp_path / "plain"
    plain.mkdir()
    for path, source in forked_files():
        (plain / Path(path).name).write_text(source)
    code, _, err = run(capsys, clean, "main", str(clean / VERSIONS), str(broken / VERSIONS))
    assert code == 2
    assert f"{broken / VERSIONS}: not in the git work tree {clean}" in one_error(err)
    assert "run it once for each" in err
    code, _, err = run(capsys, clean, "main", str(clean / VERSIONS), str(plain))
    assert code == 2 and f"{plain}: not in the git work tree" in one_error(err)
    # A repository inside the work tree (git keeps it out of the merge: a submodule).
    nested = forked(clean / "nested")
    code, _, err = run(capsys, clean, "main", str(clean / VERSIONS), str(nested / VERSIONS))
    assert code == 2
    assert f"in {nested}, a git repository of its own (a submodule)" in one_error(err)
    # From inside it, it is the work tree.
    code, out, _ = run(capsys, nested, "main", str(nested / VERSIONS))
    assert code == 1 and "AL001 after merging into main: 2 heads" in out


@pytest.mark.parametrize("replacement", ["a file", "a submodule"])
def test_the_target_replaces_the_versions_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], replacement: str
) -> None:
    """main turns the versions directory into a file (or a submodule) while the branch
    adds a migration in it: git stops at the directory (file/directory conflict); the
    conflict was not reported, only what it left behind."""
    repo = two_branches(tmp_path / "repo", BASE, {}, dict([mig(D, B)]))
    if replacement == "a file":
        entry = ("100644", blob(repo, b"not a directory\n"))
    else:
        entry = ("160000", git(repo, "rev-parse", "main").strip())
    gone: dict[str, tuple[str, str | None]] = {path: ("100644", None) for path in BASE}
    on_main(repo, tmp_path, {**gone, VERSIONS: entry})
    code, out, _ = run(capsys, repo, "main")
    assert code == 1
    assert (
        f"{VERSIONS}:1:1: AL010 git merge into main will stop here: a directory on one side "
        f"and {replacement} on the other" in out
    )
    from git_support import conflicted, real_merge

    clean, output = real_merge(repo)
    assert not clean and "CONFLICT (file/directory)" in output, output
    assert conflicted(repo) == {f"{VERSIONS}~main"}


def test_a_symlink_out_of_the_work_tree_is_followed_as_alembic_will(tmp_path: Path) -> None:
    """A migration that main adds as a symlink to a file outside the work tree: once
    merged, Alembic loads the file it points at; it was taken for absent (one head, and
    "All checks passed")."""
    from against_support import compare

    outside = tmp_path / "shared" / "eeeeeeeeeeee_shared.py"
    outside.parent.mkdir()
    outside.write_text(m("eeeeeeeeeeee", B).source)
    repo = two_branches(tmp_path / "repo", BASE, {}, dict([mig(D, B)]))
    link = blob(repo, str(outside).encode())
    on_main(repo, tmp_path, {f"{VERSIONS}/eeeeeeeeeeee_shared.py": ("120000", link)})
    predicted = compare(repo)
    assert set(predicted.verdict.heads) == {D, "eeeeeeeeeeee"}
    assert "AL001" in {d.code for d in predicted.diagnostics}


@pytest.mark.parametrize("conversion", ["core.autocrlf", "eol=crlf", "ident"])
def test_git_conversions_in_the_work_tree_are_no_change(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], conversion: str
) -> None:
    """With `core.autocrlf` (Windows' default), an `eol=crlf` or `ident` attribute, the
    files on disk are not their blobs' bytes though git sees no change: every file looked
    changed on the branch, and one main edited was "in conflict" (AL010) where git
    merges cleanly."""
    path = mig(B, A)[0]
    # (`ident` expands `$Id$` on checkout.)
    base = {p: s.replace('"""\n', '"""\n# $Id$\n', 1) for p, s in BASE.items()}
    edited = base[path].replace(
        "def downgrade():\n    pass", "def downgrade():\n    op.drop_table('x')"
    )
    assert edited != base[path]
    repo = two_branches(tmp_path, base, {**FORKED[0], path: edited}, dict([mig(D, C)]))
    if conversion == "core.autocrlf":
        git(repo, "config", "core.autocrlf", "true")
    else:
        (repo / ".git" / "info" / "attributes").write_text(f"*.py text {conversion}\n")
    for file in (repo / VERSIONS).iterdir():
        file.unlink()
    git(repo, "checkout", "-q", "--", ".")
    on_disk = (repo / path).read_bytes()
    assert on_disk != base[path].encode()  # converted on checkout
    assert git(repo, "status", "--porcelain") == ""
    code, out, _ = run(capsys, repo, "main")
    assert (code, out) == (0, "All checks passed.\n")
    from git_support import real_merge

    clean, output = real_merge(repo)
    assert clean, output


def test_an_object_that_never_comes_stops_the_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A named pipe where git keeps a loose object: `cat-file` waits on it forever, and
    so did the run. (The deadline is shortened here; 60 s by default.)"""
    from alembic_lint.git import process

    monkeypatch.setattr(process, "BATCH_TIMEOUT", 1.0)
    repo = forked(tmp_path)
    oid = git(repo, "rev-parse", f"main:{mig(C, B)[0]}").strip()
    loose = repo / ".git" / "objects" / oid[:2] / oid[2:]
    loose.unlink()  # (fast-import leaves the objects of a small import loose)
    os.mkfifo(loose)
    code, _, err = run(capsys, repo, "main")
    assert code == 2
    assert f"git cat-file gave no answer in 1 s for {oid}" in one_error(err)


def test_a_repository_whose_config_moves_the_work_tree(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`core.worktree` naming another directory: git was asked about the objects from
    there, outside any repository ("not a git repository")."""
    repo = forked(tmp_path / "repo")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    git(repo, "config", "core.worktree", str(elsewhere))
    code, _, err = run(capsys, repo, "main")
    assert code == 2
    assert f"work tree of its repository is {elsewhere} (core.worktree)" in one_error(err)
    git(repo, "config", "--unset", "core.worktree")
    git(repo, "config", "core.repositoryformatversion", "1")
    git(repo, "config", "extensions.unheardOf", "true")
    code, _, err = run(capsys, repo, "main")
    assert code == 2
    assert one_error(err).endswith("unknown repository extension found: unheardof\n"), err


def test_no_transport_even_where_lazy_fetching_is_not_switched_off(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A git older than GIT_NO_LAZY_FETCH (2.44) fetches a partial clone's missing blob
    from its promisor remote, and the repository's config can allow the transport
    (`protocol.file.allow`, over the `-c protocol.allow=never` given) and name the
    command it runs (`remote.origin.uploadpack`): a program run. Here that old git is
    played by dropping the variable."""
    from alembic_lint.git import process

    real = process.clean_environment

    def old_git() -> dict[str, str]:
        env = real()
        del env["GIT_NO_LAZY_FETCH"]
        return env

    monkeypatch.setattr(process, "clean_environment", old_git)
    origin = forked(tmp_path / "origin")
    git(origin, "config", "uploadpack.allowFilter", "true")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--filter=blob:none", f"file://{origin}", str(clone))
    git(clone, "checkout", "-q", "feature")
    marker = tmp_path / "ran"
    git(clone, "config", "protocol.file.allow", "always")
    git(clone, "config", "remote.origin.uploadpack", f"touch {marker}; git-upload-pack")
    code, _, err = run(capsys, clone, "origin/main")
    assert code == 2 and "git cat-file stopped: " in one_error(err)
    assert not marker.exists()


# ---------------------------------------------------------------------- the cache


def test_the_cache_never_changes_the_answer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Warm runs answer as the cold one; cache files edited, or sealed ones swapped for
    another run's (a plain run's under the --against run's name), are not believed."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("ALEMBIC_LINT_CACHE_DIR", raising=False)
    repo = forked(tmp_path / "repo")
    versions = str(repo / VERSIONS)

    def answer(*extra: str) -> tuple[int, str]:
        code = main(["--against", "main", "--format", "json", *extra, versions])
        return code, capsys.readouterr().out

    cold = answer("--no-cache")
    assert cold[0] == 1 and '"AL001"' in cold[1]
    assert answer() == cold and answer() == cold  # filling the cache, then from it
    assert main(["--format", "json", versions]) == 0  # a plain run: its own cache files
    capsys.readouterr()
    files = sorted(p for p in (tmp_path / "cache").rglob("*.json"))
    plain = {
        p.name.replace("-against", ""): p.read_bytes() for p in files if "-against" not in p.name
    }
    swapped = [p for p in files if "-against" in p.name and p.name.replace("-against", "") in plain]
    assert swapped
    for path in swapped:
        path.write_bytes(plain[path.name.replace("-against", "")])
    assert answer() == cold
    for path in files:
        path.write_bytes(path.read_bytes().replace(C.encode(), D.encode()))
    assert answer() == cold
