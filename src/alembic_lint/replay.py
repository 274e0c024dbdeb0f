"""Replay a report whose every input is unchanged, without importing click, LibCST or rules.

A ``check`` run that only reports (no fixes, no standard input, no file written) is a
function of its command line, working directory, a few environment variables and
terminals, the alembic-lint code, and what it saw of the file system. While such a run
works, :class:`Trace` records every ``stat``, ``open`` and directory listing it makes;
at the end the report and those observations go into ``replay-*.bin``, in the cache
directory given (``--cache-dir``) or else in the user's cache home, sealed like every cache
file (see sealed.py): a record this user's alembic-lint did not write is never replayed.
A later identical command first looks for that record and re-observes each input the
cheap way (one ``stat`` each): when all look the same, it prints the recorded report.

Two rules keep it from ever being wrong, only sometimes not used:

- an input that changed while the run was working makes the run record nothing;
- a file or directory modified less than :data:`RACY_NS` before the record was written is
  *racy* (file-system clocks tick coarsely, so a later edit in the same tick would keep
  its timestamp): the run records nothing, and the next run, once that is past, will.
"""

from __future__ import annotations

import contextlib
import io
import os
import stat
import sys
import time
from collections.abc import Callable, Sequence
from typing import IO, Any, cast

from alembic_lint import sealed

#: Bump when the record's shape changes.
SCHEMA = 2
#: Inputs modified this recently (ns) when the run ends make it record nothing.
RACY_NS = 2_000_000_000
#: The environment the report depends on (colours, where the cache is).
ENV_KEYS = ("NO_COLOR", "FORCE_COLOR", "ALEMBIC_LINT_CACHE_DIR")
#: Records kept per directory (one per distinct command line and working directory).
KEEP = 64
#: Listings leave out a cache directory given inside the project (see Trace).
DIRNAME = ".alembic-lint-cache"
#: The ways of observing a path (see :func:`observe`).
KINDS = ("s", "l", "r", "d")
PREFIX = "replay-"

_PACKAGE = os.path.dirname(os.path.abspath(__file__))
# The real functions: the trace wraps the ``os`` attributes while a run is recorded.
_stat, _lstat = os.stat, os.lstat

# A signature: "-" absent; for a type probe the kind ("f", "d", "l:<target>", "o"); for a
# read [kind, mtime_ns, ctime_ns, size, inode]; for a listing the sorted names.
Signature = Any


# --------------------------------------------------------------------------- the key


def key(argv: Sequence[str]) -> dict[str, Any]:
    """Everything besides the file system that a report depends on, as JSON gives it back
    (lists, not tuples), so that it compares equal to a recorded one."""
    import json

    from alembic_lint import __version__, runtime

    material = {
        "schema": SCHEMA,
        "version": __version__,
        "code": _code_signature(),
        "libraries": runtime.libraries(),
        "python": sys.executable,
        "argv": list(argv),
        "cwd": os.getcwd(),
        "env": {name: os.environ.get(name) for name in ENV_KEYS},
        "tty": [_isatty(sys.stdout), _isatty(sys.stderr)],
        # The report is replayed as bytes: they hold only for the same text encoding.
        "encoding": [_encoding(sys.stdout), _encoding(sys.stderr)],
    }
    loaded: dict[str, Any] = json.loads(json.dumps(material))
    return loaded


def _encoding(stream: IO[Any] | None) -> list[str | None]:
    return [getattr(stream, "encoding", None), getattr(stream, "errors", None)]


def _isatty(stream: IO[Any] | None) -> bool:
    try:
        return stream is not None and stream.isatty()
    except (AttributeError, ValueError, OSError):
        return False


def _code_signature() -> list[Any]:
    """The alembic-lint sources' stats: an edited checkout must not replay old behaviour."""
    from alembic_lint import runtime

    return runtime.own_code()


def _name(material: dict[str, Any]) -> str:
    import json

    text = json.dumps(material, sort_keys=True).encode("utf-8", "surrogatepass")
    return f"{PREFIX}{sealed.blake2b(text, digest_size=16).hexdigest()}.bin"


# --------------------------------------------------------------------------- observing


def observe(path: str, kind: str) -> Signature:
    """What ``path`` looks like now: ``kind`` is "s" (stat), "l" (lstat), "r" (a file
    read) or "d" (a directory listed)."""
    try:
        info = _lstat(path) if kind == "l" else _stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return "-"
    return _signature(path, kind, info)


def _signature(path: str, kind: str, info: os.stat_result) -> Signature:
    mode = info.st_mode
    if kind == "l" and stat.S_ISLNK(mode):
        return "l:" + os.readlink(path)  # a re-pointed link is a different input
    what = (
        "f"
        if stat.S_ISREG(mode)
        else "d"
        if stat.S_ISDIR(mode)
        else "l"
        if stat.S_ISLNK(mode)
        else "o"
    )
    if kind in ("s", "l"):
        return what
    if kind == "d" and what == "d":
        # The names, not the timestamp: creating the cache beside the versions must not
        # count as a change (nor can a listing be racy).
        with os.scandir(path) as entries:
            return sorted(e.name + "/" * _is_dir(e) for e in entries if e.name != DIRNAME)
    return [what, info.st_mtime_ns, info.st_ctime_ns, info.st_size, info.st_ino]


def _is_dir(entry: os.DirEntry[str]) -> bool:
    """``entry.is_dir()``, False for an entry that cannot be followed (a symlink loop)."""
    try:
        return entry.is_dir()
    except OSError:
        return False


# --------------------------------------------------------------------------- replaying


def try_replay(argv: Sequence[str]) -> int | None:
    """Print a recorded report and return its exit status; None when there is none that
    still holds (the caller then runs normally)."""
    if not may_record(argv):
        return None
    try:
        material = key(argv)
        name = _name(material)
        for directory in _record_dirs(argv):
            found = _load(os.path.join(directory, name), material)
            if found is not None:
                stdout, stderr, status = found
                _write(sys.stdout, stdout)
                _write(sys.stderr, stderr)
                return status
    except BrokenPipeError:
        raise  # the reader is gone: running the check again would not reach it either
    except (OSError, ValueError, KeyError, TypeError, IndexError, RecursionError):
        return None
    return None


def may_record(argv: Sequence[str]) -> bool:
    """Cheap pre-check of the command line (the run decides for real, see :func:`allow`)."""
    blocked = {"-", "--no-cache", "--fix", "--diff", "--show-settings", "-h", "--help"}
    blocked |= {"--version", "--stdin-filename", "--write-baseline", "-o", "--output-file"}
    blocked.add("--against")  # the answer depends on git's refs, which no trace observes
    if argv and argv[0] in ("rule", "merge", "graph", "rebase", "server"):
        return False
    return not any(arg in blocked or arg.split("=", 1)[0] in blocked for arg in argv)


def _record_dirs(argv: Sequence[str]) -> list[str]:
    """Where the record may be: the cache directory given, else the user's cache home
    (never a directory the project brings: see the module docstring)."""
    given = None
    for index, arg in enumerate(argv):
        if arg == "--cache-dir" and index + 1 < len(argv):
            given = argv[index + 1]
        elif arg.startswith("--cache-dir="):
            given = arg.split("=", 1)[1]
    given = given or os.environ.get("ALEMBIC_LINT_CACHE_DIR")
    where = os.path.abspath(given) if given else default_dir()
    return [] if where is None or not sealed.real_directory(where) else [where]


def default_dir() -> str | None:
    """Where records go when no cache directory is given."""
    home = sealed.home()
    return None if home is None else os.path.join(home, sealed.REPLAY_DIR)


def _load(path: str, material: dict[str, Any]) -> tuple[bytes, bytes, int] | None:
    """The output and status a record holds, when it is sealed by this user, made for
    ``material`` and every input it lists still looks the same; else None."""
    import json

    data = sealed.read(path)
    if data is None:
        return None
    header, _, body = data.partition(b"\n")
    record = json.loads(header)
    if type(record) is not dict or record.get("key") != material:
        return None
    inputs, out_len, err_len, status = (
        record.get(k) for k in ("inputs", "stdout", "stderr", "status")
    )
    if not (
        type(inputs) is list
        and type(out_len) is int
        and type(err_len) is int
        and type(status) is int
        and status in (0, 1)
        and 0 <= out_len <= len(body)
        and len(body) == out_len + err_len
    ):
        return None
    for item in inputs:
        if type(item) is not list or len(item) != 3:
            return None
        path_, kind, signature = item
        if type(path_) is not str or kind not in KINDS or observe(path_, kind) != signature:
            return None
    return body[:out_len], body[out_len:], status


def _write(stream: IO[str], data: bytes) -> None:
    if not data:
        return
    stream.flush()
    buffer = getattr(stream, "buffer", None)
    if buffer is not None:
        buffer.write(data)
        buffer.flush()
    else:  # a text-only stream (a test's capture): the report was written as UTF-8 text
        stream.write(data.decode("utf-8", "surrogateescape"))
        stream.flush()


# --------------------------------------------------------------------------- recording


class _Tee(io.RawIOBase):
    """Passes bytes through to a stream and keeps a copy."""

    def __init__(self, target: IO[bytes]) -> None:
        super().__init__()
        self.target = target
        self.data = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self.target.write(chunk)
        self.data += chunk
        return len(chunk)

    def flush(self) -> None:
        self.target.flush()

    def isatty(self) -> bool:
        return self.target.isatty()

    def fileno(self) -> int:
        return self.target.fileno()


_ACTIVE: Trace | None = None
_HOOKED = False


def _audit(event: str, args: tuple[Any, ...]) -> None:
    trace = _ACTIVE
    if trace is None:
        return
    if event == "open":
        path, mode, flags = args
        writing = (mode is not None and any(c in str(mode) for c in "wax+")) or (
            isinstance(flags, int) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT)
        )
        if not writing:
            trace.note(path, "r")
    elif event in ("os.listdir", "os.scandir"):
        trace.note(args[0] if args[0] is not None else ".", "d")


class Trace:
    """Observes the file-system inputs of one run and its output, to record them."""

    def __init__(self, argv: Sequence[str]) -> None:
        self.argv = list(argv)
        self.cwd = os.getcwd()
        self.inputs: dict[tuple[str, str], Signature] = {}
        self.record_dir: str | None = None  # set by the run when it may be replayed
        self.ignored: list[str] = []  # cache directories: what is in them never matters
        self._saved: list[Any] = []
        self._busy = False
        self._streams: list[tuple[str, Any, _Tee]] = []

    def note(self, path: object, kind: str, info: os.stat_result | None = None) -> None:
        """Record what ``path`` looks like now (``info``: its stat, just taken)."""
        if isinstance(path, bytes):
            path = os.fsdecode(path)
        elif not isinstance(path, str):
            path = getattr(path, "__fspath__", lambda: None)()
            if not isinstance(path, str):
                return  # a file descriptor
        # os.path.abspath without asking the OS for the working directory every time
        where = (os.path.normpath(os.path.join(self.cwd, path)), kind)
        if where not in self.inputs and not self._busy:
            self._busy = True  # observing lists and stats too
            try:
                if info is not None and kind in ("s", "r"):
                    self.inputs[where] = _signature(where[0], kind, info)
                else:
                    self.inputs[where] = observe(where[0], kind)
            except OSError:
                self.inputs[where] = "?"  # never equal to what a replay observes
            finally:
                self._busy = False

    # -- life cycle

    def start(self) -> None:
        global _ACTIVE, _HOOKED
        # The key first (made on a first run): creating the cache home is not an input.
        sealed.key()
        stat_, lstat_ = os.stat, os.lstat

        def traced(original: Callable[..., Any], kind: str) -> Callable[..., Any]:
            def wrapper(path: Any, *args: Any, **kwargs: Any) -> Any:
                if _ACTIVE is not self or args or kwargs.get("dir_fd") is not None:
                    return original(path, *args, **kwargs)
                kind_here = kind if kwargs.get("follow_symlinks", True) else "l"
                try:
                    info = original(path, *args, **kwargs)
                except OSError:
                    self.note(path, kind_here)
                    raise
                self.note(path, kind_here, info)  # its own stat will do
                return info

            return wrapper

        self._saved = [stat_, lstat_]
        os.stat = traced(stat_, "s")
        os.lstat = traced(lstat_, "l")
        if not _HOOKED:
            sys.addaudithook(_audit)
            _HOOKED = True
        _ACTIVE = self
        for name in ("stdout", "stderr"):
            stream = getattr(sys, name)
            buffer = getattr(stream, "buffer", None)
            if buffer is None or not isinstance(stream, io.TextIOWrapper):
                continue
            stream.flush()
            tee = _Tee(buffer)
            wrapper = io.TextIOWrapper(
                cast(Any, tee),  # a raw stream: every write goes straight through
                encoding=stream.encoding,
                errors=stream.errors,
                line_buffering=stream.line_buffering,
                write_through=True,
            )
            self._streams.append((name, stream, tee))
            setattr(sys, name, wrapper)

    def stop(self) -> None:
        global _ACTIVE
        _ACTIVE = None
        if self._saved:
            os.stat, os.lstat = self._saved
            self._saved = []
        for name, stream, _ in self._streams:
            getattr(sys, name).flush()
            setattr(sys, name, stream)

    def finish(self, status: int) -> None:
        """Stop tracing; write the record when the run may be replayed and nothing it saw
        changed or is racy."""
        self.stop()
        if self.record_dir is None or status not in (0, 1) or len(self._streams) != 2:
            return
        outputs = {name: bytes(tee.data) for name, _, tee in self._streams}
        ignored = [os.path.join(os.path.abspath(d), "") for d in self.ignored]
        limit = time.time_ns() - RACY_NS
        inputs = [
            [path, kind, seen]
            for (path, kind), seen in sorted(self.inputs.items())
            if not (
                path.startswith(_PACKAGE)  # see the key's code signature
                or path.endswith(".pyc")  # imports: compiled from sources traced or keyed
                or any((path + os.sep).startswith(i) for i in ignored)
            )
        ]
        for _, kind, seen in inputs:
            if kind == "r" and isinstance(seen, list) and max(seen[1], seen[2]) > limit:
                return  # racy (see the module docstring): typically the file just edited
        for path, kind, seen in inputs:
            if observe(path, kind) != seen:
                return  # it changed while the run was working
        self._write(outputs["stdout"], outputs["stderr"], status, inputs)

    def _write(self, stdout: bytes, stderr: bytes, status: int, inputs: list[Any]) -> None:
        import json

        assert self.record_dir is not None
        material = key(self.argv)
        header = {
            "key": material,
            "inputs": inputs,
            "stdout": len(stdout),
            "stderr": len(stderr),
            "status": status,
        }
        data = json.dumps(header, separators=(",", ":")).encode() + b"\n" + stdout + stderr
        if not sealed.prepare(self.record_dir):
            return  # a link, a file or nothing writable there: no record
        try:
            sealed.write(os.path.join(self.record_dir, _name(material)), data)
            _prune(self.record_dir)
        except OSError:
            pass  # a read-only cache still lints; it just does not get faster


def _prune(directory: str) -> None:
    records = []
    with os.scandir(directory) as entries:
        for entry in entries:
            if entry.name.startswith(PREFIX) and entry.name.endswith(".bin"):
                records.append((entry.stat(follow_symlinks=False).st_mtime_ns, entry.path))
    for _, path in sorted(records, reverse=True)[KEEP:]:
        with contextlib.suppress(OSError):
            os.unlink(path)


def stat_content(path: str) -> os.stat_result:
    """``os.stat(path)``, telling the run in progress, if any, that its report depends on
    the file's content although it may not read it (it knows the file by this stat: see
    cache.Cache.stat_of). One stat does for both."""
    info = _stat(path)
    trace = _ACTIVE
    if trace is not None:
        trace.note(path, "r", info)
    return info


def current() -> Trace | None:
    """The trace of the run in progress, if any (the ``check`` command reports to it)."""
    return _ACTIVE


def allow(record_dir: str, cache_dirs: Sequence[str]) -> None:
    """Called by ``check`` when this run only reports: it may be replayed, and its record
    goes to ``record_dir``; ``cache_dirs`` hold nothing that matters to the report."""
    trace = _ACTIVE
    if trace is not None:
        trace.record_dir = record_dir
        trace.ignored = list(cache_dirs)
