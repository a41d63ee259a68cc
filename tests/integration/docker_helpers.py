"""Shared helpers for the Docker integration tests (not collected: no test_ prefix)."""

import os
import subprocess
import threading
import time
import uuid

from megam_tui.backends.docker import DockerLayer
from megam_tui.settings import EngineSpec, Settings
from tests.conftest import REPO
from tests.integration import conftest as testbed

DOCKER_ENV = dict(os.environ, DOCKER_API_VERSION="1.41")
SCRIPT = REPO / "scripts" / "testbed" / "docker.sh"


def engines():
    frag = testbed.testbed_fragment("docker")
    testbed.testbed_up("docker")
    return tuple(EngineSpec(name=e["name"], url=e["url"]) for e in frag["docker"]["engines"])


def make_layer(**kw) -> DockerLayer:
    return DockerLayer(Settings(docker_engines=engines(), **kw))


def docker(*args: str, check: bool = True) -> str:
    res = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=60, env=DOCKER_ENV)
    if check and res.returncode != 0:
        raise AssertionError(f"docker {' '.join(args)}: {res.stderr.strip()}")
    return res.stdout.strip()


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def run_sleeper(name: str, *extra: str) -> str:
    return docker("run", "-d", "--name", name, "--stop-timeout", "1", "--label", "megam.test=1", *extra, "busybox:local", "sleep", "100000")


class Collector:
    """Thread-safe sink for `emit`, with wait-for-condition."""

    def __init__(self):
        self.items = []
        self.cond = threading.Condition()

    def __call__(self, obj):
        with self.cond:
            self.items.append((time.monotonic(), obj))
            self.cond.notify_all()

    def wait_for(self, pred, timeout=10.0, since=0.0):
        end = time.monotonic() + timeout
        with self.cond:
            while True:
                for t, obj in self.items:
                    if t >= since and pred(obj):
                        return obj
                left = end - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"condition not met within {timeout}s; last items: {[o for _, o in self.items[-5:]]}")
                self.cond.wait(left)


class FakeJob:
    def __init__(self):
        self.lines = []
        self.cancelled = False

    def emit(self, line):
        self.lines.append(line)
