"""Benchmark alembic-lint against `alembic heads` and bare parser loops, side by side.

    python bench/run.py [--files 1000] [--runs 5] [--scale-files 10000] [--quick] [--json FILE]

One invocation generates a synthetic history (bench/generate.py) under a temporary
directory and measures, on that same directory, each case in a fresh subprocess:

- ``alembic heads`` (what users would otherwise run), and bare ``ast.parse`` and
  ``libcst.parse_module`` loops over the files (floors);
- alembic-lint cold (``--no-cache``) with ``--jobs 1`` and with the default jobs;
- alembic-lint warm (``--cache-dir``) with nothing changed (an identical untimed run right
  before each timed one: the edited and ``--stdin-filename`` runs of the other cases change
  what is cached), with one file edited before each run (a comment line appended), and
  with ``--stdin-filename`` on that file's content plus an unsaved edit;
- peak memory (max RSS) of the cold ``--jobs 1`` run, and its time and peak memory at
  ``--scale-files`` files for the scaling check;
- ``--against main`` on a git copy of the history whose branch adds two migrations (and
  whose ``main`` added one since the fork): warm, in a cache first filled by a plain run,
  after an edit of one of the branch's files (against the plain warm run after an edit);
  the first ``--against`` run after a plain run (the cache a plain run leaves, restored
  before each run: the graph is built for the predicted merge, networkx imported); and
  cold (``--no-cache``, default jobs), against the plain cold run;
- on a second history that starts with one squashed migration of ``--squash-lines`` lines
  (hundreds of drops, bench/generate.py ``generate_squash``), cold ``--jobs 1`` runs with
  ``--format json``, which attaches a fix to every finding that has one, and the same
  command with fix attachment switched off (:data:`NO_FIXES`: ``engine.attach_fixes``
  replaced by the identity), whose ratio is the cost of the fixes; and ``--format concise``
  (no fixes) for scale;
- the cold ``--jobs 1`` command with the static schema model switched off (:data:`NO_MODEL`:
  no operation arguments read, no schema changes worked out, the AL3 rules not run), whose
  ratio to the ordinary cold run is what the model costs. The two run as a pair, one
  right after the other (which first alternates by round), and the ratio is the median
  of the pairs' ratios: a difference of a few percent is otherwise lost in the machine's
  drift between two runs a round apart. There are at least :data:`MODEL_PAIRS` pairs
  (the rounds' runs and more after them; not with ``--quick``), so the cold ``--jobs 1``
  row has that many runs. Where Valgrind is installed (and not with ``--quick``), the
  same two commands also run once each under its cachegrind tool, which counts the
  instructions they execute: a ratio the machine's noise does not move, beside the
  timed one (a run takes a minute or two there; :func:`instructions`).

Runs are interleaved (one round of every case, then the next round) so that a noisy,
shared machine disturbs every case alike; medians are reported. Each measurement is a
small wrapper process that times ``subprocess.run`` with ``time.perf_counter`` and reads
``getrusage(RUSAGE_CHILDREN).ru_maxrss`` (the peak RSS of the measured process and its
descendants, e.g. pool workers, the largest single one).

Options that this alembic-lint does not have (``--no-cache``, ``--cache-dir``, ``--jobs``,
read from ``alembic-lint check --help``) make their cases "not available" rows. Where the
tool has no cache options at all, it has no cache, so a plain run is cold and is measured
in the cold, memory, scaling and ``--stdin-filename`` rows (marked as such).

Exit status: 0 when the benchmark ran (whatever the targets say), 2 when a measured
command failed (alembic-lint exit status other than 0 or 1, which mean no findings and
findings) or the arguments are wrong.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

HERE = Path(__file__).resolve().parent

#: Runs one command, passes standard input through, prints a JSON line of measurements.
WRAPPER = r"""
import json, resource, subprocess, sys, time
cmd, cwd, timeout = json.loads(sys.argv[1]), sys.argv[2], float(sys.argv[3])
start = time.perf_counter()
try:
    proc = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=timeout)
    rc, out, err = proc.returncode, proc.stdout, proc.stderr
except subprocess.TimeoutExpired as exc:
    rc, out, err = -999, exc.stdout or b"", (exc.stderr or b"") + b"\n(timed out)"
seconds = time.perf_counter() - start
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
lines = out.decode("utf-8", "replace").splitlines()
json.dump({"rc": rc, "seconds": seconds, "max_rss_kb": rss, "stdout_lines": len(lines),
           "stdout_head": lines[:3], "stdout_tail": lines[-3:],
           "stderr": err.decode("utf-8", "replace")[-4000:]}, sys.stdout)
"""

AST_LOOP = r"""
import ast, os, sys
for name in sorted(os.listdir(sys.argv[1])):
    if name.endswith(".py"):
        with open(os.path.join(sys.argv[1], name), "rb") as f:
            ast.parse(f.read())
"""

LIBCST_LOOP = r"""
import os, sys
import libcst
for name in sorted(os.listdir(sys.argv[1])):
    if name.endswith(".py"):
        with open(os.path.join(sys.argv[1], name), "rb") as f:
            libcst.parse_module(f.read())
"""

#: alembic-lint's command line with fix attachment switched off: the same run as
#: ``--format json`` in every other respect (the fixes are what the ratio measures).
NO_FIXES = r"""
import sys
from alembic_lint import engine
engine.attach_fixes = lambda diagnostics, *rest: list(diagnostics)
from alembic_lint.entry import main
sys.exit(main(sys.argv[1:]))
"""

#: alembic-lint's command line without the static schema model: operation arguments are
#: not read, no file's schema changes are worked out, and the rules that replay them are
#: not run. Everything else is the ordinary run.
NO_MODEL = r"""
import sys
from alembic_lint import model
from alembic_lint.astread import ops as ast_ops
from alembic_lint.parse import ops as parse_ops
import alembic_lint.astread as astread
import alembic_lint.parse.extract as extract
nothing = model.CallExpr("")
parse_ops._expr = ast_ops._expr = lambda node, depth=0, plain=None: nothing
extract.changes_of = astread.changes_of = lambda *args, **kwargs: None
from alembic_lint.entry import main
sys.exit(main([*sys.argv[1:], "--ignore", "AL3"]))
"""

#: Pairs of cold runs with and without the schema model (at least; a round gives one).
MODEL_PAIRS = 7

# Row labels (the smoke test looks for each of them in the output).
HEADS = "alembic heads"
AST = "ast.parse loop (floor)"
LIBCST = "libcst.parse_module loop (floor)"
COLD_1 = "cold, --jobs 1"
COLD_N = "cold, default jobs"
WARM = "warm, nothing changed"
WARM_EDIT = "warm, one file edited"
STDIN = "--stdin-filename one file, warm"
MEMORY = "peak memory cold"
SCALING = "scaling"
AGAINST_WARM = "--against main, warm, one file edited"
AGAINST_FIRST = "--against main, first run after a plain run"
AGAINST_COLD = "--against main, cold, default jobs"
SQUASH_FIXES = "squash: --format json, fixes attached"
SQUASH_NO_FIXES = "squash: --format json, no fixes"
SQUASH_CONCISE = "squash: --format concise"
SQUASH_RATIO = "fixes attached / not attached"
NO_MODEL_COLD = "cold, --jobs 1, without the schema model"
MODEL_RATIO = "schema model: cold with / without"
MODEL_INSTRUCTIONS = "schema model: instructions with / without (cachegrind, --jobs 1)"
CASE_NAMES = (
    HEADS,
    AST,
    LIBCST,
    COLD_1,
    COLD_N,
    WARM,
    WARM_EDIT,
    STDIN,
    MEMORY,
    SCALING,
    AGAINST_WARM,
    AGAINST_FIRST,
    AGAINST_COLD,
    SQUASH_FIXES,
    SQUASH_NO_FIXES,
    SQUASH_CONCISE,
    SQUASH_RATIO,
    NO_MODEL_COLD,
    MODEL_RATIO,
    MODEL_INSTRUCTIONS,
)

NEW_MIGRATION = """\
\"\"\"{message}

Revision ID: {revision}
Revises: {parent}
\"\"\"
from alembic import op
import sqlalchemy as sa

revision = "{revision}"
down_revision = "{parent}"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("users", sa.Column("{column}", sa.String(50), nullable=True))


def downgrade():
    op.drop_column("users", "{column}", if_exists=True)
"""


#: Environment of the measured commands: no cache directory or colours from the caller,
#: and Python's bytecode cache as it normally is. Under PYTHONDONTWRITEBYTECODE (set on
#: some CI images and dev machines) `alembic heads` compiles every migration it imports
#: on every run (1.0 s instead of 0.63 s at 1000 files here), which is not what a user's
#: second run costs; every ratio to it would flatter alembic-lint.
CHILD_ENV = {
    k: v
    for k, v in os.environ.items()
    if k not in ("ALEMBIC_LINT_CACHE_DIR", "FORCE_COLOR", "PYTHONDONTWRITEBYTECODE")
}


class BenchError(Exception):
    """A measured command failed: the benchmark cannot go on."""


def load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "alembic_lint_bench_generate", HERE / "generate.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def script(name: str, module: str) -> list[str]:
    """The console script next to this interpreter, else ``python -m module``."""
    candidate = Path(sys.executable).parent / name
    if candidate.is_file() and os.access(candidate, os.X_OK):
        return [str(candidate)]
    return [sys.executable, "-m", module]


@dataclass
class Measurement:
    seconds: float
    max_rss_kb: int
    rc: int
    stdout_lines: int
    stdout_tail: list[str]


@dataclass
class Case:
    label: str
    argv: list[str] | None  # None: not available
    cwd: Path
    note: str = ""
    ok_codes: tuple[int, ...] = (0,)
    before: Callable[[int], None] | None = None  # called before each run with a counter
    stdin: Callable[[int], bytes] | None = None
    results: list[Measurement] = field(default_factory=list)
    counter: int = 0
    #: Run the command once, untimed, right before each timed run (so that "nothing
    #: changed" means nothing changed since the previous run, whatever ran in between).
    prime: bool = False

    @property
    def available(self) -> bool:
        return self.argv is not None

    @property
    def median(self) -> float | None:
        return statistics.median(m.seconds for m in self.results) if self.results else None

    @property
    def peak_mb(self) -> float | None:
        return max(m.max_rss_kb for m in self.results) / 1024 if self.results else None


def measure(case: Case, timeout: float, record: bool = True) -> Measurement:
    if case.prime and record:
        measure(case, timeout, record=False)
    assert case.argv is not None
    case.counter += 1
    if case.before is not None:
        case.before(case.counter)
    data = case.stdin(case.counter) if case.stdin is not None else None
    proc = subprocess.run(
        [sys.executable, "-c", WRAPPER, json.dumps(case.argv), str(case.cwd), str(timeout)],
        input=data,
        stdin=None if data is not None else subprocess.DEVNULL,
        capture_output=True,
        check=False,
        env=CHILD_ENV,
    )
    if proc.returncode != 0:
        raise BenchError(f"{case.label}: the measuring wrapper failed:\n{proc.stderr.decode()}")
    raw = json.loads(proc.stdout)
    if raw["rc"] not in case.ok_codes:
        raise BenchError(
            f"{case.label}: exit status {raw['rc']} from {' '.join(case.argv)}\n"
            f"stderr:\n{raw['stderr']}"
        )
    result = Measurement(
        raw["seconds"], raw["max_rss_kb"], raw["rc"], raw["stdout_lines"], raw["stdout_tail"]
    )
    if record:
        case.results.append(result)
    return result


def git(cwd: Path, *args: str) -> str:
    env = {k: v for k, v in CHILD_ENV.items() if not k.startswith("GIT_")}
    env.update(
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_AUTHOR_NAME="bench",
        GIT_AUTHOR_EMAIL="bench@invalid",
        GIT_COMMITTER_NAME="bench",
        GIT_COMMITTER_EMAIL="bench@invalid",
    )
    proc = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise BenchError(f"git {' '.join(args)} failed:\n{proc.stderr}")
    return proc.stdout


def branch_repository(project: Path, target: Path, lint: list[str]) -> None:
    """A git copy of ``project``: ``main`` holds the history and then one migration more;
    ``feature`` (checked out) forked before that and adds two migrations of its own."""
    shutil.copytree(project, target)
    proc = subprocess.run(
        [*lint, "graph", "--heads", str(target)],
        capture_output=True,
        text=True,
        check=False,
        env=CHILD_ENV,
    )
    heads = proc.stdout.split()
    if len(heads) != 1:
        raise BenchError(f"expected one head, got {proc.stdout!r} {proc.stderr}")
    head = heads[0]
    versions = target / "migrations" / "versions"
    git(target, "init", "-q", "-b", "main")
    git(target, "add", "-A")
    git(target, "commit", "-q", "-m", "history")
    git(target, "checkout", "-q", "-b", "feature")
    for revision, parent, column in (
        ("f00000000001", head, "nickname"),
        ("f00000000002", "f00000000001", "timezone"),
    ):
        (versions / f"{revision}_add_{column}.py").write_text(
            NEW_MIGRATION.format(
                message=f"add {column}", revision=revision, parent=parent, column=column
            ),
            encoding="utf-8",
        )
    git(target, "add", "-A")
    git(target, "commit", "-q", "-m", "feature: two migrations")
    git(target, "checkout", "-q", "main")
    (versions / "a00000000001_add_last_login.py").write_text(
        NEW_MIGRATION.format(
            message="add last_login", revision="a00000000001", parent=head, column="last_login"
        ),
        encoding="utf-8",
    )
    git(target, "add", "-A")
    git(target, "commit", "-q", "-m", "add last_login")
    git(target, "checkout", "-q", "feature")


def lint_options(lint: list[str]) -> set[str]:
    """The long options ``alembic-lint check`` accepts (from its --help)."""
    proc = subprocess.run(
        [*lint, "check", "--help"], capture_output=True, text=True, check=False, env=CHILD_ENV
    )
    if proc.returncode != 0:
        raise BenchError(f"`alembic-lint check --help` failed ({proc.returncode}):\n{proc.stderr}")
    return {word.rstrip(",=") for word in proc.stdout.split() if word.startswith("--")}


def machine() -> dict[str, Any]:
    def version(dist: str) -> str:
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            return "not installed"

    try:
        usable = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        usable = os.cpu_count() or 1
    return {
        "cpu_count": os.cpu_count(),
        "usable_cpus": usable,
        "platform": platform.platform(),
        "machine": platform.machine(),
        "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "executable": sys.executable,
        "loadavg_at_start": os.getloadavg() if hasattr(os, "getloadavg") else None,
        "alembic": version("alembic"),
        "sqlalchemy": version("sqlalchemy"),
        "libcst": version("libcst"),
        "alembic-lint": version("alembic-lint"),
    }


def source_state() -> dict[str, Any]:
    """Where alembic-lint's code is, its git commit, and its files' mtimes (to detect edits)."""
    spec = importlib.util.find_spec("alembic_lint")
    if spec is None or not spec.submodule_search_locations:
        return {"package": None, "commit": None, "mtimes": {}}
    package = Path(next(iter(spec.submodule_search_locations)))
    mtimes = {str(p): p.stat().st_mtime_ns for p in sorted(package.rglob("*.py"))}
    proc = subprocess.run(
        ["git", "-C", str(package), "describe", "--always", "--dirty"],
        capture_output=True,
        text=True,
        check=False,
    )
    commit = proc.stdout.strip() if proc.returncode == 0 else None
    return {"package": str(package), "commit": commit, "mtimes": mtimes}


def compile_bytecode() -> str:
    """Compile alembic-lint's modules to bytecode, as installing a wheel does. A checkout
    run from its source under PYTHONDONTWRITEBYTECODE (set on some CI images and dev
    machines) or read-only would otherwise compile every module it imports on every run:
    about 0.1 s per run that no installed copy pays, which would swamp the warm rows."""
    import compileall

    spec = importlib.util.find_spec("alembic_lint")
    if spec is None or not spec.submodule_search_locations:
        return "alembic_lint not found"
    package = next(iter(spec.submodule_search_locations))
    done = compileall.compile_dir(package, quiet=2, workers=1)
    return "bytecode compiled, as an install does" if done else "bytecode NOT compiled"


def history_stats(versions: Path) -> dict[str, int]:
    files = sorted(versions.glob("*.py"))
    texts = [f.read_text(encoding="utf-8") for f in files]
    return {
        "files": len(files),
        "lines": sum(t.count("\n") for t in texts),
        "bytes": sum(len(t.encode()) for t in texts),
        "merges": sum("down_revision: Union[str, Sequence[str], None] = (" in t for t in texts),
    }


@dataclass
class Row:
    label: str
    value: str
    x_heads: str = ""
    x_libcst: str = ""
    peak: str = ""
    target: str = ""
    result: str = ""


def instructions(cases: list[Case], timeout: float) -> list[int] | None:
    """The instructions each case's command executes, counted by Valgrind's cachegrind
    (cache simulation off), the cases run side by side (counts do not depend on what
    else runs); None when Valgrind is not installed. Hash randomisation is off in these
    runs, so that two counts of the same command agree. A command that fails (an exit
    status the case does not accept, or a Python traceback on its standard error, which
    exits 1 like a run with findings), or that all of them together have not finished
    within ``timeout`` seconds, is a BenchError: no count rather than a wrong one. The
    commands still running then are stopped."""
    valgrind = shutil.which("valgrind")
    if valgrind is None or any(c.argv is None for c in cases):
        return None
    deadline = time.monotonic() + timeout
    with tempfile.TemporaryDirectory(prefix="alembic-lint-cachegrind-") as out:
        procs: list[subprocess.Popen[bytes]] = []
        errors = []
        try:
            for number, case in enumerate(cases):
                assert case.argv is not None
                argv = [
                    valgrind,
                    "--tool=cachegrind",
                    "--cache-sim=no",
                    f"--cachegrind-out-file={out}/{number}.out",
                    f"--log-file={out}/{number}.log",  # Valgrind's own messages
                    *case.argv,
                ]
                errors.append(open(Path(out, f"{number}.err"), "wb"))  # noqa: SIM115
                procs.append(
                    subprocess.Popen(
                        argv,
                        cwd=case.cwd,
                        env={**CHILD_ENV, "PYTHONHASHSEED": "0"},
                        stdin=subprocess.DEVNULL,
                        stdout=subprocess.DEVNULL,
                        stderr=errors[-1],
                    )
                )
            codes = []
            for case, proc in zip(cases, procs, strict=True):
                try:
                    codes.append(proc.wait(timeout=max(deadline - time.monotonic(), 0.0)))
                except subprocess.TimeoutExpired:
                    raise BenchError(
                        f"{case.label}: instructions not counted within {timeout:.0f} s"
                    ) from None
        finally:
            for proc in procs:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
            for handle in errors:
                handle.close()
        counts = []
        for number, (case, code) in enumerate(zip(cases, codes, strict=True)):
            stderr = Path(out, f"{number}.err").read_text(errors="replace")
            if code not in case.ok_codes or "Traceback (most recent call last)" in stderr:
                raise BenchError(
                    f"{case.label}: exit status {code} under valgrind\nstderr:\n{stderr[-2000:]}"
                )
            summary = [
                line
                for line in Path(out, f"{number}.out").read_text().splitlines()
                if line.startswith("summary:")
            ]
            if len(summary) != 1:
                raise BenchError(f"{case.label}: cachegrind wrote no instruction count")
            counts.append(int(summary[0].split()[1]))
    return counts


def paired_ratio(a: Case, b: Case) -> float | None:
    """The median of the ratios of ``a``'s and ``b``'s runs taken as pairs (the i-th of
    each were measured one right after the other)."""
    if not a.results or len(a.results) != len(b.results):
        return ratio(a.median, b.median)
    return statistics.median(
        x.seconds / y.seconds for x, y in zip(a.results, b.results, strict=True)
    )


def ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def verdict(value: float | None, limit: float) -> str:
    if value is None:
        return "n/a"
    return "PASS" if value <= limit else "FAIL"


def fmt_ratio(value: float | None) -> str:
    return f"{value:.2f}x" if value is not None else ""


def print_table(rows: list[Row]) -> None:
    header = Row("case", "median", "x heads", "x libcst", "peak RSS", "target", "result")
    table = [header, *rows]
    names = ("label", "value", "x_heads", "x_libcst", "peak", "target", "result")
    widths = [max(len(getattr(r, n)) for r in table) for n in names]
    right = {"value", "x_heads", "x_libcst", "peak"}

    def line(row: Row) -> str:
        cells = []
        for name, width in zip(names, widths, strict=True):
            text = getattr(row, name)
            cells.append(text.rjust(width) if name in right else text.ljust(width))
        return "| " + " | ".join(cells) + " |"

    print(line(header))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print(line(row))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Benchmark alembic-lint against `alembic heads` on a synthetic history."
    )
    parser.add_argument(
        "--files", type=int, help="revisions in the history (default 1000; 200 with --quick)"
    )
    parser.add_argument(
        "--runs", type=int, help="measured runs per case (default 5; 1 with --quick)"
    )
    parser.add_argument(
        "--scale-files",
        type=int,
        help="revisions for the scaling and memory check (default 10000; 2000 with --quick)",
    )
    parser.add_argument(
        "--squash-lines",
        type=int,
        help="lines of the squashed migration of the fixes rows (default 6000; 1500 with --quick)",
    )
    parser.add_argument("--seed", type=int, default=0, help="generator seed (default 0)")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke test: fewer runs, smaller sizes, no warm-up round",
    )
    parser.add_argument("--json", metavar="FILE", help="write the raw numbers to FILE")
    parser.add_argument(
        "--timeout", type=float, default=1800.0, help="seconds before one command counts as failed"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    # Pretend alembic-lint lacks an option (e.g. --cache-dir), to check the fallbacks.
    parser.add_argument("--without", action="append", default=[], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    files = args.files if args.files is not None else (200 if args.quick else 1000)
    runs = args.runs if args.runs is not None else (1 if args.quick else 5)
    scale = args.scale_files if args.scale_files is not None else (2000 if args.quick else 10000)
    squash = args.squash_lines if args.squash_lines is not None else (1500 if args.quick else 6000)
    if files < 2 or runs < 1 or scale < 2:
        parser.error("--files and --scale-files must be at least 2, --runs at least 1")
    if squash < 100:
        parser.error("--squash-lines must be at least 100")
    args.squash_lines = squash

    tmp = Path(tempfile.mkdtemp(prefix="alembic-lint-bench-"))
    try:
        return run(args, files, runs, scale, tmp)
    except BenchError as exc:
        print(f"bench: FAILED: {exc}", file=sys.stderr)
        return 2
    finally:
        if args.keep:
            print(f"bench: kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def run(args: argparse.Namespace, files: int, runs: int, scale: int, tmp: Path) -> int:
    generator = load_generator()
    project = tmp / "project"
    versions = generator.generate(project, files, args.seed)
    stats = history_stats(versions)
    squash_project = tmp / "squash"
    squash_stats = history_stats(
        generator.generate_squash(squash_project, args.squash_lines, seed=args.seed)
    )
    compiled = compile_bytecode()
    info = machine()
    source = source_state()
    info["alembic_lint_source"] = {"package": source["package"], "commit": source["commit"]}
    print(
        f"machine: {info['cpu_count']} CPUs ({info['usable_cpus']} usable), {info['platform']}, "
        f"Python {info['python']} ({info['python_implementation']}); alembic {info['alembic']}, "
        f"libcst {info['libcst']}, alembic-lint {info['alembic-lint']} "
        f"({source['commit'] or source['package']}; {compiled}); load average at start "
        + (
            " ".join(f"{x:.2f}" for x in info["loadavg_at_start"])
            if info["loadavg_at_start"]
            else "?"
        )
    )
    print(
        f"history: {stats['files']} revisions ({stats['merges']} merges), {stats['lines']} lines, "
        f"{stats['bytes'] / 1e6:.1f} MB; seed {args.seed}; {runs} runs per case"
        + ("" if args.quick else " after one warm-up round")
        + f"; scaling at {scale} revisions"
    )
    print(
        f"squash history: {squash_stats['files']} revisions, {squash_stats['lines']} lines, "
        f"the first one a squashed migration of about {args.squash_lines} lines"
    )
    sys.stdout.flush()

    lint = script("alembic-lint", "alembic_lint")
    options = lint_options(lint) - set(args.without)
    has_jobs, has_no_cache, has_cache_dir, has_against = (
        "--jobs" in options,
        "--no-cache" in options,
        "--cache-dir" in options,
        "--against" in options,
    )
    no_cache_at_all = not has_no_cache and not has_cache_dir
    cache_dir = tmp / "cache"
    target_file = sorted(versions.glob("*.py"))[files // 2]
    lint_ok = (0, 1)

    def cold(jobs_one: bool) -> tuple[list[str] | None, str]:
        notes = []
        flags: list[str] = []
        if has_no_cache:
            flags.append("--no-cache")
        elif has_cache_dir:
            return None, "not available: no --no-cache"
        else:
            notes.append("this alembic-lint has no cache options (no cache): a plain run")
        if jobs_one:
            if has_jobs:
                flags += ["--jobs", "1"]
            else:
                notes.append("no --jobs option: single process")
        elif not has_jobs:
            return None, "not available: no --jobs option (default = the --jobs 1 row)"
        return [*lint, *flags, str(project)], "; ".join(notes)

    def edit(counter: int) -> None:
        with open(target_file, "a", encoding="utf-8") as handle:
            handle.write(f"# bench edit {counter}\n")

    def unsaved(counter: int) -> bytes:
        return target_file.read_bytes() + f"# unsaved edit {counter}\n".encode()

    cold_1_argv, cold_1_note = cold(jobs_one=True)
    cold_n_argv, cold_n_note = cold(jobs_one=False)
    warm_argv = [*lint, "--cache-dir", str(cache_dir), str(project)] if has_cache_dir else None
    stdin_note = ""
    if has_cache_dir:
        stdin_argv: list[str] | None = [
            *lint,
            "--cache-dir",
            str(cache_dir),
            "--stdin-filename",
            str(target_file),
            "-",
        ]
    elif no_cache_at_all:
        stdin_argv = [*lint, "--stdin-filename", str(target_file), "-"]
        stdin_note = "this alembic-lint has no cache: measured cold"
    else:
        stdin_argv, stdin_note = None, "not available: no --cache-dir"
    unavailable_cache = "not available: no --cache-dir option"

    branch = tmp / "branch"
    against_cache, against_filled = tmp / "against-cache", tmp / "against-cache-filled"
    against_steady = tmp / "against-cache-steady"
    against_warm: list[str] | None = None
    against_first: list[str] | None = None
    against_cold: list[str] | None = None
    against_note = "" if has_against else "not available: no --against option"
    if has_against and has_cache_dir and has_no_cache:
        branch_repository(project, branch, lint)
        against = ["--against", "main", str(branch)]
        against_warm = [*lint, "--cache-dir", str(against_steady), *against]
        against_first = [*lint, "--cache-dir", str(against_cache), *against]
        against_cold = [*lint, "--no-cache", *against]
        for filled in (against_filled, against_steady):  # what a plain run leaves
            subprocess.run(
                [*lint, "--cache-dir", str(filled), str(branch)],
                capture_output=True,
                check=False,
                env=CHILD_ENV,
            )
    elif has_against:
        against_note = "not available: no --cache-dir / --no-cache"

    def plain_cache_only(counter: int) -> None:
        shutil.rmtree(against_cache, ignore_errors=True)
        shutil.copytree(against_filled, against_cache)

    def edit_branch_file(counter: int) -> None:
        mine = branch / "migrations" / "versions" / "f00000000002_add_timezone.py"
        with open(mine, "a", encoding="utf-8") as handle:
            handle.write(f"# bench edit {counter}\n")

    cases = {
        "heads": Case(
            HEADS,
            [*script("alembic", "alembic"), "-c", str(project / "alembic.ini"), "heads"],
            project,
        ),
        "ast": Case(AST, [sys.executable, "-c", AST_LOOP, str(versions)], project),
        "libcst": Case(LIBCST, [sys.executable, "-c", LIBCST_LOOP, str(versions)], project),
        "cold_jobs1": Case(COLD_1, cold_1_argv, project, cold_1_note, lint_ok),
        "cold_default_jobs": Case(COLD_N, cold_n_argv, project, cold_n_note, lint_ok),
        "warm_unchanged": Case(
            WARM, warm_argv, project, "" if warm_argv else unavailable_cache, lint_ok, prime=True
        ),
        "warm_one_edited": Case(
            WARM_EDIT,
            warm_argv,
            project,
            "" if warm_argv else unavailable_cache,
            lint_ok,
            before=edit,
        ),
        "stdin_warm": Case(STDIN, stdin_argv, project, stdin_note, lint_ok, stdin=unsaved),
        "against_warm": Case(
            AGAINST_WARM, against_warm, branch, against_note, lint_ok, before=edit_branch_file
        ),
        "against_first": Case(
            AGAINST_FIRST, against_first, branch, against_note, lint_ok, before=plain_cache_only
        ),
        "against_cold": Case(AGAINST_COLD, against_cold, branch, against_note, lint_ok),
    }
    # The same cold --jobs 1 command on the squash history, with and without fixes.
    squash_flags = cold_1_argv[len(lint) : -1] if cold_1_argv is not None else []
    squash_cmd = [*squash_flags, "--format", "json", str(squash_project)]
    cases["squash_fixes"] = Case(
        SQUASH_FIXES, [*lint, *squash_cmd], squash_project, cold_1_note, lint_ok
    )
    cases["squash_no_fixes"] = Case(
        SQUASH_NO_FIXES,
        [sys.executable, "-c", NO_FIXES, *squash_cmd],
        squash_project,
        cold_1_note,
        lint_ok,
    )
    cases["squash_concise"] = Case(
        SQUASH_CONCISE,
        [*lint, *squash_flags, "--format", "concise", str(squash_project)],
        squash_project,
        cold_1_note,
        lint_ok,
    )
    cases["cold_no_model"] = Case(
        NO_MODEL_COLD,
        None
        if cold_1_argv is None
        else [sys.executable, "-c", NO_MODEL, *cold_1_argv[len(lint) :]],
        project,
        cold_1_note,
        lint_ok,
    )
    active = [c for c in cases.values() if c.available]

    if warm_argv is not None:  # fill the cache
        measure(cases["warm_unchanged"], args.timeout, record=False)
    if not args.quick:
        for case in active:
            measure(case, args.timeout, record=False)
    # The schema model's cost is a ratio of two runs a few percent apart: they run as a
    # pair, one right after the other (in turn first), so that the machine's drift over
    # a round does not land on one of them alone.
    with_model, without_model = cases["cold_jobs1"], cases["cold_no_model"]
    paired = without_model.available
    for round_no in range(runs):
        for case in active:
            if paired and case is without_model:
                continue  # measured with its pair
            pair = [with_model, without_model] if paired and case is with_model else [case]
            for member in pair if round_no % 2 == 0 else pair[::-1]:
                measure(member, args.timeout)
        print(f"bench: round {round_no + 1}/{runs} done", file=sys.stderr, flush=True)
    # Runs a few seconds long wander by about 5% each on a shared machine, even one
    # right after the other: a ratio of a few percent needs more pairs than a round has.
    model_pairs = max(runs, MODEL_PAIRS) if paired and not args.quick else runs
    for pair_no in range(runs, model_pairs):
        pair = [with_model, without_model]
        for member in pair if pair_no % 2 == 0 else pair[::-1]:
            measure(member, args.timeout)
    if model_pairs > runs:
        print(f"bench: {model_pairs} pairs for the schema model done", file=sys.stderr, flush=True)
    # A minute or two each (Valgrind runs a program some thirty times slower).
    model_instructions = (
        instructions([with_model, without_model], args.timeout)
        if paired and not args.quick
        else None
    )

    heads_out = cases["heads"].results[0]
    heads_found = sum("(head)" in line for line in heads_out.stdout_tail)
    if heads_out.stdout_lines != 1 or heads_found != 1:
        print(f"bench: warning: `alembic heads` printed {heads_out.stdout_tail}", file=sys.stderr)

    # Scaling and memory: the cold single-process run at --scale-files revisions.
    scale_case: Case | None = None
    if cold_1_argv is not None:
        scale_project = tmp / "scale"
        generator.generate(scale_project, scale, args.seed)
        scale_case = Case(
            f"{COLD_1} at {scale} files",
            [*cold_1_argv[:-1], str(scale_project)],
            scale_project,
            cold_1_note,
            lint_ok,
        )
        for _ in range(runs):
            measure(scale_case, args.timeout)
        print("bench: scaling runs done", file=sys.stderr, flush=True)

    changed = source_state()["mtimes"] != source["mtimes"]
    info["alembic_lint_source_changed_during_run"] = changed
    heads = cases["heads"].median
    floor = cases["libcst"].median
    rows: list[Row] = []
    relative = {  # case -> (the plain case it is compared with, the limit)
        "against_warm": ("warm_one_edited", 1.5),
        "against_cold": ("cold_default_jobs", 1.2),
    }
    targets = {
        "warm_unchanged": ("heads", 0.10),
        "warm_one_edited": ("heads", 0.30),
        "stdin_warm": ("heads", 0.30),
        "cold_jobs1": ("libcst", 1.3),
        "cold_default_jobs": ("libcst", 0.75),
    }
    verdicts: dict[str, dict[str, Any]] = {}
    for key, case in cases.items():
        label = case.label + (" *" if case.note else "")
        if not case.available:
            rows.append(Row(label, "not available", result="n/a"))
            verdicts[key] = {"result": "n/a", "note": case.note}
            continue
        other_history = key.startswith("squash")  # the ratios would compare two histories
        row = Row(
            label,
            f"{case.median:.3f} s",
            ""
            if other_history
            else "1.00x"
            if key == "heads"
            else fmt_ratio(ratio(case.median, heads)),
            "" if other_history else fmt_ratio(ratio(case.median, floor)),
            f"{case.peak_mb:.0f} MB",
        )
        if key in relative:
            plain, limit = relative[key]
            value = ratio(case.median, cases[plain].median)
            row.target = f"<= {limit:.2f}x {cases[plain].label} (now {fmt_ratio(value)})"
            row.result = verdict(value, limit)
            verdicts[key] = {"target": row.target, "ratio": value, "result": row.result}
        if key in targets:
            base, limit = targets[key]
            value = ratio(case.median, heads if base == "heads" else floor)
            row.target = f"<= {limit:.2f}x {'alembic heads' if base == 'heads' else 'libcst loop'}"
            row.result = verdict(value, limit)
            verdicts[key] = {"target": row.target, "ratio": value, "result": row.result}
        rows.append(row)

    cold1 = cases["cold_jobs1"]
    mem_small = cold1.peak_mb
    mem_scale = scale_case.peak_mb if scale_case is not None else None
    time_scale = scale_case.median if scale_case is not None else None
    mem_note = "" if cold1.available else cold1.note
    mem_label = f"{MEMORY}, {files} files" + (" *" if cold1.note else "")
    if mem_small is None:
        rows.append(Row(mem_label, "not available", result="n/a"))
    else:
        rows.append(
            Row(
                mem_label, f"{mem_small:.1f} MB", target="<= 150 MB", result=verdict(mem_small, 150)
            )
        )
    scale_mem_ratio = ratio(mem_scale, mem_small)
    scale_mem_label = f"{MEMORY}, {scale} files" + (" *" if cold1.note else "")
    if mem_scale is None:
        rows.append(Row(scale_mem_label, "not available", result="n/a"))
    else:
        rows.append(
            Row(
                scale_mem_label,
                f"{mem_scale:.1f} MB",
                target=f"<= 2 x {files}-file peak (now {fmt_ratio(scale_mem_ratio)})",
                result=verdict(scale_mem_ratio, 2.0),
            )
        )
    time_ratio = ratio(time_scale, cold1.median)
    scale_label = f"{SCALING}: cold --jobs 1 at {scale} files" + (" *" if cold1.note else "")
    if time_scale is None:
        rows.append(Row(scale_label, "not available", result="n/a"))
    else:
        limit = 11 * scale / files / 10  # 11x for 10x the files
        rows.append(
            Row(
                scale_label,
                f"{time_scale:.3f} s",
                target=f"<= {limit:.1f} x {files}-file cold (now {fmt_ratio(time_ratio)})",
                result=verdict(time_ratio, limit),
            )
        )
    verdicts["memory"] = {"peak_mb": mem_small, "result": rows[-3].result, "note": mem_note}
    verdicts["memory_scale"] = {
        "peak_mb": mem_scale,
        "ratio": scale_mem_ratio,
        "result": rows[-2].result,
    }
    verdicts["scaling"] = {"seconds": time_scale, "ratio": time_ratio, "result": rows[-1].result}
    fix_ratio = ratio(cases["squash_fixes"].median, cases["squash_no_fixes"].median)
    rows.append(
        Row(
            f"{SQUASH_RATIO} (squash, --format json)",
            fmt_ratio(fix_ratio) or "not available",
            target="<= 1.10x",
            result=verdict(fix_ratio, 1.10),
        )
    )
    verdicts["squash_fixes"] = {"ratio": fix_ratio, "target": "<= 1.10x", "result": rows[-1].result}
    model_ratio = paired_ratio(cold1, cases["cold_no_model"])
    rows.append(
        Row(
            f"{MODEL_RATIO} (--jobs 1)",
            fmt_ratio(model_ratio) or "not available",
            target="<= 1.10x",
            result=verdict(model_ratio, 1.10),
        )
    )
    verdicts["schema_model"] = {
        "ratio": model_ratio,
        "target": "<= 1.10x",
        "result": rows[-1].result,
    }
    instruction_ratio = (
        None if model_instructions is None else model_instructions[0] / model_instructions[1]
    )
    rows.append(
        Row(
            MODEL_INSTRUCTIONS,
            fmt_ratio(instruction_ratio)
            or ("not measured (--quick)" if args.quick else "not available (no valgrind)"),
        )
    )
    verdicts["schema_model"]["instructions"] = model_instructions
    verdicts["schema_model"]["instruction_ratio"] = instruction_ratio

    print()
    print_table(rows)
    if files != 1000:
        print(
            f"\nThe targets are set for a 1000-file history: at {files} files start-up and "
            "imports weigh more (or less), so these verdicts only indicate."
        )
    notes = [(c.label, c.note) for c in cases.values() if c.note]
    if notes:
        print()
        for label, note in notes:
            print(f"* {label}: {note}")
        if cold1.note and cold1.available:
            print(f"* {MEMORY}, {SCALING}: as {COLD_1}")
    if changed:
        print(
            f"\nWARNING: alembic-lint's source ({source['package']}) changed during the run: "
            "the numbers mix versions; run again."
        )
    lint_case = next((c for c in (cold1, cases["cold_default_jobs"]) if c.results), None)
    if lint_case is not None:
        print(f"\nalembic-lint on the history: {lint_case.results[0].stdout_tail[-1:]}")
    print(
        "\nMedians of wall time (perf_counter around subprocess.run, fresh process each run); "
        "peak RSS = max ru_maxrss over the runs. Targets are ratios, so they hold on any "
        "machine; numbers on a busy machine are noisy."
    )

    if args.json:
        raw = {
            "machine": info,
            "config": {
                "files": files,
                "runs": runs,
                "scale_files": scale,
                "seed": args.seed,
                "quick": args.quick,
                "history": stats,
                "squash_lines": args.squash_lines,
                "squash_history": squash_stats,
                "alembic_lint_options": {
                    "--jobs": has_jobs,
                    "--no-cache": has_no_cache,
                    "--cache-dir": has_cache_dir,
                },
            },
            "cases": {
                key: {
                    "label": case.label,
                    "available": case.available,
                    "note": case.note,
                    "argv": case.argv,
                    "seconds": [m.seconds for m in case.results],
                    "max_rss_kb": [m.max_rss_kb for m in case.results],
                    "exit_codes": [m.rc for m in case.results],
                    "median_seconds": case.median,
                }
                for key, case in [
                    *cases.items(),
                    *([("cold_jobs1_scale", scale_case)] if scale_case else []),
                ]
            },
            "targets": verdicts,
        }
        Path(args.json).write_text(json.dumps(raw, indent=2) + "\n", encoding="utf-8")
        print(f"raw numbers written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
