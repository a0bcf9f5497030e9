"""Size the asserted outcomes' margins from several seeds: the table next to the tests.

    python -m course margins --seeds 42 0 1 2 3           # every notebook, five smoke runs each
    python -m course margins --seeds 42 0 1 2 3 --only 07 09

Every notebook ends by asserting its lesson with ``helpers.evaluation.Outcomes``: each outcome is a
measured value that must lie above (or below) a threshold written in the notebook. A threshold is
only trustworthy when it was sized from the spread of the value over seeds, so this command runs
the ``smoke`` profile of each notebook once per seed (``COURSE_SEED``; fresh results and
checkpoint folders per seed), collects the values every outcome took, and writes them with the
notebook's thresholds to ``tests/outcome_margins/<notebook>.json`` and a readable
``tests/outcome_margins/README.md`` (all notebooks).
``tests/test_outcome_margins.py`` then checks that every threshold in a notebook has a row, at
least five seeds, and sits beyond the worst seed with room to spare.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from helpers import config

TABLE_DIR = config.REPOSITORY_ROOT / "tests" / "outcome_margins"
TABLE_MARKDOWN = TABLE_DIR / "README.md"
MINIMUM_SEEDS = 5


def room(direction: str, threshold: float, values: Sequence[float]) -> float:
    """How far the threshold sits beyond the worst seed, in units of the seeds' spread.

    Positive when every seed passes; at least 0.5 is "room to spare" (``tests`` require it). When
    all seeds agree exactly the spread is taken as a thousandth, so any passing threshold counts.
    """
    worst = min(values) if direction == "above" else max(values)
    spread = max(max(values) - min(values), 1e-3)
    distance = worst - threshold if direction == "above" else threshold - worst
    return distance / spread


def load_table(directory: Path = TABLE_DIR) -> dict[str, Any]:
    """The stored table of every notebook: ``{"notebooks": {notebook: entry}}``."""
    notebooks = {}
    for path in sorted(directory.glob("*.json")) if directory.is_dir() else []:
        notebooks[path.stem] = json.loads(path.read_text())
    return {"profile": "smoke", "notebooks": notebooks}


def render_markdown(table: dict[str, Any]) -> str:
    """The table as Markdown: one row per outcome with every seed's value."""
    lines = [
        "# Asserted outcomes and their margins",
        "",
        "Written by `python -m course margins` (the smoke profile, one run per seed, real data).",
        "Each outcome must lie above (or below) the threshold its notebook asserts; *room* is the",
        "distance from the threshold to the worst seed in units of the spread over seeds",
        "(`tests/test_outcome_margins.py` requires at least 0.5 and at least five seeds).",
        "",
        "| notebook | outcome | must be | seeds: values | worst | room |",
        "|---|---|---|---|---|---|",
    ]
    for notebook, entry in sorted(table["notebooks"].items()):
        for name, outcome in entry["outcomes"].items():
            values = outcome["values"]
            numbers = [float(v) for v in values.values()]
            worst = min(numbers) if outcome["direction"] == "above" else max(numbers)
            sign = ">" if outcome["direction"] == "above" else "<"
            seeds = ", ".join(f"{seed}: {float(value):.3f}" for seed, value in values.items())
            lines.append(
                f"| {notebook} | {name} | {sign} {outcome['threshold']:g} | {seeds} | {worst:.3f} "
                f"| {room(outcome['direction'], outcome['threshold'], numbers):.1f} |"
            )
    return "\n".join(lines) + "\n"


def sweep(seeds: Sequence[int], only: Sequence[str] | None = None, cell_timeout: int = 900) -> dict[str, Any]:
    """Run the smoke profile of the selected notebooks once per seed; return the updated table."""
    from course import benchmark

    notebooks = config.notebook_paths(only)
    root = config.build_dir() / "margins"
    collected: dict[str, dict[str, Any]] = {}
    failures: list[str] = []
    for seed in seeds:
        environment = {
            "COURSE_SEED": str(seed),
            "COURSE_RESULTS_DIR": str(root / f"seed-{seed}" / "results"),
            "COURSE_CHECKPOINT_DIR": str(root / f"seed-{seed}" / "checkpoints"),
            "COURSE_RETRAIN": "0",
        }
        for path in notebooks:
            started = time.time()
            result = benchmark.execute_notebook(path, "smoke", root / f"seed-{seed}" / "executed", cell_timeout, environment)
            outcomes_path = root / f"seed-{seed}" / "results" / "smoke" / "outcomes" / f"{path.stem}.json"
            status = "passed" if result.passed else "FAILED"
            print(f"seed {seed}: {path.stem} {status} in {time.time() - started:.0f} s", flush=True)
            if not result.passed:
                failures.append(f"{path.stem} (seed {seed}): {result.error}")
            if not outcomes_path.is_file():
                continue
            for name, outcome in json.loads(outcomes_path.read_text())["outcomes"].items():
                entry = collected.setdefault(path.stem, {}).setdefault(
                    name, {"direction": outcome["direction"], "threshold": outcome["threshold"], "values": {}}
                )
                entry["values"][str(seed)] = outcome["value"]
    TABLE_DIR.mkdir(parents=True, exist_ok=True)
    for notebook, outcomes in collected.items():
        entry = {"measured_at": time.strftime("%Y-%m-%d"), "profile": "smoke", "seeds": [str(s) for s in seeds],
                 "outcomes": outcomes}
        config.write_atomically(TABLE_DIR / f"{notebook}.json", json.dumps(entry, indent=2, sort_keys=True) + "\n")
    if failures:
        print("Some runs failed (their outcomes that were measured are kept):\n  " + "\n  ".join(failures))
    return load_table()


def add_arguments(parser: Any) -> None:
    parser.add_argument("--seeds", nargs="+", type=int, default=[42, 0, 1, 2, 3], help="at least five seeds")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="notebook names or number prefixes")
    parser.add_argument("--cell-timeout", type=int, default=900)


def run_command(arguments: Any) -> int:
    if len(set(arguments.seeds)) < MINIMUM_SEEDS:
        print(f"error: give at least {MINIMUM_SEEDS} different seeds", file=sys.stderr)
        return 2
    table = sweep(arguments.seeds, arguments.only, arguments.cell_timeout)
    config.write_atomically(TABLE_MARKDOWN, render_markdown(table))
    print(f"wrote {TABLE_DIR}/<notebook>.json and {TABLE_MARKDOWN}")
    return 0
