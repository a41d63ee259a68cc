"""Web-mode credentials: the token rules, the constant-time check and the Origin rule."""

from __future__ import annotations

import os

import pytest

from megam_tui.web import auth


def test_a_new_token_has_at_least_128_bits_and_differs_per_start():
    a, b = auth.new_token(), auth.new_token()
    assert a != b and len(a) >= 43  # 32 random bytes as url-safe base64


def test_the_token_check_is_constant_time(monkeypatch):
    calls = []
    real = auth.hmac.compare_digest

    def spy(x, y):
        calls.append((x, y))
        return real(x, y)

    monkeypatch.setattr(auth.hmac, "compare_digest", spy)
    assert auth.token_matches("s" * 43, "s" * 43) is True
    assert auth.token_matches("s" * 43, "s" * 42 + "t") is False
    assert auth.token_matches("s" * 43, "short") is False
    assert len(calls) == 3  # every comparison went through hmac.compare_digest, none through ==
    assert auth.token_matches("s" * 43, None) is False and auth.token_matches("s" * 43, "") is False
    assert auth.token_matches("s" * 43, "\udcff") is False  # a cookie that is not valid UTF-8


def test_a_token_file_must_be_private_and_long_enough(tmp_path):
    f = tmp_path / "token"
    f.write_text("k" * 30 + "\n")
    f.chmod(0o640)
    with pytest.raises(auth.TokenError, match="chmod 600"):
        auth.token_from_file(f)
    f.chmod(0o600)
    assert auth.token_from_file(f) == "k" * 30
    f.write_text("short\n")
    with pytest.raises(auth.TokenError, match="at least 24"):
        auth.token_from_file(f)
    with pytest.raises(auth.TokenError, match="No such file"):
        auth.token_from_file(tmp_path / "missing")
    link = tmp_path / "link"
    os.symlink(f, link)
    with pytest.raises(auth.TokenError):
        auth.token_from_file(link)  # not followed


def test_choose_token_prefers_the_file_then_the_environment_then_a_new_one(tmp_path):
    f = tmp_path / "token"
    f.write_text("f" * 30)
    f.chmod(0o600)
    assert auth.choose_token(str(f), {"MEGAM_WEB_TOKEN": "e" * 30}) == ("f" * 30, f"token file {f}")
    assert auth.choose_token(None, {"MEGAM_WEB_TOKEN": "e" * 30}) == ("e" * 30, "$MEGAM_WEB_TOKEN")
    token, source = auth.choose_token(None, {})
    assert len(token) >= 43 and source == "generated for this start"
    with pytest.raises(auth.TokenError):
        auth.choose_token(None, {"MEGAM_WEB_TOKEN": "with space" * 5})


@pytest.mark.parametrize(
    "url, origin",
    [
        ("http://127.0.0.1:8566", "http://127.0.0.1:8566"),
        ("HTTP://LocalHost:8566/", "http://localhost:8566"),
        ("https://console.example:443/x", "https://console.example"),
        ("http://[::1]:8566", "http://[::1]:8566"),
        ("null", ""),
        ("file:///etc/passwd", ""),
        ("http://host:99999", ""),
    ],
)
def test_origin_of(url, origin):
    assert auth.origin_of(url) == origin


def test_origins_accept_only_the_served_ones():
    o = auth.Origins.for_server("http://127.0.0.1:8566", 8566, loopback=True, tls=False)
    assert o.accepts("http://127.0.0.1:8566") and o.accepts("http://localhost:8566") and o.accepts("http://[::1]:8566")
    for bad in (None, "", "null", "http://127.0.0.1:8567", "http://evil.example", "https://127.0.0.1:8566", "http://127.0.0.1.evil.example:8566"):
        assert not o.accepts(bad), bad
    proxied = auth.Origins.for_server("https://console.example", None, loopback=False, tls=True)
    assert proxied.accepts("https://console.example") and not proxied.accepts("http://127.0.0.1:8566")
