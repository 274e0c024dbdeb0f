"""Fixes: they fix what they say, keep every other byte, and never write by surprise."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from alembic_lint import fixes
from alembic_lint.cli import main
from alembic_lint.rules import registry
from alembic_lint.rules.examples import Example
from conftest import lint_dir, write_example

FIXABLE = [r for r in registry() if r.fixable]


@pytest.fixture
def quiet(capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    def run(*args: str) -> int:
        code = main(["--no-cache", *args])
        out, err = capsys.readouterr()
        assert "Traceback" not in out + err
        return code

    return run


@pytest.mark.parametrize(
    ("rule", "example"),
    [
        pytest.param(r, e, id=f"{r.code}-{i}")
        for r in FIXABLE
        for i, e in enumerate(r.invalid)
        if e.fixed
    ],
)
def test_fix_on_invalid_examples(quiet, tmp_path: Path, rule, example: Example) -> None:  # type: ignore[no-untyped-def]
    versions = write_example(example, tmp_path / "versions")
    before = {p.name: p.read_bytes() for p in versions.iterdir()}
    flagged = [d for d in lint_dir(versions, [rule()]) if d.code == rule.code]
    assert flagged
    quiet("--fix", "--unsafe-fixes", "--select", rule.code, str(versions))
    left = [d for d in lint_dir(versions, [rule()]) if d.code == rule.code]
    # What is left is what has no fix (SQL in a string literal), nothing else.
    assert len(left) < len(flagged)
    for name, data in before.items():
        after = (versions / name).read_bytes()
        changed = [
            i
            for i, (a, b) in enumerate(zip(data.splitlines(), after.splitlines(), strict=False))
            if a != b
        ]
        assert len(data.splitlines()) <= len(after.splitlines())
        assert len(changed) <= len([d for d in flagged if d.location.path.endswith(name)])
    again = {p.name: p.read_bytes() for p in versions.iterdir()}
    quiet("--fix", "--unsafe-fixes", "--select", rule.code, str(versions))
    assert {p.name: p.read_bytes() for p in versions.iterdir()} == again  # idempotent


MIGRATION = (
    '"""Café\n\nRevision ID: aaaaaaaaaaaa\nRevises: zzzzzzzzzzzz\n"""\n'
    "from alembic import op\n\n"
    "revision = 'aaaaaaaaaaaa'\ndown_revision = None\n\n"
    "def upgrade():\n    op.drop_table('café')  # keep me\n\n"
    "def downgrade():\n    raise NotImplementedError\n"
)


@pytest.mark.parametrize(
    ("name", "encode"),
    [
        ("crlf", lambda t: t.replace("\n", "\r\n").encode("utf-8")),
        ("bom", lambda t: b"\xef\xbb\xbf" + t.encode("utf-8")),
        ("latin1", lambda t: ("# -*- coding: latin-1 -*-\n" + t).encode("latin-1")),
    ],
)
def test_untouched_bytes_stay(quiet, tmp_path: Path, name: str, encode) -> None:  # type: ignore[no-untyped-def]
    versions = tmp_path / "versions"
    versions.mkdir()
    target = versions / "aaaaaaaaaaaa_x.py"
    original = encode(MIGRATION)
    target.write_bytes(original)
    os.chmod(target, 0o640)
    assert quiet("--fix", str(versions)) == 0  # both findings fixed, nothing left
    fixed = target.read_bytes()
    before_lines, after_lines = original.splitlines(True), fixed.splitlines(True)
    assert len(before_lines) == len(after_lines)
    differing = [
        i for i, (a, b) in enumerate(zip(before_lines, after_lines, strict=True)) if a != b
    ]
    expected = [
        i for i, line in enumerate(before_lines) if b"Revises:" in line or b"drop_table" in line
    ]
    assert differing == expected
    assert fixed.startswith(b"\xef\xbb\xbf") == (name == "bom")
    assert (b"\r\n" in fixed) == (name == "crlf")
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o640
    text = fixed.decode("latin-1" if name == "latin1" else "utf-8-sig")
    assert "if_exists=True)  # keep me" in text and "Revises: \n" in text.replace("\r\n", "\n")


def test_diff_changes_nothing(quiet, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    versions = tmp_path / "versions"
    versions.mkdir()
    (versions / "a.py").write_text(MIGRATION, encoding="utf-8")
    code = main(["--no-cache", "--diff", str(versions)])
    out = capsys.readouterr().out
    assert code == 1 and "+    op.drop_table('café', if_exists=True)  # keep me" in out
    assert (versions / "a.py").read_text(encoding="utf-8") == MIGRATION


def test_refuses_a_file_changed_since_it_was_read(tmp_path: Path) -> None:
    path = tmp_path / "a.py"
    path.write_text(MIGRATION, encoding="utf-8")
    versions_data = path.read_bytes()
    from alembic_lint.engine import Options, lint
    from alembic_lint.rules.drop_without_if_exists import DropWithoutIfExists

    found = lint("h", [path], Options(rules=[DropWithoutIfExists()]), fixes=True)
    planned = fixes.plan(str(path), versions_data, found)
    path.write_text(MIGRATION + "# edited meanwhile\n", encoding="utf-8")
    with pytest.raises(fixes.FixError):
        fixes.write(planned, versions_data)
    assert path.read_text(encoding="utf-8").endswith("# edited meanwhile\n")


def test_batch_fixes_are_unsafe(quiet, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    versions = tmp_path / "versions"
    versions.mkdir()
    source = (
        "revision = 'a'\ndown_revision = None\n\ndef upgrade():\n"
        "    with op.batch_alter_table('t') as b:\n        b.drop_column('c')\n"
        "\ndef downgrade():\n    raise NotImplementedError\n"
    )
    (versions / "a.py").write_text(source)
    assert quiet("--fix", str(versions)) == 1  # not applied without --unsafe-fixes
    assert (versions / "a.py").read_text() == source
    assert quiet("--fix", "--unsafe-fixes", str(versions)) == 0
    assert "b.drop_column('c', if_exists=True)" in (versions / "a.py").read_text()


def test_fix_refuses_stdin(quiet) -> None:  # type: ignore[no-untyped-def]
    assert quiet("--fix", "--stdin-filename", "x.py", "-") == 2
