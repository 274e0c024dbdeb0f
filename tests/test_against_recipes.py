"""The README's `--against` recipes, run for real: GitHub Actions on pull requests and in a
merge queue, GitLab merge requests, and the head file that turns the race between two
pull requests into a git conflict (the pre-push hook is in test_precommit.py)."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from alembic_lint.rules.examples import m
from git_support import environ, git
from test_integrations import env_with_scripts, snippet

VERSIONS = "db/migrations/versions"


def mig(revision: str, down: str | None) -> tuple[str, str]:
    file = m(revision, down, message=f"step {revision[:4]}")
    return f"{VERSIONS}/{file.filename}", file.source


def commit(repo: Path, files: dict[str, str], message: str) -> None:
    for rel, text in files.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text, encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


def shell(command: str, cwd: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {**env_with_scripts(), **environ(), **extra}
    env["PATH"] = env_with_scripts()["PATH"]
    return subprocess.run(
        command, shell=True, cwd=cwd, env=env, capture_output=True, text=True, check=False
    )


@pytest.fixture
def origin(tmp_path: Path) -> Path:
    """A remote whose ``main`` gained cccc (another pull request, merged) after ``feature``
    forked from it and added dddd on the same parent."""
    bare = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(bare))
    seed = tmp_path / "seed"
    git(tmp_path, "clone", "-q", str(bare), str(seed))
    commit(seed, dict([mig("aaaaaaaaaaaa", None), mig("bbbbbbbbbbbb", "aaaaaaaaaaaa")]), "base")
    git(seed, "push", "-q", "origin", "HEAD:main")
    git(seed, "checkout", "-q", "-b", "feature")
    commit(seed, dict([mig("dddddddddddd", "bbbbbbbbbbbb")]), "add orders")
    git(seed, "push", "-q", "origin", "feature")
    git(seed, "checkout", "-q", "main")
    commit(seed, dict([mig("cccccccccccc", "bbbbbbbbbbbb")]), "add last_login")
    git(seed, "push", "-q", "origin", "main")
    return bare


def run_steps(workflow: str, work: Path, expressions: dict[str, str]) -> list[str]:
    """The workflow's `run:` steps that call alembic-lint, ${{ }} expressions replaced."""
    steps = yaml.safe_load(workflow)["jobs"]["alembic-lint"]["steps"]
    checkout = next(s for s in steps if s.get("uses", "").startswith("actions/checkout"))
    assert checkout["with"]["fetch-depth"] == 0  # --against needs the merge base
    commands = []
    for step in steps:
        command = step.get("run", "")
        if command.startswith("alembic-lint"):
            for expression, value in expressions.items():
                command = command.replace("${{ " + expression + " }}", value)
            assert "${{" not in command, command
            commands.append(command)
    return commands


def github_checkout(origin: Path, work: Path) -> None:
    """actions/checkout with fetch-depth 0 on a pull request: every branch fetched, and
    the merge commit GitHub makes of the pull request (refs/pull/N/merge) checked out."""
    git(origin.parent, "clone", "-q", str(origin), str(work))
    git(work, "checkout", "-q", "--detach", "origin/main")
    git(work, "merge", "-q", "--no-ff", "--no-edit", "origin/feature")


def annotations(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("::error ")]


def test_github_pull_request_recipe(origin: Path, tmp_path: Path) -> None:
    work = tmp_path / "work"
    github_checkout(origin, work)
    (command,) = run_steps(snippet("github-pull-request"), work, {"github.base_ref": "main"})
    result = shell(command, work)
    assert result.returncode == 1, result.stderr
    (error,) = [a for a in annotations(result.stdout) if "AL001" in a]
    assert error.startswith(f"::error file={VERSIONS}/dddddddddddd_step_dddd.py,line=")
    assert "after merging into origin/main: 2 heads, dddddddddddd (added on this branch)" in error
    # The shallow clone GitHub makes by default stops with the fix named.
    shallow = tmp_path / "shallow"
    git(
        tmp_path, "clone", "-q", "--depth=1", "--no-single-branch", f"file://{origin}", str(shallow)
    )
    git(shallow, "checkout", "-q", "feature")
    result = shell(command, shallow)
    assert result.returncode == 2 and "fetch-depth: 0" in result.stderr
    assert result.stderr.count("\n") == 1


def test_github_merge_queue_recipe(origin: Path, tmp_path: Path) -> None:
    work = tmp_path / "work"
    github_checkout(origin, work)  # a merge group: the base with the queued pull request
    base = git(work, "rev-parse", "origin/main").strip()
    (command,) = run_steps(
        snippet("github-merge-queue"), work, {"github.event.merge_group.base_sha": base}
    )
    result = shell(command, work)
    assert result.returncode == 1, result.stderr
    assert any(
        "AL001 multiple-heads::after merging into " + base in a for a in annotations(result.stdout)
    )


def test_gitlab_merge_request_recipe(origin: Path, tmp_path: Path) -> None:
    job = yaml.safe_load(snippet("gitlab-merge-request"))["alembic-lint-after-merge"]
    assert job["variables"]["GIT_DEPTH"] == 0
    assert job["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "merge_request_event"'}]
    work = tmp_path / "work"
    # The runner fetches the merge request's source branch and checks out its commit.
    git(tmp_path, "clone", "-q", "--single-branch", "--branch", "feature", str(origin), str(work))
    git(work, "checkout", "-q", "--detach")
    variables = {"CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main", "CI_PIPELINE_SOURCE": "x"}
    for command in job["script"]:
        if command.startswith("pip "):
            continue
        result = shell(command, work, **variables)
        assert result.returncode == (1 if command.startswith("alembic-lint") else 0), result
    report = json.loads((work / job["artifacts"]["reports"]["codequality"]).read_text())
    (head,) = [issue for issue in report if issue["check_name"].startswith("AL001")]
    assert head["location"]["path"] == f"{VERSIONS}/dddddddddddd_step_dddd.py"
    assert re.search(
        r"after merging into origin/main: 2 heads, dddddddddddd \(added on this branch\) and "
        r'cccccccccccc \(added on origin/main since this branch forked, in \w+ "add last_login"\)',
        head["description"],
    )


def test_head_file_recipe_turns_the_race_into_a_git_conflict(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    git(tmp_path, "init", "-q", "-b", "main", str(repo))
    (repo / "pyproject.toml").write_text(snippet("head-file"), encoding="utf-8")
    head_file = repo / "db/migrations/head.txt"
    lint = f"alembic-lint --no-cache --fix {VERSIONS}"
    commit(repo, dict([mig("aaaaaaaaaaaa", None)]), "base")
    result = shell(lint, repo)  # creates the head file
    assert result.returncode == 0, result
    assert head_file.read_text() == "aaaaaaaaaaaa\n"
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "head file")
    # Two branches each add a migration on the same head, and --fix updates the file.
    for branch, revision in (("one", "bbbbbbbbbbbb"), ("two", "cccccccccccc")):
        git(repo, "checkout", "-q", "-b", branch, "main")
        commit(repo, dict([mig(revision, "aaaaaaaaaaaa")]), f"add {branch}")
        before = shell(f"alembic-lint --no-cache {VERSIONS}", repo)
        assert before.returncode == 1 and "AL015" in before.stdout  # stale until fixed
        assert shell(lint, repo).returncode == 0
        assert head_file.read_text() == f"{revision}\n"
        git(repo, "commit", "-q", "-am", "head file")
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "--no-edit", "one")  # the first pull request is merged
    # Before the second is merged, --against names the conflict to come...
    git(repo, "checkout", "-q", "two")
    result = shell(f"alembic-lint --no-cache --against main {VERSIONS}", repo)
    assert result.returncode == 1
    assert re.search(
        r"^db/migrations/head\.txt:1:1: AL010 git merge into main will stop here: changed on "
        r"both this branch and main, differently",
        result.stdout,
        re.M,
    ), result.stdout
    # ... and git refuses the merge: the race is closed.
    git(repo, "checkout", "-q", "main")
    merge = subprocess.run(
        ["git", "merge", "--no-edit", "two"],
        cwd=repo,
        env=environ(),
        capture_output=True,
        text=True,
    )
    assert (
        merge.returncode != 0
        and "CONFLICT (content): Merge conflict in db/migrations/head.txt" in merge.stdout
    )
    assert git(repo, "diff", "--name-only", "--diff-filter=U").split() == ["db/migrations/head.txt"]
