"""The reference job: a short, fixed training run that says how fast this machine is.

Times are only comparable on the same machine, and this project's machines differ by a factor of
about three from one run to the next. ``python -m course run`` therefore times this job first and
reports every notebook's time both in seconds and in *reference seconds*: seconds divided by how
much slower than the reference machine this one ran the job.

The job trains the course's standard encoder with a softmax head (``helpers.models``) on
``REFERENCE_STEPS`` batches of 64 synthetic 28x28 images, after a short warm-up that pays for
graph tracing. Synthetic images cost exactly what MNIST digits cost and need no dataset.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass

#: Batches of the timed part of the job (64 images each).
REFERENCE_STEPS = 400
REFERENCE_BATCH_SIZE = 64

#: The reference machine: this project's 2-core machine on a quiet run, measured once with
#: ``python -m course reference`` (median of three runs; nothing else running).
REFERENCE_MACHINE = {
    "description": "the project's 2-core, 24 GB machine, quiet (measured 2026-12-01)",
    "reference_job_seconds": 10.5,
}


@dataclass(frozen=True)
class MachineSpeed:
    """How this machine ran the reference job, against the reference machine."""

    reference_job_seconds: float
    factor: float  # > 1: this machine is slower than the reference machine

    def to_reference(self, seconds: float) -> float:
        """Seconds on this machine -> seconds on the reference machine."""
        return seconds / self.factor

    def describe(self) -> str:
        if self.factor >= 1.05:
            speed = f"{self.factor:.2f}x slower than"
        elif self.factor <= 0.95:
            speed = f"{1 / self.factor:.2f}x faster than"
        else:
            speed = "as fast as"
        return (
            f"reference job {self.reference_job_seconds:.1f} s here, "
            f"{REFERENCE_MACHINE['reference_job_seconds']:.1f} s on {REFERENCE_MACHINE['description']}: "
            f"this machine is {speed} the reference"
        )


def time_reference_job(steps: int = REFERENCE_STEPS, batch_size: int = REFERENCE_BATCH_SIZE) -> float:
    """Train the standard encoder + head for ``steps`` batches in this process; return seconds."""
    if steps < 1 or batch_size < 1:
        raise ValueError(f"steps and batch_size must be positive, got {steps} and {batch_size}.")
    import numpy as np

    from helpers import config, models

    config.set_seed(0)
    generator = np.random.default_rng(0)
    images = generator.random((steps * batch_size, 28, 28, 1), dtype="float32")
    labels = generator.integers(0, 10, size=len(images))
    model = models.build_classifier(models.build_encoder((28, 28, 1)), num_classes=10)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    warm_up = 5 * batch_size
    model.fit(images[:warm_up], labels[:warm_up], batch_size=batch_size, epochs=1, verbose=0)
    started = time.perf_counter()
    model.fit(images, labels, batch_size=batch_size, epochs=1, shuffle=False, verbose=0)
    return time.perf_counter() - started


def measure(repeats: int = 1) -> MachineSpeed:
    """Time the reference job in a fresh interpreter (like a notebook kernel), ``repeats`` times.

    Returns the median, as a ``MachineSpeed`` against ``REFERENCE_MACHINE``.
    """
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}.")
    times = []
    for _ in range(repeats):
        completed = subprocess.run(
            [sys.executable, "-m", "course.reference", "--json"],
            capture_output=True, text=True, check=False,
        )
        if completed.returncode != 0:
            raise RuntimeError(f"The reference job failed:\n{completed.stderr[-2000:]}")
        times.append(json.loads(completed.stdout.strip().splitlines()[-1])["seconds"])
    seconds = sorted(times)[len(times) // 2]
    return MachineSpeed(seconds, seconds / REFERENCE_MACHINE["reference_job_seconds"])


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m course reference", description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="runs, each in a fresh interpreter (median)")
    parser.add_argument("--json", action="store_true", help="run once in this process, print JSON")
    arguments = parser.parse_args(argv)
    if arguments.json:
        print(json.dumps({"seconds": time_reference_job()}))
        return 0
    speed = measure(arguments.repeats)
    print(speed.describe())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
