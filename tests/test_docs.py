"""Every command is documented: help text in the CLI, a section in the README."""

import re

from ist_analyse.cli import app
from tests.conftest import REPO


def commands() -> list[str]:
    return [c.name for c in app.registered_commands]


def test_every_command_has_help_text():
    for cmd in app.registered_commands:
        assert (cmd.callback.__doc__ or "").strip(), cmd.name


def test_every_command_is_in_the_readme():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for name in commands():
        assert re.search(rf"ist-analyse {name}\b", readme), name


def test_readme_first_code_block_has_exactly_two_commands():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = readme.split("```")[1]
    lines = [ln for ln in block.splitlines()[1:] if ln.strip() and not ln.startswith("#")]
    assert len(lines) == 2
    assert "scripts/install.sh" in lines[0] and "ist-analyse" in lines[0]
    assert "--test" in lines[1] and "pytest" in lines[1]
