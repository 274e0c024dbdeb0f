"""Tests for discover: config reading, version locations and the files Alembic would load."""

from __future__ import annotations

import os
import py_compile
import sys
import warnings
from collections.abc import Callable
from pathlib import Path

import pytest

from alembic_lint.discover import DiscoveryError, HistorySpec, discover, list_version_files

REVISION = """\
revision = {rev!r}
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
"""


def write(path: Path, text: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


_counter = iter(range(10**6))


def rev(path: Path) -> Path:
    """A tiny valid revision file with a unique id (Alembic can load it)."""
    return write(path, REVISION.format(rev=f"r{next(_counter):011d}"))


def rel(paths: tuple[Path, ...] | list[Path], root: Path) -> list[str]:
    return [p.relative_to(root).as_posix() for p in paths]


def ini(directory: Path, body: str, name: str = "alembic.ini", section: str = "alembic") -> Path:
    return write(directory / name, f"[{section}]\n{body}\n")


def error(fn: Callable[[], object]) -> str:
    with pytest.raises(DiscoveryError) as info:
        fn()
    message = str(info.value)
    assert "\n" not in message
    return message


def only_spec(paths: list[str], cwd: Path, section: str | None = None) -> HistorySpec:
    specs = discover(paths, section=section, cwd=cwd)
    assert len(specs) == 1
    return specs[0]


# --- list_version_files ---------------------------------------------------------------------

INCLUDED = ["a.py", ".hidden.py", "_x.py", "1.py", "__x.py", "a.b.py", "x__init__.py"]
EXCLUDED = ["__init__.py", "__init__x.py", ".#x.py", "x.pyi", "x.PY", "x.py~", "notes.txt", "x.pyc"]


def test_filename_filter(tmp_path: Path) -> None:
    for name in INCLUDED + EXCLUDED:
        write(tmp_path / "v" / name)
    found = list_version_files([tmp_path / "v"], recursive=False, sourceless=False)
    assert rel(found, tmp_path / "v") == sorted(INCLUDED)


def test_files_in_sorted_order(tmp_path: Path) -> None:
    names = ["b.py", "B.py", "a.py", "10.py", "2.py", "_c.py", ".d.py"]
    for name in names:
        write(tmp_path / name)
    found = list_version_files([tmp_path], recursive=False, sourceless=False)
    assert rel(found, tmp_path) == sorted(names)
    assert all(p.is_absolute() for p in found)


def _tree(root: Path) -> None:
    for name in [
        "z.py",
        "b/b1.py",
        "b/a/x.py",
        "a/a1.py",
        ".hidden/h.py",
        "__pycache__/p.py",
        "x__pycache__/q.py",
        "__pycache__/sub/s.py",
    ]:
        write(root / name)


def test_subdirectories_ignored_without_recursive(tmp_path: Path) -> None:
    _tree(tmp_path)
    assert rel(list_version_files([tmp_path], recursive=False, sourceless=False), tmp_path) == [
        "z.py"
    ]


def test_recursive_walk_is_top_down_sorted_with_hidden_dirs(tmp_path: Path) -> None:
    _tree(tmp_path)
    found = list_version_files([tmp_path], recursive=True, sourceless=False)
    # __pycache__ dirs lose their own files but, as in Alembic, their subdirs are still walked
    assert rel(found, tmp_path) == [
        "z.py",
        ".hidden/h.py",
        "__pycache__/sub/s.py",
        "a/a1.py",
        "b/b1.py",
        "b/a/x.py",
    ]


def test_sourceless(tmp_path: Path) -> None:
    for name in [
        "a.py",
        "__pycache__/a.cpython-311.pyc",
        "__pycache__/b.cpython-311.pyc",
        "c.pyc",
        "d.py",
        "d.pyc",
        "e.pyc",
        "e.pyo",
        "f.pyo",
        "__init__.pyc",
    ]:
        write(tmp_path / name)
    found = list_version_files([tmp_path], recursive=False, sourceless=True)
    assert rel(found, tmp_path) == [
        "a.py",
        "c.pyc",
        "d.py",
        "e.pyc",
        "f.pyo",
        "__pycache__/b.cpython-311.pyc",
    ]
    plain = list_version_files([tmp_path], recursive=False, sourceless=False)
    assert rel(plain, tmp_path) == ["a.py", "d.py"]


def test_missing_locations_skipped(tmp_path: Path) -> None:
    write(tmp_path / "v" / "a.py")
    found = list_version_files(
        [tmp_path / "nope", tmp_path / "v"], recursive=False, sourceless=False
    )
    assert rel(found, tmp_path) == ["v/a.py"]


def test_duplicate_and_symlinked_locations_load_once(tmp_path: Path) -> None:
    write(tmp_path / "v" / "a.py")
    write(tmp_path / "w" / "b.py")
    (tmp_path / "link").symlink_to(tmp_path / "v")
    (tmp_path / "w" / "c.py").symlink_to(tmp_path / "v" / "a.py")
    locations = [tmp_path / "link", tmp_path / "v", tmp_path / "w", tmp_path / "w"]
    found = list_version_files(locations, recursive=False, sourceless=False)
    # the first occurrence wins and keeps its unresolved path
    assert rel(found, tmp_path) == ["link/a.py", "w/b.py"]


def test_filter_uses_the_symlink_target_name(tmp_path: Path) -> None:
    write(tmp_path / "other" / "real.py")
    write(tmp_path / "other" / "notes.txt")
    (tmp_path / "v").mkdir()
    (tmp_path / "v" / "a.txt").symlink_to(tmp_path / "other" / "real.py")
    (tmp_path / "v" / "b.py").symlink_to(tmp_path / "other" / "notes.txt")
    found = list_version_files([tmp_path / "v"], recursive=False, sourceless=False)
    assert rel(found, tmp_path) == ["v/a.txt"]


# --- config files -----------------------------------------------------------------------------


def test_dir_with_alembic_ini(tmp_path: Path) -> None:
    ini(tmp_path, "script_location = %(here)s/migrations")
    rev(tmp_path / "migrations" / "versions" / "a.py")
    spec = only_spec(["."], tmp_path)
    assert spec.name == "."
    assert spec.locations == (tmp_path / "migrations" / "versions",)
    assert rel(spec.files, tmp_path) == ["migrations/versions/a.py"]
    assert spec.config == tmp_path / "alembic.ini"
    assert (spec.recursive, spec.sourceless, spec.only) == (False, False, None)
    assert (spec.file_template, spec.truncate_slug_length) == (None, None)


def test_relative_paths_resolve_against_the_config_dir(tmp_path: Path) -> None:
    backend = tmp_path / "backend"
    ini(backend, "script_location = migrations")
    rev(backend / "migrations" / "versions" / "a.py")
    spec = only_spec(["backend/alembic.ini"], tmp_path)
    assert spec.name == "backend/alembic.ini"
    assert spec.locations == (backend / "migrations" / "versions",)


def test_version_locations_replace_the_default(tmp_path: Path) -> None:
    ini(tmp_path, "script_location = mig\npath_separator = os\nversion_locations = other")
    rev(tmp_path / "mig" / "versions" / "a.py")
    rev(tmp_path / "other" / "b.py")
    spec = only_spec([], tmp_path)
    assert spec.name == "alembic.ini"
    assert spec.locations == (tmp_path / "other",)
    assert rel(spec.files, tmp_path) == ["other/b.py"]


@pytest.mark.parametrize(
    ("separator", "joiner"),
    [
        ("os", os.pathsep),
        (":", ":"),
        (";", ";"),
        ("space", "  "),
        ("newline", "\n    "),
    ],
)
def test_path_separator(tmp_path: Path, separator: str, joiner: str) -> None:
    for name in ["b", "a"]:
        rev(tmp_path / name / f"{name}.py")
    value = joiner.join(["%(here)s/b ", " a"])
    ini(tmp_path, f"script_location = .\npath_separator = {separator}\nversion_locations = {value}")
    spec = only_spec(["."], tmp_path)
    assert spec.locations == (tmp_path / "b", tmp_path / "a")
    assert rel(spec.files, tmp_path) == ["b/b.py", "a/a.py"]


def test_blank_entries_dropped(tmp_path: Path) -> None:
    rev(tmp_path / "a" / "a.py")
    rev(tmp_path / "b" / "b.py")
    ini(tmp_path, "script_location = .\npath_separator = ;\nversion_locations = a; ;;b;")
    assert only_spec(["."], tmp_path).locations == (tmp_path / "a", tmp_path / "b")


def test_invalid_path_separator(tmp_path: Path) -> None:
    ini(tmp_path, "script_location = .\npath_separator = comma\nversion_locations = a,b")
    message = error(lambda: discover(["."], cwd=tmp_path))
    assert message == (
        "alembic.ini: 'comma' is not a valid value for path_separator; "
        "expected 'space', 'newline', 'os', ':', ';'"
    )


def test_version_path_separator_fallback(tmp_path: Path) -> None:
    rev(tmp_path / "a b" / "a.py")
    rev(tmp_path / "c" / "c.py")
    ini(tmp_path, "script_location = .\nversion_path_separator = ;\nversion_locations = a b;c")
    assert only_spec(["."], tmp_path).locations == (tmp_path / "a b", tmp_path / "c")


def test_path_separator_wins_over_version_path_separator(tmp_path: Path) -> None:
    rev(tmp_path / "a" / "a.py")
    rev(tmp_path / "c" / "c.py")
    body = "script_location = .\npath_separator = space\nversion_path_separator = ;\n"
    ini(tmp_path, body + "version_locations = a c")
    assert only_spec(["."], tmp_path).locations == (tmp_path / "a", tmp_path / "c")


def test_invalid_version_path_separator(tmp_path: Path) -> None:
    ini(tmp_path, "script_location = .\nversion_path_separator = comma\nversion_locations = a")
    assert "'comma' is not a valid value for version_path_separator;" in error(
        lambda: discover(["."], cwd=tmp_path)
    )


def test_legacy_split_on_commas_and_spaces(tmp_path: Path) -> None:
    for name in ["a", "b", "c"]:
        rev(tmp_path / name / f"{name}.py")
    ini(tmp_path, "script_location = .\nversion_locations = a, b  c,")
    spec = only_spec(["."], tmp_path)
    assert spec.locations == (tmp_path / "a", tmp_path / "b", tmp_path / "c")


def test_here_in_toml_and_percent_escape(tmp_path: Path) -> None:
    rev(tmp_path / "mig" / "100%" / "a.py")
    write(
        tmp_path / "pyproject.toml",
        '[tool.alembic]\nscript_location = "%(here)s/mig"\n'
        'version_locations = ["%(here)s/mig/100%%"]\nfile_template = "%%(rev)s"\n',
    )
    spec = only_spec([], tmp_path)
    assert spec.name == "pyproject.toml"
    assert spec.config == tmp_path / "pyproject.toml"
    assert spec.locations == (tmp_path / "mig" / "100%",)
    assert spec.file_template == "%(rev)s"


def test_toml_relative_paths_and_options(tmp_path: Path) -> None:
    rev(tmp_path / "proj" / "mig" / "versions" / "sub" / "a.py")
    write(
        tmp_path / "proj" / "pyproject.toml",
        '[tool.alembic]\nscript_location = "mig"\nrecursive_version_locations = true\n'
        "sourceless = false\ntruncate_slug_length = 20\n",
    )
    spec = only_spec(["proj"], tmp_path)
    assert spec.recursive and not spec.sourceless
    assert spec.truncate_slug_length == 20
    assert rel(spec.files, tmp_path) == ["proj/mig/versions/sub/a.py"]


def test_ini_wins_over_toml(tmp_path: Path) -> None:
    rev(tmp_path / "from_ini" / "versions" / "sub" / "a.py")
    rev(tmp_path / "from_toml" / "versions" / "b.py")
    ini(tmp_path, "script_location = from_ini")
    write(
        tmp_path / "pyproject.toml",
        '[tool.alembic]\nscript_location = "from_toml"\nrecursive_version_locations = true\n',
    )
    spec = only_spec(["."], tmp_path)
    assert spec.config == tmp_path / "alembic.ini"
    assert spec.locations == (tmp_path / "from_ini" / "versions",)
    assert spec.recursive  # not in the ini: taken from the TOML
    assert rel(spec.files, tmp_path) == ["from_ini/versions/sub/a.py"]


def test_version_locations_from_toml_when_ini_has_none(tmp_path: Path) -> None:
    rev(tmp_path / "t" / "a.py")
    ini(tmp_path, "script_location = .\nversion_locations =")
    write(tmp_path / "pyproject.toml", '[tool.alembic]\nversion_locations = ["t"]\n')
    assert only_spec(["."], tmp_path).locations == (tmp_path / "t",)


@pytest.mark.parametrize(("value", "recursive"), [("true", True), ("True", False), ("1", False)])
def test_ini_boolean_is_exact_true(tmp_path: Path, value: str, recursive: bool) -> None:
    rev(tmp_path / "mig" / "versions" / "sub" / "a.py")
    ini(tmp_path, f"script_location = mig\nrecursive_version_locations = {value}")
    spec = only_spec(["."], tmp_path)
    assert spec.recursive is recursive
    assert len(spec.files) == int(recursive)


def test_toml_boolean_must_be_a_bool(tmp_path: Path) -> None:
    (tmp_path / "mig" / "versions").mkdir(parents=True)
    write(
        tmp_path / "pyproject.toml",
        '[tool.alembic]\nscript_location = "mig"\nrecursive_version_locations = "true"\n',
    )
    assert error(lambda: discover(["."], cwd=tmp_path)) == (
        "pyproject.toml: boolean value expected for TOML parameter 'recursive_version_locations'"
    )


def test_toml_version_locations_must_be_a_list(tmp_path: Path) -> None:
    (tmp_path / "mig" / "versions").mkdir(parents=True)
    write(
        tmp_path / "pyproject.toml",
        '[tool.alembic]\nscript_location = "mig"\nversion_locations = "mig/versions"\n',
    )
    assert "list value expected" in error(lambda: discover(["."], cwd=tmp_path))


def test_malformed_toml(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "[tool.alembic\n")
    assert error(lambda: discover(["."], cwd=tmp_path)).startswith("pyproject.toml: ")


def test_section_selection(tmp_path: Path) -> None:
    rev(tmp_path / "one" / "versions" / "a.py")
    rev(tmp_path / "two" / "versions" / "b.py")
    write(
        tmp_path / "alembic.ini",
        "[alembic]\nscript_location = one\n[second]\nscript_location = two\n",
    )
    assert rel(only_spec(["."], tmp_path).files, tmp_path) == ["one/versions/a.py"]
    spec = only_spec(["."], tmp_path, section="second")
    assert rel(spec.files, tmp_path) == ["two/versions/b.py"]


def test_unknown_section(tmp_path: Path) -> None:
    ini(tmp_path, "script_location = .")
    message = error(lambda: discover(["."], section="nope", cwd=tmp_path))
    assert message == "alembic.ini: no [nope] section"


def test_ini_without_alembic_section_falls_back_to_toml(tmp_path: Path) -> None:
    rev(tmp_path / "mig" / "versions" / "a.py")
    write(tmp_path / "alembic.ini", "[loggers]\nkeys = root\n")
    assert error(lambda: discover(["."], cwd=tmp_path)) == "alembic.ini: no [alembic] section"
    write(tmp_path / "pyproject.toml", '[tool.alembic]\nscript_location = "mig"\n')
    assert only_spec(["."], tmp_path).locations == (tmp_path / "mig" / "versions",)


def test_ini_interpolation_and_parse_errors(tmp_path: Path) -> None:
    ini(tmp_path, "script_location = %(nope)s/mig")
    assert "interpolation key 'nope'" in error(lambda: discover(["."], cwd=tmp_path))
    write(tmp_path / "alembic.ini", "script_location = mig\n")
    assert "no section headers" in error(lambda: discover(["."], cwd=tmp_path))


def test_here_in_ini(tmp_path: Path) -> None:
    rev(tmp_path / "cfg" / "v" / "a.py")
    ini(tmp_path / "cfg", "script_location = /nonexistent\nversion_locations = %(here)s/v")
    assert error(lambda: discover(["cfg"], cwd=tmp_path)).startswith(
        "cfg/alembic.ini: script_location '/nonexistent' does not exist"
    )
    ini(tmp_path / "cfg", "script_location = %(here)s\nversion_locations = %(here)s/v")
    assert only_spec(["cfg"], tmp_path).locations == (tmp_path / "cfg" / "v",)


def test_file_template_and_truncate_slug_length(tmp_path: Path) -> None:
    (tmp_path / "versions").mkdir()
    ini(
        tmp_path,
        "script_location = .\nfile_template = %%(rev)s_%%(slug)s\ntruncate_slug_length = 7",
    )
    spec = only_spec(["."], tmp_path)
    assert spec.file_template == "%(rev)s_%(slug)s"
    assert spec.truncate_slug_length == 7
    ini(tmp_path, "script_location = .\ntruncate_slug_length = long")
    message = error(lambda: discover(["."], cwd=tmp_path))
    assert message == "alembic.ini: truncate_slug_length must be an integer, not 'long'"


def test_missing_script_location(tmp_path: Path) -> None:
    ini(tmp_path, "sqlalchemy.url = sqlite://")
    assert error(lambda: discover(["."], cwd=tmp_path)) == (
        "alembic.ini: No 'script_location' key found in configuration"
    )


def test_no_version_location_exists(tmp_path: Path) -> None:
    ini(tmp_path, "script_location = .\npath_separator = space\nversion_locations = typo other")
    assert error(lambda: discover(["."], cwd=tmp_path)) == (
        "alembic.ini: no version location exists: typo, other"
    )
    ini(tmp_path, "script_location = .")
    assert error(lambda: discover(["."], cwd=tmp_path)) == (
        "alembic.ini: no version location exists: versions"
    )


def test_flask_migrate_layout(tmp_path: Path) -> None:
    migrations = tmp_path / "migrations"
    ini(migrations, "# template used by Flask-Migrate")
    write(migrations / "env.py", "import flask\n")
    rev(migrations / "versions" / "a.py")
    for arg in ["migrations", "migrations/alembic.ini", "migrations/versions"]:
        spec = only_spec([arg], tmp_path)
        assert spec.name == arg
        assert spec.config == migrations / "alembic.ini"
        assert spec.locations == (migrations / "versions",)
        assert rel(spec.files, tmp_path) == ["migrations/versions/a.py"]


def test_ini_file_argument_reads_sibling_pyproject(tmp_path: Path) -> None:
    rev(tmp_path / "mig" / "versions" / "sub" / "a.py")
    ini(tmp_path, "script_location = mig", name="prod.ini")
    write(tmp_path / "pyproject.toml", "[tool.alembic]\nrecursive_version_locations = true\n")
    spec = only_spec(["prod.ini"], tmp_path)
    assert spec.config == tmp_path / "prod.ini"
    assert spec.recursive


def test_pyproject_file_argument(tmp_path: Path) -> None:
    rev(tmp_path / "mig" / "versions" / "a.py")
    write(tmp_path / "pyproject.toml", "[project]\nname = 'x'\n")
    assert error(lambda: discover(["pyproject.toml"], cwd=tmp_path)) == (
        "pyproject.toml: no [tool.alembic] table"
    )
    write(tmp_path / "pyproject.toml", '[tool.alembic]\nscript_location = "mig"\n')
    spec = only_spec(["pyproject.toml"], tmp_path)
    assert spec.config == tmp_path / "pyproject.toml"
    assert rel(spec.files, tmp_path) == ["mig/versions/a.py"]


def test_package_resource_found_without_importing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "zzpkg_discover" / "__init__.py", "raise RuntimeError('imported!')\n")
    write(tmp_path / "zzpkg_discover" / "db" / "__init__.py", "raise RuntimeError('imported!')\n")
    rev(tmp_path / "zzpkg_discover" / "db" / "migrations" / "versions" / "a.py")
    rev(tmp_path / "zzpkg_discover" / "extra" / "b.py")
    ini(
        tmp_path,
        "prepend_sys_path = .\nscript_location = zzpkg_discover.db:migrations\n"
        "path_separator = newline\nversion_locations =\n"
        "    zzpkg_discover.db:migrations/versions\n    zzpkg_discover:extra",
    )
    monkeypatch.chdir(tmp_path.parent)  # found through prepend_sys_path, not the CWD
    spec = only_spec([str(tmp_path)], tmp_path.parent)
    assert rel(spec.files, tmp_path) == [
        "zzpkg_discover/db/migrations/versions/a.py",
        "zzpkg_discover/extra/b.py",
    ]
    assert "zzpkg_discover" not in sys.modules


def test_package_resource_not_found(tmp_path: Path) -> None:
    ini(tmp_path, "script_location = zz_no_such_package_anywhere:migrations")
    assert error(lambda: discover(["."], cwd=tmp_path)) == (
        "alembic.ini: cannot find package 'zz_no_such_package_anywhere' of "
        "'zz_no_such_package_anywhere:migrations' (it is never imported)"
    )


# --- PATH arguments ---------------------------------------------------------------------------


def test_standalone_versions_dir(tmp_path: Path) -> None:
    """No config says otherwise: subdirectories are part of the history (per-release
    subdirectories, as OpenStack projects keep them, are listed in version_locations by
    code the linter never runs; reading only the top would pass them over in silence)."""
    rev(tmp_path / "v" / "a.py")
    rev(tmp_path / "v" / "sub" / "b.py")
    rev(tmp_path / "v" / "2024.1" / "expand" / "c.py")
    spec = only_spec(["v"], tmp_path)
    assert spec == HistorySpec(
        name="v",
        locations=(tmp_path / "v",),
        recursive=True,
        sourceless=False,
        config=None,
        files=(
            tmp_path / "v" / "a.py",
            tmp_path / "v" / "2024.1" / "expand" / "c.py",
            tmp_path / "v" / "sub" / "b.py",
        ),
    )
    # Found from above, the same history.
    assert discover(["."], cwd=tmp_path) == [spec]


def test_versions_dir_owned_by_multi_location_config(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    rev(repo / "app" / "a" / "a.py")
    rev(repo / "app" / "b" / "b.py")
    write(repo / "pyproject.toml", "[project]\nname = 'x'\n")  # not a config: keep looking
    ini(repo, "script_location = app\npath_separator = os\nversion_locations = app/b:app/a")
    spec = only_spec(["repo/app/a"], tmp_path)
    assert spec.name == "repo/app/a"
    assert spec.config == repo / "alembic.ini"
    assert spec.locations == (repo / "app" / "b", repo / "app" / "a")
    assert rel(spec.files, repo) == ["app/b/b.py", "app/a/a.py"]


def test_subdir_owned_by_recursive_config(tmp_path: Path) -> None:
    rev(tmp_path / "mig" / "versions" / "a.py")
    rev(tmp_path / "mig" / "versions" / "2024" / "b.py")
    ini(tmp_path, "script_location = mig\nrecursive_version_locations = true")
    spec = only_spec(["mig/versions/2024"], tmp_path)
    assert spec.config == tmp_path / "alembic.ini"
    assert rel(spec.files, tmp_path) == ["mig/versions/a.py", "mig/versions/2024/b.py"]
    # without recursion the config does not own the subdirectory: standalone
    ini(tmp_path, "script_location = mig")
    spec = only_spec(["mig/versions/2024"], tmp_path)
    assert spec.config is None
    assert rel(spec.files, tmp_path) == ["mig/versions/2024/b.py"]


def test_broken_ancestor_config_is_ignored(tmp_path: Path) -> None:
    rev(tmp_path / "v" / "a.py")
    write(tmp_path / "alembic.ini", "not an ini\n")
    assert only_spec(["v"], tmp_path).config is None


def test_py_file_argument(tmp_path: Path) -> None:
    a = rev(tmp_path / "mig" / "versions" / "a.py")
    b = rev(tmp_path / "mig" / "versions" / "b.py")
    write(tmp_path / "mig" / "versions" / "__init__.py")
    ini(tmp_path, "script_location = mig")
    spec = only_spec(["mig/versions/a.py"], tmp_path)
    assert spec.config == tmp_path / "alembic.ini"
    assert spec.files == (a, b)
    assert spec.only == frozenset({a})
    both = only_spec(["mig/versions/a.py", "mig/versions/b.py"], tmp_path)
    assert both.only == frozenset({a, b})
    assert only_spec(["mig/versions/b.py", "mig/versions"], tmp_path).only is None
    assert error(lambda: discover(["mig/versions/__init__.py"], cwd=tmp_path)) == (
        "mig/versions/__init__.py: not a revision file Alembic would load from mig/versions"
    )


def test_nonexistent_path(tmp_path: Path) -> None:
    assert error(lambda: discover(["nope"], cwd=tmp_path)) == "nope: no such file or directory"


def test_no_path_uses_cwd_config(tmp_path: Path) -> None:
    rev(tmp_path / "mig" / "versions" / "a.py")
    ini(tmp_path, "script_location = mig")
    spec = only_spec([], tmp_path)
    assert spec.name == "alembic.ini"
    assert rel(spec.files, tmp_path) == ["mig/versions/a.py"]


def test_no_path_without_config(tmp_path: Path) -> None:
    message = error(lambda: discover([], cwd=tmp_path))
    assert str(tmp_path) in message
    assert "versions directory" in message


def test_multiple_paths_and_dedupe(tmp_path: Path) -> None:
    rev(tmp_path / "one" / "mig" / "versions" / "a.py")
    rev(tmp_path / "two" / "b.py")
    ini(tmp_path / "one", "script_location = mig")
    (tmp_path / "alias").symlink_to(tmp_path / "one" / "mig" / "versions")
    specs = discover(
        ["one", "two", "one/alembic.ini", "one/mig/versions", "alias", "two/"], cwd=tmp_path
    )
    assert [spec.name for spec in specs] == ["one", "two"]


# --- differential: what Alembic itself loads -----------------------------------------------


def _layout_plain(root: Path) -> Path:
    for name in ["a.py", ".hidden.py", "_x.py", "B.py", "abc.txt", "sub/c.py"]:
        rev(root / "mig" / "versions" / name)
    write(root / "mig" / "versions" / "__init__.py")
    write(root / "mig" / "versions" / ".#lock.py", "broken(")
    write(root / "mig" / "versions" / "x.pyi", "broken(")
    return ini(root, "script_location = mig")


def _layout_recursive(root: Path) -> Path:
    versions = root / "mig" / "versions"
    for name in ["z.py", "b/b1.py", "b/a/x.py", "a/a1.py", ".hidden/h.py", "__pycache__/s/s.py"]:
        rev(versions / name)
    write(versions / "__pycache__" / "p.py", "broken(")
    return ini(root, "script_location = mig\nrecursive_version_locations = true")


def _layout_locations(root: Path) -> Path:
    for name in ["one/b.py", "one/a.py", "two/c.py", "other/real.py"]:
        rev(root / name)
    (root / "one" / "link.txt").symlink_to(root / "other" / "real.py")
    (root / "alias").symlink_to(root / "two")
    body = "script_location = .\npath_separator = space\nversion_locations = two one alias missing"
    return ini(root, body)


def _layout_sourceless(root: Path) -> Path:
    versions = root / "mig" / "versions"
    for name in ["a.py", "b.py", "c.py"]:
        rev(versions / name)
    py_compile.compile(str(versions / "b.py"))  # -> __pycache__/b.cpython-3XX.pyc
    py_compile.compile(str(versions / "c.py"), cfile=str(versions / "c.pyc"))
    py_compile.compile(str(versions / "a.py"), cfile=str(versions / "a.pyc"))
    (versions / "b.py").unlink()
    (versions / "c.py").unlink()
    return ini(root, "script_location = mig\nsourceless = true")


def _layout_toml(root: Path) -> Path:
    for name in ["v1/a.py", "v2/sub/b.py", "v2/c.py"]:
        rev(root / name)
    write(
        root / "pyproject.toml",
        '[tool.alembic]\nscript_location = "%(here)s"\n'
        'version_locations = ["%(here)s/v2", "%(here)s/v1"]\n'
        "recursive_version_locations = true\n",
    )
    return root / "pyproject.toml"


@pytest.mark.parametrize(
    "layout",
    [_layout_plain, _layout_recursive, _layout_locations, _layout_sourceless, _layout_toml],
)
def test_same_files_as_alembic(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, layout: Callable[[Path], Path]
) -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config_file = layout(tmp_path)
    spec = only_spec([str(config_file)], tmp_path)

    monkeypatch.chdir(config_file.parent)
    if config_file.name == "pyproject.toml":
        cfg = Config(toml_file=str(config_file))
    else:
        cfg = Config(str(config_file))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        script_dir = ScriptDirectory.from_config(cfg)
        alembic_paths = [Path(script.path).resolve() for script in script_dir._load_revisions()]

    assert alembic_paths  # the layout is not trivially empty
    assert [path.resolve() for path in spec.files] == alembic_paths


def test_script_directory_without_config_means_its_versions(tmp_path: Path) -> None:
    """`alembic-lint migrations` must not lint env.py as a migration."""
    script = tmp_path / "migrations"
    (script / "versions").mkdir(parents=True)
    (script / "env.py").write_text("from alembic import context\n")
    (script / "versions" / "a1_init.py").write_text("revision = 'a1'\ndown_revision = None\n")
    (spec,) = discover(["migrations"], cwd=tmp_path)
    assert [f.name for f in spec.files] == ["a1_init.py"]
    # A directory that holds nothing but versions/ works the same way.
    (script / "env.py").unlink()
    (spec,) = discover(["migrations"], cwd=tmp_path)
    assert [f.name for f in spec.files] == ["a1_init.py"]


# --- histories below a directory (`alembic-lint .`, `alembic-lint db`, bare `alembic-lint`) ---


def names(specs: list[HistorySpec], root: Path) -> list[list[str]]:
    return [rel(list(spec.locations), root) for spec in specs]


def test_a_repository_root_finds_the_versions_directory_below(tmp_path: Path) -> None:
    rev(tmp_path / "db" / "migrations" / "versions" / "a.py")
    write(tmp_path / "app" / "main.py", "print('hello')\n")
    for cwd, paths in (
        (tmp_path, ["."]),
        (tmp_path, []),
        (tmp_path, ["db"]),
        (tmp_path / "db", []),
    ):
        (spec,) = discover(paths, cwd=cwd)
        assert rel(list(spec.locations), tmp_path) == ["db/migrations/versions"]
        assert rel(spec.files, tmp_path) == ["db/migrations/versions/a.py"]
        assert spec.config is None


def test_several_histories_below_are_each_found_in_sorted_order(tmp_path: Path) -> None:
    rev(tmp_path / "services" / "billing" / "migrations" / "versions" / "a.py")
    rev(tmp_path / "services" / "auth" / "alembic" / "versions" / "a.py")
    ini(tmp_path / "services" / "auth", "script_location = %(here)s/alembic")
    specs = discover(["."], cwd=tmp_path)
    assert names(specs, tmp_path) == [
        ["services/auth/alembic/versions"],
        ["services/billing/migrations/versions"],
    ]
    assert [s.name for s in specs] == [
        "services/auth/alembic.ini",
        "services/billing/migrations/versions",
    ]


def test_a_config_found_below_claims_its_locations_wherever_they_are(tmp_path: Path) -> None:
    # The config sorts after the directory it points at: still one history, the config's.
    rev(tmp_path / "a_schema" / "revisions" / "a.py")
    ini(
        tmp_path / "z_conf",
        "script_location = %(here)s/../a_schema\n"
        "version_locations = %(here)s/../a_schema/revisions",
    )
    (spec,) = discover(["."], cwd=tmp_path)
    assert spec.config == tmp_path / "z_conf" / "alembic.ini"
    assert rel(list(spec.locations), tmp_path / "z_conf") == ["../a_schema/revisions"]


def test_a_directory_below_owned_by_a_config_above_uses_that_config(tmp_path: Path) -> None:
    rev(tmp_path / "db" / "revisions" / "a.py")
    ini(tmp_path, "script_location = %(here)s/db\nversion_locations = %(here)s/db/revisions")
    (spec,) = discover(["db"], cwd=tmp_path)
    assert spec.config == tmp_path / "alembic.ini"


def test_dependencies_builds_caches_and_hidden_directories_are_not_searched(
    tmp_path: Path,
) -> None:
    rev(tmp_path / "migrations" / "versions" / "a.py")
    for skipped in (
        ".git/x/versions",
        ".venv/lib/versions",
        "node_modules/pkg/versions",
        "build/lib/versions",
        "dist/versions",
        "pkg.egg-info/versions",
        "site-packages/versions",
        "myenv/lib/versions",  # a virtualenv by its pyvenv.cfg, whatever its name
    ):
        rev(tmp_path / skipped / "a.py")
    write(tmp_path / "myenv" / "pyvenv.cfg", "home = /usr/bin\n")
    assert names(discover(["."], cwd=tmp_path), tmp_path) == [["migrations/versions"]]


def test_source_files_holding_a_migration_template_are_not_a_history(tmp_path: Path) -> None:
    template = '"""\nrevision = ${repr(up_revision)}\ndown_revision = ${repr(down_revision)}\n"""\n'
    write(tmp_path / "tools" / "scaffold.py", f"TEMPLATE = {template}")
    write(tmp_path / "tests" / "test_x.py", "# down_revision = 'x'\nassert 'down_revision' in ''\n")
    message = error(lambda: discover(["."], cwd=tmp_path))
    assert message.startswith(f"no Alembic history in {tmp_path} or below")
    assert "pass a versions directory or a config file as PATH" in message


def test_a_migration_is_recognised_in_its_usual_shapes(tmp_path: Path) -> None:
    shapes = {
        "typed": '"""msg\n\nRevision ID: a\n"""\nrevision: str = "a"\n'
        "down_revision: Union[str, None] = None\n",
        "python2": "revision = 'a'\ndown_revision = None\n\ndef upgrade():\n    print 'x'\n",
        "late": "# a long comment\n" * 200 + "revision = 'a'\ndown_revision = None\n",
    }
    for name, text in shapes.items():
        write(tmp_path / name / "versions" / "a.py", text)
        (spec,) = discover([name], cwd=tmp_path)
        assert rel(list(spec.locations), tmp_path) == [f"{name}/versions"], name


def test_search_is_bounded_and_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import alembic_lint.discover as discover_mod

    deep = tmp_path.joinpath(*"abcdefghijkl")
    rev(deep / "versions" / "a.py")
    message = error(lambda: discover(["."], cwd=tmp_path))
    assert "stopped after" in message
    monkeypatch.setattr(discover_mod, "SEARCH_DEPTH", 20)
    monkeypatch.setattr(discover_mod, "SEARCH_DIRS", 5)
    warnings: list[str] = []
    assert "stopped after 5 directories" in error(lambda: discover(["."], cwd=tmp_path))
    monkeypatch.setattr(discover_mod, "SEARCH_DIRS", 100)
    (spec,) = discover(["."], cwd=tmp_path, warn=warnings.append)
    assert spec.locations == (deep / "versions",) and warnings == []


def test_search_neither_follows_symlinks_nor_blocks_on_fifos(tmp_path: Path) -> None:
    rev(tmp_path / "migrations" / "versions" / "a.py")
    (tmp_path / "loop").mkdir()
    (tmp_path / "loop" / "back").symlink_to(tmp_path, target_is_directory=True)
    (tmp_path / "outside").symlink_to("/", target_is_directory=True)
    (tmp_path / "pipes").mkdir()
    os.mkfifo(tmp_path / "pipes" / "m.py")
    assert names(discover(["."], cwd=tmp_path), tmp_path) == [["migrations/versions"]]


def test_a_broken_config_found_below_is_named(tmp_path: Path) -> None:
    ini(tmp_path / "legacy", "script_location = %(here)s/gone")
    message = error(lambda: discover(["."], cwd=tmp_path))
    assert "unreadable configs: legacy/alembic.ini: script_location" in message
    rev(tmp_path / "migrations" / "versions" / "a.py")
    warnings: list[str] = []
    (_spec,) = discover(["."], cwd=tmp_path, warn=warnings.append)
    assert len(warnings) == 1 and "legacy/alembic.ini" in warnings[0]


def test_an_explicit_directory_of_migrations_is_a_history_even_with_helpers(
    tmp_path: Path,
) -> None:
    rev(tmp_path / "versions" / "a.py")
    for name in ("helpers.py", "util.py", "more.py"):
        write(tmp_path / "versions" / name, "X = 1\n")
    (spec,) = discover(["versions"], cwd=tmp_path)
    assert len(spec.files) == 4


def test_stdin_discovery_does_not_search(tmp_path: Path) -> None:
    (tmp_path / "versions").mkdir()
    (spec,) = discover(["versions"], cwd=tmp_path, search=False)
    assert spec.files == () and spec.locations == (tmp_path / "versions",)


def test_a_versions_directory_with_revisions_only_in_subdirectories_is_one_history(
    tmp_path: Path,
) -> None:
    rev(tmp_path / "db" / "versions" / "2024.1" / "expand" / "a.py")
    rev(tmp_path / "db" / "versions" / "2025.1" / "contract" / "b.py")
    for paths in (["."], ["db"], ["db/versions"]):
        (spec,) = discover(paths, cwd=tmp_path)
        assert spec.locations == (tmp_path / "db" / "versions",) and spec.recursive
        assert len(spec.files) == 2
    # Elsewhere, a directory without migrations of its own is not a history's top.
    rev(tmp_path / "other" / "sub" / "c.py")
    assert [s.locations for s in discover(["other"], cwd=tmp_path)] == [
        (tmp_path / "other" / "sub",)
    ]
