"""Fetch Microsoft's SARIF Multitool (and the official SARIF 2.1.0 schema it ships) from npm."""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
from pathlib import Path

PACKAGE = "@microsoft/sarif-multitool-linux@5.7.0"


def cache_dir() -> Path:
    base = os.environ.get("ALEMBIC_LINT_TEST_CACHE") or os.path.join(
        os.path.expanduser("~"), ".cache", "alembic-lint-tests"
    )
    return Path(base)


def multitool_dir() -> Path:
    """The unpacked npm package (downloaded once per machine)."""
    target = cache_dir() / "sarif-multitool-5.7.0"
    if (target / "package" / "sarif-2.1.0.json").is_file():
        return target / "package"
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is needed to fetch the SARIF Multitool from the npm registry")
    download = cache_dir() / "download"
    download.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [npm, "pack", PACKAGE, "--pack-destination", str(download), "--silent"],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    if result.returncode != 0:
        raise RuntimeError(f"npm pack {PACKAGE} failed: {result.stderr.strip()}")
    tarball = download / result.stdout.strip().splitlines()[-1]
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    with tarfile.open(tarball) as archive:
        archive.extractall(partial, filter="data")
    tool = partial / "package" / "Sarif.Multitool"
    tool.chmod(0o755)
    shutil.rmtree(target, ignore_errors=True)
    partial.rename(target)
    tarball.unlink()
    return target / "package"
