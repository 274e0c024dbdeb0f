"""Replaying an unchanged report: identical output, and never when any input changed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from alembic_lint import cache, cli, replay
from alembic_lint.entry import main

ROOT = Path(__file__).resolve().parent.parent
NO_CACHE = shutil.ignore_patterns(".alembic-lint-cache")

Run = Callable[..., tuple[int, str, str, bool]]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "fixtures" / "demo", tmp_path / "demo", ignore=NO_CACHE)
    return tmp_path / "demo"


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Run:
    """Runs the command in-process; also says whether it was replayed (the CLI not run)."""
    monkeypatch.chdir(tmp_path)
    for name in replay.ENV_KEYS:
        monkeypatch.delenv(name, raising=False)
    # Files written a moment ago are racy; the tests edit them on purpose, and each edit
    # changes the size or the timestamp, so the window can be closed here.
    monkeypatch.setattr(replay, "RACY_NS", 0)
    monkeypatch.setattr(cache, "RACY_NS", 0)  # files are known by their stat too
    real = cli.run
    calls: list[list[str]] = []

    def counted(args: list[str]) -> int:
        calls.append(args)
        return real(args)

    monkeypatch.setattr(cli, "run", counted)

    def invoke(*args: str) -> tuple[int, str, str, bool]:
        before = len(calls)
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err, len(calls) == before

    return invoke


def records(directory: Path) -> list[Path]:
    return sorted(directory.glob("replay-*.bin"))


@pytest.mark.parametrize("fmt", ["concise", "full", "json", "sarif", "github", "gitlab"])
def test_a_replay_prints_exactly_what_the_run_printed(run: Run, project: Path, fmt: str) -> None:
    first = run("--format", fmt, "demo")
    assert not first[3] and first[0] == 1
    again = run("--format", fmt, "demo")
    assert again[3], "the second identical run should be replayed"
    assert again[:3] == first[:3]
    plain = run("--format", fmt, "--no-cache", "demo")
    assert not plain[3]
    assert plain[:3] == first[:3]


def test_a_clean_history_replays_its_exit_status(run: Run, tmp_path: Path) -> None:
    shutil.copytree(ROOT / "fixtures" / "seeds" / "healthy_merge", tmp_path / "ok")
    first = run("ok/versions")
    assert first[0] == 0 and not first[3]
    assert run("ok/versions") == (*first[:3], True)


def test_the_record_sits_in_the_cache_home_and_is_pruned(
    run: Run, project: Path, cache_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(replay, "KEEP", 16)
    for fmt in ("concise", "full", "json"):
        run("--format", fmt, "demo")
    cache = cache_home / "replay"
    assert len(records(cache)) == 3
    assert (cache / "CACHEDIR.TAG").is_file()
    assert sorted(p.name for p in project.parent.iterdir()) == ["demo"]  # none in the project
    from alembic_lint.rules import registry

    for fmt in ("concise", "json"):
        for rule in registry():
            assert run("--format", fmt, f"--select={rule.code}", "demo")[0] in (0, 1)
    assert 2 * len(registry()) > replay.KEEP
    assert len(records(cache)) == replay.KEEP


def edit_migration(project: Path) -> None:
    target = next((project / "migrations" / "versions").glob("4f0a*.py"))
    text = target.read_text()
    assert "op.drop_index(" in text
    target.write_text(text.replace("op.drop_index(", "op.drop_index(if_exists=True, "))


def add_migration(project: Path) -> None:
    versions = project / "migrations" / "versions"
    (versions / "ffffffffffff_extra.py").write_text(
        "revision = 'ffffffffffff'\ndown_revision = None\n"
        "def upgrade():\n    pass\ndef downgrade():\n    pass\n"
    )


def remove_migration(project: Path) -> None:
    next((project / "migrations" / "versions").glob("3e7b*.py")).unlink()


def same_size_edit(project: Path) -> None:
    target = next((project / "migrations" / "versions").glob("4f0a*.py"))
    text = target.read_text()
    assert "op.drop_index(" in text
    target.write_text(text.replace("op.drop_index(", "op.drop_table("))  # same size


def settings_above(project: Path) -> None:
    (project.parent / "pyproject.toml").write_text(
        "[tool.alembic-lint]\nignore = ['AL201']\n", encoding="utf-8"
    )


def settings_beside(project: Path) -> None:
    (project / "pyproject.toml").write_text(
        "[tool.alembic-lint]\nignore = ['AL202']\n", encoding="utf-8"
    )


def alembic_pin(project: Path) -> None:
    (project / "requirements.txt").write_text("alembic==1.12.0\n", encoding="utf-8")


def ini_edit(project: Path) -> None:
    ini = project / "alembic.ini"
    ini.write_text(ini.read_text() + "\n# a comment\n")


@pytest.mark.parametrize(
    "change",
    [
        edit_migration,
        add_migration,
        remove_migration,
        same_size_edit,
        settings_above,
        settings_beside,
        alembic_pin,
        ini_edit,
    ],
)
def test_any_changed_input_runs_again(
    run: Run, project: Path, change: Callable[[Path], None]
) -> None:
    first = run("--format", "json", "demo")
    assert run("--format", "json", "demo")[3]
    change(project)
    after = run("--format", "json", "demo")
    assert not after[3], f"{change.__name__}: replayed a stale report"
    assert after[:3] == run("--format", "json", "--no-cache", "demo")[:3]
    if change not in (ini_edit, alembic_pin, settings_beside):  # same report, new inputs
        assert after[1] != first[1]


def test_files_known_by_their_stat_are_still_checked_before_a_replay(
    run: Run, project: Path
) -> None:
    """The second run knows the files by their stat (the first recorded them) and reads
    none: its record must still hold each file's content, as if it had read it."""
    run("--format", "github", "demo")
    with_stats = run("demo")  # (concise: it reads no file for positions or fixes)
    assert not with_stats[3]
    assert run("demo")[3]
    edit_migration(project)
    after = run("demo")
    assert not after[3], "replayed a report of files that have changed since"
    assert after[:3] == run("--no-cache", "demo")[:3] != with_stats[:3]


def test_environment_and_command_line_are_part_of_the_key(
    run: Run, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run("demo")
    assert run("demo")[3]
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert not run("demo")[3]
    monkeypatch.delenv("FORCE_COLOR")
    assert run("demo")[3]
    # Another output encoding (PYTHONIOENCODING, a locale): the recorded bytes do not hold.
    import io

    captured = sys.stdout
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(io.BytesIO(), encoding="latin-1"))
    assert not run("demo")[3]
    monkeypatch.setattr(sys, "stdout", captured)
    assert not run("--select", "AL2", "demo")[3]
    assert not run("demo/migrations/versions")[3]
    # Another LibCST (or networkx, click, Python) installed since: look again.
    from alembic_lint import runtime

    assert run("demo")[3]
    monkeypatch.setattr(runtime, "libraries", lambda: ("3.99", ("libcst", "elsewhere", 1, 2)))
    assert not run("demo")[3]


def test_a_symlink_pointed_elsewhere_runs_again(run: Run, tmp_path: Path) -> None:
    for name in ("two_heads_same_parent", "healthy_merge"):
        shutil.copytree(ROOT / "fixtures" / "seeds" / name / "versions", tmp_path / name)
    link = tmp_path / "versions"
    link.symlink_to(tmp_path / "two_heads_same_parent")
    first = run("versions")
    assert first[0] == 1 and run("versions")[3]
    link.unlink()
    link.symlink_to(tmp_path / "healthy_merge")
    after = run("versions")
    assert not after[3] and after[0] == 0


@pytest.mark.parametrize(
    "args",
    [
        ["--no-cache", "demo"],
        ["--fix", "demo"],
        ["--diff", "demo"],
        ["-o", "report.txt", "demo"],
        ["--write-baseline", "base.json", "demo"],
        ["--show-settings", "demo"],
        ["graph", "demo"],
    ],
)
def test_commands_that_write_or_read_more_are_never_replayed(
    run: Run, project: Path, args: list[str], cache_home: Path
) -> None:
    run(*args)
    assert not run(*args)[3]
    assert not records(cache_home / "replay")


def test_standard_input_is_never_replayed(
    run: Run, project: Path, monkeypatch: pytest.MonkeyPatch, cache_home: Path
) -> None:
    import io

    target = next((project / "migrations" / "versions").glob("3e7b*.py"))
    for _ in range(2):
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(target.read_bytes())))
        assert not run("--stdin-filename", str(target), "-")[3]
    assert not records(cache_home / "replay")


def test_racy_inputs_record_nothing(
    run: Run, project: Path, monkeypatch: pytest.MonkeyPatch, cache_home: Path
) -> None:
    monkeypatch.setattr(replay, "RACY_NS", 60_000_000_000)  # everything is a minute old
    run("demo")
    assert not records(cache_home / "replay")
    assert not run("demo")[3]


def test_an_input_that_changes_during_the_run_records_nothing(
    run: Run, project: Path, monkeypatch: pytest.MonkeyPatch, cache_home: Path
) -> None:
    from alembic_lint import engine

    real = engine.lint

    def lint_then_edit(*args: object, **kwargs: object) -> object:
        found = real(*args, **kwargs)  # type: ignore[arg-type]
        edit_migration(project)  # after the run read it
        return found

    monkeypatch.setattr(engine, "lint", lint_then_edit)
    run("demo")
    assert not records(cache_home / "replay")


@pytest.mark.parametrize(
    "damage",
    [
        b"",
        b"not json\n",
        b'{"key": 1}\n',
        b'{"key": {}, "inputs": []}\n',
        None,  # the right header, a truncated body
    ],
)
@pytest.mark.parametrize("sealed_by_us", [True, False], ids=["sealed", "unsealed"])
def test_a_damaged_record_is_a_miss(
    run: Run, project: Path, damage: bytes | None, cache_home: Path, sealed_by_us: bool
) -> None:
    from alembic_lint import sealed

    first = run("--format", "json", "demo")
    (record,) = records(cache_home / "replay")
    if sealed_by_us:  # as if alembic-lint itself had written it so (a bug, a full disk)
        data = sealed.read(str(record))
        assert data is not None
        sealed.write(str(record), data[:-10] if damage is None else damage)
    else:
        data = record.read_bytes()
        record.write_bytes(data[:-10] if damage is None else damage)
    again = run("--format", "json", "demo")
    assert again[:3] == first[:3] and not again[3]


def test_a_replay_imports_neither_click_nor_the_rules(project: Path) -> None:
    probe = (
        "import sys\n"
        "from alembic_lint import replay\n"
        "replay.RACY_NS = 0\n"
        "from alembic_lint.entry import main\n"
        "code = main(['demo'])\n"
        "print(code, sorted(m for m in ('click', 'libcst', 'networkx', 'alembic_lint.rules')"
        " if m in sys.modules))\n"
    )

    def python() -> list[str]:
        result = subprocess.run(
            [sys.executable, "-c", probe],
            cwd=project.parent,
            capture_output=True,
            text=True,
            check=False,
            env={k: v for k, v in os.environ.items() if k not in replay.ENV_KEYS},
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.splitlines()

    cold = python()
    assert cold[-1] == "1 ['alembic_lint.rules', 'click', 'libcst', 'networkx']"
    warm = python()
    assert warm[-1] == "1 []"
    assert warm[:-1] == cold[:-1]


def test_the_console_script_replays_after_the_racy_window(project: Path, cache_home: Path) -> None:
    """End to end with the real window: the files are older than it before the first run."""
    old = time.time() - 3 * replay.RACY_NS / 1e9
    for path in [project, *project.rglob("*")]:
        os.utime(path, (old, old))
    # ctime cannot be set back: wait it out (the only sleep in the suite, ~2 s).
    time.sleep(replay.RACY_NS / 1e9 + 0.1)
    script = Path(sys.executable).parent / "alembic-lint"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "alembic_lint"]
    env = {k: v for k, v in os.environ.items() if k not in replay.ENV_KEYS}

    def lint() -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [*command, "demo"], cwd=project.parent, capture_output=True, env=env, check=False
        )

    first = lint()
    assert records(cache_home / "replay"), first.stderr
    second = lint()
    assert (second.returncode, second.stdout, second.stderr) == (
        first.returncode,
        first.stdout,
        first.stderr,
    )
