"""Autoregressive models (skgen.autoregressive): the chain rule, exactly.

MADE: the masks make conditional ``i`` blind to features ``>= i``; the
probabilities of all binary or categorical vectors add up to one; the
Gaussian-mixture density integrates to one; on binarized digits it beats the
independent model. CharacterLanguageModel: on a Markov source with known
log-probabilities its held-out cross-entropy is close to the entropy rate;
the probabilities of all strings add up to one.
"""

import itertools
import pickle

import numpy as np
import pandas as pd
import pytest
import torch
from scipy.special import logsumexp
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from skgen.autoregressive import MADE, CharacterLanguageModel
from skgen.autoregressive._char_lm import _encode
from skgen.autoregressive._made import _MADEModule
from skgen.datasets import MarkovTextSource, make_eight_gaussians
from skgen.nn import init_parameters

torch.set_num_threads(1)

FAST = dict(hidden_sizes=(32,), max_epochs=10, batch_size=64, learning_rate=5e-3,
            random_state=0)


# ================================================================= MADE
def _random_module(distribution, d=4, n_classes=0, **kw):
    module = _MADEModule(d, distribution, (16, 16), n_classes=n_classes, **kw).double()
    g = torch.Generator().manual_seed(0)
    init_parameters(module, g)
    with torch.no_grad():  # larger, non-default weights: dependence is visible
        for p in module.parameters():
            p.add_(0.5 * torch.randn(p.shape, generator=g, dtype=p.dtype))
    return module


@pytest.mark.parametrize("n_classes", [0, 3])
def test_made_jacobian_is_strictly_triangular(n_classes):
    d = 4
    module = _random_module("gaussian_mixture", d, n_classes=n_classes, n_mixture_components=2)
    x = torch.randn(d, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    y = torch.tensor([1]) if n_classes else None
    jac = torch.autograd.functional.jacobian(lambda v: module.params(v[None], y)[0], x)
    jac = jac.abs().amax(dim=1)  # (d outputs, d inputs): max over a feature's params
    upper = torch.triu(torch.ones(d, d, dtype=torch.bool))
    assert (jac[upper] == 0).all()  # params of x_i do not see x_j for j >= i
    assert (jac[~upper] > 0).all()  # ... but do see every x_j for j < i


@pytest.mark.parametrize("distribution", ["bernoulli", "categorical"])
def test_made_discrete_conditionals_ignore_later_features(distribution):
    d, k = 5, 3
    kw = {"n_categories": np.full(d, k)} if distribution == "categorical" else {}
    module = _random_module(distribution, d, **kw)
    high = 2 if distribution == "bernoulli" else k
    rng = np.random.RandomState(0)
    x = torch.as_tensor(rng.randint(high, size=(20, d)), dtype=torch.float64)
    base = module.params(x)
    for j in range(d):
        changed = x.clone()
        changed[:, j] = (changed[:, j] + 1) % high
        out = module.params(changed)
        assert torch.equal(out[:, :j + 1], base[:, :j + 1])  # p(x_i | x_<i), i <= j
        if j < d - 1:
            assert not torch.equal(out[:, j + 1:], base[:, j + 1:])


def _all_vectors(n_values):
    return np.array(list(itertools.product(*[range(k) for k in n_values])), dtype=float)


def test_made_bernoulli_probabilities_sum_to_one():
    rng = np.random.RandomState(0)
    X = (rng.rand(400, 4) < [0.1, 0.5, 0.7, 0.9]).astype(float)
    X[:, 3] = np.where(rng.rand(400) < 0.8, X[:, 1], X[:, 3])  # some dependence
    y = np.where(X[:, 0] == 1, "on", "off")
    made = MADE(distribution="bernoulli", **FAST).fit(X, y)
    grid = _all_vectors([2] * 4)
    assert np.exp(logsumexp(made.score_samples(grid))) == pytest.approx(1.0, abs=1e-5)
    for label in ("on", "off"):
        total = logsumexp(made.score_samples(grid, y=np.full(16, label)))
        assert np.exp(total) == pytest.approx(1.0, abs=1e-5)
    # the dependence between x1 and x3 is learned
    assert made.score_samples([[0, 1, 0, 1]])[0] > made.score_samples([[0, 1, 0, 0]])[0]


def test_made_categorical_probabilities_sum_to_one():
    rng = np.random.RandomState(0)
    X = np.column_stack([rng.randint(3, size=500), rng.randint(2, size=500),
                         rng.randint(4, size=500)]).astype(float)
    X[:, 2] = np.where(rng.rand(500) < 0.7, X[:, 0], X[:, 2])
    made = MADE(distribution="categorical", **FAST).fit(X)
    np.testing.assert_array_equal(made.n_categories_, [3, 2, 4])
    grid = _all_vectors(made.n_categories_)
    assert len(grid) == 24
    assert np.exp(logsumexp(made.score_samples(grid))) == pytest.approx(1.0, abs=1e-5)
    # a code above those seen in fit, a negative or fractional one: probability 0
    outside = made.score_samples([[3, 0, 0], [0, 2, 0], [-1, 0, 0], [0.5, 0, 0]])
    assert np.all(outside == -np.inf)
    # an explicit alphabet gives every code up to it some probability
    wide = MADE(distribution="categorical", n_categories=5, **FAST).fit(X)
    grid = _all_vectors([5, 5, 5])
    logp = wide.score_samples(grid)
    assert np.isfinite(logp).all()
    assert np.exp(logsumexp(logp)) == pytest.approx(1.0, abs=1e-5)


def test_made_gaussian_mixture_integrates_to_one():
    X = make_eight_gaussians(1000, random_state=0)
    made = MADE(n_mixture_components=4, **FAST).fit(X)
    edges = np.linspace(-5, 5, 501)
    mid = (edges[:-1] + edges[1:]) / 2
    xx, yy = np.meshgrid(mid, mid)
    logp = made.score_samples(np.column_stack([xx.ravel(), yy.ravel()]))
    assert np.exp(logp).sum() * (edges[1] - edges[0]) ** 2 == pytest.approx(1.0, abs=5e-3)
    assert made.score(X) > -3.5  # far better than one Gaussian (about -3.9)


def test_made_standardization_jacobian_is_included():
    X = make_eight_gaussians(300, random_state=0)
    a = MADE(n_mixture_components=2, **FAST).fit(X)
    b = MADE(n_mixture_components=2, **FAST).fit(10 * X + 3)
    np.testing.assert_allclose(b.score_samples(10 * X + 3),
                               a.score_samples(X) - 2 * np.log(10), rtol=0, atol=1e-4)


@pytest.fixture(scope="module")
def binary_digits():
    X = (load_digits().data > 8).astype(float)
    X_train, X_test = train_test_split(X, test_size=0.25, random_state=0)
    made = MADE(distribution="bernoulli", hidden_sizes=(256,), max_epochs=30,
                batch_size=128, learning_rate=3e-3, random_state=0).fit(X_train)
    return made, X_train, X_test


def test_made_beats_independent_bernoulli_on_digits(binary_digits):
    made, X_train, X_test = binary_digits
    p = (X_train.sum(axis=0) + 1) / (len(X_train) + 2)  # smoothed pixel frequencies
    independent = np.mean(X_test @ np.log(p) + (1 - X_test) @ np.log(1 - p))
    assert independent == pytest.approx(-24.6, abs=0.1)
    assert made.score(X_test) > independent + 5  # measured -18.19 vs -24.63


def test_made_samples_match_marginal_means(binary_digits):
    made, X_train, _ = binary_digits
    samples = made.sample(3000, random_state=0)
    assert set(np.unique(samples)) <= {0.0, 1.0}
    np.testing.assert_allclose(samples.mean(axis=0), X_train.mean(axis=0), atol=0.06)


def test_made_conditional_samples_follow_their_class():
    rng = np.random.RandomState(0)
    y = np.repeat([0, 1], 300)
    X = (rng.rand(600, 3) < np.where(y[:, None] == 0, 0.15, 0.85)).astype(float)
    made = MADE(distribution="bernoulli", **{**FAST, "max_epochs": 20}).fit(X, y)
    for label in (0, 1):
        draws = made.sample(4000, y=label, random_state=0)
        np.testing.assert_allclose(draws.mean(axis=0), X[y == label].mean(axis=0),
                                   atol=0.04)
    # without y: the mixture over classes with the training frequencies
    joint = made.score_samples(X[:5])
    per_class = [made.score_samples(X[:5], y=np.full(5, c)) + np.log(0.5) for c in (0, 1)]
    np.testing.assert_allclose(joint, logsumexp(per_class, axis=0), rtol=1e-10)


@pytest.mark.parametrize("distribution, X, message", [
    ("bernoulli", [[0, 1], [0.5, 1]], "must be 0 or 1"),
    ("bernoulli", [[0, 1], [2, 1]], "must be 0 or 1"),
    ("categorical", [[0, 1], [-1, 1]], "non-negative integers"),
    ("categorical", [[0, 1], [1.5, 1]], "non-negative integers"),
])
def test_made_rejects_invalid_discrete_data(distribution, X, message):
    with pytest.raises(ValueError, match=message):
        MADE(distribution=distribution, **FAST).fit(X)


def test_made_errors_and_support():
    with pytest.raises(ValueError, match="n_categories=2"):
        MADE(distribution="categorical", n_categories=2, **FAST).fit([[0, 2], [1, 0]])
    with pytest.raises(ValueError, match="NaN"):
        MADE(distribution="bernoulli", **FAST).fit([[0, np.nan], [1, 0]])
    made = MADE(distribution="bernoulli", **FAST).fit([[0, 1], [1, 0], [1, 1]] * 10)
    assert made.score_samples([[0.5, 1], [2, 0]]).tolist() == [-np.inf, -np.inf]
    assert np.isfinite(made.score_samples([[0, 0]])).all()


# ========================================================== text source
def test_markov_source_entropy_rate_matches_its_samples():
    src = MarkovTextSource("abc", random_state=3)
    texts = src.sample(20000, random_state=0)
    nats = -src.score_samples(texts).sum() / sum(len(t) + 1 for t in texts)
    assert nats == pytest.approx(src.entropy_rate(), rel=0.01)
    # every string is a finite, normalized draw: exact sum over short strings
    short = [""] + ["".join(p) for k in range(1, 9) for p in itertools.product("abc", repeat=k)]
    mass = np.exp(src.score_samples(short)).sum()
    assert 0.6 < mass < 1.0


# ============================================== character language model
LM_FAST = dict(hidden_sizes=(16,), embedding_dim=8, max_epochs=4, batch_size=64,
               learning_rate=1e-2, random_state=0)


def test_char_lm_cross_entropy_near_markov_entropy_rate():
    """The issue's promise: held-out cross-entropy within 5% of the truth."""
    src = MarkovTextSource("abcd", random_state=0)
    train = src.sample(2500, random_state=1)
    test = src.sample(1000, random_state=2)
    n_tokens = sum(len(t) + 1 for t in test)  # characters and end tokens
    true_nats = -src.score_samples(test).sum() / n_tokens
    lm = CharacterLanguageModel(hidden_sizes=(16,), embedding_dim=8, max_epochs=8,
                                batch_size=128, learning_rate=2e-2, random_state=0)
    lm.fit(train)
    model_nats = -lm.score_samples(test).sum() / n_tokens
    assert true_nats == pytest.approx(src.entropy_rate(), rel=0.05)
    assert model_nats == pytest.approx(true_nats, rel=0.05)  # measured: +0.3%
    # and far below what ignoring the context costs: log(5) nats (uniform)
    assert model_nats < 0.7 * np.log(5)


@pytest.fixture(scope="module")
def ab_model():
    src = MarkovTextSource("ab", initial=[0.6, 0.4, 0.0],
                           transition=[[0.2, 0.5, 0.3], [0.6, 0.2, 0.2]])
    lm = CharacterLanguageModel(**LM_FAST).fit(src.sample(600, random_state=0))
    lm.source = src  # for the tests only
    return lm


def _prefix_log_prob(lm, texts):
    """log P(a string starts with each of ``texts``): the end token left out."""
    codes, _ = _encode(texts, lm._vocabulary_points())
    targets = torch.as_tensor(codes)
    with torch.no_grad():
        lp = lm.module_.token_log_probs(targets).double().numpy()
    lengths = np.array([len(t) for t in texts])
    return lp.sum(axis=1) - lp[np.arange(len(texts)), lengths]


def test_char_lm_probabilities_of_all_strings_sum_to_one(ab_model):
    lm, L = ab_model, 9
    strings = {k: ["".join(p) for p in itertools.product("ab", repeat=k)]
               for k in range(L + 2)}
    ended = [np.exp(lm.score_samples(strings[k])).sum() for k in range(L + 1)]
    # P(length <= L) + P(the first L + 1 characters are any given string) = 1
    not_ended = np.exp(_prefix_log_prob(lm, strings[L + 1])).sum()
    assert sum(ended) + not_ended == pytest.approx(1.0, abs=1e-5)
    cumulative = np.cumsum(ended)
    assert np.all(np.diff(cumulative) > 0) and cumulative[-1] <= 1.0
    # ... and the mass of short strings is close to the source's
    truth = sum(np.exp(lm.source.score_samples(strings[k])).sum() for k in range(L + 1))
    assert cumulative[-1] == pytest.approx(truth, abs=0.04)  # 0.951 vs 0.927


def test_char_lm_temperature_and_max_length(ab_model):
    lm = ab_model
    cold, plain, hot = (lm.sample(400, temperature=t, random_state=0)
                        for t in (0.3, 1.0, 3.0))

    def nats(texts):
        return -lm.score_samples(texts).sum() / sum(len(t) + 1 for t in texts)

    assert nats(cold) < nats(plain) < nats(hot)  # colder: more probable strings
    assert all(len(t) <= 3 for t in lm.sample(200, max_length=3, random_state=0))
    assert lm.sample(5, max_length=0, random_state=0) == [""] * 5
    default = lm.sample(500, random_state=0)
    assert max(map(len, default)) <= 2 * lm.max_length_
    assert set("".join(default)) <= set(lm.vocabulary_)


def test_char_lm_random_state_and_pickle(ab_model):
    lm = ab_model
    first = lm.sample(20, random_state=7)
    assert isinstance(first, list) and all(isinstance(t, str) for t in first)
    assert lm.sample(20, random_state=7) == first
    assert lm.sample(20) != lm.sample(20)  # the stream moves on
    clone = pickle.loads(pickle.dumps(lm))
    assert clone.sample(20, random_state=7) == first
    texts = ["", "a", "abba", "bbbbba"]
    np.testing.assert_array_equal(clone.score_samples(texts), lm.score_samples(texts))


def test_char_lm_same_seed_same_model():
    texts = MarkovTextSource("xyz", random_state=0).sample(200, random_state=0)
    a = CharacterLanguageModel(**LM_FAST).fit(texts)
    b = CharacterLanguageModel(**LM_FAST).fit(pd.Series(texts))
    probe = ["", "x", "xyzzy", "zzz"]
    np.testing.assert_array_equal(a.score_samples(probe), b.score_samples(probe))
    assert a.sample(10, random_state=0) == b.sample(10, random_state=0)
    assert a.score(probe) == pytest.approx(np.mean(a.score_samples(probe)))
    assert a.n_epochs_ == len(a.history_) and a.history_[0]["train_loss"] > 0


def test_char_lm_unknown_characters_and_vocabulary():
    texts = ["abab", "ba", "aab"] * 30
    lm = CharacterLanguageModel(**LM_FAST).fit(texts)
    assert lm.vocabulary_ == "ab"
    logp = lm.score_samples(["ab", "abc", "c", ""])
    assert np.isfinite(logp[[0, 3]]).all() and np.all(logp[[1, 2]] == -np.inf)
    # an explicit alphabet leaves room for characters absent from training
    wide = CharacterLanguageModel(vocabulary="abc", **LM_FAST).fit(texts)
    assert wide.vocabulary_ == "abc"
    assert np.isfinite(wide.score_samples(["abc"])).all()
    assert wide.score_samples(["abc"])[0] < wide.score_samples(["aba"])[0]
    with pytest.raises(ValueError, match="outside vocabulary"):
        CharacterLanguageModel(vocabulary="a", **LM_FAST).fit(texts)


@pytest.mark.parametrize("X, message", [
    ([], "Found 0 strings"),
    ("abc", "single string"),
    (["ab", 3], "item 1 is 3 of type int"),
    (["ab", None], "missing value"),
    (pd.Series(["ab", np.nan]), "missing value"),
    (np.array([["a", "b"], ["c", "d"]]), "1-D"),
    (pd.DataFrame({"a": ["x"], "b": ["y"]}), "2 columns"),
])
def test_char_lm_rejects_bad_input(X, message):
    with pytest.raises(ValueError, match=message):
        CharacterLanguageModel(**LM_FAST).fit(X)


def test_char_lm_bad_calls(ab_model):
    lm = ab_model
    with pytest.raises(ValueError, match="missing value"):
        lm.score_samples(["a", None])
    with pytest.raises(ValueError, match="temperature"):
        lm.sample(2, temperature=0)
    with pytest.raises(ValueError, match="max_length"):
        lm.sample(2, max_length=-1)
    with pytest.raises(ValueError, match="not a conditional model"):
        lm.sample(2, y=1)
    with pytest.raises(ValueError, match="n_samples"):
        lm.sample(0)
    from sklearn.exceptions import NotFittedError
    with pytest.raises(NotFittedError):
        CharacterLanguageModel().score_samples(["a"])


def test_deprecated_n_components_alias_of_n_mixture_components():
    X = np.random.RandomState(0).normal(size=(80, 2))
    old = MADE(n_components=2, hidden_sizes=(8,), max_epochs=2, random_state=0)
    with pytest.warns(FutureWarning, match="renamed 'n_mixture_components'"):
        old.fit(X)
    new = MADE(n_mixture_components=2, hidden_sizes=(8,), max_epochs=2, random_state=0).fit(X)
    np.testing.assert_array_equal(old.score_samples(X[:5]), new.score_samples(X[:5]))
