"""The shared torch driver (skgen.nn): the promises every deep estimator inherits.

The driver is exercised through a tiny family, a diagonal Gaussian per class
trained by gradient ascent, whose maximum-likelihood answer is known in
closed form.
"""

import inspect
import pickle
import re
import subprocess
import sys

import numpy as np
import pytest
import torch
from scipy import stats
from scipy.special import logsumexp
from torch import nn

from skgen.nn import (
    BaseDeepGenerative,
    MaskedMLP,
    MLP,
    TrainingWarning,
    init_parameters,
    resolve_device,
)
from skgen.base import ConditionalMixin
from skgen.nn import _base as nn_base

torch.set_num_threads(1)


class _GaussModule(nn.Module):
    _owns_init = True

    def __init__(self, n_features, n_classes):
        super().__init__()
        k = max(n_classes, 1)
        self.mean = nn.Parameter(torch.zeros(k, n_features))
        self.log_std = nn.Parameter(torch.zeros(k, n_features))

    def reset_parameters(self, generator=None):
        with torch.no_grad():
            self.mean.normal_(0.0, 0.1, generator=generator)
            self.log_std.zero_()


class DiagGaussianNet(ConditionalMixin, BaseDeepGenerative):
    """A diagonal Gaussian per class, fitted by the driver's Adam loop."""

    def __init__(self, *, hidden_sizes=(), max_epochs=60, batch_size=64,
                 learning_rate=0.05, weight_decay=0.0, early_stopping=True,
                 validation_fraction=0.2, n_iter_no_change=5, device="cpu",
                 random_state=None, verbose=0):
        self.hidden_sizes = hidden_sizes
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    def _build_module(self, n_features, n_classes):
        return _GaussModule(n_features, n_classes)

    def _params(self, module, y, n):
        idx = torch.zeros(n, dtype=torch.long) if y is None else y
        return module.mean[idx], module.log_std[idx]

    def _log_prob(self, module, X, y):
        mu, log_std = self._params(module, y, X.shape[0])
        z = (X - mu) * torch.exp(-log_std)
        return (-0.5 * z**2 - log_std - 0.5 * np.log(2 * np.pi)).sum(-1)

    def _sample_module(self, module, n_samples, y, generator):
        mu, log_std = self._params(module, y, n_samples)
        eps = torch.randn(mu.shape, generator=generator)
        return mu + eps * torch.exp(log_std)


def _data(n=400, seed=0):
    rng = np.random.RandomState(seed)
    return rng.normal(loc=[3.0, -1.0], scale=[2.0, 0.5], size=(n, 2))


def _module_params(est):
    """Mean and std of the fitted Gaussian in the units of X."""
    m = est.module_
    mean = m.mean.detach().double().numpy() * est._x_scale + est._x_shift
    std = np.exp(m.log_std.detach().double().numpy()) * est._x_scale
    return mean, std


# ------------------------------------------------------------------ driver
def test_log_density_includes_standardization_jacobian():
    X = _data()
    est = DiagGaussianNet(random_state=0, early_stopping=False, max_epochs=5).fit(X)
    mean, std = _module_params(est)
    expected = stats.norm.logpdf(X, mean[0], std[0]).sum(axis=1)
    np.testing.assert_allclose(est.score_samples(X), expected, rtol=1e-5, atol=1e-5)


def test_training_reaches_the_maximum_likelihood_estimate():
    X = _data(1000)
    est = DiagGaussianNet(random_state=0, early_stopping=False, max_epochs=150,
                          batch_size=1000).fit(X)
    mean, std = _module_params(est)
    np.testing.assert_allclose(mean[0], X.mean(axis=0), atol=0.005 * X.std(axis=0).max())
    np.testing.assert_allclose(std[0], X.std(axis=0), rtol=0.005)


def test_train_loss_and_validation_in_the_units_of_X():
    # the two learning curves compare: -train_loss is a log-likelihood per row of X
    X = _data(1000) * 1000.0
    est = DiagGaussianNet(random_state=0, max_epochs=150, batch_size=1000,
                          validation_fraction=0.5, n_iter_no_change=150).fit(X)
    last = est.history_[-1]
    train_ll = est.score(X)
    assert abs(-last["train_loss"] - train_ll) < 0.05
    assert abs(last["valid_log_likelihood"] - train_ll) < 0.3
    assert train_ll < -10  # far from the standardized units' value (about -2.8)


def test_same_seed_same_model_and_global_rng_untouched():
    X = _data()
    state = torch.get_rng_state()
    a = DiagGaussianNet(random_state=3).fit(X)
    assert torch.equal(torch.get_rng_state(), state), "fit must not touch torch's global RNG"
    b = DiagGaussianNet(random_state=3).fit(X)
    c = DiagGaussianNet(random_state=4).fit(X)
    for k, v in a.module_.state_dict().items():
        assert torch.equal(v, b.module_.state_dict()[k])
    curve = [(r["train_loss"], r["valid_log_likelihood"]) for r in a.history_]
    assert curve == [(r["train_loss"], r["valid_log_likelihood"]) for r in b.history_]
    assert not torch.equal(a.module_.mean, c.module_.mean)


def test_history_early_stopping_and_best_weights():
    X = _data()
    est = DiagGaussianNet(random_state=0, max_epochs=200, n_iter_no_change=3).fit(X)
    assert est.n_epochs_ == len(est.history_) < 200  # stopped early
    assert set(est.history_[0]) == {
        "epoch", "train_loss", "valid_log_likelihood", "learning_rate", "time"
    }
    valid = [r["valid_log_likelihood"] for r in est.history_]
    assert np.all(np.isfinite(valid))
    assert est.best_epoch_ == int(np.argmax(valid)) + 1
    assert est.n_epochs_ == est.best_epoch_ + 3
    # the learning rate halves after each epoch without improvement (patience 3 // 2)
    lrs = [r["learning_rate"] for r in est.history_]
    assert lrs[0] == 0.05
    for e in range(1, len(lrs)):
        improved = valid[e - 1] > max(valid[:e - 1], default=-np.inf)
        assert lrs[e] == lrs[e - 1] * (1.0 if improved else 0.5)

    no_es = DiagGaussianNet(random_state=0, max_epochs=4, early_stopping=False).fit(X)
    assert no_es.n_epochs_ == no_es.best_epoch_ == 4
    assert all(np.isnan(r["valid_log_likelihood"]) for r in no_es.history_)


def test_tiny_data_trains_without_validation_split():
    est = DiagGaussianNet(random_state=0, max_epochs=3).fit(_data(3))
    assert est.n_epochs_ == 3
    assert np.isfinite(est.score_samples(_data(3))).all()


class _NaNAt(DiagGaussianNet):
    """Returns a NaN loss from the ``nan_epoch``-th epoch on."""

    def __init__(self, *, nan_epoch=2, **kwargs):
        super().__init__(**kwargs)
        self.nan_epoch = nan_epoch

    def _on_epoch_end(self, record):
        self._epoch_done = record["epoch"]

    def _loss(self, module, X, y, generator):
        loss = super()._loss(module, X, y, generator)
        if getattr(self, "_epoch_done", 0) + 1 >= self.nan_epoch:
            return loss * float("nan")
        return loss


def test_nan_loss_keeps_best_weights_and_warns():
    X = _data()
    ref = DiagGaussianNet(random_state=0, max_epochs=1).fit(X)
    with pytest.warns(TrainingWarning, match="NaN or infinite at epoch 2"):
        est = _NaNAt(nan_epoch=2, random_state=0, max_epochs=10).fit(X)
    assert est.best_epoch_ == 1 and est.n_epochs_ == 2
    assert np.isfinite(est.score_samples(X)).all()
    np.testing.assert_array_equal(est.score_samples(X), ref.score_samples(X))
    assert np.isfinite(est.sample(5, random_state=0)).all()


def test_nan_loss_in_first_epoch_is_an_error():
    est = _NaNAt(nan_epoch=1, random_state=0)
    with pytest.raises(FloatingPointError, match="learning_rate"):
        est.fit(_data())
    assert not hasattr(est, "module_")  # a failed fit leaves no half-fitted model


class _Interrupt(DiagGaussianNet):
    def _on_epoch_end(self, record):
        if record["epoch"] == 3:
            raise KeyboardInterrupt


def test_keyboard_interrupt_leaves_a_usable_model():
    X = _data()
    with pytest.warns(TrainingWarning, match="interrupted"):
        est = _Interrupt(random_state=0, max_epochs=50, early_stopping=False).fit(X)
    assert est.n_epochs_ == 3 and est.best_epoch_ == 3
    ref = DiagGaussianNet(random_state=0, max_epochs=3, early_stopping=False).fit(X)
    np.testing.assert_array_equal(est.score_samples(X), ref.score_samples(X))


class _InterruptFirstBatch(DiagGaussianNet):
    def _loss(self, module, X, y, generator):
        raise KeyboardInterrupt


def test_keyboard_interrupt_before_first_epoch():
    with pytest.warns(TrainingWarning, match="barely trained"):
        est = _InterruptFirstBatch(random_state=0).fit(_data())
    assert est.n_epochs_ == 0
    assert np.isfinite(est.score_samples(_data())).all()


def test_pickle_round_trip_and_load_without_gpu():
    X = _data()
    est = DiagGaussianNet(random_state=0, max_epochs=3).fit(X)
    loaded = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(loaded.score_samples(X), est.score_samples(X))
    np.testing.assert_array_equal(
        loaded.sample(5, random_state=1), est.sample(5, random_state=1)
    )
    if not torch.cuda.is_available():
        est.device_ = torch.device("cuda")  # as if fitted on a GPU
        moved = pickle.loads(pickle.dumps(est))
        assert moved.device_ == torch.device("cpu")
        np.testing.assert_array_equal(moved.score_samples(X), loaded.score_samples(X))


def test_inference_is_chunked(monkeypatch):
    X = _data(50)
    est = DiagGaussianNet(random_state=0, max_epochs=2).fit(X)
    full = est.score_samples(X)
    monkeypatch.setattr(nn_base, "_INFERENCE_CHUNK", 7)
    np.testing.assert_allclose(est.score_samples(X), full, rtol=1e-6)
    assert est.sample(23, random_state=0).shape == (23, 2)


def test_verbose_shows_progress_with_loss(capsys):
    DiagGaussianNet(random_state=0, max_epochs=2, verbose=1).fit(_data())
    err = capsys.readouterr().err
    assert "DiagGaussianNet" in err and "loss=" in err


def test_bad_parameters():
    X = _data()
    with pytest.raises(ValueError, match="hidden_sizes"):
        DiagGaussianNet(hidden_sizes=(8, 0)).fit(X)
    with pytest.raises(ValueError, match="device"):
        DiagGaussianNet(device="nonsense").fit(X)
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            DiagGaussianNet(device="cuda").fit(X)
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")


# ------------------------------------------------------------- conditional
def _labelled(n=600):
    rng = np.random.RandomState(0)
    y = np.where(rng.rand(n) < 0.25, "a", "b")
    X = np.where((y == "a")[:, None], [-4.0, 0.0], [4.0, 1.0]) + rng.normal(size=(n, 2))
    return X, y


def test_conditional_fit_sample_and_score():
    X, y = _labelled()
    est = DiagGaussianNet(random_state=0, max_epochs=100, early_stopping=False).fit(X, y)
    assert est.classes_.tolist() == ["a", "b"]
    np.testing.assert_allclose(est.class_prior_, [np.mean(y == "a"), np.mean(y == "b")])
    Xa = est.sample(500, y="a", random_state=0)
    np.testing.assert_allclose(Xa.mean(axis=0), [-4.0, 0.0], atol=0.3)
    Xab = est.sample(4, y=["a", "b", "a", "b"], random_state=0)
    assert Xab[0, 0] < 0 < Xab[1, 0]
    # without y: labels drawn from the class frequencies
    draws = est.sample(2000, random_state=0)
    assert abs(np.mean(draws[:, 0] < 0) - est.class_prior_[0]) < 0.04
    # marginal log p(x) = logsumexp_c log p(x|c) + log p(c)
    per_class = np.stack([est.score_samples(X, y=c) for c in est.classes_])
    expected = logsumexp(per_class + np.log(est.class_prior_)[:, None], axis=0)
    np.testing.assert_allclose(est.score_samples(X), expected, rtol=1e-10)
    np.testing.assert_allclose(est.score(X, y), np.mean(est.score_samples(X, y)))


def test_conditional_label_errors():
    X, y = _labelled()
    est = DiagGaussianNet(random_state=0, max_epochs=2).fit(X, y)
    with pytest.raises(ValueError, match="not seen in fit"):
        est.score_samples(X[:2], y=["a", "zebra"])
    with pytest.raises(ValueError, match="not seen in fit"):
        est.sample(2, y="zebra")
    plain = DiagGaussianNet(random_state=0, max_epochs=2).fit(X)
    with pytest.raises(ValueError, match="fit without y"):
        plain.sample(2, y="a")
    assert not hasattr(plain, "classes_")


# ------------------------------------------------------------------ layers
@pytest.mark.parametrize("context", [0, 2])
def test_masked_mlp_is_autoregressive(context):
    d, order = 4, [2, 0, 3, 1]
    net = MaskedMLP(d, 3, (16, 16), context_features=context, order=order).double()
    init_parameters(net, torch.Generator().manual_seed(0))
    gen = torch.Generator().manual_seed(1)  # not the global RNG: other tests move it
    x = torch.randn(d, dtype=torch.float64, generator=gen)
    c = torch.randn(1, context, dtype=torch.float64, generator=gen) if context else None
    jac = torch.autograd.functional.jacobian(lambda v: net(v[None], c)[0], x)  # (d, 3, d)
    depends = (jac.abs() > 0).any(dim=1).numpy()
    rank = np.asarray(order)
    allowed = rank[None, :] < rank[:, None]  # output i may see input j iff order j < order i
    assert not depends[~allowed].any()
    assert depends[allowed].all()  # and it does see them (a 16-unit net connects all)


def test_init_parameters_is_seeded_and_strict():
    a, b = MLP(3, 2, (8,), zero_last=True), MLP(3, 2, (8,), zero_last=True)
    init_parameters(a, torch.Generator().manual_seed(1))
    init_parameters(b, torch.Generator().manual_seed(1))
    assert torch.equal(a.layers[0].weight, b.layers[0].weight)
    assert torch.count_nonzero(a.layers[-1].weight) == 0

    class Odd(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.zeros(2))

    with pytest.raises(TypeError, match="reset_parameters"):
        init_parameters(Odd(), torch.Generator())


def test_torch_only_imported_where_needed():
    code = (
        "import sys, skgen, skgen.base, skgen.classical, skgen.utils; "
        "sys.exit(int('torch' in sys.modules))"
    )
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


# --------------------------------------------------------- one driver, one vocabulary
def test_every_deep_family_trains_through_the_one_driver_loop():
    from skgen.utils import all_estimators

    deep = [cls for _, cls in all_estimators() if issubclass(cls, BaseDeepGenerative)]
    assert len(deep) >= 8
    for cls in deep:
        assert cls._train is BaseDeepGenerative._train, cls.__name__
        assert cls._end_training is BaseDeepGenerative._end_training, cls.__name__
        # the driver's parameters are documented once, with the history keys
        assert "learning_rate`` (used in" in cls.__doc__, cls.__name__
        assert "{driver_parameters}" not in cls.__doc__, cls.__name__
        # ... with the defaults of the signature
        signature = inspect.signature(cls.__init__).parameters
        for name in ("hidden_sizes", "max_epochs", "batch_size", "learning_rate",
                     "early_stopping", "n_iter_no_change"):
            match = re.search(rf"    {name} : [^\n]*default=([^\n]+)\n", cls.__doc__)
            assert match, (cls.__name__, name)
            assert match.group(1) == str(signature[name].default), (cls.__name__, name)


def test_generative_tags_and_kind_helpers():
    from sklearn.mixture import GaussianMixture
    from sklearn.utils import get_tags

    from skgen.base import LIKELIHOOD_KINDS, _weakest_kind, get_likelihood_kind, is_conditional

    assert get_tags(DiagGaussianNet()).generative_tags.conditional
    assert is_conditional(DiagGaussianNet())
    assert not is_conditional(GaussianMixture())  # scikit-learn's: no skgen tags
    assert get_likelihood_kind(GaussianMixture()) == "exact"
    assert _weakest_kind(["exact", "estimate", "lower_bound"]) == "estimate"
    assert _weakest_kind([]) == "exact"
    assert list(LIKELIHOOD_KINDS) == sorted(LIKELIHOOD_KINDS, key=LIKELIHOOD_KINDS.index)


def test_moving_average_warm_up_and_target():
    from skgen.nn import MovingAverage

    src = nn.Linear(1, 1, bias=False)
    target = nn.Linear(1, 1, bias=False)
    with torch.no_grad():
        src.weight.fill_(0.0)
    avg = MovingAverage(src, 0.99, target=target)
    assert torch.equal(target.weight, src.weight)  # starts at the source's weights
    with torch.no_grad():
        src.weight.fill_(1.0)
    avg.update()  # first decay is min(0.99, 2 / 11)
    np.testing.assert_allclose(target.weight.item(), 1 - 2 / 11, rtol=1e-6)
    np.testing.assert_allclose(avg.state_dict()["weight"].item(), 1 - 2 / 11, rtol=1e-6)


class _CountSteps(DiagGaussianNet):
    def _after_step(self, run):
        self.steps_per_epoch_ = getattr(self, "steps_per_epoch_", {})
        self.steps_per_epoch_[run.epoch] = self.steps_per_epoch_.get(run.epoch, 0) + 1


def test_small_data_gets_several_steps_per_epoch():
    # papercut: with 160 rows and batch_size=512 an epoch was one step, and
    # MAF(n_iter_no_change=5) stopped at epoch 6 keeping epoch 1
    assert nn_base._effective_batch_size(512, 144) == 16
    assert nn_base._effective_batch_size(512, 1000) == 512
    assert nn_base._effective_batch_size(1000, 1000) == 1000  # full batch when asked
    est = _CountSteps(random_state=0, batch_size=512, max_epochs=3).fit(_data(160))
    assert set(est.steps_per_epoch_.values()) == {8}  # 128 training rows, batches of 16
    big = _CountSteps(random_state=0, batch_size=64, max_epochs=2).fit(_data(400))
    assert set(big.steps_per_epoch_.values()) == {5}  # a batch that fits is kept


class _WhitenedGaussNet(DiagGaussianNet):
    _whiten = True


def test_whitening_is_the_full_gaussian_when_the_rows_determine_it():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(2000, 3)) @ [[1.0, 0.5, 0.0], [0.0, 2.0, -1.0], [0.0, 0.0, 0.1]] + 7
    Z = (X - X.mean(axis=0)) / X.std(axis=0)
    L = nn_base._whitening(Z)
    assert np.array_equal(L, np.tril(L)) and np.all(np.diag(L) > 0)  # keeps the column order
    np.testing.assert_allclose(L @ L.T, np.corrcoef(X, rowvar=False), atol=1e-5)
    # an untrained identity network on whitened rows is that Gaussian, Jacobian included
    est = _WhitenedGaussNet(random_state=0, max_epochs=1, learning_rate=1e-12).fit(X)
    with torch.no_grad():
        est.module_.mean.zero_()  # N(0, I) in whitened units
    expected = stats.multivariate_normal(X.mean(axis=0), np.cov(X, rowvar=False, bias=True))
    # (up to the 1e-6 ridge of the correlation matrix)
    np.testing.assert_allclose(est.score_samples(X), expected.logpdf(X), rtol=1e-3)
    np.testing.assert_allclose(est._unstandardize(est._standardize_X(X)), X, rtol=1e-12)
    cov = np.cov(est.sample(20000, random_state=0), rowvar=False)
    np.testing.assert_allclose(cov, np.cov(X, rowvar=False), atol=0.1)


def test_whitening_shrinks_when_the_rows_do_not_determine_it():
    # 30 rows of 50 features, and a constant one: the correlation matrix is
    # singular, its shrunk version is not, and new rows get moderate values
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 51)) @ np.triu(rng.normal(size=(51, 51)) * 0.3 + np.eye(51))
    X[:, 7] = 2.5
    train, new = X[:30], X[30:]
    est = _WhitenedGaussNet(random_state=0, max_epochs=1).fit(train)
    L = est._x_cholesky
    assert np.all(np.isfinite(L)) and np.all(np.diag(L) > 1e-3)
    assert L[7, 7] == 1 and np.count_nonzero(L[7]) == 1 and np.count_nonzero(L[:, 7]) == 1
    assert np.abs(est._standardize_X(new)).max() < 100
    # uncorrelated features are left as they are, or nearly
    Z = rng.normal(size=(3000, 4))
    L = nn_base._whitening((Z - Z.mean(axis=0)) / Z.std(axis=0))
    np.testing.assert_allclose(L, np.eye(4), atol=0.05)
