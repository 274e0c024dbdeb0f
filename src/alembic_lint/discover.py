"""Find Alembic histories (config, version locations, revision files) without importing anything."""

from __future__ import annotations

import configparser
import importlib.machinery
import importlib.util
import io
import os
import re
import stat
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import cast

from alembic_lint.inputs import read_regular

__all__ = [
    "DISK",
    "DiscoveryError",
    "FileSystem",
    "HistorySpec",
    "NoHistory",
    "discover",
    "list_version_files",
    "load_position",
    "would_load",
]

# alembic/script/base.py:42-43
_SOURCE_REV_FILE = re.compile(r"(?!\.\#|__init__)(.*\.py)$")
_SOURCELESS_REV_FILE = re.compile(r"(?!\.\#|__init__)(.*\.py)(c|o)?$")
# alembic/config.py: legacy splitting when no path_separator is configured
_LEGACY_SPLIT = re.compile(r", *|(?: +)")
_LEGACY_SYS_PATH_SPLIT = re.compile(r", *|(?: +)|\:")
_SEPARATORS = {"space": " ", "newline": "\n", "os": os.pathsep, ":": ":", ";": ";"}


class FileSystem:
    """Where discovery looks: the disk (this class), or a tree that only git holds (see
    ``alembic_lint.git.views``). Paths are absolute strings; symlinks are followed as the
    operating system follows them. The disk is reached through ``os`` at call time, so
    that the replay trace (replay.py) observes every look."""

    def kind(self, path: str) -> str | None:
        """``"file"``, ``"dir"``, ``"other"`` (a FIFO, a socket...), or None: nothing
        there. Raises OSError when it cannot be looked at, ValueError for a NUL."""
        try:
            mode = os.stat(path).st_mode
        except (FileNotFoundError, NotADirectoryError):
            return None
        if stat.S_ISREG(mode):
            return "file"
        return "dir" if stat.S_ISDIR(mode) else "other"

    def entries(self, path: str) -> list[tuple[str, bool, bool]]:
        """(name, is a directory, is a symlink) of each entry; raises OSError."""
        found: list[tuple[str, bool, bool]] = []
        with os.scandir(path) as listing:
            for entry in listing:
                try:
                    is_dir = entry.is_dir()
                except OSError:
                    is_dir = False
                try:
                    is_link = entry.is_symlink()
                except OSError:
                    is_link = False
                found.append((entry.name, is_dir, is_link))
        return found

    def read_bytes(self, path: str) -> bytes:
        """A configuration file's bytes: a regular file's only, bounded (see inputs.py)."""
        return read_regular(path)

    def head(self, path: str, size: int) -> bytes | None:
        """The first ``size`` bytes of a regular file; None when it is not one. Only a
        regular file is opened (a FIFO would block; opening a device may act on it), and
        never waited on. Raises OSError when it cannot be read."""
        if not stat.S_ISREG(os.stat(path).st_mode):
            return None
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
        fd = os.open(path, flags)
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return None  # replaced meanwhile
            return os.read(fd, size)
        finally:
            os.close(fd)

    def realpath(self, path: str) -> str:
        return os.path.realpath(path)

    def package_roots(self, top: str, search: list[Path]) -> list[Path]:
        """The directories of top-level package ``top``, found without importing it:
        ``search`` (prepend_sys_path) first, as Alembic puts it at the front of sys.path."""
        if not top.isidentifier():
            return []
        spec = importlib.machinery.PathFinder.find_spec(top, [str(p) for p in search])
        if spec is None:
            try:
                spec = importlib.util.find_spec(top)
            except (ImportError, ValueError):
                return []
        if spec is None:
            return []
        if spec.submodule_search_locations is not None:
            return [Path(location) for location in spec.submodule_search_locations]
        if spec.has_location and spec.origin:  # a plain module: its directory (Python >= 3.12)
            return [Path(spec.origin).parent]
        return []


#: The file system itself.
DISK = FileSystem()


class DiscoveryError(Exception):
    """A one-line, user-facing message naming the path and the problem.

    The CLI prints it and exits 2.
    """


class NoHistory(DiscoveryError):
    """Nothing looks like an Alembic history there (as opposed to a config that is wrong)."""


@dataclass(frozen=True, slots=True)
class HistorySpec:
    """One Alembic history: where its revision files are and the options that shape it."""

    name: str  # the PATH argument as the user typed it, or the config file path
    locations: tuple[Path, ...]  # absolute version-location directories, Alembic's order, existing
    recursive: bool  # recursive_version_locations
    sourceless: bool
    config: Path | None  # the alembic.ini / pyproject.toml used, if any (the ini when both)
    files: tuple[Path, ...]  # absolute candidate revision files in Alembic's load order
    only: frozenset[Path] | None = None  # user passed individual .py files: report only these
    file_template: str | None = None  # as Alembic reads it (after %-interpolation)
    truncate_slug_length: int | None = None
    #: ``sqlalchemy.url`` of the ini section, as written (not interpolated): env.py reads
    #: it from there (see dialects.configured).
    sqlalchemy_url: str | None = None


def list_version_files(
    locations: Sequence[Path],
    *,
    recursive: bool,
    sourceless: bool,
    unreadable: list[tuple[str, OSError]] | None = None,
    fs: FileSystem = DISK,
) -> list[Path]:
    """The files Alembic loads from ``locations``, in its load order (``_load_revisions``).

    Paths are absolute but not resolved; a file reached twice (symlink, repeated location)
    is kept at its first occurrence, as Alembic does after warning "loaded twice".
    Directories that could not be listed (Alembic skips them without a word) are added to
    ``unreadable`` with the error.
    """
    seen: set[str] = set()
    found: list[Path] = []
    folders: dict[str, Callable[[str], Path]] = {}
    for location in locations:
        top = str(Path(location).absolute())
        try:
            if fs.kind(top) is None:
                continue
        except (OSError, ValueError):
            continue
        real_dirs: dict[str, str] = {}
        listing = _list_py_dir(
            top, recursive=recursive, sourceless=sourceless, problems=unreadable, fs=fs
        )
        for root, name, is_link in listing:
            # Resolving is a syscall per path component: do it once per directory, and per
            # file only for symlinks (the result is the same, at a fraction of the cost).
            # Strings, not Paths: this runs for every file of every run.
            real_parent = real_dirs.get(root)
            if real_parent is None:
                real_parent = real_dirs[root] = fs.realpath(root)
            path = os.path.join(root, name)
            real = fs.realpath(path) if is_link else os.path.join(real_parent, name)
            if real in seen:
                continue
            seen.add(real)
            # Alembic filters on the resolved path (Script._from_path(self, real_path)).
            if _is_revision_file(real, sourceless=sourceless, fs=fs):
                child = folders.get(root)
                if child is None:
                    child = folders[root] = _child_maker(Path(root))
                found.append(child(name))
    return found


def _child_maker(folder: Path) -> Callable[[str], Path]:
    """``folder / name`` for names from a directory listing: pathlib's own shortcut for
    those where it has one (a fifth of the cost; it runs for every file of every run)."""
    shortcut = getattr(folder, "_make_child_relpath", None)
    if callable(shortcut):
        return cast(Callable[[str], Path], shortcut)
    return folder.joinpath


def _list_py_dir(
    top: str,
    *,
    recursive: bool,
    sourceless: bool,
    problems: list[tuple[str, OSError]] | None = None,
    fs: FileSystem = DISK,
) -> Iterator[tuple[str, str, bool]]:
    """(directory, name, is a symlink) of each candidate, as Script._list_py_dir on Python
    3.11 lists them (os.walk, symlinked directories not followed)."""
    for root, dirs, files in _walk(top, problems, fs):
        if os.path.basename(root).endswith("__pycache__"):
            dirs.sort()  # Alembic leaves this order to the filesystem
            continue  # neither its files nor the recursive check, but its subdirs are walked
        for filename in sorted(files):
            yield root, filename, files[filename]
        cache = os.path.join(root, "__pycache__")
        if sourceless and _kind_or_none(fs, cache) == "dir":
            stems = {filename.split(".")[0] for filename in files}
            try:
                names = fs.entries(cache)
            except OSError as exc:
                if problems is not None:
                    problems.append((cache, exc))
                names = []
            # sorted: Alembic takes iterdir() order, which the filesystem decides
            for name, _, is_link in sorted(names):
                if name.split(".")[0] not in stems:
                    yield cache, name, is_link
        if not recursive:
            break
        dirs.sort()


def _walk(
    top: str, problems: list[tuple[str, OSError]] | None = None, fs: FileSystem = DISK
) -> Iterator[tuple[str, list[str], dict[str, bool]]]:
    """``os.walk(top)`` (top-down, links to directories not followed), except that files
    come with whether they are symlinks, which the directory entry tells for free; a
    directory that cannot be listed is added to ``problems``."""
    try:
        entries = fs.entries(top)
    except OSError as exc:
        if problems is not None and not isinstance(exc, FileNotFoundError):
            problems.append((top, exc))
        return
    dirs: list[str] = []
    links: set[str] = set()
    files: dict[str, bool] = {}
    for name, is_dir, is_link in entries:
        if is_dir:
            dirs.append(name)
            if is_link:
                links.add(name)
        else:
            files[name] = is_link
    yield top, dirs, files
    for name in dirs:  # the caller may sort or prune ``dirs`` first, as with os.walk
        if name not in links:
            yield from _walk(os.path.join(top, name), problems, fs)


def _kind_or_none(fs: FileSystem, path: str) -> str | None:
    """``fs.kind``, with what cannot be looked at taken as nothing there."""
    try:
        return fs.kind(path)
    except (OSError, ValueError):
        return None


def is_revision_name(path: str) -> bool:
    """Whether Alembic would load a (source) file of this name as a revision."""
    return _SOURCE_REV_FILE.match(os.path.basename(path)) is not None


def _is_revision_file(real: str, *, sourceless: bool, fs: FileSystem = DISK) -> bool:
    name = os.path.basename(real)
    match = (_SOURCELESS_REV_FILE if sourceless else _SOURCE_REV_FILE).match(name)
    if match is None:
        return False
    if sourceless and match.group(2):
        parent = os.path.dirname(real)
        if _kind_or_none(fs, os.path.join(parent, match.group(1))) is not None:
            return False
        if match.group(2) == "o" and _kind_or_none(fs, os.path.join(parent, match.group(1) + "c")):
            return False
    return True


def discover(
    paths: Sequence[str],
    *,
    section: str | None = None,
    cwd: Path | None = None,
    search: bool = True,
    warn: Callable[[str], None] | None = None,
    fs: FileSystem = DISK,
) -> list[HistorySpec]:
    """The histories at ``paths`` (a later one with the same locations merges into the
    earlier); with no PATH, those of ``cwd``. ``section`` is the ini section (``-n``).

    A directory that is not a history itself (no config, no migration files) is searched
    below (see :func:`search_below`), unless ``search`` is false. Raises DiscoveryError for
    anything that would make the result wrong, and when no history is found at all;
    ``warn`` hears about configs found by the search that cannot be read. ``fs`` is where
    to look (default: the disk; ``--against`` looks in a predicted merge).
    """
    cwd_path = Path(os.path.normpath((cwd or Path.cwd()).absolute()))
    ctx = _Ctx(cwd_path, section, search, warn, fs)
    if not paths:
        spec = _config_in_dir(ctx.cwd, ctx)
        if spec is not None:
            assert spec.config is not None
            return [_with_files(spec, ctx.show(spec.config), ctx)]
        paths = ["."]
    specs: list[HistorySpec] = []
    for raw in paths:
        for spec in _discover_path(raw, ctx):
            key = _location_key(spec, ctx)
            for i, earlier in enumerate(specs):
                if _location_key(earlier, ctx) == key:
                    if earlier.only is None or spec.only is None:
                        specs[i] = replace(earlier, only=None)
                    else:
                        specs[i] = replace(earlier, only=earlier.only | spec.only)
                    break
            else:
                specs.append(spec)
    return specs


@dataclass(frozen=True, slots=True)
class _Ctx:
    """Where discovery runs from and which ini section it reads."""

    cwd: Path
    section: str | None
    search: bool = True
    warn: Callable[[str], None] | None = None
    fs: FileSystem = DISK

    def show(self, path: Path) -> str:
        if path.is_relative_to(self.cwd) and path != self.cwd:
            return str(path.relative_to(self.cwd))
        return str(path)

    def real(self, path: Path) -> Path:
        return Path(self.fs.realpath(str(path)))


def _location_key(spec: HistorySpec, ctx: _Ctx) -> frozenset[Path]:
    return frozenset(ctx.real(location) for location in spec.locations)


def _with_files(spec: HistorySpec, name: str, ctx: _Ctx) -> HistorySpec:
    """``spec`` named ``name``, with its files; DiscoveryError if a directory of it cannot
    be listed (Alembic would skip it silently: a pass on what was never read)."""
    problems: list[tuple[str, OSError]] = []
    files = list_version_files(
        spec.locations,
        recursive=spec.recursive,
        sourceless=spec.sourceless,
        unreadable=problems,
        fs=ctx.fs,
    )
    # A __pycache__ that cannot be listed hides nothing unless sourceless files count.
    problems = [(p, e) for p, e in problems if spec.sourceless or not p.endswith("__pycache__")]
    if problems:
        where, exc = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise DiscoveryError(
            f"{ctx.show(Path(where))}: cannot list the directory: {_reason(exc)}{more}"
        )
    return replace(spec, name=name, files=tuple(files))


def _reason(exc: OSError) -> str:
    return exc.strerror or _one_line(exc)


def _lookup(path: Path, ctx: _Ctx) -> str | None:
    """What ``path`` is (``FileSystem.kind``: symlinks followed), None when nothing is
    there; DiscoveryError when it cannot be looked at (a directory on the way that we may
    not enter...)."""
    try:
        return ctx.fs.kind(str(path))
    except OSError as exc:
        raise DiscoveryError(f"{ctx.show(path)}: {_reason(exc)}") from None
    except ValueError:  # a NUL character
        raise DiscoveryError(f"{ctx.show(path)}: a path cannot hold a NUL character") from None


def _is_file(path: Path, ctx: _Ctx) -> bool:
    return _lookup(path, ctx) == "file"


def _is_dir(path: Path, ctx: _Ctx) -> bool:
    return _lookup(path, ctx) == "dir"


def _discover_path(raw: str, ctx: _Ctx) -> list[HistorySpec]:
    if not raw.strip():
        raise DiscoveryError(f"{raw!r}: an empty PATH (give . for the current directory)")
    path = Path(os.path.normpath(ctx.cwd / raw))
    kind = _lookup(path, ctx)
    if kind is None:
        raise DiscoveryError(f"{raw}: no such file or directory")
    if kind == "dir":
        spec = _discover_dir(path, raw, ctx, search=ctx.search)
        if spec is not None:
            return [spec]
        return _searched(path, raw, ctx)
    if kind != "file":
        raise DiscoveryError(f"{raw}: not a regular file or a directory")
    if path.suffix == ".py":
        spec = _discover_dir(path.parent, raw, ctx, search=False)
        assert spec is not None
        real = ctx.real(path)
        matches = [file for file in spec.files if ctx.real(file) == real]
        if not matches:
            where = ", ".join(ctx.show(location) for location in spec.locations)
            raise DiscoveryError(f"{raw}: not a revision file Alembic would load from {where}")
        return [replace(spec, only=frozenset(matches[:1]))]
    if path.name == "pyproject.toml":
        table = _load_toml(path, ctx)
        if table is None:
            raise DiscoveryError(f"{raw}: no [tool.alembic] table")
        # `alembic -c pyproject.toml` still reads ./alembic.ini (config.py _inis_from_config);
        # run the Alembic way, ./ is this directory.
        ini = path.parent / "alembic.ini"
        options = _Options.load(ini if _is_file(ini, ctx) else None, path, ctx)
        return [_with_files(_resolve(options), raw, ctx)]
    # Any other file is an ini, as for `alembic -c FILE`. Alembic then also reads the CWD's
    # pyproject.toml; run the Alembic way (from the config's directory) that is the sibling one.
    options = _Options.load(path, path.parent / "pyproject.toml", ctx)
    return [_with_files(_resolve(options), raw, ctx)]


def _discover_dir(directory: Path, raw: str, ctx: _Ctx, *, search: bool) -> HistorySpec | None:
    """The history ``directory`` is (configured here or by an ancestor, or a directory of
    migration files); None when it is none of these and ``search`` allows looking below."""
    spec = _config_in_dir(directory, ctx) or _owning_config(directory, ctx)
    if spec is None:
        if _is_script_directory(directory, ctx):
            directory = directory / "versions"
            spec = _owning_config(directory, ctx)
        if spec is None:
            if search and not _is_root(directory, ctx):
                return None  # a directory above the migrations: look below
            return _with_files(_unconfigured(raw, directory), raw, ctx)
    return _with_files(spec, raw, ctx)


def _unconfigured(name: str, directory: Path) -> HistorySpec:
    """A directory of migrations no config describes. Its subdirectories are read too (as
    with ``recursive_version_locations = true``): projects that keep revisions in
    per-release subdirectories list each in ``version_locations``, often in code, and
    reading only the top would leave most of the history unchecked without a word."""
    return HistorySpec(name, (directory,), True, False, config=None, files=())


def _searched(top: Path, raw: str, ctx: _Ctx) -> list[HistorySpec]:
    """The histories below ``top`` (see :func:`search_below`); DiscoveryError if none."""
    found = search_below(top, ctx)
    if not found.specs:
        passed = "".join(
            f"; {label}: {', '.join(items)}"
            for label, items in (
                ("unreadable configs", found.broken),
                ("cannot be read", found.unreadable),
                ("configs leading out of the repository", found.outside),
            )
            if items
        )
        stopped = (
            f"; stopped after {found.visited} directories, pass the versions directory"
            if found.truncated
            else ""
        )
        raise NoHistory(
            f"no Alembic history in {ctx.show(top)} or below (looked for alembic.ini, "
            f"pyproject.toml with [tool.alembic] and directories of migration files, in "
            f"{found.visited} {'directory' if found.visited == 1 else 'directories'}"
            f"{stopped}{passed}); pass a versions directory or a config file as PATH"
        )
    warn = ctx.warn
    if warn is not None:
        for problem in found.broken:
            warn(f"skipped a config that cannot be read: {problem}")
        if found.unreadable:
            warn(
                f"skipped what cannot be read below {ctx.show(top)}: {', '.join(found.unreadable)}"
            )
        for config in found.outside:
            warn(f"skipped {config}; pass the config as PATH to lint it")
        if found.truncated:
            warn(
                f"stopped looking for histories below {ctx.show(top)} after {found.visited} "
                "directories; pass the versions directories as PATHs to be sure none is missed"
            )
    return found.specs


def _is_script_directory(directory: Path, ctx: _Ctx) -> bool:
    """A script_location without a config next to it: ``env.py`` (or nothing) beside ``versions/``.

    Without this, ``alembic-lint migrations`` would lint ``env.py`` as a migration, and a
    directory holding only ``versions/`` would silently check nothing.
    """
    if not _is_dir(directory / "versions", ctx):
        return False
    if _is_file(directory / "env.py", ctx) or _is_file(directory / "script.py.mako", ctx):
        return True
    try:
        return not _Listing.of(directory, ctx).has_py
    except OSError:
        return False


def _config_in_dir(directory: Path, ctx: _Ctx) -> HistorySpec | None:
    """The history configured by ``directory``'s alembic.ini and/or pyproject.toml, if any."""
    ini, toml = directory / "alembic.ini", directory / "pyproject.toml"
    has_ini = _is_file(ini, ctx)
    has_table = _is_file(toml, ctx) and _load_toml(toml, ctx) is not None
    if not has_ini and not has_table:
        return None
    return _resolve(_Options.load(ini if has_ini else None, toml, ctx))


def _owning_config(directory: Path, ctx: _Ctx) -> HistorySpec | None:
    """A config in an ancestor whose version locations include ``directory``."""
    real = ctx.real(directory)
    for ancestor in directory.parents:
        try:
            spec = _config_in_dir(ancestor, ctx)
        except DiscoveryError:
            continue  # an unrelated broken config must not hide the standalone history
        if spec is None:
            continue
        for location in spec.locations:
            owned = ctx.real(location)
            if real == owned or (spec.recursive and real.is_relative_to(owned)):
                return spec
    return None


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split())


def _load_toml(path: Path, ctx: _Ctx) -> dict[str, object] | None:
    """``[tool.alembic]`` of a pyproject.toml, or None when it has none."""
    import tomllib  # only when there is TOML to read

    try:
        data = tomllib.loads(ctx.fs.read_bytes(str(path)).decode("utf-8"))
    except (OSError, ValueError) as exc:  # TOMLDecodeError and UnicodeDecodeError are ValueErrors
        raise DiscoveryError(f"{ctx.show(path)}: {_one_line(exc)}") from None
    tool = data.get("tool", {})
    table = tool.get("alembic") if isinstance(tool, dict) else None
    if table is not None and not isinstance(table, dict):
        raise DiscoveryError(f"{ctx.show(path)}: [tool.alembic] must be a table")
    return table


@dataclass(frozen=True, slots=True)
class _Options:
    """Alembic's option lookup (config.py 433-515): the ini section first, then [tool.alembic]."""

    ini: Path | None
    parser: configparser.ConfigParser | None  # None when the ini is absent or lacks the section
    section: str
    toml: Path | None
    table: dict[str, object]
    ctx: _Ctx

    @classmethod
    def load(cls, ini: Path | None, toml: Path | None, ctx: _Ctx) -> _Options:
        table = _load_toml(toml, ctx) if toml is not None and _is_file(toml, ctx) else None
        section = ctx.section or "alembic"
        parser = None
        if ini is not None:
            parser = configparser.ConfigParser({"here": ini.parent.as_posix()})
            try:
                data = io.BytesIO(ctx.fs.read_bytes(str(ini)))
                with io.TextIOWrapper(data, encoding="locale") as file:  # as Alembic reads it
                    parser.read_file(file)
            except (OSError, UnicodeDecodeError, configparser.Error) as exc:
                raise DiscoveryError(f"{ctx.show(ini)}: {_one_line(exc)}") from None
            if not parser.has_section(section):
                # Alembic falls back to [tool.alembic] for a missing section; a -n typo or an
                # ini that configures nothing is an error.
                if ctx.section is not None or table is None:
                    raise DiscoveryError(f"{ctx.show(ini)}: no [{section}] section")
                parser = None
        return cls(ini, parser, section, toml if table is not None else None, table or {}, ctx)

    @property
    def config(self) -> Path:
        config = self.ini or self.toml
        assert config is not None
        return config

    def _where(self, path: Path | None) -> str:
        return self.ctx.show(path or self.config)

    def _ini_get(self, name: str) -> str | None:
        if self.parser is None or not self.parser.has_option(self.section, name):
            return None
        try:
            return self.parser.get(self.section, name)
        except configparser.Error as exc:
            raise DiscoveryError(f"{self._where(self.ini)}: {_one_line(exc)}") from None

    def ini_raw(self, name: str) -> str | None:
        """An ini option as written, without interpolation (which only env.py's run may
        be able to complete)."""
        if self.parser is None or not self.parser.has_option(self.section, name):
            return None
        return self.parser.get(self.section, name, raw=True)

    def _toml_str(self, name: str, value: object) -> str:
        if not isinstance(value, str):
            raise DiscoveryError(
                f"{self._where(self.toml)}: string value expected for TOML parameter {name!r}"
            )
        assert self.toml is not None
        try:
            return value % {"here": self.toml.parent.as_posix()}
        except (KeyError, ValueError, TypeError):
            raise DiscoveryError(
                f"{self._where(self.toml)}: bad % substitution in TOML parameter {name!r}: "
                f"{value!r}"
            ) from None

    def string(self, name: str) -> tuple[str, Path] | None:
        """The value and the directory relative paths in it are resolved against."""
        value = self._ini_get(name)
        if value is not None:
            assert self.ini is not None
            return value, self.ini.parent
        if name not in self.table:
            return None
        assert self.toml is not None
        return self._toml_str(name, self.table[name]), self.toml.parent

    def boolean(self, name: str) -> bool:
        value = self._ini_get(name)
        if value is not None:
            return value == "true"
        flag = self.table.get(name, False)
        if not isinstance(flag, bool):
            raise DiscoveryError(
                f"{self._where(self.toml)}: boolean value expected for TOML parameter {name!r}"
            )
        return flag

    def integer(self, name: str) -> int | None:
        text, source = self._ini_get(name), self.ini
        if text is None:
            value = self.table.get(name)
            if value is None:
                return None
            if isinstance(value, int) and not isinstance(value, bool):
                return value
            text, source = self._toml_str(name, value), self.toml
        try:
            return int(text)
        except ValueError:
            raise DiscoveryError(
                f"{self._where(source)}: {name} must be an integer, not {text!r}"
            ) from None

    def _separator(self, *names: str) -> str | None:
        for name in names:
            value = self._ini_get(name)
            if value is not None:
                break
        else:
            return None
        if value not in _SEPARATORS:
            raise DiscoveryError(
                f"{self._where(self.ini)}: '{value}' is not a valid value for {name}; "
                "expected 'space', 'newline', 'os', ':', ';'"
            )
        return _SEPARATORS[value]

    def path_list(self, name: str) -> tuple[list[str], Path] | None:
        """``version_locations`` or ``prepend_sys_path`` split as Alembic splits them."""
        raw = self._ini_get(name)
        if raw:
            assert self.ini is not None
            if name == "version_locations":
                separator = self._separator("path_separator", "version_path_separator")
                legacy = _LEGACY_SPLIT
            else:
                separator = self._separator("path_separator")
                legacy = _LEGACY_SYS_PATH_SPLIT
            parts = legacy.split(raw) if separator is None else raw.split(separator)
            # Alembic keeps a blank entry of the legacy split (and " " between two separators),
            # which then means the CWD; nobody means that, so blanks are dropped.
            return [part.strip() for part in parts if part.strip()], self.ini.parent
        value = self.table.get(name)
        if value is None:
            return None
        if not isinstance(value, list):
            raise DiscoveryError(
                f"{self._where(self.toml)}: list value expected for TOML parameter {name!r}"
            )
        assert self.toml is not None
        return [self._toml_str(name, item) for item in value], self.toml.parent


def _resolve(options: _Options) -> HistorySpec:
    """Locations and options of a config, as ScriptDirectory.from_config reads them."""
    ctx, where = options.ctx, options.ctx.show(options.config)
    sys_paths = options.path_list("prepend_sys_path")
    search = [sys_paths[1] / entry for entry in sys_paths[0]] if sys_paths else []
    _no_nul(where, "prepend_sys_path", *(str(entry) for entry in search))

    # Deliberate deviation: Alembic resolves relative paths against the CWD; we resolve them
    # against the directory of the config file that holds them. That is the same when Alembic
    # is run the usual way (from the config's directory) and right when a monorepo user passes
    # backend/alembic.ini from the repository root.
    found = options.string("script_location")
    if found is None or not found[0]:
        # Flask-Migrate sets script_location in code to the directory holding alembic.ini.
        if options.ini is None or not _is_dir(options.ini.parent / "versions", ctx):
            raise DiscoveryError(f"{where}: No 'script_location' key found in configuration")
        script_dir = options.ini.parent
    else:
        _no_nul(where, "script_location", found[0])
        script_dir = _location(found[0], found[1], search, where, ctx)
        if _lookup(script_dir, ctx) is None:
            raise DiscoveryError(
                f"{where}: script_location {found[0]!r} does not exist ({ctx.show(script_dir)})"
            )

    versions = options.path_list("version_locations")
    if versions and versions[0]:
        _no_nul(where, "version_locations", *versions[0])
        candidates = [_location(entry, versions[1], search, where, ctx) for entry in versions[0]]
    else:
        candidates = [script_dir / "versions"]
    locations = tuple(location for location in candidates if _lookup(location, ctx) is not None)
    if not locations:
        names = ", ".join(ctx.show(location) for location in candidates)
        raise DiscoveryError(f"{where}: no version location exists: {names}")

    template = options.string("file_template")
    return HistorySpec(
        name=where,
        locations=locations,
        recursive=options.boolean("recursive_version_locations"),
        sourceless=options.boolean("sourceless"),
        config=options.config,
        files=(),
        file_template=template[0] if template else None,
        truncate_slug_length=options.integer("truncate_slug_length"),
        sqlalchemy_url=options.ini_raw("sqlalchemy.url"),
    )


def _no_nul(where: str, name: str, *values: str) -> None:
    """Refuse a path option holding NUL, which no path can (TOML can write it)."""
    if any("\0" in value for value in values):
        raise DiscoveryError(f"{where}: {name} holds a NUL character, which no path can")


def _location(value: str, base: Path, search: list[Path], where: str, ctx: _Ctx) -> Path:
    # util/pyfiles.py coerce_resource_to_filename: non-absolute with ':' is `package:subdir`
    if not os.path.isabs(value) and ":" in value:
        return _package_path(value, search, where, ctx)
    return base / value


def _package_path(value: str, search: list[Path], where: str, ctx: _Ctx) -> Path:
    """The directory of package resource ``pkg.sub:dir/sub``, found without importing ``pkg``."""
    package, *subpaths = value.split(":")
    top, *subpackages = package.split(".")
    roots = ctx.fs.package_roots(top, search)
    for part in subpackages:
        roots = [root / part for root in roots if _kind_or_none(ctx.fs, str(root / part)) == "dir"]
    if not roots:
        raise DiscoveryError(
            f"{where}: cannot find package {package!r} of {value!r} (it is never imported)"
        )
    for root in roots:  # a namespace package has several; importlib takes the first that has it
        if _kind_or_none(ctx.fs, str(root.joinpath(*subpaths))) is not None:
            return root.joinpath(*subpaths)
    return roots[0].joinpath(*subpaths)


# --------------------------------------------------------------------------- search below

#: How deep below a PATH histories are looked for, and how many directories at most: a
#: repository root with a vendored tree must not make a run slow, let alone hang.
SEARCH_DEPTH = 8
SEARCH_DIRS = 20_000
#: Directory names never searched: dependencies, builds and caches (hidden directories,
#: ``.git`` and ``.venv`` among them, are skipped too, and so are virtualenvs, conda
#: environments and ``pip install --target`` trees, by what marks them: see :class:`_Listing`).
SKIPPED_DIRS = frozenset(
    {
        "node_modules",
        "site-packages",
        "dist-packages",
        "__pycache__",
        "__pypackages__",
        "build",
        "dist",
    }
)
#: Bytes of a file read to tell a migration: Alembic requires ``down_revision``, and every
#: template binds it at module level in the first lines (annotated or not).
_SNIFF = 32_768
_BINDS_DOWN_REVISION = re.compile(rb"^down_revision\s*(?::[^=\n]*)?=", re.MULTILINE)
_CONFIG_NAMES = frozenset({"alembic.ini", "pyproject.toml"})


@dataclass(frozen=True, slots=True)
class Search:
    """What :func:`search_below` found, how far it looked, and what it had to pass by."""

    specs: list[HistorySpec]
    visited: int
    truncated: bool
    broken: tuple[str, ...]  # configs found that could not be read (their one-line errors)
    unreadable: tuple[str, ...] = ()  # directories and files that could not be read, why
    outside: tuple[str, ...] = ()  # configs whose version locations leave the tree


def search_below(top: Path, ctx: _Ctx) -> Search:
    """The histories in and below ``top``: configs (alembic.ini, pyproject.toml with
    [tool.alembic]) and directories holding migration files that no config found here (or
    above) already covers, in path order. Breadth first (histories live near the top; a
    big tree sorted before them must not use up the budget), bounded by
    :data:`SEARCH_DEPTH` and :data:`SEARCH_DIRS`; symlinked directories are not followed.

    A config found here whose version locations lead out of the repository holding
    ``top`` is passed by (a pull request must not make a run read the whole disk), as are
    directories and files that cannot be read; :class:`Search` names them."""
    from collections import deque

    from alembic_lint.atomic import work_tree

    boundary = Path(os.path.realpath(work_tree(str(top))))
    found: list[tuple[tuple[str, ...], Path, HistorySpec | None]] = []  # (order, dir, config)
    broken: list[str] = []
    unreadable: list[str] = []
    outside: list[str] = []
    visited = 0
    truncated = False
    queue: deque[tuple[Path, int]] = deque([(top, 0)])
    while queue:
        directory, depth = queue.popleft()
        if visited >= SEARCH_DIRS:
            truncated = True
            break
        visited += 1
        try:
            listing = _Listing.of(directory, ctx)
        except OSError as exc:
            unreadable.append(f"{ctx.show(directory)} ({_reason(exc)})")
            continue
        if depth > 0 and listing.environment:
            continue
        order = directory.relative_to(top).parts
        spec = None
        if listing.configs:
            try:
                spec = _config_in_dir(directory, ctx)
            except DiscoveryError as exc:
                broken.append(str(exc))
        if spec is not None:
            assert spec.config is not None
            leaving = _leaving(spec, boundary, ctx)
            if leaving is None:
                found.append((order, directory, spec))
            else:
                outside.append(f"{ctx.show(spec.config)} ({leaving})")
        elif listing.has_py or directory.name == "versions":
            unread: list[Path] = []
            if _is_root(directory, ctx, unread):
                found.append((order, directory, None))
                continue  # a directory of migrations holds no other history
            unreadable.extend(f"{ctx.show(file)} (cannot be read)" for file in unread)
        if depth >= SEARCH_DEPTH:
            truncated = truncated or bool(listing.subdirs)
            continue
        for name in sorted(listing.subdirs):
            if not (name.startswith(".") or name in SKIPPED_DIRS or name.endswith(".egg-info")):
                queue.append((directory / name, depth + 1))

    found.sort(key=lambda item: item[0])
    covered = [_covers(spec, ctx) for _, _, spec in found if spec is not None]
    specs: list[HistorySpec] = []
    for _, directory, config in found:
        spec = config
        if spec is None:  # a directory of migrations
            if any(test(ctx.real(directory)) for test in covered):
                continue
            spec = _owning_config(directory, ctx)
            if spec is not None and spec.config is not None:
                leaving = (
                    _leaving(spec, boundary, ctx)
                    if ctx.real(spec.config).is_relative_to(boundary)
                    else None
                )
                if leaving is not None:
                    outside.append(f"{ctx.show(spec.config)} ({leaving})")
                    spec = None
            if spec is None:
                spec = _unconfigured(ctx.show(directory), directory)
        try:
            specs.append(_with_files(spec, ctx.show(spec.config or directory), ctx))
        except DiscoveryError as exc:
            broken.append(str(exc))
    return Search(
        specs, visited, truncated, tuple(broken), tuple(unreadable), tuple(dict.fromkeys(outside))
    )


@dataclass(frozen=True, slots=True)
class _Listing:
    """What one directory holds, as far as the search cares (one scandir, no stats)."""

    subdirs: list[str]  # not symlinks
    has_py: bool  # another entry named *.py
    configs: bool  # an entry named alembic.ini or pyproject.toml (in any case: macOS)
    environment: bool  # a virtualenv, conda environment or pip --target tree

    @classmethod
    def of(cls, directory: Path, ctx: _Ctx) -> _Listing:
        """Raises OSError when ``directory`` cannot be listed."""
        subdirs: list[str] = []
        has_py = configs = environment = False
        for name, is_dir, is_link in ctx.fs.entries(str(directory)):
            if is_dir and not is_link:
                subdirs.append(name)
                # conda-meta: a conda environment; *.dist-info: what pip installed
                # here (a site-packages, or `pip install --target`)
                environment = environment or name == "conda-meta"
                environment = environment or name.endswith(".dist-info")
                continue
            lowered = name.lower()
            has_py = has_py or name.endswith(".py")
            configs = configs or lowered in _CONFIG_NAMES
            environment = environment or lowered == "pyvenv.cfg"
        return cls(subdirs, has_py, configs, environment)


def _leaving(spec: HistorySpec, boundary: Path, ctx: _Ctx) -> str | None:
    """The first version location of ``spec`` that is not inside ``boundary`` (resolved),
    described; None when all are inside."""
    for location in spec.locations:
        real = ctx.real(location)
        if not real.is_relative_to(boundary):
            return f"version location {real} is outside {boundary}"
    return None


def _covers(spec: HistorySpec, ctx: _Ctx) -> Callable[[Path], bool]:
    owned = [ctx.real(location) for location in spec.locations]

    def test(real: Path) -> bool:
        return any(real == o or (spec.recursive and real.is_relative_to(o)) for o in owned)

    return test


def _is_root(directory: Path, ctx: _Ctx, unreadable: list[Path] | None = None) -> bool:
    """Whether an unconfigured ``directory`` is the top of a history: it holds migration
    files, or it is named ``versions`` (Alembic's name for the place) and some of its
    subdirectories do (revisions kept per release, with none at the top). Files that
    could not be read are added to ``unreadable``."""
    fs = ctx.fs
    top = list_version_files([directory], recursive=False, sourceless=False, fs=fs)
    if _holds_migrations(top, ctx, unreadable):
        return True
    if directory.name != "versions":
        return False
    below = list_version_files([directory], recursive=True, sourceless=False, fs=fs)
    return _holds_migrations([f for f in below if f.parent != directory], ctx, unreadable)


def _holds_migrations(
    files: Sequence[Path], ctx: _Ctx, unreadable: list[Path] | None = None
) -> bool:
    """Whether any of ``files`` looks like a revision module (see :func:`_sniff`); those
    that could not be read are added to ``unreadable``."""
    for file in files:
        sniffed = _sniff(file, ctx)
        if sniffed:
            return True
        if sniffed is None and unreadable is not None:
            unreadable.append(file)
    return False


def _sniff(path: Path, ctx: _Ctx) -> bool | None:
    """Whether a regular file binds ``down_revision`` (which Alembic requires) at the start
    of a line, outside strings and brackets: a source file holding a migration template
    does not count. Reads the first :data:`_SNIFF` bytes (``FileSystem.head``); None when
    it cannot be read."""
    try:
        head = ctx.fs.head(str(path), _SNIFF)
    except OSError as exc:
        return None if isinstance(exc, PermissionError) else False
    if head is None or _BINDS_DOWN_REVISION.search(head) is None:
        return False
    import tokenize

    previous: tokenize.TokenInfo | None = None
    depth = 0  # brackets open: `f(\ndown_revision=1)` binds nothing
    try:
        for token in tokenize.tokenize(io.BytesIO(head).readline):
            if (
                depth == 0
                and previous is not None
                and previous.type == tokenize.NAME
                and previous.string == "down_revision"
                and previous.start[1] == 0
                and token.string in ("=", ":")
            ):
                return True
            if token.type == tokenize.OP:
                depth += (token.string in ("(", "[", "{")) - (token.string in (")", "]", "}"))
            if token.type not in (tokenize.COMMENT, tokenize.NL):
                previous = token
    except (tokenize.TokenError, SyntaxError, UnicodeDecodeError, LookupError, ValueError):
        # cut off mid-token, not Python 3, or a coding cookie naming no text encoding
        # (Alembic could not load it either): what came before still counts
        pass
    return False


def would_load(spec: HistorySpec, path: Path) -> bool:
    """Whether Alembic would load ``path`` as a revision file of ``spec`` once it exists
    (an editor's new, unsaved file), as :func:`list_version_files` would list it."""
    folder = path.parent
    for location in spec.locations:
        if folder == location or (spec.recursive and folder.is_relative_to(location)):
            inside = folder.relative_to(location).parts
            if any(part.endswith("__pycache__") for part in inside):
                return False
            return _SOURCE_REV_FILE.match(path.name) is not None
    return False


def load_position(files: Sequence[str | Path], path: str | Path) -> int:
    """Where ``path``, a file not yet in ``files`` (Alembic's load order), would be loaded:
    after the files of its directory whose names sort before its own."""
    folder, name = os.path.split(os.fspath(path))
    split = [os.path.split(os.fspath(f)) for f in files]
    siblings = [i for i, (parent, _) in enumerate(split) if parent == folder]
    return next(
        (i for i in siblings if split[i][1] > name),
        siblings[-1] + 1 if siblings else len(files),
    )
