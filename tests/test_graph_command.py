"""`alembic-lint graph`: the history as text lanes, Mermaid or Graphviz, and --heads/--bases.

Golden files live in tests/golden/graph/; regenerate them with ALEMBIC_LINT_REGEN_GOLDEN=1 and
review the diff.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path

import pytest

from alembic_lint.cli import main

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "fixtures" / "seeds"
GOLDEN = Path(__file__).parent / "golden" / "graph"

#: (file stem, revision, down_revision, depends_on, message)
SCENARIO = [
    ("aaaaaaaaaaaa_create_users", "aaaaaaaaaaaa", None, None, "create users"),
    ("bbbbbbbbbbbb_add_email", "bbbbbbbbbbbb", "aaaaaaaaaaaa", None, "add email"),
    ("cccccccccccc_add_phone", "cccccccccccc", "aaaaaaaaaaaa", None, "add phone"),
    (
        "dddddddddddd_merge",
        "dddddddddddd",
        ("bbbbbbbbbbbb", "cccccccccccc"),
        None,
        'merge "email" and phone',
    ),
    ("eeeeeeeeeeee_add_orders", "eeeeeeeeeeee", "dddddddddddd", None, "add orders"),
    ("ffffffffffff_add_invoices", "ffffffffffff", "dddddddddddd", "bbbbbbbbbbbb", "add invoices"),
    ("hhhhhhhhhhhh_orphan", "hhhhhhhhhhhh", "zzzz9999zzzz", None, "parent deleted"),
]


def write_scenario(directory: Path) -> Path:
    directory.mkdir(parents=True)
    for stem, rev, down, depends, message in SCENARIO:
        (directory / f"{stem}.py").write_text(
            f'"""{message}\n\nRevision ID: {rev}\n"""\n'
            f"revision = {rev!r}\ndown_revision = {down!r}\n"
            f"branch_labels = None\ndepends_on = {depends!r}\n\n\n"
            "def upgrade():\n    pass\n\n\ndef downgrade():\n    pass\n",
            encoding="utf-8",
        )
    return directory


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["graph", *args])
    out, err = capsys.readouterr()
    return code, out, err


def check_golden(name: str, text: str) -> None:
    golden = GOLDEN / name
    if os.environ.get("ALEMBIC_LINT_REGEN_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize("fmt", ["text", "mermaid", "dot"])
def test_golden_scenario(capsys: pytest.CaptureFixture[str], tmp_path: Path, fmt: str) -> None:
    versions = write_scenario(tmp_path / "versions")
    code, out, err = run(capsys, "--format", fmt, str(versions))
    assert (code, err) == (0, "")
    check_golden(f"scenario.{'txt' if fmt == 'text' else fmt}", out)


@pytest.mark.parametrize("seed", ["two_heads_same_parent", "healthy_merge", "merge_parent_deleted"])
def test_golden_seeds_text(capsys: pytest.CaptureFixture[str], seed: str) -> None:
    code, out, err = run(capsys, str(SEEDS / seed / "versions"))
    assert (code, err) == (0, "")
    check_golden(f"{seed}.txt", out)


def test_text_marks_heads_merges_and_missing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    _, out, _ = run(capsys, str(write_scenario(tmp_path / "versions")))
    lines = out.splitlines()
    by_id = {re.sub(r"^[|*?/\\_ ]+", "", line).split(" ")[0]: line for line in lines}
    assert "(head)" in by_id["eeeeeeeeeeee"] and "! AL001" in by_id["eeeeeeeeeeee"]
    assert "(head)" in by_id["ffffffffffff"] and "! AL001" in by_id["ffffffffffff"]
    assert "(mergepoint)" in by_id["dddddddddddd"]
    assert "(branchpoint)" in by_id["aaaaaaaaaaaa"] and "(base)" in by_id["aaaaaaaaaaaa"]
    assert re.match(r"^[| ]*\? zzzz9999zzzz \(missing\)$", by_id["zzzz9999zzzz"])
    assert "[eeeeeeeeeeee_add_orders.py]" in by_id["eeeeeeeeeeee"]
    # Children are drawn before their parents.
    order = list(by_id)
    for child, parent in [("dddddddddddd", "bbbbbbbbbbbb"), ("hhhhhhhhhhhh", "zzzz9999zzzz")]:
        assert order.index(child) < order.index(parent)
    assert "|\\" in lines and any(line.rstrip().endswith("/") for line in lines)


def test_text_lanes_are_consistent(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Every revision row has exactly one node mark, and no lane appears from nowhere."""
    _, out, _ = run(capsys, str(write_scenario(tmp_path / "versions")))
    for line in out.splitlines():
        match = re.match(r"^[|*?/\\_ ]*", line)
        assert match is not None
        graph_part = match.group(0)
        if line.strip() and re.search(r"[0-9a-z]{6,}", line):
            assert graph_part.count("*") + graph_part.count("?") == 1, line


def test_mermaid_is_a_flowchart(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    _, out, _ = run(capsys, "--format", "mermaid", str(write_scenario(tmp_path / "versions")))
    lines = out.splitlines()
    assert lines[0] == "flowchart BT"
    nodes = dict(re.findall(r'^    (\w+)\["([^"]*)"\]$', out, re.M))
    assert len(nodes) == len(SCENARIO) + 1  # and the missing parent
    edges = re.findall(r"^    (\w+) (-->|-\.->) (\w+)$", out, re.M)
    assert all(a in nodes and b in nodes for a, _, b in edges)
    assert sum(arrow == "-->" for _, arrow, _ in edges) == 7
    assert sum(arrow == "-.->" for _, arrow, _ in edges) == 1
    for line in lines[1:]:
        assert re.match(
            r"^    (\w+\[\"[^\"]*\"\]|\w+ -(->|\.->) \w+|classDef \w+ .+|class [\w,]+ \w+)$", line
        ), line
    missing = next(n for n, label in nodes.items() if label.startswith("zzzz9999zzzz"))
    assert f"    class {missing} missing" in lines
    marked = next(line for line in lines if line.endswith(" finding") and "class " in line)
    heads = [n for n, label in nodes.items() if "AL001" in label]
    assert len(heads) == 3 and set(heads) <= set(marked.split()[1].split(","))
    assert "#quot;email#quot;" in out


def test_dot_is_balanced(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    _, out, _ = run(capsys, "--format", "dot", str(write_scenario(tmp_path / "versions")))
    assert out.startswith("digraph ") and out.rstrip().endswith("}")
    assert out.count("{") == out.count("}") == 1
    assert out.count("[") == out.count("]")
    unescaped = re.sub(r"\\.", "", out)
    assert unescaped.count('"') % 2 == 0
    assert out.count(", color=red") == 3  # the two heads (AL001) and the orphan (AL002)
    assert out.count("style=dashed") == 2  # the missing node and the depends_on edge
    assert len(re.findall(r"^    \w+ -> \w+;$", out, re.M)) == 7


def alembic_heads(versions: Path, tmp_path: Path) -> list[str]:
    from alembic.script import ScriptDirectory

    copy = tmp_path / "copy" / "versions"
    shutil.copytree(versions, copy)
    sys.dont_write_bytecode, saved = True, sys.dont_write_bytecode
    try:
        script = ScriptDirectory(str(copy.parent), version_locations=[str(copy)])
        return list(script.get_heads())
    finally:
        sys.dont_write_bytecode = saved


@pytest.mark.parametrize(
    ("seed", "expected_code"), [("healthy_merge", 0), ("two_heads_same_parent", 1)]
)
def test_heads_match_alembic(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, seed: str, expected_code: int
) -> None:
    versions = SEEDS / seed / "versions"
    code, out, err = run(capsys, "--heads", str(versions))
    assert (code, err) == (expected_code, "")
    assert out.splitlines() == alembic_heads(versions, tmp_path)


def test_bases(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--bases", str(SEEDS / "healthy_merge" / "versions"))
    assert (code, out) == (0, "001\n")
    code, out, _ = run(capsys, "--bases", str(SEEDS / "two_heads_same_parent" / "versions"))
    assert (code, out) == (1, "3f9a1c2e7b10\n")


def test_bad_path_is_a_one_line_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = run(capsys, "--heads", str(tmp_path / "nowhere"))
    assert code == 2 and out == ""
    assert err.startswith("alembic-lint: error: ") and err.count("\n") == 1


def test_no_config_in_cwd(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys)
    assert code == 2 and "alembic.ini" in err


def test_heads_follow_the_project_settings(tmp_path: Path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    """`expected-heads = 2` in [tool.alembic-lint] makes two heads acceptable here too."""
    import shutil

    from alembic_lint.cli import main

    root = Path(__file__).resolve().parent.parent
    shutil.copytree(root / "fixtures/seeds/two_heads_same_parent/versions", tmp_path / "versions")
    monkeypatch.chdir(tmp_path)
    assert main(["graph", "--heads", "versions"]) == 1
    (tmp_path / "pyproject.toml").write_text(
        "[tool.alembic-lint.rules.multiple-heads]\nexpected-heads = 2\n"
    )
    assert main(["graph", "--heads", "versions"]) == 0
    capsys.readouterr()


@pytest.mark.parametrize(
    ("seed", "heads"),
    [
        ("empty_string_base_fork", ["9d4c7e2f0b18", "e3a85f6b2c97"]),
        ("three_heads_deleted_parent", ["4f5a6b7c8d9e", "6b7c8d9e0f1a", "a1b2c3d4e5f6"]),
        ("parent_never_existed", ["0d2febc7f1d5", "a1b2c3d4e5f6"]),
    ],
)
def test_heads_of_a_history_alembic_refuses(
    capsys: pytest.CaptureFixture[str], seed: str, heads: list[str]
) -> None:
    """The heads as the files are written, exit 1 as for any fork, and one line on standard
    error saying why Alembic would not print them."""
    code, out, err = run(capsys, "--heads", str(SEEDS / seed / "versions"))
    assert (code, out.splitlines()) == (1, heads)
    assert err.startswith("alembic-lint: warning: ") and err.count("\n") == 1
    assert "down_revision" in err


def test_heads_exit_status_is_not_a_finding(tmp_path: Path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    """Neither ignoring AL001 nor a `# noqa: AL001` changes what --heads says: the exit
    status reports the heads it prints."""
    shutil.copytree(SEEDS / "two_heads_same_parent" / "versions", tmp_path / "versions")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text('[tool.alembic-lint]\nignore = ["AL001"]\n')
    assert main(["graph", "--heads", "versions"]) == 1
    assert main(["graph", "--bases", "versions"]) == 1
    (tmp_path / "pyproject.toml").unlink()
    for path in (tmp_path / "versions").glob("*.py"):
        path.write_text(path.read_text().replace("# expect: AL001", "# noqa: AL001"))
    assert main(["graph", "--heads", "versions"]) == 1
    assert main(["--no-cache", "versions"]) == 0  # the check itself honours the suppressions
    capsys.readouterr()


def test_labelled_heads_are_separate_branches(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    versions = tmp_path / "versions"
    versions.mkdir()
    for stem, rev, down, labels in [
        ("a", "aaaaaaaaaaaa", None, None),
        ("b", "bbbbbbbbbbbb", "aaaaaaaaaaaa", ("expand",)),
        ("c", "cccccccccccc", "aaaaaaaaaaaa", ("contract",)),
    ]:
        (versions / f"{stem}.py").write_text(
            f"revision = {rev!r}\ndown_revision = {down!r}\nbranch_labels = {labels!r}\n"
        )
    code, out, err = run(capsys, "--heads", str(versions))
    assert (code, out, err) == (0, "bbbbbbbbbbbb\ncccccccccccc\n", "")


def test_heads_warn_when_a_parent_is_not_a_literal(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    versions = tmp_path / "versions"
    versions.mkdir()
    (versions / "a.py").write_text("revision = 'aaaaaaaaaaaa'\ndown_revision = None\n")
    (versions / "b.py").write_text(
        "from x import P\nrevision = 'bbbbbbbbbbbb'\ndown_revision = P\n"
    )
    code, out, err = run(capsys, "--heads", str(versions))
    assert out == "aaaaaaaaaaaa\nbbbbbbbbbbbb\n"
    assert "b.py are not literals" in err and err.count("\n") == 1
    assert code == 1  # two heads printed, one branch
