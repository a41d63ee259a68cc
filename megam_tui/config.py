"""YAML config -> `Config` (colon paths, typed getters, env overrides).

The schema (known keys, defaults) and `build_settings` live in
`config_schema.py`; this module is the loader and the generic value access.

    cfg = load_config()                      # --config / $MEGAM_CONFIG / ... (see find_config_path)
    cfg.get_duration("refresh", 2.0)         # -> 2.0 (seconds)
    cfg.get_string("docker:engines:0:url")   # list indices are path segments

Every error is a `ConfigError` whose str() is "FILE:LINE: KEY: MESSAGE"; an
environment override reports "env MEGAM_X: KEY: MESSAGE" instead.
"""

from __future__ import annotations

import math
import os
import re
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

MAX_FILE_BYTES = 1024 * 1024
MAX_ALIASES = 100  # anchors + aliases per document (billion laughs)
MAX_DEPTH = 50  # nesting of mappings / sequences
MAX_NODES = 100_000  # values after alias expansion
ENV_PREFIX = "MEGAM_"
# MEGAM_* variables that are NOT config overrides.
RESERVED_ENV = frozenset({"MEGAM_HOME", "MEGAM_CONFIG", "MEGAM_TESTBED_DIR"})
CONFIG_NAME = "megam.yaml"

_MISSING: Any = object()


class ConfigError(Exception):
    """A config problem; str() is "FILE:LINE: KEY: MESSAGE" (unknown parts left out)."""

    def __init__(
        self, message: str, *, key: str | None = None, file: str | None = None, line: int | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.key = key
        self.file = file
        self.line = line

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = f"{self.file}:{self.line}: " if self.line else f"{self.file}: "
        key = f"{self.key}: " if self.key else ""
        return f"{where}{key}{self.message}"

    def __repr__(self) -> str:
        return f"ConfigError({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ConfigError) and str(self) == str(other)

    def __hash__(self) -> int:
        return hash(str(self))


# ---------------------------------------------------------------- YAML -> data + line map


class _Loader(yaml.SafeLoader):
    """SafeLoader's composer with limits on anchors/aliases and nesting depth."""

    def __init__(self, stream: str, origin: str) -> None:
        super().__init__(stream)
        self._origin = origin
        self._refs = 0
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:  # noqa: D102
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            self._refs += 1
            if self._refs > MAX_ALIASES:
                raise ConfigError(
                    f"more than {MAX_ALIASES} YAML anchors/aliases: refused",
                    file=self._origin,
                    line=event.start_mark.line + 1,
                )
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise ConfigError(
                    f"nested deeper than {MAX_DEPTH} levels: refused",
                    file=self._origin,
                    line=event.start_mark.line + 1,
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _yaml_error(exc: yaml.YAMLError, origin: str) -> ConfigError:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    msg = f"YAML syntax error: {problem}" + (f" ({context})" if context else "")
    return ConfigError(msg, file=origin, line=mark.line + 1 if mark is not None else None)


def _compose(text: str, origin: str) -> yaml.Node | None:
    loader = None
    try:
        loader = _Loader(text, origin)  # the reader already rejects control characters
        return loader.get_single_node()
    except ConfigError:
        raise
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1
        char = f"#x{exc.character:04x}" if isinstance(exc.character, int) else repr(exc.character)
        raise ConfigError(f"character {char} is not allowed in YAML", file=origin, line=line) from None
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, origin) from None
    except RecursionError:
        raise ConfigError(f"nested deeper than {MAX_DEPTH} levels: refused", file=origin) from None
    finally:
        if loader is not None:
            loader.dispose()


_MERGE_TAG = "tag:yaml.org,2002:merge"
_PLAIN_TAGS = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")


class _Builder:
    """Turns a composed node graph into dicts/lists/scalars, recording 1-based lines."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.lines: dict[str, int] = {}  # colon path -> line of the value
        self.key_lines: dict[str, int] = {}  # colon path -> line of the key
        self.numbers: dict[str, str] = {}  # colon path -> source text of a number (for get_string)
        self.problems: list[ConfigError] = []
        self._count = 0
        self._ctor = yaml.SafeLoader("")  # only used for its scalar constructors

    def error(self, msg: str, node: yaml.Node, key: str | None = None) -> ConfigError:
        return ConfigError(msg, key=key or None, file=self.origin, line=node.start_mark.line + 1)

    def build(self, node: yaml.Node, path: str = "", depth: int = 0) -> Any:
        self._count += 1
        if self._count > MAX_NODES:
            raise self.error(f"more than {MAX_NODES} values after alias expansion: refused", node)
        if depth > MAX_DEPTH:
            raise self.error(f"nested deeper than {MAX_DEPTH} levels (recursive alias?): refused", node)
        if path:
            self.lines[path] = node.start_mark.line + 1
        if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and node.tag not in _PLAIN_TAGS:
            raise self.error(f"unsupported YAML tag {node.tag}", node, path)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path, depth)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(child, _join(path, str(i)), depth + 1) for i, child in enumerate(node.value)]
        try:
            value = self._ctor.construct_object(node, deep=True)
        except Exception as exc:  # noqa: BLE001 - e.g. "!!int abc", "2024-13-45": all bad values
            detail = getattr(exc, "problem", None) or str(exc) or type(exc).__name__
            raise self.error(f"bad YAML value: {detail}", node, path) from None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            self.numbers[path] = node.value  # "password: 1.10" stays "1.10", not "1.1"
        return value

    def _pairs(self, node: yaml.MappingNode, depth: int) -> list[tuple[yaml.Node, yaml.Node]]:
        """Key/value node pairs with `<<` merge keys flattened (explicit keys win)."""
        explicit: list[tuple[yaml.Node, yaml.Node]] = []
        merged: list[tuple[yaml.Node, yaml.Node]] = []
        for key_node, value_node in node.value:
            if key_node.tag != _MERGE_TAG:
                explicit.append((key_node, value_node))
                continue
            sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
            for src in sources:
                if not isinstance(src, yaml.MappingNode) or depth > MAX_DEPTH:
                    raise self.error("a << merge key needs a mapping or a list of mappings", src)
                self._count += len(src.value)
                if self._count > MAX_NODES:
                    raise self.error(f"more than {MAX_NODES} values after alias expansion: refused", src)
                merged.extend(self._pairs(src, depth + 1))
        seen = {k.value for k, _ in explicit if isinstance(k, yaml.ScalarNode)}
        out, first = [], set()
        for k, v in merged:  # earlier merge sources win over later ones
            if isinstance(k, yaml.ScalarNode) and k.value not in seen and k.value not in first:
                first.add(k.value)
                out.append((k, v))
        return out + explicit

    def _mapping(self, node: yaml.MappingNode, path: str, depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key_node, value_node in self._pairs(node, depth):
            if not isinstance(key_node, yaml.ScalarNode):
                raise self.error("mapping keys must be plain scalars", key_node, path)
            key = key_node.value
            sub = _join(path, key)
            if key in out:
                first = self.key_lines.get(sub)
                self.problems.append(
                    self.error(f"duplicate key (first at line {first}); the last one wins", key_node, sub)
                )
            self.key_lines[sub] = key_node.start_mark.line + 1
            out[key] = self.build(value_node, sub, depth + 1)
        return out


def _join(path: str, seg: str) -> str:
    return f"{path}:{seg}" if path else seg


def parse_yaml(text: str, origin: str) -> tuple[Any, _Builder]:
    """Parse one YAML document safely -> (data, builder with line maps and problems)."""
    builder = _Builder(origin)
    node = _compose(text, origin)
    data = None if node is None else builder.build(node)
    return data, builder


def _parse_env_value(raw: str, var: str) -> tuple[Any, dict[str, str]]:
    """YAML-parse an env value -> (value, number source texts); unparsable text stays a string."""
    try:
        data, builder = parse_yaml(raw, f"env {var}")
    except ConfigError:
        return raw, {}
    return data, builder.numbers


# ---------------------------------------------------------------- value checks


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"a boolean ({'true' if value else 'false'})"
    if isinstance(value, int):
        return f"an integer ({value})"
    if isinstance(value, float):
        return f"a number ({value:g})"
    if isinstance(value, str):
        text = value if len(value) <= 40 else value[:37] + "..."
        return f"the string {text!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"a {type(value).__name__}"


_DURATION_UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}
_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ms|us|µs|ns|h|m|s)")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
DURATION_HINT = "expected a duration like 2s, 500ms, 1m30s, 1h or a number of seconds"


def parse_duration(value: Any) -> float:
    """"2s" / "500ms" / "1m30s" / "1h" / "250us" / 5 / "5" -> seconds. Raises ValueError."""
    if isinstance(value, bool) or value is None:
        raise ValueError(f"{DURATION_HINT}, got {_describe(value)}")
    if isinstance(value, (int, float)):
        seconds = float(value)
    elif isinstance(value, str):
        text = value.strip()
        if text.startswith("-"):
            raise ValueError(f"must not be negative, got {value!r}")
        if _NUMBER.fullmatch(text):
            seconds = float(text)
        else:
            pos, seconds = 0, 0.0
            for m in _DURATION_PART.finditer(text):
                if m.start() != pos:
                    break
                seconds += float(m.group(1)) * _DURATION_UNITS[m.group(2)]
                pos = m.end()
            if pos != len(text) or not text:
                raise ValueError(f"{DURATION_HINT}, got {_describe(value)}")
    else:
        raise ValueError(f"{DURATION_HINT}, got {_describe(value)}")
    if math.isnan(seconds) or math.isinf(seconds):
        raise ValueError(f"must be a finite duration, got {_describe(value)}")
    if seconds < 0:
        raise ValueError(f"must not be negative, got {_describe(value)}")
    return seconds


_ENV_TRUE = {"true", "yes", "on", "1"}
_ENV_FALSE = {"false", "no", "off", "0"}


# ---------------------------------------------------------------- Config


class Config:
    """Config values addressed by colon paths ("docker:engines:0:url").

    A null value counts as absent: the getter returns its default (or raises
    "missing required key" when there is none).
    """

    def __init__(
        self,
        data: dict[str, Any] | None = None,
        path: Path | None = None,
        *,
        lines: dict[str, int] | None = None,
        key_lines: dict[str, int] | None = None,
        numbers: dict[str, str] | None = None,
        problems: list[ConfigError] | None = None,
    ) -> None:
        self.path = path
        self.data: dict[str, Any] = data if data is not None else {}
        self.problems: list[ConfigError] = list(problems or [])
        self._lines = dict(lines or {})
        self._key_lines = dict(key_lines or {})
        self._numbers = dict(numbers or {})
        self._env: dict[str, tuple[str, str]] = {}  # path -> (variable, raw value)

    # ------------------------------------------------------------ provenance

    def _from_env(self, path: str) -> str | None:
        """The variable that set `path` or one of its parents, if any."""
        segs = path.split(":")
        for n in range(len(segs), 0, -1):
            hit = self._env.get(":".join(segs[:n]))
            if hit:
                return hit[0]
        return None

    def origin(self, path: str, *, key_line: bool = False) -> tuple[str | None, int | None]:
        """(file, line) where `path`'s value comes from; ("env VAR", None) for overrides."""
        var = self._from_env(path)
        if var:
            return f"env {var}", None
        segs = path.split(":")
        file = str(self.path) if self.path else None
        lines = self._key_lines if key_line and path in self._key_lines else self._lines
        for n in range(len(segs), 0, -1):
            line = lines.get(":".join(segs[:n]))
            if line is not None:
                return file, line
        return file, None

    def error(self, path: str, message: str, *, key_line: bool = False) -> ConfigError:
        file, line = self.origin(path, key_line=key_line)
        return ConfigError(message, key=path, file=file, line=line)

    # ------------------------------------------------------------ access

    def _lookup(self, path: str) -> Any:
        node: Any = self.data
        for seg in path.split(":"):
            if isinstance(node, dict):
                if seg not in node:
                    return _MISSING
                node = node[seg]
            elif isinstance(node, list):
                if not seg.isdigit() or int(seg) >= len(node):
                    return _MISSING
                node = node[int(seg)]
            else:
                return _MISSING
        return node

    def has(self, path: str) -> bool:
        """True when `path` exists and is not null."""
        return self._lookup(path) not in (_MISSING, None)

    def _get(self, path: str, default: Any, kind: str, convert: Any) -> Any:
        value = self._lookup(path)
        env = self._env.get(path)
        if env is not None and env[1] == "":
            value = None  # MEGAM_X= (empty) resets to the default
        if value is _MISSING or value is None:
            if default is _MISSING:
                raise self.error(path, f"missing required key ({kind})")
            return default
        try:
            return convert(value, None if env is None else env[1])
        except ValueError as exc:
            raise self.error(path, str(exc)) from None

    def get_string(self, path: str, default: Any = _MISSING) -> Any:
        def conv(v: Any, raw: str | None) -> str:
            if raw is not None:
                return raw
            if isinstance(v, str):
                return v
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                return self._numbers.get(path, str(v))
            raise ValueError(f"expected a string, got {_describe(v)} (quote it)")

        return self._get(path, default, "string", conv)

    def get_int(self, path: str, default: Any = _MISSING) -> Any:
        return self._get(path, default, "integer", _to_int)

    def get_uint(self, path: str, default: Any = _MISSING) -> Any:
        def conv(v: Any, raw: str | None) -> int:
            n = _to_int(v, raw, "a non-negative integer")
            if n < 0:
                raise ValueError(f"expected a non-negative integer, got {n}")
            return n

        return self._get(path, default, "non-negative integer", conv)

    def get_float(self, path: str, default: Any = _MISSING) -> Any:
        def conv(v: Any, raw: str | None) -> float:
            if raw is not None and _NUMBER.fullmatch(raw.strip()):
                v = float(raw)  # "1e3" is a string in YAML 1.1
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise ValueError(f"expected a number, got {_describe(v)}")
            if math.isnan(v) or math.isinf(v):
                raise ValueError(f"expected a finite number, got {_describe(v)}")
            return float(v)

        return self._get(path, default, "number", conv)

    def get_bool(self, path: str, default: Any = _MISSING) -> Any:
        def conv(v: Any, raw: str | None) -> bool:
            if raw is not None:
                word = raw.strip().lower()
                if word in _ENV_TRUE:
                    return True
                if word in _ENV_FALSE:
                    return False
                raise ValueError(f"expected a boolean (true/false/yes/no/on/off/1/0), got {raw!r}")
            if isinstance(v, bool):
                return v
            raise ValueError(f"expected a boolean (true/false), got {_describe(v)}")

        return self._get(path, default, "boolean", conv)

    def get_duration(self, path: str, default: Any = _MISSING) -> Any:
        return self._get(path, default, "duration", lambda v, raw: parse_duration(v if raw is None else raw))

    def get_list(self, path: str, default: Any = _MISSING) -> Any:
        def conv(v: Any, raw: str | None) -> list[Any]:
            if isinstance(v, list):
                return list(v)
            if raw is not None and isinstance(v, (str, int, float)):  # MEGAM_CONFIRM=kill,remove
                return [part.strip() for part in raw.split(",") if part.strip()]
            raise ValueError(f"expected a list, got {_describe(v)}")

        return self._get(path, default, "list", conv)

    def get_mapping(self, path: str, default: Any = _MISSING) -> Any:
        def conv(v: Any, raw: str | None) -> dict[str, Any]:
            if isinstance(v, dict):
                return dict(v)
            raise ValueError(f"expected a mapping, got {_describe(v)}")

        return self._get(path, default, "mapping", conv)

    # ------------------------------------------------------------ env overrides

    def apply_env(self, env: Mapping[str, str]) -> None:
        """Apply MEGAM_<PATH> overrides (`__` separates path segments)."""
        overrides = []
        for var, raw in env.items():
            if not var.startswith(ENV_PREFIX) or var in RESERVED_ENV:
                continue
            segs = var[len(ENV_PREFIX) :].split("__")
            if not all(segs):
                raise ConfigError(
                    "bad override name (expected MEGAM_KEY or MEGAM_SECTION__KEY)", file=f"env {var}"
                )
            overrides.append((len(segs), var, [s.lower() for s in segs], raw))
        for _, var, segs, raw in sorted(overrides):
            self._apply_one(var, segs, raw)

    def _set_env(self, path: str, var: str, raw: str) -> Any:
        value, numbers = _parse_env_value(raw, var)
        self._env[path] = (var, raw)
        for stale in [p for p in self._numbers if p == path or p.startswith(path + ":")]:
            del self._numbers[stale]
        self._numbers.update({_join(path, sub): text for sub, text in numbers.items() if sub})
        return value

    def _apply_one(self, var: str, segs: list[str], raw: str) -> None:
        node: Any = self.data
        path = ""
        for i, seg in enumerate(segs):
            last = i == len(segs) - 1
            if isinstance(node, dict):
                key = seg if seg in node else next((k for k in node if k.lower() == seg), seg)
                if last:
                    node[key] = self._set_env(_join(path, key), var, raw)
                    return
                if node.get(key) is None:
                    nxt = segs[i + 1]
                    if nxt.isdigit():
                        raise ConfigError(
                            f"index {nxt} is past the end of {_join(path, key)} (0 entries)",
                            file=f"env {var}",
                            key=_join(path, key),
                        )
                    node[key] = {}
                node, path = node[key], _join(path, key)
            elif isinstance(node, list):
                if not seg.isdigit():
                    raise ConfigError(f"{seg!r} is not a list index", file=f"env {var}", key=path)
                if int(seg) >= len(node):
                    raise ConfigError(
                        f"index {seg} is past the end of {path} ({len(node)} entries)",
                        file=f"env {var}",
                        key=path,
                    )
                if last:
                    node[int(seg)] = self._set_env(_join(path, seg), var, raw)
                    return
                node, path = node[int(seg)], _join(path, seg)
            else:
                raise ConfigError(
                    f"cannot override inside {path}: it is {_describe(node)}, not a mapping or list",
                    file=f"env {var}",
                    key=path,
                )


def _to_int(v: Any, raw: str | None, what: str = "an integer") -> int:
    if isinstance(v, bool):
        raise ValueError(f"expected {what}, got {_describe(v)}")
    if isinstance(v, int):
        return v
    if isinstance(v, float) and not (math.isnan(v) or math.isinf(v)) and v == int(v):
        return int(v)
    raise ValueError(f"expected {what}, got {_describe(v)}")


# ---------------------------------------------------------------- discovery + loading


def _expand(path: str | os.PathLike[str], env: Mapping[str, str]) -> Path:
    text = os.fspath(path)
    if text == "~" or text.startswith("~/"):
        home = env.get("HOME") or str(Path.home())
        text = home + text[1:]
    return Path(os.path.expanduser(text))


def megam_home(env: Mapping[str, str] = os.environ) -> Path:
    """Where the app keeps data: $MEGAM_HOME, else $XDG_DATA_HOME/megam, else ~/.local/share/megam."""
    if env.get("MEGAM_HOME"):
        return _expand(env["MEGAM_HOME"], env)
    xdg = env.get("XDG_DATA_HOME")
    if xdg and os.path.isabs(xdg):
        return Path(xdg) / "megam"
    return _expand("~/.local/share/megam", env)


def find_config_path(cli_path: str | os.PathLike[str] | None = None, env: Mapping[str, str] = os.environ) -> Path | None:
    """--config PATH > $MEGAM_CONFIG > $MEGAM_HOME/megam.yaml > $XDG_CONFIG_HOME/megam/megam.yaml.

    An explicit path (argument or MEGAM_CONFIG) that does not exist is an error;
    no file at the implicit places means "no config" (None).
    """
    for given, how in ((cli_path, "--config"), (env.get("MEGAM_CONFIG") or None, "MEGAM_CONFIG")):
        if given is None or os.fspath(given) == "":
            continue
        path = _expand(given, env)
        if not path.is_file():
            what = "is not a file" if path.exists() else "does not exist"
            raise ConfigError(f"config file {path} (from {how}) {what}")
        return path
    candidates = [megam_home(env) / CONFIG_NAME]
    xdg = env.get("XDG_CONFIG_HOME")
    base = Path(xdg) if xdg and os.path.isabs(xdg) else _expand("~/.config", env)
    candidates.append(base / "megam" / CONFIG_NAME)
    for path in candidates:
        if path.is_file():
            return path
    return None


def _secret_paths(data: dict[str, Any]) -> list[str]:
    ssh = data.get("ssh")
    if not isinstance(ssh, dict):
        return []
    found = [f"ssh:{k}" for k in ("password", "passphrase") if ssh.get(k) not in (None, "")]
    hosts = ssh.get("hosts")
    if isinstance(hosts, list):
        for i, host in enumerate(hosts):
            if isinstance(host, dict):
                found += [f"ssh:hosts:{i}:{k}" for k in ("password", "passphrase") if host.get(k) not in (None, "")]
    return found


def _read_file(path: Path) -> tuple[Config, ConfigError | None]:
    """Parse `path` -> (Config without env overrides, secret-permission error or None)."""
    origin = str(path)
    try:
        with open(path, "rb") as fh:
            st = os.fstat(fh.fileno())
            if st.st_size > MAX_FILE_BYTES:
                raise ConfigError(f"file is larger than {MAX_FILE_BYTES} bytes: refused", file=origin)
            blob = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror or exc}", file=origin) from None
    if len(blob) > MAX_FILE_BYTES:
        raise ConfigError(f"file is larger than {MAX_FILE_BYTES} bytes: refused", file=origin)
    try:
        text = blob.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", file=origin) from None
    data, builder = parse_yaml(text, origin)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"the document must be a mapping of keys, got {_describe(data)}", file=origin, line=1)
    cfg = Config(
        data, path, lines=builder.lines, key_lines=builder.key_lines, numbers=builder.numbers, problems=builder.problems
    )
    secret_error = None
    secrets = _secret_paths(data)
    mode = stat.S_IMODE(st.st_mode)
    if secrets and mode & 0o077:
        secret_error = cfg.error(
            secrets[0],
            f"{origin} holds secrets (ssh password/passphrase) but is readable by group/others "
            f"(mode {mode:04o}): chmod 600 {origin}",
            key_line=True,
        )
    return cfg, secret_error


def _load(path: str | os.PathLike[str] | None, env: Mapping[str, str]) -> tuple[Config, ConfigError | None]:
    found = find_config_path(path, env)
    cfg, secret_error = _read_file(found) if found else (Config(), None)
    cfg.apply_env(env)
    from megam_tui import config_schema

    cfg.problems.extend(config_schema.unknown_keys(cfg))
    return cfg, secret_error


def load_config(path: str | os.PathLike[str] | None = None, env: Mapping[str, str] = os.environ) -> Config:
    """Find, parse and env-override the config. Unknown keys end up in `.problems` (warnings)."""
    cfg, secret_error = _load(path, env)
    if secret_error is not None:
        raise secret_error
    return cfg


def build_settings(config: Config, *, read_only: bool | None = None, env: Mapping[str, str] = os.environ) -> Any:
    """Config -> settings.Settings (defaults, auto-detection, validation); raises ConfigError."""
    from megam_tui import config_schema

    return config_schema.build_settings(config, read_only=read_only, env=env)


def check_config(path: str | os.PathLike[str] | None = None, env: Mapping[str, str] = os.environ) -> list[ConfigError]:
    """Every problem that can be found (never raises for a bad file): [] means OK."""
    from megam_tui import config_schema

    try:
        cfg, secret_error = _load(path, env)
    except ConfigError as exc:
        return [exc]
    errors = [secret_error] if secret_error else []
    errors += cfg.problems
    errors += config_schema.collect_errors(cfg, env=env)
    unique: list[ConfigError] = []
    for err in errors:
        if err not in unique:
            unique.append(err)
    return unique


def load_settings(
    path: str | os.PathLike[str] | None = None,
    *,
    read_only: bool | None = None,
    env: Mapping[str, str] = os.environ,
) -> tuple[Any, list[ConfigError]]:
    """load_config + build_settings -> (Settings, warnings such as unknown keys)."""
    cfg = load_config(path, env)
    return build_settings(cfg, read_only=read_only, env=env), list(cfg.problems)
