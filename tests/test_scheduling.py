"""The two-worker scheduler of the test command: whole files, in order, prerequisites first."""

import types

import pytest

from course import scheduling

pytest.importorskip("xdist")


class FakeWorker:
    """An xdist worker as the scheduler sees it: it runs a test only while another one is queued
    behind it (pytest needs the next item to tear down the last), and everything once shut down."""

    def __init__(self, name):
        self.name, self.shutting_down, self.queue, self.sent = name, False, [], []
        self.gateway = types.SimpleNamespace(id=name)

    def send_runtest_some(self, indices):
        self.sent.append(list(indices))
        self.queue.extend(indices)

    def shutdown(self):
        self.shutting_down = True

    def runnable(self):
        return bool(self.queue) and (len(self.queue) >= 2 or self.shutting_down)


COLLECTION = [
    "tests/test_a.py::test_one",
    "tests/test_a.py::test_two",
    "notebooks/02_autoencoder.ipynb::Cell 0",
    "notebooks/02_autoencoder.ipynb::Cell 1",
    "notebooks/03_denoising_autoencoder.ipynb::Cell 0",
    "notebooks/03_denoising_autoencoder.ipynb::Cell 1",
    "notebooks/04_colorization.ipynb::Cell 0",
    "notebooks/04_colorization.ipynb::Cell 1",
    "notebooks/05_siamese_contrastive.ipynb::Cell 0",
    "notebooks/20_which_pretext_task_wins.ipynb::Cell 0",
    "notebooks/20_which_pretext_task_wins.ipynb::Cell 1",
]


def simulate(order_of_turns):
    """Run the scheduler with two fake workers that take turns as ``order_of_turns`` says; return
    the workers and the (worker, item) sequence in which tests ran."""
    config = types.SimpleNamespace(getvalue=lambda name: ["2*popen"], option=types.SimpleNamespace(loadscopereorder=True))
    scheduler = scheduling.make_scheduler(config, None)
    workers = [FakeWorker("gw0"), FakeWorker("gw1")]
    for worker in workers:
        scheduler.add_node(worker)
        scheduler.add_node_collection(worker, COLLECTION)
    scheduler.schedule()
    assert config.option.loadscopereorder is False
    ran = []
    for _ in range(200):
        runnable = [worker for worker in workers if worker.runnable()]
        if not runnable:
            break
        worker = runnable[order_of_turns(len(ran)) % len(runnable)]
        index = worker.queue.pop(0)
        ran.append((worker.name, COLLECTION[index]))
        scheduler.mark_test_complete(worker, index)
    return scheduler, workers, ran


def test_prerequisites_of_files_follow_the_benchmark():
    files = list(dict.fromkeys(scheduling.file_of(nodeid) for nodeid in COLLECTION))
    needs = scheduling.file_prerequisites(files)
    assert needs["tests/test_a.py"] == set()
    assert needs["notebooks/03_denoising_autoencoder.ipynb"] == {"notebooks/02_autoencoder.ipynb"}
    assert needs["notebooks/20_which_pretext_task_wins.ipynb"] == {name for name in files if name.startswith("notebooks/0")}


@pytest.mark.parametrize("turns", [lambda step: 0, lambda step: 1, lambda step: step, lambda step: step // 3])
def test_every_test_runs_once_files_whole_after_their_prerequisites(turns):
    scheduler, workers, ran = simulate(turns)
    assert sorted(nodeid for _, nodeid in ran) == sorted(COLLECTION), "every test runs, once: no deadlock"
    assert scheduler.tests_finished and all(worker.shutting_down for worker in workers)

    files = list(dict.fromkeys(scheduling.file_of(nodeid) for nodeid in COLLECTION))
    runner = {}
    for worker, nodeid in ran:
        assert runner.setdefault(scheduling.file_of(nodeid), worker) == worker, "a file runs whole on one worker"
    position = {nodeid: step for step, (_, nodeid) in enumerate(ran)}
    for name, needed in scheduling.file_prerequisites(files).items():
        first = min(position[nodeid] for nodeid in COLLECTION if scheduling.file_of(nodeid) == name)
        for prerequisite in needed:
            last = max(position[nodeid] for nodeid in COLLECTION if scheduling.file_of(nodeid) == prerequisite)
            assert last < first, f"{name} started before {prerequisite} ended"
    order_on_each = {worker: [scheduling.file_of(nodeid) for name, nodeid in ran if name == worker] for worker in runner.values()}
    for sequence in order_on_each.values():
        kept = list(dict.fromkeys(sequence))
        assert kept == sorted(kept, key=files.index), "each worker keeps the course's order"
