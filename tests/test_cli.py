"""The command line as a user meets it: exit codes, output formats, bad input, no execution."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from alembic_lint import engine
from alembic_lint.cli import main
from alembic_lint.rules.examples import m
from conftest import canary_source

LINE = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<code>AL\d{3}) (?P<msg>.+)$")


def write(directory: Path, *files: object) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for file in files:
        (directory / file.filename).write_text(file.source, encoding="utf-8")  # type: ignore[attr-defined]
    return directory


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path):  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)

    def invoke(*args: str) -> tuple[int, str, str]:
        code = main(list(args))
        out, err = capsys.readouterr()
        assert "Traceback" not in out + err
        return code, out, err

    return invoke


def clean(tmp_path: Path) -> Path:
    return write(tmp_path / "versions", m("aaaaaaaaaaaa"), m("bbbbbbbbbbbb", "aaaaaaaaaaaa"))


def test_clean_history_exits_0(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    clean(tmp_path)
    assert run("versions") == (0, "All checks passed.\n", "")


def test_findings_exit_1_with_concise_lines_and_summary(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    write(
        tmp_path / "versions",
        m("aaaaaaaaaaaa"),
        m("bbbbbbbbbbbb", "aaaaaaaaaaaa"),
        m("cccccccccccc", "aaaaaaaaaaaa", upgrade="op.drop_index('ix')"),
    )
    code, out, _ = run("versions")
    assert code == 1
    *lines, summary = out.splitlines()
    parsed = [LINE.match(line) for line in lines]
    assert all(parsed), lines
    assert {(p["path"], p["code"]) for p in parsed if p} == {
        ("versions/bbbbbbbbbbbb_example.py", "AL001"),
        ("versions/cccccccccccc_example.py", "AL001"),
        ("versions/cccccccccccc_example.py", "AL201"),
        ("versions/cccccccccccc_example.py", "AL202"),
    }
    assert summary == "Found 4 problems in 2 migrations."
    heads = [p for p in parsed if p and p["code"] == "AL001"]
    assert all(p["line"] == "13" and p["col"] == "1" for p in heads)
    assert "diverge at aaaaaaaaaaaa" in heads[0]["msg"]


def test_paths_outside_cwd_stay_absolute(run, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    versions = write(tmp_path / "proj" / "versions", m("aaaaaaaaaaaa", "zzzzzzzzzzzz"))
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    code, out, _ = run(str(versions))
    assert code == 1
    assert out.startswith(str(versions / "aaaaaaaaaaaa_example.py") + ":13:17: AL002")


def test_json_format(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    write(tmp_path / "versions", m("aaaaaaaaaaaa"), m("bbbbbbbbbbbb", "aaaaaaaaaaab"))
    code, out, _ = run("--format", "json", "versions")
    assert code == 1
    (item,) = json.loads(out)
    assert set(item) >= {
        "code",
        "name",
        "message",
        "severity",
        "filename",
        "location",
        "end_location",
        "fix",
        "url",
    }
    assert item["code"] == "AL002" and item["name"] == "missing-parent"
    assert item["severity"] == "error"
    assert item["filename"] == str(tmp_path / "versions" / "bbbbbbbbbbbb_example.py")
    assert item["location"] == {"row": 13, "column": 17}
    assert item["end_location"] == {"row": 13, "column": 31}
    assert item["fix"] is None
    assert "did you mean 'aaaaaaaaaaaa'" in item["message"]


def test_json_clean_is_an_empty_array(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    clean(tmp_path)
    assert run("--format", "json", "versions") == (0, "[]\n", "")


def test_missing_path_exits_2_with_one_line(run) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run("no/such/dir")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "no/such/dir" in err


def test_empty_directory_is_an_error_not_a_pass(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # Nothing configured and nothing below: a misconfigured CI job must not stay green.
    (tmp_path / "versions").mkdir()
    code, out, err = run("versions")
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and "no Alembic history in versions or below" in err


def test_configured_empty_versions_directory_passes(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # Right after `alembic init`: the history exists, it just has no revision yet.
    (tmp_path / "migrations" / "versions").mkdir(parents=True)
    (tmp_path / "alembic.ini").write_text("[alembic]\nscript_location = migrations\n")
    code, _, err = run()
    assert code == 0
    assert "no migration files" in err


def test_no_argument_without_anything_exits_2(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    code, _, err = run()
    assert code == 2 and err.count("\n") == 1
    assert "alembic.ini" in err and f"no Alembic history in {tmp_path} or below" in err


def test_no_argument_uses_alembic_ini(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    write(tmp_path / "migrations" / "versions", m("aaaaaaaaaaaa", "zzzzzzzzzzzz"))
    (tmp_path / "alembic.ini").write_text("[alembic]\nscript_location = %(here)s/migrations\n")
    code, out, _ = run()
    assert code == 1 and "AL002" in out


def test_bad_config_exits_2(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    write(tmp_path / "migrations" / "versions", m("aaaaaaaaaaaa"))
    (tmp_path / "alembic.ini").write_text(
        "[alembic]\nscript_location = migrations\nversion_locations = a\npath_separator = comma\n"
    )
    code, _, err = run("alembic.ini")
    assert code == 2 and "path_separator" in err and err.count("\n") == 1
    code, _, err = run("-n", "nosuch", "alembic.ini")
    assert code == 2 and "nosuch" in err


def test_unknown_option_is_a_usage_error(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    clean(tmp_path)
    code, _, err = run("--bogus", "versions")
    assert code == 2 and "--bogus" in err


def test_binary_and_undecodable_files_are_findings(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    versions = clean(tmp_path)
    (versions / "blob.py").write_bytes(b"\x00\x01\x02\xff")
    (versions / "latin.py").write_bytes(
        b"revision = 'cccccccccccc'\ndown_revision = 'bbbbbbbbbbbb'\n# caf\xe9\n"
    )
    code, out, _ = run("versions")
    assert code == 1
    assert "versions/blob.py:1:1: AL100 file contains null bytes" in out
    assert "versions/latin.py:3:1: AL100" in out and "UTF-8" in out
    # The undecodable file's revision variables were recovered: no false heads or parents.
    assert "AL001" not in out and "AL002" not in out


def test_unreadable_file_is_a_finding(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    versions = clean(tmp_path)
    (versions / "gone.py").symlink_to(versions / "target_that_was_deleted.py")
    code, out, _ = run("versions")
    assert code == 1
    assert re.search(r"versions/gone\.py:1:1: AL100 cannot read file: .+", out), out


def test_permission_denied_is_reported_not_raised(tmp_path: Path) -> None:
    versions = clean(tmp_path)

    def reader(path: str) -> bytes:
        if path.endswith("bbbbbbbbbbbb_example.py"):
            raise PermissionError(13, "Permission denied")
        return Path(path).read_bytes()

    files = sorted(versions.iterdir())
    history = engine.load_history("versions", files, reader=reader)
    found = engine.check_history(history, engine.default_rules(), reader=reader)
    assert [(Path(d.location.path).name, d.code, d.message) for d in found] == [
        ("bbbbbbbbbbbb_example.py", "AL100", "cannot read file: Permission denied")
    ]


def test_canary_module_body_never_runs(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A migration that would write a file and import a missing package when executed."""
    witness = tmp_path / "EXECUTED"
    versions = clean(tmp_path)
    (versions / "cccccccccccc_canary.py").write_text(canary_source(witness))
    code, out, _ = run("versions")
    assert not witness.exists()
    assert "this_package_does_not_exist_anywhere" not in sys.modules
    assert code == 1
    assert "versions/cccccccccccc_canary.py:11:5: AL201" in out


def test_python_dash_m_and_console_script(tmp_path: Path) -> None:
    clean(tmp_path)
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    result = subprocess.run(
        [sys.executable, "-m", "alembic_lint", "versions"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert (result.returncode, result.stdout) == (0, "All checks passed.\n")
    script = Path(sys.executable).with_name("alembic-lint")
    if script.exists():
        result = subprocess.run(
            [str(script), "nope"], cwd=tmp_path, capture_output=True, text=True, check=False
        )
        assert result.returncode == 2 and "Traceback" not in result.stderr


def test_version_and_help(run) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run("--version")
    assert code == 0 and "alembic-lint" in out
    code, out, _ = run("--help")
    assert code == 0 and "check" in out


def test_public_api_lint_paths(tmp_path: Path) -> None:
    from alembic_lint import lint_paths

    write(tmp_path / "versions", m("aaaaaaaaaaaa"), m("bbbbbbbbbbbb", "aaaaaaaaaaab"))
    (finding,) = lint_paths([str(tmp_path / "versions")])
    assert (finding.code, finding.location.line) == ("AL002", 13)


def test_a_run_leaves_the_cyclic_collector_as_it_found_it(tmp_path: Path) -> None:
    import gc

    (tmp_path / "versions").mkdir()
    assert gc.isenabled()
    main([str(tmp_path / "versions"), "--no-cache"])
    assert gc.isenabled()
    gc.disable()
    try:
        main([str(tmp_path / "versions"), "--no-cache"])
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_the_collector_is_on_while_libcst_parses_and_put_back_after() -> None:
    import gc

    from alembic_lint import runtime

    threshold = gc.get_threshold()
    gc.disable()
    try:
        with runtime.collecting():
            assert gc.isenabled()
            assert gc.get_threshold()[0] == threshold[0] * 10
        assert not gc.isenabled()
        assert gc.get_threshold() == threshold
    finally:
        gc.enable()


@pytest.mark.parametrize("args", [(), (".",), ("db",), ("db/migrations",)])
def test_two_heads_below_the_path_fail(run, tmp_path: Path, args: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
    # No alembic.ini anywhere, as in many repositories: the history is found below.
    write(
        tmp_path / "db" / "migrations" / "versions",
        m("aaaaaaaaaaaa"),
        m("bbbbbbbbbbbb", "aaaaaaaaaaaa"),
        m("cccccccccccc", "aaaaaaaaaaaa"),
    )
    code, out, err = run(*args)
    assert code == 1, err
    assert out.count(" AL001 ") == 2
    assert "db/migrations/versions/bbbbbbbbbbbb" in out


# --------------------------------------------------------------------------- what a new user meets


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--bogus"], "no such option --bogus (did you mean --jobs?)"),
        (["check", "--fixx", "versions"], "no such option --fixx (did you mean --fix?)"),
        (["--format", "xml"], "invalid value for --format: 'xml' is not one of 'concise', "),
        (["-j", "abc"], "invalid value for --jobs / -j: 'abc' is not a valid integer"),
        (["--jobs", "0"], "invalid value for --jobs / -j: 0 is less than 1"),
        (["-o"], "option -o requires an argument"),
        (["rebase"], "missing option --onto"),
        (["rebase", "--onto"], "option --onto requires an argument"),
        (["rule", "AL201", "extra"], "got unexpected extra argument (extra)"),
        (["graph", "--format", "png"], "invalid value for --format: 'png' is not one of 'text'"),
        (["graph", "--bogus"], "no such option --bogus"),
        (["merge", "--dry", "versions"], "no such option --dry (did you mean --dry-run?)"),
    ],
)
def test_usage_errors_are_one_line(run, args: list[str], message: str) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run(*args)
    assert (code, out) == (2, "")
    assert err.startswith(f"alembic-lint: error: {message}") and err.count("\n") == 1, err


def test_counts_are_in_english(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    write(tmp_path / "versions", m("aaaaaaaaaaaa", upgrade="op.drop_table('t')", downgrade=None))
    code, out, _ = run("--no-cache", "--select", "AL201", "versions")
    assert (code, out.splitlines()[-1]) == (1, "Found 1 problem in 1 migration.")
    _, _, err = run("--no-cache", "--select", "AL201", "--write-baseline", "b.json", "versions")
    assert err == f"alembic-lint: recorded 1 finding (1 entry) in {tmp_path / 'b.json'}\n"
    _, out, _ = run("--show-settings", "versions")
    assert f"history versions: 1 file in {tmp_path / 'versions'}" in out.splitlines()
    _, _, err = run("--no-cache", "--select", "AL201", "--fix", "versions")
    assert err == "alembic-lint: fixed 1 problem in 1 file\n"


def test_show_settings_outside_a_history(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run("--show-settings")
    assert (code, err) == (0, "")
    assert out.startswith("settings file: (none: defaults)\nrules: AL001, ")
    assert out.splitlines()[-1].startswith("history: none (")  # and why, in discovery's words
    assert run("--show-settings", "nowhere")[0] == 0


def test_fix_and_diff_say_how_to_apply_hidden_unsafe_fixes(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    body = "with op.batch_alter_table('t') as b:\n    b.drop_column('c')\n    b.drop_column('d')"
    write(tmp_path / "versions", m("aaaaaaaaaaaa", upgrade=body))
    hint = "alembic-lint: 2 hidden fixes can be enabled with the `--unsafe-fixes` option.\n"
    source = (tmp_path / "versions" / "aaaaaaaaaaaa_example.py").read_text()
    for mode in ("--diff", "--fix"):
        code, out, err = run("--no-cache", "--select", "AL201", mode, "versions")
        assert err == hint and not out.startswith("---")
    assert (tmp_path / "versions" / "aaaaaaaaaaaa_example.py").read_text() == source
    code, out, err = run("--no-cache", "--select", "AL201", "--diff", "--unsafe-fixes", "versions")
    assert code == 1 and "hidden" not in err and out.count("if_exists=True") == 2
    write(tmp_path / "one", m("aaaaaaaaaaaa", upgrade=body.rsplit("\n", 1)[0]))
    err = run("--no-cache", "--select", "AL201", "--diff", "one")[2]
    assert err == "alembic-lint: 1 hidden fix can be enabled with the `--unsafe-fixes` option.\n"


def test_a_closed_pipe_ends_the_output_quietly(tmp_path: Path) -> None:
    """`alembic-lint --diff | head -1`, with a real pipe that closes after one line."""
    # more than a pipe holds (64 KiB), so that writing blocks until the reader is gone
    drops = "\n".join(f"op.drop_table('{'t' * 400}{i}')" for i in range(90))
    files = [m(f"{i:012x}", f"{i - 1:012x}" if i else None, upgrade=drops) for i in range(2)]
    write(tmp_path / "versions", *files)
    past = time.time() - 60  # not "just edited": a report of these files may be replayed
    for path in (tmp_path / "versions").iterdir():
        os.utime(path, (past, past))
    runs = [["--no-cache", "--diff"], ["--no-cache", "--format", "full"]]
    runs += [["--format", "full"]] * 2  # the second is replayed from the first's record
    for args in runs:
        process = subprocess.Popen(
            [sys.executable, "-m", "alembic_lint", *args, "versions"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=tmp_path,
        )
        assert process.stdout is not None and process.stderr is not None
        assert process.stdout.readline()
        process.stdout.close()  # like head -1 exiting: the next writes get EPIPE
        err = process.stderr.read().decode()
        process.wait(timeout=60)
        assert err == "", (args, err)
