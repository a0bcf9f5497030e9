"""Test defaults: the smoke profile, private output folders, quiet TensorFlow, fail-fast CI checks,
and the two-worker scheduler of ``course.scheduling``.

Environment variables set here are inherited by the notebook kernels nbval starts. The tests and
the notebooks they execute write only under one temporary folder per session, never into the
repository's ``build/``, ``results/`` or ``checkpoints/``. The checkpoint folder starts empty, so
every notebook trains anew, and a later notebook may reuse what an earlier one trained in the same
session (``train_or_load``), as it would in class.
"""

import os
import shutil
import tempfile

import pytest

os.environ.setdefault("COURSE_PROFILE", "smoke")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("MPLBACKEND", "Agg")
# One folder for the whole run: pytest-xdist's workers inherit it from the process that made it, so
# a notebook on one worker finds what another worker's notebook wrote (03 loads 02's checkpoint).
_INHERITED = bool(os.environ.get("COURSE_TEST_OUTPUTS"))
_OUTPUTS = os.environ.get("COURSE_TEST_OUTPUTS") or tempfile.mkdtemp(prefix="course-tests-")
os.environ["COURSE_TEST_OUTPUTS"] = _OUTPUTS
for _variable, _folder in (("COURSE_BUILD_DIR", "build"), ("COURSE_RESULTS_DIR", "results"), ("COURSE_CHECKPOINT_DIR", "checkpoints")):
    os.environ[_variable] = os.path.join(_OUTPUTS, _folder)

#: Tools some tests need, with the command that installs each (Debian's packages).
REQUIRED_TOOLS = {"npm": "apt-get install npm", "chromium": "apt-get install chromium"}


def missing_tools() -> dict[str, str]:
    """The required tools that are not on the PATH, with their install commands."""
    found = {"chromium": shutil.which("chromium") or shutil.which("chromium-browser"), "npm": shutil.which("npm")}
    return {tool: command for tool, command in REQUIRED_TOOLS.items() if not found[tool]}


def pytest_sessionstart(session):
    """In CI (``CI=true``) a missing tool fails the run at once, not after the whole suite."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        missing = missing_tools()
        if missing:
            pytest.exit(
                "CI needs " + ", ".join(f"{tool} ({command})" for tool, command in missing.items())
                + "; .ci/run installs them.",
                returncode=3,
            )


def pytest_sessionfinish(session, exitstatus):
    if not _INHERITED:  # only the process that made the folder removes it (workers end before it)
        shutil.rmtree(_OUTPUTS, ignore_errors=True)


def pytest_xdist_make_scheduler(config, log):
    """``--dist loadfile`` (pyproject.toml): whole files per worker, notebooks after their prerequisites."""
    if config.getoption("dist") != "loadfile":
        return None
    from course.scheduling import make_scheduler

    return make_scheduler(config, log)
