"""Representation learning on the lecture's biscuit tins (ProbabilisticPCA and VAE).

Each 16 x 16 image is described by two numbers, its height and its width. A
model with a 2-D latent space has learned that description when a *linear*
map from its codes predicts both numbers on held-out images, and when
decoding a walk along the code direction that predicts height draws taller
tins of (nearly) the same width. Sizes are read off the decoded pixels, not
taken from the model.
"""

import numpy as np
import pytest
import torch
from sklearn.linear_model import LinearRegression
from sklearn.metrics import r2_score

from skgen.classical import ProbabilisticPCA
from skgen.datasets import make_biscuit_tins, render_biscuit_tins
from skgen.vae import VAE

torch.set_num_threads(1)

SIZE = 16
BODY = 0.7  # grey level of a tin's body in make_biscuit_tins


def measure_tins(images, image_size=SIZE):
    """Height and width of each tin, read off its pixels (fractions of the side).

    Pixel values are divided by the body's grey level and clipped to [0, 1],
    which gives the share of each pixel the tin covers (the images are
    anti-aliased). The height sums that share over rows (the darkest
    column-wise maximum of each row), the width over the bottom row, where
    only the body is drawn.
    """
    cover = np.clip(np.asarray(images).reshape(-1, image_size, image_size) / BODY, 0, 1)
    return np.column_stack([cover.max(axis=2).sum(axis=1), cover[:, -1, :].sum(axis=1)]) \
        / image_size


def latent_report(model, X, factors, X_test, factors_test, n_steps=8):
    """Held-out R^2 of a linear map from codes to (height, width), and a height walk.

    The walk starts at the mean code, moves along the gradient of the
    predicted height (the height row of the regression's coefficients), and
    spans the 5th to 95th percentile of the training codes along it.

    Returns
    -------
    r2 : ndarray of shape (2,)
        Held-out R^2 for height and width.
    sizes : ndarray of shape (n_steps, 2)
        Height and width measured on the decoded images along the walk.
    """
    Z = model.transform(X)
    reg = LinearRegression().fit(Z, factors)
    r2 = r2_score(factors_test, reg.predict(model.transform(X_test)),
                  multioutput="raw_values")
    direction = reg.coef_[0] / np.linalg.norm(reg.coef_[0])
    start = Z.mean(axis=0)
    along = (Z - start) @ direction
    steps = np.linspace(*np.percentile(along, [5, 95]), n_steps)
    decoded = model.inverse_transform(start + steps[:, None] * direction)
    return r2, measure_tins(decoded)


@pytest.fixture(scope="module")
def tins():
    X, factors = make_biscuit_tins(1000, image_size=SIZE, random_state=0)
    X_test, factors_test = make_biscuit_tins(500, image_size=SIZE, random_state=1)
    return X, factors, X_test, factors_test


def test_measure_tins_reads_true_sizes():
    """The pixel ruler is exact for width and within a third of a pixel for height."""
    rng = np.random.RandomState(0)
    h, w = rng.uniform(0.35, 0.9, 200), rng.uniform(0.3, 0.85, 200)
    sizes = measure_tins(render_biscuit_tins(h, w, image_size=SIZE))
    np.testing.assert_allclose(sizes[:, 1], w, atol=1e-12)
    assert np.abs(sizes[:, 0] - h).max() < 0.34 / SIZE


def _check_walk(sizes, min_height_gain):
    height, width = sizes[:, 0], sizes[:, 1]
    gain = height[-1] - height[0]
    assert gain > min_height_gain
    # taller at (almost) every step, never shorter by more than a sliver
    assert np.all(np.diff(height) > -0.01)
    # width stays put: its largest swing is a small fraction of the height gain
    assert np.ptp(width) < 0.2 * gain


def test_ppca_latent_space_tracks_height_and_width(tins):
    model = ProbabilisticPCA(n_components=2).fit(tins[0])
    r2, sizes = latent_report(model, *tins)
    # measured: R^2 0.945 (height), 0.957 (width); walk +0.35 height, width +0.001
    assert np.all(r2 > 0.9), r2
    _check_walk(sizes, min_height_gain=0.25)


def test_vae_latent_space_tracks_height_and_width(tins):
    """A Bernoulli VAE with a 2-D latent space: about 10 s on one CPU thread."""
    model = VAE(n_components=2, distribution="bernoulli", batch_size=64, max_epochs=100,
                random_state=0).fit(tins[0])
    r2, sizes = latent_report(model, *tins)
    # measured: R^2 0.977 (height), 0.981 (width); walk +0.47 height, width range 0.056
    assert np.all(r2 > 0.9), r2
    _check_walk(sizes, min_height_gain=0.3)


def test_codes_of_taller_tins_move_along_one_direction(tins):
    """Encoding a column of tins that differ only in height moves PPCA codes on a line
    whose width prediction stays fixed."""
    model = ProbabilisticPCA(n_components=2).fit(tins[0])
    reg = LinearRegression().fit(model.transform(tins[0]), tins[1])
    h = np.linspace(0.4, 0.85, 10)
    pred = reg.predict(model.transform(render_biscuit_tins(h, np.full(10, 0.6),
                                                           image_size=SIZE)))
    assert np.corrcoef(pred[:, 0], h)[0, 1] > 0.95
    assert np.ptp(pred[:, 1]) < 0.3 * np.ptp(pred[:, 0])
