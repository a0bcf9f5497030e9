"""Run the test suite on two workers without breaking the notebooks' order (pytest-xdist).

The README's test command runs under ``pytest -n 2 --dist loadfile`` (``pyproject.toml``): the
unit-test files and the notebooks are shared out between two worker processes, each notebook
whole on one worker (nbval runs its cells in order in one kernel). Two notebooks depend on
others, exactly as in ``course.benchmark.prerequisites``: 03 loads the autoencoder 02 trained,
and 20 compares the rows every other notebook recorded. This scheduler therefore hands a file to
a worker only once the files it needs have ended (or are ending on that same worker), and
otherwise keeps the collection order (no reordering by size).

The repository's ``conftest.py`` installs it through the ``pytest_xdist_make_scheduler`` hook.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any


def file_of(nodeid: str) -> str:
    """The file part of a pytest node id (``notebooks/02_autoencoder.ipynb::Cell 3`` -> the notebook)."""
    return nodeid.split("::", 1)[0]


def file_prerequisites(files: list[str]) -> dict[str, set[str]]:
    """For each collected file, the collected notebook files that must end before it starts."""
    from course.benchmark import prerequisites

    notebooks = {PurePosixPath(name).stem: name for name in files if name.endswith(".ipynb")}
    needs = prerequisites([PurePosixPath(name) for name in notebooks.values()])  # type: ignore[misc]
    return {name: {notebooks[stem] for stem in needs.get(PurePosixPath(name).stem, set())}
            if name.endswith(".ipynb") else set() for name in files}


def make_scheduler(config: Any, log: Any) -> Any:
    """A ``LoadFileScheduling`` that hands out a file only once the files it needs have ended."""
    from xdist.scheduler import LoadFileScheduling

    class PrerequisiteScheduling(LoadFileScheduling):
        """Whole files to workers, in collection order, each once its prerequisites ended.

        An xdist worker holds back the last test it was sent until it gets more work or is told to
        shut down (pytest needs the next item to tear down the last). A file that is still running
        on a worker therefore counts as ended *for that worker*: whatever it is sent next runs after
        it. When every live worker waits on a file another one holds back, one of them is shut
        down, which lets it finish; the others then go on.
        """

        needs: dict[str, set[str]] = {}

        def schedule(self) -> None:
            config.option.loadscopereorder = False  # keep the course's order: 00, 01, ..., 20
            if self.collection is None and self.registered_collections:  # before the first files go out
                collection = next(iter(self.registered_collections.values()))
                self.needs = file_prerequisites(list(dict.fromkeys(file_of(nodeid) for nodeid in collection)))
            super().schedule()

        def _ended_for(self, node: Any, scope: str) -> bool:
            """Whether ``scope`` has ended, or will have by the time ``node`` runs what it is sent next."""
            if scope in self.workqueue:
                return False
            for owner, workload in self.assigned_work.items():
                if scope in workload and owner is not node and not all(workload[scope].values()):
                    return False
            return True

        def _eligible(self, node: Any) -> str | None:
            for scope in self.workqueue:
                if all(self._ended_for(node, needed) for needed in self.needs.get(scope, set())):
                    return scope
            return None

        def _assign_work_unit(self, node: Any) -> None:
            scope = self._eligible(node)
            if scope is not None:  # otherwise nothing may start here yet: the node waits (see _reschedule)
                self._send(node, scope)

        def _send(self, node: Any, scope: str) -> None:
            work_unit = self.workqueue.pop(scope)
            self.assigned_work.setdefault(node, {})[scope] = work_unit
            collection = self.registered_collections[node]
            node.send_runtest_some([collection.index(nodeid) for nodeid, done in work_unit.items() if not done])

        def _reschedule(self, node: Any) -> None:
            if node.shutting_down:
                return
            if not self.workqueue:
                node.shutdown()
                return
            if self._pending_of(self.assigned_work.get(node, {})) > 2:
                return
            scope = self._eligible(node)
            if scope is not None:
                self._send(node, scope)
                return
            live = [each for each in self.nodes if not each.shutting_down]
            stuck = all(self._pending_of(self.assigned_work.get(each, {})) <= 1 and self._eligible(each) is None
                        for each in live)
            holding = [each for each in live if self._pending_of(self.assigned_work.get(each, {})) == 1]
            if stuck and len(live) > 1 and holding:
                holding[0].shutdown()  # it runs the test it held back, then leaves; the rest go on

        def mark_test_complete(self, node: Any, item_index: int, duration: float = 0) -> None:
            nodeid = self.registered_collections[node][item_index]
            self.assigned_work[node][self._split_scope(nodeid)][nodeid] = True
            for each in list(self.assigned_work):  # a file that ended may free a waiting worker
                self._reschedule(each)

    return PrerequisiteScheduling(config, log)
