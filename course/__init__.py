"""The instructors' tooling of the course: run and time the notebooks, build slides, handouts and
student copies, and size the asserted outcomes' margins over several seeds.

Students never import this package; notebooks import ``helpers`` only. One entry point::

    python -m course run --profile class        # execute every notebook, time it, report
    python -m course run --profile smoke --offline --only 00 07
    python -m course reference                  # time the reference job on this machine
    python -m course times                      # reference minutes per notebook from the last reports
    python -m course margins --seeds 42 0 1 2 3 # the seed sweep behind tests/outcome_margins.json
    python -m course tidy [--check]             # strip outputs, set slide metadata
    python -m course slides | handouts | student
"""
