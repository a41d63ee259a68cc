"""InspectScreen: a container's JSON as a collapsible tree; secret-looking env values masked."""

from __future__ import annotations

import re
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Static, Tree
from textual.widgets.tree import TreeNode

SECRET_NAME = re.compile(r"PASSWORD|PASSWD|SECRET|TOKEN|KEY|CREDENTIAL", re.IGNORECASE)
MASK = "••••••"
EXPANDED = ("State", "Config", "Env", "Labels", "Mounts", "NetworkSettings", "Networks", "HostConfig")


def mask_env(entry: str, reveal: bool) -> str:
    """"DB_PASSWORD=x" -> "DB_PASSWORD=••••••" unless revealed."""
    name, sep, value = entry.partition("=")
    if sep and value and not reveal and SECRET_NAME.search(name):
        return f"{name}={MASK}"
    return entry


def _scalar(v: Any) -> Text:
    if v is None:
        return Text("null", style="dim")
    if isinstance(v, bool):
        return Text(str(v).lower(), style="magenta")
    if isinstance(v, (int, float)):
        return Text(str(v), style="cyan")
    return Text(str(v), style="green")


class InspectScreen(Screen[None]):
    DEFAULT_CSS = """
    InspectScreen #inspect-title { height: 1; background: $panel; text-style: bold; }
    InspectScreen Tree { height: 1fr; }
    """
    BINDINGS = [
        Binding("escape,q", "close", "Close", id="inspect.close"),
        Binding("v", "reveal", "Reveal secrets", id="inspect.reveal"),
        Binding("E", "expand_all", "Expand all", id="inspect.expand"),
    ]

    def __init__(self, key: str, name: str) -> None:
        super().__init__()
        self.key = key
        self.cname = name
        self.data: dict[str, Any] | None = None
        self.error: str | None = None
        self.reveal = False

    def compose(self) -> ComposeResult:
        yield Static(Text(f"Inspect: {self.cname}"), id="inspect-title")
        tree: Tree[Any] = Tree(Text(self.cname), id="inspect-tree")
        tree.root.add_leaf(Text("loading…", style="dim"))
        tree.root.expand()
        yield tree
        yield Footer()

    @property
    def tree(self) -> Tree[Any]:
        return self.query_one("#inspect-tree", Tree)

    def on_mount(self) -> None:
        self.tree.focus()

    def feed(self, result: Any) -> None:
        self.data, self.error = result.data, result.error
        if self.is_mounted:
            self.rebuild()

    def rebuild(self) -> None:
        tree = self.tree
        tree.clear()
        if self.error:
            tree.root.add_leaf(Text(f"inspect failed: {self.error}", style="bold red"))
        elif self.data is not None:
            self._add(tree.root, self.data, parent_key="")
        tree.root.expand()

    def _add(self, node: TreeNode[Any], value: Any, parent_key: str) -> None:
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for k, v in items:
            label = Text(str(k), style="bold")
            if isinstance(v, (dict, list)) and v:
                child = node.add(label + Text(f"  {'{…}' if isinstance(v, dict) else f'[{len(v)}]'}", style="dim"))
                self._add(child, v, str(k))
                if str(k) in EXPANDED:
                    child.expand()
            else:
                if parent_key == "Env" and isinstance(v, str):
                    node.add_leaf(Text(mask_env(v, self.reveal)))
                    continue
                node.add_leaf(label + Text(": ") + _scalar(v if not (isinstance(v, (dict, list))) else ("{}" if isinstance(v, dict) else "[]")))

    def action_reveal(self) -> None:
        self.reveal = not self.reveal
        self.rebuild()
        self.notify("secrets shown" if self.reveal else "secrets masked")

    def action_expand_all(self) -> None:
        self.tree.root.expand_all()

    def action_close(self) -> None:
        self.dismiss(None)
