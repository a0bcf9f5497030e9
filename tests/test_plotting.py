import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from helpers import plotting


def test_image_grid_returns_a_figure_with_titles():
    images = np.random.default_rng(0).random((5, 28, 28, 1))
    figure = plotting.image_grid(images, titles=list("abcde"), num_columns=3)
    assert len(figure.axes) == 6
    assert [axis.get_title() for axis in figure.axes[:5]] == list("abcde")
    with pytest.raises(ValueError, match="titles"):
        plotting.image_grid(images, titles=["a"])


def test_plot_history_draws_validation_beside_training():
    figure = plotting.plot_history({"loss": [3, 2, 1], "val_loss": [3, 2.5, 2]})
    assert len(figure.axes) == 1 and len(figure.axes[0].lines) == 2
    with pytest.raises(ValueError, match="no metric"):
        plotting.plot_history({"loss": [1]}, metrics=["accuracy"])
    quarters = plotting.plot_history({"loss": [4, 3, 2, 1]}, points_per_epoch=4)
    assert list(quarters.axes[0].lines[0].get_xdata()) == [0.25, 0.5, 0.75, 1.0]
    with pytest.raises(ValueError, match="points_per_epoch"):
        plotting.plot_history({"loss": [1]}, points_per_epoch=0)


def test_embedding_scatter_with_pca_and_tsne():
    generator = np.random.default_rng(0)
    embeddings = generator.normal(size=(60, 8))
    labels = np.arange(60) % 3
    assert plotting.embedding_scatter(embeddings, labels, method="pca").axes
    assert plotting.embedding_scatter(embeddings, labels, method="tsne").axes
    with pytest.raises(ValueError, match="projection"):
        plotting.project_2d(embeddings, method="umap")


def test_probe_curves_use_a_log_axis():
    metrics = {"a.probe_10": 0.5, "a.probe_100": 0.7, "a.probe_all": 0.9, "b.probe_10": 0.6}
    figure = plotting.plot_probe_curves(plotting.group_metrics(metrics))
    axis = figure.axes[0]
    assert axis.get_xscale() == "log" and len(axis.lines) == 2
