"""Integration tests run against the real engines of scripts/testbed.

Start them with `scripts/testbed/up`. Under CI=true a missing engine FAILS.
"""

import subprocess

import pytest
import yaml

from tests.conftest import REPO, TESTBED, engine_missing


def pytest_collection_modifyitems(items):
    for item in items:
        if "/integration/" in str(item.fspath) or "/faults/" in str(item.fspath):
            item.add_marker(pytest.mark.integration)


def testbed_fragment(layer: str) -> dict:
    """The config fragment scripts/testbed/<layer>.sh wrote, or fail/skip."""
    path = TESTBED / f"{layer}.yaml"
    if not path.exists():
        engine_missing(f"{layer} testbed not started ({path.name} missing): run scripts/testbed/up {layer}")
    return yaml.safe_load(path.read_text()) or {}


def testbed_up(layer: str) -> None:
    """Fail/skip unless `scripts/testbed/<layer>.sh status` says it runs."""
    script = REPO / "scripts" / "testbed" / f"{layer}.sh"
    if not script.exists():
        engine_missing(f"no testbed script for {layer}")
    res = subprocess.run(["bash", str(script), "status"], capture_output=True, text=True, timeout=60)
    if res.returncode != 0:
        engine_missing(f"{layer} testbed is down: {res.stdout.strip()} {res.stderr.strip()}")


@pytest.fixture(scope="session")
def testbed_config_path():
    path = TESTBED / "megam.yaml"
    if not path.exists():
        engine_missing("testbed config missing: run scripts/testbed/up")
    return path


# helpers, not tests (their names start with "test")
testbed_fragment.__test__ = False
testbed_up.__test__ = False
