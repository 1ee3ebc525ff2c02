"""TabularAutoregressive: a deep autoregressive model over the columns of a mixed table.

``p(row) = prod_j p(x_j | x_<j)`` in a column order; one masked network
(MADE, Germain et al., 2015) outputs the parameters of every conditional in
one pass, each through a head that fits the column's type:

- categorical and boolean columns: a softmax over the categories;
- count columns spanning at most ``max_count_levels`` integers: a softmax
  over those integers plus one "larger" bucket with a geometric tail, so that
  every integer of the support keeps some probability;
- wider count columns: a discretized mixture of logistics (on the log scale
  when that fits the column better), whose probability masses are exact
  differences of logistic CDFs;
- continuous columns: a mixture of Gaussians on the standardized value (on
  the log scale when that fits the column better), the Jacobian included.

The network reads each cell as a one-hot code (categories) or a standardized
number, plus a missing indicator, so rows with missing cells can be fed. A
head is a small :class:`torch.nn.Module` with three pure parts: the network
input of a cell, the log-probability of a value, and a draw from two uniform
numbers (from a generator when sampling, from per-row hashed noise when
estimating a marginal).
"""

import math
import warnings
from numbers import Integral

import numpy as np
import torch
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from torch import nn
from torch.nn import functional as F

from ..nn import (
    BaseDeepGenerative,
    MaskedLinear,
    driver_parameters_doc,
    hashed_uniform,
    init_parameters,
    made_masks,
    row_keys,
)
from ..nn._base import _CHECK_MAX_Z, _CHECK_ROWS
from ._base import MarginalEstimateWarning, TabularMixin

__all__ = ["MarginalEstimateWarning", "TabularAutoregressive"]

_LOG_2PI = math.log(2 * math.pi)
#: Smallest scale of a mixture component, in standardized units.
_MIN_SCALE = 1e-3
#: Most rows times importance samples in one pass of the network.
_IMPORTANCE_ROWS = 8192
#: Largest draw of a discretized count (beyond it float64 no longer holds integers).
_MAX_COUNT = 2.0**53


# ------------------------------------------------------------- the heads
# A head turns a column's slice of the network output, ``params`` of shape
# (n, n_params), into a distribution over the column's values ``v`` (n,):
# category codes, count indices ``value - offset``, or standardized numbers.


def _clamp_unit(u):
    """Uniform numbers kept inside (0, 1), where inverse CDFs are finite."""
    info = torch.finfo(u.dtype)
    return u.clamp(info.tiny, 1.0 - info.eps)


def _inverse_cdf(log_probs, u):
    """Index drawn from the rows of ``exp(log_probs)`` (n, k) with uniforms ``u`` (n,)."""
    cdf = torch.cumsum(log_probs.exp(), dim=-1)
    index = (cdf < u[:, None] * cdf[:, -1:]).sum(-1)
    return index.clamp(max=log_probs.shape[-1] - 1)


def _mixture_parts(params):
    """Log-weights, locations and scales (each (n, k)) of a location-scale mixture."""
    logits, loc, raw_scale = params.chunk(3, dim=-1)
    return F.log_softmax(logits, dim=-1), loc, F.softplus(raw_scale) + _MIN_SCALE


def _log_logistic_mass(high, gap):
    """``log(sigmoid(high) - sigmoid(high - gap))`` for ``gap > 0``, stably.

    Uses ``sigmoid(b) - sigmoid(a) = sigmoid(b) sigmoid(-a) (1 - exp(a - b))``;
    the gap is passed apart, so that a narrow interval far out (a count of a
    billion in float32) keeps its width.
    """
    log1mexp = torch.where(gap < math.log(2), torch.log(-torch.expm1(-gap)),
                           torch.log1p(-torch.exp(-gap)))
    return F.logsigmoid(high) + F.logsigmoid(gap - high) + log1mexp


def _numeric_inputs(z, observed):
    """A standardized number and the cell's missing indicator, shape (n, 2)."""
    return torch.stack([torch.where(observed, z, 0.0), (~observed).to(z.dtype)], dim=1)


class _CategoricalHead(nn.Module):
    """Softmax over ``n_levels`` categories; the network reads a one-hot code."""

    def __init__(self, n_levels):
        super().__init__()
        self.n_levels = int(n_levels)
        self.n_params = self.n_levels
        self.input_width = self.n_levels + 1

    def inputs(self, v, observed):
        code = torch.where(observed, v, 0.0).long().clamp(0, self.n_levels - 1)
        one_hot = F.one_hot(code, self.n_levels).to(v.dtype) * observed[:, None]
        return torch.cat([one_hot, (~observed).to(v.dtype)[:, None]], dim=1)

    def log_prob(self, params, v):
        code = v.long().clamp(0, self.n_levels - 1)
        return F.log_softmax(params, dim=-1).gather(-1, code[:, None])[:, 0]

    def draw(self, params, u):
        return _inverse_cdf(F.log_softmax(params, dim=-1), u[:, 0]).to(params.dtype)


class _CountLevelsHead(nn.Module):
    """Softmax over the counts ``0..n_levels-1`` and a bucket for larger ones.

    The bucket's probability spreads over ``n_levels, n_levels + 1, ...``
    geometrically with ratio ``tail_ratio``. The network reads the
    standardized count.
    """

    def __init__(self, n_levels, tail_ratio, shift, scale):
        super().__init__()
        self.n_levels = int(n_levels)
        self.n_params = self.n_levels + 1
        self.input_width = 2
        self.log_ratio = math.log(tail_ratio)
        self.log_stop = math.log1p(-tail_ratio)
        self.shift, self.scale = float(shift), float(scale)

    def inputs(self, v, observed):
        return _numeric_inputs((v - self.shift) / self.scale, observed)

    def log_prob(self, params, v):
        log_p = F.log_softmax(params, dim=-1)
        k = self.n_levels
        level = log_p.gather(-1, v.long().clamp(0, k)[:, None])[:, 0]
        tail = log_p[:, k] + self.log_stop + (v - k).clamp(min=0) * self.log_ratio
        return torch.where(v < k, level, tail)

    def draw(self, params, u):
        level = _inverse_cdf(F.log_softmax(params, dim=-1), u[:, 0]).to(params.dtype)
        excess = torch.floor(torch.log(_clamp_unit(u[:, 1])) / self.log_ratio)
        return torch.where(level < self.n_levels, level, self.n_levels + excess)


class _DiscretizedLogisticHead(nn.Module):
    """Mixture of logistics on a transformed count, discretized to the integers.

    Count ``k >= 0`` gets the mixture's mass between ``T(k - 1/2)`` and
    ``T(k + 1/2)``, ``T(u) = (t(u) - shift) / scale`` with ``t = log1p`` or
    the identity; count 0 also takes everything below. The masses add up to
    one over ``k = 0, 1, 2, ...``.
    """

    def __init__(self, n_components, log, shift, scale):
        super().__init__()
        self.n_params = 3 * int(n_components)
        self.input_width = 2
        self.log = bool(log)
        self.shift, self.scale = float(shift), float(scale)

    def _standardized(self, u):
        return ((torch.log1p(u) if self.log else u) - self.shift) / self.scale

    def inputs(self, v, observed):
        return _numeric_inputs(self._standardized(v), observed)

    def log_prob(self, params, v):
        log_w, loc, scale = _mixture_parts(params)
        high = (self._standardized(v + 0.5)[:, None] - loc) / scale
        # T(k + 1/2) - T(k - 1/2), computed as such
        width = torch.log1p(1.0 / (v + 0.5)) if self.log else torch.ones_like(v)
        gap = (width / self.scale)[:, None] / scale
        mass = torch.where(v[:, None] > 0, _log_logistic_mass(high, gap), F.logsigmoid(high))
        return torch.logsumexp(log_w + mass, dim=-1)

    def draw(self, params, u):
        log_w, loc, scale = _mixture_parts(params)
        which = _inverse_cdf(log_w, u[:, 0])[:, None]
        z = loc.gather(-1, which)[:, 0] + scale.gather(-1, which)[:, 0] * torch.logit(
            _clamp_unit(u[:, 1]))
        t = z.double() * self.scale + self.shift
        value = torch.expm1(t) if self.log else t
        return torch.floor(value + 0.5).clamp(0.0, _MAX_COUNT).to(params.dtype)


class _GaussianMixtureHead(nn.Module):
    """Mixture of Gaussians on the standardized (log) value ``z = (t(x) - shift) / scale``.

    ``log_prob`` is the density of ``x`` itself: it adds the Jacobian
    ``-log(scale) - log(x)`` (the last term on the log scale only).
    """

    def __init__(self, n_components, log, shift, scale):
        super().__init__()
        self.n_params = 3 * int(n_components)
        self.input_width = 2
        self.log = bool(log)
        self.shift, self.scale = float(shift), float(scale)
        self.log_scale = math.log(self.scale)

    def inputs(self, v, observed):
        return _numeric_inputs(v, observed)

    def log_prob(self, params, v):
        log_w, loc, scale = _mixture_parts(params)
        z = (v[:, None] - loc) / scale
        log_density = torch.logsumexp(log_w - 0.5 * (z * z + _LOG_2PI) - torch.log(scale), -1)
        jacobian = -self.log_scale - (v * self.scale + self.shift if self.log else 0.0)
        return log_density + jacobian

    def draw(self, params, u):
        log_w, loc, scale = _mixture_parts(params)
        which = _inverse_cdf(log_w, u[:, 0])[:, None]
        noise = torch.special.ndtri(_clamp_unit(u[:, 1]))
        return loc.gather(-1, which)[:, 0] + scale.gather(-1, which)[:, 0] * noise


def _make_head(spec, n_components):
    """The head of one entry of ``column_models_``."""
    head = spec["head"]
    if head == "categorical":
        return _CategoricalHead(spec["n_levels"])
    if head == "count_levels":
        return _CountLevelsHead(spec["n_levels"], spec["tail_ratio"], spec["shift"],
                                spec["scale"])
    cls = _DiscretizedLogisticHead if head == "discretized_logistic" else _GaussianMixtureHead
    return cls(n_components, spec["log"], spec["shift"], spec["scale"])


# ------------------------------------------------------------- network
class _TabularMADE(nn.Module):
    """A MADE network over the columns, with one head per column.

    Parameters
    ----------
    heads : list of nn.Module
        One head per column, in the table's column order.
    positions : array-like of int
        Position of each column in the autoregressive order.
    hidden_sizes : tuple of int
        Masked hidden layers (may be empty: a linear autoregressive model).
    output_bias : array-like, default=None
        Initial biases of the output layer (the heads' parameters of an
        independent model of the columns); zeros when ``None``.
    """

    _owns_init = True

    def __init__(self, heads, positions, hidden_sizes, output_bias=None):
        super().__init__()
        self.heads = nn.ModuleList(heads)
        positions = np.asarray(positions, dtype=np.int64)
        self.sequence = [int(j) for j in np.argsort(positions)]
        self.register_buffer("positions", torch.as_tensor(positions))
        self.sizes = [h.n_params for h in heads]
        self.output_bias = None if output_bias is None else torch.as_tensor(
            np.asarray(output_bias, dtype=np.float32))
        masks = made_masks(len(heads), tuple(hidden_sizes), np.array(self.sizes),
                           order=positions, input_width=np.array([h.input_width for h in heads]))
        layers = []
        for mask in masks[:-1]:
            layers += [MaskedLinear(mask), nn.ReLU()]
        layers.append(MaskedLinear(masks[-1]))
        self.net = nn.Sequential(*layers)

    def reset_parameters(self, generator=None):
        init_parameters(self.net, generator)
        if self.output_bias is not None:
            with torch.no_grad():
                self.net[-1].bias.copy_(self.output_bias)

    def params(self, values, observed):
        """Each column's head parameters given the cells before it: a list of (n, n_params)."""
        h = torch.cat([head.inputs(values[:, j], observed[:, j])
                       for j, head in enumerate(self.heads)], dim=1)
        return self.net(h).split(self.sizes, dim=1)

    def column_log_prob(self, values, observed):
        """``log p(x_j | x_<j)`` of every cell, shape (n, d); 0 where a cell is missing."""
        params = self.params(values, observed)
        lp = torch.stack([head.log_prob(p, values[:, j])
                          for j, (head, p) in enumerate(zip(self.heads, params))], dim=1)
        return torch.where(observed, lp, 0.0)

    def log_prob(self, values, observed):
        """Sum of the observed cells' conditionals, shape (n,)."""
        return self.column_log_prob(values, observed).sum(-1)

    def fill(self, values, observed, where, uniforms):
        """Draw the cells ``where`` (n, d) column after column from their conditionals.

        ``uniforms`` (n, d, 2) holds each cell's two uniform numbers. Returns
        the completed values and observed flags.
        """
        values, observed = values.clone(), observed.clone()
        for j in self.sequence:
            rows = where[:, j].nonzero()[:, 0]
            if len(rows) == 0:
                continue
            params = self.params(values[rows], observed[rows])[j]
            values[rows, j] = self.heads[j].draw(params, uniforms[rows, j])
            observed[rows, j] = True
        return values, observed

    def sample(self, n_samples, generator=None):
        ref = self.net[0].weight
        d = len(self.heads)
        values = torch.zeros(n_samples, d, device=ref.device, dtype=ref.dtype)
        observed = torch.zeros(n_samples, d, device=ref.device, dtype=torch.bool)
        uniforms = torch.rand(n_samples, d, 2, generator=generator, device=ref.device,
                              dtype=ref.dtype)
        return self.fill(values, observed, ~observed, uniforms)[0]


# ------------------------------------------------- fitting the column models
def _log_is_better(t):
    """Whether a Gaussian fits ``log t`` better than ``t`` (likelihood, Jacobian included)."""
    if t.size < 2 or np.any(t <= 0):
        return False
    log_t = np.log(t)
    return bool(-0.5 * np.log(max(log_t.var(), 1e-300)) - log_t.mean()
                > -0.5 * np.log(max(t.var(), 1e-300)))


def _shift_scale(t):
    shift, scale = float(np.mean(t)), float(np.std(t))
    return shift, (scale if scale > 1e-12 * (1.0 + abs(shift)) else 1.0)


def _log_frequencies(codes, n_levels, pseudo_count=0.5):
    counts = np.bincount(codes.astype(np.int64), minlength=n_levels)[:n_levels] + pseudo_count
    return np.log(counts / counts.sum())


def _mixture_bias(z, n_components, scale=0.5):
    """Output biases of a mixture head: equal weights, locations at quantiles of ``z``."""
    loc = np.quantile(z, (np.arange(n_components) + 0.5) / n_components)
    raw_scale = math.log(math.expm1(scale))
    return np.concatenate([np.zeros(n_components), loc, np.full(n_components, raw_scale)])


def _column_model(spec, x, *, n_components, max_count_levels, log_transform):
    """The model of one column (a plain dict) and its head's initial output biases.

    ``x`` holds the column's observed training codes.
    """
    kind = spec["kind"]
    model = {"name": spec["name"], "head": None, "n_levels": None, "tail_ratio": None,
             "log": False, "shift": 0.0, "scale": 1.0, "offset": int(spec["offset"])}
    if kind in ("categorical", "boolean"):
        k = len(spec["categories"])
        model.update(head="categorical", n_levels=k)
        return model, _log_frequencies(x, k)
    if kind == "count":
        k = x - model["offset"]
        if k.max() + 1 <= max_count_levels:
            n_levels = int(k.max()) + 1
            spread = max(float(np.std(k)), 1.0)
            shift, scale = _shift_scale(k)
            model.update(head="count_levels", n_levels=n_levels, shift=shift, scale=scale,
                         tail_ratio=spread / (1.0 + spread))
            return model, _log_frequencies(k, n_levels + 1)
        log = _log_is_better(k + 1.0) if log_transform == "auto" else bool(log_transform)
        t = np.log1p(k) if log else k
        shift, scale = _shift_scale(t)
        model.update(head="discretized_logistic", log=log, shift=shift, scale=scale)
        return model, _mixture_bias((t - shift) / scale, n_components)
    log = bool(np.all(x > 0)) and (
        _log_is_better(x) if log_transform == "auto" else bool(log_transform))
    t = np.log(x) if log else x
    shift, scale = _shift_scale(t)
    model.update(head="gaussian_mixture", log=log, shift=shift, scale=scale)
    return model, _mixture_bias((t - shift) / scale, n_components)


def _latin_hypercube(keys, n_draws, n_dims):
    """Stratified uniforms of shape (n, n_draws, n_dims), hashed from the row ``keys``.

    For each row and dimension, the ``n_draws`` numbers fall one in each of
    the intervals ``[i / n_draws, (i + 1) / n_draws)``, in random order (Latin
    hypercube sampling): each is uniform, so an average over the draws stays
    unbiased, while a missing category is drawn in proportions within one
    draw of its probability.
    """
    n = keys.shape[0]
    rank = np.argsort(hashed_uniform(keys, 0, n_dims * n_draws).reshape(n, n_dims, n_draws),
                      axis=-1)
    jitter = hashed_uniform(keys, 1, n_dims * n_draws).reshape(n, n_dims, n_draws)
    return ((rank + jitter) / n_draws).transpose(0, 2, 1)


# ----------------------------------------------------------- estimator
@driver_parameters_doc(
    hidden_sizes=(128, 128), max_epochs=300, batch_size=256, learning_rate=2e-3,
    early_stopping=True, n_iter_no_change=10)
class TabularAutoregressive(TabularMixin, BaseDeepGenerative):
    """Deep autoregressive model of a mixed-type table (MADE over the columns).

    The model factorizes a row as ``p(x_1) p(x_2 | x_1) ... p(x_d | x_<d)``
    in a column order, and one masked network (Germain et al., 2015) outputs
    the parameters of every conditional in a single pass. Each column gets a
    head that fits its type (see :func:`infer_column_types`):

    - **categorical** and **boolean**: a softmax over the categories
      (booleans are two categories);
    - **count** columns whose training values span at most
      ``max_count_levels`` integers: a softmax over ``offset .. max`` plus
      one bucket for larger values, whose probability is spread over
      ``max + 1, max + 2, ...`` geometrically, with a mean excess equal to
      the column's standard deviation (at least 1). Every integer of the
      support has positive probability;
    - wider **count** columns: a mixture of ``n_mixture_components``
      logistics discretized to the integers (each count gets the mass of its
      interval ``[k - 1/2, k + 1/2)``, computed exactly from the logistic
      CDF), on the ``log1p`` scale when ``log_transform`` says so;
    - **continuous** columns: a mixture of ``n_mixture_components``
      Gaussians on the standardized value, or on the standardized log of the
      value when ``log_transform`` says so; the Jacobians of both maps are
      included.

    The network reads a categorical cell as a one-hot code and a number as
    its standardized value, each with a missing indicator.
    :meth:`score_samples` is the exact log-likelihood of a complete row,
    with respect to counting measure on the discrete columns times Lebesgue
    measure on the continuous ones, in one pass of the network; ``sample``
    draws column after column (``n_features`` passes) and returns a
    DataFrame with the training columns, dtypes and categories.

    Parameters
    ----------
    order : "given" or list of str, default="given"
        Column order of the factorization: the table's own (``"given"``), or
        a list of every column name. Put the columns most often missing
        last: see Notes.
    column_types : dict of {column: str}, default=None
        Column types overriding those read from the dtypes (see
        :func:`infer_column_types`), e.g. ``{"zip_code": "categorical"}``.
    n_mixture_components : int, default=5
        Components of the mixture heads (continuous and wide count columns).
    max_count_levels : int, default=20
        A count column whose training values span at most this many integers
        gets a softmax head; a wider one a discretized mixture of logistics.
    log_transform : "auto" or bool, default="auto"
        Whether the mixture heads model a positive column on the log scale:
        ``"auto"`` does when a Gaussian fits the logs of the training values
        better than the values (by likelihood, Jacobian included); ``True``
        for every strictly positive continuous column and every wide count
        column (``log1p``); ``False`` never. On the log scale a value at or
        below zero has density zero.
    n_importance_samples : int, default=100
        Draws per row of the importance-sampling estimate that
        :meth:`score_samples` makes when a row has a missing cell before an
        observed one in ``order`` (see Notes).
{driver_parameters}
        The hidden layers are masked; an empty ``hidden_sizes`` gives a linear
        autoregressive model.

    Attributes
    ----------
    schema_ : list of dict
        One record per column: name, type, dtype, categories (see
        :mod:`skgen.tabular`); ``sample`` restores these dtypes.
    order_ : list
        The column names in the order of the factorization.
    column_models_ : list of dict
        One record per column, in the table's order: ``head``
        (``"categorical"``, ``"count_levels"``, ``"discretized_logistic"`` or
        ``"gaussian_mixture"``), ``n_levels`` and ``tail_ratio`` (softmax
        heads), ``log`` (log scale), ``shift`` and ``scale`` (of the
        standardization), ``offset`` (of a count column).
{driver_attributes}
    n_features_in_ : int
        Number of columns.
    feature_names_in_ : ndarray of str
        Column names, when they are all strings.
    likelihood_kind : str
        ``"exact"``.

    See Also
    --------
    TabularMixture : the fast mixture of per-column products; missing cells
        are marginalized exactly in any position.
    skgen.autoregressive.MADE : the same network for numeric vectors.

    Notes
    -----
    **Missing cells** (``NaN``, ``None``, ``pd.NA``). In ``score_samples``,
    a row whose missing cells all come after its observed ones in ``order``
    gets its exact marginal log-likelihood: the trailing factors are summed
    (or integrated) out by not evaluating them. Any other row gets an
    importance-sampling estimate of its marginal: the missing cells before
    the last observed one are drawn ``n_importance_samples`` times from the
    model's own conditionals (stratified: Latin hypercube) and the
    probabilities of the observed cells averaged. The average is an unbiased
    estimate of the marginal probability, so its log is consistent and, on
    average, slightly low; not exact, so ``score_samples`` then warns with a
    :class:`MarginalEstimateWarning`. It is a deterministic function of the
    row (per-row hashed noise fixed at ``fit``), the same in any batch.

    In ``fit``, the factor of a missing cell is left out of the likelihood
    and the network sees the cell's missing indicator. This is maximum
    likelihood when cells are missing at random *and* trailing in ``order``;
    otherwise the later conditionals learn from the rows where the earlier
    cell is observed, a good approximation under missingness completely at
    random.

    **Table size.** The defaults train in seconds on a few thousand rows (on
    the customer network of :func:`~skgen.datasets.make_customer_table`,
    3000 rows fit in about 5 s on one CPU core and come within 0.02
    nat/row of the true held-out log-likelihood). On tables of a few hundred
    rows a network has little to learn from and :class:`TabularMixture` is
    usually as good or better; there, a smaller ``n_mixture_components`` or
    ``batch_size`` often helps this model.

    A category never seen in ``fit`` gets log-likelihood ``-inf``, with an
    :class:`~skgen.tabular.UnseenCategoryWarning`. A non-integer or
    below-offset count and a value at or below zero in a log-scale column are
    outside the support too: their rows get ``-inf``.

    References
    ----------
    Germain, Gregor, Murray and Larochelle, "MADE: Masked Autoencoder for
    Distribution Estimation", ICML 2015.

    Salimans, Karpathy, Chen and Kingma, "PixelCNN++: Improving the PixelCNN
    with Discretized Logistic Mixture Likelihood and Other Modifications",
    ICLR 2017.

    Examples
    --------
    >>> from skgen.datasets import make_customer_table
    >>> from skgen.tabular import TabularAutoregressive
    >>> df = make_customer_table(1000, random_state=0)
    >>> model = TabularAutoregressive(hidden_sizes=(32,), max_epochs=20,
    ...                               random_state=0).fit(df)
    >>> [m["head"] for m in model.column_models_]
    ['categorical', 'categorical', 'discretized_logistic', 'gaussian_mixture', 'categorical']
    >>> synthetic = model.sample(3, random_state=0)
    >>> synthetic.dtypes.astype(str).tolist()
    ['category', 'bool', 'int64', 'float64', 'category']
    >>> model.score_samples(df.head(2)).shape
    (2,)
    """

    likelihood_kind = "exact"

    _parameter_constraints = {
        **BaseDeepGenerative._parameter_constraints,
        "order": [StrOptions({"given"}), "array-like"],
        "column_types": [dict, None],
        "n_mixture_components": [Interval(Integral, 1, None, closed="left")],
        "max_count_levels": [Interval(Integral, 1, None, closed="left")],
        "log_transform": ["boolean", StrOptions({"auto"})],
        "n_importance_samples": [Interval(Integral, 1, None, closed="left")],
    }

    #: Cells are standardized per column here (``_standardize_X``), not by the driver.
    _standardize = False
    _streamable = False  # the column schema is read from every row
    #: Scores in float64: a row's log-likelihood does not depend on its batch.
    _inference_dtype = torch.float64
    _sample_dtype = torch.float32

    def __init__(self, *, order="given", column_types=None, n_mixture_components=5,
                 max_count_levels=20, log_transform="auto", n_importance_samples=100,
                 hidden_sizes=(128, 128), max_epochs=300, batch_size=256,
                 learning_rate=2e-3, weight_decay=0.0, early_stopping=True,
                 validation_fraction=0.1, n_iter_no_change=10, device="auto",
                 random_state=None, verbose=0):
        self.order = order
        self.column_types = column_types
        self.n_mixture_components = n_mixture_components
        self.max_count_levels = max_count_levels
        self.log_transform = log_transform
        self.n_importance_samples = n_importance_samples
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

    # ------------------------------------------------------------ fit
    def _resolve_order(self):
        names = [spec["name"] for spec in self.schema_]
        if isinstance(self.order, str):  # "given"
            return list(names)
        order = list(self.order)
        unknown = [c for c in order if c not in names]
        order = [c if c in unknown else names[names.index(c)] for c in order]
        if unknown or len(order) != len(names) or len(set(order)) != len(order):
            absent = [c for c in names if c not in order]
            raise ValueError(
                "order must list every column of the table exactly once: "
                + "; ".join(part for part in (
                    f"unknown {unknown}" if unknown else "",
                    f"absent {absent}" if absent else "",
                    "repeated names" if len(set(order)) != len(order) else "") if part)
                + f". The table's columns are {names}."
            )
        return order

    def _fit(self, Z, y):
        self.order_ = self._resolve_order()
        models, biases = [], []
        for j, spec in enumerate(self.schema_):
            x = Z[:, j][~np.isnan(Z[:, j])]
            model, bias = _column_model(
                spec, x, n_components=self.n_mixture_components,
                max_count_levels=self.max_count_levels, log_transform=self.log_transform)
            models.append(model)
            biases.append(bias)
        self.column_models_ = models
        # seed of the per-row noise of the importance-sampled marginals, fixed per fit
        self._noise_seed = int(check_random_state(self.random_state).randint(2**31 - 1))
        self._output_bias = np.concatenate(biases)
        try:
            return super()._fit(Z, y)
        finally:
            del self._output_bias

    def _build_module(self, n_features, n_classes):
        heads = [_make_head(m, self.n_mixture_components) for m in self.column_models_]
        names = [m["name"] for m in self.column_models_]
        positions = [self.order_.index(name) for name in names]
        return _TabularMADE(heads, positions, self.hidden_sizes,
                            output_bias=getattr(self, "_output_bias", None))

    def _log_prob(self, module, X, y):
        d = len(module.heads)
        return module.log_prob(X[:, :d], X[:, d:] > 0.5)

    def _sample_module(self, module, n_samples, y, generator):
        return module.sample(n_samples, generator)

    # ------------------------------------------- codes <-> network space
    def _standardize_X(self, Z):
        """Codes (NaN missing) -> the network's cells ``[values | observed]``, (n, 2d).

        Category codes stay codes, counts become ``value - offset``, continuous
        values their standardized (log) values; missing cells hold 0.
        """
        observed = ~np.isnan(Z)
        V = np.zeros(Z.shape)
        for j, model in enumerate(self.column_models_):
            z = np.where(observed[:, j], Z[:, j], model["offset"] + 1.0)
            if model["head"] == "gaussian_mixture":
                z = ((np.log(z) if model["log"] else z) - model["shift"]) / model["scale"]
            elif model["head"] != "categorical":
                z = z - model["offset"]
            V[:, j] = np.where(observed[:, j], z, 0.0)
        return np.hstack([V, observed.astype(np.float64)])

    def _codes(self, V):
        """The network's values (n, d) -> codes (the inverse of ``_standardize_X``)."""
        Z = np.array(V, dtype=np.float64)
        for j, model in enumerate(self.column_models_):
            if model["head"] == "gaussian_mixture":
                t = Z[:, j] * model["scale"] + model["shift"]
                Z[:, j] = np.exp(t) if model["log"] else t
            elif model["head"] != "categorical":
                Z[:, j] += model["offset"]
        return Z

    def _outside_support(self, Z):
        """Cells (n, d) that the model gives probability zero (missing cells are inside)."""
        bad = np.zeros(Z.shape, dtype=bool)
        with np.errstate(invalid="ignore"):
            for j, model in enumerate(self.column_models_):
                z = Z[:, j]
                if model["head"] == "categorical":
                    bad[:, j] = z < 0  # a category unseen in fit
                elif model["head"] == "gaussian_mixture":
                    bad[:, j] = (z <= 0) if model["log"] else False
                else:
                    bad[:, j] = (z < model["offset"]) | (z != np.floor(z))
        return bad & ~np.isnan(Z)

    # ----------------------------------------------------- protocol's hooks
    def _score_samples(self, Z, y):
        bad = self._outside_support(Z)
        if bad.any():  # score a harmless stand-in, then give those rows -inf
            Z = np.where(bad, np.array([m["offset"] + 1.0 if m["head"] != "categorical"
                                        else 0.0 for m in self.column_models_]), Z)
        observed = ~np.isnan(Z)
        positions = np.array([self.order_.index(m["name"]) for m in self.column_models_])
        last_observed = np.where(observed, positions, -1).max(axis=1)
        estimated = (~observed & (positions < last_observed[:, None])).any(axis=1)
        out = np.empty(Z.shape[0])
        if (~estimated).any():
            out[~estimated] = super()._score_samples(Z[~estimated], y)
        if estimated.any():
            warnings.warn(
                f"{int(estimated.sum())} of {Z.shape[0]} rows have a missing cell before an "
                "observed one in the column order; their log-likelihoods are "
                f"importance-sampling estimates ({self.n_importance_samples} draws), not "
                "exact. Put the columns often missing last in `order` for exact values.",
                MarginalEstimateWarning, stacklevel=4)
            out[estimated] = super()._score_samples(Z[estimated], y,
                                                    log_prob=self._estimated_log_prob)
        out[bad.any(axis=1)] = -np.inf
        return out

    def _estimated_log_prob(self, module, X, y):
        """Importance-sampled ``log p(observed cells)`` of network rows ``X`` (n, 2d).

        The missing cells before a row's last observed cell are drawn from the
        model's own conditionals; the weight of a draw is then the product of
        the observed cells' conditionals. Noise is hashed from each row.
        """
        d = len(module.heads)
        n_draws = self.n_importance_samples
        values, observed = X[:, :d], X[:, d:] > 0.5
        positions = module.positions[None, :]
        last = torch.where(observed, positions, -1).amax(dim=1, keepdim=True)
        todo = ~observed & (positions < last)
        keys = row_keys(X.cpu().numpy(), self._noise_seed)
        step = max(1, _IMPORTANCE_ROWS // n_draws)
        out = []
        for start in range(0, X.shape[0], step):
            sl = slice(start, start + step)
            m = keys[sl].shape[0]
            u = torch.as_tensor(_latin_hypercube(keys[sl], n_draws, 2 * d),
                                dtype=X.dtype, device=X.device).reshape(m * n_draws, d, 2)
            rep = [t[sl].repeat_interleave(n_draws, dim=0) for t in (values, observed, todo)]
            full, full_observed = module.fill(rep[0], rep[1], rep[2], u)
            cells = module.column_log_prob(full, full_observed)
            log_w = torch.where(rep[1], cells, 0.0).sum(-1).reshape(m, n_draws)
            out.append(torch.logsumexp(log_w, dim=1) - math.log(n_draws))
        return torch.cat(out)

    def _sample(self, n_samples, rng, y):
        return self._codes(super()._sample(n_samples, rng, y))

    def _check_fitted(self):
        """Refuse a network whose draws are not finite or absurdly far out."""
        V = super()._sample(_CHECK_ROWS, check_random_state(0), None)
        numeric = [j for j, m in enumerate(self.column_models_)
                   if m["head"] == "gaussian_mixture"]
        with np.errstate(invalid="ignore"):
            worst = float(np.max(np.abs(V[:, numeric]), initial=0.0))
        if not (np.isfinite(V).all() and worst <= _CHECK_MAX_Z):
            raise FloatingPointError(
                f"{type(self).__name__}: training diverged: the fitted model draws NaN, "
                "infinite or absurdly large values. Lower learning_rate (or check the "
                "data for extreme values) and refit."
            )
