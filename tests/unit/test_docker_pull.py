"""Pull progress parsing (recorded engine message shapes) and run-form parsing."""

import pytest

from megam_tui.backends.base import BackendError
from megam_tui.backends.docker_actions import parse_env, parse_ports, split_target
from megam_tui.backends.docker_pull import PullProgress, human_bytes, split_image_ref

# message shapes as the engine streams them for `docker pull nginx:1.25`
STREAM = [
    {"status": "Pulling from library/nginx", "id": "1.25"},
    {"status": "Pulling fs layer", "progressDetail": {}, "id": "a2abf6c4d29d"},
    {"status": "Pulling fs layer", "progressDetail": {}, "id": "a9edb18cadd1"},
    {"status": "Downloading", "progressDetail": {"current": 1000, "total": 10000}, "progress": "[>   ]", "id": "a2abf6c4d29d"},
    {"status": "Downloading", "progressDetail": {"current": 2000, "total": 10000}, "progress": "[=>  ]", "id": "a2abf6c4d29d"},
    {"status": "Downloading", "progressDetail": {"current": 6000, "total": 10000}, "progress": "[==> ]", "id": "a2abf6c4d29d"},
    {"status": "Verifying Checksum", "progressDetail": {}, "id": "a2abf6c4d29d"},
    {"status": "Download complete", "progressDetail": {}, "id": "a2abf6c4d29d"},
    {"status": "Already exists", "progressDetail": {}, "id": "a9edb18cadd1"},
    {"status": "Extracting", "progressDetail": {"current": 10000, "total": 10000}, "id": "a2abf6c4d29d"},
    {"status": "Pull complete", "progressDetail": {}, "id": "a2abf6c4d29d"},
    {"status": "Digest: sha256:0123"},
    {"status": "Status: Downloaded newer image for nginx:1.25"},
]


def test_progress_lines_per_layer_without_flooding():
    p = PullProgress()
    lines = [line for obj in STREAM if (line := p.feed(obj))]
    assert lines == [
        "1.25: Pulling from library/nginx",
        "a2abf6c4d29d: Pulling fs layer",
        "a9edb18cadd1: Pulling fs layer",
        "a2abf6c4d29d: Downloading 1.0kB/10.0kB (10%)",
        # 20 % is in the same 25 % step as 10 %: suppressed
        "a2abf6c4d29d: Downloading 6.0kB/10.0kB (60%)",
        "a2abf6c4d29d: Verifying Checksum",
        "a2abf6c4d29d: Download complete",
        "a9edb18cadd1: Already exists",
        "a2abf6c4d29d: Extracting 10.0kB/10.0kB (100%)",
        "a2abf6c4d29d: Pull complete",
        "Digest: sha256:0123",
        "Status: Downloaded newer image for nginx:1.25",
    ]
    assert p.done_layers == 2


def test_error_message_raises_one_line():
    with pytest.raises(BackendError, match="^pull failed: manifest for x:y not found$"):
        PullProgress().feed({"errorDetail": {"message": "manifest for x:y not found\nmore"}, "error": "manifest for x:y not found\nmore"})


@pytest.mark.parametrize(
    "ref,expect",
    [("nginx", ("nginx", "latest")), ("nginx:1.25", ("nginx", "1.25")), ("localhost:5000/app", ("localhost:5000/app", "latest")),
     ("localhost:5000/app:v2", ("localhost:5000/app", "v2")), ("a/b@sha256:ff", ("a/b", "sha256:ff"))],
)
def test_split_image_ref(ref, expect):
    assert split_image_ref(ref) == expect


def test_split_image_ref_empty():
    with pytest.raises(BackendError):
        split_image_ref("  ")


def test_human_bytes():
    assert (human_bytes(None), human_bytes(999), human_bytes(1500), human_bytes(2_500_000)) == ("-", "999B", "1.5kB", "2.5MB")


def test_parse_ports():
    assert parse_ports("8080:80, 127.0.0.1:5353:53/udp 9000") == {"80/tcp": 8080, "53/udp": ("127.0.0.1", 5353), "9000/tcp": None}
    assert parse_ports("") == {}
    for bad in ("80:abc", "1:2:3:4", "80/icmp"):
        with pytest.raises(BackendError):
            parse_ports(bad)


def test_parse_env():
    assert parse_env("A=1, B=x=y\nC=") == ["A=1", "B=x=y", "C="]
    assert parse_env(["K=v"]) == ["K=v"]
    for bad in ("NOVALUE", "=x"):
        with pytest.raises(BackendError):
            parse_env(bad)


def test_split_target():
    assert split_target("local/abc") == ("local", "abc")
    assert split_target("local") == ("local", "")
    with pytest.raises(BackendError):
        split_target("/abc")
