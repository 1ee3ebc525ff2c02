"""Density pipelines: log-densities in the original units, sampling back, model selection."""

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats
from sklearn.base import BaseEstimator, clone
from sklearn.decomposition import PCA
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    MinMaxScaler,
    OneHotEncoder,
    PowerTransformer,
    StandardScaler,
)

from skgen.base import GenerativeMixin
from skgen.classical import Gaussian, GaussianMixture, KernelDensity
from skgen.pipeline import DensityPipeline, make_density_pipeline
from skgen.preprocessing import Dequantizer, LogitTransformer, LogTransformer


@pytest.fixture
def X3():
    rng = np.random.RandomState(0)
    A = np.array([[1.0, 0.0, 0.0], [0.8, 0.5, 0.0], [-0.3, 0.2, 0.4]])
    return (rng.normal(size=(400, 3)) @ A.T) * [100.0, 0.02, 7.0] + [5e3, -1.0, 20.0]


# ------------------------------------------------------- equivariance oracle
@pytest.mark.parametrize(
    "steps",
    [
        [StandardScaler()],
        [PCA(whiten=True)],
        [PCA(whiten=False)],
        [MinMaxScaler(feature_range=(-1, 1))],
        [StandardScaler(), PCA(whiten=True)],
    ],
    ids=["standard", "pca-whiten", "pca", "minmax", "standard+pca-whiten"],
)
def test_affine_steps_leave_a_gaussian_mle_unchanged(X3, steps):
    """A Gaussian's MLE is affine-equivariant, so the density in original units is unchanged."""
    pipe = make_density_pipeline(*steps, Gaussian(reg_covar=0)).fit(X3)
    direct = Gaussian(reg_covar=0).fit(X3)
    Xtest = X3[:50] + np.random.RandomState(1).normal(size=(50, 3)) * [100.0, 0.02, 7.0]
    np.testing.assert_allclose(pipe.score_samples(Xtest), direct.score_samples(Xtest),
                               rtol=0, atol=1e-10)
    assert pipe.score(X3) == pytest.approx(direct.score(X3), abs=1e-10)


def test_plain_sklearn_pipeline_is_off_by_the_log_scale(X3):
    pipe = make_density_pipeline(StandardScaler(), Gaussian(reg_covar=0)).fit(X3)
    plain = make_pipeline(StandardScaler(), Gaussian(reg_covar=0)).fit(X3)
    offset = plain.score_samples(X3) - pipe.score_samples(X3)
    scale = pipe.named_steps["standardscaler"].scale_
    # a constant: sum_j log scale_j (1.83 nats per row on this data)
    np.testing.assert_allclose(offset, np.sum(np.log(scale)), rtol=1e-12)
    assert offset[0] == pytest.approx(1.8279, abs=1e-3)
    whiten = make_density_pipeline(PCA(whiten=True), Gaussian(reg_covar=0)).fit(X3)
    plain_whiten = make_pipeline(PCA(whiten=True), Gaussian(reg_covar=0)).fit(X3)
    offset = plain_whiten.score_samples(X3) - whiten.score_samples(X3)
    ev = whiten.named_steps["pca"].explained_variance_
    np.testing.assert_allclose(offset, 0.5 * np.sum(np.log(ev)), rtol=1e-12)


def test_reg_covar_acts_in_transformed_units(X3):
    """reg_covar is added after scaling, so it is not the same regularization as on X."""
    pipe = make_density_pipeline(StandardScaler(), Gaussian(reg_covar=1e-3)).fit(X3)
    scale = pipe.named_steps["standardscaler"].scale_
    direct = Gaussian(reg_covar=1e-3).fit(X3)
    assert not np.allclose(pipe.score_samples(X3), direct.score_samples(X3), atol=1e-3)
    # equal to a Gaussian with the covariance regularized by 1e-3 * scale_^2
    cov = np.cov(X3.T, bias=True) + np.diag(1e-3 * scale**2)
    expected = stats.multivariate_normal(X3.mean(axis=0), cov).logpdf(X3)
    np.testing.assert_allclose(pipe.score_samples(X3), expected, rtol=1e-10)


# -------------------------------------------------------------- exact oracles
def test_log_then_gaussian_is_a_log_normal():
    rng = np.random.RandomState(0)
    X = rng.lognormal(mean=[1.0, -0.5], sigma=[0.5, 1.2], size=(500, 2))
    pipe = make_density_pipeline(LogTransformer(), Gaussian(covariance_type="diag",
                                                            reg_covar=0)).fit(X)
    g = pipe[-1]
    sd = np.sqrt(np.diag(g.covariance_))
    expected = stats.lognorm(s=sd, scale=np.exp(g.mean_)).logpdf(X).sum(axis=1)
    np.testing.assert_allclose(pipe.score_samples(X), expected, rtol=1e-10)
    # samples are log-normal with the fitted parameters
    S = pipe.sample(4000, random_state=0)
    assert np.all(S > 0)
    for j in range(2):
        assert stats.kstest(S[:, j], stats.lognorm(s=sd[j], scale=np.exp(g.mean_[j])).cdf
                            ).pvalue > 1e-3


def _integral_1d(pipe, low, high):
    value, _ = integrate.quad(lambda x: np.exp(pipe.score_samples([[x]])[0]), low, high,
                              limit=200)
    return value


@pytest.mark.parametrize(
    "make, data, support",
    [
        (lambda: LogitTransformer(eps=0.0), lambda r: r.beta(2, 5, size=(300, 1)), (0, 1)),
        (lambda: LogTransformer(offset=1.0), lambda r: r.exponential(size=(300, 1)), (-1, np.inf)),
        (lambda: PowerTransformer(), lambda r: r.normal(size=(300, 1)) ** 3, (-np.inf, np.inf)),
        (lambda: PowerTransformer(method="box-cox"), lambda r: r.gamma(2, size=(300, 1)),
         (0, np.inf)),
    ],
    ids=["logit", "log", "yeo-johnson", "box-cox"],
)
def test_density_in_original_units_integrates_to_one(make, data, support):
    X = data(np.random.RandomState(0))
    pipe = make_density_pipeline(make(), GaussianMixture(2, random_state=0)).fit(X)
    assert _integral_1d(pipe, *support) == pytest.approx(1.0, abs=2e-3)
    # the plain pipeline is not normalized in the original units
    plain = make_pipeline(clone(make()), GaussianMixture(2, random_state=0)).fit(X)
    plain_integral, _ = integrate.quad(
        lambda x: np.exp(plain.score_samples([[x]])[0]), *support, limit=200)
    assert abs(plain_integral - 1) > 0.05


def test_bounded_range_is_renormalized_and_sampled_by_rejection():
    """Yeo-Johnson with lambda < 0 maps onto a half-line: mass beyond it is handled."""
    X = np.random.RandomState(0).lognormal(size=(300, 1))
    pipe = make_density_pipeline(PowerTransformer(), Gaussian()).fit(X)
    assert pipe[0].lambdas_[0] < 0
    assert 0.99 < pipe.image_mass_ < 1.0
    assert pipe.likelihood_kind == "estimate"
    assert _integral_1d(pipe, -np.inf, np.inf) == pytest.approx(1.0, abs=1e-3)
    S = pipe.sample(5000, random_state=0)
    assert np.isfinite(S).all()
    np.testing.assert_array_equal(S, pipe.sample(5000, random_state=0))
    # a range covering R^d needs no correction
    assert make_density_pipeline(StandardScaler(), Gaussian()).fit(X).image_mass_ == 1.0


# ---------------------------------------------------------------- sampling
def test_sample_maps_back_through_the_inverses(X3):
    pipe = make_density_pipeline(StandardScaler(), PCA(whiten=True),
                                 Gaussian(reg_covar=0)).fit(X3)
    S = pipe.sample(20000, random_state=0)
    np.testing.assert_allclose(S.mean(axis=0), X3.mean(axis=0),
                               atol=0.05 * X3.std(axis=0).max())
    C_model, C_sample = np.cov(X3.T, bias=True), np.cov(S.T)
    np.testing.assert_allclose(C_sample / np.sqrt(np.outer(np.diag(C_model), np.diag(C_model))),
                               C_model / np.sqrt(np.outer(np.diag(C_model), np.diag(C_model))),
                               atol=0.03)
    # with a per-call seed: the final estimator's draw, mapped back
    Z = pipe[-1].sample(5, random_state=3)
    expected = pipe[0].inverse_transform(pipe[1].inverse_transform(Z))
    np.testing.assert_allclose(pipe.sample(5, random_state=3), expected)
    assert not np.array_equal(pipe.sample(5), pipe.sample(5))


def test_dataframes_in_and_out(X3):
    frame = pd.DataFrame(X3, columns=["height", "width", "depth"])
    pipe = make_density_pipeline(StandardScaler(), Gaussian()).fit(frame)
    S = pipe.sample(4, random_state=0)
    assert isinstance(S, pd.DataFrame) and list(S.columns) == ["height", "width", "depth"]
    with pytest.warns(UserWarning, match="feature names"):  # as scikit-learn warns
        np.testing.assert_allclose(pipe.score_samples(frame), pipe.score_samples(frame.values))
    arr = make_density_pipeline(StandardScaler(), Gaussian()).fit(X3)
    np.testing.assert_allclose(pipe.score_samples(frame), arr.score_samples(X3))
    np.testing.assert_allclose(S.values, arr.sample(4, random_state=0))
    # steps that output DataFrames work too
    pd_pipe = make_density_pipeline(StandardScaler(), Gaussian()).set_output(transform="pandas")
    pd_pipe.fit(frame)
    np.testing.assert_allclose(pd_pipe.score_samples(frame), pipe.score_samples(frame))
    assert list(pd_pipe.sample(2, random_state=0).columns) == ["height", "width", "depth"]


def test_rows_outside_a_steps_domain_get_minus_inf():
    X = np.random.RandomState(0).lognormal(size=(200, 2))
    pipe = make_density_pipeline(LogTransformer(), Gaussian()).fit(X)
    Q = np.array([[1.0, 2.0], [-1.0, 2.0], [3.0, 0.5], [0.0, 0.0]])
    out = pipe.score_samples(Q)
    assert np.isneginf(out[[1, 3]]).all()
    np.testing.assert_allclose(out[[0, 2]], pipe.score_samples(Q[[0, 2]]))
    assert np.isneginf(pipe.score_samples(Q[[1]])).all()
    with pytest.raises(ValueError, match="NaN"):
        pipe.score_samples([[np.nan, 1.0]])


# ------------------------------------------------------- sklearn integration
def test_params_named_steps_clone_and_cross_validation(X3):
    pipe = make_density_pipeline(StandardScaler(), GaussianMixture(1, random_state=0))
    assert list(pipe.named_steps) == ["standardscaler", "gaussianmixture"]
    pipe.set_params(gaussianmixture__n_components=2, standardscaler__with_mean=False)
    assert pipe.get_params()["gaussianmixture__n_components"] == 2
    assert set(pipe.get_params(deep=False)) == {"steps", "memory", "verbose"}
    copy = clone(pipe)
    assert copy.get_params()["gaussianmixture__n_components"] == 2
    cv = KFold(4, shuffle=True, random_state=0)
    scores = cross_val_score(pipe, X3, cv=cv)
    manual = [
        clone(pipe).fit(X3[train]).score_samples(X3[test]).mean()
        for train, test in cv.split(X3)
    ]
    np.testing.assert_allclose(scores, manual)
    assert DensityPipeline.likelihood_kind == "exact"
    assert pipe.likelihood_kind == "exact"
    assert make_density_pipeline(Dequantizer(), Gaussian()).likelihood_kind == "lower_bound"
    assert make_density_pipeline(StandardScaler(), StandardScaler(), Gaussian()).steps[0][0] \
        == "standardscaler-1"


def test_grid_search_compares_preprocessing_in_original_units(X3):
    """Any affine scaler gives the same Gaussian MLE density: scores agree across them.

    The plain scikit-learn pipeline would rank the scalers by how much they
    shrink the data instead.
    """
    grid = {"scaler": [StandardScaler(), MinMaxScaler(), "passthrough"]}
    cv = KFold(3, shuffle=True, random_state=0)
    dens = GridSearchCV(DensityPipeline([("scaler", StandardScaler()),
                                         ("gaussian", Gaussian(reg_covar=0))]), grid, cv=cv)
    plain = GridSearchCV(Pipeline([("scaler", StandardScaler()),
                                   ("gaussian", Gaussian(reg_covar=0))]), grid, cv=cv)
    d_scores = dens.fit(X3).cv_results_["mean_test_score"]
    p_scores = plain.fit(X3).cv_results_["mean_test_score"]
    np.testing.assert_allclose(d_scores, d_scores[2], atol=1e-8)
    assert np.ptp(p_scores) > 5  # nats: MinMaxScaler "wins" by shrinking the data
    assert isinstance(plain.best_params_["scaler"], MinMaxScaler)


def test_grid_search_selects_kde_bandwidth_by_held_out_likelihood_in_original_units():
    rng = np.random.RandomState(0)
    X = np.concatenate([rng.normal(0, 1, 150), rng.normal(6, 0.5, 150)])[:, None] * 40.0
    bandwidths = [0.02, 0.05, 0.1, 0.2, 0.4, 0.8]
    cv = KFold(3, shuffle=True, random_state=0)
    search = GridSearchCV(make_density_pipeline(StandardScaler(), KernelDensity()),
                          {"kerneldensity__bandwidth": bandwidths}, cv=cv).fit(X)
    # the held-out log-likelihood of a KDE on the original data with the bandwidth
    # rescaled by each training fold's standard deviation
    manual = np.zeros(len(bandwidths))
    for train, test in cv.split(X):
        sd = X[train].std()
        for i, h in enumerate(bandwidths):
            kde = KernelDensity(metric="euclidean", bandwidth=h * sd).fit(X[train])
            manual[i] += kde.score_samples(X[test]).mean() / cv.get_n_splits()
    np.testing.assert_allclose(search.cv_results_["mean_test_score"], manual, rtol=1e-9)
    assert search.best_params_["kerneldensity__bandwidth"] == bandwidths[np.argmax(manual)]
    assert search.best_params_["kerneldensity__bandwidth"] not in (bandwidths[0], bandwidths[-1])
    assert search.best_score_ == pytest.approx(manual.max())


# ----------------------------------------------------------------- refusals
def test_steps_without_a_density_are_refused_with_their_name(X3):
    with pytest.raises(ValueError, match=r"Step 'pca' \(PCA\) .* PCA keeps 2 of 3 dimensions"):
        make_density_pipeline(StandardScaler(), PCA(n_components=2), Gaussian()).fit(X3)
    cats = np.random.RandomState(0).randint(0, 3, size=(50, 2))
    with pytest.raises(TypeError, match=r"Step 'onehotencoder' \(OneHotEncoder\)"):
        make_density_pipeline(OneHotEncoder(sparse_output=False), Gaussian()).fit(cats)
    with pytest.raises(TypeError, match=r"Step 'functiontransformer'.*does not know"):
        make_density_pipeline(FunctionTransformer(np.tanh), Gaussian()).fit(X3)
    # a parameter changed on a fitted step: score_samples and sample refuse too
    pipe = make_density_pipeline(MinMaxScaler(), Gaussian()).fit(X3)
    pipe.set_params(minmaxscaler__clip=True)
    with pytest.raises(ValueError, match=r"Step 'minmaxscaler' .*score_samples.*clip=True"):
        pipe.score_samples(X3)
    with pytest.raises(ValueError, match=r"Step 'minmaxscaler' .*sample.*clip=True"):
        pipe.sample(3)


class _ImplicitModel(GenerativeMixin, BaseEstimator):
    likelihood_kind = "none"

    def fit(self, X, y=None):
        self.mean_ = np.mean(X, axis=0)
        return self

    def sample(self, n_samples=1, *, random_state=None):
        rng = np.random.RandomState(random_state)
        return self.mean_ + rng.normal(size=(n_samples, self.mean_.size))


def test_a_final_estimator_without_density_gives_no_score(X3):
    pipe = make_density_pipeline(StandardScaler(), _ImplicitModel()).fit(X3)
    assert pipe.likelihood_kind == "none"
    assert not hasattr(pipe, "score_samples") and not hasattr(pipe, "score")
    with pytest.raises(AttributeError, match="defines no density"):
        pipe.score_samples(X3)
    assert pipe.sample(3, random_state=0).shape == (3, 3)


# ---------------------------------------------------------- the common battery
@pytest.mark.parametrize(
    "make, positive",
    [
        (lambda: make_density_pipeline(StandardScaler(), Gaussian()), False),
        (lambda: make_density_pipeline(MinMaxScaler(), PCA(whiten=True),
                                       GaussianMixture(2, random_state=0)), False),
        (lambda: make_density_pipeline(LogTransformer(), GaussianMixture(2, random_state=0)),
         True),
    ],
    ids=["standard-gaussian", "minmax-pca-gmm", "log-gmm"],
)
def test_check_generative_estimator(make, positive):
    from skgen.testing import check_generative_estimator

    if positive:
        X = np.exp(np.random.RandomState(0).normal(size=(300, 2)) @ [[0.8, 0.3], [0.0, 0.5]])
        check_generative_estimator(make(), X)
    else:
        check_generative_estimator(make())


def test_sample_with_a_scikit_learn_mixture_as_final_step():
    """scikit-learn's GaussianMixture returns (X, labels) and takes no per-call seed."""
    from sklearn.mixture import GaussianMixture as SkGaussianMixture
    from sklearn.preprocessing import StandardScaler

    X = np.random.RandomState(0).normal(size=(200, 2)) * [10.0, 0.1] + 5.0
    pipe = make_density_pipeline(StandardScaler(), SkGaussianMixture(2, random_state=0))
    pipe.fit(X)
    S = pipe.sample(3000)
    assert S.shape == (3000, 2)
    np.testing.assert_allclose(S.mean(0), X.mean(0), atol=0.05 * X.std(0).max() + 0.02)
    # seeded through its random_state parameter, on a copy: reproducible draws
    np.testing.assert_array_equal(pipe.sample(3, random_state=0), pipe.sample(3, random_state=0))
    assert pipe[-1].random_state == 0  # the fitted step itself is unchanged


# ------------------------------------------------ a classifier as final step
def test_a_pipeline_ending_in_a_classifier_is_a_classifier():
    # It used to be tagged a density estimator whatever its final step, so
    # cross_val_score returned a log-likelihood (-0.97 on iris) from unstratified
    # folds where the bare classifier returned its accuracy (0.98).
    from sklearn.base import is_classifier
    from sklearn.datasets import load_iris
    from sklearn.model_selection import StratifiedKFold, check_cv

    from skgen.conditional import GenerativeClassifier

    X, y = load_iris(return_X_y=True)
    pipe = make_density_pipeline(StandardScaler(), GenerativeClassifier(Gaussian()))
    assert is_classifier(pipe)
    assert pipe.__sklearn_tags__().estimator_type == "classifier"
    assert isinstance(check_cv(5, y, classifier=is_classifier(pipe)), StratifiedKFold)
    scores = cross_val_score(pipe, X, y)
    assert scores.mean() > 0.9
    np.testing.assert_allclose(
        scores, cross_val_score(GenerativeClassifier(Gaussian()), X, y))

    pipe.fit(X, y)
    clf = pipe[-1]
    Z = pipe[0].transform(X)
    np.testing.assert_array_equal(pipe.predict(X), clf.predict(Z))
    np.testing.assert_allclose(pipe.predict_proba(X), clf.predict_proba(Z))
    np.testing.assert_allclose(pipe.predict_log_proba(X), clf.predict_log_proba(Z))
    assert pipe.score(X, y) == clf.score(Z, y) == np.mean(pipe.predict(X) == y)
    # the density stays in the original units
    log_p = pipe.score_samples(X)
    assert np.isfinite(log_p).all()
    np.testing.assert_allclose(
        log_p, clf.score_samples(Z) - np.sum(np.log(pipe[0].scale_)))
    assert pipe.sample(5, random_state=0).shape == (5, 4)
    assert pipe.bits_per_dim(X) == pytest.approx(-np.mean(log_p) / (4 * np.log(2)))
    # a density as final step keeps the density estimator's type and score
    dens = make_density_pipeline(StandardScaler(), Gaussian()).fit(X)
    assert not is_classifier(dens)
    assert dens.__sklearn_tags__().estimator_type == "density_estimator"
    assert not hasattr(dens, "predict_proba")
    assert dens.score(X) == pytest.approx(np.mean(dens.score_samples(X)))


def test_sample_seeds_a_scikit_learn_final_step_and_returns_labels():
    # shared sampling helper: a final step without a per-call seed is seeded on a copy
    from sklearn.mixture import GaussianMixture as SkGaussianMixture

    from skgen.conditional import GenerativeClassifier

    rng = np.random.RandomState(0)
    X = rng.lognormal(size=(200, 2))
    pipe = make_density_pipeline(StandardScaler(), SkGaussianMixture(2, random_state=0)).fit(X)
    np.testing.assert_array_equal(pipe.sample(5, random_state=1), pipe.sample(5, random_state=1))
    y = np.repeat(["a", "b"], 100)
    clf = make_density_pipeline(StandardScaler(), GenerativeClassifier(Gaussian())).fit(X, y)
    Xs, ys = clf.sample(50, random_state=0, return_y=True)
    assert Xs.shape == (50, 2) and set(ys) <= {"a", "b"}
    np.testing.assert_array_equal(clf.sample(50, random_state=0), Xs)
