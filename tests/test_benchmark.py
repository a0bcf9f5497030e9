"""The benchmark: honest memory and time figures, and a run that survives anything a notebook does."""

import json

import nbformat
import pytest
from nbformat import v4

from course import benchmark, reference
from helpers import config


def write_notebook(path, *sources):
    notebook = v4.new_notebook(cells=[v4.new_code_cell(source) for source in sources])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, path)


@pytest.fixture
def course_dirs(tmp_path, monkeypatch):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    monkeypatch.setattr(config, "notebooks_dir", lambda: notebooks)
    monkeypatch.setenv("COURSE_BUILD_DIR", str(tmp_path / "build"))
    monkeypatch.setenv("COURSE_RESULTS_DIR", str(tmp_path / "results"))
    return notebooks


def report(tmp_path, profile="smoke", label=""):
    return json.loads((tmp_path / "build" / f"benchmark-{profile}{label}.json").read_text())


def test_list_notebooks_filters_by_prefix_and_rejects_unknown_names():
    every = config.notebook_paths()
    assert every and every[0].name.startswith("00_")
    assert [path.stem for path in config.notebook_paths(["00"])] == [every[0].stem]
    with pytest.raises(ValueError, match="No notebook matches"):
        config.notebook_paths(["99"])


def test_peak_memory_is_the_kernels_own_high_water_mark(tmp_path, course_dirs):
    # 300 MB allocated and freed before the end: a sampling watcher could miss it, VmHWM cannot
    write_notebook(course_dirs / "01_big.ipynb", "import numpy as np\nblock = np.ones(300 * 2**20 // 8)\ndel block")
    [run] = benchmark.run("smoke", time_reference=False)
    assert run.passed and run.peak_memory_mb is not None and run.peak_memory_mb >= 300


def test_failures_dead_kernels_and_corrupt_results_are_recorded_and_the_run_goes_on(tmp_path, course_dirs):
    write_notebook(
        course_dirs / "01_good.ipynb",
        "import os\nfrom helpers import evaluation\nassert os.environ['COURSE_PROFILE'] == 'smoke'\n"
        "evaluation.record('01_good', {'toy.probe_10': 0.75}, wall_seconds=1.0)",
    )
    write_notebook(course_dirs / "02_bad.ipynb", "raise RuntimeError('broken on purpose')")
    write_notebook(course_dirs / "03_dies.ipynb", "import os\nos._exit(1)")
    write_notebook(
        course_dirs / "04_corrupt.ipynb",
        "from helpers import config\np = config.results_dir() / '04_corrupt.json'\np.parent.mkdir(parents=True, exist_ok=True)\n"
        "p.write_text('{not json')",
    )
    write_notebook(course_dirs / "05_after.ipynb", "x = 1")
    assert benchmark.main(["--profile", "smoke", "--no-reference"]) == 1
    runs = {run["notebook"]: run for run in report(tmp_path)["notebooks"]}
    assert runs["01_good"]["passed"] and runs["01_good"]["metrics"] == {"toy.probe_10": 0.75}
    assert not runs["02_bad"]["passed"] and "broken on purpose" in runs["02_bad"]["error"]
    assert not runs["03_dies"]["passed"] and "Dead" in runs["03_dies"]["error"]
    assert runs["03_dies"]["peak_memory_mb"] is None, "an unmeasured figure is None, never 0"
    assert not runs["04_corrupt"]["passed"] and "results unreadable" in runs["04_corrupt"]["error"]
    assert runs["05_after"]["passed"]
    markdown = (tmp_path / "build" / "benchmark-smoke.md").read_text()
    assert "| 01_good | pass |" in markdown and "**FAIL**" in markdown and "toy.probe_10 75.0%" in markdown
    assert "| n/a |" in markdown
    assert (tmp_path / "build" / "executed" / "smoke" / "02_bad.ipynb").is_file()


def test_an_interrupted_run_keeps_what_it_measured(tmp_path, course_dirs):
    for name in ("01_first", "02_second", "03_third"):
        write_notebook(course_dirs / f"{name}.ipynb", "x = 1")
    calls = []

    def execute(path, *arguments):
        calls.append(path.stem)
        if path.stem == "02_second":
            raise KeyboardInterrupt
        return benchmark.NotebookRun(path.stem, True, 1.0)

    runs = benchmark.run("smoke", time_reference=False, execute=execute)
    assert calls == ["01_first", "02_second"] and not runs[-1].passed
    stored = report(tmp_path)
    assert not stored["finished"] and [run["notebook"] for run in stored["notebooks"]] == ["01_first"]
    assert "did not finish" in (tmp_path / "build" / "benchmark-smoke.md").read_text()


def test_times_are_reported_in_reference_seconds_against_the_budget(tmp_path, course_dirs, monkeypatch):
    write_notebook(course_dirs / "01_quick.ipynb", "x = 1")
    write_notebook(course_dirs / "02_slow.ipynb", "x = 2")
    slower = reference.MachineSpeed(reference.REFERENCE_MACHINE["reference_job_seconds"] * 2, 2.0)
    monkeypatch.setattr(reference, "measure", lambda repeats=1: slower)
    seconds = {"01_quick": 30.0, "02_slow": 150.0}

    def execute(path, *arguments):
        return benchmark.NotebookRun(path.stem, True, seconds[path.stem])

    runs = benchmark.run("smoke", execute=execute)
    assert [run.reference_seconds for run in runs] == [15.0, 75.0]
    assert [run.within_budget for run in runs] == [True, False]
    markdown = (tmp_path / "build" / "benchmark-smoke.md").read_text()
    assert "2.00x slower than the reference" in markdown and "**Over budget:** 02_slow" in markdown
    assert report(tmp_path)["machine_factor"] == 2.0
    table = benchmark.times_table()
    assert "| 01_quick | 0.2 |" in table and "| 02_slow | 1.2 |" in table


def test_a_machine_that_changes_speed_is_timed_again_and_each_notebook_converted_with_its_own_timings(
    tmp_path, course_dirs, monkeypatch
):
    for name in ("01_a", "02_b", "03_c"):
        write_notebook(course_dirs / f"{name}.ipynb", "x = 1")
    reference_seconds = reference.REFERENCE_MACHINE["reference_job_seconds"]
    factors = iter([1.0, 2.0, 2.0, 3.0])  # the machine slows down during the run
    monkeypatch.setattr(reference, "measure", lambda repeats=1: (lambda f: reference.MachineSpeed(reference_seconds * f, f))(next(factors)))

    def execute(path, *arguments):
        return benchmark.NotebookRun(path.stem, True, 60.0)

    # timed at the start, then after every notebook (retime_seconds=0); 03_c is the last one
    runs = benchmark.run("smoke", execute=execute, retime_seconds=0)
    assert [run.machine_factor for run in runs] == [1.5, 2.0, 2.5]
    assert [run.reference_seconds for run in runs] == [40.0, 30.0, 24.0]
    stored = report(tmp_path)
    assert [timing["factor"] for timing in stored["reference_timings"]] == [1.0, 2.0, 2.0, 3.0]
    assert stored["total_reference_seconds"] == 94.0
    markdown = (tmp_path / "build" / "benchmark-smoke.md").read_text()
    assert "Timed 4 times during the run" in markdown and "changed by a factor of 3.0" in markdown


def test_offline_runs_hide_every_dataset(tmp_path, course_dirs):
    write_notebook(
        course_dirs / "01_offline.ipynb",
        "import os\nfrom helpers import config, data\nassert os.environ['COURSE_OFFLINE'] == '1'\n"
        "assert not any(config.data_dir().iterdir())\n"
        "(x, y), _ = data.load_dataset('mnist')\nassert len(x) == 4000, len(x)",
    )
    [run] = benchmark.run("smoke", time_reference=False, offline=True)
    assert run.passed, run.error
    assert (tmp_path / "build" / "benchmark-smoke-offline.json").is_file()


def test_kernels_run_in_this_interpreter_whatever_is_installed():
    import sys

    spec = benchmark.kernel_manager().kernel_spec
    assert spec.argv[0] == sys.executable


def test_reference_job_rejects_bad_sizes():
    with pytest.raises(ValueError, match="positive"):
        reference.time_reference_job(steps=0)
    assert reference.MachineSpeed(21.0, 2.0).to_reference(100.0) == 50.0


def test_side_by_side_runs_respect_prerequisites_and_check_no_budget(tmp_path, course_dirs):
    import threading

    names = ["00_a", "02_autoencoder", "03_denoising_autoencoder", "04_b", "05_c", "20_compare"]
    for name in names:
        write_notebook(course_dirs / f"{name}.ipynb", "x = 1")
    lock, events, active, most = threading.Lock(), [], [0], [0]

    def execute(path, *arguments):
        with lock:
            events.append(("start", path.stem))
            active[0] += 1
            most[0] = max(most[0], active[0])
        threading.Event().wait(0.2 if path.stem == "02_autoencoder" else 0.05)
        with lock:
            events.append(("end", path.stem))
            active[0] -= 1
        return benchmark.NotebookRun(path.stem, path.stem != "04_b", 0.1)

    runs = benchmark.run("smoke", execute=execute, jobs=2)
    assert [run.notebook for run in runs] == names, "the report keeps the course's order"
    assert most[0] == 2, "two notebooks ran at once"
    position = {event: index for index, event in enumerate(events)}
    assert position[("end", "02_autoencoder")] < position[("start", "03_denoising_autoencoder")]
    assert all(position[("end", name)] < position[("start", "20_compare")] for name in names[:-1])
    assert all(run.reference_seconds is None and run.within_budget is None for run in runs)
    stored = report(tmp_path)
    assert stored["jobs"] == 2 and stored["finished"] and stored["reference_job_seconds"] is None
    markdown = (tmp_path / "build" / "benchmark-smoke.md").read_text()
    assert "side by side" in markdown and "no budget is checked" in markdown and "**FAIL**" in markdown
    assert benchmark.prerequisites([course_dirs / f"{name}.ipynb" for name in ("04_b", "20_compare")]) == {
        "04_b": set(), "20_compare": {"04_b"}}
    with pytest.raises(ValueError, match="jobs must be"):
        benchmark.run("smoke", execute=execute, jobs=0)


def test_side_by_side_kernels_get_their_own_environment(tmp_path, course_dirs):
    import os

    for name in ("01_one", "02_two"):
        write_notebook(course_dirs / f"{name}.ipynb", "import os\nassert os.environ['COURSE_PROFILE'] == 'smoke'")
    before = os.environ.get(config.PROFILE_VARIABLE)
    runs = benchmark.run("smoke", jobs=2, offline=True)
    assert all(run.passed for run in runs), [run.error for run in runs]
    assert os.environ.get(config.PROFILE_VARIABLE) == before, "the run leaves this process's environment alone"
