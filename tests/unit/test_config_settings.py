"""config.build_settings / load_settings / check_config: defaults, auto-detection, validation."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from megam_tui import config_schema
from megam_tui.config import ConfigError, build_settings, check_config, load_config, load_settings
from megam_tui.settings import ClusterSpec, EngineSpec, HostSpec, HypervisorSpec, Settings


def write(tmp_path: Path, text: str, mode: int = 0o600) -> Path:
    path = tmp_path / "megam.yaml"
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    path.chmod(mode)
    return path


@pytest.fixture
def env(tmp_path):
    return {"HOME": str(tmp_path / "home"), "MEGAM_HOME": str(tmp_path / "megam-home")}


@pytest.fixture
def probes(monkeypatch):
    """Auto-detection probes: nothing found unless a test says otherwise."""
    found = {"socket": False, "file": False, "which": None}
    monkeypatch.setattr(config_schema, "_probe_socket", lambda p: found["socket"])
    monkeypatch.setattr(config_schema, "_probe_file", lambda p: found["file"])
    monkeypatch.setattr(config_schema, "_probe_which", lambda name: found["which"])
    return found


def settings_for(tmp_path, env, text, **kw):
    return build_settings(load_config(write(tmp_path, text), env=env), env=env, **kw)


def test_empty_config_gives_defaults(env, probes):
    s = build_settings(load_config(env=env), env=env)
    assert s == Settings(home=Path(env["MEGAM_HOME"]), ssh_known_hosts=env["HOME"] + "/.ssh/known_hosts",
                         ssh_config=env["HOME"] + "/.ssh/config")
    assert s.docker_engines == () and s.docker_configured is False
    assert s.ceph_clusters == () and s.libvirt_hypervisors == () and s.ssh_hosts == ()
    assert s.refresh == 2.0 and s.confirm == ("kill", "remove", "destroy", "force_off") and s.bell is True


def test_auto_detection(env, probes):
    probes.update(socket=True, file=True, which="/usr/bin/virsh")
    s = build_settings(load_config(env=env), env=env)
    assert s.docker_engines == (EngineSpec(name="local", url="unix:///var/run/docker.sock"),)
    assert s.docker_configured is True
    assert s.ceph_clusters == (ClusterSpec(name="ceph", conf="/etc/ceph/ceph.conf"),)
    assert s.libvirt_hypervisors == (HypervisorSpec(name="local", uri="qemu:///system"),)


def test_docker_host_env_wins_over_socket(env, probes):
    probes.update(socket=True)
    env = {**env, "DOCKER_HOST": "tcp://10.1.1.1:2376", "DOCKER_TLS_VERIFY": "1", "DOCKER_CERT_PATH": "/certs"}
    (engine,) = build_settings(load_config(env=env), env=env).docker_engines
    assert engine == EngineSpec(name="local", url="tcp://10.1.1.1:2376", tls_verify=True, cert_path="/certs")


def test_explicit_sections_disable_auto_detection(tmp_path, env, probes):
    probes.update(socket=True, file=True, which="/usr/bin/virsh")
    s = settings_for(tmp_path, env, "docker:\n  engines: []\nceph:\n  clusters: []\nlibvirt:\n  hypervisors: []\n")
    assert s.docker_engines == () and s.docker_configured is True
    assert s.ceph_clusters == () and s.libvirt_hypervisors == ()


def test_full_config(tmp_path, env, probes):
    s = settings_for(
        tmp_path,
        env,
        """
        refresh: 500ms
        read_only: true
        confirm: [kill]
        theme: nord
        bell: false
        keys: {containers.stop: s, vms.start: [ctrl+s, S]}
        logs: {tail: 50, max_lines: 500}
        docker:
          engines:
            - {name: local, url: unix:///var/run/docker.sock, timeout: 3s}
            - {name: remote, url: "tcp://10.0.0.9:2376", tls_verify: true, cert_path: ~/certs}
        ceph:
          clusters:
            - {name: lab, conf: /etc/ceph/lab.conf, transport: cli, keyring: ~/k, client: client.admin}
            - {name: prod, host: admin1}
        libvirt:
          hypervisors:
            - {name: kvm1, host: kvm1, uri: "qemu+ssh://x/system", timeout: 8s}
        ssh:
          known_hosts: ~/kh
          include_local: false
          timeout: 4s
          command_timeout: 30s
          hosts:
            - {name: admin1, address: 10.0.0.1, user: ops, identity_file: ~/.ssh/id_ed25519}
            - {name: kvm1, address: 10.0.0.2, port: 2222, timeout: 1s, trust_on_first_use: true, proxy_jump: admin1}
            - {address: web3}
        """,
    )
    home = env["HOME"]
    assert (s.refresh, s.read_only, s.confirm, s.theme, s.bell) == (0.5, True, ("kill",), "nord", False)
    assert s.keys == {"containers.stop": "s", "vms.start": "ctrl+s,S"}
    assert (s.logs_tail, s.logs_max_lines) == (50, 500)
    assert s.docker_engines[0] == EngineSpec(name="local", timeout=3.0)
    assert s.docker_engines[1].cert_path == f"{home}/certs" and s.docker_engines[1].tls_verify is True
    assert s.ceph_clusters == (
        ClusterSpec(name="lab", conf="/etc/ceph/lab.conf", transport="cli", keyring=f"{home}/k", client="client.admin"),
        ClusterSpec(name="prod", host="admin1", transport="ssh"),
    )
    assert s.libvirt_hypervisors == (HypervisorSpec(name="kvm1", host="kvm1", uri="qemu+ssh://x/system", timeout=8.0),)
    assert s.ssh_hosts == (
        HostSpec(name="admin1", address="10.0.0.1", user="ops", identity_file=f"{home}/.ssh/id_ed25519",
                 timeout=4.0, command_timeout=30.0),
        HostSpec(name="kvm1", address="10.0.0.2", port=2222, timeout=1.0, command_timeout=30.0,
                 trust_on_first_use=True, proxy_jump="admin1"),
        HostSpec(name="web3", address="web3", timeout=4.0, command_timeout=30.0),
    )
    assert s.ssh_known_hosts == f"{home}/kh" and s.ssh_include_local is False
    assert s.config_path == tmp_path / "megam.yaml"


def test_read_only_argument_overrides(tmp_path, env, probes):
    cfg = load_config(write(tmp_path, "read_only: true\n"), env=env)
    assert build_settings(cfg, env=env).read_only is True
    assert build_settings(cfg, read_only=False, env=env).read_only is False
    cfg = load_config(write(tmp_path, "read_only: false\n"), env=env)
    assert build_settings(cfg, read_only=True, env=env).read_only is True


def test_env_override_reaches_settings(tmp_path, env, probes):
    path = write(tmp_path, "refresh: 2s\nssh:\n  hosts:\n    - {name: a, address: 10.0.0.1}\n")
    s, problems = load_settings(path, env={**env, "MEGAM_REFRESH": "7s", "MEGAM_SSH__HOSTS__0__PORT": "2200"})
    assert s.refresh == 7.0 and s.ssh_hosts[0].port == 2200 and problems == []


def test_ssh_default_secrets_apply_to_hosts(tmp_path, env, probes):
    s = settings_for(tmp_path, env, "ssh:\n  password: pw\n  hosts:\n    - {name: a}\n    - {name: b, password: own}\n")
    assert [h.password for h in s.ssh_hosts] == ["pw", "own"]
    assert "pw" not in repr(s)


@pytest.mark.parametrize(
    "text, key, line, message",
    [
        (
            "ssh:\n  hosts:\n    - {name: a}\nceph:\n  clusters:\n    - name: prod\n      host: admin9\n",
            "ceph:clusters:0:host", 7, "'admin9' is not the name of an ssh:hosts entry (known: a)",
        ),
        (
            "libvirt:\n  hypervisors:\n    - {name: k, host: nowhere}\n",
            "libvirt:hypervisors:0:host", 3, "'nowhere' is not the name of an ssh:hosts entry (known: none defined)",
        ),
        (
            "docker:\n  engines:\n    - {name: a}\n    - {name: a}\n",
            "docker:engines:1:name", 4, "duplicate name 'a' (first at line 3)",
        ),
        ("ssh:\n  hosts:\n    - {name: a, port: 70000}\n", "ssh:hosts:0:port", 3, "expected a port number 1..65535"),
        ("ssh:\n  hosts:\n    - {name: a, port: 0}\n", "ssh:hosts:0:port", 3, "expected a port number 1..65535"),
        ("ssh:\n  hosts:\n    - {port: 22}\n", "ssh:hosts:0", 3, "missing required key: name"),
        ("docker:\n  engines:\n    - {url: tcp://x:1}\n", "docker:engines:0", 3, "missing required key: name"),
        ("docker:\n  engines:\n    - {name: a, url: ftp://x}\n", "docker:engines:0:url", 3, "expected a URL starting"),
        ("docker:\n  engines:\n    - just-a-name\n", "docker:engines:0", 3, "expected a mapping"),
        ("docker:\n  engines: local\n", "docker:engines", 2, "expected a list"),
        ("docker: yes\n", "docker", 1, "expected a mapping"),
        ("ceph:\n  clusters:\n    - {name: c, transport: carrier-pigeon}\n", "ceph:clusters:0:transport", 3,
         "expected one of auto, rados, cli, ssh"),
        ("ceph:\n  clusters:\n    - {name: c, transport: ssh}\n", "ceph:clusters:0:transport", 3, "needs host"),
        ("refresh: 0s\n", "refresh", 1, "must be greater than 0"),
        ("bell: true\nlogs:\n  tail: -1\n", "logs:tail", 3, "expected a non-negative integer"),
        ("logs:\n  max_lines: 0\n", "logs:max_lines", 2, "must be at least 1"),
        ("confirm: [kill, 3]\n", "confirm:1", 1, "expected a string, got an integer (3)"),
        ("theme: neon-pink\n", "theme", 1, "unknown theme 'neon-pink'"),
        ("keys:\n  containers.stop: {a: 1}\n", "keys:containers.stop", 2, "expected a key like"),
        ("keys:\n  containers.stop: [s, 3]\n", "keys:containers.stop", 2, "got a list"),
        ("ssh:\n  timeout: fast\n", "ssh:timeout", 2, "expected a duration"),
    ],
)
def test_validation_errors_name_key_and_line(tmp_path, env, probes, text, key, line, message):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as exc:
        build_settings(load_config(path, env=env), env=env)
    err = exc.value
    assert (err.key, err.file, err.line) == (key, str(path), line)
    assert message in err.message
    assert err in check_config(path, env=env)


def test_check_config_collects_every_problem(tmp_path, env, probes):
    path = write(
        tmp_path,
        """
        refresh: soon
        bel: true
        docker:
          engines:
            - {name: a, timeout: -1s}
        ssh:
          hosts:
            - {name: h, port: 99999, colour: red}
        ceph:
          clusters:
            - {name: c, host: nope}
        """,
    )
    got = [(e.key, e.line) for e in check_config(path, env=env)]
    assert sorted(got, key=lambda kl: (kl[1], kl[0])) == [
        ("refresh", 1),
        ("bel", 2),
        ("docker:engines:0:timeout", 5),
        ("ssh:hosts:0:colour", 8),
        ("ssh:hosts:0:port", 8),
        ("ceph:clusters:0:host", 11),
    ]
    # the app still loads it: unknown keys are only warnings on Config.problems
    assert [p.key for p in load_config(path, env=env).problems] == ["bel", "ssh:hosts:0:colour"]


def test_check_config_clean_file_and_never_raises(tmp_path, env, probes):
    assert check_config(write(tmp_path, "refresh: 3s\nssh:\n  hosts:\n    - {name: a}\n"), env=env) == []
    bad = write(tmp_path, "refresh: [\n")
    errors = check_config(bad, env=env)
    assert len(errors) == 1 and "YAML syntax error" in errors[0].message


def test_first_error_in_file_order_is_raised(tmp_path, env, probes):
    path = write(tmp_path, "ssh:\n  hosts:\n    - {name: a, port: 0}\nrefresh: never\n")
    with pytest.raises(ConfigError) as exc:
        build_settings(load_config(path, env=env), env=env)
    assert exc.value.line == 3


def test_env_error_in_settings_names_the_variable(env, probes):
    with pytest.raises(ConfigError) as exc:
        load_settings(env={**env, "MEGAM_REFRESH": "soon"})
    assert str(exc.value).startswith("env MEGAM_REFRESH: refresh: expected a duration")


def test_docs_hold_the_current_key_table():
    doc = (Path(__file__).resolve().parents[2] / "docs" / "config.md").read_text()
    missing = [line for line in config_schema.reference_table().splitlines() if line not in doc]
    assert missing == [], "regenerate the table with config_schema.reference_table()"
    keys = [key for key, *_ in config_schema.reference()]
    assert "ssh:hosts:N:port" in keys and "docker:engines:N:url" in keys and len(keys) == len(set(keys))


def test_docs_example_is_a_valid_config(tmp_path, env, probes):
    doc = (Path(__file__).resolve().parents[2] / "docs" / "config.md").read_text()
    example = doc.split("```yaml\n", 1)[1].split("```", 1)[0]
    path = write(tmp_path, example)
    assert check_config(path, env=env) == []
    s = build_settings(load_config(path, env=env), env=env)
    assert [c.transport for c in s.ceph_clusters] == ["auto", "ssh"]
