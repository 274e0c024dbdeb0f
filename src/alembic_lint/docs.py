"""Rule documentation, rendered from each rule's docstring, metadata and examples."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import pairwise

from alembic_lint.rules import Rule
from alembic_lint.rules.examples import EXPECT, Example, File

#: Sections a rule docstring may have, in the order they must appear.
DOC_SECTIONS = ("What it does", "Why is this bad?", "Fix", "Dialects", "Options")
#: Sections every rule docstring must have.
REQUIRED_SECTIONS = ("What it does", "Why is this bad?")
GENERATOR = "scripts/generate_rule_docs.py"

_HEADING = re.compile(r"^(#+)\s+(.*?)\s*$")
_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")


def _outside_fences(doc: str) -> Iterator[tuple[str, bool]]:
    """Each line of ``doc`` and whether it is prose (not inside a fenced code block)."""
    fence = ""
    for line in doc.splitlines():
        match = _FENCE.match(line)
        if match and (not fence or match.group(1).startswith(fence)):
            fence = "" if fence else match.group(1)
            yield line, False
        else:
            yield line, not fence


def parse_sections(doc: str) -> tuple[str, list[tuple[str, str]]]:
    """``(text before the first heading, [(heading, body), ...])`` of a rule docstring.

    Only ``## `` headings outside fenced code blocks start sections.
    """
    preamble: list[str] = []
    sections: list[tuple[str, list[str]]] = []
    for line, prose in _outside_fences(doc):
        if prose and line.startswith("## "):
            sections.append((line[3:].strip(), []))
        else:
            (sections[-1][1] if sections else preamble).append(line)
    return (
        "\n".join(preamble).strip(),
        [(title, "\n".join(body).strip()) for title, body in sections],
    )


def _section(rule: type[Rule], title: str) -> str:
    for heading, body in parse_sections(rule.documentation())[1]:
        if heading == title:
            return body
    return ""


def check_rule_docs(rule: type[Rule]) -> list[str]:
    """Problems with the shape of a rule's docstring (empty when it is fine)."""
    where = f"{rule.code} {rule.name}"
    doc = rule.documentation()
    if not doc:
        return [f"{where}: no docstring"]
    problems: list[str] = []
    preamble, sections = parse_sections(doc)
    if preamble:
        problems.append(f"{where}: text before the first heading: {preamble.splitlines()[0]!r}")
    for line, prose in _outside_fences(doc):
        heading = _HEADING.match(line) if prose else None
        if heading and len(heading.group(1)) == 1:
            problems.append(f"{where}: top-level heading {line!r} (sections use '## ')")
    titles = [title for title, _ in sections]
    for title in REQUIRED_SECTIONS:
        if title not in titles:
            problems.append(f"{where}: missing heading '## {title}'")
    if rule.fixable and "Fix" not in titles:
        problems.append(f"{where}: fixable, but no '## Fix' saying what the fix does")
    for title, body in sections:
        if title not in DOC_SECTIONS:
            hint = (
                "examples are generated from `valid` / `invalid`"
                if title.startswith("Example")
                else "known: " + ", ".join(DOC_SECTIONS)
            )
            problems.append(f"{where}: unknown heading '## {title}' ({hint})")
        elif not body:
            problems.append(f"{where}: empty section '## {title}'")
    for title in sorted({t for t in titles if titles.count(t) > 1}):
        problems.append(f"{where}: heading '## {title}' appears {titles.count(title)} times")
    known = [t for t in titles if t in DOC_SECTIONS]
    for before, after in pairwise(known):
        if DOC_SECTIONS.index(after) < DOC_SECTIONS.index(before):
            problems.append(
                f"{where}: heading '## {after}' comes after '## {before}'"
                f" (order: {', '.join(DOC_SECTIONS)})"
            )
    return problems


def annotate(source: str) -> str:
    """Example source with ``# expect: CODE`` markers turned into readable annotations."""
    lines = []
    for line in source.splitlines():
        code, marker, codes = line.partition(EXPECT)
        if marker:
            names = ", ".join(c.strip() for c in codes.split(",") if c.strip())
            line = f"{code.rstrip()}  # <- {names}: flagged here"
        lines.append(line)
    return "\n".join(lines)


def shown_source(file: File, *, markers: bool) -> str:
    """An example file as a page shows it: markers annotated (or dropped), lines rstripped.

    Trailing blanks (``Revises: `` of a base revision) are dropped so that editors and
    whitespace hooks that strip them do not make the committed pages stale.
    """
    if markers:
        lines = annotate(file.source).splitlines()
    else:
        lines = [line.partition(EXPECT)[0] for line in file.source.splitlines()]
    return "\n".join(line.rstrip() for line in lines)


def _fenced(text: str, language: str) -> str:
    longest = max((len(run) for run in re.findall(r"`{3,}", text)), default=2)
    fence = "`" * (longest + 1)
    return f"{fence}{language}\n{text.rstrip()}\n{fence}"


def _file_block(file: File, *, markers: bool) -> str:
    return f"`versions/{file.filename}`\n\n{_fenced(shown_source(file, markers=markers), 'python')}"


def _example_blocks(examples: Sequence[Example], *, markers: bool) -> list[str]:
    blocks: list[str] = []
    for example in examples:
        title = example.title
        if example.dialect:
            title = f'{title} (`dialect = "{example.dialect}"`)'.strip()
        if title:
            blocks.append(f"{title[0].upper()}{title[1:]}:")
        if not example.branch:
            blocks.extend(_file_block(file, markers=markers) for file in example.files)
            continue
        gone = set(example.deleted)
        parts = (
            ("At the fork point (the target branch has these):", example.base, markers),
            ("Added or changed on the target branch since:", example.target, False),
            (
                "This branch deletes: " + ", ".join(f"`versions/{n}`" for n in sorted(gone)),
                (),
                False,
            ),
            ("This branch adds or changes (checked with `--against`):", example.files, markers),
        )
        for heading, files, marked in parts:
            if files or (heading.startswith("This branch deletes") and gone):
                blocks.append(f"*{heading}*")
                blocks.extend(_file_block(file, markers=marked) for file in files)
    return blocks


def _sentence(text: str) -> str:
    text = text.strip()
    return text if not text or text[-1] in ".!?:" else text + "."


def _on_off(flag: bool) -> str:
    return "on" if flag else "off"


def _yes_no(flag: bool) -> str:
    return "yes" if flag else "no"


def _toml(value: bool | int | str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value)


_TYPES = {bool: "boolean", int: "integer", str: "string"}


def _options(rule: type[Rule]) -> str:
    """The rule's settings, as the ``[tool.alembic-lint.rules.<name>]`` table takes them."""
    if not rule.options:
        return ""
    lines = [f"Set in `pyproject.toml` under `[tool.alembic-lint.rules.{rule.name}]`:", ""]
    for key, option in sorted(rule.options.items()):
        facts = [_TYPES.get(type(option.default), type(option.default).__name__)]
        facts.append(f"default `{_toml(option.default)}`")
        if option.minimum is not None:
            facts.append(f"at least `{option.minimum}`")
        lines.append(f"- `{key}` ({', '.join(facts)}): {' '.join(option.help.split())}")
    return "\n".join(lines)


def source_path(rule: type[Rule]) -> str:
    """The repository path of the module that defines ``rule``."""
    return "src/" + rule.__module__.replace(".", "/") + ".py"


def rule_page(rule: type[Rule]) -> str:
    """The Markdown page of one rule (``docs/rules/<name>.md``)."""
    parts = [f"# {rule.code} {rule.name}", _sentence(rule.summary)]
    parts += ["## What it does", _section(rule, "What it does")]
    parts += ["## Why is this bad?", _section(rule, "Why is this bad?")]
    parts.append("## Example")
    parts += _example_blocks(rule.invalid, markers=True)
    if rule.valid:
        parts.append("Use instead:")
        parts += _example_blocks(rule.valid, markers=False)
    parts += ["## Fix", _section(rule, "Fix")]
    if not rule.fixable:
        parts.append("No automatic fix.")
    if _section(rule, "Dialects"):
        parts += ["## Dialects", _section(rule, "Dialects")]
    parts += ["## Options", _section(rule, "Options"), _options(rule)]
    if not _section(rule, "Options") and not rule.options:
        parts.append("None.")
    parts += ["## Alembic versions", _sentence(rule.alembic_versions) or "All versions."]
    parts += [f"Severity: {rule.severity.value}", f"Default: {_on_off(rule.default)}"]
    parts.append(
        f"<!-- Generated by {GENERATOR} from {source_path(rule)}: edit the rule's docstring"
        " and examples there, not this file. -->"
    )
    return "\n\n".join(part for part in parts if part) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def rule_table(rules: Iterable[type[Rule]]) -> str:
    """A Markdown table of the rules, each name linked to its page."""
    rows = [
        "| Code | Name | Summary | Severity | Default | Fix |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for rule in rules:
        cells = (
            rule.code,
            f"[{rule.name}]({rule.name}.md)",
            _cell(rule.summary),
            rule.severity.value,
            _on_off(rule.default),
            _yes_no(rule.fixable),
        )
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows) + "\n"


def rule_index(rules: Iterable[type[Rule]]) -> str:
    """``docs/rules/README.md``: the table of every rule."""
    return (
        "# Rules\n\n"
        f"Generated by `python {GENERATOR}` from the rule classes in"
        " `src/alembic_lint/rules/`; edit those, not these pages.\n\n" + rule_table(rules)
    )


def rule_listing(rules: Iterable[type[Rule]]) -> str:
    """A plain-text table of the rules for a terminal (``alembic-lint rule --all``)."""
    rows = [("CODE", "NAME", "DEFAULT", "FIX", "SUMMARY")]
    rows += [
        (
            rule.code,
            rule.name,
            _on_off(rule.default),
            _yes_no(rule.fixable),
            rule.summary.replace("`", ""),
        )
        for rule in rules
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    return "".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False))
        + "  "
        + row[4]
        + "\n"
        for row in rows
    )


def generated_docs(rules: Sequence[type[Rule]]) -> dict[str, str]:
    """Every file of ``docs/rules/`` by file name: one page per rule and ``README.md``."""
    files = {f"{rule.name}.md": rule_page(rule) for rule in rules}
    files["README.md"] = rule_index(rules)
    return dict(sorted(files.items()))


def stale_docs(expected: Mapping[str, str], committed: Mapping[str, str]) -> dict[str, str]:
    """File name -> what is wrong, for the ``.md`` files of a docs directory.

    ``committed`` maps the ``.md`` file names in the directory to their text.
    """
    problems: dict[str, str] = {}
    for name in sorted(expected.keys() | committed.keys()):
        if name not in committed:
            problems[name] = "missing"
        elif name not in expected:
            problems[name] = "no such rule (delete it)"
        elif committed[name] != expected[name]:
            problems[name] = "out of date"
    return problems
