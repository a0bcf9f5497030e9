import json

import nbformat
import pytest
from nbformat import v4

from helpers import benchmark, config


def write_notebook(path, source):
    notebook = v4.new_notebook(cells=[v4.new_code_cell(source)])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, path)


def test_list_notebooks_filters_by_prefix_and_rejects_unknown_names():
    every = benchmark.list_notebooks()
    assert every and every[0].name.startswith("00_")
    assert [path.stem for path in benchmark.list_notebooks(["00"])] == [every[0].stem]
    with pytest.raises(ValueError, match="No notebook matches"):
        benchmark.list_notebooks(["99"])


def test_a_failing_notebook_is_reported_and_does_not_stop_the_others(tmp_path, monkeypatch):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    write_notebook(
        notebooks / "01_good.ipynb",
        "import os\nfrom helpers import evaluation\n"
        "assert os.environ['COURSE_PROFILE'] == 'smoke'\n"
        "evaluation.record('01_good', {'toy.probe_10': 0.75}, wall_seconds=1.0)",
    )
    write_notebook(notebooks / "02_bad.ipynb", "raise RuntimeError('broken on purpose')")
    write_notebook(notebooks / "03_after.ipynb", "x = 1")
    monkeypatch.setattr(config, "notebooks_dir", lambda: notebooks)
    monkeypatch.setenv("COURSE_BUILD_DIR", str(tmp_path / "build"))
    monkeypatch.setenv("COURSE_RESULTS_DIR", str(tmp_path / "results"))
    assert benchmark.main(["--profile", "smoke"]) == 1
    report = json.loads((tmp_path / "build" / "benchmark-smoke.json").read_text())
    runs = {run["notebook"]: run for run in report["notebooks"]}
    assert runs["01_good"]["passed"] and runs["01_good"]["metrics"] == {"toy.probe_10": 0.75}
    assert not runs["02_bad"]["passed"] and "broken on purpose" in runs["02_bad"]["error"]
    assert runs["03_after"]["passed"]
    assert all(run["peak_memory_mb"] > 10 for run in report["notebooks"])
    markdown = (tmp_path / "build" / "benchmark-smoke.md").read_text()
    assert "| 01_good | pass |" in markdown and "**FAIL**" in markdown and "toy.probe_10 75.0%" in markdown
    assert (tmp_path / "build" / "executed" / "smoke" / "02_bad.ipynb").is_file()


def test_benchmark_runs_two_real_notebooks_in_the_smoke_profile(tmp_path, monkeypatch):
    """The course's own first and last notebooks, end to end through the benchmark command."""
    monkeypatch.setenv("COURSE_BUILD_DIR", str(tmp_path / "build"))
    monkeypatch.setenv("COURSE_RESULTS_DIR", str(tmp_path / "results"))
    assert benchmark.main(["--profile", "smoke", "--only", "00", "20"]) == 0
    report = json.loads((tmp_path / "build" / "benchmark-smoke.json").read_text())
    runs = {run["notebook"]: run for run in report["notebooks"]}
    assert list(runs) == ["00_setup_and_evaluation", "20_which_pretext_task_wins"]
    assert runs["00_setup_and_evaluation"]["metrics"]["random_init.probe_100"] > 0.5
    assert runs["20_which_pretext_task_wins"]["metrics"]["leaderboard.num_methods"] >= 2
    assert report["total_seconds"] > 0
