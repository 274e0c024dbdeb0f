"""A cache a repository brings never changes an answer; nor does a damaged one.

The attack: a pull request commits a forged ``.alembic-lint-cache/`` (``git add -f``) to a
history with two heads and a missing parent; CI lints a fresh clone. The forger has the
same alembic-lint and knows where CI clones (the tests forge at the clone's path), but not
the key in CI's cache home. Each forgery is made the way an attacker would: run
alembic-lint, then edit what it wrote. The victim runs by default (bare ``alembic-lint``
in the directory holding ``alembic.ini``) and with ``--cache-dir .alembic-lint-cache``
(a CI job that keeps its cache in the workspace).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from alembic_lint import cache, replay
from alembic_lint.entry import main

HEALTHY_PARENTS = "('bbbbbbbbbbbb', 'cccccccccccc')"
#: A typo: the merge names a missing parent and leaves two heads (cccc and dddd).
BROKEN_PARENTS = "('bbbbbbbbbbbb', 'cccccccccccd')"
GIT_ENV = {
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "forger",
    "GIT_AUTHOR_EMAIL": "forger@example.invalid",
    "GIT_COMMITTER_NAME": "forger",
    "GIT_COMMITTER_EMAIL": "forger@example.invalid",
}
PLANT = ".alembic-lint-cache"
MODES = {"default": [], "cache-dir": ["--cache-dir", PLANT]}
#: Runs alembic-lint with the racy window closed, so that it records what it saw at once.
FORGE = (
    "import sys\n"
    "from alembic_lint import cache, replay\n"
    "replay.RACY_NS = 0\n"
    "cache.RACY_NS = 0\n"
    "from alembic_lint.entry import main\n"
    "sys.exit(main(sys.argv[1:]))\n"
)

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


def migration(revision: str, down: str) -> str:
    revises = "" if down == "None" else " " + down.strip("()").replace("'", "")
    return (
        f'"""{revision}\n\nRevision ID: {revision}\nRevises:{revises}\n"""\n'
        f"revision = '{revision}'\ndown_revision = {down}\n"
        "branch_labels = None\ndepends_on = None\n\n\n"
        "def upgrade():\n    pass\n\n\ndef downgrade():\n    pass\n"
    )


def merge_file(parents: str) -> bytes:
    return migration("dddddddddddd", parents).encode()


def git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", *args],
        cwd=cwd,
        env={**os.environ, **GIT_ENV},
        check=True,
        capture_output=True,
    )


class Scene:
    """An origin repository (bare), the path CI clones it to, and the forger's cache home.
    Runs are in-process where that tests the same thing, in a process of their own where
    the process matters (a replay record is made for one command line and process)."""

    def __init__(
        self,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        self.monkeypatch = monkeypatch
        self.capsys = capsys
        self.tmp = tmp_path
        self.origin = tmp_path / "origin.git"
        self.repo = tmp_path / "ci" / "repo"  # where the forger works and CI clones
        self.project = self.repo / "backend"
        self.outside = tmp_path / "outside"  # the target of symlinks
        self.attacker_home = tmp_path / "attacker-home"
        self.outside.mkdir()
        staging = tmp_path / "staging"
        versions = staging / "backend" / "migrations" / "versions"
        versions.mkdir(parents=True)
        (staging / "backend" / "alembic.ini").write_text(
            "[alembic]\nscript_location = %(here)s/migrations\n"
        )
        for name, revision, down in (
            ("aaaaaaaaaaaa_base.py", "aaaaaaaaaaaa", "None"),
            ("bbbbbbbbbbbb_left.py", "bbbbbbbbbbbb", "'aaaaaaaaaaaa'"),
            ("cccccccccccc_right.py", "cccccccccccc", "'aaaaaaaaaaaa'"),
        ):
            (versions / name).write_text(migration(revision, down))
        (versions / "dddddddddddd_merge.py").write_bytes(merge_file(BROKEN_PARENTS))
        git(staging, "init", "-q", "-b", "main")
        git(staging, "add", ".")
        git(staging, "commit", "-q", "-m", "a history with two heads and a missing parent")
        git(tmp_path, "clone", "-q", "--bare", str(staging), str(self.origin))
        shutil.rmtree(staging)
        git(tmp_path, "clone", "-q", str(self.origin), str(self.repo))

    @property
    def merge(self) -> Path:
        return self.project / "migrations" / "versions" / "dddddddddddd_merge.py"

    def forge_run(self, *args: str, process: bool = False) -> None:
        """The forger runs alembic-lint at the clone's path, in its own cache home."""
        if process:
            env = {k: v for k, v in os.environ.items() if k not in replay.ENV_KEYS}
            env["XDG_CACHE_HOME"] = str(self.attacker_home)
            done = subprocess.run(
                [sys.executable, "-c", FORGE, *args],
                cwd=self.project,
                env=env,
                capture_output=True,
                check=False,
            )
            assert done.returncode in (0, 1), done.stderr
            return
        with self.monkeypatch.context() as patch:
            patch.setenv("XDG_CACHE_HOME", str(self.attacker_home))
            patch.setattr(replay, "RACY_NS", 0)
            patch.setattr(cache, "RACY_NS", 0)
            assert self.run(*args)[0] in (0, 1)

    def run(self, *args: str) -> tuple[int, str, str]:
        """alembic-lint in-process, in the project (replay first, as the command does)."""
        with self.monkeypatch.context() as patch:
            patch.chdir(self.project)
            code = main(list(args))
        out, err = self.capsys.readouterr()
        return code, out, err

    def victim(self, *args: str, process: bool) -> tuple[int, str, str]:
        """CI's run, in the victim's cache home (the test's: see conftest)."""
        if not process:
            return self.run(*args)
        done = lint(self.project, *args)
        return done.returncode, done.stdout, done.stderr

    def written(self, pattern: str) -> bytes:
        """The newest file matching ``pattern`` the forger's runs wrote (where this
        alembic-lint keeps its cache: in the project or in the forger's cache home)."""
        found = [
            p
            for base in (self.repo, self.attacker_home)
            for p in base.rglob(pattern)
            if ".git" not in p.parts and p.is_file() and not p.is_symlink()
        ]
        assert found, f"the forger's run wrote no {pattern}"
        newest = max(found, key=lambda p: p.stat().st_mtime_ns)
        return newest.name.encode() + b"\0" + newest.read_bytes()

    def clean(self) -> None:
        """Remove what the forger's runs left in the project (only plants get committed)."""
        for directory in (self.project / PLANT, self.repo / PLANT):
            if directory.is_symlink() or directory.is_file():
                directory.unlink()
            elif directory.exists():
                shutil.rmtree(directory)

    def forged(self, pattern: str, *args: str, process: bool = False) -> tuple[str, bytes]:
        """Name and content of the file matching ``pattern`` a forger's run writes."""
        self.forge_run(*args, process=process)
        return unpack(self.written(pattern))

    def plant(self, where: Path, name: str, data: bytes) -> None:
        """Commit ``data`` as ``where/name`` (and nothing else the forger's runs left)."""
        self.clean()
        where.mkdir(parents=True, exist_ok=True)
        (where / name).write_bytes(data)
        self.commit_and_clone()

    def commit_and_clone(self) -> None:
        """Commit the plants with ``git add -f`` and clone the repository afresh."""
        planted = [p for p in (self.project / PLANT, self.repo / PLANT) if os.path.lexists(p)]
        assert planted
        git(self.repo, "add", "-f", *(str(p) for p in planted))
        git(self.repo, "commit", "-q", "-m", "a forged cache")
        git(self.repo, "push", "-q", "origin", "HEAD")
        shutil.rmtree(self.repo)
        git(self.tmp, "clone", "-q", str(self.origin), str(self.repo))
        assert os.path.lexists(planted[0])

    def outside_state(self) -> list[tuple[str, int]]:
        """Every path under the test's directory that is neither in the clone nor in a
        cache home, with its size: what a run must leave alone."""
        found = []
        for path in sorted(self.tmp.rglob("*")):
            if self.repo in path.parents or path == self.repo:
                continue
            if "home" in path.relative_to(self.tmp).parts[0]:
                continue
            found.append((str(path), path.lstat().st_size))
        return found


def unpack(blob: bytes) -> tuple[str, bytes]:
    name, _, data = blob.partition(b"\0")
    return name.decode(), data


def json_line(data: bytes, wanted: str) -> tuple[list[bytes], int, dict[str, object]]:
    """The lines of a cache file, and the first that is a JSON object with ``wanted``."""
    lines = data.split(b"\n")
    for index, line in enumerate(lines):
        try:
            document = json.loads(line)
        except ValueError:
            continue
        if isinstance(document, dict) and wanted in document:
            return lines, index, document
    raise AssertionError(f"no {wanted!r} in the file")


def forge_result(data: bytes) -> bytes:
    """The whole-run result with its findings emptied (the key line left as it was)."""
    lines = data.split(b"\n")
    return b"\n".join([*lines[:-1], b"[]"])


def forge_graph(data: bytes) -> bytes:
    """The graph findings with every position moved ten lines down (the digests of the
    files they point into left as they were)."""
    lines = data.split(b"\n")
    found, at = json.loads(lines[-1])
    assert found and at
    for finding in found:
        finding[0][1] += 10
    return b"\n".join([*lines[:-1], json.dumps([found, at]).encode()])


def forge_record(data: bytes) -> bytes:
    """A replay record that depends on nothing and prints a clean bill of health."""
    lines, index, header = json_line(data, "inputs")
    output = b"All checks passed.\n"
    header.update(inputs=[], stdout=len(output), stderr=0, status=0)
    return b"\n".join([*lines[:index], json.dumps(header).encode()]) + b"\n" + output


def digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def forge_facts(data: bytes) -> bytes:
    """The facts of the healthy merge file filed under the broken file's content hash."""
    lines, index, document = json_line(data, "facts")
    facts = document["facts"]
    assert isinstance(facts, dict)
    facts[digest(merge_file(BROKEN_PARENTS))] = facts.pop(digest(merge_file(HEALTHY_PARENTS)))
    lines[index] = json.dumps(document).encode()
    return b"\n".join(lines)


@pytest.fixture
def scene(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    cache_home: Path,  # CI's, as new as its clone
) -> Scene:
    for name in replay.ENV_KEYS:
        monkeypatch.delenv(name, raising=False)
    return Scene(tmp_path, monkeypatch, capsys)


@pytest.fixture
def honest(scene: Scene) -> tuple[int, str]:
    """What the clone's history really gets: exit status and report (no cache at all)."""
    code, out, _ = scene.run("--no-cache")
    # (AL001 is held back: the missing parent may be the one that closes the fork.)
    assert code == 1 and "AL003" in out and "did you mean" in out
    return code, out


def lint(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """alembic-lint as CI runs it: a process of its own, in the victim's cache home (the
    test's, see conftest), memory and time bounded (a cache file may be /dev/zero)."""

    def bounded() -> None:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))

    env = {k: v for k, v in os.environ.items() if k not in replay.ENV_KEYS}
    try:
        return subprocess.run(
            [sys.executable, "-m", "alembic_lint", *args],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            preexec_fn=bounded,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"alembic-lint {' '.join(args)} hung on the planted cache")


def assert_honest(
    scene: Scene, honest: tuple[int, str], *args: str, process: bool, runs: int = 2
) -> None:
    before = scene.outside_state()
    for run in range(runs):  # the second run (in-process) meets what the first one wrote
        code, out, err = scene.victim(*args, process=process and run == 0)
        assert "Traceback" not in err, err
        assert (code, out) == honest, err
    assert scene.outside_state() == before, "a run wrote outside the repository"


#: The victim by default is CI's command in a process of its own; with --cache-dir,
#: in-process (the same code reads the same files).
IN_PROCESS = {"default": False, "cache-dir": True}


# --------------------------------------------------------------------------- forgeries


@pytest.mark.parametrize("mode", MODES)
def test_a_forged_whole_run_result_is_ignored(
    scene: Scene, honest: tuple[int, str], mode: str
) -> None:
    name, data = scene.forged("result-*.json", *MODES[mode])
    scene.plant(scene.project / PLANT, name, forge_result(data))
    assert_honest(scene, honest, *MODES[mode], process=not IN_PROCESS[mode])


@pytest.mark.parametrize("mode", MODES)
def test_forged_positions_of_the_graph_findings_are_ignored(
    scene: Scene, honest: tuple[int, str], mode: str
) -> None:
    name, data = scene.forged("graph-*.json", *MODES[mode])
    scene.plant(scene.project / PLANT, name, forge_graph(data))
    assert_honest(scene, honest, *MODES[mode], process=not IN_PROCESS[mode])


@pytest.mark.parametrize("mode", MODES)
def test_a_forged_replay_record_is_ignored(
    scene: Scene, honest: tuple[int, str], mode: str
) -> None:
    process = not IN_PROCESS[mode]  # a record is made for the forger's kind of run
    name, data = scene.forged("replay-*.bin", *MODES[mode], process=process)
    scene.plant(scene.project / PLANT, name, forge_record(data))
    assert_honest(scene, honest, *MODES[mode], process=process)


def test_a_forged_replay_record_in_a_parent_directory_is_ignored(
    scene: Scene, honest: tuple[int, str]
) -> None:
    name, data = scene.forged("replay-*.bin", process=True)
    scene.plant(scene.repo / PLANT, name, forge_record(data))  # above the project
    assert_honest(scene, honest, process=True)


@pytest.mark.parametrize("mode", MODES)
def test_a_forged_facts_entry_for_the_broken_file_is_ignored(
    scene: Scene, honest: tuple[int, str], mode: str
) -> None:
    scene.merge.write_bytes(merge_file(HEALTHY_PARENTS))
    name, data = scene.forged("history-*.json", *MODES[mode])
    scene.merge.write_bytes(merge_file(BROKEN_PARENTS))
    scene.plant(scene.project / PLANT, name, forge_facts(data))
    assert_honest(scene, honest, *MODES[mode], process=not IN_PROCESS[mode])


# --------------------------------------------------------------------------- links, FIFOs


@pytest.mark.parametrize("mode", MODES)
def test_a_symlinked_cache_directory_is_not_followed(
    scene: Scene, honest: tuple[int, str], mode: str
) -> None:
    (scene.project / PLANT).symlink_to(scene.outside, target_is_directory=True)
    (scene.repo / PLANT).symlink_to(scene.outside, target_is_directory=True)
    scene.commit_and_clone()
    assert (scene.project / PLANT).is_symlink()
    assert_honest(scene, honest, *MODES[mode], process=False)
    assert list(scene.outside.iterdir()) == []


def _cache_file_names(scene: Scene, mode: str) -> list[str]:
    """The names of the files alembic-lint reads from a cache directory, as the forger's
    run (in the same mode, at the same path) wrote them."""
    scene.forge_run(*MODES[mode])
    scene.forge_run(*MODES[mode])  # the second run also writes the stats of the files
    names = {
        unpack(scene.written(pattern))[0]
        for pattern in ("history-*.json", "result-*.json", "graph-*.json", "replay-*.bin")
    }
    names |= {
        p.name
        for base in (scene.repo, scene.attacker_home)
        for pattern in ("ops-*.json", "stats-*.json")
        for p in base.rglob(pattern)
    }
    scene.clean()
    return sorted(names)


@pytest.mark.parametrize("mode", MODES)
def test_cache_files_linked_to_dev_zero_are_not_read(
    scene: Scene, honest: tuple[int, str], mode: str
) -> None:
    names = _cache_file_names(scene, mode)
    for where in (scene.project / PLANT, scene.repo / PLANT):
        where.mkdir()
        for name in names:
            (where / name).symlink_to("/dev/zero")
    scene.commit_and_clone()
    # In a process of its own, time and memory bounded: an older alembic-lint exhausted it.
    assert_honest(scene, honest, *MODES[mode], process=True, runs=1)


@pytest.mark.parametrize("mode", MODES)
def test_fifos_in_the_cache_directory_do_not_hang(
    scene: Scene, honest: tuple[int, str], mode: str
) -> None:
    """Git cannot commit a FIFO: they are made in the clone (another process's doing)."""
    names = _cache_file_names(scene, mode)
    for where in (scene.project / PLANT, scene.repo / PLANT):
        where.mkdir()
        for name in names:
            os.mkfifo(where / name)
    # In a process of its own, time bounded: an older alembic-lint waited forever.
    assert_honest(scene, honest, *MODES[mode], process=True, runs=1)


# --------------------------------------------------------------------------- the key


Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[Run]:
    """alembic-lint in-process (replay first, as the console script does)."""
    monkeypatch.chdir(tmp_path)
    for name in replay.ENV_KEYS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(replay, "RACY_NS", 0)
    monkeypatch.setattr(cache, "RACY_NS", 0)

    def invoke(*args: str) -> tuple[int, str, str]:
        code = main(list(args))
        out, err = capsys.readouterr()
        assert "Traceback" not in out + err
        return code, out, err

    yield invoke


def two_heads(tmp_path: Path) -> Path:
    versions = tmp_path / "versions"
    versions.mkdir()
    for revision, down in (("aaaaaaaaaaaa", "None"), ("bbbbbbbbbbbb", "'aaaaaaaaaaaa'")):
        (versions / f"{revision}.py").write_text(migration(revision, down))
    (versions / "cccccccccccc.py").write_text(migration("cccccccccccc", "'aaaaaaaaaaaa'"))
    return versions


def test_without_a_usable_cache_home_nothing_is_cached(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cache home that cannot hold a key (here a file where the directory should be):
    every run is a full, correct run, and nothing is written anywhere."""
    two_heads(tmp_path)
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    expected = run("--no-cache", "versions")
    assert expected[0] == 1 and "AL001" in expected[1]
    for _ in range(2):
        assert run("versions") == expected
        assert run("--cache-dir", "cache", "versions") == expected
    assert sorted(p.name for p in tmp_path.iterdir()) == ["not-a-directory", "versions"]


@pytest.mark.parametrize("flaw", ["group-readable", "symlink", "wrong-size"])
def test_a_key_others_could_know_is_not_trusted(
    run: Run, tmp_path: Path, cache_home: Path, flaw: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cache trusts whoever holds the key: a file sealed with it is taken as the
    user's own. So a key file that others may read (group or other permissions, as a
    checkout of a committed file has), a link, or one of the wrong size is not used:
    no cache, rather than one others can forge."""
    from alembic_lint import sealed

    two_heads(tmp_path)
    expected = run("--no-cache", "versions")
    run("versions")
    for record in cache_home.rglob("replay-*.bin"):
        record.unlink()
    result = one(cache_home / "projects", "result-*.json")
    head, _ = sealed_file(result).split(b"\n")
    reseal(result, head + b"\n[]")  # forged by someone who knows the key
    assert run("versions")[:2] == (0, "All checks passed.\n")  # (what a key holder can do)
    key = cache_home / "key"
    if flaw == "group-readable":
        key.chmod(0o640)
    elif flaw == "symlink":
        key.rename(tmp_path / "key")
        key.symlink_to(tmp_path / "key")
    else:
        key.write_bytes(key.read_bytes() + b"\0")
    monkeypatch.setattr(sealed, "_KEYS", {})  # as in a new process: the key is read again
    for _ in range(2):
        assert run("versions")[:2] == expected[:2]


def test_the_key_is_private_and_the_default_cache_outside_the_project(
    run: Run, tmp_path: Path, cache_home: Path
) -> None:
    two_heads(tmp_path)
    run("versions")
    assert cache_home.stat().st_mode & 0o777 == 0o700
    key = cache_home / "key"
    assert key.stat().st_mode & 0o777 == 0o600 and len(key.read_bytes()) == 32
    assert sorted(p.name for p in tmp_path.iterdir()) == ["versions"]
    assert (
        (cache_home / "CACHEDIR.TAG")
        .read_text()
        .startswith("Signature: 8a477f597d28d172789f06886806bc55\n")
    )


# --------------------------------------------------------------------------- corrupt contents


def sealed_file(path: Path) -> bytes:
    from alembic_lint import sealed

    data = sealed.read(str(path))
    assert data is not None
    return data


def reseal(path: Path, data: bytes) -> None:
    """Write ``data`` as this user's alembic-lint would: the cache trusts it, and only its
    checks of every value's type stand between it and the report."""
    from alembic_lint import sealed

    sealed.write(str(path), data)


def one(directory: Path, pattern: str) -> Path:
    (found,) = [p for p in directory.rglob(pattern) if ".journal." not in p.name]
    return found


#: The damaged files are put where the tests can find them.
CACHED = ("--cache-dir", "cache", "versions")


def forget_replays(tmp_path: Path) -> None:
    for record in (tmp_path / "cache").glob("replay-*.bin"):
        record.unlink()


def test_a_wrong_type_in_the_whole_run_result_is_a_miss(run: Run, tmp_path: Path) -> None:
    two_heads(tmp_path)
    expected = run(*CACHED)
    result = one(tmp_path / "cache", "result-*.json")
    head, found = sealed_file(result).split(b"\n")
    findings = json.loads(found)
    findings[0][1] = ["not", "a", "code"]
    reseal(result, head + b"\n" + json.dumps(findings).encode())
    forget_replays(tmp_path)
    assert run(*CACHED) == expected


def test_a_wrong_type_in_the_graph_findings_is_a_miss(run: Run, tmp_path: Path) -> None:
    versions = two_heads(tmp_path)
    run(*CACHED)
    graph = one(tmp_path / "cache", "graph-*.json")
    head, found = sealed_file(graph).split(b"\n")
    findings, at = json.loads(found)
    findings[0][3] = {"a": "message"}
    reseal(graph, head + b"\n" + json.dumps([findings, at]).encode())
    with (versions / "aaaaaaaaaaaa.py").open("a") as handle:
        handle.write("# a body edit: the graph findings come from the cache\n")
    assert run(*CACHED) == run("--no-cache", "versions")


@pytest.mark.parametrize("damage", ["message-list", "code-list", "noqa-string"])
def test_a_wrong_type_in_a_facts_entry_is_a_miss(run: Run, tmp_path: Path, damage: str) -> None:
    versions = tmp_path / "versions"
    versions.mkdir()
    (versions / "aaaaaaaaaaaa.py").write_text(
        migration("aaaaaaaaaaaa", "None").replace(
            "def upgrade():\n    pass",
            "def upgrade():\n    op.drop_table('t')\n    op.drop_index('i')  # noqa: AL201",
        )
    )
    (versions / "bbbbbbbbbbbb.py").write_text(migration("bbbbbbbbbbbb", "'aaaaaaaaaaaa'"))
    run(*CACHED)
    facts = one(tmp_path / "cache", "history-*.json")
    document = json.loads(sealed_file(facts))
    for entry in document["facts"].values():
        variables, syntax, spans, locators = json.loads(entry["facts"])
        if damage == "message-list":
            for finding in entry["local"][1]:
                finding[3] = ["a", "list"]
        elif damage == "code-list":
            for finding in entry["local"][1]:
                finding[1] = ["not", "a", "code"]
        else:  # a string where a list of codes belongs
            for noqa in entry["noqa"]:
                noqa[3] = "AL201"
        entry["facts"] = json.dumps([variables, syntax, spans, locators])
    reseal(facts, json.dumps(document).encode())
    for stale in [*(tmp_path / "cache").glob("result-*"), *(tmp_path / "cache").glob("graph-*")]:
        stale.unlink()
    forget_replays(tmp_path)
    assert run(*CACHED) == run("--no-cache", "versions")


def _record(run: Run, tmp_path: Path) -> tuple[Path, tuple[int, str, str]]:
    versions = two_heads(tmp_path)
    (versions / "cccccccccccc.py").unlink()  # one head: exit status 0
    expected = run(*CACHED)
    assert run(*CACHED) == expected  # (the first run made the cache directory it lists)
    (record,) = (tmp_path / "cache").glob("replay-*.bin")
    return record, expected


def test_a_deeply_nested_replay_record_is_a_miss(run: Run, tmp_path: Path) -> None:
    record, expected = _record(run, tmp_path)
    reseal(record, b'{"key": ' + b"[" * 100_000 + b"]" * 100_000 + b"}\n")
    assert run(*CACHED) == expected


@pytest.mark.parametrize("field", ["status", "stdout", "inputs"])
def test_a_wrong_type_in_a_replay_record_is_a_miss(run: Run, tmp_path: Path, field: str) -> None:
    record, expected = _record(run, tmp_path)
    assert expected[:2] == (0, "All checks passed.\n")
    header, _, body = sealed_file(record).partition(b"\n")
    document = json.loads(header)
    if field == "status":  # True == 1: the exit status of findings
        document["status"] = True
    elif field == "stdout":  # lengths that add up, cutting the report elsewhere
        document["stdout"], document["stderr"] = -5, document["stderr"] + document["stdout"] + 5
    else:  # a mapping, which iterates as no inputs at all: the record holds whatever changes
        document["inputs"] = {}
        (tmp_path / "versions" / "cccccccccccc.py").write_text(
            migration("cccccccccccc", "'aaaaaaaaaaaa'")
        )
        expected = run("--no-cache", "versions")
        assert expected[0] == 1
    reseal(record, json.dumps(document).encode() + b"\n" + body)
    assert run(*CACHED) == expected
