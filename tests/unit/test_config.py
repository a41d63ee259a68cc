"""megam_tui.config: loading, typed getters, env overrides, safety, discovery."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from megam_tui import config_schema
from megam_tui.config import (
    MAX_FILE_BYTES,
    Config,
    ConfigError,
    check_config,
    find_config_path,
    load_config,
    megam_home,
    parse_duration,
)


def write(tmp_path: Path, text: str, name: str = "megam.yaml", mode: int = 0o600) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    path.chmod(mode)
    return path


@pytest.fixture
def env(tmp_path):
    """A clean environment: no MEGAM_* overrides, HOME and MEGAM_HOME inside tmp."""
    return {"HOME": str(tmp_path / "home"), "MEGAM_HOME": str(tmp_path / "megam-home")}


def load(tmp_path, env, text, **kw):
    return load_config(write(tmp_path, text, **kw), env=env)


# ---------------------------------------------------------------- ConfigError


def test_config_error_str_and_attributes():
    err = ConfigError("expected a duration", key="refresh", file="/x/megam.yaml", line=3)
    assert str(err) == "/x/megam.yaml:3: refresh: expected a duration"
    assert (err.key, err.file, err.line, err.message) == ("refresh", "/x/megam.yaml", 3, "expected a duration")
    assert str(ConfigError("boom", key="refresh", file="env MEGAM_REFRESH")) == "env MEGAM_REFRESH: refresh: boom"
    assert str(ConfigError("boom", key="refresh")) == "refresh: boom"
    assert str(ConfigError("boom")) == "boom"


# ---------------------------------------------------------------- getters

DOC = """
refresh: 2s
read_only: false
count: 7
whole: 5.0
frac: 2.5
neg: -3
ratio: 0.25
name: web
numeric_name: 1234
flag: yes
confirm: [kill, remove]
nothing: null
docker:
  engines:
    - name: local
      url: unix:///var/run/docker.sock
      timeout: 500ms
"""


def test_getters_read_values(tmp_path, env):
    cfg = load(tmp_path, env, DOC)
    assert cfg.get_duration("refresh") == 2.0
    assert cfg.get_bool("read_only") is False
    assert cfg.get_bool("flag") is True
    assert cfg.get_int("count") == 7
    assert cfg.get_int("whole") == 5
    assert cfg.get_int("neg") == -3
    assert cfg.get_uint("count") == 7
    assert cfg.get_float("ratio") == 0.25
    assert cfg.get_float("count") == 7.0
    assert cfg.get_string("name") == "web"
    assert cfg.get_string("numeric_name") == "1234"
    assert cfg.get_list("confirm") == ["kill", "remove"]
    assert cfg.get_string("docker:engines:0:url") == "unix:///var/run/docker.sock"
    assert cfg.get_duration("docker:engines:0:timeout") == 0.5
    assert cfg.get_mapping("docker")["engines"][0]["name"] == "local"
    assert cfg.has("docker:engines:0:name") and not cfg.has("docker:engines:1") and not cfg.has("nothing")


def test_missing_and_null_keys_use_default_or_raise(tmp_path, env):
    cfg = load(tmp_path, env, DOC)
    assert cfg.get_int("absent", 42) == 42
    assert cfg.get_string("nothing", "dflt") == "dflt"
    assert cfg.get_string("docker:engines:3:url", None) is None
    with pytest.raises(ConfigError) as exc:
        cfg.get_duration("docker:engines:0:missing")
    assert exc.value.key == "docker:engines:0:missing"
    assert "missing required key" in exc.value.message
    # the nearest known ancestor gives the line: the engine's mapping starts on line 15
    assert exc.value.line == 15


@pytest.mark.parametrize(
    "getter, key, line, expect",
    [
        ("get_int", "name", 8, "expected an integer, got the string 'web'"),
        ("get_int", "flag", 10, "expected an integer, got a boolean (true)"),
        ("get_int", "frac", 5, "expected an integer, got a number (2.5)"),
        ("get_uint", "neg", 6, "expected a non-negative integer, got -3"),
        ("get_float", "flag", 10, "expected a number, got a boolean (true)"),
        ("get_float", "name", 8, "expected a number"),
        ("get_bool", "count", 3, "expected a boolean (true/false), got an integer (7)"),
        ("get_bool", "name", 8, "expected a boolean"),
        ("get_string", "flag", 10, "expected a string, got a boolean (true)"),
        ("get_string", "confirm", 11, "expected a string, got a list"),
        ("get_list", "name", 8, "expected a list, got the string 'web'"),
        ("get_duration", "name", 8, "expected a duration"),
        ("get_duration", "neg", 6, "must not be negative"),
        ("get_duration", "flag", 10, "expected a duration"),
        ("get_mapping", "confirm", 11, "expected a mapping, got a list"),
        ("get_int", "docker:engines:0:url", 16, "expected an integer"),
    ],
)
def test_getter_type_errors_name_key_and_line(tmp_path, env, getter, key, line, expect):
    path = write(tmp_path, DOC)
    cfg = load_config(path, env=env)
    with pytest.raises(ConfigError) as exc:
        getattr(cfg, getter)(key)
    err = exc.value
    assert (err.key, err.file, err.line) == (key, str(path), line)
    assert expect in err.message
    assert str(err).startswith(f"{path}:{line}: {key}: ")


def test_type_error_even_with_default(tmp_path, env):
    cfg = load(tmp_path, env, "refresh: soon\n")
    with pytest.raises(ConfigError, match="expected a duration"):
        cfg.get_duration("refresh", 2.0)


def test_non_finite_float_rejected(tmp_path, env):
    cfg = load(tmp_path, env, "a: .nan\nb: .inf\n")
    for key in ("a", "b"):
        with pytest.raises(ConfigError, match="finite"):
            cfg.get_float(key)


@pytest.mark.parametrize(
    "text, seconds",
    [
        ("2s", 2.0),
        ("500ms", 0.5),
        ("1m30s", 90.0),
        ("1h", 3600.0),
        ("1h2m3s", 3723.0),
        ("250us", 0.00025),
        ("250µs", 0.00025),
        ("100ns", 1e-7),
        ("1.5m", 90.0),
        (".5s", 0.5),
        ("0s", 0.0),
        (" 3s ", 3.0),
        ("5", 5.0),
        ("0.25", 0.25),
        (5, 5.0),
        (0.5, 0.5),
    ],
)
def test_duration_parsing(text, seconds):
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize(
    "text",
    ["", "s", "2", "-1s", "-5", -1, -0.5, "2x", "1m30", "2 s", "1s-", "ms", "1e999", "nan", True, None, [1], "1..2s"],
)
def test_duration_rejects(text):
    if text == "2":
        assert parse_duration(text) == 2.0  # control: a bare number is fine
        return
    with pytest.raises(ValueError):
        parse_duration(text)


# ---------------------------------------------------------------- env overrides


def test_env_scalar_override_wins_over_file(tmp_path, env):
    cfg = load(tmp_path, {**env, "MEGAM_REFRESH": "5s", "MEGAM_READ_ONLY": "true"}, "refresh: 2s\n")
    assert cfg.get_duration("refresh") == 5.0
    assert cfg.get_bool("read_only") is True
    assert cfg.origin("refresh") == ("env MEGAM_REFRESH", None)


@pytest.mark.parametrize(
    "raw, value",
    [("true", True), ("false", False), ("yes", True), ("no", False), ("on", True), ("off", False),
     ("1", True), ("0", False), ("TRUE", True), ("Off", False)],
)
def test_env_bool_strings(env, raw, value):
    cfg = load_config(env={**env, "MEGAM_READ_ONLY": raw})
    assert cfg.get_bool("read_only") is value


def test_env_bad_values_name_the_variable(env):
    cfg = load_config(env={**env, "MEGAM_REFRESH": "soon", "MEGAM_BELL": "maybe"})
    with pytest.raises(ConfigError) as exc:
        cfg.get_duration("refresh")
    assert str(exc.value).startswith("env MEGAM_REFRESH: refresh: expected a duration")
    assert exc.value.file == "env MEGAM_REFRESH" and exc.value.line is None
    with pytest.raises(ConfigError, match=r"^env MEGAM_BELL: bell: expected a boolean"):
        cfg.get_bool("bell")


def test_env_nested_and_list_index(tmp_path, env):
    path = write(
        tmp_path,
        """
        docker:
          engines:
            - {name: a, url: unix:///a.sock}
            - {name: b, url: unix:///b.sock}
        """,
    )
    cfg = load_config(path, env={**env, "MEGAM_DOCKER__ENGINES__1__URL": "tcp://10.0.0.5:2375"})
    assert cfg.get_string("docker:engines:0:url") == "unix:///a.sock"
    assert cfg.get_string("docker:engines:1:url") == "tcp://10.0.0.5:2375"
    assert cfg.origin("docker:engines:0:url") == (str(path), 3)
    assert cfg.origin("docker:engines:1:url") == ("env MEGAM_DOCKER__ENGINES__1__URL", None)


def test_env_list_index_past_end_is_an_error(tmp_path, env):
    path = write(tmp_path, "docker:\n  engines:\n    - {name: a}\n")
    with pytest.raises(ConfigError) as exc:
        load_config(path, env={**env, "MEGAM_DOCKER__ENGINES__1__URL": "tcp://x:1"})
    assert "MEGAM_DOCKER__ENGINES__1__URL" in str(exc.value)
    assert "index 1 is past the end of docker:engines (1 entries)" in str(exc.value)
    with pytest.raises(ConfigError, match="MEGAM_SSH__HOSTS__0__PORT"):
        load_config(env={**env, "MEGAM_SSH__HOSTS__0__PORT": "22"})  # no hosts at all
    with pytest.raises(ConfigError, match="not a list index"):
        load_config(path, env={**env, "MEGAM_DOCKER__ENGINES__FIRST__URL": "tcp://x:1"})
    with pytest.raises(ConfigError, match="cannot override inside refresh"):
        load_config(env={**env, "MEGAM_REFRESH": "2s", "MEGAM_REFRESH__X": "1"})
    with pytest.raises(ConfigError, match="bad override name"):
        load_config(env={**env, "MEGAM_DOCKER____URL": "x"})


def test_env_yaml_values_lists_and_structures(env):
    cfg = load_config(
        env={
            **env,
            "MEGAM_CONFIRM": "[kill, destroy]",
            "MEGAM_DOCKER__ENGINES": "[{name: remote, url: 'tcp://h:2375'}]",
            "MEGAM_DOCKER__ENGINES__0__TIMEOUT": "750ms",
        }
    )
    assert cfg.get_list("confirm") == ["kill", "destroy"]
    assert cfg.get_string("docker:engines:0:url") == "tcp://h:2375"
    assert cfg.get_duration("docker:engines:0:timeout") == 0.75
    cfg = load_config(env={**env, "MEGAM_CONFIRM": "kill, remove"})
    assert cfg.get_list("confirm") == ["kill", "remove"]


def test_env_strings_stay_raw_for_string_getters(env):
    cfg = load_config(env={**env, "MEGAM_THEME": "yes", "MEGAM_SSH__PASSWORD": "p@ss: word #1"})
    assert cfg.get_string("theme") == "yes"
    assert cfg.get_string("ssh:password") == "p@ss: word #1"


def test_env_empty_value_resets_to_default(tmp_path, env):
    cfg = load(tmp_path, {**env, "MEGAM_REFRESH": ""}, "refresh: 9s\n")
    assert cfg.get_duration("refresh", 2.0) == 2.0


def test_env_keys_match_case_insensitively(tmp_path, env):
    cfg = load(tmp_path, {**env, "MEGAM_KEYS__CONTAINERS.STOP": "x"}, "keys:\n  Containers.Stop: s\n")
    assert cfg.get_mapping("keys") == {"Containers.Stop": "x"}


def test_reserved_env_names_are_not_overrides(env, tmp_path):
    cfg = load_config(env={**env, "MEGAM_CONFIG": "", "MEGAM_TESTBED_DIR": str(tmp_path)})
    assert cfg.data == {} and cfg.problems == []


def test_env_typo_is_reported_as_unknown_key(env):
    cfg = load_config(env={**env, "MEGAM_REFRSH": "5s"})
    assert [str(p) for p in cfg.problems] == ["env MEGAM_REFRSH: refrsh: unknown key (did you mean 'refresh'?)"]


# ---------------------------------------------------------------- unknown keys, duplicates, merges


def test_unknown_keys_top_level_and_nested(tmp_path, env):
    path = write(
        tmp_path,
        """
        refresh: 2s
        refesh: 3s
        docker:
          engines:
            - name: a
              urll: unix:///x
        ssh:
          hosts: []
          colour: red
        keys:
          anything.goes: k
        """,
    )
    cfg = load_config(path, env=env)
    got = [(p.key, p.line) for p in cfg.problems]
    assert got == [("refesh", 2), ("docker:engines:0:urll", 6), ("ssh:colour", 9)]
    assert "did you mean 'refresh'" in cfg.problems[0].message
    assert "did you mean 'url'" in cfg.problems[1].message
    assert cfg.get_duration("refresh") == 2.0  # loading still works
    assert [(p.key, p.line) for p in check_config(path, env=env)] == got


def test_duplicate_key_is_a_problem(tmp_path, env):
    cfg = load(tmp_path, env, "refresh: 2s\nbell: true\nrefresh: 3s\n")
    assert cfg.get_duration("refresh") == 3.0
    assert [(p.key, p.line) for p in cfg.problems] == [("refresh", 3)]
    assert "first at line 1" in cfg.problems[0].message


def test_merge_keys(tmp_path, env):
    cfg = load(
        tmp_path,
        env,
        """
        x-defaults: &d {timeout: 3s, url: unix:///d.sock}
        docker:
          engines:
            - {<<: *d, name: a}
            - {<<: *d, name: b, timeout: 1s}
        """,
    )
    assert cfg.get_duration("docker:engines:0:timeout") == 3.0
    assert cfg.get_duration("docker:engines:1:timeout") == 1.0
    assert cfg.get_string("docker:engines:1:url") == "unix:///d.sock"
    assert [p.key for p in cfg.problems] == ["x-defaults"]


# ---------------------------------------------------------------- safety


def test_yaml_syntax_error_has_line(tmp_path, env):
    path = write(tmp_path, "refresh: 2s\nbell: true\ndocker: [unclosed\nssh: {}\n")
    with pytest.raises(ConfigError) as exc:
        load_config(path, env=env)
    assert exc.value.file == str(path) and exc.value.line == 4
    assert "YAML syntax error" in exc.value.message
    assert check_config(path, env=env) == [exc.value]


def test_tab_indentation_error_line(tmp_path, env):
    path = write(tmp_path, "refresh: 2s\nssh:\n\thosts: []\n")
    with pytest.raises(ConfigError) as exc:
        load_config(path, env=env)
    assert exc.value.line == 3


@pytest.mark.parametrize("text", ["- a\n- b\n", "just a string\n", "42\n"])
def test_non_mapping_document_rejected(tmp_path, env, text):
    with pytest.raises(ConfigError, match="must be a mapping"):
        load(tmp_path, env, text)


def test_empty_file_is_an_empty_config(tmp_path, env):
    cfg = load(tmp_path, env, "# only a comment\n")
    assert cfg.data == {} and cfg.problems == []


def test_alias_bomb_rejected(tmp_path, env):
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        refs = ",".join([f"*a{i - 1}"] * 12)
        lines.append(f"a{i}: &a{i} [{refs}]")
    path = write(tmp_path, "\n".join(lines) + "\n")
    with pytest.raises(ConfigError) as exc:
        load_config(path, env=env)
    # 1 + 9 anchors and 108 aliases: the 101st reference (line 9) is refused
    assert "more than 100 YAML anchors/aliases" in exc.value.message
    assert (exc.value.file, exc.value.line) == (str(path), 9)
    few = write(tmp_path, "a: &a [1]\nb: [*a, *a]\n", name="few.yaml")
    assert load_config(few, env=env).get_list("b") == [[1], [1]]


def test_exponential_expansion_with_few_aliases_rejected(tmp_path, env):
    # 2 aliases per level stays under the alias limit but doubles each level
    lines = ["l0: &l0 [x, x]"] + [f"l{i}: &l{i} [*l{i - 1}, *l{i - 1}]" for i in range(1, 30)]
    with pytest.raises(ConfigError, match="after alias expansion"):
        load(tmp_path, env, "\n".join(lines) + "\n")


def test_recursive_alias_and_deep_nesting_rejected(tmp_path, env):
    with pytest.raises(ConfigError, match="nested deeper"):
        load(tmp_path, env, "a: &a [*a]\n")
    with pytest.raises(ConfigError, match="nested deeper"):
        load(tmp_path, env, "a: " + "[" * 5000 + "]" * 5000 + "\n")


def test_unsafe_tags_rejected(tmp_path, env):
    with pytest.raises(ConfigError) as exc:
        load(tmp_path, env, "refresh: 2s\nx: !!python/object/apply:os.system [echo hi]\n")
    assert exc.value.line == 2
    with pytest.raises(ConfigError, match="bad YAML value"):
        load(tmp_path, env, "x: !!int abc\n")
    with pytest.raises(ConfigError, match="bad YAML value"):
        load(tmp_path, env, "when: 2024-13-45\n")


def test_file_too_large_and_not_utf8(tmp_path, env):
    big = tmp_path / "big.yaml"
    big.write_text("a: " + "x" * MAX_FILE_BYTES + "\n")
    with pytest.raises(ConfigError, match="larger than"):
        load_config(big, env=env)
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(b"refresh: \xff\xfe\n")
    with pytest.raises(ConfigError, match="UTF-8"):
        load_config(bad, env=env)


# ---------------------------------------------------------------- secrets


SECRET_DOC = """
ssh:
  hosts:
    - name: web1
      address: 10.0.0.1
      password: hunter2
"""


def test_secret_file_mode_0600_accepted(tmp_path, env):
    cfg = load(tmp_path, env, SECRET_DOC, mode=0o600)
    assert cfg.get_string("ssh:hosts:0:password") == "hunter2"


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604])
def test_secret_file_readable_by_others_refused(tmp_path, env, mode):
    path = write(tmp_path, SECRET_DOC, mode=mode)
    with pytest.raises(ConfigError) as exc:
        load_config(path, env=env)
    assert exc.value.message == (
        f"{path} holds secrets (ssh password/passphrase) but is readable by group/others "
        f"(mode {mode:04o}): chmod 600 {path}"
    )
    assert exc.value.line == 5 and exc.value.key == "ssh:hosts:0:password"
    assert exc.value in check_config(path, env=env)


def test_top_level_ssh_password_and_passphrase_count_as_secrets(tmp_path, env):
    for text in ("ssh:\n  password: x\n", "ssh:\n  hosts:\n    - {name: a, passphrase: x}\n"):
        with pytest.raises(ConfigError, match="holds secrets"):
            load(tmp_path, env, text, mode=0o644)


def test_null_password_is_not_a_secret(tmp_path, env):
    cfg = load(tmp_path, env, "ssh:\n  hosts:\n    - {name: a, password: null, passphrase: null}\n", mode=0o644)
    assert cfg.get_string("ssh:hosts:0:password", None) is None


# ---------------------------------------------------------------- discovery


def test_discovery_order(tmp_path, env):
    xdg = tmp_path / "xdg"
    env = {**env, "XDG_CONFIG_HOME": str(xdg)}
    assert find_config_path(env=env) is None
    xdg_file = xdg / "megam" / "megam.yaml"
    xdg_file.parent.mkdir(parents=True)
    xdg_file.write_text("refresh: 1s\n")
    assert find_config_path(env=env) == xdg_file
    home_file = Path(env["MEGAM_HOME"]) / "megam.yaml"
    home_file.parent.mkdir(parents=True)
    home_file.write_text("refresh: 2s\n")
    assert find_config_path(env=env) == home_file
    env_file = write(tmp_path, "refresh: 3s\n", name="env.yaml")
    env = {**env, "MEGAM_CONFIG": str(env_file)}
    assert find_config_path(env=env) == env_file
    arg_file = write(tmp_path, "refresh: 4s\n", name="arg.yaml")
    assert find_config_path(arg_file, env=env) == arg_file
    assert load_config(arg_file, env=env).get_duration("refresh") == 4.0
    assert load_config(env=env).get_duration("refresh") == 3.0


def test_default_xdg_dir_is_under_home(tmp_path, env):
    f = Path(env["HOME"]) / ".config" / "megam" / "megam.yaml"
    f.parent.mkdir(parents=True)
    f.write_text("bell: false\n")
    assert find_config_path(env=env) == f


def test_explicit_missing_path_is_an_error(tmp_path, env):
    with pytest.raises(ConfigError, match="does not exist"):
        find_config_path(tmp_path / "nope.yaml", env=env)
    with pytest.raises(ConfigError, match="MEGAM_CONFIG"):
        load_config(env={**env, "MEGAM_CONFIG": str(tmp_path / "nope.yaml")})
    with pytest.raises(ConfigError, match="not a file"):
        find_config_path(tmp_path, env=env)
    assert "does not exist" in str(check_config(tmp_path / "nope.yaml", env=env)[0])


def test_no_file_is_an_empty_config(env):
    cfg = load_config(env=env)
    assert cfg.path is None and cfg.data == {} and cfg.get_duration("refresh", 2.0) == 2.0


def test_megam_home(tmp_path):
    assert megam_home({"MEGAM_HOME": "/srv/megam"}) == Path("/srv/megam")
    assert megam_home({"MEGAM_HOME": "~/m", "HOME": "/home/op"}) == Path("/home/op/m")
    assert megam_home({"HOME": "/home/op"}) == Path("/home/op/.local/share/megam")
    assert megam_home({"HOME": "/home/op", "XDG_DATA_HOME": "/data"}) == Path("/data/megam")


def test_config_without_file_direct_construction():
    cfg = Config({"a": {"b": [1, 2]}})
    assert cfg.get_int("a:b:1") == 2
    with pytest.raises(ConfigError) as exc:
        cfg.get_string("a:b")
    assert exc.value.file is None and str(exc.value).startswith("a:b: expected a string")


def test_schema_module_is_importable_first():
    # config_schema imports config; config imports config_schema lazily: no cycle
    assert config_schema.SCHEMA.fields["refresh"].default == 2.0
    assert os.path.basename(config_schema.__file__) == "config_schema.py"


def test_control_character_names_its_line(tmp_path, env):
    with pytest.raises(ConfigError) as exc:
        load(tmp_path, env, "refresh: 2s\nbell: tr\x08ue\n")
    assert exc.value.line == 2 and "#x0008" in exc.value.message


def test_numbers_read_as_strings_keep_their_source_text(tmp_path, env):
    path = write(tmp_path, "ssh:\n  hosts:\n    - {name: a, password: 1.10, passphrase: 0x1F}\n")
    cfg = load_config(path, env=env)
    assert cfg.get_string("ssh:hosts:0:password") == "1.10"
    assert cfg.get_string("ssh:hosts:0:passphrase") == "0x1F"
    assert cfg.get_int("ssh:hosts:0:passphrase") == 31
    over = load_config(path, env={**env, "MEGAM_SSH__HOSTS": "[{name: a, password: 2.50}]"})
    assert over.get_string("ssh:hosts:0:password") == "2.50"  # the override's text, not the file's
    assert over.get_string("ssh:hosts:0:passphrase", None) is None
