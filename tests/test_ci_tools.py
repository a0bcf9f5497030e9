"""Missing tools: outside CI the tests that need them skip with the install command; in CI the run stops at once."""

import os
import subprocess
import sys

from conftest import REQUIRED_TOOLS, missing_tools
from helpers import config


def run_pytest_without_tools(ci: str):
    environment = {**os.environ, "PATH": "/nonexistent", "CI": ci}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-n", "0", "-p", "no:cacheprovider", "tests/test_ci_tools.py::test_the_install_commands_name_debian_packages"],
        cwd=config.REPOSITORY_ROOT, env=environment, capture_output=True, text=True, timeout=300,
    )


def test_in_ci_a_missing_tool_stops_the_run_before_any_test():
    completed = run_pytest_without_tools("true")
    assert completed.returncode == 3, completed.stdout[-2000:]
    assert "CI needs" in completed.stdout + completed.stderr and "apt-get install chromium" in completed.stdout + completed.stderr


def test_outside_ci_the_run_goes_on():
    completed = run_pytest_without_tools("")
    assert completed.returncode == 0, completed.stdout[-2000:]


def test_the_install_commands_name_debian_packages():
    assert set(REQUIRED_TOOLS) == {"npm", "chromium"}
    assert all(command.startswith("apt-get install ") for command in REQUIRED_TOOLS.values())
    assert isinstance(missing_tools(), dict)
