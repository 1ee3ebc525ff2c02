import numpy as np
import pytest

from skgen.classical import Gaussian, UniformBox
from skgen.metrics import (bits_per_dimension, classifier_two_sample_auc, energy_distance,
                           impossible_sample_fraction, mean_log_likelihood,
                           missed_data_fraction)


def test_mean_log_likelihood_closed_form():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(20000, 3))
    g = Gaussian(reg_covar=0).fit(X)
    # the MLE Gaussian's mean training log-likelihood is -d/2 (1 + log 2 pi) - 1/2 log|S|
    expected = -1.5 * (1 + np.log(2 * np.pi)) - 0.5 * np.linalg.slogdet(g.covariance_)[1]
    assert mean_log_likelihood(g, X) == pytest.approx(expected, rel=1e-10)


def test_bits_per_dimension():
    assert bits_per_dimension(-np.log(2) * 3, 3) == pytest.approx(1.0)
    # 8-bit data scaled to [0, 1): a uniform density there is 8 bits per dim
    assert bits_per_dimension(0.0, 5, n_levels=256) == pytest.approx(8.0)


def test_point_a_and_b_fractions():
    truth = UniformBox().fit([[0.0, 0.0], [1.0, 1.0]])
    model = UniformBox().fit([[0.0, 0.0], [2.0, 0.5]])
    samples = model.sample(40000, random_state=0)
    # share of the model's box outside the truth's: 1 - 0.5 / 1.0
    assert impossible_sample_fraction(truth, samples) == pytest.approx(0.5, abs=0.01)
    data = truth.sample(40000, random_state=1)
    assert missed_data_fraction(model, data) == pytest.approx(0.5, abs=0.01)


def test_two_sample_metrics_detect_shift():
    rng = np.random.RandomState(0)
    a, b = rng.normal(size=(400, 2)), rng.normal(size=(400, 2))
    assert classifier_two_sample_auc(a, b, random_state=0) < 0.6
    assert classifier_two_sample_auc(a, b + 1.0, random_state=0) > 0.7
    assert energy_distance(a, b) < energy_distance(a, b + 1.0)
    with pytest.raises(ValueError, match="features"):
        classifier_two_sample_auc(a, b[:, :1])
