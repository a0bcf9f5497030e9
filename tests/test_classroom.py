"""Classroom kit: tidy notebooks, offline slides opened in a real browser, handouts, student copies.

Nothing here may lose a user's work: tidy writes atomically and keeps author-set slide types,
student copies that were edited are kept, handouts reuse fresh executed copies.
"""

import os
import re
import shutil
import subprocess

import nbformat
import pytest
from nbformat import v4

from conftest import missing_tools
from course import classroom
from helpers import config

CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--virtual-time-budget=8000",
]


def small_notebook(with_solution=True):
    cells = [
        v4.new_markdown_cell("# 01 · Tiny\n\nA tiny notebook.\n\n## What you will learn\n\n- **Count** to two."),
        v4.new_code_cell("x = 1\nprint(x)"),
        v4.new_markdown_cell("### Exercise 1: add\n\n*Add one.*"),
        v4.new_code_cell("y = x + 1\nprint(y)"),
        v4.new_markdown_cell("## Summary\n\nDone."),
        v4.new_code_cell("assert x == 1"),
    ]
    if with_solution:
        cells[3].metadata["tags"] = ["solution"]
    cells[1].outputs = [v4.new_output("stream", text="1\n")]
    cells[1].execution_count = 1
    notebook = v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return notebook


def test_slide_types_follow_the_headings_and_split_long_parts():
    notebook = small_notebook()
    notebook.cells.insert(2, v4.new_code_cell("\n".join(f"line_{i} = {i}" for i in range(30))))
    assert classroom.slide_types(notebook) == ["slide", "-", "subslide", "subslide", "-", "slide", "-"]


def test_tidy_strips_outputs_and_adds_slide_metadata():
    tidy = classroom.tidy_notebook(small_notebook())
    assert all(not cell.get("outputs") and cell.get("execution_count") is None for cell in tidy.cells if cell.cell_type == "code")
    assert all("slide_type" in cell.metadata["slideshow"] for cell in tidy.cells)


def test_tidy_keeps_the_slide_types_an_author_set():
    notebook = small_notebook()
    notebook.cells[1].metadata["slideshow"] = {"slide_type": "skip"}
    notebook.cells[3].metadata["slideshow"] = {"slide_type": "slide", "author": True}
    notebook.cells[5].metadata["slideshow"] = {"slide_type": "subslide"}  # a stale computed type
    tidy = classroom.tidy_notebook(notebook)
    assert tidy.cells[1].metadata["slideshow"] == {"slide_type": "skip"}
    assert tidy.cells[3].metadata["slideshow"] == {"slide_type": "slide", "author": True}
    assert tidy.cells[5].metadata["slideshow"] == {"slide_type": classroom.slide_types(notebook)[5]}


def test_tidy_writes_atomically_and_leaves_no_temporary_file(tmp_path, monkeypatch):
    path = tmp_path / "01_tiny.ipynb"
    nbformat.write(small_notebook(), path)
    original = path.read_text()
    assert classroom.tidy([path]) == [path]
    assert "outputs\": [\n      {" not in path.read_text() and list(tmp_path.iterdir()) == [path]
    assert classroom.tidy([path]) == [], "a tidy notebook stays as it is"
    # a crash while writing leaves the notebook as it was
    nbformat.write(nbformat.reads(original, as_version=4), path)

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(config.Path, "write_text", crash)
    with pytest.raises(OSError, match="disk full"):
        classroom.tidy([path])
    monkeypatch.undo()
    assert path.read_text() == original and list(tmp_path.iterdir()) == [path]


def test_every_course_notebook_is_tidy():
    untidy = classroom.tidy(config.notebook_paths(), check=True)
    assert not untidy, f"run `python -m course tidy` for: {[p.name for p in untidy]}"


def test_student_copies_stub_every_solution(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_BUILD_DIR", str(tmp_path))
    written, kept = classroom.build_student_copies()
    assert kept == []
    assert [p.name for p in written] == [p.name for p in config.notebook_paths()]
    for path in written:
        original = nbformat.read(config.notebooks_dir() / path.name, as_version=4)
        student = nbformat.read(path, as_version=4)
        nbformat.validate(student)
        solutions = [c for c in original.cells if "solution" in c.metadata.get("tags", [])]
        stubs = [c for c in student.cells if c.cell_type == "code" and c.source == classroom.STUDENT_STUB]
        assert len(solutions) >= 2 and len(stubs) == len(solutions), path.name
        solution_sources = {c.source for c in solutions}
        assert not any(c.source in solution_sources for c in student.cells), f"{path.name} leaks a solution"
        assert len(student.cells) == len(original.cells)


def test_student_copies_that_were_edited_are_kept_unless_forced(tmp_path, monkeypatch, capsys):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    nbformat.write(small_notebook(), notebooks / "01_tiny.ipynb")
    nbformat.write(small_notebook(), notebooks / "02_other.ipynb")
    monkeypatch.setattr(config, "notebooks_dir", lambda: notebooks)
    monkeypatch.setenv("COURSE_BUILD_DIR", str(tmp_path / "build"))
    written, kept = classroom.build_student_copies()
    assert len(written) == 2 and kept == []
    student = tmp_path / "build" / "student" / "01_tiny.ipynb"
    edited = student.read_text().replace("pass  # placeholder", "y = x + 1  # my answer")
    student.write_text(edited)
    written, kept = classroom.build_student_copies()
    assert kept == [student] and student.read_text() == edited, "a student's work must never be overwritten"
    assert "kept" in capsys.readouterr().out
    assert [p.name for p in written] == ["02_other.ipynb"], "an untouched copy is refreshed"
    written, kept = classroom.build_student_copies(force=True)
    assert kept == [] and "my answer" not in student.read_text()
    # a copy the tool never wrote (no record of it) is kept too
    (tmp_path / "build" / "student" / classroom.STUDENT_MANIFEST).unlink()
    student.write_text(edited)
    assert classroom.build_student_copies()[1] == [student]


def test_student_stub_is_valid_python_that_does_nothing():
    namespace = {}
    exec(compile(classroom.STUDENT_STUB, "stub", "exec"), namespace)
    assert set(namespace) == {"__builtins__"}


def test_make_offline_rewrites_cdn_links_and_refuses_other_remote_resources():
    page = (
        '<script src="https://cdnjs.cloudflare.com/ajax/libs/require.js/2.1.10/require.min.js"></script>'
        '<script src="https://cdnjs.cloudflare.com/ajax/libs/mathjax/2.7.7/latest.js?config=X"></script>'
    )
    offline = classroom.make_offline(page)
    assert "https://" not in offline and 'src="vendor/require.js"' in offline
    with pytest.raises(RuntimeError, match="internet"):
        classroom.make_offline('<link href="https://example.org/style.css" rel="stylesheet">')


def test_handouts_execute_and_link_notebooks_in_course_order(tmp_path, monkeypatch):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    for name in ("02_second", "01_first"):
        notebook = small_notebook()
        notebook.cells[0].source = notebook.cells[0].source.replace("01 · Tiny", name)
        nbformat.write(notebook, notebooks / f"{name}.ipynb")
    monkeypatch.setattr(config, "notebooks_dir", lambda: notebooks)
    monkeypatch.setenv("COURSE_BUILD_DIR", str(tmp_path / "build"))
    if "npm" in missing_tools():
        pytest.skip("npm is not installed here (apt-get install npm); the handouts need reveal.js and MathJax")
    index = classroom.build_handouts("smoke")
    text = index.read_text()
    assert text.index("01_first.html") < text.index("02_second.html")
    page = (tmp_path / "build" / "html" / "01_first.html").read_text()
    assert not re.search(r'<(script|link)[^>]+(src|href)="https?://', page), "handouts must work offline"
    assert "vendor/mathjax/MathJax.js" in page
    assert (tmp_path / "build" / "html" / "vendor" / "reveal.js").is_dir()
    # a second build reuses the fresh executed copies instead of running the course again
    from course import benchmark

    monkeypatch.setattr(benchmark, "execute_notebook", lambda *a, **k: pytest.fail("should reuse the executed copy"))
    classroom.build_handouts("smoke")
    executed = tmp_path / "build" / "executed" / "smoke" / "01_first.ipynb"
    calls = []
    monkeypatch.setattr(benchmark, "execute_notebook", lambda *a, **k: calls.append(a[0].stem) or benchmark.NotebookRun("x", True, 0.0))
    classroom.build_handouts("smoke", rerun=True)
    assert sorted(calls) == ["01_first", "02_second"]
    os.utime(executed, (1, 1))  # older than its notebook: executed again
    calls.clear()
    classroom.build_handouts("smoke")
    assert calls == ["01_first"]


def test_slide_deck_renders_offline_in_headless_chromium(tmp_path, monkeypatch):
    missing = missing_tools()
    if missing:  # in CI conftest has already stopped the run
        pytest.skip("needs " + ", ".join(f"{tool} ({command})" for tool, command in missing.items()))
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    monkeypatch.setenv("COURSE_BUILD_DIR", str(tmp_path / "build"))
    [deck] = classroom.build_slides(only=["00"])
    notebook = nbformat.read(config.notebook_paths(["00"])[0], as_version=4)
    title = classroom.notebook_title(notebook)
    url = deck.resolve().as_uri()
    dom = subprocess.run(
        [browser, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile-dom'}", "--dump-dom", url],
        capture_output=True, text=True, timeout=120, check=True,
    ).stdout
    # reveal.js (loaded from the local vendor/ copy) marks the visible slide "present"
    present = re.search(r'<section[^>]*class="present"[^>]*>(.*?)</section>', dom, re.S)
    assert present, "reveal.js did not initialise: is vendor/reveal.js reachable offline?"
    assert html_text(title) in html_text(present.group(1)), "the title slide should show the notebook title"
    assert dom.count("<section") > 1, "the deck should have more than one slide"
    screenshot = config.build_dir() / "slides-screenshot.png"
    subprocess.run(
        [browser, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile-shot'}", "--window-size=1280,800",
         f"--screenshot={screenshot}", url],
        capture_output=True, timeout=120, check=True,
    )
    assert screenshot.is_file() and screenshot.stat().st_size > 10_000


def html_text(fragment: str) -> str:
    import html

    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())
