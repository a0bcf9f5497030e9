"""The protocol's rules for notebooks, as functions a test can apply to any notebook.

* **Test data is for the final report only.** A code cell that touches test data carries the cell
  tag ``report``: names with a ``test`` part (``x_test``, ``split.y_test``, ``test_images``) and the
  harness calls that read the split's test data (``evaluate_encoder``, ``evaluate_representation``,
  ``baseline_rows``, ...). Every other cell (choices, pictures, exercises) uses validation data.
* **Numbers in prose come from the run.** A Markdown cell states no measured figure (a percentage,
  "points", "dB") unless it carries the tag ``cited``: published figures and the definitions of a
  method (BERT masks 15% of the tokens), with the source named in the cell. Measured numbers are
  printed by code, or displayed as Markdown that a code cell generates.
* **One class hour.** About 1,800 words of prose at most, not counting the references and the
  sections headed ``## Optional``.
"""

from __future__ import annotations

import io
import re
import tokenize

REPORT_TAG = "report"
CITED_TAG = "cited"
MAX_WORDS = 1_900  # "about 1,800"

#: Harness calls that read an evaluation split's test data.
TEST_READING_CALLS = (
    "evaluate_encoder",
    "evaluate_representation",
    "baseline_rows",
    "load_splits",
    "evaluate_features",
)
MEASURED_NUMBER = re.compile(
    r"\d+(?:[.,]\d+)?\s*(?:%|percent\b|per cent\b|(?:percentage )?points?\b|dB\b)", re.IGNORECASE
)


def tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def _names(source: str) -> list[str]:
    """The NAME tokens of a code cell (strings and comments excluded); IPython magics are skipped."""
    lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
    names = []
    try:
        for token in tokenize.generate_tokens(io.StringIO("\n".join(lines) + "\n").readline):
            if token.type == tokenize.NAME:
                names.append(token.string)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        names = re.findall(r"[A-Za-z_]\w*", source)
    return names


def test_data_uses(source: str) -> list[str]:
    """The names in a code cell that touch test data (empty when the cell uses none)."""
    found = []
    for name in _names(source):
        if "test" in name.lower().split("_") or name in TEST_READING_CALLS:
            found.append(name)
    return sorted(set(found))


def cells_touching_test_data(notebook) -> list[tuple[int, list[str]]]:
    """``(cell index, names)`` of the code cells that use test data without the ``report`` tag."""
    bad = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "code" and REPORT_TAG not in tags(cell):
            uses = test_data_uses(cell.source)
            if uses:
                bad.append((index, uses))
    return bad


def _prose(source: str) -> str:
    """Markdown without code blocks, inline code, LaTeX and HTML comments."""
    source = re.sub(r"```.*?```", " ", source, flags=re.S)
    source = re.sub(r"`[^`]*`", " ", source)
    source = re.sub(r"\$\$.*?\$\$", " ", source, flags=re.S)
    source = re.sub(r"\$[^$]*\$", " ", source)
    return re.sub(r"<!--.*?-->", " ", source, flags=re.S)


def unmeasured_numbers(notebook) -> list[tuple[int, list[str]]]:
    """``(cell index, figures)`` of Markdown cells that state measured figures without the ``cited`` tag.

    The first cell (title, "What you need" with the benchmark's run times) is exempt.
    """
    bad = []
    for index, cell in enumerate(notebook.cells):
        if index == 0 or cell.cell_type != "markdown" or CITED_TAG in tags(cell):
            continue
        figures = MEASURED_NUMBER.findall(_prose(cell.source))
        if figures:
            bad.append((index, figures))
    return bad


def prose_words(notebook) -> int:
    """Words of Markdown prose, without references and ``## Optional`` sections."""
    words = 0
    skipping = False
    for cell in notebook.cells:
        if cell.cell_type != "markdown":
            continue
        for line in _prose(cell.source).splitlines():
            heading = re.match(r"^##\s+(.*)", line)
            if heading:
                title = heading.group(1).strip().lower()
                skipping = title.startswith(("optional", "references"))
            if not skipping:
                words += len(re.findall(r"[A-Za-z][A-Za-z'-]*", line))
    return words
