"""``[tool.alembic-lint]``: find, parse and validate settings; select rules."""

from __future__ import annotations

import fnmatch
import functools
import os
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from alembic_lint.inputs import read_text
from alembic_lint.rules import Rule, registry

SECTION = "tool.alembic-lint"

_KEYS = {
    "select",
    "extend-select",
    "ignore",
    "per-file-ignores",
    "exclude",
    "paths",
    "target-alembic-version",
    "dialect",
    "baseline",
    "head-file",
    "rules",
}


class ConfigError(Exception):
    """A bad setting: one line naming the file and the key (exit status 2)."""


@dataclass(frozen=True, slots=True)
class Layer:
    """One source of rule selection (the config file, then the command line)."""

    select: tuple[str, ...] | None = None
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Settings:
    """The resolved [tool.alembic-lint] settings of a project."""

    path: Path | None = None  # the file the settings came from
    root: Path = field(default_factory=Path.cwd)  # relative paths in the file are relative to it
    file_layer: Layer = Layer()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    exclude: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()
    target_alembic_version: str | None = None
    dialect: str | None = None  # the target database (dialects.NAMES); None: see dialects.py
    baseline: str | None = None
    #: A file that lists the current head(s), relative to ``root`` (see headfile.py).
    head_file: str | None = None
    rule_options: Mapping[str, Mapping[str, object]] = field(default_factory=dict)

    def head_file_for(self, locations: Sequence[Path | str]) -> str | None:
        """The head file's absolute path, when it belongs to a history at ``locations``."""
        from alembic_lint.headfile import applies

        if self.head_file is None:
            return None
        path = os.path.abspath(self.root / self.head_file)
        return path if applies(path, locations) else None

    def where(self) -> str:
        return str(self.path) if self.path else "command line"


# --------------------------------------------------------------------------- finding the file


def find(start: Path) -> Path | None:
    """The nearest pyproject.toml with a ``[tool.alembic-lint]`` table, walking up.

    A pyproject.toml that cannot be read (or a directory that cannot be looked into) is a
    ConfigError: it may hold the settings, and going on without them would lint with
    other rules than the user chose."""
    current = start.absolute()
    for directory in (current, *current.parents):
        candidate = directory / "pyproject.toml"
        try:
            regular = stat.S_ISREG(os.stat(candidate).st_mode)
        except (FileNotFoundError, NotADirectoryError):
            continue
        except OSError as exc:
            raise ConfigError(f"{candidate}: cannot read: {exc.strerror or exc}") from None
        if regular:
            try:
                text = read_text(candidate)
            except UnicodeDecodeError:
                continue
            except OSError as exc:
                raise ConfigError(f"{candidate}: cannot read: {exc.strerror or exc}") from None
            import tomllib  # only when there is TOML to read

            try:
                data = tomllib.loads(text)
            except (tomllib.TOMLDecodeError, RecursionError):
                if "alembic-lint" in text:
                    return candidate  # ours, but broken: load() says what is wrong
                continue
            if isinstance(data.get("tool"), dict) and "alembic-lint" in data["tool"]:
                return candidate
    return None


def load(path: Path | None) -> Settings:
    """Settings from ``path`` (a pyproject.toml, or a TOML file whose top level is the table)."""
    if path is None:
        return Settings()
    import tomllib  # only when there is TOML to read

    try:
        data = tomllib.loads(read_text(path))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    except RecursionError:
        raise ConfigError(f"{path}: invalid TOML: nested too deeply") from None
    tool = data.get("tool")
    if path.name == "pyproject.toml":
        table = tool.get("alembic-lint", {}) if isinstance(tool, dict) else {}
    elif isinstance(tool, dict) and "alembic-lint" in tool:
        table = tool["alembic-lint"]
    else:
        table = data
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [{SECTION}] must be a table")
    return _parse(table, path)


def _parse(table: dict[str, object], path: Path) -> Settings:
    where = f"{path}: [{SECTION}]"
    unknown = sorted(set(table) - _KEYS)
    if unknown:
        raise ConfigError(f"{where} unknown key {unknown[0]!r}")
    layer = Layer(
        select=_selectors(table, "select", where) if "select" in table else None,
        extend_select=_selectors(table, "extend-select", where),
        ignore=_selectors(table, "ignore", where),
    )
    per_file: list[tuple[str, tuple[str, ...]]] = []
    raw_pfi = table.get("per-file-ignores", {})
    if not isinstance(raw_pfi, dict):
        raise ConfigError(f"{where} 'per-file-ignores' must be a table of glob = [codes]")
    for glob, codes in raw_pfi.items():
        per_file.append((glob, _codes(codes, f"{where} per-file-ignores.{glob!r}")))
    version = table.get("target-alembic-version")
    if version is not None:
        _check_version(version, f"{where} 'target-alembic-version'")
    dialect = table.get("dialect")
    if dialect is not None:
        _check_dialect(dialect, f"{where} 'dialect'")
    baseline = table.get("baseline")
    if baseline is not None and not isinstance(baseline, str):
        raise ConfigError(f"{where} 'baseline' must be a string (a file path)")
    head_file = table.get("head-file")
    if head_file is not None and (not isinstance(head_file, str) or not head_file.strip()):
        raise ConfigError(f"{where} 'head-file' must be a string (a file path)")
    return Settings(
        path=path,
        root=path.parent,
        file_layer=layer,
        per_file_ignores=tuple(per_file),
        exclude=_strings(table, "exclude", where),
        paths=_strings(table, "paths", where),
        target_alembic_version=str(version) if version is not None else None,
        dialect=str(dialect) if dialect is not None else None,
        baseline=baseline,
        head_file=head_file,
        rule_options=_rule_options(table.get("rules", {}), where),
    )


def _strings(table: Mapping[str, object], key: str, where: str) -> tuple[str, ...]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where} {key!r} must be a list of strings")
    return tuple(value)


def _selectors(table: Mapping[str, object], key: str, where: str) -> tuple[str, ...]:
    return _codes(table.get(key, []), f"{where} {key!r}")


def _codes(value: object, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where} must be a list of rule codes, prefixes or names")
    for selector in value:
        if not matching(selector):
            raise ConfigError(f"{where} unknown rule code, prefix or name {selector!r}")
    return tuple(value)


def _check_version(value: object, where: str) -> None:
    from alembic_lint.alembic_versions import Version

    if not isinstance(value, str):
        raise ConfigError(f'{where} must be a string such as "1.13.3"')
    try:
        Version.parse(value)
    except ValueError as exc:
        raise ConfigError(f"{where} {exc}") from None


def _check_dialect(value: object, where: str) -> None:
    from alembic_lint.dialects import NAMES

    if value not in NAMES:
        known = ", ".join(f'"{name}"' for name in NAMES)
        raise ConfigError(f"{where} must be one of {known}, not {value!r}")


def _rule_options(value: object, where: str) -> dict[str, dict[str, object]]:
    if not isinstance(value, dict):
        raise ConfigError(f"{where} 'rules' must be a table of rule-name tables")
    result: dict[str, dict[str, object]] = {}
    for name, options in value.items():
        rule = _rule_by_name(name)
        if rule is None:
            raise ConfigError(f"{where} rules.{name}: unknown rule name")
        if not isinstance(options, dict):
            raise ConfigError(f"{where} rules.{name} must be a table")
        for key, option_value in options.items():
            option = rule.options.get(key)
            if option is None:
                known = ", ".join(sorted(rule.options)) or "none"
                raise ConfigError(
                    f"{where} rules.{name}: unknown option {key!r} (options: {known})"
                )
            problem = option.problem(option_value)
            if problem:
                raise ConfigError(f"{where} rules.{name}.{key}: {problem}")
        result[name] = dict(options)
    return result


def _rule_by_name(name: str) -> type[Rule] | None:
    return next((r for r in registry() if r.name == name), None)


# --------------------------------------------------------------------------- selection


def matching(selector: str) -> list[type[Rule]]:
    """Rules a selector names: ``ALL``, a code, a code prefix (``AL2``) or a rule name."""
    rules = registry()
    if selector == "ALL":
        return list(rules)
    by_name = [r for r in rules if r.name == selector]
    if by_name:
        return by_name
    if (selector[:2] == "AL" and selector[2:].isdigit()) or selector == "AL":
        return [r for r in rules if r.code.startswith(selector)]
    return []


def select_rules(layers: Sequence[Layer]) -> list[type[Rule]]:
    """Defaults, then each layer in turn: ``select`` resets, ``extend-select`` adds,
    ``ignore`` removes (ruff's precedence, with the command line as the last layer)."""
    chosen = {r.code for r in registry() if r.default}
    for layer in layers:
        if layer.select is not None:
            chosen = {r.code for s in layer.select for r in matching(s)}
        chosen |= {r.code for s in layer.extend_select for r in matching(s)}
        chosen -= {r.code for s in layer.ignore for r in matching(s)}
    return [r for r in registry() if r.code in chosen]


def cli_layer(select: str | None, extend_select: str | None, ignore: str | None) -> Layer:
    def split(value: str | None, option: str) -> tuple[str, ...]:
        if value is None:
            return ()
        items = tuple(v.strip() for v in value.split(",") if v.strip())
        for item in items:
            if not matching(item):
                raise ConfigError(f"{option}: unknown rule code, prefix or name {item!r}")
        return items

    return Layer(
        select=split(select, "--select") if select is not None else None,
        extend_select=split(extend_select, "--extend-select"),
        ignore=split(ignore, "--ignore"),
    )


# --------------------------------------------------------------------------- paths


def relative(settings: Settings, path: str) -> str:
    """``path`` relative to the settings' root, with forward slashes (for glob matching)."""
    root = str(settings.root)
    if os.path.isabs(path) and os.path.isabs(root):
        return _relative(path, root)
    return _relative.__wrapped__(path, root)  # relative paths depend on the cwd


@functools.lru_cache(maxsize=4096)
def _relative(path: str, root: str) -> str:
    # Asked once per finding and per file: os.path.relpath is slow enough to show.
    try:
        rel = os.path.relpath(path, root)
    except ValueError:
        rel = path
    return rel.replace(os.sep, "/")


def glob_match(pattern: str, rel_path: str) -> bool:
    """Match like ruff: against the relative path; a pattern without ``/`` matches any
    file or directory name in it (``archive`` excludes ``versions/archive/x.py``)."""
    if fnmatch.fnmatchcase(rel_path, pattern):
        return True
    if "/" not in pattern:
        return any(fnmatch.fnmatchcase(part, pattern) for part in rel_path.split("/"))
    return fnmatch.fnmatchcase(rel_path, pattern.rstrip("/") + "/*") or rel_path.startswith(
        pattern.rstrip("/") + "/"
    )


def is_excluded(settings: Settings, path: str) -> bool:
    if not settings.exclude:
        return False  # asked for every file of every run
    rel = relative(settings, path)
    return any(glob_match(p, rel) for p in settings.exclude)


def ignored_codes(settings: Settings, path: str) -> set[str]:
    """Codes per-file-ignores switch off for ``path``."""
    if not settings.per_file_ignores:
        return set()  # asked for every finding of every run
    rel = relative(settings, path)
    codes: set[str] = set()
    for glob, selectors in settings.per_file_ignores:
        if glob_match(glob, rel):
            codes |= {r.code for s in selectors for r in matching(s)}
    return codes
