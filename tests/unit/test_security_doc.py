"""SECURITY.md names the tests that show each protection: every test it names must exist."""

from __future__ import annotations

import ast
import re

from tests.conftest import REPO

REF = re.compile(r"`(tests/[\w/]+\.py)(?:::(\w+))?`|`::(\w+)`")


def _functions(path):
    tree = ast.parse(path.read_text())
    return {n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}


def test_every_test_named_in_security_md_exists():
    text = (REPO / "SECURITY.md").read_text()
    checked = 0
    for line in text.splitlines():
        current = None
        for m in REF.finditer(line):
            if m.group(1):
                current = REPO / m.group(1)
                assert current.exists(), f"SECURITY.md names {m.group(1)}, which does not exist"
                name = m.group(2)
            else:
                name = m.group(3)
                assert current is not None, f"SECURITY.md: `::{name}` without a file before it: {line[:80]}"
            if name:
                assert name in _functions(current), f"SECURITY.md names {current.relative_to(REPO)}::{name}, which does not exist"
                checked += 1
    assert checked >= 10
