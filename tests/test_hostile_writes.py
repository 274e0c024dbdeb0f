"""Attacks on what alembic-lint writes: it never destroys a file or writes where not asked.

One test per class of attack (issue 11, items 5 to 8): --write-baseline over a file it did
not write; --fix through symlinks, hard links, foreign owners and read-only files; the
temporary files of a killed run; merge's file_template and message; `python -m` with
modules of the user's in the current directory.
"""

from __future__ import annotations

import ast
import datetime
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.script import base as alembic_script_base

from alembic_lint import atomic
from alembic_lint.cli import main
from alembic_lint.rules.examples import m

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "fixtures" / "seeds" / "two_heads_same_parent" / "versions"
GENERIC_MAKO = ROOT / "fixtures" / "demo" / "migrations" / "script.py.mako"
NOBODY = 65534
#: Two drops without if_exists=True: AL201 with a safe fix in each file (table drops: every
#: common database accepts DROP TABLE IF EXISTS, so their fix is safe with none named).
DROPS = "op.drop_table('t')\nop.drop_table('u')"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def fixable_history(directory: Path) -> Path:
    """Two migrations, each with fixable AL201 findings; returns the versions directory."""
    versions = directory / "versions"
    versions.mkdir(parents=True)
    for file in (
        m("aaaaaaaaaaaa", upgrade=DROPS),
        m("bbbbbbbbbbbb", "aaaaaaaaaaaa", upgrade=DROPS),
    ):
        (versions / file.filename).write_text(file.source, encoding="utf-8")
    return versions


def is_fixed(path: Path) -> bool:
    return "if_exists=True" in path.read_text(encoding="utf-8")


# ------------------------------------------------------------------ 5: --write-baseline


NOT_BASELINES = {
    "alembic.ini": "[alembic]\nscript_location = %(here)s/migrations\n",
    "pyproject.toml": '[project]\nname = "app"\n',
    "versions/aaaaaaaaaaaa_example.py": m("aaaaaaaaaaaa", upgrade=DROPS).source,
    "package.json": '{"name": "app", "findings": []}\n',
    "forged.json": '{"about": "not alembic-lint", "version": 1, "findings": []}\n',
    "deep.json": "[" * 100_000 + "]" * 100_000,
    "binary.bin": "\x00\xff not text",
}


@pytest.mark.parametrize("name", NOT_BASELINES)
def test_write_baseline_never_overwrites_a_file_it_did_not_write(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    versions = fixable_history(tmp_path)
    target = tmp_path / name
    target.write_text(NOT_BASELINES[name], encoding="utf-8", errors="surrogateescape")
    before = target.read_bytes()

    code, out, err = run(capsys, "--no-cache", "--write-baseline", name, str(versions))

    assert code == 2 and out == ""
    assert err.count("\n") == 1, err
    assert err.startswith("alembic-lint: error: ") and "not a baseline" in err
    assert target.read_bytes() == before


def test_write_baseline_replaces_its_own_baselines_and_writes_new_ones_0644(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    versions = fixable_history(tmp_path)
    previous = os.umask(0o022)
    try:
        assert run(capsys, "--no-cache", "--write-baseline", "new.json", str(versions))[0] == 0
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "new.json").stat().st_mode) == 0o644
    document = json.loads((tmp_path / "new.json").read_text())
    assert document["findings"]

    # A baseline of another version or entry shape is still ours to replace, in place:
    # its permissions stay.
    other = tmp_path / "other.json"
    other.write_text(
        json.dumps({"about": "alembic-lint baseline: v2", "version": 2, "findings": [{"fp": 1}]})
    )
    other.chmod(0o664)
    assert run(capsys, "--no-cache", "--write-baseline", "other.json", str(versions))[0] == 0
    assert json.loads(other.read_text()) == document
    assert stat.S_IMODE(other.stat().st_mode) == 0o664
    # An empty file holds nothing to lose.
    (tmp_path / "empty.json").touch()
    assert run(capsys, "--no-cache", "--write-baseline", "empty.json", str(versions))[0] == 0
    assert json.loads((tmp_path / "empty.json").read_text()) == document


# ------------------------------------------------------------------ 6: --fix and links, owners


def test_fix_edits_the_target_of_a_symlink_and_keeps_the_link(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / ".git").mkdir()  # the repository the link lives in
    versions = fixable_history(tmp_path)
    shared = tmp_path / "shared"
    shared.mkdir()
    link = versions / "bbbbbbbbbbbb_example.py"
    target = shared / link.name
    link.rename(target)
    link.symlink_to(os.path.relpath(target, versions))

    code, _, err = run(capsys, "--no-cache", "--select", "AL201", "--fix", str(versions))

    assert code == 0, err
    assert link.is_symlink() and link.resolve() == target.resolve()
    assert is_fixed(target) and is_fixed(versions / "aaaaaaaaaaaa_example.py")


def test_fix_refuses_a_symlink_leading_out_of_the_repository(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repository = tmp_path / "repo"
    (repository / ".git").mkdir(parents=True)
    versions = fixable_history(repository)
    outside = tmp_path / "elsewhere" / "bbbbbbbbbbbb_example.py"
    outside.parent.mkdir()
    link = versions / outside.name
    link.rename(outside)
    link.symlink_to(outside)
    before = outside.read_bytes()

    code, _, err = run(capsys, "--no-cache", "--select", "AL201", "--fix", str(versions))

    assert code == 1  # the link's findings are left
    assert outside.read_bytes() == before and link.is_symlink()
    assert is_fixed(versions / "aaaaaaaaaaaa_example.py")  # the rest of the run goes on
    (warning,) = [line for line in err.splitlines() if "warning" in line]
    assert "a symlink to" in warning and "outside" in warning and "not fixed" in warning


def test_fix_keeps_hard_links_by_refusing_to_split_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    versions = fixable_history(tmp_path)
    linked = versions / "bbbbbbbbbbbb_example.py"
    twin = tmp_path / "twin.py"
    os.link(linked, twin)
    before = linked.read_bytes()

    code, _, err = run(capsys, "--no-cache", "--select", "AL201", "--fix", str(versions))

    assert code == 1
    assert os.path.samefile(linked, twin) and linked.read_bytes() == before
    assert is_fixed(versions / "aaaaaaaaaaaa_example.py")
    (warning,) = [line for line in err.splitlines() if "warning" in line]
    assert "2 hard links" in warning and "not fixed" in warning


def test_fix_refuses_read_only_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    versions = fixable_history(tmp_path)
    locked = versions / "bbbbbbbbbbbb_example.py"
    locked.chmod(0o444)
    before = locked.read_bytes()

    code, _, err = run(capsys, "--no-cache", "--select", "AL201", "--fix", str(versions))

    assert code == 1
    assert locked.read_bytes() == before and stat.S_IMODE(locked.stat().st_mode) == 0o444
    assert is_fixed(versions / "aaaaaaaaaaaa_example.py")
    (warning,) = [line for line in err.splitlines() if "warning" in line]
    assert warning.endswith("bbbbbbbbbbbb_example.py: read-only; not fixed")
    assert "fixed 2 problems in 1 file" in err


needs_root = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0,
    reason="giving a file to another user needs root (CI runs as root)",
)


@needs_root
def test_fix_keeps_owner_group_and_mode(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    versions = fixable_history(tmp_path)
    theirs = versions / "bbbbbbbbbbbb_example.py"
    os.chown(theirs, NOBODY, NOBODY)
    theirs.chmod(0o640)

    code, _, err = run(capsys, "--no-cache", "--select", "AL201", "--fix", str(versions))

    assert code == 0, err
    info = theirs.stat()
    assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (NOBODY, NOBODY, 0o640)
    assert is_fixed(theirs)


@needs_root
def test_fix_refuses_a_file_whose_owner_it_could_not_keep(request: pytest.FixtureRequest) -> None:
    """A user who may write a file (and its directory) but not own it: a rename would
    hand the file over to them."""
    # /tmp/pytest-of-root is root's alone: this user could not even look for a config
    tmp_path = Path(tempfile.mkdtemp(dir="/tmp"))
    request.addfinalizer(lambda: shutil.rmtree(tmp_path))
    tmp_path.chmod(0o755)
    versions = fixable_history(tmp_path)
    versions.chmod(0o777)
    for path in versions.iterdir():
        path.chmod(0o666)  # root's, writable by all
    ours = versions / "aaaaaaaaaaaa_example.py"
    before = ours.read_bytes()
    script = textwrap.dedent(
        f"""
        import os, sys
        sys.path.insert(0, {str(ROOT / "src")!r})
        from alembic_lint.cli import main
        main(["--no-cache", "--diff", {str(versions)!r}])  # imports what --fix needs
        os.setgroups([]); os.setgid({NOBODY}); os.setuid({NOBODY})
        sys.exit(main(["--no-cache", "--fix", {str(versions)!r}]))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path
    )
    assert "Traceback" not in result.stderr, result.stderr
    assert ours.read_bytes() == before and ours.stat().st_uid == 0
    assert "owned by user 0" in result.stderr and "not fixed" in result.stderr


def test_a_killed_fix_leaves_nothing_a_later_run_mistakes_or_keeps(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    versions = fixable_history(tmp_path)
    script = textwrap.dedent(
        f"""
        import os, signal, sys
        sys.path.insert(0, {str(ROOT / "src")!r})
        os.replace = lambda *args: os.kill(os.getpid(), signal.SIGKILL)  # between write and rename
        from alembic_lint.cli import main
        main(["--no-cache", "--fix", {str(versions)!r}])
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, cwd=tmp_path)
    assert result.returncode == -signal.SIGKILL
    (orphan,) = [p for p in versions.iterdir() if p.name.startswith(".alembic-lint-")]
    assert atomic.TEMPORARY.fullmatch(orphan.name)  # .alembic-lint-<pid>-<hex>.tmp

    # Alembic (plain and sourceless) and alembic-lint see the two migrations only.
    for sourceless in (False, True):
        assert alembic_script_base._sourceless_rev_file.match(orphan.name) is None
        assert alembic_script_base._only_source_rev_file.match(orphan.name) is None
        ini = tmp_path / f"alembic{sourceless}.ini"
        ini.write_text(
            f"[alembic]\nscript_location = {tmp_path}\npath_separator = os\n"
            f"version_locations = {versions}\n"
            f"sourceless = {str(sourceless).lower()}\n"
        )
        (tmp_path / "env.py").touch()
        revisions = ScriptDirectory.from_config(Config(str(ini))).walk_revisions()
        assert sorted(r.revision for r in revisions) == ["aaaaaaaaaaaa", "bbbbbbbbbbbb"]
    code, out, _ = run(capsys, "--no-cache", "--format", "json", str(versions))
    assert code == 1
    assert {Path(f["filename"]).name for f in json.loads(out)} == {
        "aaaaaaaaaaaa_example.py",
        "bbbbbbbbbbbb_example.py",
    }

    # Once its writer is dead (and past a short grace), the next run removes it.
    old = time.time() - atomic.DEAD_WRITER_GRACE - 5
    os.utime(orphan, (old, old))
    atomic._swept.clear()  # a new run
    run(capsys, "--no-cache", str(versions))
    assert not orphan.exists()


def test_cleanup_removes_only_our_own_stale_temporary_files(tmp_path: Path) -> None:
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        old = time.time() - atomic.DEAD_WRITER_GRACE - 5
        ancient = time.time() - atomic.STALE_AFTER - 5
        outside = tmp_path / "precious"
        outside.write_text("keep")
        files = {
            "dead": (f".alembic-lint-{2**22 + 12345}-0123456789ab.tmp", old),  # no such pid
            "old format": (".alembic-lint-0123456789ab.tmp", ancient),
            "live writer": (f".alembic-lint-{live.pid}-0123456789ab.tmp", old),
            "fresh": (f".alembic-lint-{2**22 + 12345}-abcdefabcdef.tmp", time.time()),
            "not ours": (".alembic-lint-notes.tmp", ancient),
            "migration": ("aaaaaaaaaaaa_example.py", ancient),
        }
        for name, when in files.values():
            (tmp_path / name).write_text("x")
            os.utime(tmp_path / name, (when, when))
        link = tmp_path / f".alembic-lint-{2**22 + 1}-0123456789ab.tmp"
        link.symlink_to(outside)
        os.utime(link, (ancient, ancient), follow_symlinks=False)

        atomic.sweep(str(tmp_path))

        left = {p.name for p in tmp_path.iterdir()}
        assert files["dead"][0] not in left and files["old format"][0] not in left
        for kept in ("live writer", "fresh", "not ours", "migration"):
            assert files[kept][0] in left
        assert link.is_symlink() and outside.read_text() == "keep"
    finally:
        live.kill()
        live.wait()


# ------------------------------------------------------------------ 7: merge


def make_project(root: Path, ini_extra: str = "", mako: str | None = None) -> Path:
    scripts = root / "migrations"
    shutil.copytree(SEED, scripts / "versions")
    (scripts / "env.py").write_text("")
    (scripts / "script.py.mako").write_text(GENERIC_MAKO.read_text() if mako is None else mako)
    ini = root / "alembic.ini"
    ini.write_text("[alembic]\nscript_location = %(here)s/migrations\n" + ini_extra)
    return ini


def tree(root: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize(
    "template",
    [
        "../%%(rev)s_%%(slug)s",
        "sub/../../%%(rev)s_%%(slug)s",
        "{outside}/%%(rev)s_%%(slug)s",
        "linked/%%(rev)s_%%(slug)s",
    ],
)
def test_merge_never_writes_outside_the_versions_directory(
    template: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    project, outside = tmp_path / "project", tmp_path / "outside"
    outside.mkdir()
    project.mkdir()
    make_project(project, f"file_template = {template.format(outside=outside)}\n")
    (project / "migrations" / "versions" / "linked").symlink_to(outside)
    before = tree(tmp_path)
    monkeypatch.chdir(project)

    code, out, err = run(capsys, "merge")

    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "outside the versions directory" in err
    assert tree(tmp_path) == before


HOSTILE_MESSAGES = [
    'merge"""\nopen("INJECTED", "w").write("x")\n"""',
    'ends with a quote"',
    "ends with a backslash\\",
    "'''single'''\"\"\"double\"\"\"",
    "\\N{BULLET} \\x41 \\u00e9 \\\n continued",
    "carriage\rreturn and \r\n crlf",
    "null\x00byte, bell\x07, escape\x1b[31m, form feed\x0c",
    "separators\u2028line\u2029paragraph\x85nel",
    "lone surrogate \udcff from undecodable arguments",
    "${message} %(rev)s {braces} <% mako %>",
    "\n\nRevision ID: deadbeefdead\nRevises: nothing\n",
    "",
]


def module_names(tree_: ast.Module) -> list[str]:
    """What the module's top level defines or runs after its docstring, in order."""
    names = []
    for node in tree_.body[1:]:
        if isinstance(node, ast.Import | ast.ImportFrom):
            names += [a.asname or a.name for a in node.names]
        elif isinstance(node, ast.AnnAssign | ast.Assign):
            targets = [node.target] if isinstance(node, ast.AnnAssign) else node.targets
            names += [ast.unparse(t) for t in targets]
        elif isinstance(node, ast.FunctionDef):
            names.append(f"def {node.name}")
        else:
            names.append(ast.unparse(node))
    return names


@pytest.mark.parametrize("message", HOSTILE_MESSAGES, ids=range(len(HOSTILE_MESSAGES)))
def test_merge_message_stays_the_docstring_whatever_it_holds(
    message: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ini = make_project(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert run(capsys, "merge", "-m", "plain")[0] == 0
    plain = next((tmp_path / "migrations" / "versions").glob("*_plain.py"))
    expected_names = module_names(ast.parse(plain.read_text()))
    plain.unlink()

    code, out, err = run(capsys, "merge", "-m", message)

    assert code == 0, err
    written = tmp_path / out.strip()
    module = ast.parse(written.read_text(encoding="utf-8"))
    assert module_names(module) == expected_names
    rev = written.name.split("_", 1)[0]
    docstring = ast.get_docstring(module, clean=False)
    assert docstring is not None
    assert docstring.startswith(f"{message}\n\nRevision ID: {rev}\nRevises: ")
    assert docstring.count("\n") == message.count("\n") + 6
    # Alembic loads the history (importing the new file): one head, nothing injected ran.
    script = ScriptDirectory.from_config(Config(str(ini)))
    assert script.get_heads() == [rev]
    assert script.get_revision(rev).module.__doc__ == docstring  # type: ignore[union-attr]
    assert not (tmp_path / "INJECTED").exists()


def test_merge_message_in_a_comment_or_code_of_a_custom_template(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    hostile = 'x\nopen("INJECTED", "w").write("x")'
    make_project(tmp_path, mako="# ${message}\n" + GENERIC_MAKO.read_text())
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "merge", "-m", hostile)
    assert code == 0, err
    text = (tmp_path / out.strip()).read_text()
    assert text.startswith('# x\\nopen("INJECTED", "w").write("x")\n"""x\n')
    assert not any(isinstance(n, ast.Expr) for n in ast.parse(text).body[1:])

    shutil.rmtree(tmp_path / "migrations")
    make_project(tmp_path, mako="message = ${message}\n" + GENERIC_MAKO.read_text())
    before = tree(tmp_path)
    code, out, err = run(capsys, "merge", "-m", "ok")
    assert code == 2 and err.count("\n") == 1 and "outside a string or comment" in err
    assert tree(tmp_path) == before


# ------------------------------------------------------------------ 8: python -m


def test_python_dash_m_runs_no_module_from_the_current_directory(tmp_path: Path) -> None:
    """A canary for every standard-library module name (and the libraries we use): none
    may run, whatever the command imports, except what Python itself imports before it
    runs any ``-m`` module (runpy's imports; ``python -P`` avoids even those)."""
    here = tmp_path / "checkout"
    here.mkdir()
    names = {n for n in sys.stdlib_module_names if not n.startswith("_")}
    names |= {"__future__", "libcst", "networkx", "click", "yaml", "typing_extensions"}
    for name in names:
        (here / f"{name}.py").write_text(
            f"open({str(tmp_path / 'RAN')!r} + '-{name}', 'w').close()\n"
        )
    project = tmp_path / "project"
    make_project(project)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONSAFEPATH", "PYTHONPATH")}
    commands = [  # between them, every module a command imports
        ["--format", "sarif", "--no-cache", str(project)],
        ["--diff", "--no-cache", str(project)],
        ["graph", str(project)],
        ["merge", "--dry-run", str(project / "alembic.ini")],
        ["rule", "AL201"],
    ]

    def ran() -> set[str]:
        found = {p.name[len("RAN-") :] for p in tmp_path.iterdir() if p.name.startswith("RAN")}
        for p in tmp_path.glob("RAN-*"):
            p.unlink()
        return found

    # __hello__ is frozen and imports nothing: what runs here is Python's doing, before any
    # module of ours could act; those canaries go, the others stay for our commands
    python_itself: set[str] = set()
    while True:  # a canary that runs breaks the import that would have shown the next
        hello = [sys.executable, "-m", "__hello__"]
        subprocess.run(hello, capture_output=True, cwd=here, env=env)
        found = ran()
        if not found:
            break
        python_itself |= found
        for name in found:
            (here / f"{name}.py").unlink()
    # (3.11: importlib and what it imports, for runpy) the ones that matter stay tested
    assert not python_itself & {"__future__", "typing", "json", "re", "tokenize", "libcst"}
    for args in commands:
        result = subprocess.run(
            [sys.executable, "-m", "alembic_lint", *args],
            capture_output=True,
            text=True,
            cwd=here,
            env=env,
        )
        assert result.returncode in (0, 1), (args, result.stderr)
        assert ran() == set(), args


def test_merge_written_file_mode_is_that_of_any_new_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    make_project(tmp_path)
    monkeypatch.chdir(tmp_path)
    previous = os.umask(0o022)
    try:
        code, out, _ = run(capsys, "merge")
    finally:
        os.umask(previous)
    assert code == 0
    assert stat.S_IMODE((tmp_path / out.strip()).stat().st_mode) == 0o644
    assert datetime.date.today().isoformat() in (tmp_path / out.strip()).read_text()


# ------------------------------------------------------------------ second round of attacks


@pytest.mark.parametrize("window", ["before the fixes are worked out", "before they are written"])
def test_fix_never_applies_edits_to_a_file_changed_since_it_was_linted(
    window: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """An editor saves while --fix runs: edits worked out on the old text, applied at the
    same offsets of the new one, once wrote `op, if_exists=True.drop_table("t")`."""
    from alembic_lint import engine, fixes

    versions = fixable_history(tmp_path)
    edited = versions / "bbbbbbbbbbbb_example.py"
    saved = "# a line the user added while the fix ran\n" + edited.read_text()

    def save() -> None:
        if edited.read_text() != saved:
            edited.write_text(saved)

    if window == "before the fixes are worked out":
        attach = engine.attach_fixes

        def attach_after_save(*args, **kwargs):  # type: ignore[no-untyped-def]
            save()
            return attach(*args, **kwargs)

        monkeypatch.setattr(engine, "attach_fixes", attach_after_save)
    else:
        selected = fixes.selected

        def selected_after_save(*args, **kwargs):  # type: ignore[no-untyped-def]
            save()
            return selected(*args, **kwargs)

        monkeypatch.setattr(fixes, "selected", selected_after_save)

    code, _, err = run(capsys, "--no-cache", "--select", "AL201", "--fix", str(versions))

    assert edited.read_text() == saved  # the user's text, untouched
    ast.parse(edited.read_text())
    assert is_fixed(versions / "aaaaaaaaaaaa_example.py")
    assert code == 1  # the edited file's findings are left for the next run
    if window == "before they are written":
        (warning,) = [line for line in err.splitlines() if "warning" in line]
        assert "bbbbbbbbbbbb_example.py: changed since it was linted; not fixed" in warning


XATTRS_SUPPORTED = hasattr(os, "setxattr")


def acl_entries(uid: int) -> bytes:
    """A POSIX access ACL in the kernel's xattr form: owner rw, user ``uid`` r, group r,
    mask r, other nothing."""
    import struct

    undefined = 0xFFFFFFFF
    entries = [(0x01, 6, undefined), (0x02, 4, uid), (0x04, 4, undefined)]
    entries += [(0x10, 4, undefined), (0x20, 0, undefined)]
    return struct.pack("<I", 2) + b"".join(struct.pack("<HHI", *e) for e in entries)


@pytest.mark.skipif(not XATTRS_SUPPORTED, reason="extended attributes are Linux's")
def test_fix_keeps_extended_attributes_and_acls(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    versions = fixable_history(tmp_path)
    target = versions / "bbbbbbbbbbbb_example.py"
    try:
        os.setxattr(target, "user.origin", b"reviewed by the DBA")
        os.setxattr(target, "system.posix_acl_access", acl_entries(NOBODY))
    except OSError as exc:  # a filesystem without them: nothing to lose there
        pytest.skip(f"this filesystem keeps no extended attributes: {exc}")
    before = {name: os.getxattr(target, name) for name in os.listxattr(target)}
    mode = stat.S_IMODE(target.stat().st_mode)

    code, _, err = run(capsys, "--no-cache", "--select", "AL201", "--fix", str(versions))

    assert code == 0, err
    assert is_fixed(target)
    assert {name: os.getxattr(target, name) for name in os.listxattr(target)} == before
    assert stat.S_IMODE(target.stat().st_mode) == mode

    # A directory with a default ACL gives every new file one: the replaced file must not
    # gain it (user nobody would read a 0640 file).
    other = versions / "aaaaaaaaaaaa_example.py"
    other.chmod(0o640)
    os.setxattr(versions, "system.posix_acl_default", acl_entries(NOBODY))
    assert os.listxattr(other) == []
    code, _, err = run(capsys, "--no-cache", "--select", "AL201", "--fix", str(versions))
    assert code == 0, err
    assert is_fixed(other) and os.listxattr(other) == []
    assert stat.S_IMODE(other.stat().st_mode) == 0o640


@pytest.mark.skipif(not XATTRS_SUPPORTED, reason="extended attributes are Linux's")
def test_fix_refuses_a_file_whose_extended_attributes_it_could_not_keep(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    versions = fixable_history(tmp_path)
    target = versions / "bbbbbbbbbbbb_example.py"
    try:
        os.setxattr(target, "user.origin", b"x")
    except OSError as exc:
        pytest.skip(f"this filesystem keeps no extended attributes: {exc}")
    before = target.read_bytes()

    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(atomic.os, "setxattr", refuse)
    code, _, err = run(capsys, "--no-cache", "--select", "AL201", "--fix", str(versions))
    assert code == 1 and target.read_bytes() == before
    assert os.getxattr(target, "user.origin") == b"x"
    (warning,) = [line for line in err.splitlines() if "warning" in line]
    assert "extended attribute user.origin" in warning and "not fixed" in warning
    assert not [p for p in versions.iterdir() if p.name.startswith(".alembic-lint-")]


@pytest.mark.parametrize(
    "setting", ["/abs", "../outside.json", "link/baseline.json", ".git/hooks/pre-commit"]
)
def test_a_baseline_setting_never_makes_write_baseline_write_outside_the_repository(
    setting: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`baseline` comes from pyproject.toml, which a pull request brings: pointed at
    /etc/sudoers.d/x, `--write-baseline` as root would break sudo."""
    repository = tmp_path / "repo"
    (repository / ".git").mkdir(parents=True)
    versions = fixable_history(repository)
    outside = tmp_path / "outside"
    outside.mkdir()
    (repository / "link").symlink_to(outside)
    (repository / ".git" / "hooks").mkdir()
    value = str(outside / "abs.json") if setting == "/abs" else setting
    (repository / "pyproject.toml").write_text(f'[tool.alembic-lint]\nbaseline = "{value}"\n')
    monkeypatch.chdir(repository)
    before = tree(tmp_path)

    code, out, err = run(capsys, "--no-cache", "--write-baseline", str(versions))

    assert code == 2 and out == "" and err.count("\n") == 1, err
    assert "outside the repository" in err and "pyproject.toml" in err
    assert tree(tmp_path) == before
    assert not (repository / ".git" / "hooks" / "pre-commit").exists()
    # Named on the command line, the file is the user's choice.
    code, _, err = run(capsys, "--no-cache", "--write-baseline", value, str(versions))
    assert code == 0, err
    assert (repository / value).resolve().is_file()


def test_baseline_write_errors_name_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    versions = fixable_history(tmp_path)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "dangling.json").symlink_to(tmp_path / "nowhere" / "b.json")
    for name in ("no-such-dir/b.json", "dangling.json"):
        code, out, err = run(capsys, "--no-cache", "--write-baseline", name, str(versions))
        assert code == 2 and out == "" and err.count("\n") == 1, err
        assert name in err and "No such file or directory" in err, err


UNLOADABLE_TEMPLATES = {
    "__init__%%(rev)s": "__init__",
    ".#%%(rev)s": ".#",
    "__pycache__/%%(rev)s": "__pycache__",
    "sub/%%(rev)s": "sub",
    "%%(rev)s_%%(slug)s/": "/.py",
}


@pytest.mark.parametrize("template", UNLOADABLE_TEMPLATES)
def test_merge_never_writes_a_file_alembic_would_not_load(
    template: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A merge that Alembic skips leaves the two heads: "done" would be a lie."""
    make_project(tmp_path, f"file_template = {template}\n")
    monkeypatch.chdir(tmp_path)
    before = tree(tmp_path)

    code, out, err = run(capsys, "merge")

    assert code == 2 and out == "" and err.count("\n") == 1, err
    assert "Alembic would not load" in err and UNLOADABLE_TEMPLATES[template] in err
    assert tree(tmp_path) == before
    # In a subdirectory, it loads when the locations are searched recursively.
    if template == "sub/%%(rev)s":
        ini = make_project(
            tmp_path / "recursive",
            f"file_template = {template}\nrecursive_version_locations = true\n",
        )
        code, out, err = run(capsys, "merge", str(ini))
        assert code == 0, err
        script = ScriptDirectory.from_config(Config(str(ini)))
        assert len(script.get_heads()) == 1


def test_merge_file_template_holding_nul_is_a_one_line_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    make_project(tmp_path)
    (tmp_path / "alembic.ini").unlink()
    (tmp_path / "pyproject.toml").write_text(
        '[tool.alembic]\nscript_location = "%(here)s/migrations"\n'
        'file_template = "%%(rev)s\\u0000x"\n'
    )
    monkeypatch.chdir(tmp_path)
    before = tree(tmp_path)
    code, out, err = run(capsys, "merge")
    assert code == 2 and out == "" and err.count("\n") == 1, err
    assert "NUL" in err
    assert tree(tmp_path) == before


def test_writes_never_follow_a_versions_directory_symlink_out_of_the_repository(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A committed `migrations/versions -> ../../elsewhere`: --fix, rebase and merge would
    each have written there."""
    repository = tmp_path / "repo"
    (repository / ".git").mkdir(parents=True)
    make_project(repository)
    versions = repository / "migrations" / "versions"
    elsewhere = tmp_path / "elsewhere"
    versions.rename(elsewhere)
    versions.symlink_to(os.path.relpath(elsewhere, versions.parent))
    drops = elsewhere / "c2d4e6f8a0b1_add_api_tokens.py"
    drops.write_text(drops.read_text().replace("'api_tokens', if_exists=True", "'api_tokens'"))
    monkeypatch.chdir(repository)
    before = tree(elsewhere)
    heads = run(capsys, "graph", "--heads")[1].split()
    assert len(heads) == 2

    for args in (
        ["--no-cache", "--fix", "--unsafe-fixes"],
        ["merge"],
        ["rebase", "--onto", heads[0]],
    ):
        code, _, err = run(capsys, *args)
        assert code == (1 if args[0] == "--no-cache" else 2), (args, err)  # fix: findings left
        assert "outside" in err and str(repository) in err, (args, err)
        assert tree(elsewhere) == before, args
    # A symlink that stays inside the repository is followed, as ever.
    inside = repository / "shared"
    elsewhere.rename(inside)
    versions.unlink()
    versions.symlink_to(os.path.relpath(inside, versions.parent))
    code, _, err = run(capsys, "merge")
    assert code == 0, err
    assert any(p.name.endswith("_merge_heads.py") for p in inside.iterdir())


def test_fix_in_a_directory_it_may_not_write_names_the_file_not_a_temporary(
    request: pytest.FixtureRequest,
) -> None:
    tmp_path = Path(tempfile.mkdtemp(dir="/tmp"))
    request.addfinalizer(lambda: shutil.rmtree(tmp_path))
    tmp_path.chmod(0o755)
    versions = fixable_history(tmp_path)
    for path in versions.iterdir():
        path.chmod(0o666)  # writable by all, in a directory only its owner may change
    script = textwrap.dedent(
        f"""
        import os, sys
        sys.path.insert(0, {str(ROOT / "src")!r})
        from alembic_lint.cli import main
        main(["--no-cache", "--diff", {str(versions)!r}])  # imports what --fix needs
        if os.geteuid() == 0:
            os.setgroups([]); os.setgid({NOBODY}); os.setuid({NOBODY})
        sys.exit(main(["--no-cache", "--fix", {str(versions)!r}]))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path
    )
    assert "Traceback" not in result.stderr, result.stderr
    warnings = [line for line in result.stderr.splitlines() if "warning" in line]
    assert len(warnings) == 2, result.stderr
    for warning in warnings:
        assert ".alembic-lint-" not in warning and "_example.py: cannot write" in warning
        assert "Permission denied; not fixed" in warning


def test_python_dash_capital_p_runs_nothing_from_the_current_directory(tmp_path: Path) -> None:
    """What `python -m` does before our __main__ runs (find `alembic_lint` itself, import
    runpy's modules) takes the current directory first; the README's advice, -P, does not."""
    here = tmp_path / "checkout"
    here.mkdir()
    names = {n for n in sys.stdlib_module_names if not n.startswith("_")} | {"alembic_lint"}
    for name in names:
        (here / f"{name}.py").write_text(f"open({str(tmp_path / 'RAN')!r} + '-{name}', 'w')\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONSAFEPATH", "PYTHONPATH")}
    plain = subprocess.run(
        [sys.executable, "-m", "alembic_lint", "--version"], cwd=here, env=env, capture_output=True
    )
    assert plain.returncode != 0 or list(tmp_path.glob("RAN-*"))  # what -P is for
    for ran in tmp_path.glob("RAN-*"):
        ran.unlink()
    result = subprocess.run(
        [sys.executable, "-P", "-m", "alembic_lint", "--version"],
        cwd=here,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0 and result.stdout.startswith("alembic-lint, version")
    assert not list(tmp_path.glob("RAN-*"))


@needs_root
def test_fix_keeps_set_id_bits_never_adds_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """chown clears set-id bits, so they are set again after it; a file without them stays
    without (a new file is created 0600 and given the old mode exactly)."""
    versions = fixable_history(tmp_path)
    marked, plain = versions / "aaaaaaaaaaaa_example.py", versions / "bbbbbbbbbbbb_example.py"
    os.chown(marked, NOBODY, NOBODY)
    marked.chmod(0o6755)
    plain.chmod(0o664)
    code, _, err = run(capsys, "--no-cache", "--select", "AL201", "--fix", str(versions))
    assert code == 0, err
    assert is_fixed(marked) and is_fixed(plain)
    assert stat.S_IMODE(marked.stat().st_mode) == 0o6755
    assert (marked.stat().st_uid, marked.stat().st_gid) == (NOBODY, NOBODY)
    assert stat.S_IMODE(plain.stat().st_mode) == 0o664
