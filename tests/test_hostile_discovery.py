"""Attacks on discovery (issue 11, items 1 and 13): what `alembic-lint .` finds below a
directory, and what it says when it cannot look.

The answer is the right histories, or exit status 2 with one line: never a traceback, a
hang, or "All checks passed." on a set of files that is not the one asked for. Permission
attacks run in a child process that file permissions bind (as root, it becomes nobody).
"""

from __future__ import annotations

import contextlib
import io
import os
import pickle
import shutil
import stat
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest

import alembic_lint.discover as discover_mod
from alembic_lint.cli import main
from alembic_lint.discover import DiscoveryError, discover

NOBODY = 65534
T = TypeVar("T")

REVISION = "revision = {rev!r}\ndown_revision = {down!r}\n\n\ndef upgrade():\n    pass\n"


def rev(directory: Path, rid: str, down: str | None = None) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{rid}_m.py"
    path.write_text(REVISION.format(rev=rid, down=down))
    return path


def two_heads(directory: Path) -> Path:
    rev(directory, "aaaaaaaaaaaa")
    rev(directory, "bbbbbbbbbbbb", "aaaaaaaaaaaa")
    rev(directory, "cccccccccccc", "aaaaaaaaaaaa")
    return directory


def run(*args: str) -> tuple[int, str, str]:
    """``main(args)``, its exit status and what it printed (in this process)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def one_line_error(result: tuple[int, str, str]) -> str:
    code, out, err = result
    assert "Traceback" not in out + err, err
    assert code == 2 and out == "", (code, out, err)
    assert err.count("\n") == 1 and err.startswith("alembic-lint: error: "), err
    return err


@pytest.fixture
def shared_tmp(request: pytest.FixtureRequest) -> Iterator[Path]:
    """A directory another user may enter (pytest's own tmp_path is root's alone)."""
    path = Path(tempfile.mkdtemp(dir="/tmp"))
    path.chmod(0o755)

    def clean() -> None:
        for root, dirs, _ in os.walk(path):
            for name in dirs:
                os.chmod(os.path.join(root, name), 0o755)
        shutil.rmtree(path)

    request.addfinalizer(clean)
    yield path


@pytest.fixture(scope="module")
def warm() -> None:
    """Import everything a run needs while we still may read the interpreter's files."""
    with tempfile.TemporaryDirectory() as name:
        versions = two_heads(Path(name) / "versions")
        run("--no-cache", "--format", "full", str(versions))
        run("--no-cache", "graph", str(versions))
        run("merge", "--dry-run", str(versions))
        import configparser  # noqa: F401
        import tokenize  # noqa: F401
        import tomllib  # noqa: F401


def unprivileged(cwd: Path, fn: Callable[[], T]) -> T:
    """``fn()`` in a forked child bound by file permissions, run in ``cwd``."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        status = 0
        try:
            os.close(read_end)
            os.chdir(cwd)  # first: the directories above may be closed to the user
            if os.geteuid() == 0:
                os.setgroups([])
                os.setgid(NOBODY)
                os.setuid(NOBODY)
            try:
                result: tuple[str, object] = ("ok", fn())
            except BaseException as exc:  # reported to the parent
                result = ("raised", f"{type(exc).__name__}: {exc}")
            with os.fdopen(write_end, "wb") as out:
                pickle.dump(result, out)
        except BaseException:
            status = 1
        finally:
            os._exit(status)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as handle:
        data = handle.read()
    os.waitpid(pid, 0)
    kind, value = pickle.loads(data)
    assert kind == "ok", value
    return value  # type: ignore[no-any-return]


# ------------------------------------------------------------------ what cannot be read


def test_directories_below_that_cannot_be_read_are_named_not_a_traceback(
    shared_tmp: Path, warm: None
) -> None:
    two_heads(shared_tmp / "db" / "versions")
    rev(shared_tmp / "locked" / "versions", "dddddddddddd")
    rev(shared_tmp / "listless" / "versions", "eeeeeeeeeeee")
    (shared_tmp / "locked").chmod(0)  # neither listed nor entered
    (shared_tmp / "listless").chmod(0o311)  # entered but not listed

    code, out, err = unprivileged(shared_tmp, lambda: run("--no-cache", "."))

    assert "Traceback" not in err, err
    assert code == 1 and "AL001" in out  # the history that can be read is linted
    assert "cannot be read" in err and "locked" in err and "listless" in err

    # When what cannot be read is all there is, nothing passes: one line, exit 2.
    shutil.rmtree(shared_tmp / "db")
    err = one_line_error(unprivileged(shared_tmp, lambda: run("--no-cache", ".")))
    assert "no Alembic history" in err and "locked" in err


def test_an_unreadable_migration_makes_its_directory_a_question_not_nothing(
    shared_tmp: Path, warm: None
) -> None:
    rev(shared_tmp / "db" / "versions", "aaaaaaaaaaaa")
    hidden = rev(shared_tmp / "other" / "versions", "bbbbbbbbbbbb")
    hidden.chmod(0)
    code, _, err = unprivileged(shared_tmp, lambda: run("--no-cache", "."))
    assert code == 0 and "Traceback" not in err
    assert "other/versions/bbbbbbbbbbbb_m.py" in err and "cannot be read" in err


def test_a_configured_versions_directory_that_cannot_be_listed_is_an_error(
    shared_tmp: Path, warm: None
) -> None:
    versions = two_heads(shared_tmp / "migrations" / "versions")
    (shared_tmp / "alembic.ini").write_text("[alembic]\nscript_location = migrations\n")
    versions.chmod(0o311)
    for args in (["--no-cache"], ["--no-cache", "migrations/versions"], ["graph"], ["merge"]):
        err = one_line_error(unprivileged(shared_tmp, lambda args=args: run(*args)))  # type: ignore[misc]
        assert "migrations/versions" in err and "ermission denied" in err, (args, err)


def test_paths_that_cannot_be_looked_at_say_so(shared_tmp: Path, warm: None) -> None:
    versions = two_heads(shared_tmp / "secret" / "versions")
    (shared_tmp / "secret" / "alembic.ini").write_text("[alembic]\nscript_location = .\n")
    (shared_tmp / "secret").chmod(0)
    for args in (
        ["--no-cache", "secret/versions"],
        ["--no-cache", "secret/versions/aaaaaaaaaaaa_m.py"],
        ["--no-cache", "secret/alembic.ini"],
        ["--no-cache", "secret"],
        ["graph", "secret/versions"],
        ["merge", "secret/versions"],
        ["rebase", "secret/versions", "--onto", "bbbb"],
    ):
        err = one_line_error(unprivileged(shared_tmp, lambda args=args: run(*args)))  # type: ignore[misc]
        assert "ermission denied" in err and "no such file" not in err, (args, err)
    assert versions.exists()


def test_a_settings_file_that_cannot_be_read_is_an_error_not_ignored(
    shared_tmp: Path, warm: None
) -> None:
    """A pyproject.toml above the project may hold [tool.alembic-lint]: going on without
    it would lint with other rules than the user chose."""
    project = shared_tmp / "project"
    two_heads(project / "versions")
    settings = shared_tmp / "pyproject.toml"
    settings.write_text('[tool.alembic-lint]\nignore = ["AL001"]\n')
    settings.chmod(0)
    err = one_line_error(unprivileged(project, lambda: run("--no-cache", "versions")))
    assert "pyproject.toml" in err and "ermission denied" in err
    # A directory above that cannot even be entered (the run was started below it): the
    # same, for every command.
    settings.chmod(0o644)
    shared_tmp.chmod(0o700)
    for args in (["--no-cache", "versions"], ["graph", "versions"], ["merge", "--dry-run"]):
        err = one_line_error(unprivileged(project, lambda args=args: run(*args)))  # type: ignore[misc]
        assert "ermission denied" in err, (args, err)


# ------------------------------------------------------------------ what the search finds


def test_the_search_is_breadth_first_so_a_big_sibling_cannot_hide_a_history(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Depth first, `assets/` (sorted before `db/`) used up the whole directory budget."""
    monkeypatch.setattr(discover_mod, "SEARCH_DIRS", 200)
    for i in range(30):
        for j in range(10):
            (tmp_path / "assets" / f"d{i}" / f"e{j}").mkdir(parents=True)
    two_heads(tmp_path / "db" / "versions")
    warnings: list[str] = []
    (spec,) = discover(["."], cwd=tmp_path, warn=warnings.append)
    assert spec.locations == (tmp_path / "db" / "versions",)
    assert len(warnings) == 1 and "stopped looking" in warnings[0]


def test_the_search_reports_histories_in_path_order(tmp_path: Path) -> None:
    rev(tmp_path / "a" / "b" / "c" / "versions", "aaaaaaaaaaaa")
    rev(tmp_path / "z" / "versions", "bbbbbbbbbbbb")
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "alembic.ini").write_text("[alembic]\nscript_location = %(here)s/s\n")
    rev(tmp_path / "m" / "s" / "versions", "cccccccccccc")
    specs = discover(["."], cwd=tmp_path)
    assert [s.name for s in specs] == ["a/b/c/versions", "m/alembic.ini", "z/versions"]


def test_a_config_found_below_never_leads_the_search_out_of_the_repository(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pull request that adds `evil/alembic.ini` pointing at /usr (recursively) made
    `alembic-lint .` read every Python file of the system."""
    repository, outside = tmp_path / "repo", tmp_path / "outside"
    (repository / ".git").mkdir(parents=True)
    two_heads(repository / "db" / "versions")
    rev(outside, "dddddddddddd")
    (repository / "evil").mkdir()
    (repository / "evil" / "alembic.ini").write_text(
        "[alembic]\nscript_location = /\nversion_locations = /usr\n"
        "recursive_version_locations = true\n"
    )
    (repository / "sneaky").mkdir()
    (repository / "sneaky" / "migrations").symlink_to(outside, target_is_directory=True)
    (repository / "sneaky" / "alembic.ini").write_text(
        "[alembic]\nscript_location = %(here)s\nversion_locations = %(here)s/migrations\n"
        "recursive_version_locations = true\n"
    )
    monkeypatch.chdir(repository)
    started = time.monotonic()
    code = main(["--no-cache", "."])
    out, err = capsys.readouterr()
    assert time.monotonic() - started < 20
    assert code == 1 and "AL001" in out and "dddddddddddd" not in out
    assert "evil/alembic.ini" in err and "sneaky/alembic.ini" in err and "outside" in err
    # Given as a PATH, a config is the user's choice: read as Alembic reads it.
    (spec,) = discover(["sneaky/alembic.ini"], cwd=repository)
    assert spec.recursive and [f.name for f in spec.files] == ["dddddddddddd_m.py"]


def test_vendored_packages_are_not_searched(tmp_path: Path) -> None:
    """`pip install --target vendor` leaves no pyvenv.cfg, but *.dist-info beside what it
    installed; some packages ship their own Alembic history (Airflow does)."""
    two_heads(tmp_path / "db" / "versions")
    rev(tmp_path / "vendor" / "airflow" / "migrations" / "versions", "dddddddddddd")
    (tmp_path / "vendor" / "apache_airflow-2.9.0.dist-info").mkdir()
    rev(tmp_path / "__pypackages__" / "3.11" / "lib" / "pkg" / "versions", "eeeeeeeeeeee")
    specs = discover(["."], cwd=tmp_path)
    assert [s.locations for s in specs] == [(tmp_path / "db" / "versions",)]


def test_what_only_looks_like_a_migration_is_not_one(tmp_path: Path) -> None:
    strange = {
        "call.py": "op.execute(\ndown_revision = 1)\n",
        "dict.py": "X = {\ndown_revision: 1}\n",
        "rot13.py": "# coding: rot13\ndown_revision = None\n",
        "hex.py": "# -*- coding: hex -*-\ndown_revision = None\n",
        "bogus.py": "# coding: no-such-codec\ndown_revision = None\n",
    }
    for name, text in strange.items():
        (tmp_path / "tools" / name[:-3]).mkdir(parents=True)
        (tmp_path / "tools" / name[:-3] / name).write_text(text)
    message = error(lambda: discover(["."], cwd=tmp_path))
    assert message.startswith(f"no Alembic history in {tmp_path} or below")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX special files")
def test_the_search_opens_only_regular_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Opening a device can act (a tape rewinds, a watchdog starts): a FIFO, a socket or
    a device named *.py is never opened, not even without blocking."""
    import socket

    rev(tmp_path / "db" / "versions", "aaaaaaaaaaaa")
    special = tmp_path / "special"
    special.mkdir()
    os.mkfifo(special / "fifo.py")
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(special / "sock.py"))
        (special / "tty.py").symlink_to("/dev/tty")
        (special / "null.py").symlink_to("/dev/null")
        opened: list[str] = []
        real_open = os.open

        def spy(path: str | os.PathLike[str], *args: int, **kwargs: int) -> int:
            opened.append(os.fspath(path))
            return real_open(path, *args, **kwargs)

        monkeypatch.setattr(discover_mod.os, "open", spy)
        (spec,) = discover(["."], cwd=tmp_path)
    assert spec.locations == (tmp_path / "db" / "versions",)
    assert not [p for p in opened if "special" in p], opened


def test_config_values_holding_nul_are_one_line_errors(tmp_path: Path) -> None:
    rev(tmp_path / "migrations" / "versions", "aaaaaaaaaaaa")
    for body in (
        'script_location = "migrations"\nprepend_sys_path = ["a\\u0000b"]\n'
        'version_locations = ["pkg:versions"]',
        'script_location = "pkg\\u0000x:versions"',
        'script_location = "mig\\u0000rations"',
        'script_location = "migrations"\nversion_locations = ["a\\u0000b"]',
    ):
        (tmp_path / "pyproject.toml").write_text(f"[tool.alembic]\n{body}\n")
        message = error(lambda: discover([], cwd=tmp_path))
        assert "pyproject.toml" in message and "NUL" in message, message


def test_an_empty_path_is_a_usage_error_not_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`alembic-lint "$MIGRATIONS"` with the variable unset must not lint something else."""
    two_heads(tmp_path / "db" / "versions")
    monkeypatch.chdir(tmp_path)
    for args in ([""], ["db", ""], ["graph", ""], ["--stdin-filename", "", "-"]):
        err = one_line_error(run("--no-cache", *args) if args[0] != "graph" else run(*args))
        assert "empty" in err, err


def test_a_mistyped_command_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    err = one_line_error(run("grpah"))
    assert "grpah: no such file or directory" in err and "`alembic-lint graph`" in err
    err = one_line_error(run("mergee", "--dry-run"))
    assert "`alembic-lint merge`" in err
    # a directory of that name is a PATH, as ever
    (tmp_path / "grpah").mkdir()
    assert "did you mean" not in run("grpah")[2]


def error(fn: Callable[[], object]) -> str:
    with pytest.raises(DiscoveryError) as info:
        fn()
    message = str(info.value)
    assert "\n" not in message
    return message


def test_a_special_file_given_as_a_config_is_refused(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "alembic.ini")
    message = error(lambda: discover(["alembic.ini"], cwd=tmp_path))
    assert "not a regular file" in message
    assert stat.S_ISFIFO(os.stat(tmp_path / "alembic.ini").st_mode)
