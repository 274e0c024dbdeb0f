"""The generated rule docs: fresh, well-shaped, showing every example, reachable by URL."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

from alembic_lint.diagnostics import Severity
from alembic_lint.docs import (
    check_rule_docs,
    generated_docs,
    parse_sections,
    rule_listing,
    rule_page,
    rule_table,
    stale_docs,
)
from alembic_lint.rules import DOCS_URL, Rule, registry
from alembic_lint.rules.examples import EXPECT, expected, history, m

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "rules"
SCRIPT = ROOT / "scripts" / "generate_rule_docs.py"
REGENERATE = "python scripts/generate_rule_docs.py"
PAGE_SECTIONS = [
    "What it does",
    "Why is this bad?",
    "Example",
    "Fix",
    "Options",
    "Alembic versions",
]
_BLOCK = re.compile(r"^(`{3,})python\n(.*?)\n\1$", re.DOTALL | re.MULTILINE)
_ANNOTATION = re.compile(r"\s*# <- (AL\d+(?:, AL\d+)*): flagged here$")

rules = pytest.mark.parametrize("rule", registry(), ids=lambda r: r.code)


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("generate_rule_docs", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _committed(directory: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in directory.glob("*.md")}


def _headings(page: str) -> list[str]:
    return [title for title, _ in parse_sections(page)[1]]


def _blocks(page: str) -> list[str]:
    return [match.group(2) for match in _BLOCK.finditer(page)]


def _code(text: str) -> list[str]:
    """Lines without the markers or annotations, as a reader would type them."""
    lines = []
    for line in text.splitlines():
        line = _ANNOTATION.sub("", line.partition(EXPECT)[0])
        lines.append(line.rstrip())
    return lines


# (a) the committed pages are what the generator writes


def test_committed_docs_are_up_to_date() -> None:
    problems = stale_docs(generated_docs(registry()), _committed(DOCS))
    listing = "\n".join(f"  docs/rules/{name}: {problem}" for name, problem in problems.items())
    assert not problems, f"The rule docs are stale; run `{REGENERATE}`:\n{listing}"


def test_check_mode_of_the_script_passes_on_the_repository() -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, f"run `{REGENERATE}`:\n{result.stdout}{result.stderr}"


def test_script_writes_pages_deletes_stale_ones_and_checks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main: Callable[[list[str]], int] = _script().main
    out = tmp_path / "rules"
    out.mkdir()
    (out / "retired-rule.md").write_text("# AL999 retired-rule\n", encoding="utf-8")
    (out / "notes.txt").write_text("not a page\n", encoding="utf-8")

    assert main(["--output", str(out), "--check"]) == 1
    report = capsys.readouterr().out
    assert "retired-rule.md: no such rule" in report
    assert "multiple-heads.md: missing" in report
    assert REGENERATE in report
    assert (out / "retired-rule.md").exists() and not (out / "multiple-heads.md").exists()

    assert main(["--output", str(out)]) == 0
    assert _committed(out) == generated_docs(registry())
    assert (out / "notes.txt").exists()
    assert main(["--output", str(out), "--check"]) == 0

    page = out / "multiple-heads.md"
    page.write_text(page.read_text(encoding="utf-8") + "hand edit\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["--output", str(out), "--check"]) == 1
    assert "multiple-heads.md: out of date" in capsys.readouterr().out


# (b) every docstring has the shape the pages need


@rules
def test_rule_docstring_has_the_required_shape(rule: type[Rule]) -> None:
    assert check_rule_docs(rule) == []


def _rule(doc: str, *, fixable: bool = False) -> type[Rule]:
    return type(
        "Fake",
        (Rule,),
        {
            "__doc__": doc,
            "code": "AL999",
            "name": "fake",
            "summary": "A fake rule",
            "severity": Severity.WARNING,
            "fixable": fixable,
        },
    )


@pytest.mark.parametrize(
    ("doc", "fixable", "problem"),
    [
        ("", False, "no docstring"),
        ("## What it does\nx", False, "missing heading '## Why is this bad?'"),
        ("## Why is this bad?\nx\n## What it does\nx", False, "comes after"),
        ("## What it does\nx\n## Why is this bad?\nx\n## Notes\nx", False, "unknown heading"),
        ("## What it does\nx\n## Why is this bad?\nx\n## Example\nx", False, "generated from"),
        ("## What it does\nx\n## Why is this bad?\n", False, "empty section"),
        ("## What it does\nx\n## What it does\ny\n## Why is this bad?\nz", False, "2 times"),
        ("Intro.\n## What it does\nx\n## Why is this bad?\nx", False, "before the first"),
        ("# What it does\nx\n## What it does\nx\n## Why is this bad?\nx", False, "top-level"),
        ("## What it does\nx\n## Why is this bad?\nx", True, "no '## Fix'"),
    ],
)
def test_check_rule_docs_reports(doc: str, fixable: bool, problem: str) -> None:
    problems = check_rule_docs(_rule(doc, fixable=fixable))
    assert any(problem in p for p in problems), problems


def test_check_rule_docs_ignores_headings_inside_code_blocks() -> None:
    doc = "## What it does\n```python\n## not a heading\n```\n## Why is this bad?\nx\n## Fix\ny"
    assert check_rule_docs(_rule(doc)) == []


# (c) every page shows every example, in the fixed section order


@rules
def test_page_has_the_sections_in_order(rule: type[Rule]) -> None:
    page = rule_page(rule)
    assert page.splitlines()[0] == f"# {rule.code} {rule.name}"
    dialects = ["Dialects"] if "## Dialects" in rule.documentation() else []
    assert _headings(page) == PAGE_SECTIONS[:4] + dialects + PAGE_SECTIONS[4:]
    assert f"Default: {'on' if rule.default else 'off'}" in page.splitlines()
    assert ("No automatic fix." in page) is not rule.fixable
    assert EXPECT not in page


@rules
def test_page_contains_every_example(rule: type[Rule]) -> None:
    page = rule_page(rule)
    example_text, _, valid_text = page.partition("\nUse instead:\n")
    shown = [_code(block) for block in _blocks(page)]
    for example in [*rule.invalid, *rule.valid]:
        for file in example.files:
            assert f"`versions/{file.filename}`" in page
            assert _code(file.source) in shown, f"{rule.code}: {file.filename} not shown"
    markers = sum(len(expected(e)) for e in rule.invalid)
    annotated = [line for b in _blocks(example_text) for line in b.splitlines()]
    assert sum(1 for line in annotated if _ANNOTATION.search(line)) == markers
    assert not _ANNOTATION.search(valid_text)


def test_page_of_a_fixable_rule_that_is_off_by_default() -> None:
    doc = (
        "## What it does\nFlags x.\n## Why is this bad?\nBecause.\n"
        "## Fix\nRewrites x.\n## Options\nSee `x`."
    )
    rule = _rule(doc, fixable=True)
    rule.default = False
    rule.invalid = [history(m("aaaaaaaaaaaa", upgrade="x()  # expect: AL999"), title="bad")]
    rule.valid = [history(m("aaaaaaaaaaaa", upgrade="y()"))]
    page = rule_page(rule)
    assert "x()  # <- AL999: flagged here" in page
    assert "Bad:" in page and "Use instead:" in page
    assert "Rewrites x." in page and "No automatic fix." not in page
    assert "See `x`." in page and "None." not in page
    assert "All versions." in page and "Default: off" in page
    assert page == rule_page(rule)


# (d) the URL in JSON / SARIF output leads to a generated page


@rules
def test_rule_url_points_at_a_generated_page(rule: type[Rule]) -> None:
    prefix = DOCS_URL.split("{name}")[0].split("/docs/rules/")[0] + "/"
    url = rule.url()
    assert url.startswith(prefix)
    path = url.removeprefix(prefix)
    assert path == f"docs/rules/{rule.name}.md"
    assert (ROOT / path).is_file(), f"{path} does not exist; run `{REGENERATE}`"


def test_table_links_every_page() -> None:
    table = rule_table(registry())
    links = re.findall(r"\]\(([^)]+)\)", table)
    assert links == [f"{r.name}.md" for r in registry()]
    assert all((DOCS / link).is_file() for link in links)


# (e) the terminal listing


def test_rule_listing_has_one_aligned_row_per_rule() -> None:
    lines = rule_listing(registry()).splitlines()
    header, rows = lines[0], lines[1:]
    assert header.split() == ["CODE", "NAME", "DEFAULT", "FIX", "SUMMARY"]
    assert [row.split()[0] for row in rows] == [r.code for r in registry()]
    for column in ("NAME", "DEFAULT", "FIX", "SUMMARY"):
        start = header.index(column)
        assert all(row[start - 1] == " " and row[start] != " " for row in rows), column
    assert "`" not in "\n".join(lines)
    for row, rule in zip(rows, registry(), strict=True):
        assert row.endswith(rule.summary.replace("`", ""))
