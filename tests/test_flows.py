"""Normalizing flows (skgen.flows): exact transforms, normalized densities, labels."""

import pickle

import numpy as np
import pytest
import torch
from scipy.special import logsumexp

from skgen.classical import Gaussian
from skgen.datasets import make_eight_gaussians
from skgen.flows import MAF, NSF, RealNVP
from skgen.flows._transforms import (
    AutoregressiveTransform,
    CouplingTransform,
    Flow,
    Permutation,
)
from skgen.flows._univariate import Affine, RationalQuadraticSpline, rational_quadratic_spline
from skgen.nn import init_parameters

torch.set_num_threads(1)

SMALL = dict(n_transforms=2, hidden_sizes=(16, 16), batch_size=128, learning_rate=5e-3,
             random_state=0)
FLOWS = {
    "RealNVP": lambda **kw: RealNVP(**{**SMALL, **kw}),
    "MAF": lambda **kw: MAF(**{**SMALL, **kw}),
    "NSF-autoregressive": lambda **kw: NSF(**{**SMALL, **kw}),
    "NSF-coupling": lambda **kw: NSF(architecture="coupling", **{**SMALL, **kw}),
}

# ------------------------------------------------------------- transforms
SPLINE = RationalQuadraticSpline(bins=5, bound=2.0)
TRANSFORMS = {
    "permutation": lambda d, c: Permutation(np.roll(np.arange(d), 1)),
    "coupling-affine": lambda d, c: CouplingTransform(d, [1, 2], Affine(), (8,),
                                                      context_features=c),
    "coupling-spline": lambda d, c: CouplingTransform(d, [0], SPLINE, (8,),
                                                      context_features=c),
    "autoregressive-affine": lambda d, c: AutoregressiveTransform(d, Affine(), (8, 8),
                                                                  context_features=c),
    # scaled on [-0.5, 0.5] only: rows of 1.5 N(0, 1) fall on both sides
    "coupling-affine-tails": lambda d, c: CouplingTransform(
        d, [1, 2], Affine(tail_bound=0.5), (8,), context_features=c),
    "autoregressive-affine-tails": lambda d, c: AutoregressiveTransform(
        d, Affine(tail_bound=0.5), (8, 8), context_features=c),
    "autoregressive-spline": lambda d, c: AutoregressiveTransform(d, SPLINE, (8,),
                                                                  context_features=c),
    "autoregressive-spline-reordered": lambda d, c: AutoregressiveTransform(
        d, SPLINE, (8,), context_features=c, order=np.roll(np.arange(d)[::-1], 1)),
}


def _randomized(transform, seed=0):
    """float64 copy with random (not identity) weights."""
    transform = transform.double()
    g = torch.Generator().manual_seed(seed)
    init_parameters(transform, g)
    with torch.no_grad():
        for p in transform.parameters():
            p.add_(0.7 * torch.randn(p.shape, generator=g, dtype=p.dtype))
    return transform


@pytest.mark.parametrize("context", [0, 2])
@pytest.mark.parametrize("name", sorted(TRANSFORMS))
def test_transform_inverse_and_log_det(name, context):
    d = 3
    t = _randomized(TRANSFORMS[name](d, context))
    g = torch.Generator().manual_seed(1)
    x = 1.5 * torch.randn(16, d, generator=g, dtype=torch.float64)
    x[0] = torch.tensor([2.5, -3.0, 0.1])  # outside the spline's interval
    c = torch.randn(16, context, generator=g, dtype=torch.float64) if context else None
    z, ladj = t(x, c)
    assert z.shape == x.shape and ladj.shape == (16,)
    x_back = t.inverse(z, c)
    torch.testing.assert_close(t(x_back, c)[0], z, rtol=1e-9, atol=1e-9)
    # x itself comes back to rounding amplified by the inverse Jacobian: check
    # the rows whose forward map does not squeeze volume by more than e^15
    ok = ladj > -15
    assert ok.sum() >= 10
    torch.testing.assert_close(x_back[ok], x[ok], rtol=1e-9, atol=1e-9)
    for i in range(len(x)):
        ci = None if c is None else c[i:i + 1]
        jac = torch.autograd.functional.jacobian(lambda v: t(v[None], ci)[0][0], x[i])
        sign, logabsdet = torch.linalg.slogdet(jac)
        torch.testing.assert_close(ladj[i], logabsdet, rtol=1e-9, atol=1e-9)
    # gradients reach every parameter
    params = list(t.parameters())
    if params:
        (z.sum() + ladj.sum()).backward()
    for p in params:
        assert p.grad is not None and torch.isfinite(p.grad).all()


def test_spline_is_monotone_identity_outside_and_at_zero():
    g = torch.Generator().manual_seed(0)
    K = 6
    w, h = torch.randn(1, K, generator=g), torch.randn(1, K, generator=g)
    d = torch.randn(1, K - 1, generator=g)
    x = torch.linspace(-4, 4, 2001, dtype=torch.float32)[:, None]
    y, ladj = rational_quadratic_spline(x, w.expand(2001, K)[:, None], h.expand(2001, K)[:, None],
                                        d.expand(2001, K - 1)[:, None], bound=3.0)
    assert (torch.diff(y[:, 0]) > 0).all()
    outside = x.abs() > 3
    assert torch.equal(y[outside], x[outside]) and (ladj[outside] == 0).all()
    assert torch.isclose(y[x == 3.0], x[x == 3.0]).all()
    zeros = torch.zeros(2001, 1, K)
    y0, ladj0 = rational_quadratic_spline(x, zeros, zeros, zeros[..., :-1], bound=3.0)
    torch.testing.assert_close(y0, x)
    torch.testing.assert_close(ladj0, torch.zeros_like(ladj0))


def _naive_spline(x, w, h, d, bound, inverse=False, eps=1e-3):
    """One element of the spline from the paper's formulas, in Python floats;
    the inverse by bisection on the forward map."""
    if inverse:
        lo, hi = -bound - 1.0, bound + 1.0
        for _ in range(200):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if _naive_spline(mid, w, h, d, bound)[0] < x else (lo, mid)
        return lo, _naive_spline(lo, w, h, d, bound)[1]
    if not -bound <= x <= bound:
        return x, 0.0
    K = len(w)

    def knots(raw):
        sizes = eps + (1 - eps * K) * np.exp(raw - raw.max()) / np.exp(raw - raw.max()).sum()
        return np.r_[-bound, -bound + 2 * bound * np.cumsum(sizes)[:-1], bound]

    xk, yk = knots(w), knots(h)
    deriv = np.r_[1.0, eps + np.log1p(np.exp(d + np.log(np.expm1(1 - eps)))), 1.0]
    k = min(np.searchsorted(xk, x, side="right") - 1, K - 1)
    width, s = xk[k + 1] - xk[k], (yk[k + 1] - yk[k]) / (xk[k + 1] - xk[k])
    t = (x - xk[k]) / width
    den = s + (deriv[k] + deriv[k + 1] - 2 * s) * t * (1 - t)
    y = yk[k] + (yk[k + 1] - yk[k]) * (s * t * t + deriv[k] * t * (1 - t)) / den
    slope = s * s * (deriv[k + 1] * t * t + 2 * s * t * (1 - t) + deriv[k] * (1 - t) ** 2)
    return y, float(np.log(slope / den ** 2))


@pytest.mark.parametrize("inverse", [False, True])
def test_spline_matches_the_papers_formulas(inverse):
    rng = np.random.RandomState(0)
    K, n, bound = 5, 60, 2.0
    w, h, d = rng.normal(size=(n, K)) * 2, rng.normal(size=(n, K)) * 2, rng.normal(size=(n, K - 1))
    x = rng.uniform(-2.5, 2.5, size=n)
    y, ladj = rational_quadratic_spline(
        *(torch.as_tensor(a) for a in (x, w, h, d)), bound=bound, inverse=inverse)
    expected = np.array([_naive_spline(*args, bound, inverse=inverse)
                         for args in zip(x, w, h, d)])
    np.testing.assert_allclose(y.numpy(), expected[:, 0], rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(ladj.numpy(), expected[:, 1], rtol=1e-7, atol=1e-8)


def test_flow_log_prob_matches_change_of_variables():
    t = [_randomized(TRANSFORMS["autoregressive-spline"](2, 0)),
         _randomized(TRANSFORMS["permutation"](2, 0))]
    flow = Flow(t, 2).double()
    x = torch.randn(5, 2, dtype=torch.float64)
    z = x
    total = torch.zeros(5, dtype=torch.float64)
    for tr in t:
        z, ladj = tr(z)
        total += ladj
    base = torch.distributions.Normal(0.0, 1.0).log_prob(z).sum(-1)
    torch.testing.assert_close(flow.log_prob(x), base + total)
    torch.testing.assert_close(flow.inverse(z), x)


# ------------------------------------------------------------- estimators
def _grid_integral(est, X, cells=300, pad=4.0):
    lo, hi = X.min(axis=0) - pad * X.std(axis=0), X.max(axis=0) + pad * X.std(axis=0)
    axes = [np.linspace(a, b, cells + 1) for a, b in zip(lo, hi)]
    mids = [(a[1:] + a[:-1]) / 2 for a in axes]
    G = np.stack(np.meshgrid(*mids, indexing="ij"), -1).reshape(-1, 2)
    area = np.prod([(b - a) / cells for a, b in zip(lo, hi)])
    return np.exp(est.score_samples(G)).sum() * area


@pytest.mark.parametrize("name", sorted(FLOWS))
def test_flow_trains_and_integrates_to_one(name):
    X = make_eight_gaussians(1500, random_state=0)
    X_test = make_eight_gaussians(1000, random_state=1)
    n_transforms = 2 if name.startswith("NSF") else 4  # affine layers are weaker
    est = FLOWS[name](max_epochs=15, n_transforms=n_transforms).fit(X)
    assert est.likelihood_kind == "exact"
    assert np.isfinite(est.history_[-1]["valid_log_likelihood"])
    assert abs(_grid_integral(est, X) - 1) < 0.01
    # training works: better than the best single Gaussian on held-out data
    assert est.score(X_test) > Gaussian().fit(X).score(X_test) + 0.5


def test_nsf_approaches_the_true_density():
    # a small version of the benchmark: the true density's held-out score is the ceiling
    X, dist = make_eight_gaussians(3000, random_state=0, return_distribution=True)
    X_test = make_eight_gaussians(2000, random_state=1)
    est = NSF(n_transforms=3, hidden_sizes=(32, 32), max_epochs=25, learning_rate=3e-3,
              random_state=0).fit(X)
    gap = dist.score(X_test) - est.score(X_test)
    assert -0.05 < gap < 0.35


@pytest.mark.parametrize("name", sorted(FLOWS))
def test_same_seed_same_flow_and_pickle(name):
    X = make_eight_gaussians(300, random_state=0)
    a, b = FLOWS[name](max_epochs=2).fit(X), FLOWS[name](max_epochs=2).fit(X)
    for k, v in a.module_.state_dict().items():
        assert torch.equal(v, b.module_.state_dict()[k]), k
    loaded = pickle.loads(pickle.dumps(a))
    np.testing.assert_array_equal(loaded.score_samples(X), a.score_samples(X))
    np.testing.assert_array_equal(loaded.sample(7, random_state=0), a.sample(7, random_state=0))


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("name", sorted(FLOWS))
def test_score_is_batch_invariant_bitwise(name, threads):
    # float32 in fixed-size padded blocks: a row's log-density is the same bits
    # alone, in a call of any size, and at any position of the call
    rng = np.random.RandomState(0)
    X = make_eight_gaussians(600, random_state=0)
    y = rng.randint(0, 3, size=len(X))
    Z = make_eight_gaussians(9000, random_state=1)  # several blocks, a padded last one
    yz = rng.randint(0, 3, size=len(Z))
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        for labels, ylabels in [(None, None), (y, yz)]:
            est = FLOWS[name](max_epochs=2).fit(X, labels)
            block = est._inference_chunk_size(est.module_, torch.float32)
            assert block & (block - 1) == 0 and len(Z) > 2 * block
            kw = {} if labels is None else {"y": ylabels}
            full = est.score_samples(Z, **kw)
            assert full.dtype == np.float64 and np.isfinite(full).all()
            cuts = [0, 1, 8, block - 1, block + 3, 2 * block + 5, len(Z)]
            parts = np.concatenate([
                est.score_samples(Z[a:b], **({} if labels is None else {"y": yz[a:b]}))
                for a, b in zip(cuts[:-1], cuts[1:])])
            np.testing.assert_array_equal(parts, full)
            for i in [0, 1, block - 1, block, len(Z) - 1]:  # a row alone
                alone = est.score_samples(Z[i:i + 1], **({} if labels is None else
                                                         {"y": yz[i:i + 1]}))
                np.testing.assert_array_equal(alone, full[i:i + 1])
            perm = rng.permutation(len(Z))  # every row at another position
            shuffled = est.score_samples(Z[perm], **({} if labels is None else
                                                     {"y": yz[perm]}))
            np.testing.assert_array_equal(shuffled, full[perm])
            if labels is not None:  # the marginal over classes too
                marginal = est.score_samples(Z)
                np.testing.assert_array_equal(est.score_samples(Z[perm]), marginal[perm])
                np.testing.assert_array_equal(est.score_samples(Z[7:8]), marginal[7:8])
    finally:
        torch.set_num_threads(previous)


@pytest.mark.parametrize("name", sorted(FLOWS))
def test_float32_scores_match_float64(name):
    # the exact likelihood stays exact to float32 rounding: against the float64
    # network, well under 1e-3 nat on data like the training data (~1e-5), and
    # to a relative 1e-5 far in the tails (log-densities of -2000 there)
    X = make_eight_gaussians(1500, random_state=0)
    for labels in [None, np.arange(len(X)) % 3]:
        est = FLOWS[name](max_epochs=10).fit(X, labels)
        for Z, typical in [(make_eight_gaussians(3000, random_state=1), True),
                           (3 * X[:200], False)]:
            yz = None if labels is None else np.arange(len(Z)) % 3
            module64 = est._inference_module(torch.float64)
            with torch.no_grad():
                exact = module64.log_prob(
                    torch.as_tensor(est._standardize_X(Z)),
                    None if yz is None else torch.as_tensor(yz)).numpy() - est._log_scale_sum
            got = est.score_samples(Z) if yz is None else est.score_samples(Z, y=yz)
            error = np.abs(got - exact)
            if typical:
                assert error.max() < 1e-3
            assert (error <= 1e-5 * (1 + np.abs(exact))).all()


def test_block_scorer_is_refreshed_pickled_and_falls_back():
    from skgen.flows._scoring import block_log_prob, block_scorer

    X = make_eight_gaussians(600, random_state=0)
    est = FLOWS["NSF-autoregressive"](max_epochs=2).fit(X)
    Z = make_eight_gaussians(300, random_state=1)
    full = est.score_samples(Z)
    # the compiled scorer is reused, and rebuilt when the fitted weights change
    assert block_scorer(est.module_) is block_scorer(est.module_)
    with torch.no_grad():
        next(est.module_.parameters()).mul_(1.5)
    assert np.abs(est.score_samples(Z[:50]) - full[:50]).max() > 1e-3
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(est)).score_samples(Z[:50]),
                                  est.score_samples(Z[:50]))
    # a flow the compiler does not know is evaluated as is, in the same blocks
    flow = Flow([_randomized(TRANSFORMS["permutation"](3, 0)),
                 _randomized(TRANSFORMS["coupling-affine"](3, 0))], 3).float()
    assert block_scorer(flow) is None
    x = torch.randn(37, 3)
    torch.testing.assert_close(block_log_prob(flow, x, None, 16), flow.log_prob(x).detach())
    torch.testing.assert_close(block_log_prob(flow, x[5:6], None, 16),
                               block_log_prob(flow, x, None, 16)[5:6], rtol=0, atol=0)


@pytest.mark.parametrize("context", [0, 2])
@pytest.mark.parametrize("name", [n for n in sorted(TRANSFORMS) if n != "permutation"])
def test_block_scorer_computes_the_flow(name, context):
    from skgen.flows._scoring import BlockScorer, block_log_prob

    d, n_classes = 3, 4
    flow = Flow([_randomized(TRANSFORMS[name](d, context), seed=1),
                 _randomized(TRANSFORMS[name](d, context), seed=2)], d,
                n_classes=n_classes if context else 0, embedding_dim=context).double()
    init_parameters(flow.embedding, torch.Generator().manual_seed(3)) if context else None
    assert BlockScorer.compile(flow) is not None
    g = torch.Generator().manual_seed(4)
    x = 1.5 * torch.randn(40, d, generator=g, dtype=torch.float64)
    y = torch.randint(0, n_classes, (40,), generator=g) if context else None
    with torch.no_grad():
        torch.testing.assert_close(block_log_prob(flow, x, y, 16), flow.log_prob(x, y),
                                   rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("name", sorted(FLOWS))
def test_flows_start_as_the_gaussian(name):
    # zero-initialized last layers: before training the flow is the identity on
    # whitened features, the full-covariance Gaussian of the data (500 rows in
    # 2-D determine it: no shrinkage), and on standardized ones the diagonal one
    X = np.random.RandomState(0).normal(size=(500, 2)) @ [[1.0, 0.0], [1.5, 3.0]] + 5
    for whiten, covariance_type in [(True, "full"), (False, "diag")]:
        est = FLOWS[name](whiten=whiten, max_epochs=1, learning_rate=1e-12).fit(X)
        expected = Gaussian(covariance_type=covariance_type, reg_covar=0).fit(X)
        np.testing.assert_allclose(est.score_samples(X), expected.score_samples(X), rtol=1e-4)


# ------------------------------------------------------------ conditional
@pytest.mark.parametrize("name", ["MAF", "NSF-coupling"])
def test_conditional_flow(name):
    rng = np.random.RandomState(0)
    y = rng.randint(0, 3, size=1500)
    angles = y * 2 * np.pi / 3
    X = np.c_[2 * np.cos(angles), 2 * np.sin(angles)] + 0.3 * rng.normal(size=(1500, 2))
    est = FLOWS[name](max_epochs=20).fit(X, y)
    assert est.classes_.tolist() == [0, 1, 2]
    for label in range(3):
        draws = est.sample(300, y=label, random_state=label)
        center = [2 * np.cos(label * 2 * np.pi / 3), 2 * np.sin(label * 2 * np.pi / 3)]
        np.testing.assert_allclose(draws.mean(axis=0), center, atol=0.35)
    # the right label explains a point better than a wrong one
    own = est.score_samples(X, y=y)
    wrong = est.score_samples(X, y=(y + 1) % 3)
    assert np.mean(own > wrong) > 0.95
    # marginal: logsumexp over classes weighted by their frequencies
    per_class = np.stack([est.score_samples(X, y=c) for c in range(3)])
    marginal = logsumexp(per_class + np.log(est.class_prior_)[:, None], axis=0)
    np.testing.assert_allclose(est.score_samples(X), marginal, rtol=1e-10)
    with pytest.raises(ValueError, match="not seen in fit"):
        est.sample(3, y=7)
