"""Command palette providers: jump to any object, run any pane action."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

PANE_COMMANDS = (
    ("Focus Containers", "docker"),
    ("Focus VMs", "libvirt"),
    ("Focus Hosts", "ssh"),
    ("Focus Ceph", "ceph"),
    ("Focus Jobs", "jobs"),
    ("Focus Events", "events"),
)
LAYER_WORD = {"docker": "container", "libvirt": "VM", "ssh": "host", "ceph": "cluster"}


class MegamCommands(Provider):
    """Jump to a container / VM / host / cluster by name; focus panes; toggle zoom."""

    def _commands(self):
        app = self.app
        for title, layer in PANE_COMMANDS:
            yield title, partial(app.action_focus_pane, layer), f"show the {layer} pane"
        yield "Zoom focused pane", app.action_toggle_maximize, "maximize / restore"
        for (layer, name), where in sorted(getattr(app, "objects", {}).items()):
            word = LAYER_WORD.get(layer, layer)
            yield f"Go to {word} {name}", partial(app.jump_to, layer, name), f"{word} on {where}" if where else word
        # pane actions: every visible binding of every pane, run on that pane
        for layer, pane in getattr(app, "panes", {}).items():
            for binding in getattr(pane, "BINDINGS", []):
                desc = getattr(binding, "description", "")
                action = getattr(binding, "action", None)
                if desc and action:
                    yield f"{layer}: {desc}", partial(_run_pane_action, app, layer, action), f"key {binding.key}"

    async def discover(self) -> Hits:
        for text, callback, help_text in self._commands():
            yield DiscoveryHit(text, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for text, callback, help_text in self._commands():
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), callback, help=help_text)


def _run_pane_action(app, layer: str, action: str) -> None:
    app.action_focus_pane(layer)
    pane = app.panes.get(layer)
    if pane is not None:
        app.call_later(pane.run_action, action)
