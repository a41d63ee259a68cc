"""The CLI as a user runs it: subprocesses, exit codes, no tracebacks."""

import json
import os
import subprocess
import sys
import time

import pytest


def megam(*args, env=None, timeout=60):
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "megam_tui", *args], capture_output=True, text=True, timeout=timeout, env=full_env)


def test_config_check_names_the_line_of_a_type_error(tmp_path):
    cfg = tmp_path / "megam.yaml"
    cfg.write_text("refresh: 2s\nread_only: false\ndocker:\n  engines:\n    - name: local\n      url: unix:///x.sock\n      timeout: soon\n")
    res = megam("config", "check", str(cfg))
    assert res.returncode == 2, res
    assert f"{cfg}:7:" in res.stdout
    assert "timeout" in res.stdout
    assert "Traceback" not in res.stdout + res.stderr


def test_config_check_clean_file_exits_0(tmp_path):
    cfg = tmp_path / "megam.yaml"
    cfg.write_text("refresh: 5s\nconfirm: [kill]\n")
    res = megam("config", "check", str(cfg))
    assert res.returncode == 0, res.stdout + res.stderr
    assert "OK" in res.stdout


def test_config_check_reports_unknown_key_with_line(tmp_path):
    cfg = tmp_path / "megam.yaml"
    cfg.write_text("refresh: 2s\nrefersh: 3s\n")
    res = megam("config", "check", str(cfg))
    assert res.returncode == 2
    assert f"{cfg}:2:" in res.stdout and "refersh" in res.stdout


def test_missing_explicit_config_is_a_clear_error(tmp_path):
    res = megam("--config", str(tmp_path / "nope.yaml"), "status")
    assert res.returncode == 2
    assert "nope.yaml" in res.stderr and "Traceback" not in res.stderr


def test_status_json_shape_with_nothing_configured(tmp_path):
    cfg = tmp_path / "megam.yaml"
    cfg.write_text(
        "docker: {engines: []}\nceph: {clusters: []}\nlibvirt: {hypervisors: []}\nssh: {include_local: false, hosts: []}\n"
    )
    res = megam("status", "--json", "--config", str(cfg))
    data = json.loads(res.stdout)
    assert set(data) == {"docker", "ceph", "libvirt", "ssh"}
    for section in data.values():
        assert section["configured"] is False and section["ok"] is False and section["error"] == "not configured"
    assert res.returncode == 0  # nothing configured failed


def test_status_engine_down_exits_1_with_reason(tmp_path):
    cfg = tmp_path / "megam.yaml"
    cfg.write_text(
        f"docker:\n  engines:\n    - {{name: gone, url: 'unix://{tmp_path}/no.sock', timeout: 1s}}\n"
        "ceph: {clusters: []}\nlibvirt: {hypervisors: []}\nssh: {include_local: false, hosts: []}\n"
    )
    t0 = time.monotonic()
    res = megam("status", "--json", "--config", str(cfg))
    assert time.monotonic() - t0 < 20
    assert res.returncode == 1
    data = json.loads(res.stdout)
    assert data["docker"]["ok"] is False and data["docker"]["error"]
    assert "Traceback" not in res.stderr


def test_serve_refuses_non_loopback_without_flag():
    res = megam("serve", "--host", "0.0.0.0")
    assert res.returncode == 2 and "--allow-remote" in res.stderr


def test_version_prints_the_installed_version():
    from importlib.metadata import version

    res = megam("--version")
    assert res.returncode == 0
    assert res.stdout.strip() == f"megam-tui {version('megam-tui')}"


def test_every_registered_command_module_registers_a_runnable_command():
    import argparse

    from megam_tui import cli

    for name in cli.COMMAND_MODULES:
        parser = argparse.ArgumentParser()
        sub = parser.add_subparsers(dest="command")
        __import__(name, fromlist=["register"]).register(sub)
        assert sub.choices, name
        for command, subparser in sub.choices.items():
            assert callable(subparser.get_default("run")), (name, command)
