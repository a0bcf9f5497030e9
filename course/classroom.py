"""Classroom kit: tidy notebooks, offline slide decks, HTML handouts, student copies.

The instructors' tools (see the README's section for instructors)::

    python -m course tidy                     # strip outputs, set slide metadata (atomic writes)
    python -m course tidy --check             # fail if a notebook needs tidying
    python -m course slides                   # reveal.js decks -> build/slides/
    python -m course handouts --profile class # executed HTML -> build/html/ (reuses fresh executed copies)
    python -m course student                  # solutions stubbed -> build/student/ (keeps edited copies)

Nothing here loses a user's work: ``tidy`` writes through a temporary file and keeps the slide
types an author set; ``student`` never overwrites a copy that differs from what it last wrote (a
student may be working in it) unless ``--force``; ``handouts`` reuses the executed copies of the
benchmark when they are newer than the notebook (``--rerun`` executes again).

Slides and handouts work **offline**: reveal.js, MathJax, require.js and jQuery come from the npm
packages pinned in ``package.json`` and ``package-lock.json`` (installed with ``npm ci`` on first
use, which never rewrites the lock file) and are copied next to the generated pages.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import html
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import nbformat

from helpers import config

SOLUTION_TAG = "solution"
STUDENT_STUB = (
    "# TODO: write your solution to the exercise above here.\n"
    "# (Worked solutions are in the instructor's copy of this notebook.)\n"
    "pass  # placeholder: this cell does nothing until you replace it"
)
MAX_LINES_PER_SLIDE = 22
#: Slide types ``tidy`` never computes: where a cell has one, an author chose it, and it is kept.
AUTHOR_ONLY_SLIDE_TYPES = ("skip", "notes", "fragment")
#: The file in ``build/student/`` that remembers what ``student`` wrote (name -> SHA-256).
STUDENT_MANIFEST = ".written-by-course.json"
MATHJAX_CONFIG = "TeX-AMS_CHTML-full,Safe"

# What the offline pages need, copied from node_modules: (source, destination under vendor/).
VENDOR_FILES = (
    ("reveal.js/dist", "reveal.js/dist"),
    ("reveal.js/plugin", "reveal.js/plugin"),
    ("requirejs/require.js", "require.js"),
    ("jquery/dist/jquery.min.js", "jquery.min.js"),
    ("mathjax/MathJax.js", "mathjax/MathJax.js"),
    (f"mathjax/config/{MATHJAX_CONFIG.split(',')[0]}.js", f"mathjax/config/{MATHJAX_CONFIG.split(',')[0]}.js"),
    ("mathjax/extensions", "mathjax/extensions"),
    ("mathjax/jax/input/TeX", "mathjax/jax/input/TeX"),
    ("mathjax/jax/output/CommonHTML", "mathjax/jax/output/CommonHTML"),
    ("mathjax/jax/element", "mathjax/jax/element"),
    ("mathjax/localization/en", "mathjax/localization/en"),
    ("mathjax/fonts/HTML-CSS/TeX/woff", "mathjax/fonts/HTML-CSS/TeX/woff"),
)


# --------------------------------------------------------------------------- tidy


def slide_types(notebook: nbformat.NotebookNode) -> list[str]:
    """A reveal.js slide type per cell: a slide per ``#``/``##`` section, sub-slides for long parts.

    ``###`` headings start a sub-slide, and so does a cell that would push the
    current (sub-)slide past ``MAX_LINES_PER_SLIDE`` lines.
    """
    types = []
    lines_on_slide = 0
    for cell in notebook.cells:
        first_line = cell.source.lstrip().split("\n", 1)[0] if cell.source.strip() else ""
        num_lines = cell.source.count("\n") + 1
        if cell.cell_type == "markdown" and re.match(r"#{1,2}\s", first_line):
            kind = "slide"
        elif cell.cell_type == "markdown" and first_line.startswith("###"):
            kind = "subslide"
        elif types and lines_on_slide + num_lines > MAX_LINES_PER_SLIDE:
            kind = "subslide"
        else:
            kind = "-" if types else "slide"
        lines_on_slide = num_lines if kind in ("slide", "subslide") else lines_on_slide + num_lines
        types.append(kind)
    return types


def notebook_text(notebook: nbformat.NotebookNode) -> str:
    """The text ``nbformat.write`` would put in a file (it ends with a newline)."""
    text = nbformat.writes(notebook)
    return text if text.endswith("\n") else text + "\n"


def author_slide_type(cell: nbformat.NotebookNode) -> str | None:
    """The slide type an author set on a cell, if any.

    An author marks a choice either with a type ``tidy`` never computes (``skip``, ``notes``,
    ``fragment``) or with ``"author": true`` beside the type in the cell's ``slideshow`` metadata.
    """
    slideshow = cell.metadata.get("slideshow", {})
    kind = slideshow.get("slide_type")
    if kind and (kind in AUTHOR_ONLY_SLIDE_TYPES or slideshow.get("author") is True):
        return kind
    return None


def tidy_notebook(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy without outputs or execution counts, with slide metadata on every cell.

    Slide types an author set (``author_slide_type``) are kept; every other cell gets the
    computed type of ``slide_types``.
    """
    tidy = copy.deepcopy(notebook)
    for cell, kind in zip(tidy.cells, slide_types(tidy), strict=True):
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
            for key in ("execution", "collapsed", "scrolled"):
                cell.metadata.pop(key, None)
        if author_slide_type(cell) is None:
            cell.metadata["slideshow"] = {"slide_type": kind}
    tidy.metadata.pop("widgets", None)
    return tidy


def tidy(paths: Sequence[Path], check: bool = False) -> list[Path]:
    """Tidy notebooks in place (or, with ``check``, only list those that need it).

    Each notebook is written to a temporary file beside it and renamed over the original, so an
    interrupted tidy never leaves a half-written notebook.
    """
    changed = []
    for path in paths:
        original_text = path.read_text(encoding="utf-8")
        tidied = notebook_text(tidy_notebook(nbformat.reads(original_text, as_version=4)))
        if tidied != original_text:
            changed.append(path)
            if not check:
                config.write_atomically(path, tidied)
    return changed


# --------------------------------------------------------------------------- offline assets


def node_modules() -> Path:
    """The npm packages pinned in ``package.json``, installed on first use."""
    directory = config.REPOSITORY_ROOT / "node_modules"
    if all((directory / source).exists() for source, _ in VENDOR_FILES):
        return directory
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError(
            "Slides and handouts need reveal.js and MathJax from npm, and npm is not installed. "
            "Install Node.js (for example `apt-get install npm`), then run `npm ci` in "
            f"{config.REPOSITORY_ROOT}."
        )
    print("Installing reveal.js, MathJax, require.js and jQuery with `npm ci` (once) ...", flush=True)
    # `npm ci` installs exactly what package-lock.json pins and never rewrites it
    subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=config.REPOSITORY_ROOT, check=True)
    return directory


def copy_vendor(target: Path) -> Path:
    """Copy the offline JavaScript and CSS into ``target/vendor``; returns that folder."""
    modules = node_modules()
    vendor = target / "vendor"
    for source, destination in VENDOR_FILES:
        source_path, destination_path = modules / source, vendor / destination
        if destination_path.exists():
            continue
        destination_path.parent.mkdir(parents=True, exist_ok=True)
        if source_path.is_dir():
            shutil.copytree(source_path, destination_path)
        else:
            shutil.copy2(source_path, destination_path)
    return vendor


def make_offline(page: str) -> str:
    """Point the CDN scripts of nbconvert's templates at the local ``vendor/`` copies.

    Raises:
        RuntimeError: a remote script or stylesheet is left (the page would not work offline).
    """
    page = re.sub(r'src="https://[^"]*/require(\.min)?\.js"', 'src="vendor/require.js"', page)
    page = re.sub(r'src="https://[^"]*/jquery(\.min)?\.js"', 'src="vendor/jquery.min.js"', page)
    page = re.sub(
        r'src="https://[^"]*mathjax[^"]*"', f'src="vendor/mathjax/MathJax.js?config={MATHJAX_CONFIG}"', page
    )
    remote = re.findall(r'<(?:script|link)[^>]+(?:src|href)="(https?://[^"]+)"', page)
    if remote:
        raise RuntimeError(f"These resources would need the internet: {remote}")
    return page


def _source_for(path: Path, profile: str | None) -> tuple[nbformat.NotebookNode, str]:
    """The executed copy of the profile if it exists, else the stored notebook."""
    if profile is not None:
        executed = config.build_dir() / "executed" / profile / path.name
        if executed.is_file():
            return nbformat.read(executed, as_version=4), f"executed copy ({profile})"
    return nbformat.read(path, as_version=4), "stored notebook (no outputs)"


def notebook_title(notebook: nbformat.NotebookNode) -> str:
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return "Untitled"


# --------------------------------------------------------------------------- slides


def build_slides(only: Sequence[str] | None = None, profile: str | None = None) -> list[Path]:
    """reveal.js decks, one per notebook, into ``build/slides/`` (offline)."""
    from nbconvert import SlidesExporter

    target = config.build_dir() / "slides"
    target.mkdir(parents=True, exist_ok=True)
    copy_vendor(target)
    exporter = SlidesExporter(
        reveal_url_prefix="vendor/reveal.js",
        reveal_theme="simple",
        reveal_scroll=True,
    )
    written = []
    for path in config.notebook_paths(only):
        notebook, source = _source_for(path, profile)
        notebook = _with_slide_metadata(notebook)
        page, _ = exporter.from_notebook_node(notebook, resources={"metadata": {"name": notebook_title(notebook)}})
        output = target / f"{path.stem}.slides.html"
        config.write_atomically(output, make_offline(page))
        print(f"slides: {output} (from the {source})")
        written.append(output)
    return written


def _with_slide_metadata(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy whose cells all carry slide metadata (the computed type where one is missing)."""
    notebook = copy.deepcopy(notebook)
    for cell, kind in zip(notebook.cells, slide_types(notebook), strict=True):
        cell.metadata.setdefault("slideshow", {"slide_type": kind})
    return notebook


# --------------------------------------------------------------------------- handouts


def _fresh_executed_copy(path: Path, executed: Path) -> bool:
    """Whether an executed copy exists and is newer than the notebook it was made from."""
    return executed.is_file() and executed.stat().st_mtime >= path.stat().st_mtime


def build_handouts(profile: str, only: Sequence[str] | None = None, rerun: bool = False) -> Path:
    """Executed HTML copies of the notebooks plus an index page, into ``build/html/``.

    Reuses the executed copy that ``python -m course run`` left in ``build/executed/<profile>/``
    when it is newer than the notebook; executes the notebook otherwise, or always with ``rerun``.
    """
    from nbconvert import HTMLExporter

    from course import benchmark

    profile = config.get_profile(profile)
    target = config.build_dir() / "html"
    target.mkdir(parents=True, exist_ok=True)
    copy_vendor(target)
    exporter = HTMLExporter(template_name="lab")
    executed_dir = config.build_dir() / "executed" / profile
    entries = []
    failures = []
    for path in config.notebook_paths(only):
        executed = executed_dir / path.name
        if rerun or not _fresh_executed_copy(path, executed):
            print(f"executing {path.name} (profile {profile}) ...", flush=True)
            run = benchmark.execute_notebook(path, profile, executed_dir)
            if not run.passed:
                failures.append(path.stem)
                print(f"  FAILED: {run.error}", flush=True)
        else:
            print(f"reusing {executed} (newer than the notebook; --rerun executes it again)", flush=True)
        notebook = nbformat.read(executed, as_version=4)
        page, _ = exporter.from_notebook_node(notebook, resources={"metadata": {"name": notebook_title(notebook)}})
        config.write_atomically(target / f"{path.stem}.html", make_offline(page))
        entries.append((path.stem, notebook_title(notebook), _description(notebook)))
    items = "\n".join(
        f'<li><a href="{stem}.html">{html.escape(title)}</a><br><small>{html.escape(description)}</small></li>'
        for stem, title, description in entries
    )
    index = target / "index.html"
    config.write_atomically(
        index,
        "<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>Self-supervised learning, hands-on</title>"
        "<style>body{font-family:sans-serif;max-width:46em;margin:2em auto;line-height:1.5}"
        "li{margin:0.6em 0}</style></head><body>\n"
        "<h1>Self-supervised and contrastive learning, hands-on</h1>\n"
        f"<p>Executed notebooks, profile <code>{profile}</code>, in course order.</p>\n"
        f"<ol>\n{items}\n</ol>\n</body></html>\n",
    )
    print(f"handouts: {index}")
    if failures:
        raise RuntimeError(f"These notebooks failed while executing: {', '.join(failures)}")
    return index


def _description(notebook: nbformat.NotebookNode) -> str:
    first = notebook.cells[0].source if notebook.cells else ""
    for paragraph in first.split("\n\n")[1:]:
        if paragraph.strip() and not paragraph.lstrip().startswith("#"):
            return " ".join(paragraph.split())
    return ""


# --------------------------------------------------------------------------- student copies


def student_copy(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The notebook with every cell tagged ``solution`` replaced by a TODO stub."""
    student = tidy_notebook(notebook)
    for cell in student.cells:
        if cell.cell_type == "code" and SOLUTION_TAG in cell.metadata.get("tags", []):
            cell.source = STUDENT_STUB
            cell.metadata["tags"] = [tag for tag in cell.metadata["tags"] if tag != SOLUTION_TAG] + ["exercise"]
    return student


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def build_student_copies(only: Sequence[str] | None = None, force: bool = False) -> tuple[list[Path], list[Path]]:
    """Student copies of the notebooks into ``build/student/``; returns (written, kept).

    A copy that differs from what this command last wrote there (a student may be working in it)
    is kept, and said so, unless ``force``. What was written is remembered in ``STUDENT_MANIFEST``.
    """
    target = config.build_dir() / "student"
    target.mkdir(parents=True, exist_ok=True)
    manifest_path = target / STUDENT_MANIFEST
    try:
        manifest = json.loads(manifest_path.read_text())
    except (OSError, ValueError):
        manifest = {}
    written, kept = [], []
    for path in config.notebook_paths(only):
        notebook = nbformat.read(path, as_version=4)
        student = student_copy(notebook)
        nbformat.validate(student)
        text = notebook_text(student)
        output = target / path.name
        if output.exists() and not force:
            current = _sha256(output.read_text(encoding="utf-8"))
            if current != manifest.get(path.name) and current != _sha256(text):
                kept.append(output)
                print(f"kept: {output} differs from the copy this command wrote (edited?); --force overwrites it")
                continue
        config.write_atomically(output, text)
        manifest[path.name] = _sha256(text)
        replaced = sum(SOLUTION_TAG in c.metadata.get("tags", []) for c in notebook.cells)
        print(f"student copy: {output} ({replaced} solutions replaced)")
        written.append(output)
    config.write_atomically(manifest_path, json.dumps(manifest, indent=2, sort_keys=True))
    if kept:
        print(f"{len(kept)} student copies kept unchanged: {', '.join(p.name for p in kept)}")
    return written, kept


# --------------------------------------------------------------------------- command line


def add_arguments(commands: Any) -> None:
    """The classroom sub-commands of ``python -m course``."""
    tidy_parser = commands.add_parser("tidy", help="strip outputs and set slide metadata in notebooks/")
    tidy_parser.add_argument("--check", action="store_true", help="only report; exit 1 if any needs tidying")
    slides_parser = commands.add_parser("slides", help="build offline reveal.js decks into build/slides/")
    slides_parser.add_argument("--profile", default=None, help="use build/executed/<profile>/ copies when present")
    handouts_parser = commands.add_parser("handouts", help="executed HTML copies + index into build/html/")
    handouts_parser.add_argument("--profile", default=None, help="smoke, class or full (default: COURSE_PROFILE or class)")
    handouts_parser.add_argument("--rerun", action="store_true", help="execute every notebook again, even with a fresh executed copy")
    student_parser = commands.add_parser("student", help="student copies with solutions stubbed into build/student/")
    student_parser.add_argument("--force", action="store_true", help="overwrite student copies that were edited")
    for sub in (tidy_parser, slides_parser, handouts_parser, student_parser):
        sub.add_argument("--only", nargs="+", metavar="NAME", help="notebook names or number prefixes")


def run_command(arguments: Any) -> int:
    try:
        if arguments.command == "tidy":
            changed = tidy(config.notebook_paths(arguments.only), check=arguments.check)
            verb = "need tidying" if arguments.check else "tidied"
            print(f"{len(changed)} notebook(s) {verb}: {', '.join(p.name for p in changed) or 'none'}")
            return 1 if (arguments.check and changed) else 0
        if arguments.command == "slides":
            build_slides(arguments.only, arguments.profile)
        elif arguments.command == "handouts":
            build_handouts(config.get_profile(arguments.profile), arguments.only, arguments.rerun)
        else:
            build_student_copies(arguments.only, force=arguments.force)
    except (ValueError, RuntimeError, subprocess.CalledProcessError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course", description=__doc__.split("\n")[0])
    add_arguments(parser.add_subparsers(dest="command", required=True))
    return run_command(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
