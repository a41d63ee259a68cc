"""The pane of a layer with nothing configured: what it would show, and the exact config to add.

One registry (GUIDES) for the four layers; the text names the config keys (colon paths, as
`megam-tui config` and docs/config.md use them), a YAML example, and where detection looked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual.widgets import Static


@dataclass(frozen=True)
class Guide:
    shows: str
    key: str
    example: str
    looked: str


GUIDES = {
    "docker": Guide(
        "containers of your Docker and Podman engines, live: state, health, CPU, memory; start/stop, logs, exec",
        "docker:engines",
        "docker:\n  engines:\n    - {name: local, url: unix:///var/run/docker.sock}\n    - {name: build, url: ssh://root@build1}",
        "$DOCKER_HOST, the current Docker context and the local Docker and Podman sockets",
    ),
    "libvirt": Guide(
        "KVM virtual machines (libvirt): state, CPU, memory; start, shutdown, reboot, force off",
        "libvirt:hypervisors",
        'libvirt:\n  hypervisors:\n    - {name: local, uri: "qemu:///system"}\n    - {name: kvm2, uri: "qemu+ssh://root@kvm2/system"}',
        "virsh, and qemu:///system",
    ),
    "ceph": Guide(
        "a Ceph cluster as `ceph -s` shows it: health and checks, mons, mgrs, OSDs, PGs, IO and recovery",
        "ceph:clusters",
        "ceph:\n  clusters:\n    - {name: prod, conf: /etc/ceph/ceph.conf}\n    # through an SSH host (an ssh:hosts entry): - {name: dr, host: mon1}",
        "/etc/ceph/ceph.conf (and a readable keyring beside it)",
    ),
    "ssh": Guide(
        "your hosts over SSH: reachability, load, CPU, memory, disk; run a command on many at once",
        "ssh:hosts",
        "ssh:\n  hosts:\n    - {name: web1, address: 10.0.0.11, user: root}\n    - {name: db1, address: db1.example.org}",
        "nothing (hosts are never guessed)",
    ),
}


def guide_text(layer: str, config_path: Any = None) -> Text:
    g = GUIDES[layer]
    text = Text()
    text.append("Nothing configured here.\n", style="bold")
    text.append(f"This pane shows {g.shows}.\n\n")
    text.append("Add ", style="dim")
    text.append(g.key, style="bold")
    where = f" to {config_path}" if config_path else " to your config file (megam-tui config path says which)"
    text.append(f"{where}, for example:\n\n", style="dim")
    text.append(g.example + "\n\n")
    text.append(f"Looked for: {g.looked}. Then: megam-tui config check.", style="dim")
    return text


class NotConfiguredPane(Static, can_focus=True):
    DEFAULT_CSS = """
    NotConfiguredPane { height: 1fr; padding: 0 1; overflow-y: auto; }
    """

    def __init__(self, layer: str, config_path: Any = None, **kwargs: Any) -> None:
        super().__init__(guide_text(layer, config_path), **kwargs)
        self.layer_name = layer

    def apply(self, obj: Any) -> None:
        """A layer that is not configured sends nothing; anything that comes is ignored."""
