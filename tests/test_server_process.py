"""The language server's process and its pieces, in-process: the CLI never loads pygls, a
missing extra is one line, the CLI's process-wide speed devices stay out of the server,
and the conversions (positions, buffers, suppressions) hold."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from pathlib import Path

import libcst as cst
import pytest

from alembic_lint import replay, runtime
from alembic_lint.entry import main
from alembic_lint.parse import trusted
from alembic_lint.server.actions import noqa_edit
from alembic_lint.server.state import State, encoded
from alembic_lint.server.units import UTF8, UTF16, UTF32, Lines
from lsp_support import ROOT, project


def test_the_cli_never_loads_pygls(tmp_path: Path) -> None:
    """A run, its help and the import of the command line leave pygls unloaded."""
    code = (
        "import sys\n"
        "from alembic_lint.entry import main\n"
        f"main(['--no-cache', {str(ROOT / 'fixtures' / 'demo')!r}])\n"
        "main(['--help'])\n"
        "import alembic_lint.cli\n"
        "loaded = [m for m in ('pygls', 'lsprotocol', 'alembic_lint.server') if m in sys.modules]\n"
        "print('LOADED', loaded)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, cwd=tmp_path
    )
    assert "LOADED []" in result.stdout, result.stdout + result.stderr
    assert "server" in result.stdout  # listed among the commands


def test_server_without_the_extra_is_one_line_and_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in list(sys.modules):
        if name.startswith("alembic_lint.server"):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "pygls", None)
    monkeypatch.setitem(sys.modules, "lsprotocol", None)
    assert main(["server"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        "alembic-lint: error: the language server needs pygls: pip install 'alembic-lint[server]'\n"
    )


def test_server_entry_starts_no_trace_and_turns_the_collector_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``alembic-lint server`` goes past the replay (no trace wrapping os.stat and the
    standard streams) and leaves the collector on, where a CLI run switches it off."""
    from alembic_lint import server
    from alembic_lint.server import app

    monkeypatch.setattr(runtime, "_long_running", False)  # put back after the test
    seen: dict[str, object] = {}

    def serve(config_file: Path | None) -> None:
        seen["trace during entry"] = replay.current()
        app.prepare_process()
        seen["trace"] = replay.current()
        seen["stat"] = os.stat is replay._stat
        seen["stdout"] = type(sys.stdout).__name__
        seen["gc"] = gc.isenabled()
        seen["long running"] = runtime.long_running()

    monkeypatch.setattr(server, "serve", serve)
    collecting = gc.isenabled()
    gc.disable()
    try:
        assert main(["server"]) == 0
    finally:
        if collecting:
            gc.enable()
    assert seen == {
        "trace during entry": None,
        "trace": None,
        "stat": True,
        "stdout": type(sys.stdout).__name__,
        "gc": True,
        "long running": True,
    }
    assert not replay.may_record(["server"])


def _validations(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Calls of LibCST's node checks for names, counted."""
    calls: list[object] = []
    original = cst.Name._validate

    def counting(self: cst.Name) -> None:
        calls.append(self)
        original(self)

    monkeypatch.setattr(cst.Name, "_validate", counting)
    return calls


def test_long_running_process_parses_with_node_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _validations(monkeypatch)
    monkeypatch.setattr(runtime, "_long_running", False)
    trusted.parse_module("revision = 'a'\n")
    assert calls == []  # a short run skips them (the control)
    monkeypatch.setattr(runtime, "_long_running", True)
    trusted.parse_module("revision = 'a'\n")
    assert len(calls) == 1


def test_long_running_process_keeps_the_collector_as_it_is(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(runtime, "_long_running", True)
    threshold = gc.get_threshold()
    with runtime.collecting():
        assert gc.get_threshold() == threshold
    assert gc.get_threshold() == threshold


# -- conversions


def test_positions_in_every_encoding() -> None:
    text = "a\U0001f600b\r\nxé\ry\nlast"
    for encoding, expected in ((UTF16, (0, 3)), (UTF8, (0, 5)), (UTF32, (0, 2))):
        lines = Lines(text, encoding)
        assert lines.to_client(1, 3) == expected  # before "b"
        assert lines.from_client(*expected) == (1, 3)
    lines = Lines(text, UTF16)
    assert lines.to_client(2, 3) == (1, 2)  # "\r" ends line 2, as LSP counts lines
    assert lines.to_client(3, 1) == (2, 0)
    assert lines.line(4) == "last"
    assert lines.to_client(9, 1) == (4, 0)  # past the end
    assert lines.from_client(0, 2) == (1, 2)  # inside the emoji: its start


def test_buffers_are_encoded_as_their_cookie_says() -> None:
    assert encoded("x = 'é'\n") == "x = 'é'\n".encode()
    latin = "# -*- coding: latin-1 -*-\nx = 'é'\n"
    assert encoded(latin) == latin.encode("latin-1")
    assert encoded("# -*- coding: ascii -*-\nx = 'é'\n").decode() == (
        "# -*- coding: ascii -*-\nx = 'é'\n"  # not savable so: left for the engine to report
    )


def test_noqa_edits() -> None:
    text = "a = 1\nb = 2  # noqa: AL202\nc = 3  # noqa\nd = '''\ne'''\nf = 4  # note\n"
    assert noqa_edit(text, 1, "AL201") == (6, 6, "  # noqa: AL201")
    assert noqa_edit(text, 2, "AL201") == (21, 21, ", AL201")
    assert noqa_edit(text, 2, "AL202") is None  # already there
    assert noqa_edit(text, 3, "AL201") is None  # a bare noqa silences everything
    assert noqa_edit(text, 4, "AL201") is None  # the line ends inside a string
    assert noqa_edit(text, 6, "AL201") == (14, 14, "  # noqa: AL201")
    assert noqa_edit(text, 99, "AL201") is None


def test_state_follows_buffers_and_files(tmp_path: Path) -> None:
    """The server's model in-process: a new buffer joins its history where Alembic would
    load it, its closing drops it, and only files whose findings change are reported."""
    from alembic_lint.rules.examples import m

    versions = project(tmp_path, m("aaaaaaaaaaaa"), m("bbbbbbbbbbbb", "aaaaaaaaaaaa"))
    state = State()
    state.folders = [tmp_path]
    assert state.load() == []
    (tracked,) = state.histories()
    new = str(versions / "abc_new.py")
    state.opened(new, m("cccccccccccc", "aaaaaaaaaaaa").source)
    changed = state.flush()
    names = [Path(p).name for p in tracked.files]
    assert names == ["aaaaaaaaaaaa_example.py", "abc_new.py", "bbbbbbbbbbbb_example.py"]
    assert {Path(p).name for p in changed} == {"abc_new.py", "bbbbbbbbbbbb_example.py"}
    assert [d.code for d in state.findings(new)] == ["AL001"]
    state.opened(new, m("cccccccccccc", "aaaaaaaaaaaa").source)  # the same text again
    assert state.flush() == set()
    state.closed(new)
    assert {Path(p).name for p in state.flush()} == {"abc_new.py", "bbbbbbbbbbbb_example.py"}
    assert [Path(p).name for p in tracked.files] == [
        "aaaaaaaaaaaa_example.py",
        "bbbbbbbbbbbb_example.py",
    ]


def test_state_holds_back_what_the_baseline_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from alembic_lint.rules.examples import m

    versions = project(
        tmp_path,
        m("aaaaaaaaaaaa", upgrade="op.drop_table('t')", downgrade="op.create_table('t')"),
    )
    (tmp_path / "pyproject.toml").write_text(
        '[tool.alembic-lint]\nbaseline = "baseline.json"\n', encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    assert main(["--no-cache", "--write-baseline"]) == 0
    capsys.readouterr()
    state = State()
    state.folders = [tmp_path]
    state.load()
    path = str(versions / "aaaaaaaaaaaa_example.py")
    assert state.findings(path) == []
    assert state.is_baseline(str(tmp_path / "baseline.json"))
    # A second drop is new: reported, the recorded one still held back.
    text = (versions / "aaaaaaaaaaaa_example.py").read_text(encoding="utf-8")
    state.opened(
        path, text.replace("op.drop_table('t')", "op.drop_table('t')\n    op.drop_table('u')")
    )
    state.flush()
    assert [(d.code, d.location.line) for d in state.findings(path)] == [("AL201", 20)]


def test_state_judges_for_the_history_database(tmp_path: Path) -> None:
    """The server judges AL201 for the database the CLI finds (the ini's URL, else the
    files), its fixes too, and judges every file again when an edit changes the evidence."""
    from alembic_lint import engine
    from alembic_lint.model import History
    from alembic_lint.rules.examples import m

    drop = m("bbbbbbbbbbbb", "aaaaaaaaaaaa", upgrade="op.drop_column('t', 'c')")
    ini = "[alembic]\nscript_location = %(here)s/migrations\nsqlalchemy.url = sqlite:///a.db\n"
    versions = project(tmp_path / "lite", m("aaaaaaaaaaaa"), drop, ini=ini)
    state = State()
    state.folders = [tmp_path / "lite"]
    state.load()
    path = str(versions / drop.filename)
    (finding,) = [d for d in state.findings(path) if d.code == "AL201"]
    assert "SQLite rejects `DROP COLUMN IF EXISTS`" in finding.message
    (tracked,) = state.histories()
    facts = state.full(path)
    assert facts is not None
    fixed = engine.attach_fixes([finding], History("h", (facts,)), tracked.rules(), state.read)
    assert fixed[0].fix is None  # no fix the database rejects, in the editor either

    versions = project(tmp_path / "plain", m("aaaaaaaaaaaa"), drop)
    state = State()
    state.folders = [tmp_path / "plain"]
    state.load()
    path = str(versions / drop.filename)
    (finding,) = [d for d in state.findings(path) if d.code == "AL201"]
    assert finding.message == "`op.drop_column()` without `if_exists=True`"
    first = str(versions / "aaaaaaaaaaaa_example.py")
    source = m("aaaaaaaaaaaa").source.replace(
        "import sqlalchemy as sa", "from sqlalchemy.dialects import mysql"
    )
    state.opened(first, source)
    assert path in state.flush()
    (finding,) = [d for d in state.findings(path) if d.code == "AL201"]
    assert "MySQL rejects `DROP COLUMN IF EXISTS`" in finding.message
    state.closed(first)
    state.flush()
    (finding,) = [d for d in state.findings(path) if d.code == "AL201"]
    assert finding.message == "`op.drop_column()` without `if_exists=True`"


def test_state_forgets_the_statements_of_files_that_left(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """With a baseline, the statements of each file's findings are kept while its text
    stays the same; a new file opened and closed unsaved leaves none of them behind."""
    from alembic_lint.rules.examples import m

    versions = project(tmp_path, m("aaaaaaaaaaaa"))
    (tmp_path / "pyproject.toml").write_text(
        '[tool.alembic-lint]\nbaseline = "baseline.json"\n', encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    assert main(["--no-cache", "--write-baseline"]) == 0
    capsys.readouterr()
    state = State()
    state.folders = [tmp_path]
    state.load()
    kept = state.statements_kept()
    for index in range(20):
        new = str(versions / f"{index:012x}_new.py")
        state.opened(new, m(f"{index:012x}", "aaaaaaaaaaaa", upgrade="op.drop_table('t')").source)
        state.flush()
        assert [d.code for d in state.findings(new)] == ["AL201", "AL202"]
        state.closed(new)
        state.flush()
    assert state.statements_kept() == kept
