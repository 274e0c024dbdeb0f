"""Command line: parse options, call the engine, pick a reporter, return the exit code."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from alembic_lint import __version__
from alembic_lint.entry import main as main

if TYPE_CHECKING:
    from alembic_lint.alembic_versions import Version
    from alembic_lint.config import Settings
    from alembic_lint.diagnostics import Diagnostic
    from alembic_lint.discover import HistorySpec
    from alembic_lint.engine import Reader
    from alembic_lint.rules import Rule

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
DEFAULT_BASELINE = ".alembic-lint-baseline.json"


class UserError(Exception):
    """A problem with the user's input: printed as one line, exit status 2."""


class _DefaultGroup(click.Group):
    """``alembic-lint [OPTIONS] PATHS`` runs ``check``; other subcommands are named."""

    default_command = "check"

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or (
            args[0] not in self.commands and args[0] not in ("--help", "-h", "--version")
        ):
            args = [self.default_command, *args]
        return super().parse_args(ctx, args)


@click.group(cls=_DefaultGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="alembic-lint")
def cli() -> None:
    """Lint Alembic migration histories without importing them.

    Run `alembic-lint [PATH]...` (the `check` command) on a versions directory, a
    directory holding alembic.ini, or an alembic.ini / pyproject.toml file. With no
    PATH, the configuration in the current directory is used. `alembic-lint check --help`
    lists the options (formats, settings, baseline, cache).
    """


FORMATS = ("concise", "full", "json", "sarif", "github", "gitlab")
#: Formats read by programs: never coloured.
MACHINE_FORMATS = ("json", "sarif", "github", "gitlab")


def use_color(output_format: str, to_file: bool) -> bool:
    """Colour only on a terminal, never with NO_COLOR or for machine formats; FORCE_COLOR forces."""
    if output_format in MACHINE_FORMATS or to_file or os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return sys.stdout.isatty()


def repository_root(start: str) -> str:
    """The nearest directory holding ``.git`` (paths for code hosts are relative to it)."""
    current = os.path.abspath(start)
    while True:
        if os.path.exists(os.path.join(current, ".git")):
            return current
        parent = os.path.dirname(current)
        if parent == current:
            return os.path.abspath(start)
        current = parent


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
    help="Cache directory (default: .alembic-lint-cache next to the project's config; "
    "also ALEMBIC_LINT_CACHE_DIR).",
)
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    default=None,
    help="Processes for parsing a cold history (default: the available CPUs; 1: in-process).",
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
    fix: bool,
    diff: bool,
    unsafe_fixes: bool,
) -> int:
    """Check the migration histories at PATHS."""
    from alembic_lint import baseline, config, discover, engine

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

    if fix and stdin_filename is not None:
        raise UserError("--fix cannot write standard input; use --diff")
    reader: Reader = engine.read_bytes
    specs: list[HistorySpec]
    try:
        if stdin_filename is not None:
            if paths not in ((), ("-",)):
                raise UserError("with --stdin-filename, give `-` (or nothing) as PATH")
            specs, reader = _stdin_history(stdin_filename, section)
        else:
            if "-" in paths:
                raise UserError("`-` (standard input) needs --stdin-filename PATH")
            targets = list(paths) or [str(settings.root / p) for p in settings.paths]
            specs = discover.discover(targets, section=section)
    except discover.DiscoveryError as exc:
        raise UserError(str(exc)) from None

    target, target_source = _target_version(settings, specs)
    rules = [cls(settings.rule_options.get(cls.name), alembic=target) for cls in chosen]
    if show_settings:
        click.echo(_settings_text(settings, chosen, specs, target, target_source), nl=False)
        return EXIT_OK

    sources: dict[str, str] = {}

    def run(with_fixes: bool) -> tuple[list[Diagnostic], int]:
        found: list[Diagnostic] = []
        checked = 0
        for spec in specs:
            files = list(spec.files)
            excluded = [str(f) for f in files if config.is_excluded(settings, str(f))]
            if len(excluded) == len(files):
                click.echo(f"alembic-lint: warning: no migration files in {spec.name}", err=True)
                continue
            only = [str(p) for p in spec.only] if spec.only is not None else None
            checked += len(files) - len(excluded) if spec.only is None else len(spec.only)
            options = engine.Options(
                rules=rules,
                settings=settings,
                reader=reader,
                cache_dir=None if no_cache else _cache_dir(cache_dir, settings, spec),
                jobs=jobs or engine.available_cpus(),
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
                )
            )
        return found, checked

    if fix or diff:
        diagnostics, checked = run(True)
        changed = _apply_fixes(diagnostics, reader, write=fix and not diff, unsafe=unsafe_fixes)
        if diff:
            return EXIT_FINDINGS if changed else EXIT_OK
        diagnostics, checked = run(output_format == "json")
    else:
        diagnostics, checked = run(output_format == "json")

    root = str(settings.root)
    never = {r.code for r in chosen if r.graph}
    try:
        if write_baseline is not None:
            target_file = os.path.abspath(
                write_baseline or settings.root / (settings.baseline or DEFAULT_BASELINE)
            )
            recorded = baseline.entries(diagnostics, root, never)
            baseline.write(target_file, recorded)
            click.echo(
                f"alembic-lint: recorded {sum(e.count for e in recorded)} findings "
                f"({len(recorded)} entries) in {target_file}",
                err=True,
            )
            diagnostics, _, _ = baseline.apply(diagnostics, recorded, root, never)
        elif baseline_file is not None or settings.baseline is not None:
            source = (
                baseline_file
                if baseline_file is not None
                else str(settings.root / str(settings.baseline))
            )
            diagnostics, _, stale = baseline.apply(diagnostics, baseline.read(source), root, never)
            if stale:
                click.echo(
                    f"alembic-lint: {len(stale)} baseline entries in {source} no longer match "
                    "(rewrite it with --write-baseline): "
                    + ", ".join(f"{e.revision} {e.code}" for e in stale[:10])
                    + (" ..." if len(stale) > 10 else ""),
                    err=True,
                )
    except baseline.BaselineError as exc:
        raise UserError(str(exc)) from None
    except OSError as exc:
        raise UserError(f"cannot write baseline: {exc.strerror or exc}") from None

    reports_only = not (fix or diff or show_settings or no_cache) and output_file is None
    if reports_only and specs and stdin_filename is None and write_baseline is None:
        from alembic_lint import replay

        dirs = [_cache_dir(cache_dir, settings, spec) for spec in specs]
        replay.allow(dirs[0], dirs)
    return _report(diagnostics, output_format, output_file, exit_zero, checked, sources)


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
            original = reader(path)
            planned = fixes.plan(path, original, found)
            if planned.after == planned.before:
                continue
            changed += 1
            applied += planned.count
            if write:
                fixes.write(planned, original)
            else:
                click.echo(fixes.unified_diff(planned, display_path(path, os.getcwd())), nl=False)
        except (OSError, fixes.FixError) as exc:
            click.echo(f"alembic-lint: warning: {exc}", err=True)
    if write and applied:
        problems = "problem" if applied == 1 else "problems"
        files = "file" if changed == 1 else "files"
        click.echo(f"alembic-lint: fixed {applied} {problems} in {changed} {files}", err=True)
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
    from alembic_lint.reporters import Report, RuleInfo, renderers
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
    text = renderers()[output_format](sorted(diagnostics), report)
    if output_file is not None:
        try:
            with open(output_file, "w", encoding="utf-8") as handle:
                handle.write(text)
        except OSError as exc:
            raise UserError(f"{output_file}: cannot write: {exc.strerror or exc}") from None
    else:
        click.echo(text, nl=False, color=report.color or None)
    return EXIT_FINDINGS if diagnostics and not exit_zero else EXIT_OK


def _cache_dir(given: str | None, settings: Settings, spec: HistorySpec) -> str:
    """``--cache-dir``, else ``.alembic-lint-cache`` next to the project's config."""
    from alembic_lint.cache import DIRNAME

    if given:
        return os.path.abspath(given)
    if settings.path is not None:
        return str(settings.root / DIRNAME)
    if spec.config is not None:
        return str(spec.config.parent / DIRNAME)
    return os.path.abspath(DIRNAME)


def _target_version(settings: Settings, specs: list[HistorySpec]) -> tuple[Version | None, str]:
    """The oldest Alembic the project may run: the setting, else the project's pins."""
    from alembic_lint.alembic_versions import Version, detect_alembic_version

    if settings.target_alembic_version is not None:
        return Version.parse(settings.target_alembic_version), f"{settings.where()}"
    places = [settings.root] if settings.path else []
    places += [s.config.parent for s in specs if s.config is not None]
    places.append(Path.cwd())
    for place in dict.fromkeys(places):
        pin = detect_alembic_version(place)
        if pin is not None:
            return pin.version, pin.source
    return None, "no pin found: the newest Alembic is assumed"


def _settings_text(
    settings: Settings,
    chosen: list[type[Rule]],
    specs: list[HistorySpec],
    target: Version | None,
    target_source: str,
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
    ]
    for rule in chosen:
        for key, option in sorted(rule.options.items()):
            value = settings.rule_options.get(rule.name, {}).get(key, option.default)
            lines.append(f"rules.{rule.name}.{key} = {json.dumps(value)}")
    for spec in specs:
        where = ", ".join(str(loc) for loc in spec.locations)
        lines.append(f"history {spec.name}: {len(spec.files)} files in {where}")
    return "\n".join(lines) + "\n"


@cli.command("rule")
@click.argument("key", required=False, metavar="CODE|NAME")
@click.option("--all", "show_all", is_flag=True, help="List every rule.")
def rule_command(key: str | None, show_all: bool) -> int:
    """Explain a rule (`alembic-lint rule AL201`), or list them all (`--all`)."""
    from alembic_lint import docs
    from alembic_lint.rules import by_code_or_name, registry

    if show_all or key is None:
        if key is not None:
            raise UserError("give a rule or --all, not both")
        click.echo(docs.rule_listing(registry()), nl=False)
        return EXIT_OK
    found = by_code_or_name(key)
    if found is None:
        raise UserError(f"unknown rule {key!r} (see `alembic-lint rule --all`)")
    click.echo(docs.rule_page(found), nl=False)
    return EXIT_OK


@cli.command("merge")
@click.argument("path", required=False)
@click.argument("heads", nargs=-1)
@click.option("-m", "--message", metavar="MESSAGE", help="Message (default: 'merge heads').")
@click.option(
    "-n", "--name", "section", metavar="SECTION", help="ini section to read (like alembic -n)."
)
def merge_command(
    path: str | None, heads: tuple[str, ...], message: str | None, section: str | None
) -> int:
    """Write a merge revision of the heads (or HEADS) of the history at PATH, like
    `alembic merge heads`, without running Alembic."""
    from alembic_lint import discover, engine, graph, scaffold

    if path is not None and not os.path.exists(path):
        # `merge HEAD HEAD` run from the project: the first HEAD is not a PATH
        heads = (path, *heads)
        path = None
    try:
        specs = discover.discover([path] if path else [], section=section)
    except discover.DiscoveryError as exc:
        raise UserError(str(exc)) from None
    if len(specs) != 1:
        raise UserError("merge works on one history; give one PATH")
    (spec,) = specs
    history = engine.load_history(spec.name, spec.files, locations=spec.locations)
    try:
        written = scaffold.merge(spec, graph.build(history), heads, message)
    except scaffold.ScaffoldError as exc:
        raise UserError(str(exc)) from None
    except OSError as exc:
        raise UserError(f"cannot write the merge revision: {exc.strerror or exc}") from None
    shown = written.relative_to(Path.cwd()) if written.is_relative_to(Path.cwd()) else written
    click.echo(str(shown))
    return EXIT_OK


@cli.command("graph")
@click.argument("path", required=False)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(("text", "mermaid", "dot")),
    default="text",
    show_default=True,
    help="Picture format.",
)
@click.option("--heads", "show_heads", is_flag=True, help="Print just the head ids.")
@click.option("--bases", "show_bases", is_flag=True, help="Print just the base ids.")
@click.option(
    "-n", "--name", "section", metavar="SECTION", help="ini section to read (like alembic -n)."
)
def graph_command(
    path: str | None, output_format: str, show_heads: bool, show_bases: bool, section: str | None
) -> int:
    """Draw the revision history at PATH, findings marked (`--heads`: just the heads).

    With --heads or --bases, exit 1 when one branch has several heads.
    """
    from alembic_lint import config, discover, engine, graph, picture
    from alembic_lint.rules import registry

    try:
        settings = config.load(config.find(Path.cwd()))
        rules = [
            cls(settings.rule_options.get(cls.name))
            for cls in config.select_rules([settings.file_layer])
            if cls.graph
        ]
        targets = [path] if path is not None else [str(settings.root / p) for p in settings.paths]
        specs = discover.discover(targets, section=section)
    except (config.ConfigError, discover.DiscoveryError) as exc:
        raise UserError(str(exc)) from None
    marked = {r.code for r in registry() if r.graph}
    status = EXIT_OK
    for number, spec in enumerate(specs):
        history = engine.load_history(spec.name, spec.files, locations=spec.locations)
        revisions = graph.build(history)
        findings = [
            d for d in engine.check_history(history, rules, settings=settings) if d.code in marked
        ]
        if show_heads or show_bases:
            ids = (revisions.head_ids() if show_heads else []) + (
                revisions.base_ids() if show_bases else []
            )
            click.echo("".join(f"{i}\n" for i in ids), nl=False)
            if any(d.code == "AL001" for d in findings):
                status = EXIT_FINDINGS
            continue
        if len(specs) > 1:
            click.echo(f"{'' if number == 0 else chr(10)}# {spec.name}")
        click.echo(picture.RENDERERS[output_format](revisions, findings), nl=False)
    return status


@cli.command("rebase")
@click.argument("path", required=False)
@click.argument("revision", required=False)
@click.option("--onto", required=True, metavar="HEAD", help="The head to put the branch on.")
@click.option("--dry-run", is_flag=True, help="Print the diff; write nothing.")
@click.option(
    "-n", "--name", "section", metavar="SECTION", help="ini section to read (like alembic -n)."
)
def rebase_command(
    path: str | None, revision: str | None, onto: str, dry_run: bool, section: str | None
) -> int:
    """Linearize: re-point the bottom of REVISION's branch (default: the other head) at
    --onto, editing its down_revision and Revises: line, without running Alembic."""
    from alembic_lint import discover, engine, graph, rebase

    if path is not None and not os.path.exists(path):
        # `rebase REVISION --onto HEAD` run from the project: the first argument is no PATH
        if revision is not None:
            raise UserError(f"no such path {path!r}")
        revision, path = path, None
    try:
        specs = discover.discover([path] if path else [], section=section)
    except discover.DiscoveryError as exc:
        raise UserError(str(exc)) from None
    if len(specs) != 1:
        raise UserError("rebase works on one history; give one PATH")
    (spec,) = specs
    history = engine.load_history(spec.name, spec.files, locations=spec.locations)
    try:
        change = rebase.plan(graph.build(history), onto, revision)
        cwd = Path.cwd()
        shown = change.path.relative_to(cwd) if change.path.is_relative_to(cwd) else change.path
        if dry_run:
            click.echo(rebase.diff(change, shown.as_posix()), nl=False)
            return EXIT_OK
        rebase.write(change)
    except rebase.RebaseError as exc:
        raise UserError(str(exc)) from None
    except OSError as exc:
        raise UserError(f"cannot rewrite the revision: {exc.strerror or exc}") from None
    click.echo(
        f"{shown}: {change.revision} now revises {change.new_parent} (was {change.old_parent})"
    )
    return EXIT_OK


def _stdin_history(filename: str, section: str | None) -> tuple[list[HistorySpec], Reader]:
    """The history of ``filename``'s directory, with ``filename`` read from standard input."""
    from dataclasses import replace
    from pathlib import Path

    from alembic_lint import discover, engine

    target = Path(os.path.abspath(filename))
    if not target.parent.is_dir():
        raise UserError(f"{filename}: directory {target.parent} does not exist")
    (spec,) = discover.discover([str(target.parent)], section=section)
    # The buffer replaces the file on disk, whichever name reaches it. Resolving is a
    # syscall per path component: once per directory, and per file only for symlinks.
    real_target = os.path.realpath(target)
    real_dirs: dict[str, str] = {}

    def real(path: Path) -> str:
        if os.path.islink(path):
            return os.path.realpath(path)
        parent = str(path.parent)
        if parent not in real_dirs:
            real_dirs[parent] = os.path.realpath(parent)
        return os.path.join(real_dirs[parent], path.name)

    files = [f for f in spec.files if real(f) != real_target]
    siblings = [i for i, f in enumerate(files) if f.parent == target.parent]
    position = next(
        (i for i in siblings if files[i].name > target.name),
        siblings[-1] + 1 if siblings else len(files),
    )
    files.insert(position, target)
    data = sys.stdin.buffer.read()

    def reader(path: str) -> bytes:
        return data if path == str(target) else engine.read_bytes(path)

    return [replace(spec, files=tuple(files), only=frozenset([target]))], reader


def run(args: list[str]) -> int:
    """The CLI proper (``alembic_lint.entry.main`` first tries to replay a report)."""
    try:
        result = cli.main(args=args, prog_name="alembic-lint", standalone_mode=False)
    except UserError as exc:
        click.echo(f"alembic-lint: error: {exc}", err=True)
        return EXIT_ERROR
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return EXIT_ERROR if exc.exit_code == 2 else exc.exit_code
    except click.Abort:
        click.echo("Aborted.", err=True)
        return EXIT_ERROR
    except BrokenPipeError:
        return EXIT_ERROR
    return result if isinstance(result, int) else EXIT_OK
