"""DensityOutlierDetector: calibrated false alarms, scikit-learn's outlier API."""

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skgen.classical import Gaussian, GaussianMixture, UniformBox
from skgen.outlier import AUTO_CONTAMINATION, DensityOutlierDetector


def _false_alarms(detector, X_normal):
    return float(np.mean(detector.predict(X_normal) == -1))


def test_false_alarm_rate_on_new_gaussian_rows():
    rng = np.random.RandomState(0)
    cov = np.array([[1.0, 0.6, 0.0], [0.6, 1.0, 0.3], [0.0, 0.3, 2.0]])
    X = rng.multivariate_normal(np.zeros(3), cov, size=3000)
    new = rng.multivariate_normal(np.zeros(3), cov, size=20000)
    for estimator in (None, Gaussian()):
        det = DensityOutlierDetector(estimator, contamination=0.05, random_state=0).fit(X)
        assert abs(_false_alarms(det, new) - 0.05) <= 0.02


def test_held_out_threshold_is_calibrated_where_the_training_one_is_not():
    # a flexible density overrates its own training rows
    rng = np.random.RandomState(1)
    X, new = rng.normal(size=(1000, 4)), rng.normal(size=(20000, 4))
    det = DensityOutlierDetector(GaussianMixture(8, random_state=0),
                                 contamination=0.05, random_state=0).fit(X)
    naive = np.quantile(det.score_samples(X), 0.05)
    assert np.mean(det.score_samples(new) < naive) > 0.07
    assert abs(_false_alarms(det, new) - 0.05) <= 0.02


def test_false_alarm_rate_on_benign_breast_cancer_rows():
    X, y = load_breast_cancer(return_X_y=True)
    benign = X[y == 1]
    rates = []
    for seed in range(4):  # the mean over splits: one test split has 108 rows
        train, test = train_test_split(benign, train_size=0.7, random_state=seed)
        det = DensityOutlierDetector(contamination=0.05, random_state=seed).fit(train)
        rates.append(_false_alarms(det, test))
    assert abs(np.mean(rates) - 0.05) <= 0.02
    # and the malignant rows are flagged far more often
    assert np.mean(det.predict(X[y == 0]) == -1) > 0.5


def test_predict_decision_function_and_offset_agree():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 2))
    det = DensityOutlierDetector(Gaussian(), contamination=0.1, cv=4, random_state=0).fit(X)
    Y = np.vstack([rng.normal(size=(200, 2)), [[5.0, 5.0]]])
    scores = det.score_samples(Y)
    np.testing.assert_allclose(scores, det.estimator_.score_samples(Y))
    np.testing.assert_allclose(det.decision_function(Y), scores - det.offset_)
    np.testing.assert_array_equal(det.predict(Y), np.where(scores < det.offset_, -1, 1))
    assert det.predict(Y)[-1] == -1
    np.testing.assert_array_equal(det.fit_predict(X), det.predict(X))
    # the offset is the contamination quantile of the held-out scores
    assert det.held_out_scores_.shape == (300,)
    assert det.offset_ == pytest.approx(np.quantile(det.held_out_scores_, 0.1))
    assert det.likelihood_kind == "exact"


def test_auto_contamination():
    X = np.random.RandomState(0).normal(size=(200, 2))
    det = DensityOutlierDetector(Gaussian(), random_state=0).fit(X)
    assert det.contamination_ == AUTO_CONTAMINATION == 0.01
    assert det.offset_ == pytest.approx(np.quantile(det.held_out_scores_, 0.01))


def test_infinite_held_out_scores_give_a_finite_offset():
    # a uniform box fit without a fold gives -inf to the fold's extreme rows
    X = np.random.RandomState(0).uniform(size=(200, 2))
    det = DensityOutlierDetector(UniformBox(), contamination=0.05, random_state=0).fit(X)
    assert np.isinf(det.held_out_scores_).any()
    assert np.isfinite(det.offset_)
    assert det.predict([[0.5, 0.5], [3.0, 3.0]]).tolist() == [1, -1]


@pytest.mark.parametrize("contamination", [0.0, 0.7, -0.1, "sometimes"])
def test_bad_contamination_raises(contamination):
    X = np.random.RandomState(0).normal(size=(50, 2))
    with pytest.raises(ValueError, match="contamination"):
        DensityOutlierDetector(Gaussian(), contamination=contamination).fit(X)


def test_too_few_rows_for_the_folds():
    with pytest.raises(ValueError, match="cv=5 folds need at least 5 rows"):
        DensityOutlierDetector(Gaussian()).fit(np.zeros((3, 2)))


def test_refuses_a_gan():
    from skgen.adversarial import GAN

    X = np.random.RandomState(0).normal(size=(50, 2))
    with pytest.raises(ValueError, match=r"GAN \(likelihood_kind='none'\).*no density"):
        DensityOutlierDetector(GAN()).fit(X)


def test_refuses_an_unnormalized_energy_model():
    from skgen.energy import EnergyModel

    X = np.random.RandomState(0).normal(size=(50, 2))
    with pytest.raises(ValueError, match=r"EnergyModel \(likelihood_kind='unnormalized'\)"
                                         r".*additive constant"):
        DensityOutlierDetector(EnergyModel()).fit(X)


def test_in_a_pipeline():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(500, 3)) * [1.0, 100.0, 0.01]
    pipe = make_pipeline(StandardScaler(),
                         DensityOutlierDetector(Gaussian(), contamination=0.05,
                                                random_state=0))
    labels = pipe.fit(X).predict(np.vstack([X[:10], [[0.0, 1000.0, 0.0]]]))
    assert labels[-1] == -1
    assert pipe.decision_function(X).shape == (500,)


def test_wrong_number_of_features():
    X = np.random.RandomState(0).normal(size=(50, 2))
    det = DensityOutlierDetector(Gaussian()).fit(X)
    with pytest.raises(ValueError, match="features"):
        det.predict(np.zeros((3, 3)))
