"""Invertible transformers: Jacobians against finite differences, inverses, domains."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.decomposition import PCA
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    MaxAbsScaler,
    MinMaxScaler,
    OneHotEncoder,
    PowerTransformer,
    RobustScaler,
    StandardScaler,
)

from skgen.classical import Gaussian
from skgen.pipeline import make_density_pipeline
from skgen.preprocessing import (
    Dequantizer,
    Invertible,
    LogitTransformer,
    LogTransformer,
    check_invertible,
    log_abs_det_jacobian,
    register_log_abs_det_jacobian,
)


# ------------------------------------------------------------- data makers
def _gaussian(rng, n, d):
    A = rng.normal(size=(d, d)) + 2 * np.eye(d)
    return rng.normal(size=(n, d)) @ A * rng.uniform(0.1, 10, size=d) + rng.normal(size=d) * 5


def _skewed(rng, n, d):  # real-valued, skewed, both signs
    return rng.lognormal(sigma=0.8, size=(n, d)) - rng.uniform(0.2, 1.5, size=d)


def _positive(rng, n, d):
    return rng.lognormal(mean=rng.normal(size=d), sigma=0.7, size=(n, d))


def _box(rng, n, d):  # inside (-1, 2), away from the bounds
    return rng.uniform(-0.95, 1.95, size=(n, d))


TRANSFORMERS = {
    "StandardScaler": (StandardScaler, _gaussian),
    "MinMaxScaler": (lambda: MinMaxScaler(feature_range=(-2, 3)), _gaussian),
    "MaxAbsScaler": (MaxAbsScaler, _gaussian),
    "RobustScaler": (RobustScaler, _gaussian),
    "YeoJohnson": (PowerTransformer, _skewed),
    "YeoJohnson-raw": (lambda: PowerTransformer(standardize=False), _skewed),
    "BoxCox": (lambda: PowerTransformer(method="box-cox"), _positive),
    "BoxCox-raw": (lambda: PowerTransformer(method="box-cox", standardize=False), _positive),
    "PCA-whiten": (lambda: PCA(whiten=True), _gaussian),
    "PCA": (PCA, _gaussian),
    "Log": (lambda: LogTransformer(offset=0.5), _positive),
    "Logit": (lambda: LogitTransformer(bounds=(-1.0, 2.0), eps=1e-3), _box),
    "Invertible": (lambda: Invertible(PowerTransformer()), _skewed),
    "sklearn-Pipeline": (lambda: make_pipeline(StandardScaler(), PCA(whiten=True)), _gaussian),
}


def _numerical_log_det(transform, X, rel_step=1e-6):
    """``log |det J|`` at each row of ``X`` by central finite differences."""
    n, d = X.shape
    h = rel_step * np.maximum(1.0, np.abs(X))  # (n, d)
    out = np.empty(n)
    for i in range(n):
        E = np.diag(h[i])
        plus, minus = transform(X[i] + E), transform(X[i] - E)
        J = (np.asarray(plus) - np.asarray(minus)).T / (2 * h[i])  # J[:, j] = dT/dx_j
        out[i] = np.linalg.slogdet(J)[1]
    return out


@pytest.mark.parametrize("name", sorted(TRANSFORMERS))
@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 2**16), d=st.integers(1, 4))
def test_log_det_matches_finite_differences_and_inverse(name, seed, d):
    make, data = TRANSFORMERS[name]
    rng = np.random.RandomState(seed)
    X = data(rng, 60, d)
    t = make().fit(X)
    points = data(rng, 5, d)
    analytic = log_abs_det_jacobian(t, points)
    assert analytic.shape == (5,)
    numeric = _numerical_log_det(t.transform, points)
    np.testing.assert_allclose(analytic, numeric, atol=2e-5, rtol=1e-6)
    np.testing.assert_allclose(t.inverse_transform(t.transform(points)), points,
                               rtol=1e-9, atol=1e-9)


def test_scaler_log_dets_are_the_documented_constants():
    X = np.random.RandomState(0).normal(size=(100, 3)) * [0.5, 3.0, 40.0]
    for t, expected in [
        (StandardScaler(), lambda t: -np.log(t.scale_).sum()),
        (MinMaxScaler(), lambda t: np.log(t.scale_).sum()),
        (MaxAbsScaler(), lambda t: -np.log(t.scale_).sum()),
        (StandardScaler(with_std=False), lambda t: 0.0),
    ]:
        t.fit(X)
        np.testing.assert_allclose(log_abs_det_jacobian(t, X[:4]), expected(t), rtol=1e-12)
    pca = PCA(whiten=True).fit(X)
    np.testing.assert_allclose(
        log_abs_det_jacobian(pca, X[:2]), -0.5 * np.log(pca.explained_variance_).sum()
    )


# ------------------------------------------------------------------ domains
def test_outside_the_domain_is_minus_inf_and_transform_refuses():
    log = LogTransformer().fit([[1.0, 2.0]])
    out = log.log_abs_det_jacobian([[1.0, 1.0], [-1.0, 1.0], [1.0, 0.0]])
    assert np.isfinite(out[0]) and np.all(np.isneginf(out[1:]))
    with pytest.raises(ValueError, match=r"x > -0.0.*X\[0, 0\] = .*-1"):
        log.transform([[-1.0, 1.0]])
    with pytest.raises(ValueError, match="LogTransformer is defined for"):
        LogTransformer().fit([[0.0]])

    logit = LogitTransformer(eps=0.0).fit([[0.5]])
    out = logit.log_abs_det_jacobian([[0.5], [0.0], [1.2]])
    assert np.isfinite(out[0]) and np.all(np.isneginf(out[1:]))
    with pytest.raises(ValueError, match="strictly between 0.0 and 1.0"):
        logit.transform([[1.0]])
    # with eps > 0 the bounds are inside the domain, and the domain is a little wider
    wide = LogitTransformer(eps=0.01).fit([[0.0], [1.0]])
    assert np.all(np.isfinite(wide.log_abs_det_jacobian([[0.0], [1.0], [1.005]])))
    assert np.isneginf(wide.log_abs_det_jacobian([[1.02]])[0])

    positive = np.random.RandomState(0).lognormal(size=(50, 1))
    boxcox = PowerTransformer(method="box-cox").fit(positive)
    assert np.isneginf(log_abs_det_jacobian(boxcox, [[-1.0]])[0])


@pytest.mark.parametrize("bad", [dict(bounds=(1.0, 0.0)), dict(bounds=(0.0,)),
                                 dict(eps=0.5), dict(bounds=(0.0, np.inf))])
def test_logit_rejects_bad_parameters(bad):
    with pytest.raises(ValueError):
        LogitTransformer(**bad).fit([[0.5]])


def test_nan_is_rejected():
    with pytest.raises(ValueError, match="NaN"):
        LogTransformer().fit([[1.0], [np.nan]])
    scaler = StandardScaler().fit([[1.0], [2.0]])  # scikit-learn's scaler lets NaN through
    with pytest.raises(ValueError, match="NaN"):
        log_abs_det_jacobian(scaler, [[np.nan]])
    with pytest.raises(ValueError, match="NaN"):
        Invertible(StandardScaler()).fit([[1.0], [2.0]]).transform([[np.nan]])


# ---------------------------------------------------------------- refusals
def test_transformers_that_are_not_bijections_are_refused():
    X = np.random.RandomState(0).normal(size=(40, 3))
    with pytest.raises(ValueError, match="PCA keeps 2 of 3 dimensions"):
        check_invertible(PCA(n_components=2).fit(X))
    with pytest.raises(ValueError, match="PCA keeps 2 of 3 dimensions"):  # n_samples < n_features
        check_invertible(PCA().fit(X[:2]))
    with pytest.raises(ValueError, match="clip=True"):
        check_invertible(MinMaxScaler(clip=True).fit(X))
    with pytest.raises(TypeError, match="does not know .* OneHotEncoder"):
        check_invertible(OneHotEncoder().fit(X > 0))
    with pytest.raises(TypeError, match="FunctionTransformer"):
        Invertible(FunctionTransformer(np.log1p)).fit(X)
    with pytest.raises(ValueError, match="PCA keeps 1 of 3"):
        Invertible(PCA(n_components=1)).fit(X)
    with pytest.raises(TypeError, match="its step 'onehotencoder'"):
        check_invertible(make_pipeline(StandardScaler(), OneHotEncoder()))

    class MyScaler(StandardScaler):  # subclasses may change transform: not trusted
        pass

    with pytest.raises(TypeError, match="MyScaler"):
        check_invertible(MyScaler().fit(X))


class _Affine(TransformerMixin, BaseEstimator):
    def __init__(self, factor=3.0):
        self.factor = factor

    def fit(self, X, y=None):
        self.n_features_in_ = np.shape(X)[1]
        return self

    def transform(self, X):
        return self.factor * np.asarray(X, dtype=float) + 1.0

    def inverse_transform(self, Z):
        return (np.asarray(Z, dtype=float) - 1.0) / self.factor


def test_registering_a_jacobian_makes_a_transformer_usable():
    X = np.random.RandomState(0).normal(size=(200, 2))
    with pytest.raises(TypeError, match="_Affine"):
        make_density_pipeline(_Affine(), Gaussian(reg_covar=0)).fit(X)
    register_log_abs_det_jacobian(
        _Affine, lambda t, X: np.full(len(X), X.shape[1] * np.log(abs(t.factor)))
    )
    pipe = make_density_pipeline(_Affine(), Gaussian(reg_covar=0)).fit(X)
    np.testing.assert_allclose(pipe.score_samples(X),
                               Gaussian(reg_covar=0).fit(X).score_samples(X), atol=1e-10)


def test_invertible_box_cox_in_a_pipeline_acts_as_the_bare_transformer():
    # Box-Cox with lambda > 0 maps onto a half-line: the pipeline renormalizes
    # by the final estimator's mass there and rejects draws outside it. The
    # wrapper must tell it so (Invertible._in_image), or the density is off by
    # log(image_mass_) and inverse_transform of draws outside the range is NaN.
    rng = np.random.RandomState(0)
    X = np.column_stack([rng.uniform(0.1, 1.0, 300), rng.uniform(1.0, 2.0, 300)])
    bare = make_density_pipeline(PowerTransformer(method="box-cox"), Gaussian()).fit(X)
    wrapped = make_density_pipeline(
        Invertible(PowerTransformer(method="box-cox")), Gaussian()).fit(X)
    assert bare.image_mass_ < 1.0
    assert wrapped.image_mass_ == bare.image_mass_
    assert wrapped.likelihood_kind == bare.likelihood_kind == "estimate"
    np.testing.assert_allclose(wrapped.score_samples(X), bare.score_samples(X))
    draws = wrapped.sample(2000, random_state=0)
    assert np.isfinite(draws).all()
    np.testing.assert_array_equal(draws, bare.sample(2000, random_state=0))


# --------------------------------------------------------------- dequantizer
def test_dequantizer_transform_inverse_and_correction():
    rng = np.random.RandomState(0)
    X = rng.randint(0, 256, size=(300, 3)).astype(float)
    dq = Dequantizer(n_levels=256, random_state=0).fit(X)
    Y = dq.transform(X)
    assert np.all((Y >= 0) & (Y < 1))
    np.testing.assert_array_equal(dq.inverse_transform(Y), X)
    np.testing.assert_allclose(dq.log_abs_det_jacobian(X), -3 * np.log(256))
    assert np.isneginf(dq.log_abs_det_jacobian([[0.5, 1, 2]])[0])
    # the noise is uniform on each cell
    assert stats.kstest((Y * 256 - X).ravel(), "uniform").pvalue > 1e-3
    raw = Dequantizer(scale=False).fit(X)
    assert raw.n_levels_ == int(X.max()) + 1
    np.testing.assert_allclose(raw.log_abs_det_jacobian(X), 0.0)
    assert Dequantizer.likelihood_kind == "lower_bound"


def test_dequantizer_refuses_bad_data():
    with pytest.raises(ValueError, match="is not an integer"):
        Dequantizer().fit([[0.5, 1.0]])
    with pytest.raises(ValueError, match="non-negative"):
        Dequantizer().fit([[-1.0, 1.0]])
    with pytest.raises(ValueError, match="n_levels=4 allows 0..3"):
        Dequantizer(n_levels=4).fit([[4.0]])
    with pytest.raises(ValueError, match="not an integer"):
        Dequantizer().fit([[1.0]]).transform([[0.3]])


def test_dequantized_density_is_a_lower_bound_on_the_discrete_probability():
    """E_u[score] <= log P(x) (Jensen), P sums to one, and samples follow P."""
    L = 8
    rng = np.random.RandomState(0)
    X = rng.binomial(L - 1, 0.4, size=(2000, 1)).astype(float)
    pipe = make_density_pipeline(Dequantizer(n_levels=L), Gaussian(reg_covar=0)).fit(X)
    assert pipe.likelihood_kind == "lower_bound"
    g = pipe[-1]
    mu, sd = g.mean_[0], np.sqrt(g.covariance_[0, 0])
    levels = np.arange(-10, L + 10, dtype=float)
    # the discrete model: P(x) = mass of the Gaussian on [x/L, (x+1)/L)
    P = stats.norm.cdf((levels + 1) / L, mu, sd) - stats.norm.cdf(levels / L, mu, sd)
    assert P.sum() == pytest.approx(1.0, abs=1e-9)
    # the bound, averaged over many noise draws (a row's noise is a function of
    # the row and the seed: one seed per draw)
    inner = (levels >= -3) & (levels < L + 3)
    reps = 1000
    draws = np.column_stack([
        pipe.set_params(dequantizer__random_state=r).score_samples(levels[inner, None])
        for r in range(reps)
    ])
    bound = draws.mean(axis=1)
    se = draws.std(axis=1) / np.sqrt(reps)
    log_P = np.log(P[inner])
    assert np.all(bound <= log_P + 3 * se)
    gap = log_P - bound
    # tight where the data are: the expected gap under P is a few hundredths of a nat
    assert np.sum(P[inner] * gap) < 0.03
    # without the -log L correction the "probabilities" would sum to about L
    assert np.exp(bound + np.log(L)).sum() == pytest.approx(L, rel=0.05)
    # samples are integers drawn from P
    S = pipe.sample(20000, random_state=0).ravel()
    np.testing.assert_array_equal(S, np.floor(S))
    counts = np.array([(S == v).sum() for v in levels])
    keep = P * len(S) > 5
    expected = P[keep] / P[keep].sum() * counts[keep].sum()
    assert stats.chisquare(counts[keep], expected).pvalue > 1e-3
    # bits per dimension: -mean score / (d ln 2), an upper bound on the discrete one
    bits = pipe.set_params(dequantizer__random_state=0).bits_per_dim(X)
    assert bits == pytest.approx(-pipe.score(X) / np.log(2))
    # X repeats its 8 levels, and a row's noise is a function of the row: one
    # seed gives one draw per level, so average the estimate over seeds
    bits = np.mean([pipe.set_params(dequantizer__random_state=r).bits_per_dim(X)
                    for r in range(100)])
    # ... an upper bound on the discrete model's bits per dimension on X
    P_X = stats.norm.cdf((X + 1) / L, mu, sd) - stats.norm.cdf(X / L, mu, sd)
    discrete_bits = -np.mean(np.log2(P_X))
    assert discrete_bits - 0.005 < bits < discrete_bits + 0.05
