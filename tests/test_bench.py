"""The benchmark's generator and runner (bench/): correctness only, never timings."""

from __future__ import annotations

import collections
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        f"alembic_lint_bench_{name}", BENCH / f"{name}.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def generate() -> ModuleType:
    return _load("generate")


def _snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_generator_is_deterministic_for_a_seed(generate: ModuleType, tmp_path: Path) -> None:
    first = generate.generate(tmp_path / "a", 40, seed=7)
    generate.generate(tmp_path / "b", 40, seed=7)
    generate.generate(tmp_path / "c", 40, seed=8)
    assert first == tmp_path / "a" / "migrations" / "versions"
    a, b, c = (_snapshot(tmp_path / n) for n in "abc")
    assert a == b
    assert a != c
    names = [Path(n).name for n in a if n.startswith(os.path.join("migrations", "versions"))]
    assert len(names) == 40
    for name in names:
        rev, _, slug = name.partition("_")
        assert len(rev) == 12 and all(ch in "0123456789abcdef" for ch in rev), name
        assert slug.endswith(".py") and len(slug) > 3


def test_generator_command_line(tmp_path: Path) -> None:
    out = tmp_path / "project"
    proc = subprocess.run(
        [sys.executable, str(BENCH / "generate.py"), str(out), "--files", "5", "--seed", "1"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "script_location = %(here)s/migrations" in (out / "alembic.ini").read_text()
    assert (out / "migrations" / "env.py").is_file()
    assert len(list((out / "migrations" / "versions").glob("*.py"))) == 5


def test_generated_history_is_valid_for_alembic_and_alembic_lint(
    generate: ModuleType, tmp_path: Path
) -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    project = tmp_path / "project"
    versions = generate.generate(project, 60, seed=0)
    sources = [p.read_text(encoding="utf-8") for p in versions.glob("*.py")]
    lines = sum(s.count("\n") for s in sources) / len(sources)
    assert 35 <= lines <= 55, f"{lines:.1f} lines per file on average"
    for op in ("op.add_column(", "op.create_index(", "op.create_table(", "sa.Column(", "op.drop_"):
        assert any(op in s for s in sources), op
    assert any("with op.batch_alter_table(" in s for s in sources)
    assert any("if_exists=True" in s for s in sources)

    # Alembic itself loads it: one head, every revision reachable, at least one merge.
    script = ScriptDirectory.from_config(Config(str(project / "alembic.ini")))
    assert len(script.get_heads()) == 1
    revisions = list(script.walk_revisions())
    assert len(revisions) == 60
    assert any(r.is_merge_point for r in revisions)
    assert any(r.is_branch_point for r in revisions)

    # And alembic-lint reads it cleanly: only the style findings a real history has.
    proc = subprocess.run(
        [sys.executable, "-m", "alembic_lint", "--format", "json", str(project)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert proc.returncode in (0, 1), proc.stderr
    codes = {finding["code"] for finding in json.loads(proc.stdout)}
    assert not codes & {"AL100", "AL101", "AL001", "AL002"}, codes
    assert "AL201" in codes


@pytest.mark.parametrize("seed", [0, 1])
def test_generated_history_gives_only_the_findings_it_means_to(
    generate: ModuleType, tmp_path: Path, seed: int
) -> None:
    """The drops without if_exists (AL201) and the empty downgrades (AL202), and nothing
    else: no schema-model finding either. Autogenerate alters a column only to change it
    and writes a dropped column back as the database has it, and two lines of a branch
    never touch the same table (the bench's history once had 330 AL303 findings, a third
    of its files, that no real history has)."""
    project = tmp_path / "project"
    generate.generate(project, 400, seed=seed)
    proc = subprocess.run(
        [sys.executable, "-m", "alembic_lint", "--format", "json", "--no-cache", str(project)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    codes = collections.Counter(finding["code"] for finding in json.loads(proc.stdout))
    assert set(codes) == {"AL201", "AL202"}, codes


def _quick(tmp_path: Path, script: str, *args: str) -> subprocess.CompletedProcess[str]:
    """A benchmark script with --quick; it must succeed."""
    proc = subprocess.run(
        [sys.executable, str(BENCH / script), "--quick", *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=170,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def test_run_py_quick_smoke(tmp_path: Path) -> None:
    """SLOW-ISH SMOKE TEST (about 10-30 s): the whole runner on a tiny history, one run each.

    Checks that it completes and prints every row; the numbers are not looked at.
    """
    raw = tmp_path / "bench.json"
    proc = _quick(
        tmp_path,
        "run.py",
        "--files",
        "30",
        "--scale-files",
        "60",
        "--runs",
        "1",
        "--json",
        str(raw),
    )
    run = _load("run")
    for name in run.CASE_NAMES:
        assert name in proc.stdout, name
    assert "cpu" in proc.stdout.lower() and "Python" in proc.stdout
    data = json.loads(raw.read_text())
    assert data["config"]["files"] == 30
    assert data["cases"]["heads"]["seconds"]


def test_trusted_parse_matches_libcst_on_a_generated_history(
    generate: ModuleType, tmp_path: Path
) -> None:
    """The shapes the benchmark times (autogenerate bodies, merges, batch operations) parse
    to the same trees without LibCST's node checks as with them."""
    import libcst as cst

    from alembic_lint.parse.trusted import parse_module

    versions = generate.generate(tmp_path / "project", 150, seed=3)
    files = sorted(Path(versions).glob("*.py"))
    assert len(files) == 150
    for path in files:
        data = path.read_bytes()
        assert parse_module(data).deep_equals(cst.parse_module(data)), path.name


def test_server_bench_quick_smoke(tmp_path: Path) -> None:
    """bench/server.py on a tiny history, one run: it completes and prints every row (the
    numbers are not looked at)."""
    raw = tmp_path / "server.json"
    proc = _quick(tmp_path, "server.py", "--files", "30", "--runs", "1", "--json", str(raw))
    for row in ("`alembic heads`", "didChange adding a second head", "resident memory"):
        assert row in proc.stdout, row
    data = json.loads(raw.read_text())
    assert data["files"] == 30 and len(data["latency_seconds"]) == 1
    assert data["rss_mb"] > 0


def test_squash_history_is_valid_and_shaped_like_a_squash(
    generate: ModuleType, tmp_path: Path
) -> None:
    """The fixes row's history: one squashed migration of about the asked size, with
    hundreds of drops in its downgrade, then ordinary migrations; Alembic loads it."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    project = tmp_path / "squash"
    versions = generate.generate_squash(project, 3000, follow=5, seed=1)
    files = sorted(versions.glob("*.py"))
    assert len(files) == 6
    (squash,) = [p for p in files if "squashed" in p.name]
    text = squash.read_text(encoding="utf-8")
    assert 2900 <= text.count("\n") <= 3200
    downgrade = text.split("def downgrade()")[1]
    assert downgrade.count("op.drop_") >= 300
    assert "op.drop_" not in text.split("def downgrade()")[0]
    script = ScriptDirectory.from_config(Config(str(project / "alembic.ini")))
    assert len(script.get_heads()) == 1
    assert len(list(script.walk_revisions())) == 6
    assert script.get_base() == squash.name.split("_")[0]


def test_the_model_ratio_is_the_median_of_paired_runs(tmp_path: Path) -> None:
    """Run i of the cold run and run i without the model were measured one right after
    the other: the ratio is the median of the pairs' ratios, not a ratio of medians that
    a slow spell during one of the two could sway."""
    run = _load("run")

    def case(*seconds: float) -> object:
        found = run.Case("x", ["x"], tmp_path)
        found.results = [run.Measurement(s, 0, 0, 0, []) for s in seconds]
        return found

    with_model = case(4.4, 4.0, 5.0)  # the last pair ran during a slow spell
    without = case(4.0, 3.6, 4.0)
    assert run.paired_ratio(with_model, without) == pytest.approx(4.0 / 3.6)
    assert run.ratio(with_model.median, without.median) == pytest.approx(4.4 / 4.0)
    assert run.paired_ratio(case(2.0), case()) == run.ratio(2.0, None)  # unpaired: medians


def test_instruction_counts_of_two_commands_side_by_side(tmp_path: Path) -> None:
    """The model's row beside the timed one: Valgrind's count of the instructions each
    command executes (Debian's valgrind; CI installs it). A command that does more counts
    more, the same command counts the same each time, and a command that fails (an exit
    status it may not have, a traceback, too slow) gives no count at all rather than a
    wrong one, and leaves nothing running."""
    if shutil.which("valgrind") is None:
        pytest.fail("valgrind is not installed (Debian's valgrind package)")
    run = _load("run")
    python = [sys.executable, "-S", "-c"]
    little = run.Case("little", [*python, "pass"], tmp_path)
    more = run.Case("more", [*python, "sum(range(300000))"], tmp_path)
    counts = run.instructions([little, more, little], timeout=120)
    assert counts is not None
    assert counts[0] == pytest.approx(counts[2], rel=0.001)
    assert counts[1] > counts[0] * 1.5

    failing = run.Case("failing", [*python, "raise SystemExit(3)"], tmp_path)
    with pytest.raises(run.BenchError, match="failing: exit status 3"):
        run.instructions([little, failing], timeout=120)
    # A traceback exits 1, which a lint run with findings does too.
    crashing = run.Case("crashing", [*python, "1/0"], tmp_path, ok_codes=(0, 1))
    with pytest.raises(run.BenchError, match="crashing"):
        run.instructions([crashing], timeout=120)

    marker = f"alembic-lint-bench-{os.getpid()}"
    slow = run.Case("slow", [*python, f"import time; time.sleep(30)  # {marker}"], tmp_path)
    with pytest.raises(run.BenchError, match="not counted within"):
        run.instructions([little, slow, slow], timeout=5)
    left = subprocess.run(["pgrep", "-f", marker], capture_output=True, text=True, check=False)
    assert left.stdout == "", left.stdout
