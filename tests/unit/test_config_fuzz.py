"""Fuzzing: whatever the file or the environment holds, config raises nothing but ConfigError."""

from __future__ import annotations

import os
import string

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from megam_tui import config_schema
from megam_tui.config import ConfigError, build_settings, check_config, load_config, parse_yaml

# CONFIG_FUZZ_EXAMPLES=5000 for a longer run
FUZZ = settings(max_examples=int(os.environ.get("CONFIG_FUZZ_EXAMPLES", "300")), deadline=None, suppress_health_check=[HealthCheck.too_slow])

YAML_TOKENS = [
    "refresh", "read_only", "confirm", "theme", "keys", "logs", "tail", "docker", "engines", "ceph",
    "clusters", "libvirt", "hypervisors", "ssh", "hosts", "name", "host", "port", "password", "timeout",
    "url", "transport", "address", ":", ": ", "\n", "\n  ", "\n    ", "- ", "-", "[", "]", "{", "}", ",",
    "&a", "*a", "&b ", "*b", "<<: ", "!!int ", "!!str ", "!!binary ", "!!python/name:os.system ", "!tag ",
    "? ", "|", ">", "'", '"', "#", "---", "...", "%YAML 1.1\n", "~", "null", "yes", "no", "2s", "-1s",
    "1e400", ".nan", "0x1F", "0o17", "1_000", "2024-13-45", "2024-01-01", "12:30:00", "\t", " ", "\\",
    "\x00", "\ufeff", "é", "µs",
]

yamlish = st.lists(st.sampled_from(YAML_TOKENS) | st.text(max_size=4), max_size=60).map("".join)

KEY_NAMES = [key.split(":")[-1] for key, *_ in config_schema.reference()] + ["N", "0", "1", "x"]
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=10),
    st.sampled_from(["2s", "500ms", "-1s", "tcp://h:1", "unix:///s", "auto", "ssh", "a", "b", "~/x", "nord"]),
)
documents = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.sampled_from(KEY_NAMES) | st.text(max_size=5), children, max_size=5),
    max_leaves=25,
)
top_level = st.dictionaries(st.sampled_from(KEY_NAMES), documents, max_size=6)


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


def exercise(path, env):
    errors = check_config(path, env=env)  # never raises
    assert all(isinstance(e, ConfigError) for e in errors)
    try:
        cfg = load_config(path, env=env)
        build_settings(cfg, env=env)
    except ConfigError as exc:
        assert str(exc)  # renders
        # whatever stops loading or building is also reported by check_config
        assert exc in errors


def write(fuzz_dir, data: bytes):
    path = fuzz_dir / "megam.yaml"
    path.write_bytes(data)
    path.chmod(0o600)
    return path


@FUZZ
@given(text=st.text(max_size=300))
def test_arbitrary_text(fuzz_dir, text):
    exercise(write(fuzz_dir, text.encode("utf-8", "surrogatepass")), {"MEGAM_HOME": str(fuzz_dir)})


@FUZZ
@given(text=yamlish)
def test_yaml_ish_text(fuzz_dir, text):
    try:
        parse_yaml(text, "fuzz")
    except ConfigError:
        pass
    exercise(write(fuzz_dir, text.encode("utf-8", "surrogatepass")), {"MEGAM_HOME": str(fuzz_dir)})


@FUZZ
@given(doc=top_level)
def test_structured_documents(fuzz_dir, doc):
    text = yaml.safe_dump(doc, allow_unicode=True)
    exercise(write(fuzz_dir, text.encode("utf-8", "surrogatepass")), {"MEGAM_HOME": str(fuzz_dir)})


segment = st.sampled_from([k.upper() for k in KEY_NAMES] + ["", "0", "1", "99", "x"])
env_names = st.lists(segment, min_size=1, max_size=4).map(lambda segs: "MEGAM_" + "__".join(segs))
env_values = st.sampled_from(["", "5s", "true", "[kill]", "{a: 1}", "[{name: a}]", "-1", "x: y", "&a [*a]", "["]) | st.text(
    alphabet=string.printable, max_size=12
)


@FUZZ
@given(doc=top_level, env=st.dictionaries(env_names, env_values, max_size=4))
def test_env_overrides(fuzz_dir, doc, env):
    path = write(fuzz_dir, yaml.safe_dump(doc, allow_unicode=True).encode("utf-8", "surrogatepass"))
    exercise(path, {**env, "MEGAM_HOME": str(fuzz_dir)})
