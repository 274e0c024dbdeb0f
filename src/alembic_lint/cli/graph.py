"""`alembic-lint graph`: the history as a picture, findings marked."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from alembic_lint.cli import EXIT_FINDINGS, EXIT_OK, UserError, cli, warn
from alembic_lint.printable import printable

if TYPE_CHECKING:
    from alembic_lint import graph


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

    With --heads or --bases, exit 1 when the heads include several on one branch (more
    than the multiple-heads rule's expected-heads; heads with different branch labels
    are separate branches), whether or not that rule is selected or suppressed.
    """
    from alembic_lint import config, discover, engine, graph, picture
    from alembic_lint.rules import registry
    from alembic_lint.rules.multiple_heads import MultipleHeads

    try:
        settings = config.load(config.find(Path.cwd()))
        rules = [
            cls(settings.rule_options.get(cls.name))
            for cls in config.select_rules([settings.file_layer])
            if cls.graph and not cls.schema
        ]
        targets = [path] if path is not None else [str(settings.root / p) for p in settings.paths]
        specs = discover.discover(targets, section=section, warn=warn)
    except (config.ConfigError, discover.DiscoveryError) as exc:
        raise UserError(str(exc)) from None
    marked = {r.code for r in registry() if r.graph and not r.schema}
    status = EXIT_OK
    for number, spec in enumerate(specs):
        history = engine.load_history(spec.name, spec.files, locations=spec.locations)
        revisions = graph.build(history)
        if show_heads or show_bases:
            ids = (revisions.head_ids() if show_heads else []) + (
                revisions.base_ids() if show_bases else []
            )
            click.echo("".join(f"{printable(i)}\n" for i in ids), nl=False)
            caveat = _caveat(revisions)
            if caveat:
                click.echo(f"alembic-lint: warning: {printable(spec.name)}: {caveat}", err=True)
            # The heads printed decide, as for `alembic heads`: not the findings, which
            # the selection, suppressions and AL001's allowance for wrong parents shape.
            expected = MultipleHeads(settings.rule_options.get(MultipleHeads.name))
            limit = expected.option("expected-heads")
            assert isinstance(limit, int)
            if any(len(group) > limit for group in revisions.branches().values()):
                status = EXIT_FINDINGS
            continue
        findings = [
            d for d in engine.check_history(history, rules, settings=settings) if d.code in marked
        ]
        if len(specs) > 1:
            click.echo(f"{'' if number == 0 else chr(10)}# {printable(spec.name)}")
        click.echo(picture.RENDERERS[output_format](revisions, findings), nl=False)
    return status


def _caveat(revisions: graph.RevisionGraph) -> str | None:
    """Why the heads and bases printed may not be what Alembic would print, if they may not."""
    from alembic_lint.graph import RefKind

    migrations = revisions.migrations
    if revisions.uncertain:
        names = ", ".join(migrations[n].filename for n in revisions.uncertain[:3])
        return (
            f"the revision ids or parents of {names} are not literals: only running the "
            "files would tell the heads and bases, these are the rest's"
        )
    bad = next((b for b in revisions.bad_refs if b.attribute == "down_revision"), None)
    if bad is None:
        return None
    where = f"{migrations[bad.node].filename}: down_revision"
    if bad.kind is RefKind.EMPTY:
        return f"{where} is '' (Alembic before 1.13 read it as None, later versions refuse it)"
    return (
        f"{where} {bad.element.value!r} names no revision, so Alembic refuses the history; "
        "these are the heads and bases of the files as they are written"
    )
