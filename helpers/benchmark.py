"""Run the course: execute notebooks in a fresh kernel each, time them, collect their results.

Introduced in notebook 00 (as the way to run every notebook); notebook 20 reads
what it produces.

    python -m helpers.benchmark --profile class            # every notebook
    python -m helpers.benchmark --profile smoke --only 00 05

For each notebook it writes the executed copy to ``build/executed/<profile>/``
and, for the whole run, ``build/benchmark-<profile>.md`` and ``.json``: wall
time, the peak memory of the kernel process, pass or fail (with the error), and
the headline metrics each notebook recorded with ``helpers.evaluation.record``.
A failing notebook does not stop the others; the exit code is 1 when any failed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from helpers import config

HEADLINE_MEASURES = ("probe_10", "probe_100", "probe_all", "knn", "recall_at_1", "pair_accuracy")


@dataclass
class NotebookRun:
    """The outcome of executing one notebook."""

    notebook: str
    passed: bool
    wall_seconds: float
    peak_memory_mb: float
    error: str | None = None
    metrics: dict[str, float] = field(default_factory=dict)


def list_notebooks(only: Sequence[str] | None = None) -> list[Path]:
    """Course notebooks in teaching order; ``only`` filters by name prefix (``05``) or name.

    Raises:
        ValueError: a name in ``only`` matches no notebook.
    """
    notebooks = sorted(config.notebooks_dir().glob("[0-9][0-9]_*.ipynb"))
    if not only:
        return notebooks
    selected = []
    for wanted in only:
        wanted = wanted.removesuffix(".ipynb")
        matches = [path for path in notebooks if path.stem == wanted or path.stem.startswith(f"{wanted}_")]
        if not matches:
            names = ", ".join(path.stem for path in notebooks)
            raise ValueError(f"No notebook matches {wanted!r}. Notebooks: {names}.")
        selected.extend(match for match in matches if match not in selected)
    return sorted(selected)


class _MemoryWatcher:
    """Polls the resident memory of this process's children (the kernel) in a thread."""

    def __init__(self, interval: float = 0.5):
        import psutil

        self._process = psutil.Process()
        self._interval = interval
        self._stop = threading.Event()
        self.peak_bytes = 0
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import psutil

        while not self._stop.is_set():
            total = 0
            for child in self._process.children(recursive=True):
                try:
                    total += child.memory_info().rss
                except psutil.Error:
                    pass
            self.peak_bytes = max(self.peak_bytes, total)
            self._stop.wait(self._interval)

    def __enter__(self) -> _MemoryWatcher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def execute_notebook(path: Path, profile: str, output_dir: Path, cell_timeout: int = 1800) -> NotebookRun:
    """Execute one notebook in a fresh kernel with ``COURSE_PROFILE=profile``; save the executed copy."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    notebook = nbformat.read(path, as_version=4)
    previous = os.environ.get(config.PROFILE_VARIABLE)
    os.environ[config.PROFILE_VARIABLE] = profile  # the kernel inherits the environment
    client = NotebookClient(
        notebook, timeout=cell_timeout, kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    error = None
    started = time.time()
    try:
        with _MemoryWatcher() as watcher:
            try:
                client.execute()
            except CellExecutionError as failure:
                error = _short_error(str(failure))
            except (CellTimeoutError, DeadKernelError) as failure:
                error = f"{type(failure).__name__}: {failure}"
    finally:
        if previous is None:
            os.environ.pop(config.PROFILE_VARIABLE, None)
        else:
            os.environ[config.PROFILE_VARIABLE] = previous
    seconds = time.time() - started
    output_dir.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, output_dir / path.name)
    return NotebookRun(path.stem, error is None, seconds, watcher.peak_bytes / 2**20, error)


def _short_error(text: str, limit: int = 1500) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    tail = "\n".join(lines[-12:])
    return tail[-limit:]


def headline(metrics: dict[str, float]) -> str:
    """A compact text of the standard measures a notebook recorded."""
    parts = []
    for key, value in metrics.items():
        measure = key.rsplit(".", 1)[1]
        if measure in HEADLINE_MEASURES:
            parts.append(f"{key} {100 * value:.1f}%")
    return ", ".join(parts[:8]) + (" ..." if len(parts) > 8 else "")


def write_report(runs: list[NotebookRun], profile: str, total_seconds: float) -> tuple[Path, Path]:
    """Write ``build/benchmark-<profile>.md`` and ``.json``; return both paths."""
    directory = config.build_dir()
    directory.mkdir(parents=True, exist_ok=True)
    json_path = directory / f"benchmark-{profile}.json"
    markdown_path = directory / f"benchmark-{profile}.md"
    payload: dict[str, Any] = {
        "profile": profile,
        "total_seconds": total_seconds,
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "notebooks": [asdict(run) for run in runs],
    }
    json_path.write_text(json.dumps(payload, indent=2))
    lines = [
        f"# Benchmark, profile `{profile}`",
        "",
        f"{sum(r.passed for r in runs)} of {len(runs)} notebooks passed; total wall time "
        f"{total_seconds / 60:.1f} min. Produced by `python -m helpers.benchmark --profile {profile}`.",
        "",
        "| notebook | result | wall time (s) | peak kernel memory (MB) | headline metrics |",
        "|---|---|---|---|---|",
    ]
    for run in runs:
        result = "pass" if run.passed else "**FAIL**"
        lines.append(
            f"| {run.notebook} | {result} | {run.wall_seconds:.0f} | {run.peak_memory_mb:.0f} | {headline(run.metrics)} |"
        )
    failures = [run for run in runs if not run.passed]
    if failures:
        lines += ["", "## Failures", ""]
        for run in failures:
            lines += [f"### {run.notebook}", "", "```", run.error or "", "```", ""]
    markdown_path.write_text("\n".join(lines) + "\n")
    return markdown_path, json_path


def run(profile: str, only: Sequence[str] | None = None, cell_timeout: int = 1800) -> list[NotebookRun]:
    """Execute the selected notebooks in order and write the report. Introduced in notebook 00."""
    from helpers import evaluation

    profile = config.get_profile(profile)
    notebooks = list_notebooks(only)
    output_dir = config.build_dir() / "executed" / profile
    runs = []
    started = time.time()
    for number, path in enumerate(notebooks, start=1):
        print(f"[{number}/{len(notebooks)}] {path.name} (profile {profile}) ...", flush=True)
        notebook_started = time.strftime("%Y-%m-%dT%H:%M:%S")
        result = execute_notebook(path, profile, output_dir, cell_timeout)
        recorded = evaluation.load_results(profile).get(path.stem)
        if recorded and recorded.get("recorded_at", "") >= notebook_started:  # this run's, not older
            result.metrics = recorded["metrics"]
        status = "passed" if result.passed else "FAILED"
        print(
            f"    {status} in {result.wall_seconds:.0f} s, peak memory {result.peak_memory_mb:.0f} MB"
            f"; elapsed {(time.time() - started) / 60:.1f} min",
            flush=True,
        )
        if result.error:
            print("    " + result.error.replace("\n", "\n    "), flush=True)
        runs.append(result)
    markdown_path, json_path = write_report(runs, profile, time.time() - started)
    print(f"Report: {markdown_path} and {json_path}; executed notebooks in {output_dir}")
    return runs


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m helpers.benchmark",
        description="Execute the course notebooks in a fresh kernel each and report time, memory and metrics.",
    )
    parser.add_argument("--profile", default=None, help="smoke, class or full (default: COURSE_PROFILE or class)")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="notebook names or number prefixes, e.g. 00 05")
    parser.add_argument("--cell-timeout", type=int, default=1800, help="seconds per cell (default 1800)")
    arguments = parser.parse_args(argv)
    try:
        runs = run(config.get_profile(arguments.profile), arguments.only, arguments.cell_timeout)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0 if all(run.passed for run in runs) else 1


if __name__ == "__main__":
    raise SystemExit(main())
