"""Read-only mode is enforced in the backend layer: every @mutating method refuses."""

import pytest

from megam_tui.backends.base import ReadOnlyError, mutating_methods
from megam_tui.layers import build_layers
from megam_tui.settings import ClusterSpec, EngineSpec, HostSpec, HypervisorSpec, Settings

# the actions each layer must offer (the issues' one-key actions); all must be guarded
EXPECTED = {
    "docker": {"do_start", "do_stop", "do_restart", "do_pause", "do_unpause", "do_kill", "do_remove", "do_run", "do_pull",
               "do_image_remove", "do_image_prune", "do_service_scale", "do_exec"},
    "libvirt": {"start_domain", "shutdown_domain", "reboot_domain", "destroy_domain", "suspend_domain", "resume_domain"},
    "ceph": {"set_flag", "mark_osd", "mute", "unmute"},
    "ssh": {"_run_command"},
}


def layers(read_only: bool):
    settings = Settings(
        read_only=read_only,
        docker_engines=(EngineSpec("nowhere", url="unix:///nonexistent/docker.sock", timeout=0.5),),
        ceph_clusters=(ClusterSpec("nowhere", conf="/nonexistent/ceph.conf", transport="cli", timeout=0.5),),
        libvirt_hypervisors=(HypervisorSpec("nowhere", uri="qemu+tcp://127.0.0.1:1/system", timeout=0.5),),
        ssh_hosts=(HostSpec("nowhere", "127.0.0.1", port=1, timeout=0.5),),
    )
    return build_layers(settings)


@pytest.mark.parametrize("layer_name", ["docker", "libvirt", "ceph", "ssh"])
def test_every_mutating_method_refused_in_read_only(layer_name):
    layer = layers(read_only=True)[layer_name]
    assert layer.read_only is True
    objs = [layer] + [getattr(layer, a) for a in ("actions", "ops") if hasattr(layer, a)]
    names = {n for o in objs for n in mutating_methods(o)}
    assert EXPECTED[layer_name] <= names, f"{layer_name} lacks guarded {EXPECTED[layer_name] - names}"
    assert names, f"{layer_name} has no @mutating methods"
    for obj in objs:
        for name in mutating_methods(obj):
            with pytest.raises(ReadOnlyError):
                getattr(obj, name)("nowhere/x", {}, None)


@pytest.mark.parametrize(
    "layer_name,action",
    [("docker", "stop"), ("docker", "kill"), ("docker", "remove"), ("libvirt", "destroy"), ("libvirt", "start"),
     ("ceph", "set_flag"), ("ssh", "run")],
)
def test_run_action_refused_in_read_only(layer_name, action):
    from megam_tui.jobs import AuditLog, JobManager

    layer = layers(read_only=True)[layer_name]
    jm = JobManager(AuditLog(None))
    job = jm.submit(layer_name, action, "nowhere/x", lambda j: layer.run_action(action, "nowhere/x", {"flag": "noout", "command": "true"}, j))
    assert jm.wait(job, 10)
    assert job.state == "failed" and "read-only" in (job.error or ""), job.error
    jm.shutdown()
