"""The database a history is written for: the `dialect` setting, a literal URL, or the files."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

#: The dialects the `dialect` setting takes (SQLAlchemy's names for them).
NAMES = ("mariadb", "mssql", "mysql", "oracle", "postgresql", "sqlite")
#: ``dialect[+driver]://`` at the start of a URL, as SQLAlchemy's make_url reads it.
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9_]*)(?:\+[A-Za-z0-9_.]+)?://")


@dataclass(frozen=True, slots=True)
class Target:
    """The target dialect of one history (None: unknown), and why.

    ``settled``: set or read from a literal URL; otherwise the files of the history decide
    (see :func:`from_files`), and ``why`` says what was looked at before them.
    """

    name: str | None
    why: str
    settled: bool = True

    def describe(self) -> str:
        return f"{self.name or 'unknown'} ({self.why})"


def configured(
    setting: str | None, setting_source: str, url: str | None, url_source: str | None
) -> Target:
    """The target from the `dialect` setting, else from ``sqlalchemy.url`` (the raw ini
    value, before interpolation) when it names a dialect literally; else not settled."""
    if setting is not None:
        return Target(setting, f"`dialect` in {setting_source}")
    if url is None or url_source is None:
        return Target(None, "no `dialect` setting and no sqlalchemy.url", settled=False)
    name, problem = from_url(url)
    if name is not None:
        return Target(name, f"sqlalchemy.url in {url_source}")
    return Target(None, f"no `dialect` setting; sqlalchemy.url in {url_source} {problem}", False)


def from_url(raw: str) -> tuple[str | None, str]:
    """The dialect a URL names (``postgresql+psycopg://...`` -> postgresql), or None and
    why not: a value filled in at run time (``%(DB_URL)s``, ``${DATABASE_URL}``) or a
    scheme that is no dialect alembic-lint knows (the template's ``driver://``)."""
    value = raw.strip()
    match = _SCHEME.match(value)
    if match is None:
        if not value:
            return None, "is empty"
        return None, f"is not a literal URL ({_short(value)})"
    scheme = match.group(1).lower()
    if scheme in NAMES:
        return scheme, ""
    return None, f"names {scheme!r}, not a dialect alembic-lint knows"


def _short(value: str) -> str:
    return value if len(value) <= 40 else value[:37] + "..."


def from_files(before: Target, per_file: Iterable[tuple[str, ...]]) -> Target:
    """The target a history's files show (each file's Migration.dialects): the one dialect
    they name, else unknown (none, or several: a migration written for more than one
    database must work on each)."""
    counts: Counter[str] = Counter()
    for dialects in per_file:
        counts.update(dialects)
    if "mysql" in counts and "mariadb" in counts:
        # MySQL's dialect serves MariaDB too: MySQL's rules are the stricter ones.
        counts["mysql"] += counts.pop("mariadb")
    evidence = ", ".join(
        f"{name} in {n} file{'s' if n != 1 else ''}" for name, n in sorted(counts.items())
    )
    if len(counts) == 1:
        (name,) = counts
        return Target(name, f"{before.why}; evidence in the files: {evidence}", settled=False)
    if not counts:
        return Target(None, f"{before.why}; no evidence in the files", settled=False)
    return Target(None, f"{before.why}; the files name several dialects: {evidence}", settled=False)
