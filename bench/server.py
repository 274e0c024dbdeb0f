"""Benchmark `alembic-lint server` against `alembic heads`, side by side.

    python bench/server.py [--files 1000] [--runs 7] [--quick] [--json FILE]

One invocation generates a synthetic history (bench/generate.py) and measures, on it:

- ``alembic heads`` (what a user would otherwise run to see the heads), in a subprocess;
- the server, started once over pipes with the history's project as its workspace folder
  (a small JSON-RPC client in this file speaks to it, as an editor would):

  - its resident memory (VmRSS) once the workspace is open and every file checked;
  - the latency of the edit that matters most: a ``didChange`` of an open, unsaved new
    migration that re-points it from the head to the head's parent, so that the history
    now has two heads, until the ``publishDiagnostics`` that report AL001 on *both* heads
    (the edited buffer and the other head's file, which is not open) have arrived. After
    each measurement the buffer is changed back (both findings go away) and the next edit
    waits out the server's gap between checks, so each edit is checked at once, as an
    isolated edit is in an editor.

Runs of the two are interleaved and medians reported. Exit status 0 when the benchmark
ran (whatever the targets say), 2 when something failed.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from run import CHILD_ENV, compile_bytecode, load_generator, script  # noqa: E402 (the other benchmark's helpers)

#: Targets from the issue: latency as a share of `alembic heads`, memory in MB.
LATENCY_TARGET = 0.15
MEMORY_TARGET_MB = 150.0
#: Longer than the server's gap between two checks (alembic_lint.server.app.GAP).
SETTLE = 0.35


class BenchError(Exception):
    """Something the benchmark needs did not happen."""


class Client:
    """A minimal LSP client over a subprocess's pipes; messages are timed on arrival."""

    def __init__(self, argv: list[str], cwd: Path, log: Path) -> None:
        with log.open("wb") as errors:  # the server's own log, if it writes one
            self.process = subprocess.Popen(
                argv,
                cwd=cwd,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=errors,
                env=CHILD_ENV,
            )
        self.messages: queue.Queue[tuple[float, dict[str, Any]]] = queue.Queue()
        self._next = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        stream = self.process.stdout
        assert stream is not None
        while True:
            length = 0
            while True:
                line = stream.readline()
                if not line:
                    return
                if line in (b"\r\n", b"\n"):
                    break
                name, _, value = line.decode("ascii").partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            body = stream.read(length)
            self.messages.put((time.perf_counter(), json.loads(body)))

    def send(self, message: dict[str, Any]) -> float:
        data = json.dumps({"jsonrpc": "2.0", **message}).encode()
        stream = self.process.stdin
        assert stream is not None
        sent = time.perf_counter()
        stream.write(b"Content-Length: %d\r\n\r\n%s" % (len(data), data))
        stream.flush()
        return sent

    def notify(self, method: str, params: Any) -> float:
        return self.send({"method": method, "params": params})

    def request(self, method: str, params: Any, timeout: float = 600.0) -> Any:
        self._next += 1
        ident = self._next
        self.send({"id": ident, "method": method, "params": params})
        seen = self.until(lambda m: m.get("id") == ident and "method" not in m, timeout)
        _, answer = seen[-1]
        if "error" in answer:
            raise BenchError(f"{method}: {answer['error']}")
        return answer.get("result")

    def until(self, done: Any, timeout: float) -> list[tuple[float, dict[str, Any]]]:
        """Messages up to and including the first for which ``done`` holds."""
        seen = []
        deadline = time.perf_counter() + timeout
        while True:
            left = deadline - time.perf_counter()
            if left <= 0:
                raise BenchError("timed out waiting for the server")
            try:
                at, message = self.messages.get(timeout=left)
            except queue.Empty:
                continue
            if message.get("method") in ("client/registerCapability",):
                self.send({"id": message["id"], "result": None})
            seen.append((at, message))
            if done(message):
                return seen

    def rss_mb(self) -> float:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        line = next(x for x in status.splitlines() if x.startswith("VmRSS:"))
        return int(line.split()[1]) / 1024

    def close(self) -> None:
        try:
            self.request("shutdown", None, timeout=30)
            self.notify("exit", None)
            self.process.wait(timeout=30)
        except (BenchError, subprocess.TimeoutExpired, OSError):
            self.process.kill()


def heads_once(project: Path) -> float:
    argv = [*script("alembic", "alembic"), "-c", str(project / "alembic.ini"), "heads"]
    start = time.perf_counter()
    proc = subprocess.run(argv, cwd=project, capture_output=True, check=False, env=CHILD_ENV)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise BenchError(f"alembic heads failed: {proc.stderr.decode(errors='replace')[-500:]}")
    return seconds


def the_head(versions: Path) -> tuple[str, str]:
    """The single head of the generated history and a parent of it (Alembic's view)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    script_dir = ScriptDirectory.from_config(Config(str(versions.parent.parent / "alembic.ini")))
    (head,) = script_dir.get_heads()
    revision = script_dir.get_revision(head)
    assert revision is not None
    parents = revision.down_revision
    # A merge head: any of its parents will do (a child of it is a second head too).
    parent = parents if isinstance(parents, str) else parents[0] if parents else None
    if parent is None:
        raise BenchError("the history's head has no parent; give more --files")
    return head, parent


def migration(revision: str, parent: str) -> str:
    return (
        f'"""a new migration\n\nRevision ID: {revision}\nRevises: {parent}\n"""\n'
        "from alembic import op\n\n"
        f"revision = {revision!r}\ndown_revision = {parent!r}\n"
        "branch_labels = None\ndepends_on = None\n\n\n"
        "def upgrade():\n    pass\n\n\ndef downgrade():\n    pass\n"
    )


def publishes(uri: str, wanted: bool) -> Any:
    """A check for the publication of ``uri``'s diagnostics with (or without) AL001."""

    def check(message: dict[str, Any]) -> bool:
        if message.get("method") != "textDocument/publishDiagnostics":
            return False
        params = message["params"]
        return params["uri"] == uri and wanted == any(
            d.get("code") == "AL001" for d in params["diagnostics"]
        )

    return check


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, help="revisions (default 1000; 60 with --quick)")
    parser.add_argument("--runs", type=int, help="measurements (default 7; 2 with --quick)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="smoke test: small and short")
    parser.add_argument("--json", metavar="FILE", help="write the raw numbers to FILE")
    args = parser.parse_args(argv)
    files = args.files or (60 if args.quick else 1000)
    runs = args.runs or (2 if args.quick else 7)
    tmp = Path(tempfile.mkdtemp(prefix="alembic-lint-bench-server-"))
    try:
        return run(files, runs, args.seed, args.json, tmp)
    except BenchError as exc:
        print(f"bench: FAILED: {exc}", file=sys.stderr)
        return 2
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(files: int, runs: int, seed: int, raw: str | None, tmp: Path) -> int:
    project = tmp / "project"
    versions = load_generator().generate(project, files, seed)
    head, parent = the_head(versions)
    head_file = next(versions.glob(f"{head}_*.py"))
    new_file = versions / "ffffffffffff_a_new_migration.py"
    head_uri, new_uri = head_file.as_uri(), new_file.as_uri()
    linear, forked = migration("ffffffffffff", head), migration("ffffffffffff", parent)
    compiled = compile_bytecode()
    print(f"history: {files} revisions, seed {seed}; head {head}; {runs} runs; {compiled}")

    client = Client([*script("alembic-lint", "alembic_lint"), "server"], project, tmp / "log")
    try:
        started = time.perf_counter()
        client.request(
            "initialize",
            {
                "processId": os.getpid(),
                "rootUri": project.as_uri(),
                "workspaceFolders": [{"uri": project.as_uri(), "name": "project"}],
                "capabilities": {"textDocument": {"publishDiagnostics": {}}},
            },
        )
        client.notify("initialized", {})
        # Requests are answered in order: this one once the workspace is loaded.
        info = client.request(
            "workspace/executeCommand", {"command": "alembic-lint.debugInformation"}
        )
        opened = time.perf_counter() - started
        if not info["histories"] or info["histories"][0]["files"] != files:
            raise BenchError(f"the server did not load the history: {info}")
        memory = client.rss_mb()
        client.notify(
            "textDocument/didOpen",
            {
                "textDocument": {
                    "uri": new_uri,
                    "languageId": "python",
                    "version": 1,
                    "text": linear,
                }
            },
        )
        client.request("workspace/executeCommand", {"command": "alembic-lint.debugInformation"})
        latencies: list[float] = []
        heads: list[float] = []
        version = 1
        for _ in range(runs):
            heads.append(heads_once(project))
            time.sleep(SETTLE)
            while not client.messages.empty():
                client.messages.get()
            version += 1
            sent = client.notify(
                "textDocument/didChange",
                {
                    "textDocument": {"uri": new_uri, "version": version},
                    "contentChanges": [{"text": forked}],
                },
            )
            seen = client.until(publishes(new_uri, True), 60)
            arrivals = {
                m["params"]["uri"]: at for at, m in seen if "params" in m and "uri" in m["params"]
            }
            if head_uri not in arrivals:
                seen += client.until(publishes(head_uri, True), 60)
                arrivals = {
                    m["params"]["uri"]: at
                    for at, m in seen
                    if "params" in m and "uri" in m["params"]
                }
            latencies.append(max(arrivals[new_uri], arrivals[head_uri]) - sent)
            time.sleep(SETTLE)
            version += 1
            client.notify(
                "textDocument/didChange",
                {
                    "textDocument": {"uri": new_uri, "version": version},
                    "contentChanges": [{"text": linear}],
                },
            )
            client.until(publishes(head_uri, False), 60)
        peak = client.rss_mb()
    finally:
        client.close()

    heads_median = statistics.median(heads)
    latency = statistics.median(latencies)
    ratio = latency / heads_median
    rows = [
        ("`alembic heads`", f"{heads_median:.3f} s", "1.00x", "", ""),
        ("server: open the workspace (all files checked)", f"{opened:.3f} s", "", "", ""),
        (
            "server: didChange adding a second head -> both files' AL001 published",
            f"{latency * 1000:.1f} ms",
            f"{ratio:.3f}x heads",
            f"<= {LATENCY_TARGET}x",
            "met" if ratio <= LATENCY_TARGET else "NOT MET",
        ),
        (
            "server: resident memory after opening the workspace",
            f"{memory:.1f} MB",
            "",
            f"<= {MEMORY_TARGET_MB:.0f} MB",
            "met" if memory <= MEMORY_TARGET_MB else "NOT MET",
        ),
        (f"server: resident memory after the {runs} edits", f"{peak:.1f} MB", "", "", ""),
    ]
    print("| case | median | ratio | target | |")
    print("|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    if raw:
        Path(raw).write_text(
            json.dumps(
                {
                    "files": files,
                    "runs": runs,
                    "heads_seconds": heads,
                    "latency_seconds": latencies,
                    "open_seconds": opened,
                    "rss_mb": memory,
                    "rss_after_mb": peak,
                },
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
