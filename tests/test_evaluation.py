"""The evaluation protocol: split, validation-chosen probe, draws, twins, rows, caches, outcomes."""

import json

import keras
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, PredefinedSplit
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from helpers import checkpoints, config, data, evaluation, models


def blobs(num_per_class=40, num_classes=3, dim=5, seed=0, spread=1.0):
    generator = np.random.default_rng(seed)
    centres = generator.normal(0, 3, (num_classes, dim))
    labels = np.repeat(np.arange(num_classes), num_per_class)
    features = centres[labels] + spread * generator.normal(size=(len(labels), dim))
    return features, labels


def fake_images(n, seed=0, shape=(28, 28)):
    """Ten easy classes of synthetic digits: a bright band whose position is the label."""
    generator = np.random.default_rng(seed)
    labels = np.arange(n) % 10
    images = generator.integers(0, 40, (n, *shape), dtype=np.uint8)
    for i, label in enumerate(labels):
        images[i, 2 * label : 2 * label + 4] = 250
    return images, labels.astype(np.uint8)


def small_split(seed=0, source="synthetic", settings=None, n_train=3_000, n_test=600):
    x_train, y_train = fake_images(n_train, seed)
    x_test, y_test = fake_images(n_test, seed + 1)
    return evaluation.make_split(
        "mnist", source, x_train, y_train, x_test, y_test, [str(d) for d in range(10)],
        profile="smoke", prepare=data.to_float_images,
        settings=settings or {"probe_per_class": 30, "validation_size": 200, "test_size": 300, "draws": 3},
    )


# --------------------------------------------------------------------------- the split


def test_split_parts_are_disjoint_balanced_and_deterministic():
    x_train, y_train = fake_images(3_000)
    x_test, y_test = fake_images(600, 1)
    arguments = ("mnist", "synthetic", x_train, y_train, x_test, y_test, [str(d) for d in range(10)])
    settings = {"probe_per_class": 30, "validation_size": 200, "test_size": 300, "draws": 3}
    first = evaluation.make_split(*arguments, profile="smoke", settings=settings)
    second = evaluation.make_split(*arguments, profile="smoke", settings=settings)
    assert first.fingerprint == second.fingerprint
    np.testing.assert_array_equal(first.x_probe, second.x_probe)
    assert np.all(np.bincount(first.y_probe) == 30)
    assert len(first.x_val) == 200 and len(first.x_test) == 300
    pool = set(first._pretraining_index.tolist())
    validation_index = set(range(3_000)) - pool
    assert len(validation_index) == 200, "validation images are exactly those outside the pretraining pool"
    probe_rows = {row.tobytes() for row in first.x_probe}
    assert not probe_rows & {row.tobytes() for row in first.x_val}, "probe pool and validation overlap"
    # the probe pool lies inside the pretraining pool (images without labels): the usual SSL setting
    pretraining = {row.tobytes() for row in first.pretraining_data()}
    assert probe_rows <= pretraining and not {row.tobytes() for row in first.x_val} & pretraining
    images, labels = first.pretraining_data(50, with_labels=True)
    assert images.shape == (50, 28, 28) and labels.shape == (50,)  # no prepare: stored arrays
    with pytest.raises(ValueError, match="holds"):
        first.pretraining_data(10**6)
    assert len(first.pretraining_data(10**6, allow_fewer=True)) == first.pretraining_size


def test_fingerprint_changes_with_the_data_source_and_the_data():
    real = small_split(seed=0)
    sample = small_split(seed=5)  # other pixels, as the embedded sample would have
    assert real.fingerprint != sample.fingerprint
    assert small_split(seed=0, settings={"probe_per_class": 20, "validation_size": 200, "test_size": 300, "draws": 3}).fingerprint != real.fingerprint


def test_split_without_labels_has_an_unlabelled_probe_pool():
    x_train, _ = fake_images(500)
    x_test, _ = fake_images(100, 1)
    split = evaluation.make_split("cifar10", "patches", x_train, None, x_test, None, list("abcdefghij"), profile="smoke")
    assert not split.has_labels and split.y_probe is None and len(split.x_probe) > 0
    with pytest.raises(ValueError, match="no class labels"):
        evaluation.evaluate_representation("x", lambda a: a.reshape(len(a), -1), split)
    with pytest.raises(ValueError, match="no labels"):
        split.pretraining_data(10, with_labels=True)


def test_evaluation_split_of_a_data_folder_is_cached_per_kernel(tmp_path, monkeypatch):
    x_train, y_train = fake_images(3_000)
    x_test, y_test = fake_images(600, 1)
    np.savez(tmp_path / "mnist.npz", x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    split = evaluation.evaluation_split("mnist", profile="smoke")
    assert split is evaluation.evaluation_split("mnist", profile="smoke")
    assert split.source.endswith("mnist.npz") and not split.is_sample
    assert np.all(np.bincount(split.y_probe) == 120) and split.x_probe.dtype == np.float32


# --------------------------------------------------------------------------- the probe


def test_validation_chosen_strength_equals_a_scikit_learn_grid_search():
    train_x, train_y = blobs(num_per_class=30, num_classes=4, dim=12, seed=1, spread=3.5)
    val_x, val_y = blobs(num_per_class=40, num_classes=4, dim=12, seed=1, spread=3.5)
    val_x += np.random.default_rng(9).normal(0, 1.0, val_x.shape)
    fitted = evaluation.fit_probe(train_x, train_y, val_x, val_y)
    search = GridSearchCV(
        make_pipeline(StandardScaler(), LogisticRegression(max_iter=evaluation.PROBE_MAX_ITER)),
        {"logisticregression__C": sorted(evaluation.PROBE_STRENGTHS)},
        cv=PredefinedSplit(np.r_[-np.ones(len(train_x)), np.zeros(len(val_x))]),
        refit=False,
    ).fit(np.r_[train_x, val_x], np.r_[train_y, val_y])
    assert fitted.strength == search.best_params_["logisticregression__C"]
    assert fitted.validation_accuracy == pytest.approx(search.best_score_)


def test_probe_reports_mean_and_spread_over_the_same_draws_for_everyone():
    train_x, train_y = blobs(num_per_class=60, num_classes=3, seed=1, spread=4.0)
    val_x, val_y = blobs(num_per_class=30, num_classes=3, seed=2, spread=4.0)
    test_x, test_y = blobs(num_per_class=30, num_classes=3, seed=3, spread=4.0)
    results = evaluation.probe(train_x, train_y, val_x, val_y, test_x, test_y, label_counts=(5, None), draws=4)
    few = results["probe_5"]
    assert len(few.test_accuracies) == 4 and len(results["probe_all"].test_accuracies) == 1
    assert few.mean == pytest.approx(np.mean(few.test_accuracies))
    assert few.std == pytest.approx(np.std(few.test_accuracies, ddof=1))
    # draw d is the class-balanced subset of seed d, refitted with its validation-chosen strength
    for draw, accuracy in enumerate(few.test_accuracies):
        index = data.few_labels(train_y, 5, seed=draw)
        chosen = evaluation.fit_probe(train_x[index], train_y[index], val_x, val_y)
        assert chosen.accuracy(test_x, test_y) == pytest.approx(accuracy)
    validation_only = evaluation.probe(train_x, train_y, val_x, val_y, label_counts=(5,), draws=4)["probe_5"]
    assert validation_only.test_accuracies == [] and validation_only.mean == pytest.approx(np.mean(few.validation_accuracies))


def test_probes_fitted_in_worker_processes_equal_those_fitted_one_by_one(monkeypatch):
    train_x, train_y = blobs(num_per_class=60, num_classes=3, dim=16, seed=1, spread=2.0)
    val_x, val_y = blobs(num_per_class=30, num_classes=3, dim=16, seed=2, spread=2.0)
    test_x, test_y = blobs(num_per_class=30, num_classes=3, dim=16, seed=3, spread=2.0)

    def measured():
        results = evaluation.probe(train_x, train_y, val_x, val_y, test_x, test_y, label_counts=(5, None), draws=3)
        return {key: (r.validation_accuracies, r.test_accuracies, r.strengths, r.converged) for key, r in results.items()}

    monkeypatch.setenv("COURSE_PROBE_WORKERS", "1")
    one_by_one = measured()
    monkeypatch.setenv("COURSE_PROBE_WORKERS", "2")
    monkeypatch.setattr(evaluation, "PARALLEL_PROBE_MIN_WORK", 0)  # worker processes even for this small problem
    calls = []
    real_fit_many = evaluation._fit_many
    monkeypatch.setattr(evaluation, "_fit_many", lambda tasks: calls.append(len(tasks)) or real_fit_many(tasks))
    assert measured() == one_by_one
    assert calls == [(3 + 1) * len(evaluation.PROBE_STRENGTHS)], "one batch of fits for every label count"


def test_probe_workers_come_from_the_environment_or_the_cores(monkeypatch):
    monkeypatch.delenv("COURSE_PROBE_WORKERS", raising=False)
    assert 1 <= evaluation.probe_workers() <= 4
    monkeypatch.setenv("COURSE_PROBE_WORKERS", "3")
    assert evaluation.probe_workers() == 3
    for bad in ("0", "two", "-1"):
        monkeypatch.setenv("COURSE_PROBE_WORKERS", bad)
        with pytest.raises(ValueError, match="COURSE_PROBE_WORKERS=1"):
            evaluation.probe_workers()


def test_a_fit_that_does_not_converge_is_reported(monkeypatch):
    train_x, train_y = blobs(num_per_class=50, seed=1, spread=0.2)
    fitted = evaluation.fit_probe(train_x, train_y, train_x, train_y, strengths=(1e4,), max_iter=1)
    assert not fitted.converged


def test_probe_rejects_bad_input():
    train_x, train_y = blobs()
    with pytest.raises(ValueError, match="2-D"):
        evaluation.fit_probe(train_x[:, :, None], train_y, train_x, train_y)
    with pytest.raises(ValueError, match="labels"):
        evaluation.fit_probe(train_x, train_y[:-1], train_x, train_y)
    bad = train_x.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        evaluation.fit_probe(bad, train_y, train_x, train_y)
    with pytest.raises(ValueError, match="same layer"):
        evaluation.fit_probe(train_x, train_y, train_x[:, :3], train_y)
    with pytest.raises(ValueError, match="both"):
        evaluation.probe(train_x, train_y, train_x, train_y, test_features=train_x)


# --------------------------------------------------------------------------- kNN and retrieval


def test_recall_at_k_on_a_hand_made_example():
    points = np.array([[0.0], [0.1], [1.0], [5.0]])
    labels = np.array([0, 0, 1, 1])
    # 0.0 -> 0.1 (same), 0.1 -> 0.0 (same), 1.0 -> 0.1 (other), 5.0 -> 1.0 (same)
    assert evaluation.recall_at_k(points, labels, k=1) == pytest.approx(0.75)
    assert evaluation.recall_at_k(points, labels, k=3) == pytest.approx(1.0)
    with pytest.raises(ValueError):
        evaluation.recall_at_k(points, labels, k=4)


def test_recall_at_k_and_map_match_brute_force():
    features, labels = blobs(num_per_class=15, seed=3, spread=2.5)
    distances = np.linalg.norm(features[:, None] - features[None], axis=-1)
    np.fill_diagonal(distances, np.inf)
    for k in (1, 5):
        nearest = np.argsort(distances, axis=1)[:, :k]
        expected = np.mean([np.any(labels[row] == labels[i]) for i, row in enumerate(nearest)])
        assert evaluation.recall_at_k(features, labels, k=k, chunk_size=7) == pytest.approx(expected)
    precisions = []
    for i in range(len(features)):
        order = [j for j in np.argsort(distances[i]) if j != i]
        relevant = np.array([labels[j] == labels[i] for j in order])
        ranks = np.flatnonzero(relevant) + 1
        precisions.append(np.mean(np.arange(1, len(ranks) + 1) / ranks))
    assert evaluation.mean_average_precision(features, labels, chunk_size=7) == pytest.approx(np.mean(precisions))


def test_map_is_one_for_perfect_clusters():
    features = np.array([[0.0], [0.1], [10.0], [10.1]])
    assert evaluation.mean_average_precision(features, np.array([0, 0, 1, 1])) == pytest.approx(1.0)


def test_knn_accuracy_on_a_hand_made_example():
    train = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9]])
    train_labels = np.array([0, 0, 1, 1])
    test = np.array([[1.0, 0.05], [0.05, 1.0], [2.0, 0.0]])  # cosine: scale does not matter
    test_labels = np.array([0, 1, 0])
    assert evaluation.knn_accuracy(train, train_labels, test, test_labels, k=1) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="k must be"):
        evaluation.knn_accuracy(train, train_labels, test, test_labels, k=5)


def test_knn_tie_goes_to_the_more_similar_neighbours():
    train = np.array([[1.0, 0.0], [0.0, 1.0]])
    labels = np.array([3, 7])
    assert evaluation.knn_accuracy(train, labels, np.array([[1.0, 0.2]]), np.array([3]), k=2) == 1.0


# --------------------------------------------------------------------------- twins and rows


def test_random_twin_has_the_same_layers_and_shapes_but_other_weights():
    config.set_seed(0)
    encoder = models.build_encoder((28, 28, 1))
    twin = evaluation.random_twin(encoder, seed=3)
    assert [layer.__class__ for layer in twin.layers] == [layer.__class__ for layer in encoder.layers]
    assert [w.shape for w in twin.weights] == [w.shape for w in encoder.weights]
    assert not np.allclose(twin.get_layer("conv1").kernel.numpy(), encoder.get_layer("conv1").kernel.numpy())
    again = evaluation.random_twin(encoder, seed=3)
    np.testing.assert_array_equal(again.get_layer("conv1").kernel.numpy(), twin.get_layer("conv1").kernel.numpy())
    assert checkpoints.architecture_fingerprint(twin) == checkpoints.architecture_fingerprint(encoder)


def test_evaluate_encoder_probes_encoder_and_twin_at_the_same_layer(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_CHECKPOINT_DIR", str(tmp_path))
    split = small_split()
    config.set_seed(0)
    encoder = models.build_encoder((28, 28, 1), filters=(8, 16), embedding_dim=16)
    row = evaluation.evaluate_encoder(
        "tiny", encoder, split, layer="block2", pooling="global",
        pretraining=evaluation.budget(steps=10, batch_size=32, images=300), train_seconds=1.5,
    )
    assert row.layer == "block2" and row.pooling == "global" and row.dimension == 16
    # the pool has 30 images per class: the 100-label probe would be the 'all labels' one, so it is left out
    assert set(row.metrics) == {"probe_10", "probe_10_std", "probe_all", "knn"}
    assert set(row.twin) == set(row.metrics)
    assert row.pretraining["images_seen"] == 320 and not row.labels_used and row.kind == "label-free"
    assert row.split["fingerprint"] == split.fingerprint
    flat = row.flat()
    assert flat["tiny.train_seconds"] == 1.5 and "tiny.twin.probe_10" in flat
    assert row.gain("probe_10") == pytest.approx(row.metrics["probe_10"] - row.twin["probe_10"])
    exported = checkpoints.load_exported_encoders("smoke")
    assert "tiny" in exported and exported["tiny"][1]["layer"] == "block2"


def test_rows_table_shows_spread_twin_and_gain():
    row = evaluation.Row("m", "label-free", "block1", None, 8, False, {"dataset": "mnist"},
                         {"probe_10": 0.5, "probe_10_std": 0.01}, twin={"probe_10": 0.4})
    table = evaluation.rows_table([row], measures=("probe_10",), gain="probe_10")
    assert "50.0 ± 1.0%" in table and "40.0%" in table and "+10.0 points" in table


# --------------------------------------------------------------------------- caches


def test_baselines_are_cached_per_split_fingerprint(tmp_path, monkeypatch):
    x_train, y_train = fake_images(3_000)
    x_test, y_test = fake_images(600, 1)
    np.savez(tmp_path / "mnist.npz", x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("COURSE_RESULTS_DIR", str(tmp_path / "results"))
    monkeypatch.setenv("COURSE_PROFILE", "smoke")
    first = evaluation.baseline_rows("mnist")
    assert [row.method for row in first] == ["pixels", "random_init"]
    assert first[0].metrics["probe_all"] > 0.9
    calls = []
    monkeypatch.setattr(evaluation, "evaluate_representation", lambda *a, **k: calls.append(1) or first[0])
    assert [row.metrics for row in evaluation.baseline_rows("mnist")] == [row.metrics for row in first]
    assert calls == []
    # other data (the embedded sample, say) -> another fingerprint -> measured again
    x_other, y_other = fake_images(3_000, seed=7)
    np.savez(tmp_path / "mnist.npz", x_train=x_other, y_train=y_other, x_test=x_test, y_test=y_test)
    evaluation._cached_split.cache_clear()
    evaluation.baseline_rows("mnist")
    assert calls == [1, 1]


def test_train_or_load_is_keyed_by_data_and_architecture(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_CHECKPOINT_DIR", str(tmp_path))
    monkeypatch.setenv("COURSE_PROFILE", "smoke")
    monkeypatch.delenv("COURSE_RETRAIN", raising=False)
    config.set_seed(0)
    calls = []

    def trainer(model):
        def train():
            calls.append(1)
            model.get_layer("embedding").bias.assign(np.full(4, 3.0, "float32"))
            return {"loss": [2.0, 1.0]}
        return train

    model = models.build_encoder((28, 28, 1), embedding_dim=4)
    real, sample = small_split(seed=0), small_split(seed=5)
    history = checkpoints.train_or_load(model, "tiny", trainer(model), settings={"num_epochs": 2}, split=real)
    assert history["loss"] == [2.0, 1.0] and "train_seconds" in history
    fresh = models.build_encoder((28, 28, 1), embedding_dim=4)
    checkpoints.train_or_load(fresh, "tiny", lambda: pytest.fail("should load"), settings={"num_epochs": 2}, split=real)
    np.testing.assert_allclose(fresh.get_layer("embedding").bias.numpy(), 3.0)
    assert calls == [1]
    checkpoints.train_or_load(fresh, "tiny", trainer(fresh), settings={"num_epochs": 2}, split=sample)
    assert calls == [1, 1], "a checkpoint of other data must not be served"
    wider = models.build_encoder((28, 28, 1), embedding_dim=4, filters=(16, 64, 128))
    checkpoints.train_or_load(wider, "tiny", trainer(wider), settings={"num_epochs": 2}, split=real)
    assert calls == [1, 1, 1], "a changed architecture must train again"
    checkpoints.train_or_load(fresh, "tiny", trainer(fresh), settings={"num_epochs": 3}, split=real)
    assert calls == [1, 1, 1, 1]
    with pytest.raises(ValueError):
        checkpoints.checkpoint_path("a name")


def test_architecture_fingerprint_ignores_names_but_not_structure():
    keras.backend.clear_session()
    a = models.build_encoder((28, 28, 1), name="first")
    b = models.build_encoder((28, 28, 1), name="second")
    c = models.build_encoder((28, 28, 1), embedding_dim=64)
    assert checkpoints.architecture_fingerprint(a) == checkpoints.architecture_fingerprint(b)
    assert checkpoints.architecture_fingerprint(a) != checkpoints.architecture_fingerprint(c)


# --------------------------------------------------------------------------- results


def test_record_stores_rows_twins_and_extra_metrics(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_RESULTS_DIR", str(tmp_path))
    row = evaluation.Row("siamese", "labels", "embedding", None, 32, True, {"dataset": "mnist", "fingerprint": "f"},
                         {"probe_10": 0.9, "probe_10_std": 0.01}, twin={"probe_10": 0.8}, train_seconds=12.0)
    path = evaluation.record("05_siamese_contrastive", {"siamese.pair_accuracy": np.float32(0.97)}, rows=[row],
                             seed=3, wall_seconds=30.0, profile="smoke")
    assert path == tmp_path / "smoke" / "05_siamese_contrastive.json"
    stored = json.loads(path.read_text())
    assert stored["metrics"]["siamese.twin.probe_10"] == pytest.approx(0.8)
    assert stored["metrics"]["siamese.pair_accuracy"] == pytest.approx(0.97)
    assert stored["rows"]["siamese"]["labels_used"] and stored["datasets"] == ["mnist"]
    rows = evaluation.recorded_rows(evaluation.load_results("smoke"), dataset="mnist")
    assert rows["siamese"].metrics["probe_10"] == pytest.approx(0.9) and rows["siamese"].twin == {"probe_10": 0.8}
    assert evaluation.load_results("full") == {}


@pytest.mark.parametrize(
    "metrics, message",
    [
        ({"probe_10": 0.5}, "<method>.<measure>"),
        ({"a.probe_10": 93.0}, "percentage"),
        ({"a.probe_10_std": 3.0}, "percentage"),
        ({"a.knn": float("nan")}, "not finite"),
        ({"a.knn": "high"}, "must be a number"),
        ({"a.train_seconds": -1}, "negative"),
        ({}, "at least one"),
    ],
)
def test_record_rejects_bad_metrics(tmp_path, monkeypatch, metrics, message):
    monkeypatch.setenv("COURSE_RESULTS_DIR", str(tmp_path))
    with pytest.raises(ValueError, match=message):
        evaluation.record("01_x", metrics, profile="smoke")


def test_record_rejects_file_names_and_duplicate_rows(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_RESULTS_DIR", str(tmp_path))
    with pytest.raises(ValueError, match="without folder or extension"):
        evaluation.record("notebooks/01_x.ipynb", {"a.knn": 0.5})
    row = evaluation.Row("a", "label-free", None, None, 1, False, {"dataset": "mnist"}, {"knn": 0.5})
    with pytest.raises(ValueError, match="share a method"):
        evaluation.record("01_x", rows=[row, row])


def test_load_results_names_a_corrupt_file(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_RESULTS_DIR", str(tmp_path))
    (tmp_path / "smoke").mkdir()
    (tmp_path / "smoke" / "03_x.json").write_text("{not json")
    with pytest.raises(ValueError, match="03_x.json"):
        evaluation.load_results("smoke")


def test_metrics_table_rows_and_percentages():
    table = evaluation.metrics_table({"a.probe_10": 0.5, "a.train_seconds": 3.0, "b.probe_10": 0.25})
    lines = table.splitlines()
    assert lines[0] == "| method | probe_10 | train_seconds |"
    assert "| a | 50.0% | 3 |" in lines and "| b | 25.0% | - |" in lines


def test_any_probe_count_and_its_spread_is_an_accuracy():
    assert evaluation.is_fraction("probe_1000") and evaluation.is_fraction("knn")
    assert evaluation.is_fraction("probe_10_std") and evaluation.is_fraction("map")
    assert not evaluation.is_fraction("psnr") and not evaluation.is_fraction("probe_best")
    assert evaluation.split_key("a.twin.probe_10") == ("a.twin", "probe_10")


# --------------------------------------------------------------------------- outcomes


def test_outcomes_record_every_value_then_fail_with_the_list(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_RESULTS_DIR", str(tmp_path))
    monkeypatch.setenv("COURSE_PROFILE", "smoke")
    monkeypatch.setenv("COURSE_SEED", "7")
    outcomes = evaluation.Outcomes("07_rotation")
    assert outcomes.expect("gain_probe_100", 0.03, above=0.01, why="rotation beats its twin")
    assert not outcomes.expect("chance_accuracy", 0.5, below=0.2, why="near chance after the remedy")
    with pytest.raises(AssertionError, match="chance_accuracy"):
        outcomes.check()
    stored = json.loads((tmp_path / "smoke" / "outcomes" / "07_rotation.json").read_text())
    assert stored["seed"] == 7
    assert stored["outcomes"]["gain_probe_100"] == {"value": 0.03, "direction": "above", "threshold": 0.01, "holds": True,
                                                    "why": "rotation beats its twin"}
    assert not stored["outcomes"]["chance_accuracy"]["holds"]


def test_outcomes_reject_bad_use():
    outcomes = evaluation.Outcomes("07_rotation")
    with pytest.raises(ValueError, match="exactly one"):
        outcomes.expect("x", 1.0)
    with pytest.raises(ValueError, match="word"):
        outcomes.expect("a gain", 1.0, above=0.0)
    outcomes.expect("x", 1.0, above=0.0)
    with pytest.raises(ValueError, match="already"):
        outcomes.expect("x", 1.0, above=0.0)
    assert not evaluation.Outcomes("07_rotation").expect("nan", float("nan"), above=0.0)


def test_a_run_that_skipped_every_outcome_says_so(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("COURSE_RESULTS_DIR", str(tmp_path))
    evaluation.Outcomes("10_jigsaw").check()
    assert "WARNING: no learning outcome of 10_jigsaw was asserted" in capsys.readouterr().out
