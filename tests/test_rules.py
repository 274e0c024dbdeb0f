"""Every rule's own examples, run as tests: `# expect: CODE` markers are the assertions."""

from __future__ import annotations

import pytest

from alembic_lint.rules import Rule, registry
from alembic_lint.rules.examples import Example, expected
from alembic_lint.rules.unused_noqa import UnusedNoqa
from conftest import triples

CASES = [
    pytest.param(rule, example, kind, id=f"{rule.code}-{kind}-{index}")
    for rule in registry()
    for kind, examples in (("valid", rule.valid), ("invalid", rule.invalid))
    for index, example in enumerate(examples)
]


@pytest.mark.parametrize(("rule", "example", "kind"), CASES)
def test_rule_example(lint, rule: type[Rule], example: Example, kind: str) -> None:  # type: ignore[no-untyped-def]
    # unused-noqa judges the other rules' suppressions, so it runs beside all of them.
    chosen = registry() if rule is UnusedNoqa else [rule]
    rules = [r(dialect=example.dialect) for r in chosen]
    found = {t for t in triples(lint(example, rules)) if t[2] == rule.code}
    want = {t for t in expected(example) if t[2] == rule.code}
    if kind == "invalid":
        assert want, "an invalid example must mark at least one expected finding"
    assert found == want


@pytest.mark.parametrize(
    ("rule", "example"),
    [
        pytest.param(r, e, id=f"{r.code}-valid-{i}")
        for r in registry()
        for i, e in enumerate(r.valid)
    ],
)
def test_valid_examples_are_clean_under_every_rule(
    lint, rule: type[Rule], example: Example
) -> None:  # type: ignore[no-untyped-def]
    """Valid examples are what the docs recommend: no rule may flag them."""
    assert triples(lint(example, [r(dialect=example.dialect) for r in registry()])) == set()


def test_every_rule_has_examples_and_docs() -> None:
    for rule in registry():
        assert rule.valid and rule.invalid, rule.code
        doc = rule.documentation()
        for heading in ("## What it does", "## Why is this bad?"):
            assert heading in doc, (rule.code, heading)
        assert rule.code.startswith("AL") and rule.name == rule.name.lower()


def test_codes_and_names_are_unique() -> None:
    rules = registry()
    assert len({r.code for r in rules}) == len(rules)
    assert len({r.name for r in rules}) == len(rules)


@pytest.mark.parametrize(
    ("rule", "example"),
    [
        pytest.param(r, e, id=f"{r.code}-fix-{i}")
        for r in registry()
        for i, e in enumerate(r.invalid)
        if e.fixed
    ],
)
def test_fix_gives_the_expected_source(tmp_path, rule: type[Rule], example: Example) -> None:  # type: ignore[no-untyped-def]
    """The example's `fixed` files are what `--fix --unsafe-fixes` writes, and the rule has
    nothing left to fix there."""
    from alembic_lint import engine
    from alembic_lint.cli import main
    from conftest import write_example

    versions = write_example(example, tmp_path / "versions")
    settings = tmp_path / "lint.toml"
    dialect = f'dialect = "{example.dialect}"\n' if example.dialect else ""
    head = f'head-file = "versions/{example.head_file}"\n' if example.head_file else ""
    settings.write_text(dialect + head, encoding="utf-8")
    args = ["--no-cache", "--fix", "--unsafe-fixes", "--select", rule.code, "--config"]
    main([*args, str(settings), str(versions)])
    for file in example.fixed:
        assert (versions / file.filename).read_text(encoding="utf-8") == file.source
    files = sorted(versions.glob("*.py"))
    options = engine.Options(rules=[rule(dialect=example.dialect)])
    head_file = str(versions / example.head_file) if example.head_file else None
    left = engine.lint(str(versions), files, options, fixes=True, head_file=head_file)
    assert [d for d in left if d.code == rule.code and d.fix is not None] == []


def test_fixable_rules_show_a_fix() -> None:
    for rule in registry():
        if rule.fixable:
            assert any(e.fixed for e in rule.invalid), rule.code
