"""Tests for skgen.conditional: the generative classifier and one conditioning signature."""

import copy
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.special import logsumexp
from sklearn.discriminant_analysis import QuadraticDiscriminantAnalysis
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KernelDensity as SkKernelDensity
from sklearn.utils.estimator_checks import parametrize_with_checks

from skgen.classical import Gaussian, UniformBox
from skgen.base import is_conditional
from skgen.conditional import GenerativeClassifier, log_likelihood_scorer
from skgen.utils import all_estimators

# Estimator checks that GenerativeClassifier(Gaussian()) is expected to fail, with
# the reason. Empty: it passes all of scikit-learn's checks as a classifier.
EXPECTED_FAILED_CHECKS = {}


@parametrize_with_checks(
    [GenerativeClassifier(Gaussian())],
    expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS,
)
def test_sklearn_compatible_classifier(estimator, check):
    check(estimator)


def _blobs(n_per_class=(60, 80, 100), d=3, spread=2.5, seed=0):
    """Well-conditioned Gaussian classes with different means and covariances."""
    rng = np.random.RandomState(seed)
    Xs, ys = [], []
    for k, n in enumerate(n_per_class):
        A = rng.normal(size=(d, d)) * 0.4 + np.eye(d) * (1.0 + 0.3 * k)
        Xs.append(rng.normal(size=(n, d)) @ A.T + spread * rng.normal(size=d))
        ys.append(np.full(n, k))
    return np.vstack(Xs), np.concatenate(ys)


@pytest.fixture
def blobs():
    return _blobs()


# ----------------------------------------------------------------- oracles
def test_full_gaussian_matches_qda(blobs):
    X, y = blobs
    clf = GenerativeClassifier(Gaussian(covariance_type="full", reg_covar=0)).fit(X, y)
    qda = QuadraticDiscriminantAnalysis(reg_param=0.0, store_covariance=True).fit(X, y)
    # QDA's per-class covariance convention changed across scikit-learn versions:
    # older ones divide by n_k - 1 (unbiased), recent ones (1.9 here) by n_k, the
    # maximum-likelihood estimate that Gaussian fits. When they differ, rescale
    # QDA's eigenvalues to the MLE so that the comparison is of Bayes' rule itself.
    for k in range(3):
        Xk = X[y == k]
        mle = np.cov(Xk.T, bias=True)
        if not np.allclose(qda.covariance_[k], mle, rtol=1e-10):
            np.testing.assert_allclose(qda.covariance_[k], np.cov(Xk.T), rtol=1e-10)
            qda.scalings_[k] = qda.scalings_[k] * (len(Xk) - 1) / len(Xk)
        np.testing.assert_allclose(clf.estimators_[k].covariance_, mle, rtol=1e-10)
    X_test = _blobs(n_per_class=(50, 50, 50), seed=1)[0]
    np.testing.assert_allclose(clf.predict_proba(X_test), qda.predict_proba(X_test),
                               rtol=0, atol=1e-8)
    np.testing.assert_array_equal(clf.predict(X_test), qda.predict(X_test))
    np.testing.assert_allclose(clf.class_prior_, qda.priors_, rtol=1e-14)


def test_diag_gaussian_matches_gaussian_nb(blobs):
    X, y = blobs
    X_test = _blobs(n_per_class=(50, 50, 50), seed=1)[0]
    # Without variance smoothing the two are the same model.
    nb = GaussianNB(var_smoothing=0.0).fit(X, y)
    clf = GenerativeClassifier(Gaussian(covariance_type="diag", reg_covar=0)).fit(X, y)
    np.testing.assert_allclose(clf.predict_proba(X_test), nb.predict_proba(X_test),
                               rtol=0, atol=1e-10)
    # GaussianNB's smoothing adds var_smoothing * (largest feature variance) to every
    # variance: the same as Gaussian's reg_covar set to that amount.
    nb = GaussianNB(var_smoothing=1e-2).fit(X, y)
    eps = 1e-2 * X.var(axis=0).max()
    clf = GenerativeClassifier(Gaussian(covariance_type="diag", reg_covar=eps)).fit(X, y)
    np.testing.assert_allclose(clf.predict_proba(X_test), nb.predict_proba(X_test),
                               rtol=0, atol=1e-10)
    joint = np.column_stack([clf.score_samples(X_test, y=c) for c in clf.classes_])
    np.testing.assert_allclose(joint + np.log(clf.class_prior_),
                               nb.predict_joint_log_proba(X_test), rtol=1e-10)


def test_duck_typed_sklearn_kde_is_bayes_rule(blobs):
    X, y = blobs
    clf = GenerativeClassifier(SkKernelDensity(bandwidth=0.7)).fit(X, y)
    X_test = X[::7]
    log_lik = np.column_stack([
        SkKernelDensity(bandwidth=0.7).fit(X[y == k]).score_samples(X_test) for k in range(3)
    ])
    joint = log_lik + np.log(np.bincount(y) / len(y))
    expected = np.exp(joint - logsumexp(joint, axis=1, keepdims=True))
    np.testing.assert_allclose(clf.predict_proba(X_test), expected, rtol=1e-10)
    assert clf.sample(7, y=2, random_state=0).shape == (7, 3)


# ------------------------------------------------------------ identities
def test_predict_proba_rows_sum_to_one_and_log_consistent(blobs):
    X, y = blobs
    clf = GenerativeClassifier(Gaussian()).fit(X, y)
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(np.log(proba), clf.predict_log_proba(X), rtol=1e-10, atol=1e-14)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[proba.argmax(axis=1)])
    assert clf.score(X, y) == np.mean(clf.predict(X) == y)  # accuracy, as any classifier


def test_marginal_is_logsumexp_of_joint(blobs):
    X, y = blobs
    clf = GenerativeClassifier(Gaussian(), priors=[0.5, 0.2, 0.3]).fit(X, y)
    per_class = np.column_stack([clf.score_samples(X, y=c) for c in clf.classes_])
    expected = logsumexp(per_class + np.log([0.5, 0.2, 0.3]), axis=1)
    np.testing.assert_allclose(clf.score_samples(X), expected, rtol=1e-12)
    # log p(x|y) with one label per row picks each row's own class column.
    np.testing.assert_allclose(clf.score_samples(X, y=y), per_class[np.arange(len(y)), y],
                               rtol=1e-12)
    # Bayes' rule: log p(y|x) = log p(x|y) + log p(y) - log p(x).
    np.testing.assert_allclose(
        clf.predict_log_proba(X),
        per_class + np.log(clf.class_prior_) - clf.score_samples(X)[:, None],
        atol=1e-10,
    )


def test_marginal_density_integrates_to_one():
    rng = np.random.RandomState(0)
    X = np.concatenate([rng.normal(-2, 0.5, 40), rng.normal(1, 1.0, 60)])[:, None]
    y = np.repeat(["a", "b"], [40, 50 + 10])
    clf = GenerativeClassifier(Gaussian()).fit(X, y)
    grid = np.linspace(-10, 10, 20001)[:, None]
    mass = np.trapezoid(np.exp(clf.score_samples(grid)), grid[:, 0])
    assert mass == pytest.approx(1.0, abs=1e-6)


def test_samples_are_recognised_as_their_class():
    rng = np.random.RandomState(0)
    centers = np.array([[0.0, 0.0], [4.0, 0.0], [0.0, 4.0]])
    X = np.vstack([c + rng.normal(size=(100, 2)) for c in centers])
    y = np.repeat(["a", "b", "c"], 100)
    judge = LogisticRegression().fit(X, y)  # trained on real data only
    gen = GenerativeClassifier(Gaussian()).fit(X, y)
    for label in ["a", "b", "c"]:
        S = gen.sample(300, y=label, random_state=1)
        assert np.mean(judge.predict(S) == label) > 0.9  # chance is 1/3
    # An array of labels: row i comes from class y[i].
    labels = np.tile(["c", "a", "b"], 100)
    S = gen.sample(300, y=labels, random_state=2)
    assert np.mean(judge.predict(S) == labels) > 0.9


def test_sample_without_y_follows_priors():
    rng = np.random.RandomState(0)
    X = np.vstack([rng.normal(-10, 1, size=(50, 1)), rng.normal(10, 1, size=(150, 1))])
    y = np.repeat([0, 1], [50, 150])
    gen = GenerativeClassifier(Gaussian(), priors=[0.2, 0.8]).fit(X, y)
    S = gen.sample(4000, random_state=0)[:, 0]
    n_high = int(np.sum(S > 0))
    assert stats.binomtest(n_high, 4000, 0.8).pvalue > 1e-3
    # Shuffled: not all of one class first.
    assert 0.6 < np.mean(S[:200] > 0) < 0.95
    # A zero prior makes a class impossible: never sampled nor predicted.
    gen0 = GenerativeClassifier(Gaussian(), priors=[0.0, 1.0]).fit(X, y)
    assert np.all(gen0.sample(500, random_state=0) > 0)
    assert np.all(gen0.predict(X) == 1)
    assert np.all(np.isfinite(gen0.score_samples(X)))


def test_sample_reproducible_and_seeded_by_inner_random_state(blobs):
    X, y = blobs
    clf = GenerativeClassifier(Gaussian()).fit(X, y)
    np.testing.assert_array_equal(clf.sample(5, random_state=3), clf.sample(5, random_state=3))
    a = GenerativeClassifier(Gaussian(random_state=0)).fit(X, y)
    b = GenerativeClassifier(Gaussian(random_state=0)).fit(X, y)
    first = a.sample(6, y=1)
    np.testing.assert_array_equal(first, b.sample(6, y=1))
    assert not np.array_equal(first, a.sample(6, y=1))  # the stream moves on


def test_dataframe_round_trip(blobs):
    X, y = blobs
    df = pd.DataFrame(X, columns=["u", "v", "w"])
    clf = GenerativeClassifier(Gaussian()).fit(df, pd.Series(y))
    out = clf.sample(4, y=0, random_state=0)
    assert isinstance(out, pd.DataFrame) and list(out.columns) == ["u", "v", "w"]
    assert isinstance(clf.sample(4, random_state=0), pd.DataFrame)
    plain = GenerativeClassifier(Gaussian()).fit(X, y)
    np.testing.assert_allclose(clf.predict_proba(df), plain.predict_proba(X), rtol=1e-12)


def test_zero_density_under_every_class_gives_the_prior():
    X = np.array([[0.0], [1.0], [0.5], [5.0], [6.0], [5.5]])
    y = [0, 0, 0, 1, 1, 1]
    clf = GenerativeClassifier(UniformBox(), priors=[0.3, 0.7]).fit(X, y)
    proba = clf.predict_proba([[0.5], [3.0], [5.5]])
    np.testing.assert_allclose(proba, [[1.0, 0.0], [0.3, 0.7], [0.0, 1.0]])
    assert np.isneginf(clf.score_samples([[3.0]]))[0]


# ------------------------------------------------------------------ errors
def test_unknown_label_raises(blobs):
    X, y = blobs
    clf = GenerativeClassifier(Gaussian()).fit(X, y)
    with pytest.raises(ValueError, match="not seen during fit"):
        clf.sample(3, y=7)
    with pytest.raises(ValueError, match="not seen during fit"):
        clf.score_samples(X[:3], y=[0, 1, 9])
    with pytest.raises(ValueError, match="one label per row"):
        clf.sample(3, y=[0, 1])


@pytest.mark.parametrize(
    "priors, match",
    [([0.5, 0.5], "one entry per class"), ([0.5, 0.6, -0.1], "non-negative"),
     ([0.2, 0.2, 0.2], "sum to 1")],
)
def test_bad_priors(blobs, priors, match):
    X, y = blobs
    with pytest.raises(ValueError, match=match):
        GenerativeClassifier(Gaussian(), priors=priors).fit(X, y)


def test_fit_errors_name_the_class():
    X = np.array([[0.0, 1.0], [1.0, 1.0], [2.0, 1.0], [0.0, 1.0], [1.0, 0.0], [2, 2]])
    y = [0, 0, 0, 1, 1, 1]  # feature 1 is constant in class 0: singular covariance
    with pytest.raises(ValueError, match="reg_covar") as info:
        GenerativeClassifier(Gaussian(reg_covar=0)).fit(X, y)
    assert any("class 0" in note for note in info.value.__notes__)
    with pytest.raises(TypeError, match="density estimator"):
        GenerativeClassifier(LogisticRegression()).fit(X, y)
    with pytest.raises(ValueError, match="requires y"):
        GenerativeClassifier(Gaussian()).fit(X)


# ------------------------------------------------------- likelihood kinds
class _Unnormalized(Gaussian):
    """A Gaussian whose log-density is off by an unknown per-instance constant."""

    likelihood_kind = "unnormalized"

    def _score_samples(self, X, y):
        return super()._score_samples(X, y) + 10.0 * self.mean_[0]


class _LowerBound(Gaussian):
    likelihood_kind = "lower_bound"

    def _score_samples(self, X, y):
        return super()._score_samples(X, y) - 0.5  # same gap for every class


class _Implicit(Gaussian):
    likelihood_kind = "none"


def test_unnormalized_refuses_posterior_and_marginal(blobs):
    X, y = blobs
    clf = GenerativeClassifier(_Unnormalized()).fit(X, y)
    assert clf.likelihood_kind == "unnormalized"
    for method in (clf.predict_proba, clf.predict_log_proba, clf.predict,
                   lambda X: clf.score(X, y), clf.score_samples):
        with pytest.raises(ValueError, match="unnormalized"):
            method(X)
    with pytest.raises(ValueError, match="unnormalized"):
        log_likelihood_scorer(clf, X, y)
    assert clf.score_samples(X, y=y).shape == (len(X),)  # p(x|y) up to a constant
    assert clf.sample(3, y=0, random_state=0).shape == (3, 3)


def test_implicit_model_can_only_sample(blobs):
    X, y = blobs
    clf = GenerativeClassifier(_Implicit()).fit(X, y)
    assert clf.likelihood_kind == "none"
    assert not hasattr(clf, "score_samples")
    with pytest.raises(ValueError, match="no density"):
        clf.predict(X)
    assert clf.sample(4, y=[0, 1, 2, 0], random_state=0).shape == (4, 3)


def test_lower_bound_warns_and_says_what_it_computes(blobs):
    X, y = blobs
    exact = GenerativeClassifier(Gaussian()).fit(X, y)
    bound = GenerativeClassifier(_LowerBound()).fit(X, y)
    assert bound.likelihood_kind == "lower_bound"
    with pytest.warns(UserWarning, match="lower_bound"):
        proba = bound.predict_proba(X)
    # A gap equal for every class cancels in Bayes' rule ...
    np.testing.assert_allclose(proba, exact.predict_proba(X), rtol=1e-10)
    # ... and the marginal stays a lower bound, here exactly 0.5 below.
    with pytest.warns(UserWarning):
        np.testing.assert_allclose(bound.score_samples(X), exact.score_samples(X) - 0.5)


def test_kind_is_readable_unfitted():
    assert GenerativeClassifier(_LowerBound()).likelihood_kind == "lower_bound"
    assert GenerativeClassifier(Gaussian()).likelihood_kind == "exact"
    assert GenerativeClassifier.likelihood_kind == "exact"


# ----------------------------------------------------------------- scorer
def test_log_likelihood_scorer(blobs):
    X, y = blobs
    clf = GenerativeClassifier(Gaussian()).fit(X, y)
    assert log_likelihood_scorer(clf, X, y) == pytest.approx(np.mean(clf.score_samples(X, y=y)))
    assert log_likelihood_scorer(clf, X) == pytest.approx(np.mean(clf.score_samples(X)))
    g = Gaussian().fit(X)
    assert log_likelihood_scorer(g, X, y) == pytest.approx(g.score(X))  # y ignored
    # Selecting by density prefers the covariance that generated the data.
    search = GridSearchCV(
        GenerativeClassifier(Gaussian()),
        {"estimator__covariance_type": ["spherical", "diag", "full"]},
        scoring=log_likelihood_scorer, cv=3,
    ).fit(X, y)
    assert search.best_params_ == {"estimator__covariance_type": "full"}


# ------------------------------------- one conditioning signature for all
_DEEP_FAMILIES = ("flows", "vae", "diffusion", "adversarial", "energy", "autoregressive")
# Training budget for deep models in this test, applied over TEST_PARAMS (whose
# budgets are tuned for speed alone): just enough for the conditioning to show
# on two well-separated blobs (each model trains in a few seconds on one core).
_CONDITIONING_BUDGET = {"max_epochs": 60, "batch_size": 100, "learning_rate": 5e-3,
                        "n_transforms": 2, "hidden_sizes": (32, 32), "verbose": 0,
                        "random_state": 0}

# Adversarial training with a weight-averaged generator needs its default number
# of steps before the label shows in the samples (about 5 s here).
_TRAINS_WITH_DEFAULTS = ("GAN",)


def _conditional_instances():
    try:
        from skgen.testing import TEST_PARAMS
    except ImportError:  # the testing package not written yet
        TEST_PARAMS = {}
    params = []
    for name, cls in all_estimators():
        kwargs = copy.deepcopy(TEST_PARAMS.get(name, {}))
        if cls is GenerativeClassifier:
            kwargs.setdefault("estimator", Gaussian())
        try:
            instance = cls(**copy.deepcopy(kwargs))
        except TypeError:
            params.append(pytest.param(None, id=name, marks=pytest.mark.skip(
                reason=f"{name} has required parameters and no TEST_PARAMS entry")))
            continue
        if not is_conditional(instance):
            continue
        defaults = instance.get_params()
        if name in _TRAINS_WITH_DEFAULTS:
            kwargs = {"random_state": 0}
        elif any(f".{fam}." in cls.__module__ + "." for fam in _DEEP_FAMILIES):
            kwargs.update({k: v for k, v in _CONDITIONING_BUDGET.items() if k in defaults})
        params.append(pytest.param((cls, kwargs), id=name))
    return params


@pytest.fixture
def one_torch_thread():
    """Tiny deep models train fastest on one thread; restore the setting after."""
    torch = pytest.importorskip("torch")
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.mark.parametrize("spec", _conditional_instances())
def test_every_conditional_estimator_shares_the_signature(spec, one_torch_thread):
    cls, kwargs = spec
    rng = np.random.RandomState(0)
    centers = {"left": [-3.0, 0.0], "right": [3.0, 0.0]}
    X = np.vstack([np.asarray(c) + rng.normal(size=(150, 2)) * [0.7, 1.0]
                   for c in centers.values()])
    y = np.repeat(list(centers), 150)
    df = pd.DataFrame(X, columns=["a", "b"])
    est = cls(**copy.deepcopy(kwargs))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # e.g. convergence with tiny budgets
        assert est.fit(df, y) is est

    n = len(y)
    kind = getattr(est, "likelihood_kind", "exact")
    if kind != "none":
        own = est.score_samples(df, y=y)
        assert own.shape == (n,) and not np.any(np.isnan(own))
        swapped = est.score_samples(df, y=np.where(y == "left", "right", "left"))
        # Conditioning matters: the data are likelier under their own label.
        assert np.mean(own) > np.mean(swapped) + 1.0
        if kind == "exact":
            left = y == "left"
            # A scalar label means that label for every row; a row's score does
            # not depend on the other rows scored with it.
            np.testing.assert_allclose(est.score_samples(df[left], y="left"), own[left],
                                       rtol=1e-5, atol=1e-6)
        with pytest.raises(ValueError):
            est.score_samples(df.iloc[:3], y=["left", "left", "middle"])

    for label, center in centers.items():
        S = est.sample(200, y=label, random_state=0)
        assert isinstance(S, pd.DataFrame) and list(S.columns) == ["a", "b"]
        assert S.shape == (200, 2)
        # Samples given a label sit near that class, not the other one.
        assert abs(S["a"].mean() - center[0]) < 1.5
    labels = np.tile(["left", "right"], 50)
    S = est.sample(100, y=labels, random_state=1).to_numpy()
    assert np.mean(np.sign(S[:, 0]) == np.where(labels == "left", -1, 1)) > 0.8
    np.testing.assert_array_equal(est.sample(5, y="left", random_state=3),
                                  est.sample(5, y="left", random_state=3))
    with pytest.raises(ValueError):
        est.sample(3, y="middle")
    with pytest.raises(ValueError):
        est.sample(3, y=["left", "right"])


# ------------------------------------------------------------ labelled samples
def _tiny_conditional_instances():
    from skgen.testing import TEST_PARAMS

    out = []
    for name, cls in all_estimators():
        kwargs = copy.deepcopy(TEST_PARAMS.get(name, {}))
        if cls is GenerativeClassifier:
            kwargs.setdefault("estimator", Gaussian())
        try:
            instance = cls(**kwargs)
        except TypeError:
            continue
        if is_conditional(instance):
            out.append(pytest.param(instance, id=name))
    return out


@pytest.mark.parametrize("model", _tiny_conditional_instances())
def test_return_y_labels_follow_the_class_prior(model, one_torch_thread):
    # papercut: a labelled synthetic table in one call, labels distributed as class_prior_
    from scipy import stats

    rng = np.random.RandomState(0)
    y = np.where(rng.rand(300) < 0.3, "a", "b")
    X = rng.normal(size=(300, 2)) + np.where(y == "a", 3.0, -3.0)[:, None]
    model.fit(X, y)
    Xs, ys = model.sample(400, random_state=0, return_y=True)
    assert Xs.shape == (400, 2) and ys.shape == (400,)
    assert set(ys) <= set(model.classes_)
    counts = np.array([np.sum(ys == c) for c in model.classes_])
    assert stats.chisquare(counts, 400 * model.class_prior_).pvalue > 1e-3
    # the same call without return_y gives the same rows
    np.testing.assert_array_equal(model.sample(400, random_state=0), Xs)
    given, same = model.sample(3, y="a", random_state=0, return_y=True)
    assert list(same) == ["a"] * 3


def test_return_y_needs_labels():
    model = Gaussian().fit(np.random.RandomState(0).normal(size=(20, 2)))
    with pytest.raises(ValueError, match="return_y"):
        model.sample(3, return_y=True)


def test_seed_reaches_a_scikit_learn_estimator_without_per_call_seed():
    # Trust #9: GenerativeClassifier(sklearn GaussianMixture).sample(3, random_state=0)
    # differed on every call
    from sklearn.mixture import GaussianMixture as SkGaussianMixture

    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 2))
    y = np.repeat([0, 1], 100)
    clf = GenerativeClassifier(SkGaussianMixture(2)).fit(X, y)
    np.testing.assert_array_equal(clf.sample(3, random_state=0), clf.sample(3, random_state=0))
    assert not np.array_equal(clf.sample(3, random_state=0), clf.sample(3, random_state=1))
