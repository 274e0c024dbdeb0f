"""Adopting the linter on an old project: noqa, file-ignore, AL900, baselines, version pins."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from alembic_lint.cli import main
from alembic_lint.rules.examples import File, m, raw

ERROR = "alembic-lint: error: "
LINE = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<code>AL\d{3}) (?P<msg>.+)$")
BASELINE = ".alembic-lint-baseline.json"


def write(directory: Path, *files: File) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for file in files:
        (directory / file.filename).write_text(file.source, encoding="utf-8")
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


def findings(run, *args: str) -> list[tuple[str, int, str, str]]:  # type: ignore[no-untyped-def]
    """``[(file name, line, code, message)]`` of a run, in report order."""
    code, out, err = run(*args)
    assert code in (0, 1), err
    if code == 0:
        assert out == "All checks passed.\n"
        return []
    *lines, summary = out.splitlines()
    assert summary.startswith("Found ")
    result = []
    for line in lines:
        match = LINE.match(line)
        assert match, line
        result.append((Path(match["path"]).name, int(match["line"]), match["code"], match["msg"]))
    return result


def codes(run, *args: str) -> list[tuple[str, int, str]]:  # type: ignore[no-untyped-def]
    return [(name, line, code) for name, line, code, _ in findings(run, *args)]


def edit(file: File, old: str, new: str) -> File:
    assert old in file.source, old
    return File(file.filename, file.source.replace(old, new, 1))


ROOT = m("aaaaaaaaaaaa")
A = "aaaaaaaaaaaa_example.py"
B = "bbbbbbbbbbbb_example.py"
C = "cccccccccccc_example.py"
X = "aaaaaaaaaaaa_x.py"
IRREVERSIBLE = "raise NotImplementedError('gone')"
#: AL202 on line 3 (no downgrade), AL201 on line 4.
SIMPLE = (
    "revision = 'aaaaaaaaaaaa'\ndown_revision = None\ndef upgrade():\n    op.drop_index('ix')\n"
)


# =========================================================================== noqa
# Line numbers of m(...) files: 12 revision, 13 down_revision, 14 branch_labels,
# 15 depends_on, 18 def upgrade, 19.. the upgrade body.


def test_noqa_on_graph_finding_al001(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    b = m("bbbbbbbbbbbb", "aaaaaaaaaaaa")
    c = m("cccccccccccc", "aaaaaaaaaaaa")
    write(tmp_path / "versions", ROOT, b, c)
    assert codes(run, "versions") == [(B, 13, "AL001"), (C, 13, "AL001")]
    write(tmp_path / "versions", edit(c, "'aaaaaaaaaaaa'\n", "'aaaaaaaaaaaa'  # noqa: AL001\n"))
    assert codes(run, "versions") == [(B, 13, "AL001")]


def test_noqa_on_graph_finding_al002(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    b = m("bbbbbbbbbbbb", "zzzzzzzzzzzz")
    write(tmp_path / "versions", ROOT, b)
    assert codes(run, "versions") == [(B, 13, "AL002")]
    write(tmp_path / "versions", edit(b, "'zzzzzzzzzzzz'\n", "'zzzzzzzzzzzz'  # noqa: AL002\n"))
    assert codes(run, "versions") == []


MERGE = """
revision = "dddddddddddd"
down_revision = (
    "bbbbbbbbbbbb",{comment}
    "cccccccccccc",
)
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
"""


def test_noqa_on_graph_finding_al003_on_the_merge_element(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    c = m("cccccccccccc", "aaaaaaaaaaaa")
    write(tmp_path / "versions", ROOT, c, raw("dddddddddddd_merge.py", MERGE.format(comment="")))
    assert codes(run, "versions") == [("dddddddddddd_merge.py", 3, "AL003")]
    merge = raw("dddddddddddd_merge.py", MERGE.format(comment="  # noqa: AL003"))
    write(tmp_path / "versions", merge)
    assert codes(run, "versions") == []
    # On the other element's line it suppresses nothing.
    merge = raw(
        "dddddddddddd_merge.py",
        MERGE.format(comment="").replace('"cccccccccccc",', '"cccccccccccc",  # noqa: AL003'),
    )
    write(tmp_path / "versions", merge)
    assert codes(run, "versions") == [
        ("dddddddddddd_merge.py", 3, "AL003"),
        ("dddddddddddd_merge.py", 4, "AL900"),
    ]


PY2 = """
revision = 'bbbbbbbbbbbb'
down_revision = 'aaaaaaaaaaaa'


def upgrade():
    print 'adding users'{comment}
"""


def test_noqa_on_syntax_error_line_al100(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    versions = write(
        tmp_path / "versions", ROOT, raw("bbbbbbbbbbbb_py2.py", PY2.format(comment=""))
    )
    assert codes(run, "versions") == [("bbbbbbbbbbbb_py2.py", 6, "AL100")]
    write(versions, raw("bbbbbbbbbbbb_py2.py", PY2.format(comment="  # noqa: AL100")))
    assert codes(run, "versions") == []


def test_noqa_in_a_file_that_does_not_tokenize_al100(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """An unclosed bracket stops the tokenizer: the comments are found by a line scan."""
    broken = (
        "revision = 'bbbbbbbbbbbb'\ndown_revision = 'aaaaaaaaaaaa'\ndef upgrade(:{c}\n    pass\n"
    )
    versions = write(tmp_path / "versions", ROOT, File("bbbbbbbbbbbb_x.py", broken.format(c="")))
    assert codes(run, "versions") == [("bbbbbbbbbbbb_x.py", 3, "AL100")]
    write(versions, File("bbbbbbbbbbbb_x.py", broken.format(c="  # noqa: AL100")))
    assert codes(run, "versions") == []
    write(versions, File("bbbbbbbbbbbb_x.py", broken.format(c="  # noqa: AL201")))
    assert codes(run, "versions") == [
        ("bbbbbbbbbbbb_x.py", 3, "AL100"),
        ("bbbbbbbbbbbb_x.py", 3, "AL900"),
    ]


def test_noqa_on_unresolved_revision_al101(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    computed = "from myapp import PARENT\nrevision = 'bbbbbbbbbbbb'\ndown_revision = PARENT{c}\n"
    versions = write(tmp_path / "versions", ROOT, File("bbbbbbbbbbbb_x.py", computed.format(c="")))
    assert codes(run, "versions") == [("bbbbbbbbbbbb_x.py", 3, "AL101")]
    write(versions, File("bbbbbbbbbbbb_x.py", computed.format(c="  # noqa: AL101")))
    assert codes(run, "versions") == []


def test_noqa_on_helper_module_al101(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    versions = write(tmp_path / "versions", ROOT, File("helpers.py", "def helper():\n    pass\n"))
    assert codes(run, "versions") == [("helpers.py", 1, "AL101")]
    write(versions, File("helpers.py", "def helper():  # noqa: AL101\n    pass\n"))
    assert codes(run, "versions") == []


def test_noqa_on_invalid_revision_id_al102(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bad = m("aaaa-1111")
    versions = write(tmp_path / "versions", bad)
    assert codes(run, "versions") == [("aaaa-1111_example.py", 12, "AL102")]
    write(versions, edit(bad, "'aaaa-1111'\n", "'aaaa-1111'  # noqa: AL102\n"))
    assert codes(run, "versions") == []


def test_noqa_on_operation_call_al201(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    drop = m("aaaaaaaaaaaa", upgrade="op.drop_index('ix')", downgrade=IRREVERSIBLE)
    versions = write(tmp_path / "versions", drop)
    assert codes(run, "versions") == [(A, 19, "AL201")]
    write(versions, edit(drop, "op.drop_index('ix')", "op.drop_index('ix')  # noqa: AL201"))
    assert codes(run, "versions") == []
    # The noqa belongs on the call's line, not on the `def` above it.
    write(versions, edit(drop, "def upgrade():", "def upgrade():  # noqa: AL201"))
    assert codes(run, "versions") == [(A, 18, "AL900"), (A, 19, "AL201")]


def test_noqa_on_def_line_al202(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    empty = m("aaaaaaaaaaaa", upgrade="op.drop_index('ix', if_exists=True)")
    versions = write(tmp_path / "versions", empty)
    assert codes(run, "versions") == [(A, 22, "AL202")]
    write(versions, edit(empty, "def downgrade():", "def downgrade():  # noqa: AL202"))
    assert codes(run, "versions") == []
    none = m("aaaaaaaaaaaa", upgrade="op.drop_index('ix', if_exists=True)", downgrade=None)
    write(versions, none)
    assert codes(run, "versions") == [(A, 18, "AL202")]
    write(versions, edit(none, "def upgrade():", "def upgrade():  # noqa: AL202"))
    assert codes(run, "versions") == []


def test_bare_noqa_suppresses_everything_on_its_line(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    two = "op.drop_index('ix'); op.drop_table('t')"
    versions = write(tmp_path / "versions", m("aaaaaaaaaaaa", upgrade=two, downgrade=IRREVERSIBLE))
    assert codes(run, "versions") == [(A, 19, "AL201"), (A, 19, "AL201")]
    write(versions, m("aaaaaaaaaaaa", upgrade=two + "  # noqa", downgrade=IRREVERSIBLE))
    assert codes(run, "versions") == []
    # ...but only on its line.
    write(
        versions, m("aaaaaaaaaaaa", upgrade=f"{two}  # NOQA\nop.drop_index('ix2')", downgrade=None)
    )
    assert codes(run, "versions") == [(A, 18, "AL202"), (A, 20, "AL201")]


def test_several_codes_comma_separated(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # One line with two findings of different rules (a one-line `def upgrade` with no
    # downgrade: AL202 on the def, AL201 on the call).
    versions = tmp_path / "versions"
    versions.mkdir()
    line = "def upgrade(): op.drop_index('ix'){c}\n"
    text = "revision = 'aaaaaaaaaaaa'\ndown_revision = None\n" + line
    write(versions, File(X, text.format(c="")))
    assert codes(run, "versions") == [(X, 3, "AL202"), (X, 3, "AL201")]
    for comment in ("  # noqa: AL201,AL202", "  # noqa: AL201, AL202", "  # noqa:AL202 AL201"):
        write(versions, File(X, text.format(c=comment)))
        assert codes(run, "versions") == [], comment
    write(versions, File(X, text.format(c="  # noqa: AL202")))
    assert codes(run, "versions") == [(X, 3, "AL201")]


def test_file_ignore_with_codes(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    text = "{c}" + SIMPLE
    versions = write(tmp_path / "versions", File(X, text.format(c="")))
    assert codes(run, "versions") == [(X, 3, "AL202"), (X, 4, "AL201")]
    write(versions, File(X, text.format(c="# alembic-lint: file-ignore[AL202]\n")))
    assert codes(run, "versions") == [(X, 5, "AL201")]
    write(versions, File(X, text.format(c="# alembic-lint: file-ignore[AL201, AL202]\n")))
    assert codes(run, "versions") == []


def test_bare_file_ignore(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    text = (
        "revision = 'aaaaaaaaaaaa'\ndown_revision = None\ndef upgrade():\n    op.drop_index('ix')\n"
    )
    versions = write(tmp_path / "versions", File(X, "# alembic-lint: file-ignore\n" + text))
    assert codes(run, "versions") == []
    # Anywhere in the file, not only at the top.
    write(versions, File(X, text + "# alembic-lint: file-ignore\n"))
    assert codes(run, "versions") == []


def test_file_ignore_does_not_reach_other_files(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    write(
        tmp_path / "versions",
        m("aaaaaaaaaaaa", upgrade="op.drop_index('ix')  # alembic-lint: file-ignore[AL201]"),
        m("bbbbbbbbbbbb", "aaaaaaaaaaaa", upgrade="op.drop_index('ix')", downgrade=IRREVERSIBLE),
    )
    assert codes(run, "versions") == [(A, 22, "AL202"), (B, 19, "AL201")]


def test_noqa_inside_a_string_literal_does_not_suppress(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    upgrade = "op.execute('SELECT 1  # noqa'); op.drop_index('ix_a # noqa: AL201')"
    versions = write(
        tmp_path / "versions", m("aaaaaaaaaaaa", upgrade=upgrade, downgrade=IRREVERSIBLE)
    )
    assert codes(run, "versions") == [(A, 19, "AL201")]
    docstring = '"""\n# noqa\n# alembic-lint: file-ignore\n"""\nop.drop_index(\'ix\')'
    write(versions, m("aaaaaaaaaaaa", upgrade=docstring, downgrade=IRREVERSIBLE))
    assert codes(run, "versions") == [(A, 23, "AL201")]


# --------------------------------------------------------------------------- AL900


def test_unused_noqa_that_matched_nothing(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    fixed = "op.drop_index('ix', if_exists=True)"
    write(
        tmp_path / "versions",
        m("aaaaaaaaaaaa", upgrade=f"{fixed}  # noqa: AL201", downgrade=IRREVERSIBLE),
    )
    assert findings(run, "versions") == [
        (A, 19, "AL900", "Unused `noqa` directive (unused: AL201)")
    ]
    # A bare noqa comment may be flake8's: never reported.
    write(
        tmp_path / "versions", m("aaaaaaaaaaaa", upgrade=f"{fixed}  # noqa", downgrade=IRREVERSIBLE)
    )
    code, _, _ = run("versions")
    assert (code, findings(run, "versions")) == (0, [])


@pytest.mark.parametrize(
    "comment",
    [
        "# noqa: F401",
        "# noqa: I001",
        "# noqa: S608",
        "# noqa:E501,W291",
        "# NOQA: B950",
        "# noqa",
        "# NOQA",
        "# noqa: F401  # re-exported for env.py",
    ],
)
def test_other_tools_noqa_is_never_reported(run, tmp_path: Path, comment: str) -> None:  # type: ignore[no-untyped-def]
    """A migration is linted by ruff and flake8 too: their codes are theirs to judge."""
    source = (
        '"""add plan tiers\n\nRevision ID: aaaaaaaaaaaa\nRevises: \n"""\n'
        "from alembic import op\n"
        f"from myapp.models import Plan  {comment}\n\n"
        "revision = 'aaaaaaaaaaaa'\ndown_revision = None\n\n\n"
        "def upgrade():\n"
        f"    op.execute(\"UPDATE plans SET tier = 'free' WHERE tier IS NULL\")  {comment}\n\n\n"
        "def downgrade():\n    raise NotImplementedError\n"
    )
    write(tmp_path / "versions", File(A, source))
    assert findings(run, "--extend-select", "AL900", "versions") == []


@pytest.mark.parametrize("codes_text", ["F401, AL201", "E501,AL201", "AL201 S608"])
def test_shared_noqa_reports_only_our_unused_code(run, tmp_path: Path, codes_text: str) -> None:  # type: ignore[no-untyped-def]
    fixed = "op.drop_index('ix', if_exists=True)"
    upgrade = f"{fixed}  # noqa: {codes_text}"
    write(tmp_path / "versions", m("aaaaaaaaaaaa", upgrade=upgrade, downgrade=IRREVERSIBLE))
    assert findings(run, "versions") == [
        (A, 19, "AL900", "Unused `noqa` directive (unused: AL201)")
    ]


def test_unused_noqa_partly_used(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    write(
        tmp_path / "versions",
        m(
            "aaaaaaaaaaaa",
            upgrade="op.drop_index('ix')  # noqa: AL201, AL202",
            downgrade=IRREVERSIBLE,
        ),
    )
    assert findings(run, "versions") == [
        (A, 19, "AL900", "Unused `noqa` directive (unused: AL202)")
    ]


def test_unused_noqa_for_a_disabled_rule(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    write(
        tmp_path / "versions",
        m("aaaaaaaaaaaa", upgrade="op.drop_index('ix')  # noqa: AL201", downgrade=IRREVERSIBLE),
    )
    assert findings(run, "versions") == []
    assert findings(run, "--ignore", "AL201", "versions") == [
        (A, 19, "AL900", "Unused `noqa` directive (non-enabled: AL201)")
    ]
    (tmp_path / "pyproject.toml").write_text(
        '[tool.alembic-lint]\nignore = ["drop-without-if-exists"]\n'
    )
    assert findings(run, "versions") == [
        (A, 19, "AL900", "Unused `noqa` directive (non-enabled: AL201)")
    ]


def test_unused_noqa_for_an_unknown_code(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    write(
        tmp_path / "versions",
        m(
            "aaaaaaaaaaaa",
            upgrade="op.drop_index('ix')  # noqa: AL201, AL999, E501",
            downgrade=IRREVERSIBLE,
        ),
    )
    assert findings(run, "versions") == [
        (A, 19, "AL900", "Unused `noqa` directive (unknown: AL999)")
    ]
    assert findings(run, "--ignore", "AL201", "versions") == [
        (A, 19, "AL900", "Unused `noqa` directive (non-enabled: AL201; unknown: AL999)")
    ]


def test_unused_file_ignore(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    text = "{c}\nrevision = 'aaaaaaaaaaaa'\ndown_revision = None\n"
    versions = write(
        tmp_path / "versions", File(X, text.format(c="# alembic-lint: file-ignore[AL202]"))
    )
    assert findings(run, "versions") == [
        (X, 1, "AL900", "Unused file-ignore directive (unused: AL202)")
    ]
    write(versions, File(X, text.format(c="# alembic-lint: file-ignore")))
    assert findings(run, "versions") == [(X, 1, "AL900", "Unused file-ignore directive")]
    write(versions, File(X, text.format(c="# alembic-lint: file-ignore[AL202, AL777]")))
    assert findings(run, "--ignore", "AL202", "versions") == [
        (X, 1, "AL900", "Unused file-ignore directive (non-enabled: AL202; unknown: AL777)")
    ]


def test_al900_can_be_disabled(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    text = (
        "# alembic-lint: file-ignore[AL202]\n"
        "revision = 'aaaaaaaaaaaa'  # noqa\n"
        "down_revision = None  # noqa: AL201, AL999\n"
    )
    write(tmp_path / "versions", File(X, text))
    assert [c for _, _, c in codes(run, "versions")] == ["AL900"] * 2  # not the bare noqa
    assert findings(run, "--ignore", "AL900", "versions") == []
    assert findings(run, "--ignore", "unused-noqa", "versions") == []
    (tmp_path / "pyproject.toml").write_text(
        '[tool.alembic-lint.per-file-ignores]\n"*_x.py" = ["AL900"]\n'
    )
    assert findings(run, "versions") == []


def test_empty_file_ignore_list_suppresses_nothing(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    text = "# alembic-lint: file-ignore[]\n" + SIMPLE
    write(tmp_path / "versions", File(X, text))
    assert ("aaaaaaaaaaaa_x.py", 5, "AL201") in codes(run, "versions")


# =========================================================================== baselines


def legacy(tmp_path: Path) -> Path:
    """Two old migrations with AL201/AL202 findings and a clean root."""
    return write(
        tmp_path / "versions",
        ROOT,
        m("bbbbbbbbbbbb", "aaaaaaaaaaaa", upgrade="op.drop_table('t')", downgrade=IRREVERSIBLE),
        m("cccccccccccc", "bbbbbbbbbbbb", upgrade="op.drop_index('ix')"),
    )


LEGACY = [(B, 19, "AL201"), (C, 19, "AL201"), (C, 22, "AL202")]


def baseline_entries(path: Path) -> list[tuple[str, str, str, int, str]]:
    document = json.loads(path.read_text())
    assert document["version"] == 2 and document["about"].startswith("alembic-lint baseline:")
    return [
        (e["revision"], e["code"], e["statement"], e["count"], e["file"])
        for e in document["findings"]
    ]


def test_write_baseline_in_cwd_without_config(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    legacy(tmp_path)
    assert codes(run, "versions") == LEGACY
    code, out, err = run("versions", "--write-baseline")
    assert (code, out) == (0, "All checks passed.\n")
    assert err == f"alembic-lint: recorded 3 findings (3 entries) in {tmp_path / BASELINE}\n"
    assert baseline_entries(tmp_path / BASELINE) == [
        ("bbbbbbbbbbbb", "AL201", "op.drop_table('t')", 1, f"versions/{B}"),
        ("cccccccccccc", "AL201", "op.drop_index('ix')", 1, f"versions/{C}"),
        ("cccccccccccc", "AL202", "def downgrade", 1, f"versions/{C}"),
    ]
    assert run("versions", "--baseline", BASELINE) == (0, "All checks passed.\n", "")
    # Without --baseline nothing is held back.
    assert codes(run, "versions") == LEGACY


def test_write_baseline_next_to_config_and_baseline_key(run, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    legacy(tmp_path)
    (tmp_path / "pyproject.toml").write_text('[tool.alembic-lint]\npaths = ["versions"]\n')
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    code, _, err = run("--write-baseline")
    assert code == 0 and str(tmp_path / BASELINE) in err
    assert not (tmp_path / "sub" / BASELINE).exists()
    assert codes(run) == LEGACY
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.alembic-lint]\npaths = ["versions"]\nbaseline = "{BASELINE}"\n'
    )
    assert run() == (0, "All checks passed.\n", "")
    assert run("--show-settings")[1].splitlines()[6] == f"baseline: {BASELINE}"


def test_explicit_write_baseline_file(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    legacy(tmp_path)
    (tmp_path / "ci").mkdir()
    code, _, err = run("versions", "--write-baseline", "ci/baseline.json")
    assert code == 0 and str(tmp_path / "ci" / "baseline.json") in err
    assert run("versions", "--baseline", "ci/baseline.json") == (0, "All checks passed.\n", "")


def test_write_baseline_file_round_trip_from_subdirectory(run, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    legacy(tmp_path)
    (tmp_path / "pyproject.toml").write_text('[tool.alembic-lint]\npaths = ["versions"]\n')
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    assert run("--write-baseline", "mine.json")[0] == 0
    assert run("--baseline", "mine.json") == (0, "All checks passed.\n", "")


def test_write_baseline_updates_the_configured_baseline(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    legacy(tmp_path)
    (tmp_path / "pyproject.toml").write_text(
        '[tool.alembic-lint]\npaths = ["versions"]\nbaseline = "lint-baseline.json"\n'
    )
    assert run("--write-baseline")[0] == 0
    assert run() == (0, "All checks passed.\n", "")


def test_new_problem_is_reported_alone(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    versions = legacy(tmp_path)
    run("versions", "--write-baseline")
    write(
        versions,
        m("dddddddddddd", "cccccccccccc", upgrade="op.drop_table('u')", downgrade=IRREVERSIBLE),
    )
    assert findings(run, "versions", "--baseline", BASELINE) == [
        ("dddddddddddd_example.py", 19, "AL201", "`op.drop_table()` without `if_exists=True`")
    ]


def test_moved_lines_stay_suppressed(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    versions = legacy(tmp_path)
    run("versions", "--write-baseline")
    c = m("cccccccccccc", "bbbbbbbbbbbb", upgrade="op.drop_index('ix')")
    moved = edit(c, "def upgrade():\n", "def upgrade():\n    # why we drop it\n\n\n")
    moved = edit(moved, "import sqlalchemy as sa\n", "import sqlalchemy as sa\n\n# a comment\n\n")
    write(versions, moved)
    # The findings really did move.
    assert codes(run, "versions") == [(B, 19, "AL201"), (C, 25, "AL201"), (C, 28, "AL202")]
    assert run("versions", "--baseline", BASELINE) == (0, "All checks passed.\n", "")


def test_second_finding_of_the_same_code_is_new(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    versions = legacy(tmp_path)
    run("versions", "--write-baseline")
    b = m(
        "bbbbbbbbbbbb",
        "aaaaaaaaaaaa",
        upgrade="op.drop_table('t')\nop.drop_table('t2')",
        downgrade=IRREVERSIBLE,
    )
    write(versions, b)
    assert codes(run, "versions", "--baseline", BASELINE) == [(B, 20, "AL201")]


def test_fixed_problem_lists_stale_entry_and_exits_0(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    versions = legacy(tmp_path)
    run("versions", "--write-baseline")
    write(
        versions,
        m(
            "bbbbbbbbbbbb",
            "aaaaaaaaaaaa",
            upgrade="op.drop_table('t', if_exists=True)",
            downgrade=IRREVERSIBLE,
        ),
    )
    code, out, err = run("versions", "--baseline", BASELINE)
    assert (code, out) == (0, "All checks passed.\n")
    assert err == (
        f"alembic-lint: 1 baseline entry in {BASELINE} no longer matches "
        "(rewrite it with --write-baseline): bbbbbbbbbbbb AL201 op.drop_table('t')\n"
    )


def test_stale_entries_with_new_findings_exit_1(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    versions = legacy(tmp_path)
    run("versions", "--write-baseline")
    write(versions, m("cccccccccccc", "bbbbbbbbbbbb", upgrade="pass"))
    write(
        versions,
        m("dddddddddddd", "cccccccccccc", upgrade="op.drop_index('j')", downgrade=IRREVERSIBLE),
    )
    code, out, err = run("versions", "--baseline", BASELINE)
    assert code == 1
    assert "dddddddddddd_example.py:19:5: AL201" in out and out.count("AL") == 1
    assert "2 baseline entries" in err
    assert "cccccccccccc AL201 op.drop_index('ix'), cccccccccccc AL202 def downgrade" in err


def test_graph_findings_never_baselined(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    versions = legacy(tmp_path)
    write(
        versions,
        m("dddddddddddd", "bbbbbbbbbbbb"),  # a second head next to cccccccccccc
        m("eeeeeeeeeeee", "zzzzzzzzzzzz"),  # a missing parent
    )
    graph = [
        (C, 13, "AL001"),
        ("dddddddddddd_example.py", 13, "AL001"),
        ("eeeeeeeeeeee_example.py", 13, "AL001"),  # a third head: its parent is missing
        ("eeeeeeeeeeee_example.py", 13, "AL002"),
    ]
    code, _, err = run("versions", "--write-baseline")
    assert code == 1
    assert "recorded 3 findings (3 entries)" in err
    assert {e[1] for e in baseline_entries(tmp_path / BASELINE)} == {"AL201", "AL202"}
    assert codes(run, "versions", "--baseline", BASELINE) == graph
    # Even a hand-written entry does not hold a graph finding back.
    document = json.loads((tmp_path / BASELINE).read_text())
    document["findings"] += [
        {"revision": "cccccccccccc", "code": "AL001", "count": 1, "file": ""},
        {"revision": "dddddddddddd", "code": "AL001", "count": 1, "file": ""},
        {"revision": "eeeeeeeeeeee", "code": "AL002", "count": 1, "file": ""},
    ]
    (tmp_path / BASELINE).write_text(json.dumps(document))
    assert codes(run, "versions", "--baseline", BASELINE) == graph


def test_baseline_is_sorted_and_stable(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    versions = write(
        tmp_path / "versions",
        ROOT,
        m("ffffffffffff", "aaaaaaaaaaaa", upgrade="op.drop_index('a')\nop.drop_index('b')"),
        m("bbbbbbbbbbbb", "ffffffffffff", upgrade="op.drop_table('t')", downgrade=IRREVERSIBLE),
        File("helpers.py", "def helper():\n    pass\n"),
    )
    run("versions", "--write-baseline")
    first = (tmp_path / BASELINE).read_bytes()
    entries = baseline_entries(tmp_path / BASELINE)
    assert entries == sorted(entries)
    assert entries == [
        ("bbbbbbbbbbbb", "AL201", "op.drop_table('t')", 1, f"versions/{B}"),
        ("ffffffffffff", "AL201", "op.drop_index('a')", 1, "versions/ffffffffffff_example.py"),
        ("ffffffffffff", "AL201", "op.drop_index('b')", 1, "versions/ffffffffffff_example.py"),
        ("ffffffffffff", "AL202", "def downgrade", 1, "versions/ffffffffffff_example.py"),
        ("file:versions/helpers.py", "AL101", "", 1, "versions/helpers.py"),
    ]
    assert first.endswith(b"}\n")
    run("versions", "--write-baseline")
    assert (tmp_path / BASELINE).read_bytes() == first
    # Touching the files' layout does not change the baseline.
    (versions / B).write_text("\n# moved\n" + (versions / B).read_text())
    run("versions", "--write-baseline")
    assert (tmp_path / BASELINE).read_bytes() == first
    assert run("versions", "--baseline", BASELINE) == (0, "All checks passed.\n", "")


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("{nope", "not a baseline file"),
        ("", "not a baseline file"),
        ("[]", "malformed baseline entry"),
        ("42", "malformed baseline entry"),
        ('{"findings": []}', "malformed baseline entry"),
        ('{"version": 3, "findings": []}', "unsupported baseline version 3"),
        ('{"version": 1}', "malformed baseline entry"),
        ('{"version": 1, "findings": [1]}', "malformed baseline entry"),
        ('{"version": 1, "findings": [{"code": "AL201", "count": 1}]}', "malformed baseline entry"),
        (
            '{"version": 1, "findings": [{"revision": "x", "code": "AL201", "count": "many"}]}',
            "malformed baseline entry",
        ),
    ],
)
def test_corrupt_baseline_exits_2_with_one_line(
    run, tmp_path: Path, content: str, fragment: str
) -> None:  # type: ignore[no-untyped-def]
    legacy(tmp_path)
    (tmp_path / "bad.json").write_text(content)
    code, out, err = run("versions", "--baseline", "bad.json")
    assert (code, out) == (2, "")
    assert err.startswith(f"{ERROR}bad.json: {fragment}") and err.count("\n") == 1, err
    # The same through the `baseline` key (the path is then relative to the config file).
    (tmp_path / "pyproject.toml").write_text('[tool.alembic-lint]\nbaseline = "bad.json"\n')
    code, out, err = run("versions")
    assert (code, out) == (2, "")
    assert err.startswith(f"{ERROR}{tmp_path / 'bad.json'}: {fragment}") and err.count("\n") == 1


def test_missing_or_unreadable_baseline_exits_2(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    legacy(tmp_path)
    assert run("versions", "--baseline", "none.json") == (
        2,
        "",
        f"{ERROR}none.json: baseline file not found (create it with --write-baseline)\n",
    )
    (tmp_path / "adir").mkdir()
    code, out, err = run("versions", "--baseline", "adir")
    assert (code, out) == (2, "") and err.startswith(f"{ERROR}adir: cannot read: ")
    (tmp_path / "bin.json").write_bytes(b"\xff\xfe\x00")
    code, out, err = run("versions", "--baseline", "bin.json")
    assert (code, out) == (2, "") and err.startswith(f"{ERROR}bin.json: not a baseline file")
    code, out, err = run("versions", "--write-baseline", "no/such/dir/b.json")
    assert (code, out) == (2, "") and err.startswith(ERROR)
    assert "no/such/dir/b.json: cannot write the baseline: No such file" in err
    assert err.count("\n") == 1


def test_deeply_nested_baseline_exits_2(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    legacy(tmp_path)
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    code, out, err = run("versions", "--baseline", "deep.json")
    assert (code, out) == (2, "")
    assert err.startswith(f"{ERROR}deep.json: ") and err.count("\n") == 1


# =========================================================================== Alembic versions

DROPS = m(
    "aaaaaaaaaaaa",
    upgrade="op.drop_table('t')\nop.drop_index('ix')",
    downgrade=IRREVERSIBLE,
)
BOTH = [(A, 19, "AL201"), (A, 20, "AL201")]
INDEX_ONLY = [(A, 20, "AL201")]


def test_no_pin_flags_both_drops(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    write(tmp_path / "versions", DROPS)
    assert findings(run, "versions") == [
        (A, 19, "AL201", "`op.drop_table()` without `if_exists=True`"),
        (A, 20, "AL201", "`op.drop_index()` without `if_exists=True`"),
    ]
    assert run("--show-settings", "versions")[1].splitlines()[5] == (
        "target-alembic-version: newest (no pin found: the newest Alembic is assumed)"
    )


def test_requirements_pin_1_12(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    write(tmp_path / "versions", DROPS)
    (tmp_path / "requirements.txt").write_text("sqlalchemy>=2\nalembic==1.12.1\n")
    assert codes(run, "versions") == INDEX_ONLY
    assert run("--show-settings", "versions")[1].splitlines()[5] == (
        "target-alembic-version: 1.12.1 (requirements.txt line 2)"
    )


def test_requirements_pin_next_to_config(run, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    write(tmp_path / "versions", DROPS)
    (tmp_path / "requirements.txt").write_text("alembic==1.12.1\n")
    (tmp_path / "pyproject.toml").write_text('[tool.alembic-lint]\npaths = ["versions"]\n')
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    assert codes(run) == INDEX_ONLY


def test_config_target_alembic_version_1_12(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    write(tmp_path / "versions", DROPS)
    (tmp_path / "pyproject.toml").write_text(
        '[tool.alembic-lint]\ntarget-alembic-version = "1.12"\n'
    )
    assert codes(run, "versions") == INDEX_ONLY
    assert run("--show-settings", "versions")[1].splitlines()[5] == (
        f"target-alembic-version: 1.12.0 ({tmp_path / 'pyproject.toml'})"
    )


def test_config_target_overrides_pins(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    write(tmp_path / "versions", DROPS)
    (tmp_path / "requirements.txt").write_text("alembic==1.12.1\n")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.alembic-lint]\ntarget-alembic-version = "1.13.3"\n'
    )
    assert codes(run, "versions") == BOTH
    (tmp_path / "pyproject.toml").write_text(
        '[tool.alembic-lint]\ntarget-alembic-version = "1.11"\n'
    )
    # drop_index's if_exists arrived in 1.11.2: neither drop can be asked for it.
    assert codes(run, "versions") == []


def test_pin_in_the_same_pyproject(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    write(tmp_path / "versions", DROPS)
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "app"\ndependencies = ["alembic>=1.12,<2"]\n[tool.alembic-lint]\n'
    )
    assert codes(run, "versions") == INDEX_ONLY
    assert run("--show-settings", "versions")[1].splitlines()[5] == (
        "target-alembic-version: 1.12.0 (pyproject.toml [project.dependencies])"
    )


def test_write_baseline_followed_by_a_directory_takes_it_as_the_path(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    legacy(tmp_path)
    code, _, err = run("--write-baseline", "versions")
    assert code == 0 and str(tmp_path / ".alembic-lint-baseline.json") in err
    assert run("--baseline", ".alembic-lint-baseline.json", "versions")[0] == 0


def test_excluded_files_keep_their_place_in_the_graph(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    versions = write(
        tmp_path / "versions",
        m("aaaaaaaaaaaa", filename="a_old.py", upgrade="op.drop_index('ix')"),
        m("bbbbbbbbbbbb", "aaaaaaaaaaaa", filename="b_new.py"),
    )
    (versions / "helpers.py").write_text("def helper(op):\n    pass\n")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.alembic-lint]\nexclude = ["a_old.py", "helpers.py"]\n'
    )
    # a_old.py is not reported on, but b_new.py's parent is still found (no AL002), and
    # the helper module (no revision) is dropped instead of muting graph checks.
    assert run("versions") == (0, "All checks passed.\n", "")
    (versions / "b_new.py").write_text(
        m("bbbbbbbbbbbb", "aaaaaaaaaaab", filename="b_new.py").source
    )
    code, out, _ = run("versions")
    assert code == 1 and "b_new.py:13:17: AL002" in out and "a_old.py" not in out


def test_noqa_codes_are_case_insensitive(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    write(
        tmp_path / "versions",
        m(
            "aaaaaaaaaaaa",
            upgrade="op.drop_index('ix')  # NOQA:al201",
            downgrade="raise NotImplementedError",
        ),
    )
    assert run("versions") == (0, "All checks passed.\n", "")
