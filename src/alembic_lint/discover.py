"""Find Alembic histories (config, version locations, revision files) without importing anything."""

from __future__ import annotations

import configparser
import importlib.machinery
import importlib.util
import io
import os
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import cast

from alembic_lint.inputs import open_text, read_regular

__all__ = ["DiscoveryError", "HistorySpec", "discover", "list_version_files"]

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
    paths: Sequence[str], *, section: str | None = None, cwd: Path | None = None
) -> list[HistorySpec]:
    """One HistorySpec per PATH (a later one with the same locations merges into the earlier).

    With no PATH, the config in ``cwd`` is used. ``section`` is the ini section (``-n``).
    Raises DiscoveryError for anything that would make the result wrong or empty.
    """
    ctx = _Ctx(Path(os.path.normpath((cwd or Path.cwd()).absolute())), section)
    if not paths:
        spec = _config_in_dir(ctx.cwd, ctx)
        if spec is None:
            raise DiscoveryError(
                f"no alembic.ini or pyproject.toml with [tool.alembic] in {ctx.cwd}; "
                "pass a versions directory or a config file as PATH"
            )
        assert spec.config is not None
        return [_with_files(spec, ctx.show(spec.config))]
    specs: list[HistorySpec] = []
    for raw in paths:
        spec = _discover_path(raw, ctx)
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

    def show(self, path: Path) -> str:
        if path.is_relative_to(self.cwd) and path != self.cwd:
            return str(path.relative_to(self.cwd))
        return str(path)


def _location_key(spec: HistorySpec) -> frozenset[Path]:
    return frozenset(location.resolve() for location in spec.locations)


def _with_files(spec: HistorySpec, name: str) -> HistorySpec:
    files = list_version_files(spec.locations, recursive=spec.recursive, sourceless=spec.sourceless)
    return replace(spec, name=name, files=tuple(files))


def _discover_path(raw: str, ctx: _Ctx) -> HistorySpec:
    path = Path(os.path.normpath(ctx.cwd / raw))
    if not path.exists():
        raise DiscoveryError(f"{raw}: no such file or directory")
    if path.is_dir():
        return _discover_dir(path, raw, ctx)
    if path.suffix == ".py":
        spec = _discover_dir(path.parent, raw, ctx)
        real = path.resolve()
        matches = [file for file in spec.files if file.resolve() == real]
        if not matches:
            where = ", ".join(ctx.show(location) for location in spec.locations)
            raise DiscoveryError(f"{raw}: not a revision file Alembic would load from {where}")
        return replace(spec, only=frozenset(matches[:1]))
    if path.name == "pyproject.toml":
        table = _load_toml(path, ctx)
        if table is None:
            raise DiscoveryError(f"{raw}: no [tool.alembic] table")
        # `alembic -c pyproject.toml` still reads ./alembic.ini (config.py _inis_from_config);
        # run the Alembic way, ./ is this directory.
        ini = path.parent / "alembic.ini"
        return _with_files(_resolve(_Options.load(ini if ini.is_file() else None, path, ctx)), raw)
    # Any other file is an ini, as for `alembic -c FILE`. Alembic then also reads the CWD's
    # pyproject.toml; run the Alembic way (from the config's directory) that is the sibling one.
    return _with_files(_resolve(_Options.load(path, path.parent / "pyproject.toml", ctx)), raw)


def _discover_dir(directory: Path, raw: str, ctx: _Ctx) -> HistorySpec:
    spec = _config_in_dir(directory, ctx) or _owning_config(directory, ctx)
    if spec is None:
        if _is_script_directory(directory):
            directory = directory / "versions"
            spec = _owning_config(directory, ctx)
        if spec is None:
            spec = HistorySpec(raw, (directory,), False, False, config=None, files=())
    return _with_files(spec, raw)


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
        data = tomllib.load(io.BytesIO(read_regular(path)))
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
                with open_text(ini, encoding="locale") as file:  # Alembic reads the ini so
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
