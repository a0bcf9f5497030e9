"""Tests of helpers.diagnostics (notebook 08)."""

import numpy as np
import pytest

from helpers import diagnostics


def test_collapsed_embeddings():
    collapsed = np.tile([[3.0, -1.0, 2.0]], (50, 1))
    np.testing.assert_allclose(diagnostics.embedding_std(collapsed), 0.0, atol=1e-12)
    assert diagnostics.uniformity(collapsed) == pytest.approx(0.0, abs=1e-12)
    assert diagnostics.alignment(collapsed, 2 * collapsed) == pytest.approx(0.0, abs=1e-12)
    report = diagnostics.collapse_report(collapsed, collapsed)
    assert report["std_ratio"] == pytest.approx(0.0, abs=1e-9)


def test_antipodal_points_known_values():
    # Half the items at +e1, half at -e1 (scaled: normalization removes it).
    z = np.array([[2.0, 0.0]] * 2 + [[-5.0, 0.0]] * 2)
    np.testing.assert_allclose(diagnostics.embedding_std(z), [1.0, 0.0], atol=1e-12)
    # 6 pairs: 2 at distance 0, 4 at squared distance 4 -> log((2 + 4 e^-8) / 6).
    assert diagnostics.uniformity(z, t=2) == pytest.approx(np.log((2 + 4 * np.exp(-8)) / 6))
    # Opposite views: distance 2 for every pair.
    assert diagnostics.alignment(z, -z, alpha=2) == pytest.approx(4.0)
    assert diagnostics.alignment(z, -z, alpha=1) == pytest.approx(2.0)


def test_orthogonal_views_alignment():
    z_a, z_b = np.eye(3), np.roll(np.eye(3), 1, axis=1)
    assert diagnostics.alignment(z_a, z_b) == pytest.approx(2.0)


def test_spread_embeddings_std_and_uniformity():
    dim = 16
    spread = np.random.default_rng(0).normal(size=(4_000, dim))
    std = diagnostics.embedding_std(spread)
    np.testing.assert_allclose(std, 1 / np.sqrt(dim), rtol=0.08)
    report = diagnostics.collapse_report(spread, spread)
    assert report["std_ratio"] == pytest.approx(1.0, abs=0.05)
    assert report["alignment"] == pytest.approx(0.0, abs=1e-12)
    # Nearly collapsed: a small cloud around one direction is far less uniform.
    near = np.ones((2_000, dim)) + 0.01 * np.random.default_rng(1).normal(size=(2_000, dim))
    assert diagnostics.uniformity(spread) < diagnostics.uniformity(near) - 1.0
    assert np.mean(diagnostics.embedding_std(near)) < 0.01


def test_uniformity_matches_brute_force():
    z = np.random.default_rng(2).normal(size=(7, 3))
    unit = z / np.linalg.norm(z, axis=1, keepdims=True)
    pairs = [np.exp(-2 * np.sum((unit[i] - unit[j]) ** 2)) for i in range(7) for j in range(i + 1, 7)]
    assert diagnostics.uniformity(z) == pytest.approx(np.log(np.mean(pairs)))


def test_bad_input():
    with pytest.raises(ValueError, match="2-D"):
        diagnostics.embedding_std(np.ones(5))
    with pytest.raises(ValueError, match="same shape"):
        diagnostics.alignment(np.ones((3, 2)), np.ones((2, 2)))
    with pytest.raises(ValueError, match="NaN"):
        diagnostics.uniformity(np.array([[np.nan, 1.0], [1.0, 0.0]]))
    with pytest.raises(ValueError, match="t must be positive"):
        diagnostics.uniformity(np.eye(2), t=0)
