"""The house's written rules that a reader can check by looking at the files: module size, names
that say what a thing is, comments that stand on their own (no issue numbers, no outside documents)."""

from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MAX_LINES = 400
# An issue number, or a section of a document that is not in the repository.
OUTSIDE_CITATION = re.compile(r"\bissues?\s*#?\d+|(?<![\w&])#\d+\b|\bsections?\s+\d+|\.\./shared|/work/", re.IGNORECASE)


def sources() -> list[Path]:
    return sorted(p for folder in ("nnviz", "bench") for p in (REPO / folder).rglob("*.py"))


def comments_and_docstrings(path: Path) -> list[tuple[int, str]]:
    text = path.read_text(encoding="utf-8")
    found = [(token.start[0], token.string) for token in tokenize.generate_tokens(io.StringIO(text).readline)
             if token.type == tokenize.COMMENT]
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            doc = ast.get_docstring(node, clean=False)
            if doc:
                found.append((node.body[0].lineno, doc))
    return found


def test_no_module_is_over_400_lines():
    long = {str(p.relative_to(REPO)): n for p in sources()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert sources() and not long, long


def test_no_comment_cites_an_issue_or_a_document_outside_the_repository():
    cited = [f"{p.relative_to(REPO)}:{line}: {match.group(0)!r}" for p in sources()
             for line, text in comments_and_docstrings(p) for match in OUTSIDE_CITATION.finditer(text)]
    assert not cited, "\n".join(cited)


def test_the_citation_check_sees_comments_and_docstrings(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text('"""As in the lectures, section 7."""\nx = "#0072B2"  # see issue 11\n'
                      'def f():\n    """Fixes #12."""\n', encoding="utf-8")
    cited = [m.group(0) for _, text in comments_and_docstrings(sample) for m in OUTSIDE_CITATION.finditer(text)]
    assert sorted(cited) == ["#12", "issue 11", "section 7"]  # the colour literal is not a citation


def test_no_module_is_named_as_the_plural_of_its_neighbour():
    """No ``dataset.py`` beside ``datasets.py``, no ``grid.py`` beside ``grids.py``."""
    twins = []
    for folder in {p.parent for p in sources()}:
        names = {p.stem for p in folder.glob("*.py")} | {p.name for p in folder.iterdir() if p.is_dir()}
        twins += [f"{folder.relative_to(REPO)}: {n} / {n}s" for n in names if f"{n}s" in names]
    assert not twins, twins


def test_only_the_core_spells_the_run_folders_file_names():
    """The window, the sweeps and the command line reach a run folder's files through
    ``nnviz.core.run_folder``, so the format is defined on one floor."""
    from nnviz.core.run_folder import files

    names = {value for key, value in vars(files).items() if key.isupper() and isinstance(value, str)}
    assert names >= {"config.toml", "metrics.json", "model.npz"}
    spelled = [f"{p.relative_to(REPO)}:{node.lineno}: {node.value}"
               for floor in ("ui", "sweep", "cli") for p in sorted((REPO / "nnviz" / floor).rglob("*.py"))
               for node in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
               if isinstance(node, ast.Constant) and node.value in names]
    assert not spelled, spelled


COLOUR_LITERAL = re.compile(r"#(?:[0-9a-fA-F]{6}|[0-9a-fA-F]{3})\b")


def test_colours_come_only_from_the_theme():
    """One palette: a colour written as ``#rrggbb`` anywhere but ``nnviz/ui/theme.py`` is a second one."""
    theme = REPO / "nnviz" / "ui" / "theme.py"
    assert COLOUR_LITERAL.search(theme.read_text(encoding="utf-8"))  # the pattern finds the palette itself
    found = [f"{p.relative_to(REPO)}:{node.lineno}: {match.group(0)}"
             for p in sorted((REPO / "nnviz").rglob("*.py")) if p != theme
             for node in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
             if isinstance(node, ast.Constant) and isinstance(node.value, str)
             for match in COLOUR_LITERAL.finditer(node.value)]
    assert not found, "\n".join(found)


def test_one_place_makes_the_offscreen_app():
    """Figures, benches and tests get their QApplication from ``nnviz.ui.offscreen``; the window's
    own start-up (``nnviz.ui.app``) is the only other place that makes one."""
    allowed = {REPO / "nnviz" / "ui" / "offscreen.py", REPO / "nnviz" / "ui" / "app.py"}
    makers = [f"{p.relative_to(REPO)}:{node.lineno}" for p in sorted((REPO / "nnviz").rglob("*.py")) if p not in allowed
              for node in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
              if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "QApplication"]
    assert not makers, makers
