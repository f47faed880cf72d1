"""The ``pytest11`` plugin costs nothing to a user's test run that asks for no zzz fixture.

Installing the package registers ``zzz_testing.pytest_plugin`` in every pytest run of its
users.  Each test here runs pytest in a subprocess on a throwaway test file, as a user's
project would, with a second plugin (``-p dump_modules``) that writes ``sys.modules`` at
the end of the session.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

DUMP_PLUGIN = """
import json, os, sys

def pytest_sessionfinish(session, exitstatus):
    with open(os.environ["ZZZ_TEST_MODULES_DUMP"], "w", encoding="utf-8") as f:
        json.dump(sorted(sys.modules), f)
"""

NO_FIXTURE = """
def test_arithmetic():
    assert 1 + 1 == 2
"""

WITH_FIXTURE = """
import json
import urllib.request


def test_the_simulator_answers(zzz_simulator):
    assert zzz_simulator.base_url.startswith("http://127.0.0.1:")
    req = urllib.request.Request(zzz_simulator.base_url + "/models", headers={"Authorization": "Bearer sk-zk-x"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        assert json.load(resp)["data"]
    assert zzz_simulator.count("/models") == 1


def test_the_factory_starts_two(zzz_simulator_factory):
    a, b = zzz_simulator_factory(), zzz_simulator_factory("newapi")
    assert a.base_url != b.base_url and b.dialect == "newapi"
"""


def run_user_pytest(
    tmp_path: Path, test_source: str, *args: str, env: dict[str, str] | None = None
) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """pytest in a fresh interpreter, in a directory that is not this project (no ini, no conftest)."""
    (tmp_path / "dump_modules.py").write_text(DUMP_PLUGIN, encoding="utf-8")
    (tmp_path / "test_user.py").write_text(test_source, encoding="utf-8")
    dump = tmp_path / "modules.json"
    env = (env or {}) | {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTEST_ADDOPTS", "PYTEST_DISABLE_PLUGIN_AUTOLOAD", "PYTEST_PLUGINS", "PYTHONPATH")
    }
    env["ZZZ_TEST_MODULES_DUMP"] = str(dump)
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "dump_modules", "-p", "no:cacheprovider", "-q", *args, "test_user.py"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return run, set(json.loads(dump.read_text(encoding="utf-8"))) if dump.exists() else set()


def test_a_run_without_zzz_fixtures_imports_neither_the_simulator_nor_zzz_core(tmp_path):
    run, modules = run_user_pytest(tmp_path, NO_FIXTURE)
    assert run.returncode == 0, run.stdout + run.stderr
    # The plugin itself was loaded through its entry point (else this test would prove nothing) ...
    assert "zzz_testing.pytest_plugin" in modules
    # ... and it brought nothing else of ours: no simulator module, no zzz_core, no skin.
    ours = sorted(
        m
        for m in modules
        if m.split(".")[0] in ("zzz_core", "zzz_testing", "zzz_cli", "langchain_zzz", "llamaindex_zzz")
    )
    assert ours == ["zzz_testing", "zzz_testing.pytest_plugin"]


def test_requesting_the_fixtures_starts_simulators(tmp_path):
    run, modules = run_user_pytest(tmp_path, WITH_FIXTURE)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "2 passed" in run.stdout
    assert "zzz_testing.server" in modules


def test_with_autoloading_off_the_plugin_can_be_named(tmp_path):
    """docs/testing.md: ``PYTEST_DISABLE_PLUGIN_AUTOLOAD=1`` plus ``-p zzz_testing.pytest_plugin``."""
    off = {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    run, _ = run_user_pytest(tmp_path, WITH_FIXTURE, env=off)
    assert run.returncode != 0 and "fixture 'zzz_simulator' not found" in run.stdout
    run, _ = run_user_pytest(tmp_path, WITH_FIXTURE, "-p", "zzz_testing.pytest_plugin", env=off)
    assert run.returncode == 0, run.stdout + run.stderr
