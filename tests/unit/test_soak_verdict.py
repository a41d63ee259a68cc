"""benchmarks/soak.py's leak check stays honest (issue #7): it catches the leak seen in
5-minute runs and passes a flat run with realistic noise."""

from __future__ import annotations

import importlib.util
import random
from pathlib import Path

SOAK = Path(__file__).resolve().parents[2] / "benchmarks" / "soak.py"


def _soak():
    spec = importlib.util.spec_from_file_location("soak_under_test", SOAK)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _rows(duration: float, mb_per_min: float, noise: float, seed: int = 1) -> list[dict]:
    rnd = random.Random(seed)
    return [
        {"t": t, "rss_mb": 120.0 + mb_per_min * t / 60 + rnd.uniform(-noise, noise), "threads": 40, "fds": 60}
        for t in range(10, int(duration) + 1, 10)
    ]


def test_five_minute_run_catches_the_issue_7_leak():
    soak = _soak()
    for rate in (2.0, 2.4, 3.6):
        found = soak.growth_verdict(_rows(300, rate, 0.5), out=lambda *_: None)
        assert any(v.startswith("LEAK: rss_mb") for v in found), rate


def test_ten_minute_run_catches_a_slow_leak():
    soak = _soak()
    found = soak.growth_verdict(_rows(600, 1.5, 0.5), out=lambda *_: None)
    assert any(v.startswith("LEAK: rss_mb") for v in found)


def test_flat_noisy_run_passes():
    soak = _soak()
    for seed in range(20):
        assert soak.growth_verdict(_rows(300, 0.0, 1.5, seed), out=lambda *_: None) == [], seed
        assert soak.growth_verdict(_rows(600, 0.2, 1.5, seed), out=lambda *_: None) == [], seed


def test_threads_and_fds_growth_still_flagged():
    soak = _soak()
    rows = [{"t": t, "rss_mb": 100.0, "threads": 40 + t // 10, "fds": 60 + t // 5} for t in range(10, 301, 10)]
    found = soak.growth_verdict(rows, out=lambda *_: None)
    assert any("threads" in v for v in found) and any("fds" in v for v in found)
