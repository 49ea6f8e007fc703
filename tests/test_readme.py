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


def test_the_nielsen_first_epoch_readme_quotes_is_what_a_run_prints(shared_data_dir, tmp_path, capsys):
    """README's "Epoch 1: N / 10000" for `nnviz train --preset nielsen` is what one epoch prints now
    (the whole 30-epoch figure is re-measured by bench/presets_accuracy.py; one epoch is cheap)."""
    from nnviz.cli import main

    quoted = re.search(r'nnviz train --preset nielsen .*prints "Epoch 1: (\d+) / 10000"', README.read_text())
    assert quoted, "README no longer quotes nielsen's first epoch"
    code = main(["train", "--preset", "nielsen", "--epochs", "1", "--data-dir", str(shared_data_dir),
                 "--out", str(tmp_path / "run")])
    printed = re.search(r"Epoch 1: (\d+) / 10000", capsys.readouterr().out)
    assert code == 0 and printed, "the run printed no first epoch"
    assert printed.group(1) == quoted.group(1), f"README says {quoted.group(1)}, a run prints {printed.group(1)}"
