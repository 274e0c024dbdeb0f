"""Input a pull request can bring on purpose: deep nesting and huge expressions, named pipes
and symlink loops, histories shaped to make graph work quadratic, huge files, and text
meant for a terminal or a CI runner rather than for a reader (issue 11, items 9 to 12).

Each test here failed before the change it covers: a hang, a crash, a wrong verdict, or
output that grew with the square of the history. Runs that could hang (or crash the
process) are subprocesses with a timeout, which guards against a hang and is no benchmark.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from alembic_lint import astread, cache, engine, inputs, parse, recover, replay
from alembic_lint import graph as graph_mod
from alembic_lint.cli import main
from alembic_lint.diagnostics import Diagnostic
from alembic_lint.model import Binding, Element, History, Migration, Status
from alembic_lint.rules import Rule, registry

ROOT = Path(__file__).resolve().parent.parent
#: Seconds after which a subprocess has hung (each finishes in a few seconds).
HANG_GUARD = 120

Run = Callable[..., tuple[int, str, str]]


def source(rev: str, down: object, body: str = "pass", top: str = "") -> str:
    """A migration with its revision variables first, as Alembic writes them."""
    return (
        f"revision = {rev!r}\ndown_revision = {down!r}\n{top}\n\n"
        f"def upgrade():\n    {body}\n\n\ndef downgrade():\n    raise NotImplementedError\n"
    )


def chain(versions: Path, count: int, *, start: int = 0) -> list[Path]:
    """``count`` revisions in a line, ids ``000000000000``, ``000000000001``, ..."""
    versions.mkdir(parents=True, exist_ok=True)
    files = []
    for i in range(start, start + count):
        path = versions / f"{i:012x}_step.py"
        path.write_text(source(f"{i:012x}", f"{i - 1:012x}" if i else None))
        files.append(path)
    return files


def rules(*codes: str) -> list[Rule]:
    return [cls() for cls in registry() if cls.code in codes]


def lint(versions: Path, *codes: str, jobs: int = 1) -> list[Diagnostic]:
    files = sorted(p for p in versions.iterdir() if p.suffix == ".py")
    chosen = rules(*codes) if codes else engine.default_rules()
    return engine.lint(str(versions), files, engine.Options(rules=chosen, jobs=jobs))


def found(diagnostics: list[Diagnostic]) -> list[tuple[str, int, str, str]]:
    return [(Path(d.location.path).name, d.location.line, d.code, d.message) for d in diagnostics]


def cli(cwd: Path, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    return subprocess.run(
        [sys.executable, "-m", "alembic_lint", *args],
        cwd=cwd,
        input=stdin.decode("latin-1") if stdin is not None else None,
        capture_output=True,
        text=True,
        env=env,
        timeout=HANG_GUARD,
        check=False,
    )


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Run:
    """The command in this process (with its replay trace), from ``tmp_path``."""
    monkeypatch.chdir(tmp_path)

    def invoke(*args: str) -> tuple[int, str, str]:
        status = main(list(args))
        out, err = capsys.readouterr()
        assert "Traceback" not in out + err
        return status, out, err

    return invoke


# --------------------------------------------------------------------------- 9: nesting

NESTED = {
    "parentheses": lambda n: "(" * n + "1" + ")" * n,
    "brackets": lambda n: "[" * n + "]" * n,
    "sum": lambda n: "+".join(["1"] * n),
    "attributes": lambda n: "a" + ".b" * n,
    "negations": lambda n: "-" * n + "1",
    "lambdas": lambda n: "lambda: " * n + "1",
}


@pytest.mark.parametrize(
    ("kind", "depth"),
    [
        ("parentheses", 150),
        ("parentheses", 200),
        ("parentheses", 201),
        ("parentheses", 1000),
        ("brackets", 500),
        ("sum", 1000),
        ("sum", 2500),
        ("sum", 5000),
        ("attributes", 1500),
        ("negations", 2000),
        ("lambdas", 3000),
    ],
)
def test_nesting_gets_cpythons_verdict(tmp_path: Path, kind: str, depth: int) -> None:
    """What CPython refuses to compile (as Alembic's import would) is AL100 with its
    message and line; what it compiles is read, however deep, and its facts are right."""
    text = source("aaaaaaaaaaaa", None, f"x = {NESTED[kind](depth)}\n    op.drop_table('t')")
    versions = tmp_path / "versions"
    versions.mkdir()
    path = versions / "aaaaaaaaaaaa_deep.py"
    path.write_text(text)
    try:
        compile(text, str(path), "exec", dont_inherit=True)
    except (SyntaxError, RecursionError, MemoryError) as err:
        verdict: str | None = err.msg if isinstance(err, SyntaxError) else type(err).__name__
        line = err.lineno if isinstance(err, SyntaxError) else 1
    else:
        verdict = None
    result = found(lint(versions, "AL100", "AL201"))
    if verdict is None:
        assert result == [
            ("aaaaaaaaaaaa_deep.py", 7, "AL201", "`op.drop_table()` without `if_exists=True`")
        ]
    else:
        assert len(result) == 1
        assert result[0][:3] == ("aaaaaaaaaaaa_deep.py", line, "AL100")
        assert verdict in result[0][3]


def test_deep_valid_file_has_the_facts_of_a_shallow_one() -> None:
    """A file too deep for LibCST (which CPython compiles) is read from CPython's tree: the
    ast reader's facts, which tests/test_astread.py holds equal to LibCST's."""
    deep = source("r1", ("r0", "rx"), f"x = {NESTED['sum'](2500)}\n    op.drop_index('ix')")
    data = deep.encode()
    migration = parse.read_migration("/v/r1_deep.py", data)
    assert migration == astread.read_migration_fast("/v/r1_deep.py", data)
    assert (migration.revision_id, migration.down_ids) == ("r1", ("r0", "rx"))
    assert [op.name for op in migration.ops] == ["drop_index"]
    assert migration.syntax_error is None


def test_nesting_that_crashed_libcst_in_a_pool_of_two_finishes(tmp_path: Path) -> None:
    """About 2,000 nested brackets crashed LibCST's native parser; with 64 files or more
    the process pool then waited for the dead worker for ever."""
    chain(tmp_path / "versions", 70)
    deep = tmp_path / "versions" / "000000000020_step.py"
    deep.write_text(deep.read_text() + f"x = {NESTED['brackets'](2000)}\n")
    proc = cli(tmp_path, "--no-cache", "--jobs", "2", "versions")
    assert (proc.returncode, proc.stderr) == (1, "")
    assert proc.stdout.splitlines() == [
        "versions/000000000020_step.py:11:205: AL100 too many nested parentheses",
        "Found 1 problem in 1 migration.",
    ]


KILLER = """
import os, signal, sys
from pathlib import Path
from alembic_lint import engine
from alembic_lint.diagnostics import Severity
from alembic_lint.rules import Rule

MAIN = os.getpid()

class Crash(Rule):
    code, name, summary, severity = "AL999", "crash", "crash", Severity.ERROR

    def check(self, history, graph):
        for migration in history:
            if "crash" in migration.filename and os.getpid() != MAIN:
                os.kill(os.getpid(), signal.SIGSEGV)  # what a native parser's crash does
        return iter(())

files = sorted(Path(sys.argv[1]).iterdir())
options = engine.Options(rules=[Crash(), *engine.default_rules()], jobs=2)
for d in engine.lint("h", files, options):
    print(Path(d.location.path).name, d.code, d.message)
"""


def test_a_worker_that_dies_costs_its_file_not_the_run(tmp_path: Path) -> None:
    """A worker killed while reading a file (here by a rule that crashes it) breaks the
    pool: the run reads the other files again and reports that one, never waits."""
    files = chain(tmp_path / "versions", 100)
    for index in (7, 60):
        files[index].rename(files[index].with_name(f"{index:012x}_crash.py"))
    files[80].write_text(source(f"{80:012x}", f"{79:012x}", "op.drop_table('t')"))
    proc = subprocess.run(
        [sys.executable, "-c", KILLER, str(tmp_path / "versions")],
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    crashed = "AL100 not analysed: reading this file crashed the process that read it"
    assert proc.stdout.splitlines() == [
        f"000000000007_crash.py {crashed}",
        f"00000000003c_crash.py {crashed}",
        "000000000050_step.py AL201 `op.drop_table()` without `if_exists=True`",
    ]


def test_a_huge_expression_is_read_quickly(tmp_path: Path) -> None:
    """A hundred 2,500-term sums (which CPython compiles): LibCST's time grows with the
    square of the depth (minutes here), the ast reader's with the size (a second)."""
    body = "\n    ".join(f"x{i} = {NESTED['sum'](2500)}" for i in range(100))
    versions = tmp_path / "versions"
    versions.mkdir()
    (versions / "aaaaaaaaaaaa_sums.py").write_text(
        source("aaaaaaaaaaaa", None, f"{body}\n    op.drop_table('t')")
    )
    proc = cli(tmp_path, "--no-cache", "versions")
    assert (proc.returncode, proc.stderr) == (1, "")
    assert proc.stdout.splitlines() == [
        "versions/aaaaaaaaaaaa_sums.py:106:5: AL201 `op.drop_table()` without `if_exists=True`",
        "Found 1 problem in 1 migration.",
    ]


def test_rebase_does_not_hand_libcst_a_file_too_deep_for_it(run: Run, tmp_path: Path) -> None:
    """rebase edits with LibCST: a file it cannot read safely is left for a human."""
    versions = tmp_path / "versions"
    chain(versions, 2)
    (versions / "bbbbbbbbbbbb_deep.py").write_text(
        source("bbbbbbbbbbbb", "000000000000", f"x = {NESTED['sum'](2500)}")
    )
    status, out, err = run("rebase", "versions", "--onto", "000000000001")
    assert (status, out) == (2, "")
    assert err == (
        "alembic-lint: error: bbbbbbbbbbbb_deep.py: not edited: nested more than 100 levels "
        "deep; edit it by hand\n"
    )


# --------------------------------------------------------------------------- 10: files


def pipe_in(versions: Path) -> None:
    chain(versions, 3)
    os.mkfifo(versions / "000000000009_pipe.py")


def test_unreadable_files_of_a_pooled_run_are_reported_as_in_one_process(
    tmp_path: Path,
) -> None:
    """Without a cache each file is read once, when it is parsed: in a process pool (64
    files or more) as in one process, a file that cannot be read is reported with why."""
    chain(tmp_path / "versions", 70)
    os.mkfifo(tmp_path / "versions" / "000000000100_pipe.py")
    pooled = cli(tmp_path, "--no-cache", "--jobs", "2", "versions")
    single = cli(tmp_path, "--no-cache", "--jobs", "1", "versions")
    assert (pooled.returncode, pooled.stdout) == (single.returncode, single.stdout)
    assert "000000000100_pipe.py:1:1: AL100 cannot read file: not a regular file" in single.stdout


@pytest.mark.parametrize(
    ("args", "status", "expected"),
    [
        (
            ("--no-cache", "versions"),
            1,
            "versions/000000000009_pipe.py:1:1: AL100 cannot read file: "
            "not a regular file (a named pipe)",
        ),
        (("graph", "versions"), 0, "* 000000000002 (head) [000000000002_step.py]"),
        (("--fix", "--no-cache", "versions"), 1, "AL100 cannot read file: not a regular file"),
    ],
    ids=["check", "graph", "fix"],
)
def test_a_named_pipe_is_reported_not_waited_on(
    tmp_path: Path, args: tuple[str, ...], status: int, expected: str
) -> None:
    pipe_in(tmp_path / "versions")
    proc = cli(tmp_path, *args)
    assert proc.returncode == status, proc.stderr
    assert expected in proc.stdout


@pytest.mark.parametrize(
    ("make", "args", "message"),
    [
        (
            lambda d: os.mkfifo(d / "alembic.ini"),
            ("alembic.ini",),
            "alembic-lint: error: alembic.ini: not a regular file",
        ),
        (
            lambda d: (d / "alembic.ini").symlink_to("/dev/zero"),
            ("alembic.ini",),
            "alembic-lint: error: alembic.ini: not a regular file",
        ),
        (
            lambda d: os.mkfifo(d / "settings.toml"),
            ("--config", "settings.toml", "versions"),
            "cannot read: not a regular file (a named pipe)",
        ),
        (
            lambda d: os.mkfifo(d / "baseline.json"),
            ("--no-cache", "--baseline", "baseline.json", "versions"),
            "alembic-lint: error: baseline.json: cannot read: not a regular file (a named pipe)",
        ),
    ],
    ids=["ini-pipe", "ini-to-dev-zero", "config-pipe", "baseline-pipe"],
)
def test_configuration_that_is_no_file_is_a_usage_error(
    tmp_path: Path, make: Callable[[Path], None], args: tuple[str, ...], message: str
) -> None:
    chain(tmp_path / "versions", 2)
    make(tmp_path)
    proc = cli(tmp_path, *args)
    assert proc.returncode == 2
    assert message in proc.stderr and len(proc.stderr.splitlines()) == 1


def test_regular_file_reader_refuses_what_is_not_one(tmp_path: Path) -> None:
    """The one reader behind every file read from a project (migrations, configs, pins,
    baselines, script.py.mako): a pipe, a device, a directory, a loop, a big file."""
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    (tmp_path / "big").write_bytes(b"x" * 2000)
    for name, kind in [("pipe", "a named pipe"), (".", "a directory")]:
        with pytest.raises(inputs.NotRegularFile, match=re.escape(kind)):
            inputs.read_regular(tmp_path / name)
    with pytest.raises(inputs.NotRegularFile, match="a character device"):
        inputs.read_regular("/dev/zero")
    with pytest.raises(OSError, match="symbolic links"):
        inputs.read_regular(tmp_path / "loop")
    with pytest.raises(inputs.TooLarge, match=r"2.0 KB; the limit is 1000 bytes"):
        inputs.read_regular(tmp_path / "big", 1000)
    assert inputs.read_regular(tmp_path / "big", 2000) == b"x" * 2000


def test_a_symlink_loop_is_a_finding_not_a_traceback(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The replay trace, checking what the run saw before recording it, listed the versions
    directory and followed every entry."""
    monkeypatch.setattr(replay, "RACY_NS", 0)  # files just written may be recorded
    monkeypatch.setattr(cache, "RACY_NS", 0)
    versions = tmp_path / "versions"
    chain(versions, 2)
    (versions / "loop_a.py").symlink_to("loop_b.py")
    (versions / "loop_b.py").symlink_to("loop_a.py")
    expected = (
        "versions/loop_a.py:1:1: AL100 cannot read file: Too many levels of symbolic links\n"
        "versions/loop_b.py:1:1: AL100 cannot read file: Too many levels of symbolic links\n"
        "Found 2 problems in 2 migrations.\n"
    )
    for _ in range(2):  # the second run may be a replay of the first
        assert run("versions") == (1, expected, "")


# --------------------------------------------------------------------------- 11: size


def test_a_long_cycle_is_reported_in_bounded_output(tmp_path: Path) -> None:
    """A 2,000-revision cycle printed 96 MB (every finding named every member): now one
    finding per member, naming the stretch of the cycle that starts there."""
    versions = tmp_path / "versions"
    versions.mkdir()
    count = 2000
    for i in range(count):
        (versions / f"{i:012x}_c.py").write_text(
            f"revision = '{i:012x}'\ndown_revision = '{(i - 1) % count:012x}'\n"
        )
    proc = cli(tmp_path, "--no-cache", "--select", "AL005", "versions")
    assert (proc.returncode, proc.stderr) == (1, "")
    lines = proc.stdout.splitlines()
    assert len(lines) == count + 1 and len(proc.stdout) < 1000 * count
    first = lines[0]
    assert first.startswith(
        "versions/000000000000_c.py:2:17: AL005 revision cycle of 2000 revisions through "
        "down_revision: 000000000000 (000000000000_c.py), 0000000007cf (0000000007cf_c.py), "
    )
    assert first.endswith("0000000007c7 (0000000007c7_c.py) and 1990 more")


def m_(rev: str | None, *down: str, label: str | None = None, index: int = 0) -> Migration:
    """A migration's facts, without a file (graph rules read nothing else)."""

    def literal(name: str, value: object, values: tuple[object, ...]) -> Binding:
        elements = tuple(Element(v, 1) for v in values)
        return Binding(name, Status.LITERAL, value, elements, ref=1)

    down_value = None if not down else down[0] if len(down) == 1 else down
    return Migration(
        path=f"/v/{index:05d}_{rev}.py",
        filename=f"{index:05d}_{rev}.py",
        revision=literal("revision", rev, (rev,)),
        down_revision=literal("down_revision", down_value, down),
        branch_labels=literal("branch_labels", label, (label,) if label else ()),
        depends_on=literal("depends_on", None, ()),
        spans=(),
    )


def shapes(n: int) -> Iterator[tuple[str, list[Migration]]]:
    ids = [f"{i:012x}" for i in range(n)]
    yield "fork", [m_(ids[0])] + [m_(ids[i], ids[0], index=i) for i in range(1, n)]
    yield "bases", [m_(ids[i], index=i) for i in range(n)]
    yield (
        "chain-with-heads",
        [m_(ids[0])]
        + [m_(ids[i], ids[i - 1] if i % 2 else ids[i - 2], index=i) for i in range(1, n)],
    )
    yield "duplicates", [m_(ids[0], index=i) for i in range(n)]
    yield "typos", [m_(ids[0])] + [m_(ids[i], f"{i:012x}"[::-1], index=i) for i in range(1, n)]
    yield "labels", [m_(ids[i], *ids[max(0, i - 1) : i], label=f"l{i}", index=i) for i in range(n)]
    yield (
        "merge-of-all",
        [m_(ids[i], index=i) for i in range(n - 1)]
        + [m_(ids[n - 1], *ids[: n - 1], "missing", index=n)],
    )
    yield "merge-of-missing", [m_(ids[0]), m_(ids[1], *(i[::-1] for i in ids[1:]), index=1)]


@pytest.mark.parametrize(("name", "migrations"), list(shapes(1000)), ids=lambda x: str(x)[:20])
def test_graph_rules_stay_near_linear(name: str, migrations: list[Migration]) -> None:
    """Wide forks, thousands of heads, duplicates, typos and labels: every graph rule's
    findings name a bounded number of revisions (before, each named all the others: output
    and time grew with the square of the history)."""
    history = History("h", tuple(migrations))
    graph = graph_mod.build(history)
    total = 0
    for rule in engine.default_rules():
        if rule.graph:
            for diagnostic in rule.check(history, graph):
                assert len(diagnostic.related) < 10, (rule.code, name)
                assert len(diagnostic.message) < 1000, (rule.code, diagnostic.message[:200])
                total += 1
    assert total > 0 or name in ("labels", "chain-with-heads")


TYPOS = """
import sys
from alembic_lint import engine, graph
from alembic_lint.model import History
sys.path.insert(0, sys.argv[1])
from test_hostile_input import shapes
history = History("h", tuple(dict(shapes(5000))["typos"]))
built = graph.build(history)
rules = [r for r in engine.default_rules() if r.graph]
found = [d for rule in rules for d in rule.check(history, built)]
print(len(found), sum("did you mean" in d.message for d in found))
"""


def test_thousands_of_typos_get_bounded_suggestion_work() -> None:
    """Each missing parent was compared with every id ("did you mean"): with thousands of
    both, minutes. Now the work is bounded: the first ones get suggestions."""
    proc = subprocess.run(
        [sys.executable, "-c", TYPOS, str(Path(__file__).parent)],
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    findings, suggested = map(int, proc.stdout.split())
    assert findings == 4999 and 0 < suggested < 100


MISSING_PARENTS = """
import sys
from alembic_lint import engine, graph
from alembic_lint.model import History
sys.path.insert(0, sys.argv[1])
from test_hostile_input import m_
missing = [f"{i:012x}"[::-1] for i in range(1, 50_000)]
history = History("h", (m_("000000000000"), m_("000000000001", *missing, index=1)))
built = graph.build(history)
rules = [r for r in engine.default_rules() if r.graph]
found = [d for rule in rules for d in rule.check(history, built)]
print(sum(d.code == "AL003" for d in found), found[-1].message.rsplit(", ", 1)[-1])
"""


def test_a_merge_of_thousands_of_missing_parents_is_near_linear() -> None:
    """AL003 listed, for each missing parent of a merge, the others by comparing it with
    every one: 50,000 parents in one merge (the language server reads that file as soon as
    a repository is opened) took hours. Now the excerpt costs the same for each."""
    proc = subprocess.run(
        [sys.executable, "-c", MISSING_PARENTS, str(Path(__file__).parent)],
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "49999 a00000000000 and 49988 more\n"


def test_nearest_common_ancestors_and_labels_agree_with_the_definitions() -> None:
    """The one-pass versions against the per-node definitions they replace."""
    ids = [f"{i:04d}" for i in range(40)]
    migrations = [m_(ids[0], label="root")]
    for i in range(1, 40):
        parents = [ids[i - 1]] if i % 5 else [ids[i - 1], ids[max(0, i - 7)]]
        migrations.append(m_(ids[i], *parents, label="mid" if i == 20 else None, index=i))
    graph = graph_mod.build(History("h", tuple(migrations)))
    for node in range(40):
        expected = set()
        for other in graph.ancestors(node) | {node}:
            expected |= {str(v) for v in graph.migrations[other].label_ids}
        assert graph.labels(node) == expected
    heads = [12, 25, 39]
    common = set.intersection(*(graph.ancestors(h) | {h} for h in heads))
    lowest = sorted(c for c in common if not any(s in common for s in graph.down_graph[c]))
    assert graph.nearest_common_ancestors(heads) == lowest


def test_a_file_over_the_limit_keeps_its_place_in_the_graph(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not analysed (one finding), but its revision variables are recovered from its lines,
    so the merge it makes still closes the fork and its child has a parent."""
    monkeypatch.setattr(inputs, "MAX_MIGRATION_BYTES", 64 * 1024)
    versions = tmp_path / "versions"
    versions.mkdir()
    (versions / "a_base.py").write_text(source("aaaaaaaaaaaa", None))
    (versions / "b_left.py").write_text(source("bbbbbbbbbbbb", "aaaaaaaaaaaa"))
    (versions / "c_right.py").write_text(source("cccccccccccc", "aaaaaaaaaaaa"))
    merge = source("dddddddddddd", None, "op.execute('select 1')\n" * 4000).replace(
        "down_revision = None",
        "down_revision = (\n    'bbbbbbbbbbbb',  # left\n    'cccccccccccc',\n)",
    )
    (versions / "d_merge.py").write_text(merge)
    (versions / "e_after.py").write_text(source("eeeeeeeeeeee", "dddddddddddd"))
    size = (versions / "d_merge.py").stat().st_size / 1024
    too_large = f"file is too large to analyse ({size:.1f} KB; the limit is 64.0 KB)"
    assert found(lint(versions)) == [("d_merge.py", 1, "AL100", too_large)]
    # A variable it cannot recover makes its id unknown: its child's parent is not missing.
    (versions / "d_merge.py").write_text(
        merge.replace("revision = 'dddddddddddd'", "revision = ID")
    )
    codes = [f[2] for f in found(lint(versions))]
    assert "AL100" in codes and "AL002" not in codes


def test_bytes_over_the_limit_from_any_reader_are_not_parsed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A reader other than the disk's (a git object, an editor's buffer) hands over bytes
    without a limit: parsing refuses them the same way."""
    monkeypatch.setattr(inputs, "MAX_MIGRATION_BYTES", 1024)
    data = source("r1", "r0", "op.execute('x')\n    " * 200).encode()
    assert astread.read_migration_fast("/v/r1_big.py", data) is None
    migration = parse.read_migration("/v/r1_big.py", data)
    assert migration.syntax_error is not None
    assert migration.syntax_error.message.startswith("file is too large to analyse")
    assert (migration.revision_id, migration.down_ids) == ("r1", ("r0",))


def test_the_recovery_reads_lines_as_the_fallback_does() -> None:
    """The streamed recovery (chunks of any size) and the fallback for files that do not
    parse agree on values and positions."""
    from alembic_lint.parse.fallback import _fallback

    text = textwrap.dedent(
        """\
        # -*- coding: utf-8 -*-
        revision = "aaaa"  # noqa: AL102
        down_revision = (
            "bbbb",  # a comment
            "cccc",
        )
        x = 1\r
        depends_on = None\r
        branch_labels = ("x",)"""
    )
    data = text.encode()
    reference = _fallback("/v/a.py", "a.py", text, "m", 1, 1)
    for chunk in (3, 7, 64, 1024 * 1024):
        monkey = recover._CHUNK
        recover._CHUNK = chunk
        try:
            problem = inputs.TooLarge("/v/a.py", len(data), 1, head=lambda: io.BytesIO(data))
            streamed = recover.oversized("/v/a.py", problem)
        finally:
            recover._CHUNK = monkey
        for name in ("revision", "down_revision", "branch_labels", "depends_on"):
            ours, theirs = streamed.var(name), reference.var(name)
            assert (ours.status, ours.value) == (theirs.status, theirs.value), name
            assert streamed.span(ours.ref) == reference.span(theirs.ref), name
        assert streamed.noqa == reference.noqa


MEASURED = """
import re, resource, sys
from alembic_lint.entry import main
status = main(sys.argv[1:])
try:  # this process's peak (ru_maxrss would count the parent's pages before exec)
    with open("/proc/self/status") as status_file:
        peak = int(re.search(r"VmHWM:\\s*(\\d+)", status_file.read()).group(1))
except OSError:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(peak // 1024, file=sys.stderr)
sys.exit(status)
"""


def test_a_huge_migration_costs_seconds_and_megabytes(tmp_path: Path) -> None:
    """A 50 MB migration took LibCST 9 minutes and 11 GB: now it is streamed for its
    revision variables only (the limit is 4 MB)."""
    chain(tmp_path / "versions", 2)
    big = tmp_path / "versions" / "000000000002_big.py"
    with big.open("w") as handle:
        handle.write(source("000000000002", "000000000001", "pass") + "\ndef more():\n")
        line = "    op.execute('update t set a = 1')\n"
        handle.write(line * (50 * 1024 * 1024 // len(line)))
    proc = subprocess.run(
        [sys.executable, "-c", MEASURED, "--no-cache", "versions"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
        check=False,
    )
    assert proc.returncode == 1
    assert proc.stdout.splitlines() == [
        "versions/000000000002_big.py:1:1: AL100 file is too large to analyse "
        "(50.0 MB; the limit is 4.0 MB)",
        "Found 1 problem in 1 migration.",
    ]
    peak_mb = int(proc.stderr.strip())
    assert peak_mb < 200


def test_standard_input_over_the_limit_is_not_kept(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(inputs, "MAX_MIGRATION_BYTES", 4096)
    chain(tmp_path / "versions", 2)
    data = source("000000000002", "000000000001", "op.execute('x')\n" * 1000).encode()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    status, out, _ = run("--stdin-filename", "versions/000000000002_new.py", "-")
    assert (status, out) == (
        1,
        "versions/000000000002_new.py:1:1: AL100 file is too large to analyse "
        f"({len(data) / 1024:.1f} KB; the limit is 4.0 KB)\nFound 1 problem in 1 migration.\n",
    )


# --------------------------------------------------------------------------- 12: output

EVIL = "cc\n::error file=x.py,line=1::pwned\x1b[2J\u202e"
#: A directory name that would start a workflow command of its own (Alembic takes no file
#: name with a line break: its pattern's ``.*`` stops there).
EVIL_DIR = "v\n::error file=y.py::dir"


def evil_history(tmp_path: Path) -> str:
    """A fork whose second head has a hostile id and file name, in a directory with a
    hostile name, and a file whose name is not UTF-8; the directory's name."""
    versions = tmp_path / EVIL_DIR
    versions.mkdir()
    (versions / "a_base.py").write_text(source("aaaaaaaaaaaa", None))
    (versions / "b_ok.py").write_text(source("bbbbbbbbbbbb", "aaaaaaaaaaaa"))
    (versions / "c_\x1b[31m\u202e.py").write_text(source(EVIL, "aaaaaaaaaaaa"))
    raw_name = os.fsencode(versions) + b"/d_\xff.py"
    with open(raw_name, "w") as handle:
        handle.write(source("dddddddddddd", "bbbbbbbbbbbb", "op.drop_table('t')"))
    return EVIL_DIR


def assert_inert(text: str) -> None:
    """Nothing in ``text`` starts a line it did not write, or speaks to a terminal."""
    assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\ud800-\udfff]", text)
    assert not any(line.startswith("::error file=x.py") for line in text.splitlines())
    assert not any(line.startswith("::error file=y.py") for line in text.splitlines())


@pytest.mark.parametrize("output_format", ["concise", "full", "github"])
def test_text_formats_escape_control_characters(
    run: Run, tmp_path: Path, output_format: str
) -> None:
    versions = evil_history(tmp_path)
    status, out, err = run("--no-cache", "--format", output_format, versions)
    assert status == 1 and err == ""
    assert_inert(out)
    assert "cc\\n::error file=x.py" in out or "cc%0A::error file=x.py" in out
    assert "\\x1b[2J\\u202e" in out and "d_\\xff.py" in out and "c_\\x1b[31m\\u202e.py" in out


@pytest.mark.parametrize("output_format", ["json", "sarif", "gitlab"])
def test_machine_formats_quote_what_they_carry(
    run: Run, tmp_path: Path, output_format: str
) -> None:
    """JSON escapes control characters itself; a file name that is not UTF-8 crashed the
    SARIF and GitLab formats."""
    versions = evil_history(tmp_path)
    status, out, err = run("--no-cache", "--format", output_format, versions)
    assert status == 1 and err == ""
    out.encode("utf-8")  # valid UTF-8: no lone surrogates
    assert any(EVIL in text for text in strings(json.loads(out)))
    lines = out.splitlines()
    assert len(lines) > 10 and not any(line.startswith("::") for line in lines)


def strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


@pytest.mark.parametrize(
    "args",
    [
        ("graph", "versions"),
        ("graph", "--format", "mermaid", "versions"),
        ("graph", "--format", "dot", "versions"),
        ("graph", "--heads", "versions"),
    ],
    ids=["graph", "mermaid", "dot", "heads"],
)
def test_other_commands_escape_control_characters(
    run: Run, tmp_path: Path, args: tuple[str, ...]
) -> None:
    versions = evil_history(tmp_path)
    (tmp_path / versions / "d_\udcff.py").unlink()  # an undecodable name: tested above
    _, out, err = run(*args[:-1], versions)
    assert_inert(out + err)
    assert "\\x1b[2J" in out


@pytest.mark.parametrize(
    "args",
    [(f"no such {EVIL}",), ("rebase", "versions", "--onto", EVIL)],
    ids=["path", "revision"],
)
def test_error_lines_escape_control_characters(
    run: Run, tmp_path: Path, args: tuple[str, ...]
) -> None:
    chain(tmp_path / "versions", 2)
    status, out, err = run(*args)
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("alembic-lint: error: ")
    assert_inert(err)


def test_full_format_shows_the_lines_python_counts(run: Run, tmp_path: Path) -> None:
    """A form feed is whitespace to Python, a line break to str.splitlines: the source
    shown under a finding was another line than the one reported."""
    versions = tmp_path / "versions"
    versions.mkdir()
    text = source("aaaaaaaaaaaa", None, "op.drop_table('t')", top="x = 1  # \x0c")
    (versions / "aaaaaaaaaaaa_ff.py").write_text("\x0c\n" + text)
    status, out, _ = run("--no-cache", "--format", "full", "--select", "AL201", "versions")
    assert status == 1
    assert "7 |     op.drop_table('t')\n  |     ^^^^^^^^^^^^^^^^^^ AL201\n" in out
