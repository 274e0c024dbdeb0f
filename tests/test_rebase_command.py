"""`alembic-lint rebase`: one head re-pointed at the other, every other byte kept."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory

from alembic_lint.cli import main
from alembic_lint.parse import repoint_edit

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "fixtures" / "seeds" / "two_heads_same_parent" / "versions"
FORK = "c2d4e6f8a0b1"
HOTFIX = "aaaa11112222"
WEBHOOKS = "bbbb33334444"

ENV_PY = """\
from alembic import context

config = context.config
context.configure(url=config.get_main_option("sqlalchemy.url"), literal_binds=True)
with context.begin_transaction():
    context.run_migrations()
"""


def make_project(root: Path) -> Path:
    scripts = root / "migrations"
    shutil.copytree(SEED, scripts / "versions")
    (scripts / "env.py").write_text(ENV_PY)
    ini = root / "alembic.ini"
    ini.write_text("[alembic]\nscript_location = %(here)s/migrations\nsqlalchemy.url = sqlite://\n")
    return ini


def version_file(ini: Path, rev: str) -> Path:
    (found,) = (ini.parent / "migrations" / "versions").glob(f"{rev}_*.py")
    return found


def snapshot(ini: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in sorted((ini.parent / "migrations").rglob("*.py"))}


def run(
    args: list[str], cwd: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    monkeypatch.chdir(cwd)
    code = main(["rebase", *args])
    out, err = capsys.readouterr()
    return code, out, err


def changed_lines(before: bytes, after: bytes) -> list[tuple[bytes, bytes]]:
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    assert len(old) == len(new)
    return [(a, b) for a, b in zip(old, new, strict=True) if a != b]


def assert_linear(ini: Path, head: str) -> None:
    script = ScriptDirectory.from_config(Config(str(ini)))
    assert script.get_heads() == [head]
    result = subprocess.run(
        [sys.executable, "-m", "alembic", "-c", str(ini), "upgrade", "head", "--sql"],
        capture_output=True,
        text=True,
        cwd=ini.parent,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(("onto", "moved"), [(HOTFIX, WEBHOOKS), (WEBHOOKS, HOTFIX)])
def test_rebase_makes_one_head(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    onto: str,
    moved: str,
) -> None:
    ini = make_project(tmp_path)
    target = version_file(ini, moved)
    os.chmod(target, 0o640)
    before = snapshot(ini)
    code, out, err = run(["--onto", onto], tmp_path, monkeypatch, capsys)
    assert (code, err) == (0, "")
    assert moved in out and onto in out
    after = snapshot(ini)
    assert {p for p in after if after[p] != before[p]} == {target}
    changes = changed_lines(before[target], after[target])
    assert len(changes) == 2
    assert changes[0] == (f"Revises: {FORK}\n".encode(), f"Revises: {onto}\n".encode())
    assert changes[1][0].startswith(b"down_revision") and f"'{FORK}'".encode() in changes[1][0]
    assert changes[1][1] == changes[1][0].replace(FORK.encode(), onto.encode())
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert_linear(ini, moved)
    monkeypatch.chdir(tmp_path)
    assert main(["--select", "AL001", str(ini.parent)]) == 0
    assert "AL001" not in capsys.readouterr().out


def test_rebase_named_revision_and_prefix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ini = make_project(tmp_path)
    code, _, err = run([str(tmp_path), "bbbb", "--onto", "aaaa1111"], tmp_path, monkeypatch, capsys)
    assert (code, err) == (0, "")
    assert_linear(ini, WEBHOOKS)


def test_crlf_latin1_cookie_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ini = make_project(tmp_path)
    target = version_file(ini, WEBHOOKS)
    text = target.read_text(encoding="utf-8").replace("add webhooks", "add webhooks (café)")
    body = "# -*- coding: latin-1 -*-\n" + text
    original = body.replace("\n", "\r\n").encode("latin-1")
    target.write_bytes(original)
    code, _, err = run(["--onto", HOTFIX], tmp_path, monkeypatch, capsys)
    assert (code, err) == (0, ""), err
    edited = target.read_bytes()
    assert "café".encode("latin-1") in edited and b"\r\n" in edited
    assert edited.count(b"\r\n") == edited.count(b"\n")
    changes = changed_lines(original, edited)
    assert changes[0][1] == f"Revises: {HOTFIX}\r\n".encode()
    assert len(changes) == 2
    assert_linear(ini, WEBHOOKS)


def test_bom_crlf_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ini = make_project(tmp_path)
    target = version_file(ini, WEBHOOKS)
    text = target.read_text(encoding="utf-8").replace("add webhooks", "add webhooks \u2713")
    original = b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8")
    target.write_bytes(original)
    code, _, err = run(["--onto", HOTFIX], tmp_path, monkeypatch, capsys)
    assert (code, err) == (0, ""), err
    edited = target.read_bytes()
    assert edited.startswith(b"\xef\xbb\xbf")
    assert edited.count(b"\r\n") == edited.count(b"\n")
    assert len(changed_lines(original, edited)) == 2
    assert_linear(ini, WEBHOOKS)


def test_dry_run_prints_diff_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ini = make_project(tmp_path)
    before = snapshot(ini)
    code, out, err = run(["--onto", HOTFIX, "--dry-run"], tmp_path, monkeypatch, capsys)
    assert (code, err) == (0, "")
    name = version_file(ini, WEBHOOKS).relative_to(tmp_path).as_posix()
    assert f"--- a/{name}\n" in out and f"+++ b/{name}\n" in out
    assert f"-Revises: {FORK}\n" in out and f"+Revises: {HOTFIX}\n" in out
    assert f"+down_revision: Union[str, Sequence[str], None] = '{HOTFIX}'" in out
    assert snapshot(ini) == before
    assert not list((ini.parent / "migrations" / "versions").glob(".alembic-lint-*"))


def test_idempotent_edit() -> None:
    data = (SEED / f"{WEBHOOKS}_add_webhooks.py").read_bytes()
    once = repoint_edit(data, HOTFIX, FORK)
    assert once is not None and once != data
    assert repoint_edit(once, HOTFIX, FORK) == once


def _add_file(ini: Path, rev: str, down: str, name: str = "extra") -> None:
    path = ini.parent / "migrations" / "versions" / f"{rev}_{name}.py"
    path.write_text(
        f'"""{name}\n\nRevision ID: {rev}\nRevises: {down}\n"""\n'
        f"revision = {rev!r}\ndown_revision = {down}\n"
        "branch_labels = None\ndepends_on = None\n\n\n"
        "def upgrade():\n    pass\n\n\ndef downgrade():\n    pass\n"
    )


@pytest.mark.parametrize(
    ("args", "setup", "message"),
    [
        (["--onto", FORK], None, "not a head"),
        (["--onto", "nope1234"], None, "No such revision"),
        (["--onto", "aaa"], None, "at least four"),
        (["--onto", HOTFIX, HOTFIX], None, f"{HOTFIX} is the --onto head itself: nothing to"),
        (["--onto", HOTFIX, FORK], None, f"{FORK} is an ancestor of {HOTFIX}: rebasing it"),
        (["/no/such/dir", "--onto", HOTFIX], None, "/no/such/dir: no such file or directory"),
        (["--onto", HOTFIX], "three_heads", "name the REVISION"),
        (["--onto", "cccc", "cccc"], "ambiguous", "Multiple revisions"),
        (["--onto", HOTFIX], "merge", "merge"),
        (["--onto", HOTFIX], "not_literal", "not a plain string literal"),
    ],
)
def test_refusals(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    setup: str | None,
    message: str,
) -> None:
    ini = make_project(tmp_path)
    if setup == "three_heads":
        _add_file(ini, "dddd55556666", repr(FORK))
    elif setup == "ambiguous":
        _add_file(ini, "cccc00000001", repr(HOTFIX), "one")
        _add_file(ini, "cccc00000002", repr(HOTFIX), "two")
    elif setup == "merge":
        _add_file(ini, "eeee77778888", repr(FORK), "side")
        _add_file(ini, "ffff99990000", repr((WEBHOOKS, "eeee77778888")), "merge")
    elif setup == "not_literal":
        target = version_file(ini, WEBHOOKS)
        text = target.read_text()
        target.write_text(
            text.replace(f"= '{FORK}'  # expect", f"= '{FORK[:6]}' '{FORK[6:]}'  # expect")
        )
    before = snapshot(ini)
    code, out, err = run(args, tmp_path, monkeypatch, capsys)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and message in err, err
    assert snapshot(ini) == before
