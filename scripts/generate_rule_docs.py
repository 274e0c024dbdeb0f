"""Write docs/rules/<name>.md for every rule and docs/rules/README.md; --check only compares."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from alembic_lint.docs import generated_docs, stale_docs
from alembic_lint.rules import registry

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "rules"


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 and list the files that are missing, stale or extra",
    )
    parser.add_argument("--output", type=Path, default=DOCS, help="default: docs/rules")
    args = parser.parse_args(argv)
    out: Path = args.output

    expected = generated_docs(registry())
    committed = (
        {p.name: p.read_text(encoding="utf-8") for p in sorted(out.glob("*.md"))}
        if out.is_dir()
        else {}
    )
    problems = stale_docs(expected, committed)
    if args.check:
        for name, problem in problems.items():
            print(f"{_shown(out / name)}: {problem}")
        if problems:
            print("Run `python scripts/generate_rule_docs.py` to regenerate the rule docs.")
            return 1
        return 0
    out.mkdir(parents=True, exist_ok=True)
    for name, problem in problems.items():
        path = out / name
        if name in expected:
            path.write_text(expected[name], encoding="utf-8", newline="\n")
            print(f"wrote {_shown(path)} ({problem})")
        else:
            path.unlink()
            print(f"deleted {_shown(path)} (no such rule)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
