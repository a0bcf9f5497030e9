import json

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from helpers import data, evaluation


def blobs(num_per_class=40, num_classes=3, dim=5, seed=0, spread=1.0):
    generator = np.random.default_rng(seed)
    centres = generator.normal(0, 3, (num_classes, dim))
    labels = np.repeat(np.arange(num_classes), num_per_class)
    features = centres[labels] + spread * generator.normal(size=(len(labels), dim))
    return features, labels


def test_linear_probe_matches_a_direct_scikit_learn_computation():
    train_x, train_y = blobs(seed=1, spread=3.0)
    test_x, test_y = blobs(seed=2, spread=3.0)
    scaler = StandardScaler().fit(train_x)
    direct = LogisticRegression(max_iter=1000).fit(scaler.transform(train_x), train_y)
    expected = np.mean(direct.predict(scaler.transform(test_x)) == test_y)
    assert evaluation.linear_probe(train_x, train_y, test_x, test_y) == pytest.approx(expected)


def test_few_label_probe_uses_the_balanced_subset():
    train_x, train_y = blobs(seed=1, spread=3.0)
    test_x, test_y = blobs(seed=2, spread=3.0)
    index = data.few_labels(train_y, 5, seed=0)
    scaler = StandardScaler().fit(train_x[index])
    direct = LogisticRegression(max_iter=1000).fit(scaler.transform(train_x[index]), train_y[index])
    expected = np.mean(direct.predict(scaler.transform(test_x)) == test_y)
    assert evaluation.linear_probe(train_x, train_y, test_x, test_y, labels_per_class=5, seed=0) == pytest.approx(expected)


def test_probe_suite_keys_and_ordering():
    train_x, train_y = blobs(num_per_class=120, seed=1, spread=4.0)
    test_x, test_y = blobs(seed=2, spread=4.0)
    result = evaluation.probe_suite(train_x, train_y, test_x, test_y, label_counts=(10, 100, None))
    assert set(result) == {"probe_10", "probe_100", "probe_all"}
    assert all(0.0 <= value <= 1.0 for value in result.values())


def test_probe_rejects_bad_input():
    train_x, train_y = blobs()
    with pytest.raises(ValueError, match="2-D"):
        evaluation.linear_probe(train_x[:, :, None], train_y, train_x, train_y)
    with pytest.raises(ValueError, match="labels"):
        evaluation.linear_probe(train_x, train_y[:-1], train_x, train_y)
    bad = train_x.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        evaluation.linear_probe(bad, train_y, train_x, train_y)
    with pytest.raises(ValueError, match="same layer"):
        evaluation.linear_probe(train_x, train_y, train_x[:, :3], train_y)


def test_recall_at_k_on_a_hand_made_example():
    points = np.array([[0.0], [0.1], [1.0], [5.0]])
    labels = np.array([0, 0, 1, 1])
    # 0.0 -> 0.1 (same), 0.1 -> 0.0 (same), 1.0 -> 0.1 (other), 5.0 -> 1.0 (same)
    assert evaluation.recall_at_k(points, labels, k=1) == pytest.approx(0.75)
    assert evaluation.recall_at_k(points, labels, k=2) == pytest.approx(0.75)
    assert evaluation.recall_at_k(points, labels, k=3) == pytest.approx(1.0)
    with pytest.raises(ValueError):
        evaluation.recall_at_k(points, labels, k=4)


def test_recall_at_k_excludes_the_item_itself_and_matches_brute_force():
    features, labels = blobs(num_per_class=15, seed=3, spread=2.5)
    distances = np.linalg.norm(features[:, None] - features[None], axis=-1)
    np.fill_diagonal(distances, np.inf)
    for k in (1, 5):
        nearest = np.argsort(distances, axis=1)[:, :k]
        expected = np.mean([np.any(labels[row] == labels[i]) for i, row in enumerate(nearest)])
        assert evaluation.recall_at_k(features, labels, k=k, chunk_size=7) == pytest.approx(expected)


def test_knn_accuracy_on_a_hand_made_example():
    train = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9]])
    train_labels = np.array([0, 0, 1, 1])
    test = np.array([[1.0, 0.05], [0.05, 1.0], [2.0, 0.0]])  # cosine: scale does not matter
    test_labels = np.array([0, 1, 0])
    assert evaluation.knn_accuracy(train, train_labels, test, test_labels, k=1) == pytest.approx(1.0)
    assert evaluation.knn_accuracy(train, train_labels, test, test_labels, k=2) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="k must be"):
        evaluation.knn_accuracy(train, train_labels, test, test_labels, k=5)


def test_knn_tie_goes_to_the_more_similar_neighbours():
    train = np.array([[1.0, 0.0], [0.0, 1.0]])
    labels = np.array([3, 7])
    test = np.array([[1.0, 0.2]])
    assert evaluation.knn_accuracy(train, labels, test, np.array([3]), k=2) == 1.0


def test_record_and_load_results_round_trip(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_RESULTS_DIR", str(tmp_path))
    path = evaluation.record("05_siamese_contrastive", {"siamese.recall_at_1": np.float32(0.9), "siamese.train_seconds": 12},
                             dataset="mnist", seed=3, wall_seconds=30.0, profile="smoke")
    assert path == tmp_path / "smoke" / "05_siamese_contrastive.json"
    stored = json.loads(path.read_text())
    assert stored["metrics"]["siamese.recall_at_1"] == pytest.approx(0.9)
    assert stored["profile"] == "smoke" and stored["seed"] == 3 and stored["wall_seconds"] == 30.0
    results = evaluation.load_results("smoke")
    assert list(results) == ["05_siamese_contrastive"]
    assert evaluation.load_results("full") == {}


@pytest.mark.parametrize(
    "metrics, message",
    [
        ({"probe_10": 0.5}, "<method>.<measure>"),
        ({"a.probe_10": 93.0}, "percentage"),
        ({"a.knn": float("nan")}, "not finite"),
        ({"a.knn": "high"}, "must be a number"),
        ({"a.train_seconds": -1}, "negative"),
        ({}, "non-empty"),
    ],
)
def test_record_rejects_bad_metrics(tmp_path, monkeypatch, metrics, message):
    monkeypatch.setenv("COURSE_RESULTS_DIR", str(tmp_path))
    with pytest.raises(ValueError, match=message):
        evaluation.record("01_x", metrics, profile="smoke")


def test_record_rejects_file_names(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_RESULTS_DIR", str(tmp_path))
    with pytest.raises(ValueError, match="without folder or extension"):
        evaluation.record("notebooks/01_x.ipynb", {"a.knn": 0.5})


def test_metrics_table_rows_and_percentages():
    table = evaluation.metrics_table({"a.probe_10": 0.5, "a.train_seconds": 3.0, "b.probe_10": 0.25})
    lines = table.splitlines()
    assert lines[0] == "| method | probe_10 | train_seconds |"
    assert "| a | 50.0% | 3 |" in lines and "| b | 25.0% | - |" in lines


def test_baselines_are_computed_once_then_read_from_the_cache(tmp_path, monkeypatch):
    generator = np.random.default_rng(0)
    # two easy classes of synthetic "digits": bright top half vs bright bottom half
    def make(n):
        labels = np.arange(n) % 10
        images = generator.integers(0, 40, (n, 28, 28), dtype=np.uint8)
        for i, label in enumerate(labels):
            images[i, 2 * label : 2 * label + 4] = 250
        return images, labels.astype(np.uint8)
    x_train, y_train = make(1200)
    x_test, y_test = make(300)
    np.savez(tmp_path / "mnist.npz", x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("COURSE_RESULTS_DIR", str(tmp_path / "results"))
    first = evaluation.baselines("mnist", profile="smoke", verbose=False)
    assert set(first) == {f"{m}.{k}" for m in ("pixels", "random_init") for k in ("probe_10", "probe_100", "probe_all", "knn")}
    assert first["pixels.probe_all"] > 0.9
    monkeypatch.setattr(evaluation, "evaluate_features", lambda *a, **k: pytest.fail("should be cached"))
    assert evaluation.baselines("mnist", profile="smoke") == first


def test_leaderboard_collects_methods_across_notebooks_in_order():
    results = {
        "00_setup": {"metrics": {"pixels.probe_10": 0.7, "random_init.probe_10": 0.8}},
        "05_siamese": {"metrics": {"siamese.probe_10": 0.9, "siamese.train_seconds": 60.0, "siamese.pair_accuracy": 0.97}},
        "20_compare": {"metrics": {"pixels.probe_10": 0.71}},
    }
    board = evaluation.leaderboard(results, ["random_init", "siamese", "pixels", "simclr"])
    assert list(board) == ["random_init", "siamese", "pixels"]
    assert board["siamese"] == {"notebook": "05_siamese", "probe_10": 0.9, "train_seconds": 60.0}
    assert board["pixels"]["notebook"] == "20_compare" and board["pixels"]["probe_10"] == 0.71


def test_any_probe_count_is_an_accuracy():
    assert evaluation.is_fraction("probe_1000") and evaluation.is_fraction("knn")
    assert not evaluation.is_fraction("psnr") and not evaluation.is_fraction("probe_best")
    with pytest.raises(ValueError, match="percentage"):
        evaluation.check_metrics({"supervised.probe_1000": 97.9})
    assert "97.9%" in evaluation.metrics_table({"supervised.probe_1000": 0.979})
