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
    head = example.head_file
    flagged = [d for d in lint_dir(versions, [rule()], head) if d.code == rule.code]
    assert flagged
    settings: list[str] = []
    if head:  # the head file's rule needs its setting
        config = tmp_path / "settings.toml"
        config.write_text(f'head-file = "versions/{head}"\n', encoding="utf-8")
        settings = ["--config", str(config)]
    quiet(*settings, "--fix", "--unsafe-fixes", "--select", rule.code, str(versions))
    left = [d for d in lint_dir(versions, [rule()], head) if d.code == rule.code]
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
    quiet(*settings, "--fix", "--unsafe-fixes", "--select", rule.code, str(versions))
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


def squash_migration(tables: int) -> str:
    """A squashed migration as ``alembic revision --autogenerate`` writes it on an empty
    database: every table and index created in ``upgrade()``, all dropped in
    ``downgrade()`` (two drops per table, none with ``if_exists``)."""
    up: list[str] = []
    down: list[str] = []
    for i in range(tables):
        up += [
            f"    op.create_table('table_{i}',",
            "    sa.Column('id', sa.Integer(), nullable=False),",
            "    sa.Column('name', sa.String(length=80), nullable=True),",
            "    sa.PrimaryKeyConstraint('id')",
            "    )",
            f"    op.create_index(op.f('ix_table_{i}_name'), 'table_{i}', ['name'], unique=False)",
        ]
        down += [f"    op.drop_table('table_{i}')"]
        down += [f"    op.drop_index(op.f('ix_table_{i}_name'), table_name='table_{i}')"]
    marker = "    # ### commands auto generated by Alembic - please adjust! ###"
    end = "    # ### end Alembic commands ###"
    return (
        '"""squashed initial schema\n\nRevision ID: 5a1b2c3d4e5f\nRevises: \n'
        'Create Date: 2021-03-01 12:00:00.000000\n\n"""\n'
        "from alembic import op\nimport sqlalchemy as sa\n\n\n"
        "# revision identifiers, used by Alembic.\n"
        "revision = '5a1b2c3d4e5f'\ndown_revision = None\nbranch_labels = None\n"
        "depends_on = None\n\n\n"
        "def upgrade():\n" + "\n".join([marker, *up, end]) + "\n\n\n"
        "def downgrade():\n" + "\n".join([marker, *reversed(down), end]) + "\n"
    )


def test_a_files_fixes_come_from_its_one_parse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run with fixes attached parses each file once with LibCST (the facts) and at
    most once with CPython's ast (the positions; a run without fixes places them from the
    tree CPython built to judge the file first); each fix only re-checks its own call.
    (Parsing the file once per fix made a squashed migration with hundreds of drops take
    minutes.)"""
    import ast

    from alembic_lint import parse
    from alembic_lint.engine import Options, lint
    from alembic_lint.rules.drop_without_if_exists import DropWithoutIfExists

    tables = 150
    path = tmp_path / "versions" / "5a1b2c3d4e5f_squashed_initial_schema.py"
    path.parent.mkdir()
    text = squash_migration(tables)
    path.write_text(text, encoding="utf-8")
    whole: list[str] = []
    real_libcst, real_ast = parse.parse_module, ast.parse

    def libcst_parse(source: object, *args: object, **kwargs: object) -> object:
        whole.append("libcst")
        return real_libcst(source, *args, **kwargs)  # type: ignore[arg-type]

    def ast_parse(source: str | bytes, *args: object, **kwargs: object) -> ast.AST:
        if len(source) > len(text) // 2:
            whole.append("ast")
        return real_ast(source, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(parse, "parse_module", libcst_parse)
    monkeypatch.setattr(ast, "parse", ast_parse)
    options = Options(rules=[DropWithoutIfExists()], jobs=1)
    plain = lint("h", [path], options, fixes=False)
    parses_without = list(whole)
    whole.clear()
    fixed = lint("h", [path], options, fixes=True)

    assert len(plain) == len(fixed) == 2 * tables
    assert all(d.fix is not None for d in fixed)
    assert parses_without == ["libcst"]
    assert whole in (["libcst"], ["libcst", "ast"])
    assert whole.count("libcst") == 1 and whole.count("ast") <= 1
    planned = fixes.plan(str(path), path.read_bytes(), fixed)
    assert planned.count == 2 * tables
    assert planned.after.count("if_exists=True)") == 2 * tables
    real_ast(planned.after)


@pytest.mark.parametrize("ending", ["\n", "\r\n", "\r"])
def test_text_index_positions_round_trip(ending: str) -> None:
    text = ending.join(["first", "", "  third line", "é"]) + ending + "tail"
    where = fixes.index(text)
    for at in range(len(text) + 1):
        line, column = where.position(at)
        assert where.offset(line, column) == at
    assert where.position(text.index("third")) == (3, 3)
    assert where.offset(4, 1) == text.index("é")
