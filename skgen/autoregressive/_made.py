"""MADE: an autoregressive density for vectors, continuous, binary or discrete.

``p(x) = prod_i p(x_i | x_<i)``: one masked network (Germain et al., 2015)
outputs the parameters of every conditional in a single pass, so the
log-likelihood is exact and costs one pass; sampling draws the features one
after another (``d`` passes). The conditionals are a mixture of Gaussians
(continuous data), a Bernoulli (binary data) or a categorical distribution
(integer codes), chosen by a small dispatch table of pure functions.
"""

import math
from numbers import Integral

import numpy as np
import torch
from sklearn.utils._param_validation import Hidden, Interval, StrOptions
from torch import nn
from torch.nn import functional as F

from ..base import ConditionalMixin, _renamed_parameter
from ..nn import (
    BaseDeepGenerative,
    MaskedLinear,
    driver_parameters_doc,
    init_parameters,
    label_embedding,
    made_masks,
)

__all__ = ["MADE"]

_LOG_2PI = math.log(2 * math.pi)
#: Smallest standard deviation of a mixture component, in standardized units.
_MIN_SCALE = 1e-3


# ------------------------------------------------------ the conditionals
# Each conditional is a pair of pure functions of the network's output
# ``params`` of shape (n, m, n_params) for m features:
#   log_prob(x, params, module) -> (n, m) log-probabilities of x of shape (n, m)
#   sample(params, module, generator) -> (n, m) draws


def _gaussian_mixture_parts(params, module):
    logits, loc, raw_scale = params.chunk(3, dim=-1)
    loc = loc + module.loc_offset
    scale = F.softplus(raw_scale) + _MIN_SCALE
    return F.log_softmax(logits, dim=-1), loc, scale


def _gaussian_mixture_log_prob(x, params, module):
    """Log-density of ``x`` (n, m) under per-feature Gaussian mixtures."""
    log_weights, loc, scale = _gaussian_mixture_parts(params, module)
    z = (x.unsqueeze(-1) - loc) / scale
    log_comp = -0.5 * (z * z + _LOG_2PI) - torch.log(scale)
    return torch.logsumexp(log_weights + log_comp, dim=-1)


def _gaussian_mixture_sample(params, module, generator):
    log_weights, loc, scale = _gaussian_mixture_parts(params, module)
    n, m, k = loc.shape
    which = torch.multinomial(log_weights.exp().reshape(n * m, k), 1, generator=generator)
    which = which.reshape(n, m, 1)
    noise = torch.randn(n, m, generator=generator, device=loc.device, dtype=loc.dtype)
    return loc.gather(-1, which)[..., 0] + scale.gather(-1, which)[..., 0] * noise


def _bernoulli_log_prob(x, params, module):
    """Log-probability of binary ``x`` (n, m) under Bernoulli(sigmoid(logit))."""
    return -F.binary_cross_entropy_with_logits(params[..., 0], x, reduction="none")


def _bernoulli_sample(params, module, generator):
    p = torch.sigmoid(params[..., 0])
    u = torch.rand(p.shape, generator=generator, device=p.device, dtype=p.dtype)
    return (u < p).to(p.dtype)


def _categorical_log_softmax(params, module):
    # categories a feature never takes (beyond its n_categories) get probability 0
    logits = params.masked_fill(~module.category_mask, -math.inf)
    return F.log_softmax(logits, dim=-1)


def _categorical_log_prob(x, params, module):
    """Log-probability of integer codes ``x`` (n, m) under categoricals."""
    log_p = _categorical_log_softmax(params, module)
    return log_p.gather(-1, x.long().unsqueeze(-1))[..., 0]


def _categorical_sample(params, module, generator):
    p = _categorical_log_softmax(params, module).exp()
    n, m, k = p.shape
    draw = torch.multinomial(p.reshape(n * m, k), 1, generator=generator)
    return draw.reshape(n, m).to(params.dtype)


_CONDITIONALS = {
    "gaussian_mixture": (_gaussian_mixture_log_prob, _gaussian_mixture_sample),
    "bernoulli": (_bernoulli_log_prob, _bernoulli_sample),
    "categorical": (_categorical_log_prob, _categorical_sample),
}


def _marginal_logits(X, distribution, n_categories):
    """Output biases that make a fresh network the independent model of ``X``.

    Bernoulli: the logit of each feature's mean; categorical: the log of each
    feature's category frequencies; both smoothed by one pseudo-count per
    value so that they stay finite. ``None`` for Gaussian mixtures (the data
    are standardized, zero biases already fit them roughly).

    Returns
    -------
    ndarray of shape (n_features, n_params) or None
    """
    n = X.shape[0]
    if distribution == "bernoulli":
        p = (X.sum(axis=0) + 1.0) / (n + 2.0)
        return np.log(p / (1 - p))[:, None]
    if distribution == "categorical":
        k = int(n_categories.max())
        counts = np.stack([np.bincount(col.astype(np.int64), minlength=k) for col in X.T])
        logits = np.log(counts + 1.0) - np.log(n + n_categories[:, None])
        return np.where(np.arange(k)[None, :] < n_categories[:, None], logits, 0.0)
    return None


# ------------------------------------------------------------- network
class _MADEModule(nn.Module):
    """A MADE network together with the family of its conditionals.

    Parameters
    ----------
    n_features : int
    distribution : {"gaussian_mixture", "bernoulli", "categorical"}
    hidden_sizes : tuple of int
        Masked hidden layers (may be empty: a linear autoregressive model).
    n_mixture_components : int, default=1
        Mixture components per feature (``"gaussian_mixture"``).
    n_categories : array-like of int, default=None
        Categories of each feature (``"categorical"``).
    n_classes : int, default=0
        Class labels to condition on (embedded and fed to every hidden unit).
    output_bias : array-like of shape (n_features, n_params), default=None
        Initial biases of the output layer. Discrete families start from the
        training marginals, i.e. from the independent model: an output bias
        moves by about ``learning_rate`` per Adam step, too slowly to reach
        the logit of a pixel that is almost never on.
    """

    _owns_init = True

    def __init__(self, n_features, distribution, hidden_sizes, *, n_mixture_components=1,
                 n_categories=None, n_classes=0, output_bias=None):
        super().__init__()
        self.output_bias = None if output_bias is None else torch.as_tensor(
            np.asarray(output_bias, dtype=np.float32).reshape(-1))
        d = int(n_features)
        self.n_features = d
        self.distribution = distribution
        self.input_width = 1
        if distribution == "gaussian_mixture":
            k = n_mixture_components
            n_params = 3 * k
            # spread the initial component means so that they do not start alike
            offset = torch.linspace(-1.5, 1.5, k) if k > 1 else (
                torch.zeros(1))
            self.register_buffer("loc_offset", offset)
        elif distribution == "bernoulli":
            n_params = 1
        else:
            n_categories = np.asarray(n_categories, dtype=np.int64)
            n_params = self.input_width = int(n_categories.max())
            mask = np.arange(n_params)[None, :] < n_categories[:, None]
            self.register_buffer("category_mask", torch.as_tensor(mask))
        self.n_params = n_params
        self.embedding, emb = label_embedding(n_classes)
        masks = made_masks(d, tuple(hidden_sizes), n_params, input_width=self.input_width,
                           context_features=emb)
        layers = []
        for mask in masks[:-1]:
            layers += [MaskedLinear(mask), nn.ReLU()]
        layers.append(MaskedLinear(masks[-1]))
        self.net = nn.Sequential(*layers)

    def reset_parameters(self, generator=None):
        for child in self.children():
            init_parameters(child, generator)
        if self.output_bias is not None:
            with torch.no_grad():
                self.net[-1].bias.copy_(self.output_bias)

    def params(self, x, y=None):
        """Parameters of every conditional, shape ``(n, d, n_params)``."""
        if self.distribution == "categorical":
            h = F.one_hot(x.long(), self.input_width).reshape(x.shape[0], -1)
            h = h.to(self.net[0].weight.dtype)
        else:
            h = x
        if self.embedding is not None:
            h = torch.cat([h, self.embedding(y)], dim=-1)
        return self.net(h).reshape(x.shape[0], self.n_features, self.n_params)

    def conditional_log_prob(self, x, y=None):
        """``log p(x_i | x_<i)`` of every feature, shape ``(n, d)``."""
        log_prob, _ = _CONDITIONALS[self.distribution]
        return log_prob(x, self.params(x, y), self)

    def log_prob(self, x, y=None):
        return self.conditional_log_prob(x, y).sum(-1)

    def sample(self, n_samples, y=None, generator=None):
        _, draw = _CONDITIONALS[self.distribution]
        ref = next(self.parameters())
        x = torch.zeros(n_samples, self.n_features, device=ref.device, dtype=ref.dtype)
        for i in range(self.n_features):  # ancestral: feature i given the ones before
            x[:, i] = draw(self.params(x, y)[:, i:i + 1], self, generator)[:, 0]
        return x


# ----------------------------------------------------------- estimator
@driver_parameters_doc(
    hidden_sizes=(128, 128), max_epochs=500, batch_size=256, learning_rate=1e-3,
    early_stopping=True, n_iter_no_change=10)
class MADE(ConditionalMixin, BaseDeepGenerative):
    """Masked Autoencoder for Distribution Estimation (Germain et al., 2015).

    An autoregressive density ``p(x) = prod_i p(x_i | x_1, ..., x_{i-1})``
    whose conditionals all come out of one masked network in a single pass:
    the connections of the network are cut so that the outputs for feature
    ``i`` see only the features before it. ``score_samples`` is therefore the
    exact log-likelihood of the whole vector; ``sample`` draws feature after
    feature (``n_features`` passes, in chunks of rows).

    Parameters
    ----------
    distribution : {"gaussian_mixture", "bernoulli", "categorical"}, \
default="gaussian_mixture"
        Family of each conditional ``p(x_i | x_<i)``.

        - ``"gaussian_mixture"``: continuous data; a mixture of
          ``n_mixture_components`` Gaussians per feature. Features are standardized
          internally and ``score_samples`` includes that Jacobian, so it is
          the log-density of ``X`` itself.
        - ``"bernoulli"``: binary data; every value must be 0 or 1.
        - ``"categorical"``: discrete data coded as integers ``0, 1, 2, ...``;
          feature ``j`` takes ``n_categories_[j]`` values. Codes are one-hot
          encoded for the network.

        For the two discrete families ``score_samples`` is a log-probability
        *mass* (natural log), not a density, and no standardization happens.
    n_mixture_components : int, default=5
        Gaussians per conditional (``"gaussian_mixture"`` only).
    n_categories : int or None, default=None
        Number of categories of every feature (``"categorical"`` only).
        ``None`` infers ``max + 1`` of each feature from the training data, so
        a value a feature never reached in training has probability zero;
        pass the size of the alphabet (for example ``17`` for pixel levels
        0..16) to give every value some probability.
    whiten : bool, default=True
        ``"gaussian_mixture"`` only: decorrelate the standardized features
        before the network sees them, multiplying the rows by the inverse of
        the lower Cholesky factor of the features' correlation matrix (shrunk
        toward the identity as far as a 3-fold cross-validation of that
        Gaussian's likelihood asks: not at all when the rows determine it,
        more on few or collinear rows). The conditionals then model what the linear
        (full-covariance Gaussian) dependence between features leaves over,
        which a network fitted on a small table, stopped early, would
        otherwise not have learned. The map is triangular: whitened feature
        ``i`` depends on features ``0..i`` only, so the model is still
        autoregressive in the order of the columns. ``score_samples``
        includes its Jacobian. ``False``: each feature is only standardized.
{driver_parameters}
        The hidden layers are masked; an empty ``hidden_sizes`` gives a linear
        autoregressive model, and a width below ``n_features - 1`` leaves some
        conditionals without hidden units of their own.
    n_components : int
        Deprecated alias of ``n_mixture_components`` (renamed in 0.2, removed
        in 0.3).

    Attributes
    ----------
    n_categories_ : ndarray of shape (n_features_in_,)
        Categories of each feature (``"categorical"`` only).
{driver_attributes}
    classes_ : ndarray
        Labels seen in ``fit(X, y)`` (conditional fits only).
    class_prior_ : ndarray
        Their frequencies (conditional fits only).
    n_features_in_ : int
        Number of features seen during fit.

    See Also
    --------
    skgen.flows.MAF : a flow whose layers are MADE networks with affine maps.
    CharacterLanguageModel : the same factorization over the letters of a text.

    Notes
    -----
    Input is checked against the family: ``fit`` raises a ``ValueError`` for
    values other than 0 and 1 with ``"bernoulli"``, and for negative or
    non-integer values (or values ``>= n_categories``) with
    ``"categorical"``. At ``score_samples`` time a row outside the model's
    support (such a value, or a category above those seen in ``fit`` when
    ``n_categories=None``) has probability zero: its score is ``-inf``, as
    for any density outside its support.

    Given ``y`` in ``fit``, the model is ``p(x | y)``: labels are embedded
    and every hidden unit sees the embedding; ``score_samples(X, y=...)`` and
    ``sample(n, y=...)`` condition on labels, ``score_samples(X)`` without
    ``y`` is the marginal ``log sum_c p(c) p(x | c)``, and ``sample(n)`` draws
    labels from their training frequencies.

    The features are modelled in the order of the columns.

    References
    ----------
    Germain, Gregor, Murray and Larochelle, "MADE: Masked Autoencoder for
    Distribution Estimation", ICML 2015.

    Examples
    --------
    >>> import numpy as np
    >>> from skgen.autoregressive import MADE
    >>> X = (np.random.RandomState(0).rand(300, 4) < [0.1, 0.5, 0.5, 0.9]).astype(float)
    >>> made = MADE(distribution="bernoulli", hidden_sizes=(16,), max_epochs=5,
    ...             random_state=0).fit(X)
    >>> grid = np.array([[(k >> j) & 1 for j in range(4)] for k in range(16)])
    >>> round(float(np.exp(made.score_samples(grid)).sum()), 4)   # a probability mass
    1.0
    >>> made.sample(3, random_state=0).shape
    (3, 4)
    """

    likelihood_kind = "exact"
    _renamed_parameters = (("n_components", "n_mixture_components", None),)
    #: Models pickled before ``whiten`` existed were fitted without it.
    _added_parameters = {"whiten": False}

    _parameter_constraints = {
        **BaseDeepGenerative._parameter_constraints,
        "distribution": [StrOptions(set(_CONDITIONALS))],
        "n_mixture_components": [Interval(Integral, 1, None, closed="left")],
        "n_categories": [None, Interval(Integral, 1, None, closed="left")],
        "whiten": ["boolean"],
        "n_components": [Interval(Integral, 1, None, closed="left"),
                         Hidden(StrOptions({"deprecated"}))],
    }

    def __init__(self, *, distribution="gaussian_mixture", n_mixture_components=5,
                 n_categories=None, whiten=True, hidden_sizes=(128, 128), max_epochs=500,
                 batch_size=256, learning_rate=1e-3, weight_decay=0.0,
                 early_stopping=True, validation_fraction=0.1, n_iter_no_change=10,
                 device="auto", random_state=None, verbose=0, n_components="deprecated"):
        self.distribution = distribution
        self.n_mixture_components = n_mixture_components
        self.n_categories = n_categories
        self.whiten = whiten
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
        self.n_components = n_components

    @property
    def _standardize(self):
        # only continuous data are standardized; counts and codes are kept as they are
        return self.distribution == "gaussian_mixture"

    @property
    def _whiten(self):
        return self.whiten

    # ------------------------------------------------------- validation
    def _check_discrete(self, X):
        """Raise a ``ValueError`` when ``X`` is not valid training data for the family."""
        if self.distribution == "bernoulli":
            bad = (X != 0) & (X != 1)
            if bad.any():
                raise ValueError(
                    "MADE(distribution='bernoulli') models binary data: every value "
                    f"must be 0 or 1, but X holds {np.unique(X[bad])[:5].tolist()}. "
                    "Binarize X first (e.g. X > threshold), or use "
                    "distribution='categorical' for integer codes or "
                    "'gaussian_mixture' for continuous data."
                )
        elif self.distribution == "categorical":
            bad = (X < 0) | (X != np.floor(X))
            if bad.any():
                raise ValueError(
                    "MADE(distribution='categorical') models integer codes 0, 1, 2, ...: "
                    f"X holds {np.unique(X[bad])[:5].tolist()}. Encode categories as "
                    "non-negative integers (e.g. with sklearn's OrdinalEncoder), or use "
                    "distribution='gaussian_mixture' for continuous data."
                )
            if self.n_categories is not None and X.max() >= self.n_categories:
                raise ValueError(
                    f"X holds the code {int(X.max())} but n_categories={self.n_categories} "
                    f"allows codes 0..{self.n_categories - 1}; increase n_categories or "
                    "leave it None to infer it from X."
                )

    def _in_support(self, X):
        """Rows of ``X`` to which the fitted model gives positive probability."""
        if self.distribution == "bernoulli":
            return ((X == 0) | (X == 1)).all(axis=1)
        if self.distribution == "categorical":
            return ((X >= 0) & (X == np.floor(X)) & (X < self.n_categories_)).all(axis=1)
        return np.ones(X.shape[0], dtype=bool)

    # ------------------------------------------------------------ hooks
    def _fit(self, X, y):
        self.__dict__.pop("n_categories_", None)
        self._check_discrete(X)
        if self.distribution == "categorical":
            if self.n_categories is None:
                self.n_categories_ = X.max(axis=0).astype(np.int64) + 1
            else:
                self.n_categories_ = np.full(X.shape[1], int(self.n_categories))
        self._output_bias = _marginal_logits(X, self.distribution,
                                             getattr(self, "n_categories_", None))
        try:
            return super()._fit(X, y)
        finally:
            del self._output_bias

    def _build_module(self, n_features, n_classes):
        return _MADEModule(
            n_features, self.distribution, self.hidden_sizes,
            n_mixture_components=_renamed_parameter(self, "n_components",
                                                    "n_mixture_components"),
            n_categories=getattr(self, "n_categories_", None), n_classes=n_classes,
            output_bias=getattr(self, "_output_bias", None),
        )

    def _log_prob(self, module, X, y):
        return module.log_prob(X, y)

    def _sample_module(self, module, n_samples, y, generator):
        return module.sample(n_samples, y, generator)

    def _score_samples(self, X, y):
        inside = self._in_support(X)
        if inside.all():
            return super()._score_samples(X, y)
        # score a harmless stand-in for rows outside the support, then zero them
        out = super()._score_samples(np.where(inside[:, None], X, 0.0), y)
        out[~inside] = -np.inf
        return out
