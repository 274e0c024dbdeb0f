"""Find Alembic histories (config, version locations, revision files) without importing anything."""

from __future__ import annotations

import configparser
import importlib.machinery
import importlib.util
import os
import re
import stat
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import cast

__all__ = [
    "DiscoveryError",
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
    locations: Sequence[Path], *, recursive: bool, sourceless: bool
) -> list[Path]:
    """The files Alembic loads from ``locations``, in its load order (``_load_revisions``).

    Paths are absolute but not resolved; a file reached twice (symlink, repeated location)
    is kept at its first occurrence, as Alembic does after warning "loaded twice".
    """
    seen: set[str] = set()
    found: list[Path] = []
    folders: dict[str, Callable[[str], Path]] = {}
    for location in locations:
        top = str(Path(location).absolute())
        if not os.path.exists(top):
            continue
        real_dirs: dict[str, str] = {}
        for root, name, is_link in _list_py_dir(top, recursive=recursive, sourceless=sourceless):
            # Resolving is a syscall per path component: do it once per directory, and per
            # file only for symlinks (the result is the same, at a fraction of the cost).
            # Strings, not Paths: this runs for every file of every run.
            real_parent = real_dirs.get(root)
            if real_parent is None:
                real_parent = real_dirs[root] = os.path.realpath(root)
            path = os.path.join(root, name)
            real = os.path.realpath(path) if is_link else os.path.join(real_parent, name)
            if real in seen:
                continue
            seen.add(real)
            # Alembic filters on the resolved path (Script._from_path(self, real_path)).
            if _is_revision_file(real, sourceless=sourceless):
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


def _list_py_dir(top: str, *, recursive: bool, sourceless: bool) -> Iterator[tuple[str, str, bool]]:
    """(directory, name, is a symlink) of each candidate, as Script._list_py_dir on Python
    3.11 lists them (os.walk, symlinked directories not followed)."""
    for root, dirs, files in _walk(top):
        if os.path.basename(root).endswith("__pycache__"):
            dirs.sort()  # Alembic leaves this order to the filesystem
            continue  # neither its files nor the recursive check, but its subdirs are walked
        for filename in sorted(files):
            yield root, filename, files[filename]
        cache = os.path.join(root, "__pycache__")
        if sourceless and os.path.isdir(cache):
            stems = {filename.split(".")[0] for filename in files}
            # sorted: Alembic takes iterdir() order, which the filesystem decides
            for name in sorted(os.listdir(cache)):
                if name.split(".")[0] not in stems:
                    yield cache, name, os.path.islink(os.path.join(cache, name))
        if not recursive:
            break
        dirs.sort()


def _walk(top: str) -> Iterator[tuple[str, list[str], dict[str, bool]]]:
    """``os.walk(top)`` (top-down, links to directories not followed), except that files
    come with whether they are symlinks, which the directory entry tells for free."""
    try:
        entries = os.scandir(top)
    except OSError:
        return
    dirs: list[str] = []
    files: dict[str, bool] = {}
    with entries:
        for entry in entries:
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            if is_dir:
                dirs.append(entry.name)
                continue
            try:
                files[entry.name] = entry.is_symlink()
            except OSError:
                files[entry.name] = False
    yield top, dirs, files
    for name in dirs:  # the caller may sort or prune ``dirs`` first, as with os.walk
        path = os.path.join(top, name)
        if not os.path.islink(path):
            yield from _walk(path)


def _is_revision_file(real: str, *, sourceless: bool) -> bool:
    name = os.path.basename(real)
    match = (_SOURCELESS_REV_FILE if sourceless else _SOURCE_REV_FILE).match(name)
    if match is None:
        return False
    if sourceless and match.group(2):
        parent = os.path.dirname(real)
        if os.path.exists(os.path.join(parent, match.group(1))):
            return False
        if match.group(2) == "o" and os.path.exists(os.path.join(parent, match.group(1) + "c")):
            return False
    return True


def discover(
    paths: Sequence[str],
    *,
    section: str | None = None,
    cwd: Path | None = None,
    search: bool = True,
    warn: Callable[[str], None] | None = None,
) -> list[HistorySpec]:
    """The histories at ``paths`` (a later one with the same locations merges into the
    earlier); with no PATH, those of ``cwd``. ``section`` is the ini section (``-n``).

    A directory that is not a history itself (no config, no migration files) is searched
    below (see :func:`search_below`), unless ``search`` is false. Raises DiscoveryError for
    anything that would make the result wrong, and when no history is found at all;
    ``warn`` hears about configs found by the search that cannot be read.
    """
    ctx = _Ctx(Path(os.path.normpath((cwd or Path.cwd()).absolute())), section, search, warn)
    if not paths:
        spec = _config_in_dir(ctx.cwd, ctx)
        if spec is not None:
            assert spec.config is not None
            return [_with_files(spec, ctx.show(spec.config))]
        paths = ["."]
    specs: list[HistorySpec] = []
    for raw in paths:
        for spec in _discover_path(raw, ctx):
            key = _location_key(spec)
            for i, earlier in enumerate(specs):
                if _location_key(earlier) == key:
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

    def show(self, path: Path) -> str:
        if path.is_relative_to(self.cwd) and path != self.cwd:
            return str(path.relative_to(self.cwd))
        return str(path)


def _location_key(spec: HistorySpec) -> frozenset[Path]:
    return frozenset(location.resolve() for location in spec.locations)


def _with_files(spec: HistorySpec, name: str) -> HistorySpec:
    files = list_version_files(spec.locations, recursive=spec.recursive, sourceless=spec.sourceless)
    return replace(spec, name=name, files=tuple(files))


def _discover_path(raw: str, ctx: _Ctx) -> list[HistorySpec]:
    path = Path(os.path.normpath(ctx.cwd / raw))
    if not path.exists():
        raise DiscoveryError(f"{raw}: no such file or directory")
    if path.is_dir():
        spec = _discover_dir(path, raw, ctx, search=ctx.search)
        if spec is not None:
            return [spec]
        return _searched(path, raw, ctx)
    if path.suffix == ".py":
        spec = _discover_dir(path.parent, raw, ctx, search=False)
        assert spec is not None
        real = path.resolve()
        matches = [file for file in spec.files if file.resolve() == real]
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
        options = _Options.load(ini if ini.is_file() else None, path, ctx)
        return [_with_files(_resolve(options), raw)]
    # Any other file is an ini, as for `alembic -c FILE`. Alembic then also reads the CWD's
    # pyproject.toml; run the Alembic way (from the config's directory) that is the sibling one.
    return [_with_files(_resolve(_Options.load(path, path.parent / "pyproject.toml", ctx)), raw)]


def _discover_dir(directory: Path, raw: str, ctx: _Ctx, *, search: bool) -> HistorySpec | None:
    """The history ``directory`` is (configured here or by an ancestor, or a directory of
    migration files); None when it is none of these and ``search`` allows looking below."""
    spec = _config_in_dir(directory, ctx) or _owning_config(directory, ctx)
    if spec is None:
        if _is_script_directory(directory):
            directory = directory / "versions"
            spec = _owning_config(directory, ctx)
        if spec is None:
            if search and not _is_root(directory):
                return None  # a directory above the migrations: look below
            return _with_files(_unconfigured(raw, directory), raw)
    return _with_files(spec, raw)


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
        names = "" if not found.broken else f"; unreadable configs: {', '.join(found.broken)}"
        stopped = (
            f"; stopped after {found.visited} directories, pass the versions directory"
            if found.truncated
            else ""
        )
        raise NoHistory(
            f"no Alembic history in {ctx.show(top)} or below (looked for alembic.ini, "
            f"pyproject.toml with [tool.alembic] and directories of migration files, in "
            f"{found.visited} {'directory' if found.visited == 1 else 'directories'}"
            f"{stopped}{names}); pass a versions directory or a config file as PATH"
        )
    warn = ctx.warn
    if warn is not None:
        for problem in found.broken:
            warn(f"skipped a config that cannot be read: {problem}")
        if found.truncated:
            warn(
                f"stopped looking for histories below {ctx.show(top)} after {found.visited} "
                "directories; pass the versions directories as PATHs to be sure none is missed"
            )
    return found.specs


def _is_script_directory(directory: Path) -> bool:
    """A script_location without a config next to it: ``env.py`` (or nothing) beside ``versions/``.

    Without this, ``alembic-lint migrations`` would lint ``env.py`` as a migration, and a
    directory holding only ``versions/`` would silently check nothing.
    """
    if not (directory / "versions").is_dir():
        return False
    if (directory / "env.py").is_file() or (directory / "script.py.mako").is_file():
        return True
    return not any(p.suffix == ".py" for p in directory.iterdir() if p.is_file())


def _config_in_dir(directory: Path, ctx: _Ctx) -> HistorySpec | None:
    """The history configured by ``directory``'s alembic.ini and/or pyproject.toml, if any."""
    ini, toml = directory / "alembic.ini", directory / "pyproject.toml"
    has_table = toml.is_file() and _load_toml(toml, ctx) is not None
    if not ini.is_file() and not has_table:
        return None
    return _resolve(_Options.load(ini if ini.is_file() else None, toml, ctx))


def _owning_config(directory: Path, ctx: _Ctx) -> HistorySpec | None:
    """A config in an ancestor whose version locations include ``directory``."""
    real = directory.resolve()
    for ancestor in directory.parents:
        try:
            spec = _config_in_dir(ancestor, ctx)
        except DiscoveryError:
            continue  # an unrelated broken config must not hide the standalone history
        if spec is None:
            continue
        for location in spec.locations:
            owned = location.resolve()
            if real == owned or (spec.recursive and real.is_relative_to(owned)):
                return spec
    return None


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split())


def _load_toml(path: Path, ctx: _Ctx) -> dict[str, object] | None:
    """``[tool.alembic]`` of a pyproject.toml, or None when it has none."""
    import tomllib  # only when there is TOML to read

    try:
        with path.open("rb") as file:
            data = tomllib.load(file)
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
        table = _load_toml(toml, ctx) if toml is not None and toml.is_file() else None
        section = ctx.section or "alembic"
        parser = None
        if ini is not None:
            parser = configparser.ConfigParser({"here": ini.parent.as_posix()})
            try:
                with ini.open(encoding="locale") as file:  # Alembic reads the ini this way
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

    # Deliberate deviation: Alembic resolves relative paths against the CWD; we resolve them
    # against the directory of the config file that holds them. That is the same when Alembic
    # is run the usual way (from the config's directory) and right when a monorepo user passes
    # backend/alembic.ini from the repository root.
    found = options.string("script_location")
    if found is None or not found[0]:
        # Flask-Migrate sets script_location in code to the directory holding alembic.ini.
        if options.ini is None or not (options.ini.parent / "versions").is_dir():
            raise DiscoveryError(f"{where}: No 'script_location' key found in configuration")
        script_dir = options.ini.parent
    else:
        script_dir = _location(found[0], found[1], search, where)
        if not script_dir.exists():
            raise DiscoveryError(
                f"{where}: script_location {found[0]!r} does not exist ({ctx.show(script_dir)})"
            )

    versions = options.path_list("version_locations")
    if versions and versions[0]:
        candidates = [_location(entry, versions[1], search, where) for entry in versions[0]]
    else:
        candidates = [script_dir / "versions"]
    locations = tuple(location for location in candidates if location.exists())
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


def _location(value: str, base: Path, search: list[Path], where: str) -> Path:
    # util/pyfiles.py coerce_resource_to_filename: non-absolute with ':' is `package:subdir`
    if not os.path.isabs(value) and ":" in value:
        return _package_path(value, search, where)
    return base / value


def _package_path(value: str, search: list[Path], where: str) -> Path:
    """The directory of package resource ``pkg.sub:dir/sub``, found without importing ``pkg``."""
    package, *subpaths = value.split(":")
    top, *subpackages = package.split(".")
    roots = _package_roots(top, search)
    for part in subpackages:
        roots = [root / part for root in roots if (root / part).is_dir()]
    if not roots:
        raise DiscoveryError(
            f"{where}: cannot find package {package!r} of {value!r} (it is never imported)"
        )
    for root in roots:  # a namespace package has several; importlib takes the first that has it
        if root.joinpath(*subpaths).exists():
            return root.joinpath(*subpaths)
    return roots[0].joinpath(*subpaths)


def _package_roots(top: str, search: list[Path]) -> list[Path]:
    if not top.isidentifier():
        return []
    # prepend_sys_path first, as Alembic puts it at the front of sys.path; find_spec of a
    # top-level name locates it without executing anything.
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


# --------------------------------------------------------------------------- search below

#: How deep below a PATH histories are looked for, and how many directories at most: a
#: repository root with a vendored tree must not make a run slow, let alone hang.
SEARCH_DEPTH = 8
SEARCH_DIRS = 20_000
#: Directory names never searched: dependencies, builds and caches (hidden directories,
#: ``.git`` and ``.venv`` among them, and virtualenvs by their ``pyvenv.cfg`` are skipped too).
SKIPPED_DIRS = frozenset(
    {"node_modules", "site-packages", "dist-packages", "__pycache__", "build", "dist"}
)
#: Bytes of a file read to tell a migration: Alembic requires ``down_revision``, and every
#: template binds it at module level in the first lines (annotated or not).
_SNIFF = 32_768
_BINDS_DOWN_REVISION = re.compile(rb"^down_revision\s*(?::[^=\n]*)?=", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Search:
    """What :func:`search_below` found, and how far it looked."""

    specs: list[HistorySpec]
    visited: int
    truncated: bool
    broken: tuple[str, ...]  # configs found that could not be read (their one-line errors)


def search_below(top: Path, ctx: _Ctx) -> Search:
    """The histories in and below ``top``: configs (alembic.ini, pyproject.toml with
    [tool.alembic]) and directories holding migration files that no config found here (or
    above) already covers, in sorted walk order. Bounded by :data:`SEARCH_DEPTH` and
    :data:`SEARCH_DIRS`; symlinked directories are not followed."""
    configs: list[HistorySpec] = []
    loose: list[Path] = []
    broken: list[str] = []
    visited = 0
    truncated = False
    stack: list[tuple[Path, int]] = [(top, 0)]
    while stack:
        directory, depth = stack.pop()
        if visited >= SEARCH_DIRS:
            truncated = True
            break
        visited += 1
        try:
            spec = _config_in_dir(directory, ctx)
        except DiscoveryError as exc:
            broken.append(str(exc))
            spec = None
        if spec is not None:
            configs.append(spec)
        subdirs, has_py = _entries(directory)
        if spec is None and (has_py or directory.name == "versions") and _is_root(directory):
            loose.append(directory)
            continue  # a directory of migrations holds no other history
        if depth >= SEARCH_DEPTH:
            truncated = truncated or bool(subdirs)
            continue
        for name in sorted(subdirs, reverse=True):
            child = directory / name
            if not _skipped(child, name):
                stack.append((child, depth + 1))
    specs = [_with_files(spec, ctx.show(spec.config or top)) for spec in configs]
    covered = [_covers(spec) for spec in specs]
    for directory in loose:
        real = directory.resolve()
        if any(test(real) for test in covered):
            continue
        owner = _owning_config(directory, ctx)
        if owner is not None:
            assert owner.config is not None
            specs.append(_with_files(owner, ctx.show(owner.config)))
        else:
            name = ctx.show(directory)
            spec = _unconfigured(name, directory)
            specs.append(_with_files(spec, name))
    return Search(specs, visited, truncated, tuple(broken))


def _covers(spec: HistorySpec) -> Callable[[Path], bool]:
    owned = [location.resolve() for location in spec.locations]

    def test(real: Path) -> bool:
        return any(real == o or (spec.recursive and real.is_relative_to(o)) for o in owned)

    return test


def _entries(directory: Path) -> tuple[list[str], bool]:
    """Names of the subdirectories (not symlinks) of ``directory``, and whether any other
    entry is named ``*.py``."""
    subdirs: list[str] = []
    has_py = False
    try:
        with os.scandir(directory) as entries:
            for entry in entries:
                try:
                    is_dir = entry.is_dir(follow_symlinks=False)
                except OSError:
                    is_dir = False
                if is_dir:
                    subdirs.append(entry.name)
                elif entry.name.endswith(".py"):
                    has_py = True
    except OSError:
        pass
    return subdirs, has_py


def _skipped(path: Path, name: str) -> bool:
    if name.startswith(".") or name in SKIPPED_DIRS or name.endswith(".egg-info"):
        return True
    # A virtualenv (or conda environment) by what marks it, whatever its name.
    return (path / "pyvenv.cfg").exists() or (path / "conda-meta").is_dir()


def _is_root(directory: Path) -> bool:
    """Whether an unconfigured ``directory`` is the top of a history: it holds migration
    files, or it is named ``versions`` (Alembic's name for the place) and some of its
    subdirectories do (revisions kept per release, with none at the top)."""
    if _holds_migrations(list_version_files([directory], recursive=False, sourceless=False)):
        return True
    if directory.name != "versions":
        return False
    return _holds_migrations(list_version_files([directory], recursive=True, sourceless=False))


def _holds_migrations(files: Sequence[Path]) -> bool:
    """Whether any of ``files`` looks like a revision module (see :func:`_sniff`)."""
    return any(_sniff(file) for file in files)


def _sniff(path: Path) -> bool:
    """Whether a regular file binds ``down_revision`` (which Alembic requires) at the start
    of a line, outside strings: a source file holding a migration template does not count.
    Reads the first :data:`_SNIFF` bytes, never blocks on a FIFO."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return False
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return False
        head = os.read(fd, _SNIFF)
    except OSError:
        return False
    finally:
        os.close(fd)
    if _BINDS_DOWN_REVISION.search(head) is None:
        return False
    import io
    import tokenize

    previous: tokenize.TokenInfo | None = None
    try:
        for token in tokenize.tokenize(io.BytesIO(head).readline):
            if (
                previous is not None
                and previous.type == tokenize.NAME
                and previous.string == "down_revision"
                and previous.start[1] == 0
                and token.string in ("=", ":")
            ):
                return True
            if token.type not in (tokenize.COMMENT, tokenize.NL):
                previous = token
    except (tokenize.TokenError, SyntaxError, UnicodeDecodeError):
        pass  # cut off mid-token, or not Python 3: what came before still counts
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
