"""The config schema (every known key, its type, default and meaning) and
`build_settings`: Config -> settings.Settings with defaults, auto-detection
and validation.

The SCHEMA below is the single source of truth: unknown-key warnings, the
type check of every key (`collect_errors`) and docs/config.md come from it.
"""

from __future__ import annotations

import difflib
import os
import shutil
import stat
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Union

from megam_tui.config import Config, ConfigError, _describe, _expand, megam_home
from megam_tui.settings import ClusterSpec, EngineSpec, HostSpec, HypervisorSpec, Settings


@dataclass(frozen=True)
class Field:
    kind: str  # string | path | int | uint | port | float | bool | duration | list | choice
    default: Any = None
    doc: str = ""
    choices: tuple[str, ...] = ()
    positive: bool = False  # durations / counts that must be > 0
    shown_default: str | None = None  # how docs show the default when it is derived


@dataclass(frozen=True)
class Section:
    fields: dict[str, Node]
    doc: str = ""


@dataclass(frozen=True)
class ListOf:
    item: Section
    doc: str = ""
    shown_default: str = "[]"


@dataclass(frozen=True)
class FreeMap:
    doc: str = ""
    shown_default: str = "{}"


Node = Union[Field, Section, ListOf, FreeMap]

DEFAULT_CONFIRM = ("kill", "remove", "destroy", "force_off")
CEPH_TRANSPORTS = ("auto", "rados", "cli", "ssh")
DOCKER_SCHEMES = ("unix://", "tcp://", "ssh://", "http://", "https://")
DOCKER_SOCKET = "/var/run/docker.sock"
CEPH_CONF = "/etc/ceph/ceph.conf"

ENGINE = Section(
    {
        "name": Field("string", None, "Engine name shown in the UI (unique).", shown_default="required"),
        "url": Field("string", "unix:///var/run/docker.sock", "unix://, tcp://, http(s):// or ssh:// URL."),
        "timeout": Field("duration", 5.0, "Deadline of each request.", positive=True),
        "tls_verify": Field("bool", False, "Verify the daemon's TLS certificate (tcp://)."),
        "cert_path": Field("path", None, "Directory with ca.pem, cert.pem, key.pem (like DOCKER_CERT_PATH)."),
        "cgroup_root": Field("path", None, "cgroup root for local container stats (default /sys/fs/cgroup)."),
    }
)
CLUSTER = Section(
    {
        "name": Field("string", None, "Cluster name shown in the UI (unique).", shown_default="required"),
        "conf": Field("path", CEPH_CONF, "ceph.conf path (on the admin host when `host` is set)."),
        "host": Field("string", None, "Name of an ssh:hosts entry: run the ceph CLI there (ssh transport)."),
        "transport": Field("choice", "auto", "One of auto, rados (librados), cli (local ceph CLI), ssh (CLI on `host`).", CEPH_TRANSPORTS),
        "keyring": Field("path", None, "Keyring file (default: ceph's own search)."),
        "client": Field("string", None, "Ceph client name, e.g. client.admin."),
        "timeout": Field("duration", 5.0, "Deadline of each call.", positive=True),
    }
)
HYPERVISOR = Section(
    {
        "name": Field("string", None, "Hypervisor name shown in the UI (unique).", shown_default="required"),
        "uri": Field("string", "qemu:///system", "libvirt connection URI given to virsh."),
        "host": Field("string", None, "Name of an ssh:hosts entry: run virsh there."),
        "timeout": Field("duration", 5.0, "Deadline of each virsh call.", positive=True),
    }
)
HOST = Section(
    {
        "name": Field("string", None, "Host name shown in the UI (unique).", shown_default="= address"),
        "address": Field("string", None, "Host name or IP to connect to.", shown_default="= name"),
        "port": Field("port", 22, "SSH port (1..65535)."),
        "user": Field("string", None, "Login user (null: left to ~/.ssh/config / the SSH layer)."),
        "identity_file": Field("path", None, "Private key file."),
        "password": Field("string", None, "Password (secret: the file must be chmod 600).", shown_default="= ssh:password"),
        "passphrase": Field("string", None, "Key passphrase (secret: chmod 600).", shown_default="= ssh:passphrase"),
        "proxy_jump": Field("string", None, "Jump host ([user@]host[:port]) like ssh -J."),
        "known_hosts": Field("path", None, "Extra known_hosts file for this host."),
        "trust_on_first_use": Field("bool", False, "May ADD an unknown host key (never replaces a changed one)."),
        "timeout": Field("duration", None, "Connect + auth deadline.", positive=True, shown_default="= ssh:timeout"),
        "command_timeout": Field(
            "duration", None, "Deadline of each command.", positive=True, shown_default="= ssh:command_timeout"
        ),
    }
)

SCHEMA = Section(
    {
        "refresh": Field("duration", 2.0, "Poll interval (stats, Ceph status, host metrics).", positive=True),
        "read_only": Field("bool", False, "Refuse every mutating action (the --read-only flag wins)."),
        "confirm": Field("list", list(DEFAULT_CONFIRM), "Actions that ask for confirmation before running."),
        "theme": Field("string", None, "A Textual built-in theme (e.g. textual-dark); null = Textual's default."),
        "bell": Field("bool", True, "Ring the terminal bell on Ceph health changes etc."),
        "keys": FreeMap("Key bindings: binding id -> key(s), e.g. `containers.stop: s`; a list of keys is joined with commas."),
        "logs": Section(
            {
                "tail": Field("uint", 200, "Log lines fetched when a log view opens."),
                "max_lines": Field("uint", 10_000, "Log lines kept per view (>= 1).", positive=True),
            }
        ),
        "events": Section(
            {"max": Field("uint", 2000, "Events kept in the timeline (>= 1); the oldest go first.", positive=True)}
        ),
        "store": Section(
            {
                "enabled": Field("bool", True, "Keep events, jobs and per-minute figures in $MEGAM_HOME/history.sqlite3."),
                "max_age": Field("duration", 7 * 86400.0, "Records older than this are deleted.", positive=True, shown_default="168h"),
                "max_mb": Field("uint", 256, "Size bound of the store in MiB (>= 1); the oldest records go first.", positive=True),
                "load": Field("duration", 8 * 3600.0, "History the Events pane shows at start.", positive=True, shown_default="8h"),
            }
        ),
        "docker": Section(
            {
                "engines": ListOf(
                    ENGINE, "Docker engines.", "$DOCKER_HOST, else the local socket if it exists (name local)"
                )
            }
        ),
        "ceph": Section(
            {"clusters": ListOf(CLUSTER, "Ceph clusters.", "/etc/ceph/ceph.conf if present (name ceph)")}
        ),
        "libvirt": Section(
            {
                "hypervisors": ListOf(
                    HYPERVISOR, "libvirt hypervisors.", "qemu:///system if virsh is installed (name local)"
                )
            }
        ),
        "ssh": Section(
            {
                "known_hosts": Field("path", "~/.ssh/known_hosts", "known_hosts file checked for every host."),
                "config": Field("path", "~/.ssh/config", "OpenSSH client config file for the SSH layer."),
                "include_local": Field("bool", True, "Show the local machine (psutil) as the first host."),
                "timeout": Field("duration", 5.0, "Default connect deadline of each host.", positive=True),
                "command_timeout": Field("duration", 10.0, "Default deadline of each command.", positive=True),
                "password": Field("string", None, "Default password of every host (secret: chmod 600)."),
                "passphrase": Field("string", None, "Default key passphrase (secret: chmod 600)."),
                "hosts": ListOf(HOST, "SSH hosts."),
            }
        ),
    }
)


def _join(path: str, seg: str) -> str:
    return f"{path}:{seg}" if path else seg


# ---------------------------------------------------------------- unknown keys


def unknown_keys(cfg: Config) -> list[ConfigError]:
    """Keys the schema does not know, top-level and inside known sections."""
    out: list[ConfigError] = []
    _walk_unknown(cfg, cfg.data, SCHEMA, "", out)
    return out


def _walk_unknown(cfg: Config, node: Any, schema: Section, path: str, out: list[ConfigError]) -> None:
    if not isinstance(node, dict):
        return  # a type error, reported by collect_errors
    for key, value in node.items():
        sub = _join(path, key)
        spec = schema.fields.get(key)
        if spec is None:
            close = difflib.get_close_matches(key, list(schema.fields), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            where = f" in {path}" if path else ""
            out.append(cfg.error(sub, f"unknown key{where}{hint}", key_line=True))
        elif isinstance(spec, Section):
            _walk_unknown(cfg, value, spec, sub, out)
        elif isinstance(spec, ListOf) and isinstance(value, list):
            for i, item in enumerate(value):
                _walk_unknown(cfg, item, spec.item, _join(sub, str(i)), out)


# ---------------------------------------------------------------- building


def _is_socket(path: str) -> bool:
    try:
        return stat.S_ISSOCK(os.stat(path).st_mode)
    except OSError:
        return False


# Auto-detection probes (tests replace them).
_probe_socket = _is_socket
_probe_file = os.path.isfile
_probe_which = shutil.which


class _Builder:
    """Reads every key through the typed getters, collecting errors instead of stopping."""

    def __init__(self, cfg: Config, env: Mapping[str, str]) -> None:
        self.cfg = cfg
        self.env = env
        self.errors: list[ConfigError] = []

    def fail(self, path: str, message: str) -> None:
        self.errors.append(self.cfg.error(path, message))

    def field(self, path: str, spec: Field, default: Any = None) -> Any:
        default = spec.default if default is None else default
        cfg = self.cfg
        try:
            if spec.kind in ("string", "choice", "path"):
                value = cfg.get_string(path, default)
                if spec.kind == "choice" and value not in spec.choices:
                    raise cfg.error(path, f"expected one of {', '.join(spec.choices)}, got {value!r}")
                if spec.kind == "path" and value is not None:
                    value = str(_expand(value, self.env))
            elif spec.kind in ("int", "uint", "port"):
                value = (cfg.get_uint if spec.kind == "uint" else cfg.get_int)(path, default)
                if spec.kind == "port" and not 1 <= value <= 65535:
                    raise cfg.error(path, f"expected a port number 1..65535, got {value}")
                if spec.positive and value < 1:
                    raise cfg.error(path, f"must be at least 1, got {value}")
            elif spec.kind == "float":
                value = cfg.get_float(path, default)
            elif spec.kind == "bool":
                value = cfg.get_bool(path, default)
            elif spec.kind == "duration":
                value = cfg.get_duration(path, default)
                if spec.positive and value is not None and value <= 0:
                    raise cfg.error(path, "must be greater than 0")
            elif spec.kind == "list":
                value = cfg.get_list(path, default)
                for i, item in enumerate(value):
                    if not isinstance(item, str):
                        raise cfg.error(_join(path, str(i)), f"expected a string, got {_describe(item)}")
            else:  # pragma: no cover - schema typo
                raise AssertionError(spec.kind)
        except ConfigError as exc:
            self.errors.append(exc)
            return default
        return value

    def section(self, path: str) -> dict[str, Any] | None:
        try:
            return self.cfg.get_mapping(path, None)
        except ConfigError as exc:
            self.errors.append(exc)
            return None

    def fields(self, path: str, schema: Section, defaults: dict[str, Any] | None = None) -> dict[str, Any]:
        defaults = defaults or {}
        return {
            key: self.field(_join(path, key), spec, defaults.get(key))
            for key, spec in schema.fields.items()
            if isinstance(spec, Field)
        }

    def items(self, path: str, schema: Section, defaults: dict[str, Any] | None = None) -> Iterator[tuple[str, dict[str, Any]]]:
        """(item path, field values) for each mapping in the list at `path`; unique names."""
        try:
            entries = self.cfg.get_list(path, [])
        except ConfigError as exc:
            self.errors.append(exc)
            return
        seen: dict[str, str] = {}
        for i, entry in enumerate(entries):
            item = _join(path, str(i))
            if not isinstance(entry, dict):
                self.fail(item, "expected a mapping like {name: ..., ...}")
                continue
            values = self.fields(item, schema, defaults)
            if "address" in schema.fields:  # ssh hosts: name and address default to each other
                values["name"] = values["name"] or values["address"]
                values["address"] = values["address"] or values["name"]
            if not values["name"]:
                self.fail(item, "missing required key: name" + (" (or address)" if "address" in schema.fields else ""))
                continue
            if values["name"] in seen:
                first = self.cfg.origin(seen[values["name"]])[1]
                self.fail(_join(item, "name"), f"duplicate name {values['name']!r} (first at line {first})")
                continue
            seen[values["name"]] = _join(item, "name")
            yield item, values

    def check_host_ref(self, path: str, host: str | None, hosts: set[str]) -> bool:
        if host is None or host in hosts:
            return True
        known = ", ".join(sorted(hosts)) or "none defined"
        self.fail(path, f"{host!r} is not the name of an ssh:hosts entry (known: {known})")
        return False

    # ------------------------------------------------------------ sections

    def build(self, read_only: bool | None) -> Settings:
        cfg, env = self.cfg, self.env
        if not isinstance(cfg.data, dict):  # pragma: no cover - load_config guarantees it
            raise ConfigError("the document must be a mapping")
        top = self.fields("", SCHEMA)
        theme = top["theme"]
        if theme is not None:
            themes = _builtin_themes()
            if themes and theme not in themes:
                self.fail("theme", f"unknown theme {theme!r} (one of: {', '.join(sorted(themes))})")
                theme = None
        logs = self.fields("logs", _section("logs")) if self.section("logs") is not None else {}
        events = self.fields("events", _section("events")) if self.section("events") is not None else {}
        store = self.fields("store", _section("store")) if self.section("store") is not None else {}
        self.section("ssh")
        ssh_values = self.fields("ssh", _section("ssh"))
        host_defaults = {k: ssh_values[k] for k in ("timeout", "command_timeout", "password", "passphrase")}
        hosts = tuple(HostSpec(**v) for _, v in self.items("ssh:hosts", HOST, host_defaults))
        names = {h.name for h in hosts}
        docker, docker_configured = self.docker()
        return Settings(
            refresh=top["refresh"],
            read_only=top["read_only"] if read_only is None else bool(read_only),
            confirm=tuple(top["confirm"]),
            theme=theme,
            bell=top["bell"],
            keys=self.keys(),
            home=megam_home(env),
            config_path=cfg.path,
            docker_engines=docker,
            docker_configured=docker_configured,
            logs_tail=logs.get("tail", 200),
            logs_max_lines=logs.get("max_lines", 10_000),
            events_max=events.get("max", 2000),
            store_enabled=store.get("enabled", True),
            store_max_age=store.get("max_age", 7 * 86400.0),
            store_max_mb=store.get("max_mb", 256),
            store_load=store.get("load", 8 * 3600.0),
            ceph_clusters=self.ceph(names),
            libvirt_hypervisors=self.libvirt(names),
            ssh_hosts=hosts,
            ssh_known_hosts=ssh_values["known_hosts"],
            ssh_config=ssh_values["config"],
            ssh_include_local=ssh_values["include_local"],
        )

    def keys(self) -> dict[str, str]:
        keys = self.section("keys") or {}
        out: dict[str, str] = {}
        for binding, value in keys.items():
            if value is None:
                continue
            parts = value if isinstance(value, list) else [value]
            if parts and all(isinstance(p, str) and p for p in parts):
                out[binding] = ",".join(parts)
            else:
                what = "a key like 's' or 'ctrl+s', or a list of them"
                self.fail(_join("keys", binding), f"expected {what}, got {_describe(value)}")
        return out

    def docker(self) -> tuple[tuple[EngineSpec, ...], bool]:
        section = self.section("docker")
        if self.cfg.has("docker:engines"):
            engines = tuple(EngineSpec(**v) for path, v in self.items("docker:engines", ENGINE) if self.docker_url(path, v))
            return engines, True
        host = self.env.get("DOCKER_HOST")
        if host:
            spec = EngineSpec(
                name="local",
                url=host,
                tls_verify=self.env.get("DOCKER_TLS_VERIFY", "") not in ("", "0"),
                cert_path=self.env.get("DOCKER_CERT_PATH") or None,
            )
            return (spec,), True
        if _probe_socket(DOCKER_SOCKET):
            return (EngineSpec(name="local", url="unix://" + DOCKER_SOCKET),), True
        return (), section is not None

    def docker_url(self, path: str, values: dict[str, Any]) -> bool:
        if values["url"].startswith(DOCKER_SCHEMES):
            return True
        self.fail(_join(path, "url"), f"expected a URL starting with {', '.join(DOCKER_SCHEMES)}, got {values['url']!r}")
        return False

    def ceph(self, hosts: set[str]) -> tuple[ClusterSpec, ...]:
        self.section("ceph")
        if self.cfg.has("ceph:clusters"):
            out = []
            for path, v in self.items("ceph:clusters", CLUSTER):
                if not self.check_host_ref(_join(path, "host"), v["host"], hosts):
                    continue
                if v["host"] and v["transport"] == "auto":
                    v["transport"] = "ssh"
                elif v["host"] and v["transport"] != "ssh":
                    self.fail(_join(path, "transport"), f"transport {v['transport']} cannot be used with host")
                    continue
                elif not v["host"] and v["transport"] == "ssh":
                    self.fail(_join(path, "transport"), "transport ssh needs host: <ssh:hosts name>")
                    continue
                out.append(ClusterSpec(**v))
            return tuple(out)
        if _probe_file(CEPH_CONF):
            return (ClusterSpec(name="ceph", conf=CEPH_CONF),)
        return ()

    def libvirt(self, hosts: set[str]) -> tuple[HypervisorSpec, ...]:
        self.section("libvirt")
        if self.cfg.has("libvirt:hypervisors"):
            return tuple(
                HypervisorSpec(**v)
                for path, v in self.items("libvirt:hypervisors", HYPERVISOR)
                if self.check_host_ref(_join(path, "host"), v["host"], hosts)
            )
        if _probe_which("virsh"):
            return (HypervisorSpec(name="local", uri="qemu:///system"),)
        return ()


def _section(name: str) -> Section:
    spec = SCHEMA.fields[name]
    assert isinstance(spec, Section)
    return spec


def _builtin_themes() -> set[str]:
    try:
        from textual.theme import BUILTIN_THEMES
    except Exception:  # noqa: BLE001 - validation is best effort without Textual
        return set()
    return set(BUILTIN_THEMES)


def _sort_key(err: ConfigError) -> tuple[int, str, int]:
    return (0 if err.line is not None else 1, err.file or "", err.line or 0)


def collect_errors(cfg: Config, *, env: Mapping[str, str] = os.environ) -> list[ConfigError]:
    """Every type / validation error of the known keys (file order)."""
    builder = _Builder(cfg, env)
    builder.build(None)
    return sorted(builder.errors, key=_sort_key)


def build_settings(cfg: Config, *, read_only: bool | None = None, env: Mapping[str, str] = os.environ) -> Settings:
    """Config -> Settings; raises the first (in file order) ConfigError."""
    builder = _Builder(cfg, env)
    settings = builder.build(read_only)
    if builder.errors:
        raise sorted(builder.errors, key=_sort_key)[0]
    return settings


# ---------------------------------------------------------------- docs


def reference_table() -> str:
    """The markdown key table of docs/config.md."""
    rows = ["| key | type | default | meaning |", "|---|---|---|---|"]
    rows += [f"| `{key}` | {kind} | `{default}` | {doc} |" for key, kind, default, doc in reference()]
    return "\n".join(rows) + "\n"


def reference(schema: Section = SCHEMA, prefix: str = "") -> Iterator[tuple[str, str, str, str]]:
    """(key, type, default, meaning) rows for docs/config.md."""
    for key, spec in schema.fields.items():
        path = _join(prefix, key)
        if isinstance(spec, Field):
            kind = spec.kind
            if spec.shown_default is not None:
                default = spec.shown_default
            elif spec.default is None:
                default = "null"
            elif isinstance(spec.default, bool):
                default = str(spec.default).lower()
            elif spec.kind == "duration":
                default = f"{spec.default:g}s"
            elif isinstance(spec.default, list):
                default = "[" + ", ".join(spec.default) + "]"
            else:
                default = str(spec.default)
            yield path, kind, default, spec.doc
        elif isinstance(spec, Section):
            yield from reference(spec, path)
        elif isinstance(spec, ListOf):
            yield path, "list of mappings", spec.shown_default, spec.doc
            yield from reference(spec.item, _join(path, "N"))
        else:
            yield path, "mapping", spec.shown_default, spec.doc
