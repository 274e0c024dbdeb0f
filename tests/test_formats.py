"""Output formats over one fixture history with a finding from every rule.

Golden files live in tests/golden/; regenerate them with ALEMBIC_LINT_REGEN_GOLDEN=1 and
review the diff.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import jsonschema
import pytest

from alembic_lint import __version__
from alembic_lint.cli import main, use_color
from alembic_lint.diagnostics import Diagnostic, Location, Severity
from alembic_lint.reporters import Report, github, sarif
from alembic_lint.rules import registry
from sarif_tools import multitool_dir

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = "fixtures/all_rules/versions"
GOLDEN = Path(__file__).parent / "golden"
FORMATS = ["concise", "full", "json", "sarif", "github", "gitlab"]


@pytest.fixture
def in_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)


def render(capsys: pytest.CaptureFixture[str], fmt: str, *args: str) -> tuple[int, str]:
    code = main(["--format", fmt, *args])
    out, err = capsys.readouterr()
    assert err == ""
    return code, out


def normalise(text: str) -> str:
    text = text.replace(str(ROOT), "<ROOT>")
    return re.sub(rf'"{re.escape(__version__)}"', '"<VERSION>"', text)


@pytest.mark.usefixtures("in_root")
@pytest.mark.parametrize("fmt", FORMATS)
def test_golden(capsys: pytest.CaptureFixture[str], fmt: str) -> None:
    code, out = render(capsys, fmt, FIXTURE)
    assert code == 1
    golden = GOLDEN / f"all_rules.{fmt}"
    if os.environ.get("ALEMBIC_LINT_REGEN_GOLDEN"):
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(normalise(out), encoding="utf-8")
    assert normalise(out) == golden.read_text(encoding="utf-8")


@pytest.mark.usefixtures("in_root")
def test_fixture_has_a_finding_from_every_rule(capsys: pytest.CaptureFixture[str]) -> None:
    _, out = render(capsys, "json", FIXTURE)
    # (Rules that compare a branch with its target have their own tests, test_against.py;
    # the head file needs its setting, test_against_recipes.py.)
    assert {item["code"] for item in json.loads(out)} == {
        r.code for r in registry() if not r.needs_branch and r.code != "AL015"
    }


# --------------------------------------------------------------------------- SARIF


@pytest.fixture(scope="module")
def multitool() -> Path:
    try:
        return multitool_dir()
    except RuntimeError as exc:  # a missing validator must fail, not skip
        pytest.fail(str(exc))


def sarif_of(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, object]:
    _, out = render(capsys, "sarif", *args)
    document: dict[str, object] = json.loads(out)
    return document


@pytest.mark.usefixtures("in_root")
@pytest.mark.parametrize("target", [FIXTURE, "fixtures/seeds/healthy_merge/versions"])
def test_sarif_passes_the_official_schema(
    capsys: pytest.CaptureFixture[str], multitool: Path, target: str
) -> None:
    schema = json.loads((multitool / "sarif-2.1.0.json").read_text(encoding="utf-8"))
    validator_class = jsonschema.validators.validator_for(schema)
    validator = validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)
    document = sarif_of(capsys, target)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]
    assert errors == []
    # Format checking is really on: a bad URI is caught.
    broken = json.loads(json.dumps(document))
    broken["runs"][0]["tool"]["driver"]["informationUri"] = "not a uri"
    assert list(validator.iter_errors(broken))


@pytest.mark.usefixtures("in_root")
def test_sarif_passes_microsoft_multitool_validate(
    capsys: pytest.CaptureFixture[str], multitool: Path, tmp_path: Path
) -> None:
    log = tmp_path / "alembic-lint.sarif"
    assert main(["--format", "sarif", "-o", str(log), FIXTURE]) == 1
    capsys.readouterr()
    report = tmp_path / "validation.sarif"
    result = subprocess.run(
        [
            str(multitool / "Sarif.Multitool"),
            "validate",
            str(log),
            "--output",
            str(report),
            "--rule-kind",
            "Sarif;Gh",
            "--level",
            "Error;Warning;Note",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        env={**os.environ, "DOTNET_CLI_TELEMETRY_OPTOUT": "1"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    findings = json.loads(report.read_text(encoding="utf-8"))["runs"][0]["results"]
    serious = [
        f"{r['ruleId']}: {r['message'].get('text', r['message'])}"
        for r in findings
        if r.get("level", "warning") in ("error", "warning")
    ]
    assert serious == []


@pytest.mark.usefixtures("in_root")
def test_sarif_shape_and_github_limits(capsys: pytest.CaptureFixture[str]) -> None:
    document = sarif_of(capsys, FIXTURE)
    assert "automationDetails" not in json.dumps(document)
    (run,) = document["runs"]  # type: ignore[index]
    driver = run["tool"]["driver"]
    assert {"name", "version", "semanticVersion", "informationUri", "rules"} <= set(driver)
    rules = driver["rules"]
    assert [r["id"] for r in rules] == [r.code for r in registry()]
    for rule in rules:
        for key in ("shortDescription", "fullDescription"):
            assert 0 < len(rule[key]["text"]) <= 1024
        assert rule["help"]["text"] and rule["help"]["markdown"]
        assert rule["defaultConfiguration"]["level"] in ("error", "warning", "note")
        assert {"tags", "precision", "problem.severity"} <= set(rule["properties"])
    results = run["results"]
    assert 0 < len(results) <= 25_000
    assert run["columnKind"] == "unicodeCodePoints"
    for res in results:
        assert "partialFingerprints" not in res
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
        (loc,) = res["locations"]
        uri = loc["physicalLocation"]["artifactLocation"]["uri"]
        assert uri.startswith("fixtures/all_rules/versions/") and "://" not in uri
        region = loc["physicalLocation"]["region"]
        assert region["startLine"] >= 1 and region["startColumn"] >= 1
        assert (region["endLine"], region["endColumn"]) > (
            region["startLine"],
            region["startColumn"],
        )
    heads = [r for r in results if r["ruleId"] == "AL001"]
    assert heads and all(len(r["relatedLocations"]) == len(heads) - 1 for r in heads)


@pytest.mark.usefixtures("in_root")
def test_sarif_results_present_when_clean(capsys: pytest.CaptureFixture[str]) -> None:
    document = sarif_of(capsys, "fixtures/seeds/healthy_merge/versions")
    assert document["runs"][0]["results"] == []  # type: ignore[index]


def test_sarif_uris_are_percent_encoded() -> None:
    diag = Diagnostic(
        Location("/repo/db/my versions/a#1.py", 1, 1, 1, 5), "AL001", "x", "m", Severity.ERROR
    )
    report = Report(cwd="/repo", root="/repo", rules=[])
    physical = sarif.result(diag, 0, report)["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"]["uri"] == "db/my%20versions/a%231.py"


# --------------------------------------------------------------------------- GitHub


def test_github_escaping() -> None:
    diag = Diagnostic(
        Location("/repo/v/a,b:c.py", 3, 4, 3, 9),
        "AL002",
        "missing-parent",
        "50% sure\r\nsecond line",
        Severity.WARNING,
    )
    line = github.line(diag, Report(cwd="/repo", root="/repo"))
    assert line == (
        "::warning file=v/a%2Cb%3Ac.py,line=3,col=4,endLine=3,endColumn=9,"
        "title=AL002 missing-parent::50%25 sure%0D%0Asecond line"
    )


# --------------------------------------------------------------------------- options


def test_colour_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.setattr("sys.stdout.isatty", lambda: True)
    assert use_color("full", False)
    assert not use_color("json", False) and not use_color("sarif", False)
    assert not use_color("full", True)  # writing to a file
    monkeypatch.setenv("NO_COLOR", "1")
    assert not use_color("full", False)
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setattr("sys.stdout.isatty", lambda: False)
    assert not use_color("concise", False)
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert use_color("full", False) and not use_color("github", False)


@pytest.mark.usefixtures("in_root")
def test_force_color_paints_full(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    _, out = render(capsys, "full", FIXTURE)
    assert "\033[" in out
    monkeypatch.setenv("NO_COLOR", "1")
    _, out = render(capsys, "full", FIXTURE)
    assert "\033[" not in out


@pytest.mark.usefixtures("in_root")
def test_output_file_and_exit_zero(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    assert main(["--format", "json", "-o", str(target), "--exit-zero", FIXTURE]) == 0
    assert capsys.readouterr().out == ""
    assert json.loads(target.read_text(encoding="utf-8"))
    assert main(["-o", str(tmp_path / "missing-dir" / "r.txt"), FIXTURE]) == 2
    assert "cannot write" in capsys.readouterr().err


def test_every_format_has_its_renderer() -> None:
    from alembic_lint.cli import FORMATS
    from alembic_lint.reporters import MODULES, renderer

    assert set(MODULES) == set(FORMATS)
    for name in FORMATS:
        assert callable(renderer(name))


def test_the_sort_key_orders_findings_as_their_comparisons_do() -> None:
    import random

    from alembic_lint.diagnostics import sort_key

    rng = random.Random(5)
    found = [
        Diagnostic(
            Location(
                rng.choice("ab"),
                rng.randint(1, 3),
                rng.randint(1, 3),
                rng.randint(1, 3),
                rng.randint(1, 3),
                ref=rng.randint(-1, 5),
            ),
            rng.choice(["AL101", "AL201"]),
            rng.choice(["x", "y"]),
            rng.choice(["m", "n"]),
            rng.choice(list(Severity)),
        )
        for _ in range(400)
    ]
    assert sorted(found, key=sort_key) == sorted(found)
    assert [sort_key(d) for d in sorted(found, key=sort_key)] == [
        sort_key(d) for d in sorted(found)
    ]
