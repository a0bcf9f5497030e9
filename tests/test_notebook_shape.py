"""Every notebook is stored clean and has the course's shape (CONTRIBUTING.md)."""

import re

import nbformat
import pytest

from helpers import config

NOTEBOOKS = sorted(config.notebooks_dir().glob("*.ipynb"))
IDS = [path.name for path in NOTEBOOKS]


def markdown_text(notebook) -> str:
    return "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")


def headings(notebook) -> list[str]:
    return [line.strip() for line in markdown_text(notebook).splitlines() if line.startswith("#")]


@pytest.fixture(params=NOTEBOOKS, ids=IDS)
def notebook(request):
    return request.param, nbformat.read(request.param, as_version=4)


def test_there_are_notebooks():
    assert NOTEBOOKS, "notebooks/ holds no notebook"


def test_file_names_follow_the_teaching_order_pattern():
    for path in NOTEBOOKS:
        assert re.fullmatch(r"\d\d_[a-z0-9_]+\.ipynb", path.name), f"{path.name}: name it NN_topic.ipynb"


def test_notebooks_are_valid_and_stored_without_outputs(notebook):
    path, nb = notebook
    nbformat.validate(nb)
    dirty = [i for i, cell in enumerate(nb.cells) if cell.cell_type == "code" and (cell.outputs or cell.execution_count)]
    assert not dirty, f"{path.name}: cells {dirty} hold outputs; run `python -m course tidy`"
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3", f"{path.name}: kernel must be python3"


def test_no_installs_or_relative_data_paths(notebook):
    path, nb = notebook
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not re.search(r"^\s*[!%]\s*pip\b", cell.source, re.M), f"{path.name}: no pip installs in notebooks"
            assert "../data" not in cell.source, f"{path.name}: resolve paths through helpers.config"


def test_title_and_required_sections(notebook):
    path, nb = notebook
    first = nb.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith("# "), f"{path.name}: start with a '# Title' cell"
    titles = [heading.lstrip("#").strip().lower() for heading in headings(nb)]
    for section in ("what you will learn", "what you need", "summary", "exercises", "references"):
        assert any(title.startswith(section) for title in titles), f"{path.name}: missing a '{section}' section"
    need = first.source.lower()
    assert all(profile in need for profile in ("smoke", "class", "full")), (
        f"{path.name}: 'What you need' should give the run time per profile (smoke, class, full)"
    )
    assert "reference machine" in need, (
        f"{path.name}: give the run times in minutes on the reference machine (python -m course run)"
    )


def test_one_setup_cell_seeds_and_reports_the_environment(notebook):
    path, nb = notebook
    code = [cell.source for cell in nb.cells if cell.cell_type == "code"]
    assert "config.set_seed(" in code[0] and "describe_environment()" in code[0], (
        f"{path.name}: the first code cell is the setup cell (imports, seed, environment line)"
    )


def test_exercises_have_solution_cells(notebook):
    path, nb = notebook
    exercises = [cell for cell in nb.cells if cell.cell_type == "markdown" and re.search(r"^###\s+Exercise", cell.source, re.M)]
    solutions = [cell for cell in nb.cells if cell.cell_type == "code" and "solution" in cell.metadata.get("tags", [])]
    assert 2 <= len(exercises) <= 4, f"{path.name}: {len(exercises)} exercises; give 2 to 4"
    assert len(solutions) >= len(exercises), f"{path.name}: every exercise needs a code cell tagged 'solution'"


def test_notebook_records_its_rows(notebook):
    path, nb = notebook
    code = "\n".join(cell.source for cell in nb.cells if cell.cell_type == "code")
    assert f'record("{path.stem}"' in code, f"{path.name}: call evaluation.record(\"{path.stem}\", ...)"
