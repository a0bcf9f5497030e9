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
least five seeds, and sits beyond the worst seed with room to spare, and that the notebook's code
is still the code that was measured (``code_fingerprint``: thresholds, prose and the ``class`` and
``full`` columns of the settings table may change).

    python -m course margins --thresholds-only --only 07   # after choosing thresholds from the values

rewrites the thresholds of a table from its notebook without running anything, and refuses when
the notebook's code has changed since the values were measured.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
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


_WHY = re.compile(r'\bwhy\s*=\s*f?"(?:[^"\\\n]|\\.)*"')
_THRESHOLD = re.compile(r"\b(above|below)\s*=\s*[-+]?[0-9][0-9_]*(\.[0-9_]*)?([eE][-+]?[0-9]+)?")


def _without_magics(source: str) -> str:
    """A code cell's source with IPython's ``%`` and ``!`` lines commented out, so it parses."""
    return "\n".join("#" + line if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())


def _blank_other_profiles(source: str) -> str:
    """``source`` with the ``class`` and ``full`` columns of its ``profile_settings({...})`` tables blanked.

    Margins are measured in the ``smoke`` profile, which never reads the other columns, so a
    change there (a shorter class run, say) does not change what was measured.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source
    offsets = [0]
    for line in source.splitlines(keepends=True):
        offsets.append(offsets[-1] + len(line))
    spans = []
    for node in ast.walk(tree):
        name = getattr(node, "func", None)
        name = getattr(name, "attr", getattr(name, "id", "")) if name is not None else ""
        if isinstance(node, ast.Call) and name == "profile_settings" and node.args and isinstance(node.args[0], ast.Dict):
            for key, value in zip(node.args[0].keys, node.args[0].values, strict=True):
                if isinstance(key, ast.Constant) and key.value in ("class", "full"):
                    start = offsets[value.lineno - 1] + value.col_offset
                    stop = offsets[value.end_lineno - 1] + value.end_col_offset
                    spans.append((start, stop))
    for start, stop in sorted(spans, reverse=True):
        source = source[:start] + "?" + source[stop:]
    return source


def code_fingerprint(path: Path) -> str:
    """A hash of a notebook's smoke-run code: thresholds, directions, ``why`` and other profiles blanked.

    Blanked are the outcomes' thresholds, directions and ``why`` strings and the ``class`` and
    ``full`` columns of ``profile_settings`` tables. Two notebooks with the same fingerprint compute
    the same smoke values, so a table measured on one holds for the other whatever thresholds,
    other-profile settings, Markdown or outputs they have.
    """
    import nbformat

    cells = nbformat.read(path, as_version=4).cells
    sources = (_blank_other_profiles(_without_magics(cell.source)) for cell in cells if cell.cell_type == "code")
    code = "\n# --- cell ---\n".join(sources)
    blanked = _WHY.sub("why=?", _THRESHOLD.sub("threshold=?", code))
    return hashlib.sha256(blanked.encode()).hexdigest()[:16]


def asserted_outcomes(path: Path) -> dict[str, tuple[str, float]]:
    """``{name: (direction, threshold)}`` of the ``outcomes.expect(...)`` calls of a notebook."""
    import nbformat

    found: dict[str, tuple[str, float]] = {}
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type != "code":
            continue
        source = _without_magics(cell.source)
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "expect" and node.args:
                keywords = {k.arg: ast.literal_eval(k.value) for k in node.keywords if k.arg in ("above", "below")}
                if not keywords:
                    raise ValueError(f"{path.name}: outcome {ast.unparse(node.args[0])} needs above= or below= with a literal number.")
                direction = "above" if "above" in keywords else "below"
                found[ast.literal_eval(node.args[0])] = (direction, float(keywords[direction]))
    return found


def rethreshold(only: Sequence[str] | None = None) -> list[str]:
    """Copy each notebook's current thresholds into its table, keeping the measured values.

    Raises ``ValueError`` when a notebook's code changed since it was measured, or when it asserts
    an outcome the table has no values for: then the values must be measured again.
    """
    updated = []
    for path in config.notebook_paths(only):
        table_path = TABLE_DIR / f"{path.stem}.json"
        if not table_path.is_file():
            raise ValueError(f"{path.name} has no table yet: run `python -m course margins --only {path.stem[:2]}`.")
        entry = json.loads(table_path.read_text())
        if entry.get("code") != code_fingerprint(path):
            raise ValueError(f"{path.name}: its code changed since its values were measured; run `python -m course margins --only {path.stem[:2]}`.")
        outcomes = asserted_outcomes(path)
        if set(outcomes) != set(entry["outcomes"]):
            raise ValueError(f"{path.name} asserts {sorted(outcomes)}, the table measured {sorted(entry['outcomes'])}; measure again.")
        for name, (direction, threshold) in outcomes.items():
            entry["outcomes"][name].update(direction=direction, threshold=threshold)
        config.write_atomically(table_path, json.dumps(entry, indent=2, sort_keys=True) + "\n")
        updated.append(path.stem)
    return updated


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
    fingerprints = {path.stem: code_fingerprint(path) for path in notebooks}
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
                 "code": fingerprints[notebook], "outcomes": outcomes}
        config.write_atomically(TABLE_DIR / f"{notebook}.json", json.dumps(entry, indent=2, sort_keys=True) + "\n")
    if failures:
        print("Some runs failed (their outcomes that were measured are kept):\n  " + "\n  ".join(failures))
    return load_table()


def add_arguments(parser: Any) -> None:
    parser.add_argument("--seeds", nargs="+", type=int, default=[42, 0, 1, 2, 3], help="at least five seeds")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="notebook names or number prefixes")
    parser.add_argument("--cell-timeout", type=int, default=900)
    parser.add_argument("--thresholds-only", action="store_true",
                        help="copy the notebooks' thresholds into their tables without running (code unchanged)")


def run_command(arguments: Any) -> int:
    if arguments.thresholds_only:
        try:
            updated = rethreshold(arguments.only)
        except ValueError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        config.write_atomically(TABLE_MARKDOWN, render_markdown(load_table()))
        print(f"thresholds copied for {', '.join(updated)}; wrote {TABLE_MARKDOWN}")
        return 0
    if len(set(arguments.seeds)) < MINIMUM_SEEDS:
        print(f"error: give at least {MINIMUM_SEEDS} different seeds", file=sys.stderr)
        return 2
    table = sweep(arguments.seeds, arguments.only, arguments.cell_timeout)
    config.write_atomically(TABLE_MARKDOWN, render_markdown(table))
    print(f"wrote {TABLE_DIR}/<notebook>.json and {TABLE_MARKDOWN}")
    return 0
