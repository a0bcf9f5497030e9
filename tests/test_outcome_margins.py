"""Every asserted outcome's threshold was sized from five or more smoke seeds, with room to spare.

``python -m course margins`` writes ``tests/outcome_margins/<notebook>.json``: for each outcome
the threshold the notebook asserted and the value it took under each seed. This test reads the
thresholds written in the notebooks and checks them against that table.
"""

import ast
import json

import nbformat
import pytest

from course import margins
from helpers import config

NOTEBOOKS = config.notebook_paths()


def expected_outcomes(path):
    """``{name: (direction, threshold)}`` of the ``outcomes.expect(...)`` calls of a notebook."""
    found = {}
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type != "code":
            continue
        source = "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!")))
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "expect" and node.args:
                keywords = {k.arg: ast.literal_eval(k.value) for k in node.keywords if k.arg in ("above", "below")}
                direction = "above" if "above" in keywords else "below"
                found[ast.literal_eval(node.args[0])] = (direction, float(keywords[direction]))
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[path.stem for path in NOTEBOOKS])
def test_thresholds_sit_beyond_the_worst_of_five_seeds(path):
    outcomes = expected_outcomes(path)
    table_path = margins.TABLE_DIR / f"{path.stem}.json"
    assert table_path.is_file(), f"run `python -m course margins --only {path.stem[:2]}` to measure {path.name}'s outcomes"
    table = json.loads(table_path.read_text())["outcomes"]
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
