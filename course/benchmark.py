"""Run the course: every notebook in a fresh kernel, timed against the reference job.

    python -m course run --profile class            # every notebook
    python -m course run --profile smoke --only 00 05
    python -m course run --profile smoke --offline  # no data folder, no internet: the embedded samples
    python -m course run --profile smoke --offline --jobs 2  # two at a time: a faster check, no timing

It first times the reference job (``course.reference``), then executes each notebook with
``COURSE_PROFILE=<profile>`` in a kernel of *this* interpreter (whatever kernels the user has
installed), and writes the executed copy to ``build/executed/<profile>/``. After every notebook it
rewrites ``build/benchmark-<profile>.md`` and ``.json``: wall time in seconds and in reference
seconds, the budget and whether the notebook kept it, the kernel's peak memory (its own high-water
mark), pass or fail with the error, and the headline metrics the notebook recorded. Whatever one
notebook does (fails, kills its kernel, times out, leaves a corrupt results file), the run records
it and goes on; an interrupted run keeps what it measured. The exit code is 1 when any notebook
failed.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from course import reference
from helpers import config

HEADLINE_MEASURES = ("probe_10", "probe_100", "probe_all", "knn", "recall_at_1", "pair_accuracy")


@dataclass(frozen=True)
class Budget:
    """Time budgets of a profile, in reference seconds (``None``: no budget)."""

    notebook: float | None
    total: float | None
    total_meaning: str


#: The budgets of the tooling issue: ``smoke`` at most 60 reference seconds a notebook and 10
#: reference minutes for the README's whole test command; ``class`` at most 5 reference minutes
#: of wall time a notebook and 45 for the whole course.
BUDGETS: dict[str, Budget] = {
    "smoke": Budget(60.0, 600.0, "the README's whole test command (the notebooks are part of it)"),
    "class": Budget(300.0, 2700.0, "the whole course"),
    "full": Budget(None, None, "none: the full profile is for a GPU"),
}


@dataclass
class NotebookRun:
    """The outcome of executing one notebook."""

    notebook: str
    passed: bool
    wall_seconds: float
    reference_seconds: float | None = None
    within_budget: bool | None = None
    peak_memory_mb: float | None = None
    error: str | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    #: the machine factor its reference seconds were converted with (see ``run``)
    machine_factor: float | None = None


# --------------------------------------------------------------------------- kernels


def kernel_manager() -> Any:
    """A kernel manager whose ``python3`` kernel is this interpreter, whatever kernels are installed."""
    from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager

    class CurrentInterpreter(KernelSpecManager):
        def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
            return KernelSpec(
                argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                display_name=f"Python ({sys.executable})",
                language="python",
                resource_dir=tempfile.gettempdir(),
            )

    # nbclient polls an asynchronous client; a blocking one would hang on a kernel that died
    return AsyncKernelManager(kernel_name="python3", kernel_spec_manager=CurrentInterpreter())


def _kernel_pid(manager: Any) -> int | None:
    provisioner = getattr(manager, "provisioner", None)
    pid = getattr(provisioner, "pid", None)
    return int(pid) if pid else None


def read_high_water_mark_mb(pid: int) -> float | None:
    """Peak resident memory (``VmHWM``) of a live process on Linux, in MB; ``None`` elsewhere."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except (OSError, ValueError, IndexError):
        return None
    return None


_RUSAGE_CODE = (
    "import resource as _r, sys as _s\n"
    "print('COURSE_MAXRSS', _r.getrusage(_r.RUSAGE_SELF).ru_maxrss * (1 if _s.platform == 'darwin' else 1024))"
)


def _kernel_peak_memory_mb(manager: Any, client: Any) -> float | None:
    """The kernel's own high-water mark: ``/proc`` on Linux, else ``getrusage`` run in the kernel."""
    from jupyter_core.utils import run_sync

    try:
        if not run_sync(manager.is_alive)():
            return None  # a dead kernel: its figure is unknown, never 0
    except Exception:
        return None
    pid = _kernel_pid(manager)
    if pid is not None:
        value = read_high_water_mark_mb(pid)
        if value is not None:
            return value
    try:  # portable fallback: ask the kernel (not on Windows, which has no resource module)
        found: list[float] = []

        def hook(message: dict[str, Any]) -> None:
            text = message.get("content", {}).get("text", "")
            if "COURSE_MAXRSS" in text:
                found.append(float(text.split()[-1]) / 2**20)

        run_sync(client.kc.execute_interactive)(_RUSAGE_CODE, output_hook=hook, timeout=30, store_history=False)
        return found[0] if found else None
    except Exception:  # a dead kernel, or no resource module
        return None


# --------------------------------------------------------------------------- one notebook


def _short_error(text: str, limit: int = 1500) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    tail = "\n".join(lines[-12:])
    return tail[-limit:]


def execute_notebook(
    path: Path, profile: str, output_dir: Path, cell_timeout: int = 1800, environment: dict[str, str] | None = None
) -> NotebookRun:
    """Execute one notebook in a fresh kernel of this interpreter; save the executed copy.

    Never raises for what the notebook does: a failing cell, a kernel that dies or does not
    start, a timeout are all recorded in the returned ``NotebookRun``.
    """
    import nbformat
    from jupyter_core.utils import run_sync
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    notebook = nbformat.read(path, as_version=4)
    # the kernel's own environment: this process's is left alone, so notebooks can run side by side
    kernel_environment = {**os.environ, config.PROFILE_VARIABLE: profile, **(environment or {})}
    error: str | None = None
    peak: float | None = None
    started = time.time()
    manager = kernel_manager()
    client = NotebookClient(
        notebook, km=manager, timeout=cell_timeout, resources={"metadata": {"path": str(path.parent)}},
    )
    try:
        with client.setup_kernel(env=kernel_environment):
            try:
                info = client.wait_for_reply(client.kc.kernel_info())
                if info is not None and "language_info" in info.get("content", {}):
                    notebook.metadata["language_info"] = info["content"]["language_info"]
                for index, cell in enumerate(notebook.cells):
                    client.execute_cell(cell, index, execution_count=client.code_cells_executed + 1)
            except CellExecutionError as failure:
                error = _short_error(str(failure))
            except Exception as failure:  # timeouts, a dead kernel, anything else
                error = f"{type(failure).__name__}: {_short_error(str(failure))}"
            finally:
                peak = _kernel_peak_memory_mb(manager, client)
    except Exception as failure:  # the kernel did not start, or failed while shutting down
        error = error or f"{type(failure).__name__}: {_short_error(str(failure))}"
    finally:
        try:  # the client does not own the manager, so it leaves the kernel running
            if manager.has_kernel:
                run_sync(manager.shutdown_kernel)(now=True)
        except Exception:
            pass
    seconds = time.time() - started
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook, output_dir / path.name)
    except Exception as failure:
        error = error or f"could not save the executed copy: {failure}"
    return NotebookRun(path.stem, error is None, seconds, peak_memory_mb=peak, error=error)


# --------------------------------------------------------------------------- report


def headline(metrics: dict[str, float], limit: int = 8) -> str:
    """A compact text of the standard measures a notebook recorded."""
    from helpers.evaluation import split_key

    parts = []
    for key, value in metrics.items():
        method, measure = split_key(key)
        if measure in HEADLINE_MEASURES and not method.endswith(".twin"):
            parts.append(f"{key} {100 * value:.1f}%")
    return ", ".join(parts[:limit]) + (" ..." if len(parts) > limit else "")


def _minutes(seconds: float | None) -> str:
    return "n/a" if seconds is None else f"{seconds / 60:.1f}"


def write_report(
    runs: list[NotebookRun], profile: str, total_seconds: float, timings: Sequence[Timing],
    finished: bool, label: str = "", jobs: int = 1,
) -> tuple[Path, Path]:
    """Write ``build/benchmark-<profile><label>.md`` and ``.json`` (atomically); return both paths.

    The total in reference seconds is the sum of the notebooks' (the reference jobs not counted).
    """
    directory = config.build_dir()
    directory.mkdir(parents=True, exist_ok=True)
    stem = f"benchmark-{profile}{label}"
    json_path, markdown_path = directory / f"{stem}.json", directory / f"{stem}.md"
    budget = BUDGETS[profile]
    measured = [run.reference_seconds for run in runs]
    total_reference = sum(measured) if timings and runs and None not in measured else None  # type: ignore[arg-type]
    factors = sorted(timing.speed.factor for timing in timings)
    payload: dict[str, Any] = {
        "profile": profile,
        "label": label,
        "finished": finished,
        "jobs": jobs,
        "total_seconds": total_seconds,
        "total_reference_seconds": total_reference,
        "reference_job_seconds": timings[0].speed.reference_job_seconds if timings else None,
        "machine_factor": factors[len(factors) // 2] if factors else None,
        "reference_timings": [{"at_seconds": t.at_seconds, "reference_job_seconds": t.speed.reference_job_seconds,
                               "factor": t.speed.factor} for t in timings],
        "reference_machine": reference.REFERENCE_MACHINE,
        "budget": asdict(budget),
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "notebooks": [asdict(run) for run in runs],
    }
    config.write_atomically(json_path, json.dumps(payload, indent=2))
    state = "" if finished else " **The run did not finish: these are the notebooks measured so far.**"
    lines = [
        f"# Benchmark, profile `{profile}`{' (' + label.strip('-') + ')' if label else ''}",
        "",
        f"{sum(r.passed for r in runs)} of {len(runs)} notebooks passed; total wall time "
        f"{total_seconds / 60:.1f} min"
        + (f" = {total_reference / 60:.1f} reference min" if total_reference is not None else "")
        + f". Produced by `python -m course run --profile {profile}{' --offline' if label == '-offline' else ''}"
        + f"{' --jobs ' + str(jobs) if jobs > 1 else ''}`.{state}",
        "",
        (f"Machine: {jobs} notebooks ran side by side (`--jobs {jobs}`), so each one's seconds include time spent "
         "sharing the machine: they are not converted to reference seconds and no budget is checked. Time a run "
         "with one notebook at a time for that." if jobs > 1 else
         _describe_timings(timings) + " A reference second is a second on the reference machine."),
        "",
        f"Budget: {budget.notebook:.0f} reference s per notebook; {budget.total / 60:.0f} reference min for "
        f"{budget.total_meaning}." if budget.notebook else f"Budget: {budget.total_meaning}.",
        "",
        "| notebook | result | wall (s) | reference (s) | budget | peak kernel memory (MB) | headline metrics |",
        "|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        result = "pass" if run.passed else "**FAIL**"
        budget_cell = {True: "within", False: "**over**", None: "-"}[run.within_budget]
        reference_cell = "n/a" if run.reference_seconds is None else f"{run.reference_seconds:.0f}"
        memory = "n/a" if run.peak_memory_mb is None else f"{run.peak_memory_mb:.0f}"
        lines.append(
            f"| {run.notebook} | {result} | {run.wall_seconds:.0f} | {reference_cell} | {budget_cell} | {memory} "
            f"| {headline(run.metrics)} |"
        )
    over = [run.notebook for run in runs if run.within_budget is False]
    if over:
        lines += ["", f"**Over budget:** {', '.join(over)}."]
    if budget.total is not None and total_reference is not None and total_reference > budget.total:
        lines += ["", f"**The run is over its total budget** ({total_reference / 60:.1f} > {budget.total / 60:.0f} reference min)."]
    failures = [run for run in runs if not run.passed]
    if failures:
        lines += ["", "## Failures", ""]
        for run in failures:
            lines += [f"### {run.notebook}", "", "```", run.error or "", "```", ""]
    config.write_atomically(markdown_path, "\n".join(lines) + "\n")
    return markdown_path, json_path


def _describe_timings(timings: Sequence[Timing]) -> str:
    if not timings:
        return "Machine: the reference job was not run."
    text = f"Machine: at the start, {timings[0].speed.describe()}."
    if len(timings) > 1:
        seconds = [timing.speed.reference_job_seconds for timing in timings]
        text += (f" Timed {len(timings)} times during the run (" + ", ".join(f"{s:.1f}" for s in seconds)
                 + " s); each notebook is converted with the mean of the timings just before and after it.")
        if max(seconds) > 1.2 * min(seconds):
            text += f" **The machine's speed changed by a factor of {max(seconds) / min(seconds):.1f} during the run.**"
    return text


def _previous_times(profile: str, label: str) -> dict[str, float]:
    """Reference seconds per notebook from the last report of this profile, for the time estimate."""
    path = config.build_dir() / f"benchmark-{profile}{label}.json"
    try:
        payload = json.loads(path.read_text())
        return {run["notebook"]: run["reference_seconds"] for run in payload["notebooks"] if run.get("reference_seconds")}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


# --------------------------------------------------------------------------- the run


def offline_environment(root: Path) -> dict[str, str]:
    """Variables that hide every dataset: an empty data folder, no keras.datasets, separate outputs."""
    empty = root / "empty-data"
    empty.mkdir(parents=True, exist_ok=True)
    return {
        "COURSE_OFFLINE": "1",
        "COURSE_DATA_DIR": str(empty),
        "KERAS_HOME": str(root / "empty-keras-home"),
        "COURSE_RESULTS_DIR": str(root / "results"),
        "COURSE_CHECKPOINT_DIR": str(root / "checkpoints"),
    }


def run(
    profile: str,
    only: Sequence[str] | None = None,
    cell_timeout: int = 1800,
    offline: bool = False,
    time_reference: bool = True,
    execute: Callable[..., NotebookRun] | None = None,
    fresh: bool = False,
    retime_seconds: float = 600.0,
    jobs: int = 1,
) -> list[NotebookRun]:
    """Execute the selected notebooks in order, writing the report after each one.

    A machine's speed drifts during a long run (this project's machines by up to a factor of two
    within an hour), so the reference job is timed at the start, again after the first notebook
    that ends ``retime_seconds`` or more after the last timing, and after the last notebook; each
    notebook is converted with the mean factor of the timings just before and just after it.

    ``fresh`` trains everything in this run: checkpoints go to an emptied folder of the build
    directory (a later notebook of the run still reuses what an earlier one trained, as in class).

    ``jobs`` above 1 runs that many notebooks side by side (see ``run_side_by_side``): faster on a
    machine with spare capacity, but the times are then not comparable and no budget is checked.
    """
    if not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"jobs must be a whole number of at least 1 (notebooks run at once), got {jobs!r}")
    execute = execute or execute_notebook
    profile = config.get_profile(profile)
    notebooks = config.notebook_paths(only)
    label = "-offline" if offline else ""
    environment = offline_environment(config.build_dir() / "offline") if offline else {}
    if fresh:
        import shutil

        checkpoints = config.build_dir() / f"fresh-checkpoints{label}"
        shutil.rmtree(checkpoints, ignore_errors=True)
        environment = {**environment, "COURSE_CHECKPOINT_DIR": str(checkpoints), "COURSE_RETRAIN": "0"}
    output_dir = config.build_dir() / "executed" / f"{profile}{label}"
    previous = _previous_times(profile, label)
    if jobs > 1:
        return run_side_by_side(notebooks, profile, jobs, execute, cell_timeout, environment, output_dir, label, previous)
    timings: list[Timing] = []

    def time_machine() -> None:
        print("Timing the reference job ...", flush=True)
        try:
            timings.append(Timing(time.time() - started, reference.measure()))
            print("  " + timings[-1].speed.describe(), flush=True)
        except Exception as failure:  # the report says so; notebooks are still timed in seconds
            print(f"  the reference job failed ({failure}); times stay in seconds", flush=True)

    budget = BUDGETS[profile]
    runs: list[NotebookRun] = []
    started = time.time()
    finished = False
    if time_reference:
        time_machine()
    converted = 0  # runs[:converted] have their final reference seconds
    try:
        for number, path in enumerate(notebooks, start=1):
            print(f"[{number}/{len(notebooks)}] {path.name} (profile {profile}{', offline' if offline else ''}) ...", flush=True)
            notebook_started = time.strftime("%Y-%m-%dT%H:%M:%S")
            result = execute(path, profile, output_dir, cell_timeout, environment)
            _attach_metrics(result, path, profile, environment, notebook_started)
            runs.append(result)
            if timings:
                # provisional, with the latest timing; final once the machine is timed again after it
                _convert(runs[converted:], timings[-1].speed.factor, budget)
                last = number == len(notebooks)
                if last or time.time() - started - timings[-1].at_seconds >= retime_seconds:
                    before = timings[-1].speed.factor
                    time_machine()
                    _convert(runs[converted:], (before + timings[-1].speed.factor) / 2, budget)
                    converted = len(runs)
            write_report(runs, profile, time.time() - started, timings, finished=False, label=label)
            remaining = [path.stem for path in notebooks[len(runs):]]
            _print_progress(result, runs, remaining, started, timings[-1].speed if timings else None, budget, previous)
        finished = True
    except KeyboardInterrupt:
        print("Interrupted: the report keeps the notebooks measured so far.", flush=True)
    except Exception:  # a bug of the tooling itself: keep what was measured
        print("The benchmark itself failed:\n" + traceback.format_exc(), flush=True)
    return _final_report(runs, profile, time.time() - started, timings, finished, label, output_dir)


def _final_report(
    runs: list[NotebookRun], profile: str, total_seconds: float, timings: Sequence[Timing], finished: bool,
    label: str, output_dir: Path, jobs: int = 1,
) -> list[NotebookRun]:
    """Write the last report, say where it is; an unfinished run ends with an "(interrupted)" failure."""
    markdown_path, json_path = write_report(runs, profile, total_seconds, timings, finished, label, jobs=jobs)
    print(f"Report: {markdown_path} and {json_path}; executed notebooks in {output_dir}")
    if not finished:
        runs.append(NotebookRun("(interrupted)", False, 0.0, error="the run did not finish"))
    return runs


#: Notebooks that use what another notebook of the run wrote: 03 loads 02's trained autoencoder.
#: Run side by side, a notebook starts only once those of the run it needs have ended.
PREREQUISITES: dict[str, tuple[str, ...]] = {"03_denoising_autoencoder": ("02_autoencoder",)}
#: Notebooks numbered from here on compare the others' recorded rows, so they wait for all of them.
COMPARISON_NOTEBOOKS_FROM = 20


def prerequisites(notebooks: Sequence[Path]) -> dict[str, set[str]]:
    """For each notebook of a run, the notebooks of the same run that must end before it starts."""
    names = [path.stem for path in notebooks]
    needs: dict[str, set[str]] = {}
    for name in names:
        wanted = set(PREREQUISITES.get(name, ()))
        number = name.split("_", 1)[0]
        if number.isdigit() and int(number) >= COMPARISON_NOTEBOOKS_FROM:
            wanted |= {other for other in names if other < name}
        needs[name] = wanted & set(names)
    return needs


def run_side_by_side(
    notebooks: Sequence[Path], profile: str, jobs: int, execute: Callable[..., NotebookRun], cell_timeout: int,
    environment: dict[str, str], output_dir: Path, label: str, previous: dict[str, float],
) -> list[NotebookRun]:
    """Execute ``jobs`` notebooks at a time, each in its own kernel, in order as far as they may.

    A notebook starts once the notebooks of the run it needs (``prerequisites``) have ended, passed
    or not. The notebooks share the machine, so their seconds are not converted to reference
    seconds and no budget is checked; the report says so. It is rewritten after every notebook.
    """
    from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

    budget = BUDGETS[profile]
    needs = prerequisites(notebooks)
    pending = list(notebooks)
    running: dict[Future[NotebookRun], tuple[Path, str]] = {}
    ended: dict[str, NotebookRun] = {}
    started = time.time()
    finished = False

    def in_order() -> list[NotebookRun]:
        return [ended[path.stem] for path in notebooks if path.stem in ended]

    pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="notebook")
    try:
        while pending or running:
            for path in list(pending):
                if len(running) >= jobs:
                    break
                if needs[path.stem] <= set(ended):
                    pending.remove(path)
                    number = notebooks.index(path) + 1
                    print(f"[{number}/{len(notebooks)}] {path.name} (profile {profile}{', offline' if label else ''}, "
                          f"{len(running) + 1} of {jobs} side by side) ...", flush=True)
                    stamp = time.strftime("%Y-%m-%dT%H:%M:%S")
                    running[pool.submit(execute, path, profile, output_dir, cell_timeout, environment)] = (path, stamp)
            done, _ = wait(list(running), return_when=FIRST_COMPLETED)
            for future in done:
                path, stamp = running.pop(future)
                try:
                    result = future.result()
                except Exception as failure:  # the executor itself failed: this notebook's failure
                    result = NotebookRun(path.stem, False, 0.0, error=f"{type(failure).__name__}: {failure}")
                _attach_metrics(result, path, profile, environment, stamp)
                ended[path.stem] = result
                runs = in_order()
                write_report(runs, profile, time.time() - started, [], finished=False, label=label, jobs=jobs)
                print(f"  {path.stem}:", flush=True)
                waiting = [p.stem for p in pending] + [p.stem for p, _ in running.values()]
                _print_progress(result, runs, waiting, started, None, budget, previous, jobs=jobs)
        finished = True
    except KeyboardInterrupt:
        print("Interrupted: the report keeps the notebooks measured so far (running kernels finish their cell).", flush=True)
    except Exception:  # a bug of the tooling itself: keep what was measured
        print("The benchmark itself failed:\n" + traceback.format_exc(), flush=True)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    return _final_report(in_order(), profile, time.time() - started, [], finished, label, output_dir, jobs=jobs)


def _attach_metrics(result: NotebookRun, path: Path, profile: str, environment: dict[str, str], since: str) -> None:
    """Give ``result`` the metrics its notebook recorded in this run (a corrupt file fails it)."""
    from helpers import evaluation

    try:
        with _environment(environment):
            recorded = evaluation.load_record(path.stem, profile)
        if recorded and recorded.get("recorded_at", "") >= since:  # this run's, not older
            result.metrics = recorded["metrics"]
    except Exception as failure:  # a corrupt results file is this notebook's failure, not the run's
        result.passed = False
        result.error = (result.error + "\n" if result.error else "") + f"results unreadable: {failure}"


@dataclass(frozen=True)
class Timing:
    """One timing of the reference job during a run: when (seconds into the run) and how fast."""

    at_seconds: float
    speed: reference.MachineSpeed


def _convert(runs: Sequence[NotebookRun], factor: float, budget: Budget) -> None:
    """Set the reference seconds and the budget verdict of ``runs`` with one machine factor."""
    for run in runs:
        run.machine_factor = factor
        run.reference_seconds = run.wall_seconds / factor
        if budget.notebook is not None:
            run.within_budget = run.reference_seconds <= budget.notebook


class _environment:
    """Set variables for a block (the results of an offline run live elsewhere)."""

    def __init__(self, variables: dict[str, str]):
        self.variables = variables
        self.saved: dict[str, str | None] = {}

    def __enter__(self) -> None:
        self.saved = {key: os.environ.get(key) for key in self.variables}
        os.environ.update(self.variables)

    def __exit__(self, *exc: object) -> None:
        for key, value in self.saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _print_progress(
    result: NotebookRun, runs: list[NotebookRun], remaining: list[str], started: float,
    speed: reference.MachineSpeed | None, budget: Budget, previous: dict[str, float], jobs: int = 1,
) -> None:
    status = "passed" if result.passed else "FAILED"
    memory = "n/a" if result.peak_memory_mb is None else f"{result.peak_memory_mb:.0f} MB"
    line = f"    {status} in {result.wall_seconds:.0f} s"
    if result.reference_seconds is not None:
        line += f" = {result.reference_seconds:.0f} reference s"
        if budget.notebook is not None:
            line += f" (budget {budget.notebook:.0f}{'' if result.within_budget else ', OVER'})"
    done = [run.wall_seconds for run in runs]
    factor = speed.factor if speed else 1.0
    estimate = sum(previous[name] * factor if name in previous else sum(done) / len(done) for name in remaining) / jobs
    line += f"; peak memory {memory}; elapsed {(time.time() - started) / 60:.1f} min"
    if remaining:
        line += f", about {estimate / 60:.1f} min left"
    print(line, flush=True)
    if result.error:
        print("    " + result.error.replace("\n", "\n    "), flush=True)


def times_table(profiles: Sequence[str] = ("smoke", "class")) -> str:
    """A Markdown table of each notebook's reference minutes per profile, from the last reports.

    For the README's notebook map and each notebook's "What you need": ``python -m course times``.
    """
    columns: dict[str, dict[str, float]] = {}
    sources = []
    for profile in profiles:
        path = config.build_dir() / f"benchmark-{profile}.json"
        if not path.is_file():
            continue
        payload = json.loads(path.read_text())
        factor = payload.get("machine_factor")
        sources.append(f"{profile}: {payload.get('finished_at', '?')}, machine factor {factor if factor else 'n/a'}")
        for run in payload["notebooks"]:
            if run.get("reference_seconds") is not None:
                columns.setdefault(run["notebook"], {})[profile] = run["reference_seconds"] / 60
    present = [p for p in profiles if any(p in row for row in columns.values())]
    lines = ["| notebook | " + " | ".join(f"{p} (reference min)" for p in present) + " |", "|---|" + "---|" * len(present)]
    for notebook in sorted(columns):
        lines.append(f"| {notebook} | " + " | ".join(f"{columns[notebook][p]:.1f}" if p in columns[notebook] else "-" for p in present) + " |")
    return "\n".join(lines) + "\n\nFrom " + "; ".join(sources)


def main(argv: Sequence[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m course run",
        description="Execute the course notebooks in a fresh kernel each; report time, memory and metrics.",
    )
    add_arguments(parser)
    return run_command(parser.parse_args(argv))


def add_arguments(parser: Any) -> None:
    parser.add_argument("--profile", default=None, help="smoke, class or full (default: COURSE_PROFILE or class)")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="notebook names or number prefixes, e.g. 00 05")
    parser.add_argument("--cell-timeout", type=int, default=1800, help="seconds per cell (default 1800)")
    parser.add_argument(
        "--offline", action="store_true",
        help="hide every dataset (empty data folder, no keras.datasets): the notebooks run on the embedded samples",
    )
    parser.add_argument("--no-reference", action="store_true", help="skip the reference job (times stay in seconds)")
    parser.add_argument(
        "--jobs", type=int, default=1, metavar="N",
        help="run N notebooks side by side (default 1); faster with spare cores, but times are then not comparable "
             "and no budget is checked (03 waits for 02, 20 for all)",
    )
    parser.add_argument(
        "--fresh", action="store_true",
        help="train everything anew in an empty checkpoint folder (for timing); notebooks of the run still share",
    )


def run_command(arguments: Any) -> int:
    try:
        runs = run(
            config.get_profile(arguments.profile), arguments.only, arguments.cell_timeout,
            offline=arguments.offline, time_reference=not arguments.no_reference and arguments.jobs == 1,
            fresh=arguments.fresh, jobs=arguments.jobs,
        )
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0 if runs and all(run.passed for run in runs) else 1


if __name__ == "__main__":
    raise SystemExit(main())
