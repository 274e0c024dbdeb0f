"""False alarms found on public projects' histories, one test per class of them.

Each fixture is written by us in the shape of the real files (an older Alembic template's
header, a data migration, a skipped legacy migration...), never copied from them.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from alembic_lint.cli import main
from conftest import lint_dir


def write(directory: Path, files: dict[str, str]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, source in files.items():
        (directory / name).write_text(textwrap.dedent(source).lstrip("\n"), encoding="utf-8")
    return directory


def findings(directory: Path, code: str) -> list[tuple[str, int, str]]:
    from alembic_lint.rules import by_code_or_name

    rule = by_code_or_name(code)
    assert rule is not None
    return sorted(
        (Path(d.location.path).name, d.location.line, d.message)
        for d in lint_dir(directory, [rule()])
        if d.code == code
    )


# --------------------------------------------------------------------------- AL103


def old_template(rev: str, revises: str, down: str, message: str = "initial migration") -> str:
    """A migration as Alembic's templates wrote them around 2015 (no type annotations,
    `Revises:` rendered from the variable as it was, a tuple repr for merges)."""
    return f'''
    """{message}

    Revision ID: {rev}
    Revises: {revises}
    Create Date: 2015-01-08 23:14:00.000000

    """

    # revision identifiers, used by Alembic.
    revision = '{rev}'
    down_revision = {down}

    from alembic import op
    import sqlalchemy as sa


    def upgrade():
        op.create_table('forums', sa.Column('id', sa.Integer(), nullable=False))


    def downgrade():
        op.drop_table('forums')
    '''


#: Headers that say the same as the variables, in the ways real files write them.
SAME = [
    pytest.param("None", "None", id="base-None"),  # the older template's base
    pytest.param("", "None", id="base-empty"),  # today's template: `Revises: `
    pytest.param("-", "None", id="base-dash"),
    pytest.param("()", "()", id="base-empty-tuple"),
    pytest.param(
        "('1f00aa11bb22', '28a0cc33dd44')", "('1f00aa11bb22', '28a0cc33dd44')", id="merge-repr"
    ),
    pytest.param(
        "(u'1f00aa11bb22', u'28a0cc33dd44')", "('1f00aa11bb22', '28a0cc33dd44')", id="merge-py2"
    ),
    pytest.param(
        "['1f00aa11bb22', '28a0cc33dd44']", "['1f00aa11bb22', '28a0cc33dd44']", id="merge-list"
    ),
    pytest.param(
        "28a0cc33dd44, 1f00aa11bb22", "('1f00aa11bb22', '28a0cc33dd44')", id="merge-other-order"
    ),
    pytest.param(
        "1f00aa11bb22,28a0cc33dd44", "('1f00aa11bb22', '28a0cc33dd44')", id="merge-no-space"
    ),
    pytest.param(
        "1f00aa11bb22  28a0cc33dd44", "('1f00aa11bb22', '28a0cc33dd44')", id="merge-spaces"
    ),
    pytest.param("'1f00aa11bb22'", "'1f00aa11bb22'", id="quoted"),
    pytest.param("('1f00aa11bb22',)", "'1f00aa11bb22'", id="one-tuple"),
]


@pytest.mark.parametrize(("revises", "down"), SAME)
def test_header_that_agrees_in_another_notation_is_not_flagged(
    tmp_path: Path, revises: str, down: str
) -> None:
    versions = write(
        tmp_path / "versions",
        {
            "1f00aa11bb22_a.py": old_template("1f00aa11bb22", "None", "None"),
            "28a0cc33dd44_b.py": old_template("28a0cc33dd44", "None", "None"),
            "49b0ee55ff66_merge.py": old_template("49b0ee55ff66", revises, down),
        },
    )
    assert findings(versions, "AL103") == []


def test_header_without_a_revises_line_is_not_flagged(tmp_path: Path) -> None:
    source = old_template("49b0ee55ff66", "x", "'1f00aa11bb22'").replace("Revises: x\n", "")
    versions = write(tmp_path / "versions", {"49b0ee55ff66_b.py": source})
    assert findings(versions, "AL103") == []


#: Headers that name other revisions than the variables: still reported, and fixed to the
#: line Alembic's template writes (`Revises: ${down_revision | comma,n}`).
DIFFERENT = [
    pytest.param("None", "'1f00aa11bb22'", "Revises: 1f00aa11bb22", id="None-but-a-parent"),
    pytest.param("", "'1f00aa11bb22'", "Revises: 1f00aa11bb22", id="empty-but-a-parent"),
    pytest.param("1f00aa11bb22", "None", "Revises: ", id="a-parent-but-a-base"),
    pytest.param(
        "('1f00aa11bb22', '28a0cc33dd44')",
        "('1f00aa11bb22', '3c00aa11bb22')",
        "Revises: 1f00aa11bb22, 3c00aa11bb22",
        id="merge-one-parent-differs",
    ),
    pytest.param(
        "1f00aa11bb22",
        "('1f00aa11bb22', '28a0cc33dd44')",
        "Revises: 1f00aa11bb22, 28a0cc33dd44",
        id="merge-one-parent-missing",
    ),
    pytest.param("1f00aa11", "'1f00aa11bb22'", "Revises: 1f00aa11bb22", id="a-prefix"),
    pytest.param("None, 1f00aa11bb22", "'1f00aa11bb22'", "Revises: 1f00aa11bb22", id="None-and"),
]


@pytest.mark.parametrize(("revises", "down", "fixed"), DIFFERENT)
def test_header_naming_other_revisions_is_flagged_and_fixed(
    tmp_path: Path, revises: str, down: str, fixed: str
) -> None:
    source = old_template("49b0ee55ff66", revises, down)
    versions = write(tmp_path / "versions", {"49b0ee55ff66_merge.py": source})
    found = findings(versions, "AL103")
    assert [(name, line) for name, line, _ in found] == [("49b0ee55ff66_merge.py", 4)]
    assert main(["--no-cache", "--fix", "--select", "AL103", str(versions)]) == 0
    text = (versions / "49b0ee55ff66_merge.py").read_text(encoding="utf-8")
    assert text.splitlines()[3] == fixed
    assert findings(versions, "AL103") == []


def test_messages_say_what_differs(tmp_path: Path) -> None:
    versions = write(
        tmp_path / "versions",
        {
            "49b0ee55ff66_a.py": old_template("49b0ee55ff66", "None", "'1f00aa11bb22'"),
            "5a00aa11bb22_b.py": old_template("5a00aa11bb22", "1f00aa11bb22", "None"),
        },
    )
    assert [m for _, _, m in findings(versions, "AL103")] == [
        "docstring says Revises: None (a base), but down_revision is 1f00aa11bb22",
        "docstring says Revises: 1f00aa11bb22, but down_revision is None (a base)",
    ]


def test_fix_writes_what_alembic_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Real Alembic writes a base, a child, a fork and a merge; their `Revises:` lines are
    made stale in the ways real histories have them; `--fix` gives Alembic's bytes back."""
    from alembic import command
    from alembic.config import Config

    monkeypatch.chdir(tmp_path)
    ini = tmp_path / "alembic.ini"
    command.init(Config(str(ini)), str(tmp_path / "migrations"))
    config = Config(str(ini))
    command.revision(config, message="base", rev_id="aaaaaaaaaaaa")
    command.revision(config, message="left", rev_id="bbbbbbbbbbbb")
    command.revision(config, message="right", rev_id="cccccccccccc", head="aaaaaaaaaaaa@head")
    command.merge(config, "heads", message="merge", rev_id="dddddddddddd")
    versions = tmp_path / "migrations" / "versions"
    originals = {p: p.read_bytes() for p in versions.glob("*.py")}
    stale = {
        "aaaaaaaaaaaa": "Revises: bbbbbbbbbbbb",  # a base whose header names a parent
        "bbbbbbbbbbbb": "Revises: None",  # a parent whose header says there is none
        "cccccccccccc": "Revises:cccccccccccc",
        "dddddddddddd": "Revises: ('bbbbbbbbbbbb', 'aaaaaaaaaaaa')",
    }
    for path in originals:
        rev = path.name[:12]
        text = path.read_text(encoding="utf-8")
        line = next(x for x in text.splitlines() if x.startswith("Revises:"))
        path.write_text(text.replace(line, stale[rev], 1), encoding="utf-8")
    assert len(findings(versions, "AL103")) == 4
    assert main(["--no-cache", "--fix", "--select", "AL103", str(versions)]) == 0
    for path, original in originals.items():
        assert path.read_bytes() == original, path.name
