"""The package works outside the checkout: build the wheel, install it into a fresh virtual
environment and, from an empty folder, run `ipcheck assess`, `ipcheck rules lint` and
`ipcheck rules test` on the shipped pack and features.

To keep the run short the new environment reuses this one's installed dependencies (a .pth line
adds this venv's site-packages after its own; the editable install's hooks there are not run),
while ipcheck itself comes only from the wheel, and the checkout is not on the path.
About 12 s of CPU (50 s wall on the shared 2-core machine under load 13): the wheel build and `rules test`
dominate.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from importlib.metadata import version
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("pyproject.toml", "README.md", "engine", "api", "rules", "features")
# `rules test` over a few scenarios: the shipped steps, features and pack are found; the whole
# set of scenarios is run by tests/test_features.py.
SCENARIOS = "高新"


def run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel, built from a copy of the sources (the build writes into the source tree)."""
    if tuple(int(p) for p in version("setuptools").split(".")[:2]) < (70, 1):  # bdist_wheel built in
        pytest.fail(
            "the wheel test builds with the test extras' setuptools>=70.1: run `make install` "
            "(or .venv/bin/pip install -e '.[test,oracle]')"
        )
    source, dist = tmp_path_factory.mktemp("source"), tmp_path_factory.mktemp("dist")
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(
                ROOT / name, source / name, symlinks=True, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
            )
        else:
            shutil.copy2(ROOT / name, source / name)
    built = run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(dist), str(source)],
        cwd=source,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    return next(dist.glob("ipcheck-*.whl"))


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment with the wheel installed and this venv's dependencies visible."""
    env_dir = tmp_path_factory.mktemp("venv")
    made = run([sys.executable, "-m", "venv", "--without-pip", str(env_dir)], cwd=env_dir)
    assert made.returncode == 0, made.stderr
    python = env_dir / "bin" / "python"
    site = Path(
        run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd=env_dir
        ).stdout.strip()
    )
    (site / "zz_ipcheck_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    installed = run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", "--no-index", str(wheel)],
        cwd=env_dir,
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    return env_dir


def test_the_wheel_ships_the_pack_the_features_and_the_steps(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for path in (ROOT / "rules").rglob("*.yaml"):
        assert f"engine/rules/{path.relative_to(ROOT / 'rules').as_posix()}" in names
    for path in (ROOT / "features").glob("*.feature"):
        assert f"engine/features/{path.name}" in names
    assert {
        "engine/authoring/steps.py",
        "engine/authoring/feature_tests.py",
        "engine/authoring/feature_tests.ini",
        "api/templates/base.html",
    } <= names
    assert not any(n.startswith("tests/") for n in names)  # test support (the durable-rules oracle) is not shipped


def test_installed_commands_work_from_an_empty_folder(venv: Path, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "IPCHECK_RULES_DIR", "IPCHECK_RULES")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    where = run(
        [str(venv / "bin" / "python"), "-c", "import engine, api; print(engine.__file__, api.__file__)"],
        cwd=tmp_path,
        env=env,
    )
    assert where.returncode == 0, where.stderr
    assert all(Path(p).is_relative_to(venv) for p in where.stdout.split()), where.stdout  # not the checkout

    example = tmp_path / "firm.json"
    shutil.copy(ROOT / "examples" / "specialized_manufacturer.json", example)
    ipcheck = str(venv / "bin" / "ipcheck")
    assessed = run([ipcheck, "assess", example.name, "--as-of", "2025-06-30", "--json"], cwd=tmp_path, env=env)
    assert assessed.returncode == 0, assessed.stderr
    assert '"status": "eligible"' in assessed.stdout and '"rules_hash"' in assessed.stdout

    linted = run([ipcheck, "rules", "lint"], cwd=tmp_path, env=env)
    assert linted.returncode == 0 and "lint passed" in linted.stdout, linted.stdout + linted.stderr

    tested = run([ipcheck, "rules", "test", "-k", SCENARIOS], cwd=tmp_path, env=env)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert " passed" in tested.stdout and "规则测试通过" in tested.stdout
    assert str(venv) in tested.stdout.splitlines()[0]  # the rule folder tested is the installed pack
    assert [p.name for p in tmp_path.iterdir()] == ["firm.json"]  # nothing written beside the example
