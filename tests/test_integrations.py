"""Where users meet the linter: the README's snippets, run for real, and editor-on-save."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from alembic_lint.cli import main
from alembic_lint.rules.examples import m

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
DEMO_VERSIONS = "fixtures/demo/migrations/versions"


def snippet(name: str) -> str:
    match = re.search(rf"<!-- snippet: {name} -->\n```\w*\n(.*?)```", README, re.DOTALL)
    assert match, f"README has no snippet {name!r}"
    return match.group(1)


def env_with_scripts() -> dict[str, str]:
    """The environment of a user who installed alembic-lint: its script is on PATH."""
    scripts = os.path.dirname(sys.executable)
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    env["PATH"] = scripts + os.pathsep + env.get("PATH", "")
    return env


def run_shell(command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run a snippet's command line, with the example versions path pointed at the demo."""
    command = command.replace("db/migrations/versions", DEMO_VERSIONS)
    return subprocess.run(
        shlex.split(command),
        cwd=cwd,
        env=env_with_scripts(),
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A checkout with the demo project, like the CI job's working directory."""
    shutil.copytree(
        ROOT / "fixtures" / "demo",
        tmp_path / "fixtures" / "demo",
        ignore=shutil.ignore_patterns(".alembic-lint-cache"),
    )
    (tmp_path / ".git").mkdir()
    return tmp_path


def test_github_actions_snippet(workdir: Path) -> None:
    workflow = yaml.safe_load(snippet("github-actions"))
    steps = workflow["jobs"]["alembic-lint"]["steps"]
    runs = [s for s in steps if "alembic-lint --" in s.get("run", "")]
    assert len(runs) == 2
    annotate = run_shell(runs[0]["run"], workdir)
    assert annotate.returncode == 1  # the job fails on findings
    assert re.search(
        r"^::error file=fixtures/demo/migrations/versions/\w+\.py,line=\d+,col=\d+,"
        r"endLine=\d+,endColumn=\d+,title=AL001 multiple-heads::",
        annotate.stdout,
        re.MULTILINE,
    )
    sarif = run_shell(runs[1]["run"], workdir)
    assert sarif.returncode == 0 and runs[1]["if"] == "always()"
    upload = next(
        s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif")
    )
    log = json.loads((workdir / upload["with"]["sarif_file"]).read_text(encoding="utf-8"))
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in log["runs"][0]["results"]
    }
    assert uris and all(u.startswith(DEMO_VERSIONS + "/") for u in uris)


def test_gitlab_snippet(workdir: Path) -> None:
    job = yaml.safe_load(snippet("gitlab-ci"))["alembic-lint"]
    (command,) = [c for c in job["script"] if c.startswith("alembic-lint")]
    result = run_shell(command, workdir)
    assert result.returncode == 1 and result.stdout == ""
    report = json.loads((workdir / job["artifacts"]["reports"]["codequality"]).read_text())
    assert job["artifacts"]["when"] == "always"
    assert len({issue["fingerprint"] for issue in report}) == len(report) == 6
    for issue in report:
        assert {"description", "check_name", "fingerprint", "severity", "location"} <= set(issue)
        assert issue["location"]["path"].startswith(DEMO_VERSIONS + "/")
        assert issue["location"]["lines"]["begin"] >= 1
        assert issue["severity"] in ("info", "minor", "major", "critical", "blocker")


def test_pre_commit_snippet_is_a_valid_config(tmp_path: Path) -> None:
    from pre_commit.clientlib import load_config, load_manifest

    config_file = tmp_path / ".pre-commit-config.yaml"
    config_file.write_text(snippet("pre-commit"), encoding="utf-8")
    config = load_config(str(config_file))
    (hook,) = config["repos"][0]["hooks"]
    manifest = {h["id"]: h for h in load_manifest(str(ROOT / ".pre-commit-hooks.yaml"))}
    assert hook["id"] in manifest
    assert manifest[hook["id"]]["pass_filenames"] is False


def test_vscode_problem_matcher_reads_the_output(workdir: Path) -> None:
    task = json.loads(snippet("vscode"))["tasks"][0]
    command = " ".join([task["command"], *task["args"]])
    result = run_shell(command, workdir)
    pattern = task["problemMatcher"]["pattern"]
    regexp = re.compile(pattern["regexp"])
    lines = result.stdout.splitlines()[:-1]  # the last line is the summary
    assert len(lines) == 6
    for line in lines:
        match = regexp.match(line)
        assert match, line
        path = workdir / match.group(pattern["file"])
        assert path.is_file()
        source = path.read_text(encoding="utf-8").splitlines()
        row, col = int(match.group(pattern["line"])), int(match.group(pattern["column"]))
        assert 1 <= row <= len(source) and 1 <= col <= len(source[row - 1]) + 1
        assert re.fullmatch(r"AL\d{3}", match.group(pattern["code"]))


def test_vim_quickfix_on_save(workdir: Path) -> None:
    vim = shutil.which("vim")
    assert vim, "vim is needed for this test (CI installs it)"
    rc = workdir / "snippet.vim"
    rc.write_text(snippet("vim"), encoding="utf-8")
    out = workdir / "quickfix.txt"
    target = next((workdir / DEMO_VERSIONS).glob("6d3f5b7c9e14_*.py"))
    dump = (
        "call writefile(map(filter(getqflist(), 'v:val.valid'), "
        '\'bufname(v:val.bufnr).":".v:val.lnum.":".v:val.col.":".v:val.text\'), '
        f"'{out}')"
    )
    result = subprocess.run(
        [
            vim,
            "-Es",
            "-u",
            "NONE",
            "-i",
            "NONE",
            "-N",
            "-S",
            str(rc),
            "-c",
            f"edit {target}",
            "-c",
            "doautocmd BufWritePost",
            "-c",
            dump,
            "-c",
            "qa!",
        ],
        cwd=workdir,
        env=env_with_scripts(),
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    entries = out.read_text(encoding="utf-8").splitlines()
    assert len(entries) == 6
    heads = [e for e in entries if "AL001" in e]
    assert any(
        e.startswith(f"{DEMO_VERSIONS}/6d3f5b7c9e14_add_last_login_to_users.py:16:1:")
        for e in heads
    )


# --------------------------------------------------------------------------- language server

#: Run in Neovim after the README's configuration: wait for the diagnostics of the open
#: migration, write them out, take the first code action at the finding (as a user picking
#: it from the menu would), save, quit. Every wait is bounded and an error still quits;
#: the results file says how far it got.
NEOVIM_HARNESS = r"""
local result = { stage = "diagnostics" }
local function lines()
  return table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), "\n")
end
local function run()
  if not vim.wait(30000, function() return #vim.diagnostic.get(0) > 0 end, 50) then
    return
  end
  result.diagnostics = {}
  for _, d in ipairs(vim.diagnostic.get(0)) do
    local lsp = d.user_data and d.user_data.lsp or {}
    table.insert(result.diagnostics, {
      lnum = d.lnum, col = d.col, message = d.message, source = d.source,
      code = d.code or lsp.code, href = lsp.codeDescription and lsp.codeDescription.href,
    })
  end
  result.stage = "code action"
  local first = vim.diagnostic.get(0)[1]
  vim.api.nvim_win_set_cursor(0, { first.lnum + 1, first.col })
  local before = lines()
  vim.ui.select = function(items, _, on_choice)
    result.actions = #items
    on_choice(items[1], 1)
  end
  vim.lsp.buf.code_action()
  if not vim.wait(10000, function() return lines() ~= before end, 50) then
    return
  end
  vim.cmd("write")
  result.stage = "done"
end
local ok, problem = pcall(run)
if not ok then
  result.error = tostring(problem)
end
local file = io.open(vim.env.ALEMBIC_LINT_RESULT, "w")
file:write(vim.fn.json_encode(result))
file:close()
vim.cmd("qall!")
"""


def test_neovim_runs_the_readme_configuration(workdir: Path) -> None:
    """Neovim (Debian's, with its built-in LSP client) starts `alembic-lint server` from
    the README's configuration, shows the migration's finding, and applies its quick fix."""
    nvim = shutil.which("nvim")
    assert nvim, "Neovim is needed for this test (CI installs it)"
    project = workdir / "fixtures" / "demo"
    init = workdir / "init.lua"
    init.write_text(snippet("neovim"), encoding="utf-8")
    harness = workdir / "harness.lua"
    harness.write_text(NEOVIM_HARNESS, encoding="utf-8")
    target = project / "migrations" / "versions" / "4f0a2c4e6b79_make_user_email_unique.py"
    # What `alembic-lint --fix` makes of the file: the quick fix must write the same bytes.
    fixed = workdir / "fixed"
    shutil.copytree(project, fixed)
    assert main(["--fix", "--no-cache", str(fixed)]) == 1
    expected = (fixed / target.relative_to(project)).read_bytes()
    assert expected != target.read_bytes()
    env = env_with_scripts()
    env.update(
        ALEMBIC_LINT_RESULT=str(workdir / "result.json"),
        XDG_CONFIG_HOME=str(workdir / "config"),
        XDG_DATA_HOME=str(workdir / "data"),
        XDG_STATE_HOME=str(workdir / "state"),
    )
    result = subprocess.run(
        [
            nvim,
            "--headless",
            "-n",
            "-i",
            "NONE",
            "-u",
            str(init),
            str(target),
            "-c",
            f"luafile {harness}",
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=90,
    )
    report = json.loads((workdir / "result.json").read_text(encoding="utf-8"))
    assert report["stage"] == "done", (report, result.stderr)
    (finding,) = report["diagnostics"]
    assert finding == {
        "lnum": 22,
        "col": 4,
        "message": "`op.drop_index()` without `if_exists=True`",
        "source": "alembic-lint",
        "code": "AL201",
        "href": "https://github.com/alembic-lint/alembic-lint/blob/main/docs/rules/"
        "drop-without-if-exists.md",
    }
    assert report["actions"] == 3  # the fix, the suppression comment, every safe fix of the file
    assert target.read_bytes() == expected


def test_other_editor_snippets_are_well_formed() -> None:
    """Helix's TOML and VS Code's settings parse and start the server the same way."""
    import tomllib

    helix = tomllib.loads(snippet("helix"))
    server = helix["language-server"]["alembic-lint"]
    assert [server["command"], *server["args"]] == ["alembic-lint", "server"]
    assert "alembic-lint" in helix["language"][0]["language-servers"]
    vscode = json.loads(snippet("vscode-lsp"))
    assert [vscode["glspc.server.command"], *vscode["glspc.server.commandArguments"]] == [
        "alembic-lint",
        "server",
    ]
    assert '("alembic-lint" "server")' in snippet("eglot")


# --------------------------------------------------------------------------- --stdin-filename


@pytest.fixture
def history(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    versions = tmp_path / "versions"
    versions.mkdir()
    for file in (
        m("aaaaaaaaaaaa", labels="core"),
        m("bbbbbbbbbbbb", "aaaaaaaaaaaa", upgrade="op.drop_index('ix')"),
    ):
        (versions / file.filename).write_text(file.source, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return versions


def lint_stdin(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], path: str, text: str
) -> tuple[int, list[str]]:
    import io

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode())))
    code = main(["--stdin-filename", path, "-"])
    out, err = capsys.readouterr()
    assert err == ""
    return code, out.splitlines()


def test_stdin_new_file_reports_the_second_head_it_creates(
    history: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    new = m("cccccccccccc", "aaaaaaaaaaaa")
    code, lines = lint_stdin(monkeypatch, capsys, "versions/c_new.py", new.source)
    assert not (history / "c_new.py").exists()
    assert code == 1
    assert lines[0].startswith("versions/c_new.py:13:1: AL001 2 heads on branch 'core'")
    assert "bbbbbbbbbbbb (bbbbbbbbbbbb_example.py)" in lines[0]
    assert lines[-1] == "Found 1 problem in 1 migration."  # b's own AL201/AL202 not shown


def test_stdin_buffer_replaces_the_file_on_disk(
    history: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    edited = m("bbbbbbbbbbbb", "aaaaaaaaaaaa", upgrade="op.drop_index('ix', if_exists=True)")
    path = "versions/bbbbbbbbbbbb_example.py"
    code, lines = lint_stdin(monkeypatch, capsys, path, edited.source)
    assert code == 1
    assert [line.split(": ")[1].split()[0] for line in lines[:-1]] == ["AL202"]


def test_stdin_buffer_replaces_the_file_a_symlink_reaches(
    history: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The editor names the file by another path (a symlink to it): the file on disk must
    # not stay in the history beside the buffer, or `bbbbbbbbbbbb` would be defined twice.
    alias = history / "zz_alias.py"
    alias.symlink_to(history / "bbbbbbbbbbbb_example.py")
    edited = m("bbbbbbbbbbbb", "aaaaaaaaaaaa", upgrade="op.drop_index('ix', if_exists=True)")
    code, lines = lint_stdin(monkeypatch, capsys, str(alias), edited.source)
    assert code == 1
    assert [line.split(": ")[1].split()[0] for line in lines[:-1]] == ["AL202"]


def test_stdin_buffer_replaces_a_symlink_in_the_history(
    history: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The history reaches the file first through a link (Alembic keeps the first path it
    # meets); the editor names the file itself.
    (history / "0_link.py").symlink_to(history / "bbbbbbbbbbbb_example.py")
    edited = m("bbbbbbbbbbbb", "aaaaaaaaaaaa", upgrade="op.drop_index('ix', if_exists=True)")
    path = "versions/bbbbbbbbbbbb_example.py"
    code, lines = lint_stdin(monkeypatch, capsys, path, edited.source)
    assert code == 1
    assert [line.split(": ")[1].split()[0] for line in lines[:-1]] == ["AL202"]


def test_stdin_reports_findings_it_causes_in_other_files(
    history: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # A new base that declares the label `core` again: AL007 lands on the later file in
    # load order (this one sorts first), so it is brought over and names the other file.
    clash = m("000000000000", labels="core", filename="0_clash.py")
    code, lines = lint_stdin(monkeypatch, capsys, "versions/0_clash.py", clash.source)
    assert code == 1
    assert any("AL007" in line and line.startswith("versions/0_clash.py:") for line in lines)


def test_stdin_needs_dash_and_an_existing_directory(
    history: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--stdin-filename", "versions/x.py", "versions"]) == 2
    assert main(["--stdin-filename", "nowhere/x.py", "-"]) == 2
    assert main(["-"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 3 and "Traceback" not in err


def test_workflow_snippet_on_a_copy_of_the_demo(tmp_path: Path) -> None:
    """Every line of the README's workflow, run on a copy of the demo; Alembic then loads
    the history with one head."""
    shutil.copytree(
        ROOT / "fixtures" / "demo",
        tmp_path / "fixtures" / "demo",
        ignore=shutil.ignore_patterns(".alembic-lint-cache"),
    )
    commands = [
        line.split("#", 1)[0].strip()
        for line in snippet("workflow").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    codes = []
    for command in commands:
        result = subprocess.run(
            command,
            shell=True,
            cwd=tmp_path,
            env=env_with_scripts(),
            capture_output=True,
            text=True,
            check=False,
        )
        assert "Traceback" not in result.stderr
        codes.append((command.split()[1], result.returncode, result.stdout))
    assert [c[1] for c in codes] == [1, 1, 0, 0, 0, 1]  # check, fix, sed, graph, rebase, check
    assert "Found 1 problem in 1 migration." in codes[-1][2] and "AL202" in codes[-1][2]
    from alembic.script import ScriptDirectory

    versions = tmp_path / "fixtures" / "demo" / "migrations" / "versions"
    script = ScriptDirectory(str(versions.parent), version_locations=[str(versions)])
    assert len(script.get_heads()) == 1
