"""skgen.plotting: the pictures draw what they say (Agg backend, no display)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from skgen.classical import Gaussian  # noqa: E402
from skgen.plotting import plot_history  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _lines(ax):
    return {line.get_label(): line for line in ax.get_lines()}


def test_plot_history_of_a_likelihood_model_draws_log_likelihood_per_row():
    from skgen.flows import MAF

    X = np.random.RandomState(0).normal(size=(100, 2))
    maf = MAF(hidden_sizes=(8,), max_epochs=3, random_state=0).fit(X)
    ax = plot_history(maf)
    lines = _lines(ax)
    epochs = [r["epoch"] for r in maf.history_]
    assert ax.get_ylabel() == "log-likelihood per row (nats)"
    assert ax.get_xlabel() == "epoch"
    np.testing.assert_array_equal(lines["training"].get_xdata(), epochs)
    np.testing.assert_allclose(lines["training"].get_ydata(),
                               [-r["train_loss"] for r in maf.history_])
    np.testing.assert_allclose(lines["validation"].get_ydata(),
                               [r["valid_log_likelihood"] for r in maf.history_])
    best = lines[f"best epoch ({maf.best_epoch_})"]
    np.testing.assert_array_equal(best.get_xdata(), [maf.best_epoch_] * 2)
    assert len(lines) == 3  # nothing else: no time, no learning rate


class _FakeGAN:
    """A GAN-like fitted estimator: its losses are not likelihoods."""

    _loss_is_nll = False
    best_epoch_ = 2
    history_ = [
        {"epoch": e, "discriminator_loss": 1.4 - 0.1 * e, "generator_loss": 0.6 + 0.05 * e,
         "valid_energy_distance": 0.5 / e, "learning_rate": 2e-4, "time": 0.1}
        for e in (1, 2, 3)
    ]


def test_plot_history_of_a_gan_draws_every_figure_but_bookkeeping():
    gan = _FakeGAN()
    _, ax = plt.subplots()
    assert plot_history(gan, ax=ax) is ax
    lines = _lines(ax)
    keys = ["discriminator_loss", "generator_loss", "valid_energy_distance"]
    assert set(lines) == set(keys) | {"best epoch (2)"}
    for key in keys:
        np.testing.assert_array_equal(lines[key].get_xdata(), [1, 2, 3])
        np.testing.assert_allclose(lines[key].get_ydata(), [r[key] for r in gan.history_])
    assert ax.get_ylabel() != "log-likelihood per row (nats)"


def test_plot_history_needs_learning_curves():
    X = np.random.RandomState(0).normal(size=(50, 2))
    with pytest.raises(ValueError, match="no learning curves"):
        plot_history(Gaussian().fit(X))
