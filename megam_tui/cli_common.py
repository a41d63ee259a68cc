"""What every command module of the CLI shares: exit codes and loading the settings."""

from __future__ import annotations

import sys

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


def load_settings_or_report(config_path: str | None, read_only: bool | None):  # -> Settings | None
    """The settings, or None after printing the config error in one line (no traceback)."""
    from megam_tui.config import ConfigError, load_settings

    try:
        settings, problems = load_settings(config_path, read_only=read_only)
    except ConfigError as exc:
        print(f"megam-tui: config error: {exc}", file=sys.stderr)
        return None
    for problem in problems:
        print(f"megam-tui: warning: {problem}", file=sys.stderr)
    return settings
