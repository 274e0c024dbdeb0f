"""The pre-commit hook (``.pre-commit-hooks.yaml``), run by the real ``pre-commit``.

Each test works in a throwaway git repository holding an Alembic project, stages a change and
runs pre-commit on the staged files, as ``git commit`` would.

Two pre-commit behaviours shape this module:

* ``try-repo`` on a local path uses the repository's HEAD plus its staged and modified
  *tracked* files: untracked files (a new ``.pre-commit-hooks.yaml``, a new module) are left
  out. So pre-commit is handed a snapshot of this repository's working tree (tracked files
  plus untracked, not-ignored ones) committed to a temporary repository: what is tested is
  what is on disk.
* ``try-repo`` builds the hook's environment (a virtualenv with this project pip-installed,
  about ten seconds) in a fresh temporary store every time, whatever ``PRE_COMMIT_HOME`` says.
  So one test uses ``try-repo``; the others use ``pre-commit run`` with a
  ``.pre-commit-config.yaml`` naming the same snapshot, as a user's config names a release, and
  share one module-scoped ``PRE_COMMIT_HOME``: the environment is built once for all of them.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
HOOK_ID = "alembic-lint"
#: git variables kept from the caller's environment; the rest (GIT_DIR, GIT_INDEX_FILE, ...,
#: set when the tests run from inside a git hook) would point git at the wrong repository.
GIT_KEEP = ("GIT_EXEC_PATH", "GIT_SSH", "GIT_SSH_COMMAND", "GIT_ASKPASS", "GIT_SSL_")


def _environ(pre_commit_home: Path | None = None) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not (key.startswith("GIT_") and not key.startswith(GIT_KEEP))
        and not key.startswith("PRE_COMMIT")
        and key not in ("SKIP", "FORCE_COLOR", "NO_COLOR", "PYTHONPATH")
    }
    # No system or global git config: no global hooks, templates, signing or aliases.
    env["GIT_CONFIG_NOSYSTEM"] = "1"
    env["GIT_CONFIG_GLOBAL"] = os.devnull
    if pre_commit_home is not None:
        env["PRE_COMMIT_HOME"] = str(pre_commit_home)
    return env


def git(cwd: Path, *args: str) -> str:
    proc = subprocess.run(
        ["git", *args],
        cwd=cwd,
        env=_environ(),
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert proc.returncode == 0, f"git {' '.join(args)} failed:\n{proc.stdout}{proc.stderr}"
    return proc.stdout


def git_init(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "user.name", "alembic-lint tests")
    git(path, "config", "user.email", "tests@alembic-lint.invalid")
    git(path, "config", "commit.gpgsign", "false")
    return path


def commit_all(path: Path, message: str) -> None:
    git(path, "add", "-A")
    git(path, "commit", "-q", "--no-verify", "-m", message)


def write(root: Path, files: Mapping[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def revision(rev: str, down: str | None) -> str:
    return (
        f"revision = {rev!r}\n"
        f"down_revision = {down!r}\n"
        "\n\n"
        "def upgrade():\n"
        "    pass\n"
        "\n\n"
        "def downgrade():\n"
        "    pass\n"
    )


@pytest.fixture(scope="module")
def pre_commit_installed() -> None:
    if importlib.util.find_spec("pre_commit") is None:
        pytest.fail(
            "pre-commit is not installed in this environment; these tests run the real "
            "pre-commit. Install the test extra: pip install -e '.[test]' "
            "(it must list pre-commit>=4).",
            pytrace=False,
        )
    if shutil.which("git") is None:
        pytest.fail("git is not on PATH; the pre-commit tests need it.", pytrace=False)


@pytest.fixture(scope="module")
def hook_repo(pre_commit_installed: None, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This repository's working tree (tracked + untracked, not ignored), committed."""
    listing = git(ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    snapshot = tmp_path_factory.mktemp("hook-repo")
    for name in sorted(set(filter(None, listing.split("\0")))):
        source = ROOT / name
        if not source.is_file():  # deleted but still in the index
            continue
        target = snapshot / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
    assert (snapshot / ".pre-commit-hooks.yaml").is_file()
    git_init(snapshot)
    commit_all(snapshot, "snapshot of the alembic-lint working tree")
    return snapshot


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


BASE = "migrations/versions/aaaaaaaaaaaa_base.py"
USERS = "migrations/versions/bbbbbbbbbbbb_add_users.py"
NEW = "migrations/versions/cccccccccccc_add_orders.py"


def make_project(
    root: Path,
    hook_repo: Path,
    hook: Mapping[str, Any] | None = None,
    files: Mapping[str, str] | None = None,
) -> Path:
    """A git repository with an Alembic project, committed clean.

    Its ``.pre-commit-config.yaml`` uses the hook from ``hook_repo`` (with ``hook``'s
    overrides); ``files`` (path → text) replace the default alembic.ini + two-step history.
    """
    git_init(root)
    config = {
        "repos": [
            {
                "repo": str(hook_repo),
                "rev": git(hook_repo, "rev-parse", "HEAD").strip(),
                "hooks": [{"id": HOOK_ID, **(hook or {})}],
            }
        ]
    }
    write(
        root,
        files
        or {
            "alembic.ini": "[alembic]\nscript_location = %(here)s/migrations\n",
            BASE: revision("aaaaaaaaaaaa", None),
            USERS: revision("bbbbbbbbbbbb", "aaaaaaaaaaaa"),
        },
    )
    # JSON is YAML.
    write(root, {".pre-commit-config.yaml": json.dumps(config, indent=2) + "\n"})
    write(root, {"README.txt": "A project with migrations.\n"})
    commit_all(root, "initial, clean history")
    return root


def pre_commit(project: Path, home: Path, *args: str) -> tuple[int, str]:
    """``python -m pre_commit ARGS`` in ``project``; its exit code and output."""
    proc = subprocess.run(
        [sys.executable, "-m", "pre_commit", *args, "--color=never"],
        cwd=project,
        env=_environ(home),
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    output = proc.stdout + proc.stderr
    # pre-commit reports its own failures (a broken manifest, a failed install) as
    # "An error has occurred" with exit 1 or 3: never what a test here means by "failed".
    assert "An error has occurred" not in output, output
    return proc.returncode, output


def run_hook(project: Path, home: Path) -> tuple[int, str]:
    """``pre-commit run alembic-lint`` on the staged files, as ``git commit`` runs it."""
    return pre_commit(project, home, "run", HOOK_ID)


def status(output: str) -> str:
    """The status pre-commit printed for the hook: Passed, Failed or Skipped."""
    match = re.search(rf"^{re.escape(HOOK_ID)}\.+(?:\(.*\))?(Passed|Failed|Skipped)$", output, re.M)
    assert match, output
    return match[1]


def assert_second_head_reported(code: int, output: str, new: str = NEW, old: str = USERS) -> None:
    assert code == 1, output
    assert status(output) == "Failed", output
    assert "exit code: 1" in output, output
    assert re.search(rf"^{re.escape(new)}:\d+:\d+: AL001 ", output, re.M), output
    # The whole history was linted, not only the staged file: the other head is reported too.
    assert re.search(rf"^{re.escape(old)}:\d+:\d+: AL001 ", output, re.M), output


def test_try_repo_fails_on_a_staged_second_head(
    tmp_path: Path, hook_repo: Path, pre_commit_home: Path
) -> None:
    project = make_project(tmp_path / "project", hook_repo)
    write(project, {NEW: revision("cccccccccccc", "aaaaaaaaaaaa")})  # same parent as USERS
    git(project, "add", NEW)

    code, output = pre_commit(project, pre_commit_home, "try-repo", str(hook_repo), HOOK_ID)

    assert_second_head_reported(code, output)
    assert "cccccccccccc_add_orders.py" in output


def test_second_head_fails_and_the_fix_passes(
    tmp_path: Path, hook_repo: Path, pre_commit_home: Path
) -> None:
    project = make_project(tmp_path / "project", hook_repo)
    write(project, {NEW: revision("cccccccccccc", "aaaaaaaaaaaa")})
    git(project, "add", NEW)

    assert_second_head_reported(*run_hook(project, pre_commit_home))

    # Re-point the new migration at the other head and stage the fix.
    write(project, {NEW: revision("cccccccccccc", "bbbbbbbbbbbb")})
    git(project, "add", NEW)
    code, output = run_hook(project, pre_commit_home)

    assert code == 0, output
    assert status(output) == "Passed", output
    assert "AL0" not in output, output


def test_a_commit_that_only_deletes_a_migration_is_checked(
    tmp_path: Path, hook_repo: Path, pre_commit_home: Path
) -> None:
    """pre-commit never passes deleted files, so a `files:` filter would skip the hook; yet
    deleting a revision is how a merge migration ends up pointing at nothing."""
    left = "migrations/versions/cccccccccccc_left.py"
    merge = "migrations/versions/dddddddddddd_merge.py"
    project = make_project(tmp_path / "project", hook_repo)
    write(project, {left: revision("cccccccccccc", "aaaaaaaaaaaa")})
    write(
        project,
        {merge: "revision = 'dddddddddddd'\ndown_revision = ('bbbbbbbbbbbb', 'cccccccccccc')\n"},
    )
    commit_all(project, "a branch and its merge")
    git(project, "rm", "-q", left)

    code, output = run_hook(project, pre_commit_home)

    assert code == 1, output
    assert status(output) == "Failed", output
    assert re.search(rf"^{re.escape(merge)}:\d+:\d+: AL003 .*cccccccccccc", output, re.M), output


def test_the_hook_runs_on_every_commit(
    tmp_path: Path, hook_repo: Path, pre_commit_home: Path
) -> None:
    project = make_project(tmp_path / "project", hook_repo)
    write(project, {"README.txt": "A project with migrations, and a README change.\n"})
    git(project, "add", "README.txt")
    code, output = run_hook(project, pre_commit_home)
    assert (code, status(output)) == (0, "Passed"), output

    # A second head already committed (say, by a merge done elsewhere): the next commit,
    # whatever it touches, is stopped until the history is repaired.
    write(project, {NEW: revision("cccccccccccc", "aaaaaaaaaaaa")})
    commit_all(project, "an existing second head")
    write(project, {"README.txt": "Another README change.\n"})
    git(project, "add", "README.txt")
    assert_second_head_reported(*run_hook(project, pre_commit_home))


def test_zero_configuration_project_without_alembic_ini(
    tmp_path: Path, hook_repo: Path, pre_commit_home: Path
) -> None:
    """Only `db/migrations/versions/` and no alembic.ini: the default hook finds it."""
    versions = "db/migrations/versions"
    project = make_project(
        tmp_path / "project",
        hook_repo,
        files={
            f"{versions}/aaaaaaaaaaaa_base.py": revision("aaaaaaaaaaaa", None),
            f"{versions}/bbbbbbbbbbbb_add_users.py": revision("bbbbbbbbbbbb", "aaaaaaaaaaaa"),
        },
    )
    new = f"{versions}/cccccccccccc_add_orders.py"
    write(project, {new: revision("cccccccccccc", "aaaaaaaaaaaa")})
    git(project, "add", new)

    assert_second_head_reported(
        *run_hook(project, pre_commit_home), new=new, old=f"{versions}/bbbbbbbbbbbb_add_users.py"
    )


def test_args_override(tmp_path: Path, hook_repo: Path, pre_commit_home: Path) -> None:
    """The README's recipe for a config elsewhere (here with version_locations not named
    `versions`)."""
    project = make_project(
        tmp_path / "project",
        hook_repo,
        hook={"args": ["db/alembic.ini"]},
        files={
            "db/alembic.ini": (
                "[alembic]\n"
                "script_location = %(here)s/migrations\n"
                "version_locations = %(here)s/revisions\n"
            ),
            "db/migrations/env.py": "# Alembic's environment script.\n",
            "db/revisions/aaaaaaaaaaaa_base.py": revision("aaaaaaaaaaaa", None),
            "db/revisions/bbbbbbbbbbbb_add_users.py": revision("bbbbbbbbbbbb", "aaaaaaaaaaaa"),
        },
    )
    new = "db/revisions/cccccccccccc_add_orders.py"
    write(project, {new: revision("cccccccccccc", "aaaaaaaaaaaa")})
    git(project, "add", new)

    assert_second_head_reported(
        *run_hook(project, pre_commit_home), new=new, old="db/revisions/bbbbbbbbbbbb_add_users.py"
    )


def test_manifest_is_valid_and_runs_on_every_commit(pre_commit_installed: None) -> None:
    from pre_commit.clientlib import load_manifest

    hooks = {h["id"]: h for h in load_manifest(str(ROOT / ".pre-commit-hooks.yaml"))}
    assert set(hooks) == {HOOK_ID, "alembic-lint-against"}
    against = hooks["alembic-lint-against"]
    assert against["stages"] == ["pre-push"] and against["always_run"] is True
    assert against["entry"] == "alembic-lint --against origin/HEAD"
    hook = hooks[HOOK_ID]
    assert hook["id"] == HOOK_ID
    assert hook["entry"] == "alembic-lint"
    assert hook["language"] == "python"
    assert hook["pass_filenames"] is False
    assert hook["require_serial"] is True
    # Deleted files are never passed to hooks: a `files:` filter would skip a commit that
    # only deletes a migration.
    assert hook["always_run"] is True
    assert hook["description"]


def test_pre_push_hook_stops_a_branch_that_forks_the_history(
    tmp_path: Path, hook_repo: Path, pre_commit_home: Path
) -> None:
    """The README's pre-push recipe, with a real `git push`: another pull request added a
    migration on main; this branch added one on the same parent. The push is refused with
    the fix named; after merging main and rebasing the migration, it goes through."""
    import yaml

    from test_integrations import env_with_scripts, snippet

    config = yaml.safe_load(snippet("pre-push"))
    assert config["default_install_hook_types"] == ["pre-commit", "pre-push"]
    config["repos"][0]["repo"] = str(hook_repo)
    config["repos"][0]["rev"] = git(hook_repo, "rev-parse", "HEAD").strip()
    seed = make_project(tmp_path / "seed", hook_repo)
    write(seed, {".pre-commit-config.yaml": json.dumps(config, indent=2) + "\n"})
    commit_all(seed, "hooks: also on push")
    origin = tmp_path / "origin.git"
    git(tmp_path, "clone", "-q", "--bare", str(seed), str(origin))
    other = tmp_path / "other"
    git(tmp_path, "clone", "-q", str(origin), str(other))
    for repo in (other,):
        git(repo, "config", "user.name", "other")
        git(repo, "config", "user.email", "other@alembic-lint.invalid")
    write(other, {NEW: revision("cccccccccccc", "bbbbbbbbbbbb")})
    commit_all(other, "add orders (another pull request, merged)")
    git(other, "push", "-q", "origin", "HEAD:main")

    work = tmp_path / "work"
    git(tmp_path, "clone", "-q", str(origin), str(work))
    git(work, "config", "user.name", "me")
    git(work, "config", "user.email", "me@alembic-lint.invalid")
    git(work, "checkout", "-q", "-b", "feature", "HEAD~1")  # forked before the other one
    mine = "migrations/versions/dddddddddddd_add_invoices.py"
    write(work, {mine: revision("dddddddddddd", "bbbbbbbbbbbb")})
    commit_all(work, "add invoices")
    git(work, "fetch", "-q")
    code, output = pre_commit(work, pre_commit_home, "install")
    assert code == 0 and "pre-push" in output, output

    def push() -> subprocess.CompletedProcess[str]:
        env = {**_environ(pre_commit_home), "PATH": env_with_scripts()["PATH"]}
        return subprocess.run(
            ["git", "push", "origin", "feature"],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=900,
        )

    refused = push()
    output = refused.stdout + refused.stderr
    assert refused.returncode != 0, output
    assert "alembic-lint (after merging into origin/HEAD)" in output and "Failed" in output
    assert re.search(
        rf"^{re.escape(mine)}:\d+:\d+: AL001 after merging into origin/HEAD: 2 heads, "
        r"dddddddddddd \(added on this branch\) and cccccccccccc \(added on origin/HEAD since "
        r'this branch forked, in \w+ "add orders \(another pull request, merged\)"\); they '
        r"diverge at bbbbbbbbbbbb; fix: alembic-lint rebase --onto cccccccccccc$",
        output,
        re.M,
    ), output
    assert "error: failed to push" in output
    assert git(origin, "branch", "--list", "feature") == ""

    # The fix it names: bring main in, re-point the branch's migration, push again.
    git(work, "merge", "-q", "--no-edit", "origin/main")
    fixed = subprocess.run(
        ["alembic-lint", "rebase", "--onto", "cccccccccccc"],
        cwd=work,
        env=env_with_scripts(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert fixed.returncode == 0, fixed.stderr
    commit_all(work, "rebase the migration onto main's head")
    accepted = push()
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert git(origin, "branch", "--list", "feature").strip() == "feature"
