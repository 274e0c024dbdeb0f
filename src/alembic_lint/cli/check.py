"""`alembic-lint [check] PATHS`: lint histories and report (the default command)."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from alembic_lint.cli import (
    EXIT_FINDINGS,
    EXIT_OK,
    FORMATS,
    UserError,
    cli,
    missing,
    repository_root,
    use_color,
    warn,
)
from alembic_lint.printable import printable
from alembic_lint.wording import plural

if TYPE_CHECKING:
    from alembic_lint.alembic_versions import Version
    from alembic_lint.config import Settings
    from alembic_lint.diagnostics import Diagnostic
    from alembic_lint.dialects import Target
    from alembic_lint.discover import HistorySpec
    from alembic_lint.engine import Reader
    from alembic_lint.rules import Rule

DEFAULT_BASELINE = ".alembic-lint-baseline.json"


class _Positive(click.types.IntParamType):
    """A whole number, 1 or more (click's IntRange calls itself an "integer range")."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        number: int = super().convert(value, param, ctx)
        if number < 1:
            self.fail(f"{number} is less than 1", param, ctx)
        return number


_POSITIVE = _Positive()


@cli.command()
@click.argument("paths", nargs=-1)
@click.option(
    "-n", "--name", "section", metavar="SECTION", help="ini section to read (like alembic -n)."
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(FORMATS),
    default="concise",
    show_default=True,
    help="Output format.",
)
@click.option("-o", "--output-file", metavar="FILE", help="Write the report to FILE.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@click.option(
    "--stdin-filename",
    metavar="PATH",
    help="Lint standard input as the file PATH (give `-` as the only PATH), in the context of "
    "its history on disk; report findings for that file only.",
)
@click.option(
    "--config",
    "config_file",
    metavar="FILE",
    help="Settings file (default: the nearest pyproject.toml with [tool.alembic-lint]).",
)
@click.option("--select", metavar="CODES", help="Rules to run (codes, prefixes like AL2, names).")
@click.option("--extend-select", metavar="CODES", help="Rules to run in addition.")
@click.option("--ignore", metavar="CODES", help="Rules not to run.")
@click.option(
    "--baseline", "baseline_file", metavar="FILE", help="Hold back the findings recorded in FILE."
)
@click.option(
    "--write-baseline",
    "write_baseline",
    is_flag=False,
    flag_value="",
    default=None,
    metavar="[FILE]",
    help="Record every current finding in FILE (default: the `baseline` setting, else "
    f"{DEFAULT_BASELINE} next to the settings file).",
)
@click.option("--show-settings", is_flag=True, help="Print the resolved settings and exit.")
@click.option("--no-cache", is_flag=True, help="Neither read nor write the cache.")
@click.option(
    "--cache-dir",
    metavar="DIR",
    envvar="ALEMBIC_LINT_CACHE_DIR",
    help="Cache directory (default: one per project in $XDG_CACHE_HOME/alembic-lint, else "
    "~/.cache/alembic-lint; also ALEMBIC_LINT_CACHE_DIR). Files there that the key in that "
    "cache home did not seal are ignored.",
)
@click.option(
    "--jobs",
    "-j",
    type=_POSITIVE,
    default=None,
    help="Processes for parsing a cold history (default: the available CPUs; 1: in-process).",
)
@click.option(
    "--against",
    metavar="REV",
    help="Check the histories as they will be after merging the work tree (uncommitted "
    "changes included) into git revision REV, e.g. origin/main; report what this branch "
    "adds, changes or breaks.",
)
@click.option("--fix", is_flag=True, help="Apply the safe fixes, then report what is left.")
@click.option("--diff", is_flag=True, help="Print the fixes as a unified diff; change nothing.")
@click.option("--unsafe-fixes", is_flag=True, help="With --fix/--diff, apply unsafe fixes too.")
def check(
    paths: tuple[str, ...],
    section: str | None,
    output_format: str,
    output_file: str | None,
    exit_zero: bool,
    stdin_filename: str | None,
    config_file: str | None,
    select: str | None,
    extend_select: str | None,
    ignore: str | None,
    baseline_file: str | None,
    write_baseline: str | None,
    show_settings: bool,
    no_cache: bool,
    cache_dir: str | None,
    jobs: int | None,
    against: str | None,
    fix: bool,
    diff: bool,
    unsafe_fixes: bool,
) -> int:
    """Check the migration histories at PATHS."""
    from alembic_lint import config, discover, engine
    from alembic_lint.atomic import sweep

    if write_baseline and os.path.isdir(write_baseline):
        # `--write-baseline versions`: the optional FILE swallowed a PATH.
        paths, write_baseline = (*paths, write_baseline), ""

    try:
        settings = config.load(
            Path(config_file).absolute() if config_file else config.find(Path.cwd())
        )
        chosen = config.select_rules(
            [settings.file_layer, config.cli_layer(select, extend_select, ignore)]
        )
    except config.ConfigError as exc:
        raise UserError(str(exc)) from None
    if against is None:  # the rules that compare with a base have nothing to compare with
        chosen = [r for r in chosen if not r.needs_branch]

    if fix and stdin_filename is not None:
        raise UserError("--fix cannot write standard input; use --diff")
    if against is not None:
        clash = next(
            (
                name
                for name, given in (
                    ("--fix", fix),
                    ("--diff", diff),
                    ("--stdin-filename", stdin_filename is not None),
                    ("--write-baseline", write_baseline is not None),
                )
                if given
            ),
            None,
        )
        if clash is not None:
            raise UserError(f"--against cannot be combined with {clash}")
        targets = list(paths) or [str(settings.root / p) for p in settings.paths]
        return _check_against(
            against,
            targets,
            section,
            settings,
            chosen,
            output_format,
            output_file,
            exit_zero,
            baseline_file,
            no_cache,
            cache_dir,
            jobs,
            show_settings,
        )
    reader: Reader = engine.read_bytes
    specs: list[HistorySpec]
    no_history: str | None = None  # why, when --show-settings runs where there is none
    try:
        if stdin_filename is not None:
            if paths not in ((), ("-",)):
                raise UserError("with --stdin-filename, give `-` (or nothing) as PATH")
            specs, reader = _stdin_history(stdin_filename, section)
        else:
            if "-" in paths:
                raise UserError("`-` (standard input) needs --stdin-filename PATH")
            targets = list(paths) or [str(settings.root / p) for p in settings.paths]
            specs = discover.discover(targets, section=section, warn=warn)
    except discover.DiscoveryError as exc:
        if not show_settings:
            raise UserError(str(exc)) from None
        # the settings are worth showing where there is no history (yet) too
        specs, no_history = [], str(exc)

    from alembic_lint.alembic_versions import target_version

    target, target_source = target_version(settings, specs, Path.cwd())
    rules = [cls(settings.rule_options.get(cls.name), alembic=target) for cls in chosen]
    if show_settings:
        shown = [
            engine.history_dialect(
                spec.name,
                spec.files,
                engine.Options(
                    rules=rules,
                    reader=reader if stdin_filename is not None else None,
                    cache_dir=None if no_cache else _cache_dir(cache_dir, settings, spec),
                    jobs=jobs or engine.available_cpus(),
                    dialect=_dialect(settings, spec),
                ),
                spec.locations,
            )
            for spec in specs
        ]
        text = _settings_text(settings, chosen, specs, target, target_source, shown)
        if no_history is not None:
            text += f"history: none ({no_history})\n"
        click.echo("\n".join(printable(line) for line in text.split("\n")), nl=False)
        return EXIT_OK

    sources: dict[str, str] = {}
    from alembic_lint.git.deleted import Archive

    archives = {spec.name: Archive(spec.locations) for spec in specs}

    def run(with_fixes: bool) -> tuple[list[Diagnostic], int]:
        found: list[Diagnostic] = []
        checked = 0
        for spec in specs:
            files = list(spec.files)
            # what a run killed while writing (--fix, merge) left behind
            below = map(os.path.dirname, files) if spec.recursive else ()
            for directory in {*map(str, spec.locations), *below}:
                sweep(directory)
            excluded = (
                [str(f) for f in files if config.is_excluded(settings, str(f))]
                if settings.exclude
                else []
            )
            if len(excluded) == len(files):
                warn(f"no migration files in {spec.name}")
                continue
            only = [str(p) for p in spec.only] if spec.only is not None else None
            checked += len(files) - len(excluded) if spec.only is None else len(spec.only)
            options = engine.Options(
                rules=rules,
                settings=settings,
                reader=reader if stdin_filename is not None else None,  # None: the disk
                cache_dir=None if no_cache else _cache_dir(cache_dir, settings, spec),
                jobs=jobs or engine.available_cpus(),
                disk_outside_only=stdin_filename is not None,
                dialect=_dialect(settings, spec),
            )
            found.extend(
                engine.lint(
                    spec.name,
                    files,
                    options,
                    locations=spec.locations,
                    only=only,
                    exclude=excluded,
                    sources=sources if output_format == "full" else None,
                    fixes=with_fixes,
                    archive=archives[spec.name],
                    head_file=settings.head_file_for(spec.locations),
                )
            )
        return found, checked

    try:
        if fix or diff:
            diagnostics, checked = run(True)
            changed = _apply_fixes(diagnostics, reader, write=fix and not diff, unsafe=unsafe_fixes)
            if diff:
                return EXIT_FINDINGS if changed else EXIT_OK
        diagnostics, checked = run(output_format == "json")
    finally:
        for archive in archives.values():
            archive.close()

    if write_baseline is not None or baseline_file is not None or settings.baseline is not None:
        never = {r.code for r in chosen if r.graph and not r.schema}
        diagnostics = _baseline(diagnostics, settings, never, baseline_file, write_baseline, reader)

    reports_only = not (fix or diff or show_settings or no_cache) and output_file is None
    if reports_only and specs and stdin_filename is None and write_baseline is None:
        from alembic_lint import replay, sealed

        record_dir = os.path.abspath(cache_dir) if cache_dir else replay.default_dir()
        home = sealed.home()
        if sealed.key() is not None and record_dir is not None and home is not None:
            # What alembic-lint keeps in the cache home (the key, the caches) is no input.
            dirs = [d for spec in specs if (d := _cache_dir(cache_dir, settings, spec))]
            replay.allow(record_dir, [*dirs, home])
    return _report(diagnostics, output_format, output_file, exit_zero, checked, sources)


def _check_against(
    revision: str,
    targets: list[str],
    section: str | None,
    settings: Settings,
    chosen: list[type[Rule]],
    output_format: str,
    output_file: str | None,
    exit_zero: bool,
    baseline_file: str | None,
    no_cache: bool,
    cache_dir: str | None,
    jobs: int | None,
    show_settings: bool,
) -> int:
    """``check --against REV``: lint the predicted merge of the work tree into REV,
    reporting on what this branch added, changed or deleted."""
    from alembic_lint import against, config, discover, engine

    existing = [Path(t) for t in targets if os.path.exists(t)]
    where = existing[0].absolute() if existing else Path.cwd()
    try:
        prediction = against.predict(revision, where)
    except against.GitError as exc:
        raise UserError(str(exc)) from None
    with prediction:
        try:
            predicted = prediction.histories(targets, section, settings.head_file_for)
        except discover.DiscoveryError as exc:
            raise UserError(f"at the merge with {revision}: {exc}") from None
        except against.GitError as exc:
            raise UserError(str(exc)) from None
        specs = [p.spec for p in predicted]
        from alembic_lint.alembic_versions import target_version

        target, target_source = target_version(settings, specs, Path.cwd())
        rules = [cls(settings.rule_options.get(cls.name), alembic=target) for cls in chosen]
        if show_settings:
            shown = [
                engine.history_dialect(
                    item.spec.name,
                    item.spec.files,
                    engine.Options(
                        rules=rules,
                        reader=prediction.reader,
                        cache_dir=None,
                        dialect=_dialect(settings, item.spec),
                    ),
                    item.spec.locations,
                )
                for item in predicted
            ]
            text = _settings_text(settings, chosen, specs, target, target_source, shown)
            click.echo(text, nl=False)
            return EXIT_OK
        sources: dict[str, str] = {}
        found: list[Diagnostic] = []
        checked = 0
        for item in predicted:
            spec = item.spec
            files = list(spec.files)
            excluded = (
                [str(f) for f in files if config.is_excluded(settings, str(f))]
                if settings.exclude
                else []
            )
            checked += len([p for p in item.only if p in {str(f) for f in files}])
            options = engine.Options(
                rules=rules,
                settings=settings,
                cache_dir=None if no_cache else _cache_dir(cache_dir, settings, spec),
                jobs=jobs or engine.available_cpus(),
                dialect=_dialect(settings, spec),
            )
            try:
                found += against.lint_history(
                    prediction,
                    item,
                    options,
                    exclude=excluded,
                    sources=sources if output_format == "full" else None,
                    fixes=output_format == "json",
                )
            except against.GitError as exc:
                raise UserError(str(exc)) from None
        if baseline_file is not None or settings.baseline is not None:
            never = {r.code for r in chosen if r.graph}
            found = _baseline(found, settings, never, baseline_file, None, prediction.reader)
    return _report(found, output_format, output_file, exit_zero, checked, sources)


def _baseline(
    diagnostics: list[Diagnostic],
    settings: Settings,
    never: set[str],
    baseline_file: str | None,
    write_baseline: str | None,
    reader: Reader,
) -> list[Diagnostic]:
    """Record the findings in a baseline (``--write-baseline``), or hold back those that
    one records; the findings left to report."""
    from alembic_lint import baseline
    from alembic_lint.atomic import leaves_tree
    from alembic_lint.source import text_of

    def read(path: str) -> str | None:
        try:
            return text_of(reader(path))
        except OSError:
            return None

    root = str(settings.root)
    target_file = ""
    kept = [d for d in diagnostics if d.code not in never]
    texts = baseline.statements(kept, read)
    try:
        if write_baseline is not None:
            target_file = os.path.abspath(
                write_baseline or settings.root / (settings.baseline or DEFAULT_BASELINE)
            )
            if not write_baseline:
                # A path no one typed comes from a settings file, which a pull request can
                # change: it must not make us write outside the repository holding it.
                leaving = leaves_tree(target_file, within=settings.root)
                if leaving is None and ".git" in _repository_parts(target_file, settings):
                    leaving = "it is inside .git"
                if leaving is not None:
                    raise UserError(
                        f"baseline {settings.baseline or DEFAULT_BASELINE!r} "
                        f"({settings.where()}) is outside the repository: {leaving}; "
                        "not written (name the file after --write-baseline to write there)"
                    )
            recorded = baseline.entries(kept, texts, root, never)
            baseline.write(target_file, recorded)
            findings = plural(sum(e.count for e in recorded), "finding")
            entries = plural(len(recorded), "entry", "entries")
            shown = printable(target_file)
            click.echo(f"alembic-lint: recorded {findings} ({entries}) in {shown}", err=True)
            left, _, _ = baseline.apply(kept, texts, recorded, root, never)
        elif baseline_file is not None or settings.baseline is not None:
            source = (
                baseline_file
                if baseline_file is not None
                else str(settings.root / str(settings.baseline))
            )
            recorded = baseline.read(source)
            left, _, stale = baseline.apply(kept, texts, recorded, root, never)
            if stale:
                verb = "no longer matches" if len(stale) == 1 else "no longer match"
                click.echo(
                    printable(
                        f"alembic-lint: {plural(len(stale), 'baseline entry', 'baseline entries')} "
                        f"in {source} {verb} (rewrite it with --write-baseline): "
                        + ", ".join(e.describe() for e in stale[:10])
                        + (" ..." if len(stale) > 10 else "")
                    ),
                    err=True,
                )
        else:
            left = kept
    except baseline.BaselineError as exc:
        raise UserError(str(exc)) from None
    except OSError as exc:
        raise UserError(
            f"{target_file or exc.filename}: cannot write the baseline: {exc.strerror or exc}"
        ) from None
    return [d for d in diagnostics if d.code in never] + left


def _repository_parts(path: str, settings: Settings) -> tuple[str, ...]:
    """The parts of ``path`` (resolved) below the repository holding the settings."""
    from alembic_lint.atomic import work_tree

    tree = os.path.realpath(work_tree(str(settings.root)))
    return Path(os.path.relpath(os.path.realpath(path), tree)).parts


def _apply_fixes(
    diagnostics: Sequence[Diagnostic], reader: Reader, *, write: bool, unsafe: bool
) -> int:
    """Write (or, without ``write``, print as a diff) the selected fixes; returns how many
    files change."""
    from alembic_lint import fixes
    from alembic_lint.reporters import display_path

    changed = 0
    applied = 0
    for path, found in sorted(fixes.selected(diagnostics, unsafe).items()):
        try:
            try:
                original = reader(path)
            except FileNotFoundError:
                if not all(d.fix is not None and d.fix.creates for d in found):
                    raise
                original = b""  # a file the fix creates (the head file)
            planned = fixes.plan(path, original, found)
            if planned.after == planned.before:
                continue
            if write:
                fixes.write(planned, original)
        except (fixes.FixError, OSError) as exc:
            if isinstance(exc, BrokenPipeError):
                raise
            click.echo(f"alembic-lint: warning: {printable(str(exc))}", err=True)
            continue
        changed += 1
        applied += planned.count
        if not write:
            shown = printable(display_path(path, os.getcwd()))
            click.echo(fixes.unified_diff(planned, shown), nl=False)
    if write and applied:
        fixed = f"{plural(applied, 'problem')} in {plural(changed, 'file')}"
        click.echo(f"alembic-lint: fixed {fixed}", err=True)
    hidden = 0 if unsafe else fixes.unsafe_count(diagnostics)
    if hidden:
        # ruff's words, so that users of both know what to do
        click.echo(
            f"alembic-lint: {plural(hidden, 'hidden fix', 'hidden fixes')} can be enabled "
            "with the `--unsafe-fixes` option.",
            err=True,
        )
    return changed


def _report(
    diagnostics: list[Diagnostic],
    output_format: str,
    output_file: str | None,
    exit_zero: bool,
    checked: int,
    sources: dict[str, str],
) -> int:
    from alembic_lint import __version__
    from alembic_lint.diagnostics import sort_key
    from alembic_lint.reporters import Report, RuleInfo, renderer
    from alembic_lint.rules import registry

    report = Report(
        cwd=os.getcwd(),
        root=repository_root(os.getcwd()),
        checked=checked,
        color=use_color(output_format, output_file is not None),
        version=__version__,
        rules=[
            RuleInfo(
                code=r.code,
                name=r.name,
                summary=r.summary,
                documentation=r.documentation(),
                severity=r.severity,
                url=r.url(),
                default=r.default,
                fixable=r.fixable,
            )
            for r in registry()
        ],
        sources=sources,
    )
    diagnostics = sorted(diagnostics, key=sort_key)
    if output_format == "concise" and output_file is None:
        from alembic_lint.reporters import concise

        for piece in concise.chunks(diagnostics, report):
            click.echo(piece, nl=False, color=report.color or None)
        return EXIT_FINDINGS if diagnostics and not exit_zero else EXIT_OK
    text = renderer(output_format)(diagnostics, report)
    if output_file is not None:
        try:
            with open(output_file, "w", encoding="utf-8") as handle:
                handle.write(text)
        except OSError as exc:
            raise UserError(f"{output_file}: cannot write: {exc.strerror or exc}") from None
    else:
        click.echo(text, nl=False, color=report.color or None)
    return EXIT_FINDINGS if diagnostics and not exit_zero else EXIT_OK


def _cache_dir(given: str | None, settings: Settings, spec: HistorySpec) -> str | None:
    """``--cache-dir``, else the user's cache of the project (the directory of its settings
    or config); None when there is no key to seal cache files with (see sealed.py)."""
    from alembic_lint import sealed

    if sealed.key() is None:
        return None
    if given:
        return os.path.abspath(given)
    if settings.path is not None:
        project = str(settings.root)
    elif spec.config is not None:
        project = str(spec.config.parent)
    else:
        project = os.getcwd()
    return sealed.project_dir(os.path.abspath(project))


def _dialect(settings: Settings, spec: HistorySpec) -> Target:
    """The `dialect` setting, else a literal ``sqlalchemy.url`` in the history's ini; else
    unsettled (the history's files decide, see engine.lint)."""
    from alembic_lint.dialects import configured
    from alembic_lint.reporters import display_path

    url_source = display_path(str(spec.config), os.getcwd()) if spec.config else None
    return configured(settings.dialect, settings.where(), spec.sqlalchemy_url, url_source)


def _settings_text(
    settings: Settings,
    chosen: list[type[Rule]],
    specs: list[HistorySpec],
    target: Version | None,
    target_source: str,
    dialects: list[Target | None],
) -> str:
    lines = [
        f"settings file: {settings.path or '(none: defaults)'}",
        f"rules: {', '.join(r.code for r in chosen) or '(none)'}",
        "per-file-ignores: "
        + (", ".join(f"{g} = {list(c)}" for g, c in settings.per_file_ignores) or "(none)"),
        f"exclude: {list(settings.exclude)}",
        f"paths: {list(settings.paths)}",
        f"target-alembic-version: {target if target is not None else 'newest'} ({target_source})",
        f"baseline: {settings.baseline or '(none)'}",
        f"head-file: {settings.head_file or '(none)'}",
    ]
    for rule in chosen:
        for key, option in sorted(rule.options.items()):
            value = settings.rule_options.get(rule.name, {}).get(key, option.default)
            lines.append(f"rules.{rule.name}.{key} = {json.dumps(value)}")
    for spec, dialect in zip(specs, dialects, strict=True):
        where = ", ".join(str(loc) for loc in spec.locations)
        lines.append(f"history {spec.name}: {plural(len(spec.files), 'file')} in {where}")
        if dialect is not None:
            lines.append(f"dialect of {spec.name}: {dialect.describe()}")
    return "\n".join(lines) + "\n"


def _stdin_history(filename: str, section: str | None) -> tuple[list[HistorySpec], Reader]:
    """The history of ``filename``'s directory, with ``filename`` read from standard input."""
    from dataclasses import replace
    from pathlib import Path

    from alembic_lint import discover, engine

    if not filename.strip():
        raise UserError(f"--stdin-filename {filename!r}: an empty PATH")
    target = Path(os.path.abspath(filename))
    if missing(str(target.parent)) or not target.parent.is_dir():
        raise UserError(f"{filename}: directory {target.parent} does not exist")
    (spec,) = discover.discover([str(target.parent)], section=section, search=False)
    # The buffer replaces the file on disk, whichever name reaches it. Resolving is a
    # syscall per path component: once per directory; per file only for symlinks, which
    # one listing of each directory tells apart.
    real_target = os.path.realpath(target)
    real_dirs: dict[str, tuple[str, set[str]]] = {}

    def real(path: Path) -> str:
        directory, name = os.path.split(path)
        if directory not in real_dirs:
            try:
                with os.scandir(directory) as entries:
                    links = {e.name for e in entries if e.is_symlink()}
            except OSError:
                links = set()
            real_dirs[directory] = (os.path.realpath(directory), links)
        real_dir, links = real_dirs[directory]
        return os.path.realpath(path) if name in links else os.path.join(real_dir, name)

    files = [f for f in spec.files if real(f) != real_target]
    files.insert(discover.load_position(files, target), target)
    from alembic_lint import inputs

    try:
        data: bytes | OSError = inputs.read_stream(sys.stdin.buffer, str(target))
    except inputs.TooLarge as exc:
        data = exc  # reported as the file's finding, like a file on disk that size

    def reader(path: str) -> bytes:
        if path != str(target):
            return engine.read_bytes(path)
        if isinstance(data, OSError):
            raise data
        return data

    return [replace(spec, files=tuple(files), only=frozenset([target]))], reader
