"""`alembic-lint graph`: the history as a picture, findings marked."""

from __future__ import annotations

from pathlib import Path

import click

from alembic_lint.cli import EXIT_FINDINGS, EXIT_OK, UserError, cli, warn


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
        specs = discover.discover(targets, section=section, warn=warn)
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
