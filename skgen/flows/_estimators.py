"""RealNVP, MAF and NSF: flows as scikit-learn estimators.

The training loop, standardization, labels and pickling come from
:class:`skgen.nn.BaseDeepGenerative`; a flow family only says which
transforms it stacks (:meth:`BaseFlow._build_transforms`).
"""

from numbers import Integral, Real

import numpy as np
import torch
from torch import nn
from sklearn.utils._param_validation import Interval, StrOptions

from ..base import ConditionalMixin
from ..nn import BaseDeepGenerative, driver_parameters_doc, label_embedding
from ._scoring import block_log_prob
from ._transforms import AutoregressiveTransform, CouplingTransform, Flow
from ._univariate import Affine, RationalQuadraticSpline

__all__ = ["BaseFlow", "MAF", "NSF", "RealNVP"]

_CHUNK_BYTES = 1 << 20


def _coupling_split(n_features, k):
    """Indices moved by the ``k``-th coupling layer.

    Layers alternate between the two halves of an even/odd split and of a
    first/second-half split, so that in any dimension every feature is
    conditioned on every other after a few layers (in 2-D both are x0 | x1).
    """
    d = n_features
    if d == 1:
        return np.array([0])
    idx = np.arange(d)
    part = (idx % 2 == 1) if k % 4 < 2 else (idx >= d // 2)
    return idx[part] if k % 2 == 0 else idx[~part]


class BaseFlow(ConditionalMixin, BaseDeepGenerative):
    """Base class of the normalizing flows: a stack of transforms over N(0, I).

    ``score_samples`` is the exact log-density by the change of variables,
    ``log p(x) = log N(f(x); 0, I) + log |det df/dx|`` (plus the Jacobian of
    the internal standardization). Conditional on class labels when ``fit``
    gets ``y``: labels are embedded and every transform sees the embedding.

    Everything runs in float32. ``score_samples`` evaluates the network in
    blocks of a fixed number of rows (:meth:`_inference_chunk_size`, a power
    of two), the last block padded, through a compiled copy of the network
    (:mod:`skgen.flows._scoring`), so that a row's log-density does not depend
    on the other rows of the call, their number or the row's position among
    them: every matrix product and elementwise kernel sees operands of one
    shape. ``sample`` inverts autoregressive layers one feature per pass,
    computing only that feature's parameters.
    """

    likelihood_kind = "exact"
    _inference_dtype = torch.float32  # batch invariance comes from fixed-size blocks
    _sample_dtype = torch.float32

    _parameter_constraints = {
        **BaseDeepGenerative._parameter_constraints,
        "n_transforms": [Interval(Integral, 1, None, closed="left")],
        "whiten": ["boolean"],
    }
    #: Models pickled before ``whiten`` existed were fitted without it.
    _added_parameters = {"whiten": False}

    @property
    def _whiten(self):
        return self.whiten

    def _build_transforms(self, n_features, context_features):  # pragma: no cover
        raise NotImplementedError

    def _build_module(self, n_features, n_classes):
        emb = label_embedding(n_classes)[1]
        transforms = self._build_transforms(n_features, emb)
        return Flow(transforms, n_features, n_classes=n_classes, embedding_dim=emb)

    def _inference_chunk_size(self, module, dtype):
        # A power of two (so that no vectorized loop has a tail) of rows whose
        # widest intermediate (a hidden layer, or the per-feature parameters of
        # every transformed feature) fills at most about 1 MiB: larger chunks
        # leave the cache and have each temporary freshly page-mapped. It
        # depends on the network only: it is also the scoring block.
        width = max((m.out_features for m in module.modules() if isinstance(m, nn.Linear)),
                    default=1)
        rows = int(min(max(_CHUNK_BYTES // (width * torch.finfo(dtype).bits // 8), 256), 4096))
        return 1 << (rows.bit_length() - 1)

    def _log_prob(self, module, X, y):
        return module.log_prob(X, y)

    def _block_log_prob(self, module, X, y):
        """``_log_prob`` evaluated in blocks of exactly ``_inference_chunk_size`` rows.

        The last block is padded (zero rows, class 0) and the padding dropped,
        so a row's value never depends on the rest of the call: the fixed-size,
        padded block evaluator that ``score_samples`` uses.
        """
        return block_log_prob(module, X, y, self._inference_chunk_size(module, X.dtype))

    def _score_samples(self, X, y, log_prob=None):
        # the driver's standardization, class marginal and Jacobian, on blocks
        return super()._score_samples(
            X, y, log_prob=self._block_log_prob if log_prob is None else log_prob)

    def _sample_module(self, module, n_samples, y, generator):
        return module.sample(n_samples, y, generator)

    def _autoregressive_stack(self, n_features, univariate, context_features):
        # successive layers reverse the autoregressive order (in the masks, so
        # no permutation layer is needed between them)
        orders = [np.arange(n_features), np.arange(n_features)[::-1].copy()]
        return [
            AutoregressiveTransform(n_features, univariate, tuple(self.hidden_sizes),
                                    context_features=context_features, order=orders[k % 2])
            for k in range(self.n_transforms)
        ]

    def _coupling_stack(self, n_features, univariate, context_features):
        return [
            CouplingTransform(n_features, _coupling_split(n_features, k), univariate,
                              tuple(self.hidden_sizes), context_features=context_features)
            for k in range(self.n_transforms)
        ]


class _AffineFlow(BaseFlow):
    """RealNVP and MAF: flows of affine maps, scaled on ``[-tail_bound, tail_bound]``."""

    _parameter_constraints = {
        **BaseFlow._parameter_constraints,
        "tail_bound": [Interval(Real, 0, None, closed="neither"), None],
    }
    #: Models pickled before these parameters existed were fitted without them.
    _added_parameters = {"whiten": False, "tail_bound": None}

    def _fit(self, X, y):
        # fitted state, so that skgen.io rebuilds the maps a model was fitted with
        self._affine_tail_bound = self.tail_bound
        return super()._fit(X, y)

    def _affine(self):
        return Affine(tail_bound=getattr(self, "_affine_tail_bound", None))


_TAIL_DOC = """\
    tail_bound : float or None, default=3.0
        Each affine map scales its feature on ``[-tail_bound, tail_bound]``
        (in the units the flow sees: standardized, whitened with ``whiten``)
        and continues with slope 1 outside, as NSF's splines do: a stretch
        learned where the data are is not applied to a row far from them,
        which would otherwise score far below a Gaussian's value for it.
        ``None``: the maps scale everywhere.
"""


_COMMON_DOC = """
    whiten : bool, default=True
        Decorrelate the features before the flow sees them: each is
        standardized, then the rows are multiplied by the inverse of the lower
        Cholesky factor of the features' correlation matrix (shrunk toward the
        identity as far as a 3-fold cross-validation of that Gaussian's
        likelihood asks: not at all when the rows determine it, more on few or
        collinear rows).
        The flow starts as the identity, so the untrained model is that
        full-covariance Gaussian and training learns how the data depart from
        it; without this, a flow on a small table can stop (early stopping)
        before it has learned the correlations a Gaussian captures. The map is
        triangular, so an autoregressive flow still follows the order of the
        columns. ``score_samples`` includes its Jacobian. ``False``: each
        feature is only standardized.
{driver_parameters}

    Attributes
    ----------
{driver_attributes}
    classes_ : ndarray
        Labels seen in ``fit(X, y)`` (conditional fits only).
    class_prior_ : ndarray
        Their frequencies (conditional fits only).
    n_features_in_ : int
        Number of features seen during fit.
"""

_NOTES_DOC = """
    Features are standardized before the flow sees them; ``score_samples``
    includes that Jacobian, so it is the log-density of ``X`` itself. Given
    ``y`` in ``fit``, the model is ``p(x | y)``: ``score_samples(X, y=...)``
    and ``sample(n, y=...)`` condition on labels (one label or one per row),
    ``score_samples(X)`` without ``y`` is the marginal
    ``log sum_c p(c) p(x | c)`` with ``p(c)`` the training frequencies, and
    ``sample(n)`` draws labels from those frequencies.
"""


def _doc(cls):
    cls.__doc__ = (cls.__doc__.replace("    %(common)s\n", _COMMON_DOC.lstrip("\n"))
                   .replace("    %(notes)s\n", _NOTES_DOC.lstrip("\n"))
                   .replace("    %(tail)s\n", _TAIL_DOC))
    return driver_parameters_doc(
        hidden_sizes=(64, 64), max_epochs=500, batch_size=512, learning_rate=1e-3,
        early_stopping=True, n_iter_no_change=10)(cls)


@_doc
class RealNVP(_AffineFlow):
    """Real NVP: a stack of affine coupling layers (Dinh et al., 2017).

    Each layer leaves some features unchanged and scales and shifts the
    others by amounts an MLP computes from them; layers alternate which
    features move. Density evaluation and sampling each cost one pass.

    Parameters
    ----------
    n_transforms : int, default=8
        Number of coupling layers.
    %(tail)s
    %(common)s

    See Also
    --------
    MAF : masked autoregressive flow (more expressive per layer).
    NSF : spline flows, the most flexible of the three.

    Notes
    -----
    %(notes)s

    References
    ----------
    Dinh, Sohl-Dickstein and Bengio, "Density estimation using Real NVP", ICLR 2017.

    Examples
    --------
    >>> import numpy as np
    >>> from skgen.flows import RealNVP
    >>> X = np.random.RandomState(0).normal(size=(200, 2))
    >>> flow = RealNVP(n_transforms=2, hidden_sizes=(16,), max_epochs=3,
    ...                random_state=0).fit(X)
    >>> flow.score_samples(X[:3]).shape
    (3,)
    >>> flow.sample(4, random_state=0).shape
    (4, 2)
    """

    def __init__(self, *, n_transforms=8, tail_bound=3.0, whiten=True, hidden_sizes=(64, 64),
                 max_epochs=500, batch_size=512, learning_rate=1e-3, weight_decay=0.0,
                 early_stopping=True, validation_fraction=0.1, n_iter_no_change=10,
                 device="auto", random_state=None, verbose=0):
        self.n_transforms = n_transforms
        self.tail_bound = tail_bound
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

    def _build_transforms(self, n_features, context_features):
        return self._coupling_stack(n_features, self._affine(), context_features)


@_doc
class MAF(_AffineFlow):
    """Masked autoregressive flow (Papamakarios et al., 2017).

    Each layer shifts and scales feature ``i`` by amounts a MADE network
    computes from the features before it; successive layers reverse the
    order. Density evaluation costs one pass, sampling one pass per feature.

    Parameters
    ----------
    n_transforms : int, default=5
        Number of autoregressive layers.
    %(tail)s
    %(common)s

    See Also
    --------
    RealNVP : coupling layers, fast in both directions.
    NSF : spline flows, more flexible per layer.

    Notes
    -----
    %(notes)s

    References
    ----------
    Papamakarios, Pavlakou and Murray, "Masked Autoregressive Flow for Density
    Estimation", NeurIPS 2017.

    Examples
    --------
    >>> import numpy as np
    >>> from skgen.flows import MAF
    >>> X = np.random.RandomState(0).normal(size=(200, 2))
    >>> y = np.repeat(["a", "b"], 100)
    >>> flow = MAF(n_transforms=2, hidden_sizes=(16,), max_epochs=3,
    ...            random_state=0).fit(X, y)
    >>> flow.sample(3, y="a", random_state=0).shape
    (3, 2)
    >>> flow.score_samples(X[:2], y=["a", "b"]).shape
    (2,)
    """

    def __init__(self, *, n_transforms=5, tail_bound=3.0, whiten=True, hidden_sizes=(64, 64),
                 max_epochs=500, batch_size=512, learning_rate=1e-3, weight_decay=0.0,
                 early_stopping=True, validation_fraction=0.1, n_iter_no_change=10,
                 device="auto", random_state=None, verbose=0):
        self.n_transforms = n_transforms
        self.tail_bound = tail_bound
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

    def _build_transforms(self, n_features, context_features):
        return self._autoregressive_stack(n_features, self._affine(), context_features)


@_doc
class NSF(BaseFlow):
    """Neural spline flow: rational-quadratic spline layers (Durkan et al., 2019).

    Each layer moves every feature (autoregressive) or half of them
    (coupling) by a monotone rational-quadratic spline with ``bins`` bins on
    ``[-tail_bound, tail_bound]`` (in standardized units) and the identity
    outside, its knots computed by a network. Splines bend where affine
    layers can only stretch, so few layers fit multimodal, sharp-edged
    densities.

    Parameters
    ----------
    n_transforms : int, default=5
        Number of spline layers.
    bins : int, default=8
        Spline bins per layer and feature.
    tail_bound : float, default=3.0
        Half-width of the spline's interval, in the units the flow sees
        (standardized features, whitened with ``whiten``: unit variance
        either way); the map is the identity outside, so the bins resolve the
        bulk of the data.
    architecture : {"autoregressive", "coupling"}, default="autoregressive"
        ``"autoregressive"``: MADE conditioners, every feature moves in each
        layer (one pass for densities, one per feature for sampling).
        ``"coupling"``: half the features move per layer, one pass both ways.
    %(common)s

    See Also
    --------
    MAF : the same autoregressive stack with affine maps.
    RealNVP : the coupling stack with affine maps.

    Notes
    -----
    %(notes)s

    References
    ----------
    Durkan, Bekasov, Murray and Papamakarios, "Neural Spline Flows", NeurIPS 2019.

    Examples
    --------
    >>> import numpy as np
    >>> from skgen.flows import NSF
    >>> X = np.random.RandomState(0).normal(size=(200, 2))
    >>> flow = NSF(n_transforms=2, hidden_sizes=(16,), max_epochs=3,
    ...            architecture="coupling", random_state=0).fit(X)
    >>> flow.score(X) < 0
    True
    >>> len(flow.history_) == flow.n_epochs_
    True
    """

    _parameter_constraints = {
        **BaseFlow._parameter_constraints,
        "bins": [Interval(Integral, 2, None, closed="left")],
        "tail_bound": [Interval(Real, 0, None, closed="neither")],
        "architecture": [StrOptions({"autoregressive", "coupling"})],
    }

    def __init__(self, *, n_transforms=5, bins=8, tail_bound=3.0,
                 architecture="autoregressive", whiten=True, hidden_sizes=(64, 64),
                 max_epochs=500, batch_size=512, learning_rate=1e-3, weight_decay=0.0,
                 early_stopping=True, validation_fraction=0.1, n_iter_no_change=10,
                 device="auto", random_state=None, verbose=0):
        self.n_transforms = n_transforms
        self.bins = bins
        self.tail_bound = tail_bound
        self.architecture = architecture
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

    def _build_transforms(self, n_features, context_features):
        spline = RationalQuadraticSpline(bins=self.bins, bound=self.tail_bound)
        if self.architecture == "coupling":
            return self._coupling_stack(n_features, spline, context_features)
        return self._autoregressive_stack(n_features, spline, context_features)
