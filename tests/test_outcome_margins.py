"""Every asserted outcome's threshold was sized from five or more smoke seeds, with room to spare.

``python -m course margins`` writes ``tests/outcome_margins/<notebook>.json``: for each outcome
the threshold the notebook asserted and the value it took under each seed. This test reads the
thresholds written in the notebooks and checks them against that table.
"""

import json

import nbformat
import pytest

from course import margins
from helpers import config

NOTEBOOKS = config.notebook_paths()


def expected_outcomes(path):
    return margins.asserted_outcomes(path)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[path.stem for path in NOTEBOOKS])
def test_thresholds_sit_beyond_the_worst_of_five_seeds(path):
    outcomes = expected_outcomes(path)
    table_path = margins.TABLE_DIR / f"{path.stem}.json"
    assert table_path.is_file(), f"run `python -m course margins --only {path.stem[:2]}` to measure {path.name}'s outcomes"
    entry = json.loads(table_path.read_text())
    assert entry.get("code") == margins.code_fingerprint(path), (
        f"{path.name}: its code changed since its outcomes were measured; run `python -m course margins --only {path.stem[:2]}`"
    )
    table = entry["outcomes"]
    assert set(table) == set(outcomes), (
        f"{path.name}: the notebook asserts {sorted(outcomes)}, the table measured {sorted(table)}; "
        f"run `python -m course margins --only {path.stem[:2]}` again"
    )
    for name, (direction, threshold) in outcomes.items():
        row = table[name]
        values = [float(value) for value in row["values"].values()]
        assert len(values) >= margins.MINIMUM_SEEDS, f"{path.name}: {name} was measured under {len(values)} seeds"
        assert (row["direction"], row["threshold"]) == (direction, threshold), (
            f"{path.name}: {name} asserts {direction} {threshold}, the table was measured with "
            f"{row['direction']} {row['threshold']}; measure again"
        )
        spare = margins.room(direction, threshold, values)
        assert spare >= 0.5, (
            f"{path.name}: {name} must be {direction} {threshold}, the seeds gave {values}: the threshold "
            f"needs room of half the spread beyond the worst seed (it has {spare:.2f})"
        )


def test_room_is_measured_in_units_of_the_spread():
    assert margins.room("above", 0.0, [0.1, 0.3]) == pytest.approx(0.5)
    assert margins.room("below", 0.5, [0.1, 0.3]) == pytest.approx(1.0)
    assert margins.room("above", 0.2, [0.1, 0.3]) < 0


def test_thresholds_can_change_without_measuring_again_but_code_cannot(tmp_path, monkeypatch):
    from nbformat import v4

    notebook = v4.new_notebook()
    notebook.cells = [v4.new_markdown_cell("# t"), v4.new_code_cell("value = 0.5\noutcomes.expect('gain', value, above=0.1)")]
    path = tmp_path / "99_trial.ipynb"
    nbformat.write(notebook, path)
    monkeypatch.setattr(margins, "TABLE_DIR", tmp_path / "tables")
    monkeypatch.setattr(config, "notebook_paths", lambda only=None: [path])
    (tmp_path / "tables").mkdir()
    entry = {"code": margins.code_fingerprint(path),
             "outcomes": {"gain": {"direction": "above", "threshold": 0.1, "values": {"0": 0.5}}}}
    (tmp_path / "tables" / "99_trial.json").write_text(json.dumps(entry))
    notebook.cells[1].source = notebook.cells[1].source.replace("above=0.1", "above=0.3")
    nbformat.write(notebook, path)
    assert margins.code_fingerprint(path) == entry["code"], "thresholds do not change the fingerprint"
    assert margins.rethreshold() == ["99_trial"]
    assert json.loads((tmp_path / "tables" / "99_trial.json").read_text())["outcomes"]["gain"]["threshold"] == 0.3
    notebook.cells[1].source = notebook.cells[1].source.replace("0.5", "0.6")
    nbformat.write(notebook, path)
    with pytest.raises(ValueError, match="code changed"):
        margins.rethreshold()


def test_the_code_fingerprint_ignores_thresholds_and_directions_only(tmp_path):
    import nbformat
    from nbformat import v4

    def fingerprint(source):
        notebook = v4.new_notebook()
        notebook.cells = [v4.new_markdown_cell("# any prose"), v4.new_code_cell(source)]
        nbformat.write(notebook, tmp_path / "trial.ipynb")
        return margins.code_fingerprint(tmp_path / "trial.ipynb")

    base = fingerprint("outcomes.expect('gain', value, above=0.1)")
    assert fingerprint("outcomes.expect('gain', value, below=2.5e-3)") == base
    assert fingerprint('outcomes.expect("g", value, above=0.1, why="a reason")') == fingerprint(
        'outcomes.expect("g", value, above=0.2, why=f"another {reason}")')
    assert fingerprint("outcomes.expect('gain', value + 1, above=0.1)") != base


def test_the_code_fingerprint_ignores_the_class_and_full_columns_of_the_settings_table(tmp_path):
    from nbformat import v4

    def fingerprint(smoke, class_steps, magic=""):
        notebook = v4.new_notebook()
        source = (f"{magic}hp = config.profile_settings({{\n    \"smoke\": {{\"steps\": {smoke}}},\n"
                  f"    \"class\": {{\"steps\": {class_steps},\n              \"size\": 3}},\n    \"full\": {{\"steps\": 9}},\n}})")
        notebook.cells = [v4.new_code_cell(source)]
        nbformat.write(notebook, tmp_path / "trial.ipynb")
        return margins.code_fingerprint(tmp_path / "trial.ipynb")

    assert fingerprint(1, 500) == fingerprint(1, 300), "class settings are not measured by the smoke margins"
    assert fingerprint(1, 500, magic="%matplotlib inline\n") == fingerprint(1, 300, magic="%matplotlib inline\n")
    assert fingerprint(2, 500) != fingerprint(1, 500), "smoke settings are"
