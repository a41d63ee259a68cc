import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
TESTBED = Path(os.environ.get("MEGAM_TESTBED_DIR", REPO / ".testbed"))
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def engine_missing(reason: str) -> None:
    """A needed real engine is not there: fail under CI=true, skip locally."""
    if IN_CI:
        pytest.fail(f"engine missing under CI: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path, monkeypatch):
    """Tests never touch the user's real MEGAM_HOME / config."""
    monkeypatch.setenv("MEGAM_HOME", str(tmp_path / "megam-home"))
    monkeypatch.delenv("MEGAM_CONFIG", raising=False)
    yield
