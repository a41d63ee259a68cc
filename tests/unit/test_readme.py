"""The README documents every config key (the table is generated from the schema)."""

from pathlib import Path

from megam_tui.config_schema import reference_table

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_has_the_current_key_table():
    text = README.read_text()
    missing = [line for line in reference_table().splitlines() if line.strip() and line not in text]
    assert not missing, f"README.md config table is stale; first missing line: {missing[0]}"


def test_readme_starts_with_the_two_commands():
    lines = [l for l in README.read_text().splitlines() if l.strip()]
    block = lines[lines.index("```bash") + 1 : lines.index("```bash") + 3]
    assert block[0].startswith("make run") and block[1].startswith("make test")
    ci = (README.parent / ".ci" / "run").read_text()
    assert "make test" in ci
