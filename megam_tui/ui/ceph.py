"""The Ceph pane: health checks with detail, daemons, PGs, capacity, IO, OSD tree, cluster log.

Fed through `apply()` with what CephLayer emits (CephStatus, CephOsdTree,
CephPools, CephLogBacklog, cluster-log Events, BackendState); never calls an
engine. Actions are RunAction("ceph", ...) messages: flags, OSD out/in,
mute/unmute. All untrusted text (check summaries, detail lines, log messages,
names) goes into rich Text objects, never markup.
"""

from __future__ import annotations

import collections
import time
from dataclasses import dataclass, field
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Input, RichLog, Static, TabbedContent, TabPane, Tree
from textual.widgets.tree import TreeNode

from megam_tui.backends.ceph_models import CephLogBacklog, CephOsdTree, CephPools
from megam_tui.models import BackendState, CephStatus, Event
from megam_tui.ui import ceph_format as fmt
from megam_tui.ui.heartbeat import on_heartbeat
from megam_tui.ui.messages import RunAction

IO_HISTORY = 60  # samples kept for the sparklines
LOG_KEPT = 1000  # cluster log lines kept per cluster
AUTO_EXPAND_DETAIL = 5  # a new check with this many detail lines or fewer opens by itself
MUTE_TTL = "10m"
RECENT_LINES = 50  # cluster log lines under the checks (the Log tab keeps LOG_KEPT)
TABS = ("ceph-tab-health", "ceph-tab-osds", "ceph-tab-pools", "ceph-tab-log")


@dataclass
class ClusterView:
    name: str
    status: CephStatus | None = None
    since: float | None = None  # wall time the health status last changed
    error: str | None = None
    tree: CephOsdTree | None = None
    pools: CephPools | None = None
    read_hist: collections.deque[float] = field(default_factory=lambda: collections.deque(maxlen=IO_HISTORY))
    write_hist: collections.deque[float] = field(default_factory=lambda: collections.deque(maxlen=IO_HISTORY))
    log: collections.deque[Event] = field(default_factory=lambda: collections.deque(maxlen=LOG_KEPT))


class CephPane(Vertical):
    DEFAULT_CSS = """
    CephPane { height: 1fr; }
    CephPane #ceph-head { height: auto; max-height: 6; padding: 0 1; }
    CephPane.-stale #ceph-tabs { opacity: 60%; }
    CephPane #ceph-tabs { height: 1fr; }
    CephPane TabPane { padding: 0; }
    CephPane Tree { height: 1fr; background: $surface; }
    CephPane #ceph-pools-scroll { height: 1fr; padding: 0 1; }
    CephPane #ceph-log-search { display: none; height: 3; }
    CephPane.-searching #ceph-log-search { display: block; }
    CephPane #ceph-log { height: 1fr; }
    CephPane #ceph-recent { height: 40%; min-height: 4; overflow-x: hidden; border-top: solid $panel-lighten-2; background: $surface; }
    """
    BINDINGS = [
        Binding("o", "toggle_flag('noout')", "noout", id="ceph.noout"),
        Binding("S", "toggle_flag('noscrub')", "noscrub", show=False, id="ceph.noscrub"),
        Binding("D", "toggle_flag('nodeep-scrub')", "nodeep-scrub", show=False, id="ceph.nodeep_scrub"),
        Binding("B", "toggle_flag('norebalance')", "norebalance", show=False, id="ceph.norebalance"),
        Binding("m", "toggle_mute", "Mute/unmute", id="ceph.mute"),
        Binding("O", "osd('osd_out')", "OSD out", id="ceph.osd_out"),
        Binding("I", "osd('osd_in')", "OSD in", id="ceph.osd_in"),
        Binding("t", "next_tab", "Tab", id="ceph.tab"),
        Binding("c", "next_cluster", "Cluster", show=False, id="ceph.cluster"),
        Binding("slash", "search", "Search log", id="ceph.search"),
        Binding("escape", "clear_search", "Clear", show=False, id="ceph.clear"),
    ]

    def __init__(self, settings: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.clusters: dict[str, ClusterView] = {}
        for spec in getattr(settings, "ceph_clusters", ()) or ():
            self.clusters[spec.name] = ClusterView(spec.name)
        self.current: str | None = next(iter(self.clusters), None)
        self.search = ""
        self.palette = dict(fmt.DEFAULT_PALETTE)
        self._check_nodes: dict[str, TreeNode] = {}
        self._check_shown: dict[str, tuple] = {}
        self._collapsed: set[str] = set()  # checks the user closed
        self._osd_nodes: dict[int, TreeNode] = {}
        self._osd_shape: tuple | None = None
        self._osd_labels: dict[int, str] = {}
        self._placeholder: TreeNode | None = None
        self._drawn: dict[str, tuple] = {}  # widget id -> signature of the Text it shows
        self.redraws = 0  # widget updates actually made (tests, benchmarks)

    # ---------------------------------------------------------------- layout
    def compose(self) -> ComposeResult:
        yield Static(Text("ceph: waiting for the first answer…", style="dim"), id="ceph-head")
        with TabbedContent(id="ceph-tabs"):
            with TabPane("Health", id="ceph-tab-health"):
                yield Tree(Text("checks"), id="ceph-checks")
                yield RichLog(id="ceph-recent", max_lines=RECENT_LINES, wrap=False, markup=False, highlight=False)
            with TabPane("OSDs", id="ceph-tab-osds"):
                yield Tree(Text("osds"), id="ceph-osds")
            with TabPane("Pools", id="ceph-tab-pools"):
                with VerticalScroll(id="ceph-pools-scroll"):
                    yield Static(Text("no pool data yet", style="dim"), id="ceph-pools")
            with TabPane("Log", id="ceph-tab-log"):
                yield Input(placeholder="search the cluster log", id="ceph-log-search")
                yield RichLog(id="ceph-log", max_lines=LOG_KEPT, wrap=False, markup=False, highlight=False)

    def on_mount(self) -> None:
        self._load_palette()
        self.query_one("#ceph-recent", RichLog).can_focus = False  # the Log tab is where one scrolls
        for tid in ("#ceph-checks", "#ceph-osds"):
            tree = self.query_one(tid, Tree)
            tree.show_root = False
            tree.guide_depth = 2
        self._sync_all()
        on_heartbeat(self, self._tick)  # ages in the head ("HEALTH_WARN for 3m")

    def _load_palette(self) -> None:
        try:
            v = self.app.get_css_variables()
        except Exception:  # noqa: BLE001 - keep the default palette
            return
        for key, var in (("ok", "success"), ("warn", "warning"), ("err", "error"), ("muted", "text-muted")):
            if v.get(var):
                self.palette[key] = v[var]
        # text-muted may carry alpha ("#e0e0e0 60%"): rich needs a plain colour
        self.palette["muted"] = self.palette["muted"].split()[0] if self.palette["muted"].startswith("#") else "grey50"

    # ---------------------------------------------------------------- data
    def view(self, name: str) -> ClusterView:
        v = self.clusters.get(name)
        if v is None:
            v = self.clusters[name] = ClusterView(name)
            if self.current is None:
                self.current = name
        return v

    def hold_key(self, obj: Any) -> Any:
        """A status with the same health and checks as shown may wait for the app's heartbeat."""
        if not isinstance(obj, CephStatus):
            return None
        v = self.clusters.get(obj.cluster)
        if v is None or v.status is None or v.error:
            return None
        def checks(st: CephStatus) -> set[tuple[str, str, str]]:
            return {(c.code, c.severity, c.summary) for c in st.checks}

        if v.status.health != obj.health or checks(v.status) != checks(obj):
            return None
        return ("status", obj.cluster)

    def apply(self, obj: Any) -> None:
        now = time.time()
        if isinstance(obj, CephStatus):
            v = self.view(obj.cluster)
            if v.status is None or v.status.health != obj.health:
                v.since = now
            v.status, v.error = obj, None
            v.read_hist.append(obj.read_bps)
            v.write_hist.append(obj.write_bps)
            if self._shown(obj.cluster):
                self._sync_head()
                self._sync_checks()
        elif isinstance(obj, BackendState):
            if obj.layer != "ceph":
                return
            v = self.view(obj.name)
            v.error = None if obj.ok else (obj.error or "cluster unreachable")
            if self._shown(obj.name):
                self._sync_head()
        elif isinstance(obj, CephOsdTree):
            self.view(obj.cluster).tree = obj
            if self._shown(obj.cluster):
                self._sync_osds()
        elif isinstance(obj, CephPools):
            self.view(obj.cluster).pools = obj
            if self._shown(obj.cluster):
                self._sync_pools()
        elif isinstance(obj, CephLogBacklog):
            v = self.view(obj.cluster)
            v.log.extend(obj.events)
            if self._shown(obj.cluster):
                self._sync_log()
        elif isinstance(obj, Event):
            if obj.layer != "ceph" or not obj.kind.startswith("log"):
                return  # health events go to the timeline; the pane shows the status itself
            v = self.view(obj.source)
            v.log.append(obj)
            if self._shown(obj.source):
                line = fmt.log_line(obj, self.palette)
                self.query_one("#ceph-recent", RichLog).write(line)
                if self._matches(obj):
                    self.query_one("#ceph-log", RichLog).write(line)

    def _shown(self, cluster: str) -> bool:
        return self.is_mounted and cluster == self.current

    @property
    def current_view(self) -> ClusterView | None:
        return self.clusters.get(self.current) if self.current else None

    # ---------------------------------------------------------------- rendering
    def _show(self, widget_id: str, text: Text) -> None:
        """Update a Static only when what it would draw changed (no needless repaint)."""
        sig = fmt.text_sig(text)
        old = self._drawn.get(widget_id)
        if old == sig:
            return
        self._drawn[widget_id] = sig
        self.redraws += 1
        # a layout pass of the whole screen only when the height may change
        same_height = old is not None and old[0].count("\n") == sig[0].count("\n")
        self.query_one(f"#{widget_id}", Static).update(text, layout=not same_height)

    def _sync_all(self) -> None:
        if not self.is_mounted:
            return
        self._sync_head()
        self._sync_checks()
        self._sync_osds()
        self._sync_pools()
        self._sync_log()

    def _tick(self) -> None:
        v = self.current_view
        if v is not None and v.status is not None:
            self._sync_head()

    def _sync_head(self) -> None:
        v = self.current_view
        self.set_class(bool(v and v.error), "-stale")
        if v is None:
            self._show("ceph-head", Text("ceph: no cluster configured", style="dim"))
            return
        if v.status is None:
            if v.error:
                self._show("ceph-head", Text(fmt.safe(f"{v.name}: {v.error}"), style=f"bold {self.palette['err']}"))
            else:
                self._show("ceph-head", Text(fmt.safe(f"{v.name}: waiting for the first answer…"), style="dim"))
            return
        text = fmt.status_lines(
            v.status, self.palette, since=v.since, now=time.time(),
            read_hist=v.read_hist, write_hist=v.write_hist, error=v.error,
        )
        if len(self.clusters) > 1:
            text.append(f"\n{len(self.clusters)} clusters: c to switch", style=self.palette["muted"])
        self._show("ceph-head", text)

    def _sync_checks(self) -> None:
        tree = self.query_one("#ceph-checks", Tree)
        v = self.current_view
        checks = v.status.checks if v and v.status else ()
        if not checks:
            for node in self._check_nodes.values():
                node.remove()
            self._check_nodes.clear()
            self._check_shown.clear()
            label = Text("no health checks" if v and v.status else "no status yet", style=self.palette["muted"])
            if self._placeholder is None:
                self._placeholder = tree.root.add_leaf(label)
            elif self._placeholder.label.plain != label.plain:
                self._placeholder.set_label(label)
            return
        if self._placeholder is not None:
            self._placeholder.remove()
            self._placeholder = None
        want = {c.code for c in checks}
        for code in [c for c in self._check_nodes if c not in want]:
            self._check_nodes.pop(code).remove()
            self._check_shown.pop(code, None)
        for c in checks:
            label = fmt.check_label(c, self.palette)
            sig = (label.plain, c.severity, c.muted, c.detail)
            node = self._check_nodes.get(c.code)
            if node is None:
                node = tree.root.add(label, data=("check", c.code), expand=False, allow_expand=bool(c.detail))
                self._check_nodes[c.code] = node
                for line in c.detail:
                    node.add_leaf(Text(fmt.safe(line)), data=("check", c.code))
                if c.detail and len(c.detail) <= AUTO_EXPAND_DETAIL and c.code not in self._collapsed:
                    node.expand()
            elif self._check_shown.get(c.code) != sig:
                node.set_label(label)
                if self._check_shown.get(c.code, (None, None, None, None))[3] != c.detail:
                    node.remove_children()
                    for line in c.detail:
                        node.add_leaf(Text(fmt.safe(line)), data=("check", c.code))
                    node.allow_expand = bool(c.detail)
            self._check_shown[c.code] = sig

    def on_tree_node_collapsed(self, event: Tree.NodeCollapsed) -> None:
        data = event.node.data
        if isinstance(data, tuple) and data[0] == "check":
            self._collapsed.add(data[1])

    def on_tree_node_expanded(self, event: Tree.NodeExpanded) -> None:
        data = event.node.data
        if isinstance(data, tuple) and data[0] == "check":
            self._collapsed.discard(data[1])

    def _sync_osds(self) -> None:
        tree = self.query_one("#ceph-osds", Tree)
        v = self.current_view
        t = v.tree if v else None
        if t is None:
            if self._osd_shape is not None or not tree.root.children:
                tree.clear()
                tree.root.add_leaf(Text("no OSD tree yet", style=self.palette["muted"]))
                self._osd_shape, self._osd_nodes, self._osd_labels = None, {}, {}
            return
        shape = fmt.tree_shape(t)
        if shape != self._osd_shape:
            tree.clear()
            self._osd_nodes, self._osd_labels = {}, {}
            by_id = {n.id: n for n in t.nodes}

            def add(parent: TreeNode, node_id: int, depth: int) -> None:
                n = by_id.get(node_id)
                if n is None or depth > 16:
                    return
                label = fmt.osd_label(n, self.palette)
                if n.children:
                    child = parent.add(label, data=("bucket", n.id), expand=True)
                    for c in n.children:
                        add(child, c, depth + 1)
                else:
                    child = parent.add_leaf(label, data=(n.type, n.id))
                self._osd_nodes[n.id] = child
                self._osd_labels[n.id] = label.plain

            for root in t.roots():
                add(tree.root, root.id, 0)
            self._osd_shape = shape
            return
        for n in t.nodes:
            node = self._osd_nodes.get(n.id)
            if node is None:
                continue
            label = fmt.osd_label(n, self.palette)
            if self._osd_labels.get(n.id) != label.plain:
                node.set_label(label)
                self._osd_labels[n.id] = label.plain

    def _sync_pools(self) -> None:
        v = self.current_view
        if v is None or v.pools is None:
            self._show("ceph-pools", Text("no pool data yet", style="dim"))
            return
        self._show("ceph-pools", fmt.pool_lines(v.pools, self.palette))

    def _matches(self, ev: Event) -> bool:
        return not self.search or self.search.lower() in ev.message.lower()

    def _sync_log(self, recent: bool = True) -> None:
        log = self.query_one("#ceph-log", RichLog)
        log.clear()
        v = self.current_view
        if recent:
            self.query_one("#ceph-recent", RichLog).clear()
        if v is None:
            return
        for ev in v.log:
            if self._matches(ev):
                log.write(fmt.log_line(ev, self.palette))
        if recent:
            rec = self.query_one("#ceph-recent", RichLog)
            for ev in list(v.log)[-RECENT_LINES:]:
                rec.write(fmt.log_line(ev, self.palette))

    # ---------------------------------------------------------------- actions
    def _post(self, action: str, target: str, params: dict[str, Any] | None = None) -> None:
        self.post_message(RunAction("ceph", action, [target], params or {}))

    def action_toggle_flag(self, flag: str) -> None:
        v = self.current_view
        if v is None or v.status is None:
            self.notify("no Ceph status yet", severity="warning")
            return
        on = flag in fmt.flags_set(v.status)
        self._post("unset_flag" if on else "set_flag", v.name, {"flag": flag})

    def _cursor_data(self, tree_id: str) -> Any:
        node = self.query_one(tree_id, Tree).cursor_node
        return None if node is None else node.data

    def action_toggle_mute(self) -> None:
        v = self.current_view
        data = self._cursor_data("#ceph-checks")
        if v is None or v.status is None or not (isinstance(data, tuple) and data[0] == "check"):
            self.notify("select a health check first (Health tab)", severity="warning")
            return
        code = data[1]
        check = next((c for c in v.status.checks if c.code == code), None)
        if check is not None and check.muted:
            self._post("unmute", v.name, {"code": code})
        else:
            self._post("mute", v.name, {"code": code, "ttl": MUTE_TTL})

    def action_osd(self, action: str) -> None:
        v = self.current_view
        data = self._cursor_data("#ceph-osds")
        if v is None or not (isinstance(data, tuple) and data[0] == "osd"):
            self.notify("select an OSD first (OSDs tab)", severity="warning")
            return
        self._post(action, f"{v.name}/osd.{data[1]}")

    def action_next_tab(self) -> None:
        tabs = self.query_one("#ceph-tabs", TabbedContent)
        i = TABS.index(tabs.active) if tabs.active in TABS else -1
        new = TABS[(i + 1) % len(TABS)]
        # move the focus first: a focused widget in the tab being hidden would pull it back
        self.query_one("#ceph-tabs ContentTabs").focus()
        tabs.active = new
        target = {"ceph-tab-health": "#ceph-checks", "ceph-tab-osds": "#ceph-osds",
                  "ceph-tab-pools": "#ceph-pools-scroll", "ceph-tab-log": "#ceph-log"}[new]
        self.call_after_refresh(self.query_one(target).focus)

    def action_next_cluster(self) -> None:
        names = list(self.clusters)
        if len(names) < 2:
            return
        i = names.index(self.current) if self.current in names else -1
        self.current = names[(i + 1) % len(names)]
        self._check_nodes.clear()
        self._check_shown.clear()
        self.query_one("#ceph-checks", Tree).clear()
        self._placeholder = None
        self._osd_shape = None
        self._sync_all()

    def action_search(self) -> None:
        self.query_one("#ceph-tabs", TabbedContent).active = "ceph-tab-log"
        self.add_class("-searching")
        self.query_one("#ceph-log-search", Input).focus()

    def action_clear_search(self) -> None:
        self.remove_class("-searching")
        inp = self.query_one("#ceph-log-search", Input)
        if inp.value:
            inp.value = ""
        self.search = ""
        self._sync_log(recent=False)

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "ceph-log-search":
            event.stop()
            self.search = event.value.strip()
            self._sync_log(recent=False)
