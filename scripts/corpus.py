"""Measure alembic-lint against real Alembic on a corpus of public migration histories.

The corpus lives outside the repository (it is third-party code): a directory holding
``entries.json`` and one ``<project>@<short commit>/`` directory per entry, extracted from
bare git mirrors with ``extract``. ``run`` lints every entry with an alembic-lint checkout
(``--alembic-lint PATH``: its ``src`` goes first on ``PYTHONPATH``) and asks Alembic's
``ScriptDirectory`` about the same version locations, each in a subprocess with a timeout,
and writes a table plus every finding as JSON for checking by hand.

Executing third-party migration modules is done here, and only here, by Alembic in a
throw-away subprocess: imports that are missing are replaced by permissive stubs so a module
gets as far as defining its revision variables. A history Alembic still cannot load is
recorded as such, and Alembic is asked again on a copy holding only each file's literal
revision variables (marked ``vars-only`` in the table).

Usage::

    python scripts/corpus.py extract /work/corpus          # (re)build the entries from mirrors
    python scripts/corpus.py run /work/corpus [--alembic-lint /work/wt/schema] [--schema]
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 300.0
REVISION_VARS = ("revision", "down_revision", "branch_labels", "depends_on")
_ASSIGN = re.compile(r"^(revision|down_revision|branch_labels|depends_on)\s*=\s*([^#\n]+)", re.M)


# --------------------------------------------------------------------------- entries


@dataclass(frozen=True)
class History:
    """One script directory: what Alembic's ``ScriptDirectory`` would be given."""

    name: str
    script: str  # relative to the entry directory
    versions: tuple[str, ...]
    recursive: bool = False


@dataclass(frozen=True)
class Entry:
    name: str  # <project>@<short commit>, the directory name
    project: str
    repo: str  # owner/name
    commit: str
    paths: tuple[str, ...]  # extracted from the commit
    histories: tuple[History, ...]
    why: str = ""
    git_dir: str = ""

    @classmethod
    def load(cls, raw: dict[str, Any]) -> Entry:
        histories = tuple(
            History(h["name"], h["script"], tuple(h["versions"]), bool(h.get("recursive")))
            for h in raw["histories"]
        )
        return cls(
            name=raw["name"],
            project=raw["project"],
            repo=raw["repo"],
            commit=raw["commit"],
            paths=tuple(raw["paths"]),
            histories=histories,
            why=raw.get("why", ""),
            git_dir=raw.get("git_dir", ""),
        )


def load_entries(corpus: Path, only: Sequence[str] = ()) -> list[Entry]:
    raw = json.loads((corpus / "entries.json").read_text(encoding="utf-8"))
    entries = [Entry.load(item) for item in raw]
    if only:
        entries = [e for e in entries if e.name in only or e.project in only]
    return entries


def extract(corpus: Path, only: Sequence[str]) -> int:
    """Write each entry's paths at its commit from its mirror; write SOURCES.md."""
    entries = load_entries(corpus, only)
    for entry in entries:
        target = corpus / entry.name
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        archive = subprocess.run(
            [
                "git",
                "--git-dir",
                entry.git_dir,
                "archive",
                "--format=tar",
                entry.commit,
                "--",
                *entry.paths,
            ],
            capture_output=True,
            check=True,
        )
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
        print(f"{entry.name}: {sum(1 for _ in target.rglob('*.py'))} .py files")
    write_sources(corpus, load_entries(corpus))
    return 0


def write_sources(corpus: Path, entries: Sequence[Entry]) -> None:
    lines = [
        "# Sources of the corpus",
        "",
        "Each entry is `git archive <commit> <paths>` of the public repository, extracted into",
        "`<entry>/` (rebuild with `python scripts/corpus.py extract <corpus dir>` from mirrors",
        "named in `entries.json`). Third-party files: never commit them anywhere.",
        "",
        "| entry | repository | commit | paths | histories (version locations) | why |",
        "|---|---|---|---|---|---|",
    ]
    for e in entries:
        hist = "; ".join(
            f"{h.name}: {', '.join(h.versions)}{' (recursive)' if h.recursive else ''}"
            for h in e.histories
        )
        lines.append(
            f"| {e.name} | https://github.com/{e.repo} | `{e.commit}` | "
            f"{', '.join(f'`{p}`' for p in e.paths)} | {hist} | {e.why} |"
        )
    (corpus / "SOURCES.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


# --------------------------------------------------------------------------- Alembic's side

# Runs in a subprocess: ``python -c ALEMBIC_WORKER <json args>``; prints one JSON object.
ALEMBIC_WORKER = r'''
import importlib.abc, importlib.machinery, json, sys, types, warnings
args = json.loads(sys.argv[1])
sys.dont_write_bytecode = True
stubbed = []

class _Meta(type):
    def __getattr__(cls, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return _Meta(name, (_Anything,), {})
    def __getitem__(cls, key):
        return cls
    def __or__(cls, other):
        return cls
    __ror__ = __or__

class _Anything(metaclass=_Meta):
    def __init__(self, *a, **k): pass
    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return _Anything()
    def __call__(self, *a, **k): return _Anything()
    def __getitem__(self, key): return _Anything()
    def __iter__(self): return iter(())
    def __bool__(self): return False
    def __len__(self): return 0
    def __str__(self): return "stub"
    def __mro_entries__(self, bases): return (_Anything,)

class _StubModule(types.ModuleType):
    __path__ = []
    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return _Meta(name, (_Anything,), {})

class _StubFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Last on sys.meta_path: any module nothing else can find becomes a stub."""
    def find_spec(self, name, path=None, target=None):
        # Stub only what the corpus's own files import: an optional probe made by the
        # standard library or an installed package must keep failing as it would.
        frame = sys._getframe(1)
        while frame is not None and frame.f_code.co_filename.startswith(("<frozen", "<string>")):
            frame = frame.f_back
        if frame is None or not frame.f_code.co_filename.startswith(tuple(args["roots"])):
            return None
        stubbed.append(name)
        return importlib.machinery.ModuleSpec(name, self, is_package=True)
    def create_module(self, spec):
        return _StubModule(spec.name)
    def exec_module(self, module):
        module.__path__ = []

if args["stub"]:
    sys.meta_path.append(_StubFinder())
for p in args["sys_path"]:
    sys.path.insert(0, p)

from alembic.script import ScriptDirectory
out = {"heads": [], "bases": [], "error": None, "stage": None, "warnings": [], "revisions": 0}
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    script = ScriptDirectory(
        args["script"], version_locations=args["versions"],
        recursive_version_locations=args["recursive"],
    )
    try:
        out["stage"] = "load"
        scripts = list(script._load_revisions())
        out["revisions"] = len(scripts)
        out["stage"] = "map"
        rmap = script.revision_map
        out["heads"] = list(rmap.heads)
        out["bases"] = list(rmap.bases)
        by_id = rmap._revision_map
        out["head_labels"] = {h: sorted(by_id[h].branch_labels) for h in rmap.heads}
        out["stage"] = "done"
    except BaseException as exc:
        out["error"] = f"{type(exc).__name__}: {exc}"[:400]
out["warnings"] = sorted({str(w.message)[:200] for w in caught})[:20]
out["stubbed"] = sorted(set(n.split(".")[0] for n in stubbed))
print(json.dumps(out))
'''


def _run_json(
    cmd: list[str],
    *,
    env: dict[str, str] | None = None,
    cwd: str | None = None,
    timeout: float = TIMEOUT,
) -> tuple[Any, str]:
    """Run ``cmd``; return (parsed stdout JSON or None, a one-line problem or "")."""
    try:
        proc = subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            env=env,
            cwd=cwd,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        return None, f"timed out after {timeout:.0f}s"
    try:
        return json.loads(proc.stdout), ""
    except json.JSONDecodeError:
        tail = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
        return None, f"exit {proc.returncode}: {tail[:300]}"


def vars_only_copy(files: Sequence[Path], target: Path) -> None:
    """Copy each file as just its module-level literal revision variables (same names)."""
    target.mkdir(parents=True, exist_ok=True)
    for path in files:
        lines = []
        try:
            tree = ast.parse(path.read_bytes())
        except (SyntaxError, ValueError):
            # Python 2 files: Alembic on Python 3 cannot load them, but the variables
            # usually are plain one-line literals.
            tree = ast.Module(body=[], type_ignores=[])
            for match in _ASSIGN.finditer(path.read_text(encoding="utf-8", errors="replace")):
                with contextlib.suppress(ValueError, SyntaxError):
                    lines.append(f"{match[1]} = {ast.literal_eval(match[2].strip())!r}")
        for node in tree.body:
            if isinstance(node, ast.Assign):
                names = [t.id for t in node.targets if isinstance(t, ast.Name)]
                value = node.value
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                names, value = [node.target.id], node.value
            else:
                continue
            if value is None:
                continue
            for name in names:
                if name in REVISION_VARS:
                    try:
                        literal = ast.literal_eval(value)
                    except ValueError:
                        continue
                    lines.append(f"{name} = {literal!r}")
        name = path.name
        # keep names unique when a recursive history has the same name twice
        dest = target / name
        n = 0
        while dest.exists():
            n += 1
            dest = target / f"{path.stem}_{n}{path.suffix}"
        dest.write_text("\n".join(lines) + "\n", encoding="utf-8")


def alembic_files(entry_dir: Path, history: History) -> list[Path]:
    """The files Alembic loads: ``*.py`` not ``__init__``, subdirectories when recursive."""
    found: list[Path] = []
    for loc in history.versions:
        top = entry_dir / loc
        pattern = "**/*.py" if history.recursive else "*.py"
        found += [
            p
            for p in sorted(top.glob(pattern))
            if p.is_file() and not p.name.startswith("__init__") and "__pycache__" not in p.parts
        ]
    return found


def ask_alembic(python: str, entry_dir: Path, history: History, timeout: float) -> dict[str, Any]:
    script = entry_dir / history.script
    versions = [str(entry_dir / v) for v in history.versions]
    args = {
        "script": str(script),
        "versions": versions,
        "recursive": history.recursive,
        "stub": True,
        "sys_path": [str(entry_dir)],
        "roots": [str(entry_dir) + os.sep],
    }
    with tempfile.TemporaryDirectory(prefix="corpus-alembic-") as cwd:
        result, problem = _run_json(
            [python, "-c", ALEMBIC_WORKER, json.dumps(args)], cwd=cwd, timeout=timeout
        )
        if result is None:
            result = {"error": problem, "stage": "load", "heads": [], "bases": []}
        result["mode"] = "real"
        if result.get("stage") == "load":
            # Alembic could not execute some module: ask it again on the variables alone.
            copy = Path(cwd) / "varsonly"
            vars_only_copy(alembic_files(entry_dir, history), copy / "versions")
            args2 = dict(
                args,
                script=str(copy),
                versions=[str(copy / "versions")],
                recursive=False,
                stub=False,
                sys_path=[],
                roots=[],
            )
            second, problem2 = _run_json(
                [python, "-c", ALEMBIC_WORKER, json.dumps(args2)], cwd=cwd, timeout=timeout
            )
            result["vars_only"] = second if second is not None else {"error": problem2}
    return result


# --------------------------------------------------------------------------- our side


def lint_env(checkout: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALEMBIC_LINT")}
    env["PYTHONPATH"] = os.pathsep.join(
        [str(checkout / "src")] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])
    )
    return env


def write_ini(entry_dir: Path, history: History, where: Path) -> Path:
    """An ini naming exactly the version locations given to Alembic (absolute paths)."""
    ini = where / f"{history.name}.ini"
    ini.write_text(
        "[alembic]\n"
        f"script_location = {entry_dir / history.script}\n"
        "path_separator = newline\n"
        "version_locations =\n"
        + "".join(f"    {entry_dir / v}\n" for v in history.versions)
        + f"recursive_version_locations = {'true' if history.recursive else 'false'}\n",
        encoding="utf-8",
    )
    return ini


def ask_linter(
    python: str, checkout: Path, target: Path, cwd: str, timeout: float, select: str
) -> tuple[list[dict[str, Any]] | None, str, float]:
    start = time.perf_counter()
    cmd = [
        python,
        "-m",
        "alembic_lint",
        "check",
        "--format",
        "json",
        "--no-cache",
        "--exit-zero",
        "-j",
        "1",
        "--select",
        select,
        str(target),
    ]
    found, problem = _run_json(cmd, env=lint_env(checkout), cwd=cwd, timeout=timeout)
    return found, problem, time.perf_counter() - start


def ask_linter_heads(
    python: str, checkout: Path, target: Path, cwd: str, timeout: float
) -> list[str] | str:
    try:
        proc = subprocess.run(
            [python, "-m", "alembic_lint", "graph", "--heads", str(target)],
            capture_output=True,
            text=True,
            env=lint_env(checkout),
            cwd=cwd,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        return "timed out"
    if proc.returncode not in (0, 1):
        return f"exit {proc.returncode}: {(proc.stderr.strip().splitlines() or [''])[-1][:200]}"
    return proc.stdout.split()


# Runs in a subprocess under the checkout's PYTHONPATH: the schema model's coverage.
SCHEMA_WORKER = r"""
import json, sys
from pathlib import Path
from alembic_lint import engine, graph as graph_mod
from alembic_lint.schema.replay import replay
args = json.loads(sys.argv[1])
files = [Path(f) for f in args["files"]]
history = engine.load_history(args["versions"], files)
graph = graph_mod.build(history)
model = replay(graph)
out = {"heads": []}
for node in graph.heads if hasattr(graph, "heads") else []:
    schema = model.schemas[node]
    tables = schema.tables
    names = sorted(tables)
    exact = [n for n in names if schema.has_table(n) is True and tables[n].unsure is None]
    out["heads"].append({
        "head": graph.id_of(node), "tables": len(names), "exact": len(exact),
        "unsure_names": len(schema.unsure),
        "rest": None if schema.rest is None else str(schema.rest)[:200],
        "unsure_tables": {n: str(schema.why_unsure(n))[:160] for n in names if n not in exact},
    })
print(json.dumps(out))
"""


# --------------------------------------------------------------------------- the run


@dataclass
class Row:
    entry: str
    history: str
    files: int
    alembic: str
    ours: str
    agree: str
    codes: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    discovery: str = ""


def describe_alembic(result: dict[str, Any]) -> tuple[str, list[str] | None]:
    """A short verdict and the heads when Alembic loaded the history (real or vars-only)."""
    if result.get("stage") == "done":
        heads = result["heads"]
        return f"{len(heads)} head{'s' * (len(heads) != 1)}", heads
    if result.get("stage") == "map":
        return f"refused: {result['error'][:90]}", None
    second = result.get("vars_only") or {}
    why = (result.get("error") or "")[:70]
    if second.get("stage") == "done":
        heads = second["heads"]
        return f"could not load ({why}); vars-only: {len(heads)} heads", heads
    if second.get("stage") == "map":
        return f"could not load ({why}); vars-only refused: {second['error'][:80]}", None
    return f"could not load ({why})", None


def run(args: argparse.Namespace) -> int:
    corpus: Path = args.corpus.resolve()
    checkout: Path = args.alembic_lint.resolve()
    python = args.python or sys.executable
    out_dir: Path = (args.out or corpus / "results").resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    entries = load_entries(corpus, args.only)
    rows: list[Row] = []
    details: dict[str, Any] = {}
    for entry in entries:
        entry_dir = corpus / entry.name
        with tempfile.TemporaryDirectory(prefix="corpus-lint-") as tmp:
            tmpdir = Path(tmp)
            discovered, d_problem, _ = ask_linter(
                python, checkout, entry_dir, tmp, args.timeout, args.select
            )
            explicit_keys: set[tuple[str, int, str]] = set()
            for history in entry.histories:
                files = alembic_files(entry_dir, history)
                alembic = ask_alembic(python, entry_dir, history, args.timeout)
                verdict, a_heads = describe_alembic(alembic)
                ini = write_ini(entry_dir, history, tmpdir)
                found, problem, seconds = ask_linter(
                    python, checkout, ini, tmp, args.timeout, args.select
                )
                heads = ask_linter_heads(python, checkout, ini, tmp, args.timeout)
                if found is None:
                    ours, codes = f"failed: {problem}", Counter[str]()
                    found = []
                else:
                    codes = Counter(f["code"] for f in found)
                    ours = (
                        f"{len(heads)} head{'s' * (len(heads) != 1)}"
                        if isinstance(heads, list)
                        else f"heads: {heads}"
                    )
                explicit_keys |= {(f["filename"], f["location"]["row"], f["code"]) for f in found}
                if a_heads is None:
                    agree = "n/a"
                elif isinstance(heads, list):
                    agree = "yes" if sorted(heads) == sorted(a_heads) else "NO"
                else:
                    agree = "NO"
                schema = None
                if args.schema:
                    schema, s_problem = _run_json(
                        [
                            python,
                            "-c",
                            SCHEMA_WORKER,
                            json.dumps(
                                {
                                    "versions": str(entry_dir / history.versions[0]),
                                    "files": [str(f) for f in files],
                                }
                            ),
                        ],
                        env=lint_env(checkout),
                        cwd=tmp,
                        timeout=args.timeout,
                    )
                    if schema is None:
                        schema = {"error": s_problem}
                rows.append(
                    Row(entry.name, history.name, len(files), verdict, ours, agree, codes, seconds)
                )
                details[f"{entry.name}/{history.name}"] = {
                    "alembic": alembic,
                    "linter_heads": heads,
                    "findings": found,
                    "files": len(files),
                    "schema": schema,
                }
            # zero-configuration discovery on the entry directory, compared with the above
            if discovered is None:
                disc = f"failed: {d_problem}"
            else:
                keys = {(f["filename"], f["location"]["row"], f["code"]) for f in discovered}
                disc = (
                    "same"
                    if keys == explicit_keys
                    else (
                        f"differs: {len(keys - explicit_keys)} extra, "
                        f"{len(explicit_keys - keys)} missing"
                    )
                )
            for row in rows:
                if row.entry == entry.name:
                    row.discovery = disc
            details[f"{entry.name}/discovery"] = {"status": disc, "findings": discovered}
        print(f"{entry.name}: done", file=sys.stderr)
    (out_dir / "details.json").write_text(json.dumps(details, indent=1), encoding="utf-8")
    table = render_table(rows)
    (out_dir / "table.md").write_text(table, encoding="utf-8")
    print(table)
    return 0


def render_table(rows: Sequence[Row]) -> str:
    all_codes = sorted({c for r in rows for c in r.codes})
    head = [
        "entry",
        "history",
        "files",
        "Alembic",
        "ours",
        "heads agree",
        "discovery",
        "s",
        *all_codes,
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [
            r.entry,
            r.history,
            str(r.files),
            r.alembic,
            r.ours,
            r.agree,
            r.discovery,
            f"{r.seconds:.1f}",
            *(str(r.codes.get(c, "")) for c in all_codes),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    total = Counter[str]()
    for r in rows:
        total.update(r.codes)
    lines.append(
        "| total | | "
        + str(sum(r.files for r in rows))
        + " | | | | | | "
        + " | ".join(str(total.get(c, "")) for c in all_codes)
        + " |"
    )
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_extract = sub.add_parser("extract", help="extract the entries from their git mirrors")
    p_extract.add_argument("corpus", type=Path)
    p_extract.add_argument("--only", nargs="*", default=[])
    p_run = sub.add_parser("run", help="lint every entry and ask Alembic; write the table")
    p_run.add_argument("corpus", type=Path)
    p_run.add_argument(
        "--alembic-lint",
        type=Path,
        default=ROOT,
        help="an alembic-lint checkout whose src/ is used (default: this one)",
    )
    p_run.add_argument(
        "--python",
        help="interpreter with alembic, sqlalchemy, libcst, networkx, click (default: this one)",
    )
    p_run.add_argument("--select", default="AL", help="rules to run (default: every AL rule)")
    p_run.add_argument(
        "--schema",
        action="store_true",
        help="also measure the schema model (a checkout with alembic_lint.schema)",
    )
    p_run.add_argument("--only", nargs="*", default=[], help="entries or projects")
    p_run.add_argument("--out", type=Path, help="default: <corpus>/results")
    p_run.add_argument("--timeout", type=float, default=TIMEOUT)
    args = parser.parse_args(argv)
    if args.command == "extract":
        return extract(args.corpus.resolve(), args.only)
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
