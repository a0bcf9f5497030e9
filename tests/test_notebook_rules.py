"""The protocol's rules hold in every notebook (see tests/notebook_rules.py), and the rules work."""

import ast
import re

import nbformat
import notebook_rules as rules
import pytest
from nbformat import v4

from helpers import config

NOTEBOOKS = config.notebook_paths()
IDS = [path.stem for path in NOTEBOOKS]


@pytest.fixture(params=NOTEBOOKS, ids=IDS)
def notebook(request):
    return request.param, nbformat.read(request.param, as_version=4)


def code_cells(nb):
    return [cell for cell in nb.cells if cell.cell_type == "code"]


# --------------------------------------------------------------------------- the rules on toy cells


def test_the_test_data_rule_flags_test_names_and_harness_calls_only():
    assert rules.test_data_uses("a = split.x_test[:8]") == ["x_test"]
    assert rules.test_data_uses("row = evaluation.evaluate_encoder('m', e, split)") == ["evaluate_encoder"]
    assert rules.test_data_uses("clean_test = f(x)") == ["clean_test"]
    assert rules.test_data_uses("tested = 1  # the x_test of a comment\ns = 'x_test'\nlatest = 2") == []
    assert rules.test_data_uses("%timeit x_val\nv = split.x_val") == []
    cells = [v4.new_code_cell("a = split.x_val"), v4.new_code_cell("b = split.y_test"), v4.new_code_cell("c = split.y_test")]
    cells[2].metadata["tags"] = ["report"]
    assert rules.cells_touching_test_data(v4.new_notebook(cells=cells)) == [(1, ["y_test"])]


def test_the_numbers_rule_flags_measured_figures_outside_cited_cells():
    cells = [
        v4.new_markdown_cell("# Title\n\nRuns in 2 minutes, 90%."),  # the first cell is exempt
        v4.new_markdown_cell("In our run the probe read 91.3% and PSNR rose 2.1 dB, a gain of 3 points."),
        v4.new_markdown_cell("BERT masks 15% of the tokens (Devlin et al. 2019)."),
        v4.new_markdown_cell("The code `assert acc > 0.5` and $p = 50\\%$ are not prose; a 3x3 grid is not a figure."),
    ]
    cells[2].metadata["tags"] = ["cited"]
    found = rules.unmeasured_numbers(v4.new_notebook(cells=cells))
    assert [index for index, _ in found] == [1] and len(found[0][1]) == 3


def test_prose_words_leave_out_references_and_optional_sections():
    cells = [
        v4.new_markdown_cell("# Title\n\none two three"),
        v4.new_markdown_cell("## Optional: more\n\nfour five six seven"),
        v4.new_markdown_cell("## Summary\n\neight nine\n\n```\nnot counted at all\n```"),
        v4.new_markdown_cell("## References\n\nten eleven"),
    ]
    assert rules.prose_words(v4.new_notebook(cells=cells)) == len("Title one two three Summary eight nine".split())


# --------------------------------------------------------------------------- every notebook


def test_test_data_is_touched_only_in_report_cells(notebook):
    path, nb = notebook
    bad = rules.cells_touching_test_data(nb)
    assert not bad, (
        f"{path.name}: cells {bad} use test data without the 'report' tag. Choose on validation data "
        "(split.x_val); only the final report reads the test split"
    )


def test_markdown_states_no_figure_that_no_code_produced(notebook):
    path, nb = notebook
    bad = rules.unmeasured_numbers(nb)
    assert not bad, (
        f"{path.name}: Markdown cells {bad} state measured figures. Print them from code (or display "
        "generated Markdown), or tag a cell that cites a paper 'cited'"
    )


def test_prose_fits_one_class_hour(notebook):
    path, nb = notebook
    words = rules.prose_words(nb)
    assert words <= rules.MAX_WORDS, f"{path.name}: {words} words of prose; move extra analyses to '## Optional: ...'"


def test_one_import_style_for_losses_and_pretext(notebook):
    path, nb = notebook
    for cell in code_cells(nb):
        assert not re.search(r"^\s*from helpers\.(losses|pretext)\b", cell.source, re.M), (
            f"{path.name}: import `from helpers import losses, pretext` and write `pretext.noise.corrupt(...)`"
        )
        assert "helpers.benchmark" not in cell.source and "helpers import benchmark" not in cell.source, (
            f"{path.name}: notebooks never import the tooling (python -m course)"
        )


def test_the_seed_comes_from_the_profile_tooling(notebook):
    path, nb = notebook
    setup = code_cells(nb)[0].source
    assert re.search(r"^SEED = config\.seed\(\)", setup, re.M), f"{path.name}: the setup cell sets SEED = config.seed()"


def test_the_lesson_is_asserted_with_outcomes(notebook):
    path, nb = notebook
    code = "\n".join(cell.source for cell in code_cells(nb)[-3:])
    assert f'Outcomes("{path.stem}")' in code and ".check()" in code, (
        f"{path.name}: end with outcomes = evaluation.Outcomes(\"{path.stem}\"), outcomes.expect(...), outcomes.check()"
    )


def test_outcome_calls_are_literal(notebook):
    """The margins table is checked against the thresholds written in the notebook."""
    path, nb = notebook
    for cell in code_cells(nb):
        for node in ast.walk(ast.parse(rules_source(cell.source))):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "expect":
                assert node.args and isinstance(node.args[0], ast.Constant), f"{path.name}: name each outcome with a literal string"
                keywords = {k.arg: k.value for k in node.keywords}
                threshold = keywords.get("above", keywords.get("below"))
                assert threshold is not None and _is_number(threshold), (
                    f"{path.name}: outcome {node.args[0].value!r} needs a literal above= or below= threshold"
                )


def rules_source(source: str) -> str:
    return "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!")))


def _is_number(node) -> bool:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        node = node.operand
    return isinstance(node, ast.Constant) and isinstance(node.value, (int, float))
