"""The README stays true: its test command is what CI runs, its rule table is the registry."""

from __future__ import annotations

import re
from pathlib import Path

from alembic_lint.rules import registry

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def shell_blocks() -> list[str]:
    return re.findall(r"```sh\n(.*?)```", README, re.DOTALL)


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    test_commands = [b.strip() for b in shell_blocks() if "pytest" in b]
    assert len(test_commands) == 1
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert test_commands[0] in ci.splitlines()


def test_rule_table_matches_the_registry() -> None:
    rows = re.findall(r"^\| (AL\d{3}) \| `([a-z-]+)` \| (.+?) \| (\w+) \|$", README, re.MULTILINE)
    expected = [(r.code, r.name, r.summary, r.severity.value) for r in registry()]
    assert rows == expected


def test_configuration_example_is_valid(tmp_path: Path) -> None:
    from alembic_lint import config

    (block,) = [
        b
        for b in re.findall(r"```toml\n(\[tool\.alembic-lint\].*?)```", README, re.DOTALL)
        if "select" in b
    ]
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(block, encoding="utf-8")
    settings = config.load(pyproject)
    assert settings.target_alembic_version == "1.12"
    assert settings.dialect == "postgresql"
    assert settings.rule_options["multiple-heads"] == {"expected-heads": 1}
    chosen = {r.code for r in config.select_rules([settings.file_layer])}
    assert "AL202" not in chosen and "AL001" in chosen


def test_usage_example_is_the_demo_output_in_full(monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    """Every line, in order, nothing elided: the README cannot drift from the demo."""
    from alembic_lint.cli import main

    intro = "Output is one finding per line"
    block = README.split(intro, 1)[1].split("```", 2)[1]
    command = re.search(r"\(`(alembic-lint [^`]+)`, in full\)", README.split(intro, 1)[1])
    assert command and command.group(1) == "alembic-lint fixtures/demo"
    monkeypatch.chdir(ROOT)
    assert main(["--no-cache", *command.group(1).split()[1:]]) == 1
    assert capsys.readouterr().out == block.lstrip("\n")


def test_graph_example_is_real_output(monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    from alembic_lint.cli import main

    section = README.split("## The history as a picture", 1)[1]
    command = re.search(r"```sh\n(alembic-lint graph .+)\n```", section)
    shown = re.search(r"```\n(\*.*?)```", section, re.DOTALL)
    assert command and shown
    monkeypatch.chdir(ROOT)
    main(command.group(1).split()[1:])
    assert capsys.readouterr().out == shown.group(1)
