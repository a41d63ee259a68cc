"""A hung engine (dockerd stopped with SIGSTOP, by PID) keeps the event stream open:
the stats thread's bounded ping reports it, and it recovers after SIGCONT."""

import os
import signal
import time

from megam_tui.models import BackendState
from tests.conftest import TESTBED
from tests.integration.docker_helpers import Collector, make_layer


def test_hung_engine_is_reported_then_recovers():
    layer = make_layer(refresh=0.5)
    sink = Collector()
    layer.start(sink)
    pid = int((TESTBED / "docker" / "dockerd.pid").read_text())
    stopped = False
    try:
        sink.wait_for(lambda o: isinstance(o, BackendState) and o.ok)
        t = time.monotonic()
        os.kill(pid, signal.SIGSTOP)
        stopped = True
        st = sink.wait_for(lambda o: isinstance(o, BackendState) and not o.ok, since=t, timeout=8)
        assert st.error == "engine unreachable: no answer (timeout)", st.error
        t = time.monotonic()
        os.kill(pid, signal.SIGCONT)
        stopped = False
        sink.wait_for(lambda o: isinstance(o, BackendState) and o.ok, since=t, timeout=15)
    finally:
        if stopped:
            os.kill(pid, signal.SIGCONT)
        layer.stop()
