"""``python -m course <command>``: the one entry point of the instructors' tooling."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from course import benchmark, classroom, margins, reference


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m course",
        description="The course's tooling: run and time the notebooks, slides, handouts, student copies.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run", help="execute the notebooks, time them against the reference job, report")
    benchmark.add_arguments(run_parser)
    commands.add_parser("times", help="the notebooks' reference minutes from the last smoke and class reports")
    reference_parser = commands.add_parser("reference", help="time the reference job on this machine")
    reference_parser.add_argument("--repeats", type=int, default=3, help="runs in fresh interpreters (median)")
    margins_parser = commands.add_parser("margins", help="run smoke under several seeds; write tests/outcome_margins/ (or --thresholds-only)")
    margins.add_arguments(margins_parser)
    classroom.add_arguments(commands)
    arguments = parser.parse_args(argv)
    if arguments.command == "run":
        return benchmark.run_command(arguments)
    if arguments.command == "times":
        print(benchmark.times_table())
        return 0
    if arguments.command == "reference":
        print(reference.measure(arguments.repeats).describe())
        return 0
    if arguments.command == "margins":
        return margins.run_command(arguments)
    return classroom.run_command(arguments)


if __name__ == "__main__":
    sys.exit(main())
