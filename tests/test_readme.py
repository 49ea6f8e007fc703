"""The README stays true: its two set-up commands, the CI script running the test one verbatim,
and every figure it links to existing in the repository."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"


def test_readme_has_the_two_setup_commands_and_ci_runs_the_test_one_verbatim():
    text = README.read_text(encoding="utf-8")
    assert len(text) < 100_000, "README.md has grown out of shape (a bad edit?)"
    setup = text[text.index("## Set-up on a fresh machine"):]
    setup = setup[:setup.index("\n## ", 1)]
    commands = re.findall(r"```bash\n(.+?)\n```", setup)
    assert commands == ['python -m pip install -e . && python main.py',
                        'python -m pip install -e ".[test]" && python -m pytest -q']
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()
    assert ci[-1] == commands[1]


def test_every_figure_the_readme_links_exists():
    text = README.read_text(encoding="utf-8")
    links = set(re.findall(r"\]\(((?:docs|assets)/[^)#\s]+)\)", text))
    assert links, "the README shows no figures"
    missing = sorted(link for link in links if not (REPO / link).is_file())
    assert not missing, f"README links to missing files: {missing}"
