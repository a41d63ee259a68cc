"""Log follow of the testbed's `chatty` container: literal markup, ANSI kept, bounded, stoppable."""

import time

from megam_tui.backends.docker_logs import LogBatch
from tests.integration.docker_helpers import Collector, docker, make_layer, unique


def test_chatty_logs_arrive_literally_in_batches():
    layer = make_layer()
    sink = Collector()
    cid = docker("inspect", "-f", "{{.Id}}", "chatty")
    layer.follow_logs("s1", [f"local/{cid}"], tail=5, emit=sink)
    try:
        batch = sink.wait_for(lambda o: isinstance(o, LogBatch) and len(o.lines) >= 5, timeout=5)
        first = batch.lines[0]
        assert first.key == f"local/{cid}" and first.time is not None
        assert "[red]x[/]" in first.text and "\x1b[31mred\x1b[0m" in first.text and "[b]bold[/b]" in first.text
        # new lines keep coming (0.2 s apart) in later batches
        last = max(int(ln.text.split()[1]) for ln in batch.lines)
        sink.wait_for(lambda o: isinstance(o, LogBatch) and any(int(ln.text.split()[1]) > last for ln in o.lines))
    finally:
        t = time.monotonic()
        layer.stop_logs("s1")
        assert time.monotonic() - t < 1.5


def test_merged_follow_of_two_containers_with_tty_and_names():
    layer = make_layer()
    name = unique("tty")
    # a TTY container writes raw bytes (no multiplexing); a line every 0.1 s
    docker("run", "-d", "-t", "--name", name, "--stop-timeout", "1", "busybox:local", "sh", "-c", "i=0; while true; do i=$((i+1)); printf 'tty %d\\r\\n' $i; sleep 0.1; done")
    try:
        sink = Collector()
        ids = [docker("inspect", "-f", "{{.Id}}", n) for n in (name, "chatty")]
        layer.known["local"] = {}
        layer.follow_logs("s2", [f"local/{i}" for i in ids], tail=3, emit=sink)
        sink.wait_for(lambda o: isinstance(o, LogBatch) and any(ln.text.startswith("tty ") for ln in o.lines), timeout=5)
        sink.wait_for(lambda o: isinstance(o, LogBatch) and any(ln.text.startswith("chatty ") for ln in o.lines), timeout=5)
        lines = [ln for _, o in sink.items if isinstance(o, LogBatch) for ln in o.lines]
        tty = [ln.text for ln in lines if ln.key.endswith(ids[0])]
        assert all(t.startswith("tty ") and "\r" not in t for t in tty)
        assert {ln.name for ln in lines} == {ids[0][:12], ids[1][:12]}  # names unknown to this layer: short ids
    finally:
        layer.stop_logs("s2")
        docker("rm", "-f", name, check=False)
