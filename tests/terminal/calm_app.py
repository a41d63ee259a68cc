"""A tiny app on megam-tui's terminal driver, for test_calm_driver (run in tmux)."""

from textual.app import App, ComposeResult
from textual.widgets import Static

from megam_tui.ui.calm_driver import CalmLinuxDriver


class KeysApp(App):
    def compose(self) -> ComposeResult:
        yield Static("ready", id="out")

    def on_key(self, event) -> None:
        self.query_one("#out", Static).update(f"key={event.key}")
        if event.key == "q":
            self.exit()


if __name__ == "__main__":
    import sys

    from textual.drivers.linux_driver import LinuxDriver

    KeysApp(driver_class=LinuxDriver if "--stock" in sys.argv else CalmLinuxDriver).run()
