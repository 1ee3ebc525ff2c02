"""The training driver shared by every deep generative family.

:class:`BaseDeepGenerative` owns what does not depend on the family: seeding,
standardization, class labels for conditional models, the validation split,
the epoch loop with early stopping, best-weight restoration, NaN and Ctrl-C
handling, progress bars, chunked inference, device placement and pickling.

A family fills small hooks, like :class:`sklearn.mixture.GaussianMixture`
fills those of ``BaseMixture``. The model hooks say what the network is:

``_build_module(n_features, n_classes)``
    the :class:`torch.nn.Module` (``n_classes`` is 0 for an unconditional fit);
``_log_prob(module, X, y)``
    log-density (or the family's bound) of a batch of standardized rows, a
    tensor of shape ``(n,)``; ``y`` holds class codes or is ``None``;
``_sample_module(module, n_samples, y, generator)``
    ``n_samples`` standardized rows drawn with ``generator``;
``_loss(module, X, y, generator)``
    the training loss of a batch (default: mean negative ``_log_prob``).

The training hooks split the loop into steps a family overrides one at a
time (each receives the :class:`TrainingRun` of the current ``fit``):

``_make_optimizers(run)``
    the optimizers (default: one Adam over every parameter);
``_start_training(run)``
    once, before the first epoch (e.g. start a moving average);
``_train_step(run, X, y)``
    one minibatch update; returns the batch's losses by history key;
``_after_step(run)``
    after each update (e.g. update a moving average);
``_validation_metrics(run)``
    the figures recorded each epoch on the validation rows; early stopping
    follows ``_monitor``;
``_kept_state(run)``
    the weights that "best epoch" keeps (default: the module's own);
``_on_epoch_end(record)``
    after each epoch, with its ``history_`` record.
"""

import copy
import functools
import itertools
import math
import sys
import time
import warnings
import weakref
from numbers import Integral, Real

import numpy as np
import torch
from scipy.linalg import solve_triangular
from scipy.special import logsumexp
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval
from sklearn.utils.metaestimators import available_if
from tqdm import tqdm

from ..base import BaseGenerative, is_conditional
from ..utils import chunk_rows
from ._layers import init_parameters
from ._utils import adam, resolve_device, torch_generator

__all__ = ["BaseDeepGenerative", "TrainingRun", "TrainingWarning", "driver_parameters_doc"]

#: Rows per chunk in ``score_samples`` and ``sample`` (fewer under a small
#: ``skgen.config`` memory budget), and the activations of the widest layer
#: counted as live at once when sizing a chunk to that budget.
_INFERENCE_CHUNK, _LIVE_ACTIVATIONS = 4096, 4
#: Fitted module -> {dtype: (stamp of its tensors, converted copy)}.
_CONVERTED = weakref.WeakKeyDictionary()
#: Training has diverged when an epoch's loss exceeds the untrained model's
#: loss ``L0`` by more than ``_DIVERGENCE * (1 + |L0|)``.
_DIVERGENCE = 1e3
#: Rows drawn after fitting to check the model samples finite, sane values,
#: and the largest standardized value (in training standard deviations) of a sane draw.
_CHECK_ROWS, _CHECK_MAX_Z = 256, 1e4


class TrainingWarning(UserWarning):
    """Training stopped early: interrupted, or the loss became NaN/inf."""


class _NonFiniteLoss(Exception):
    pass


class _Diverged(Exception):
    pass


def _check_hidden_sizes(hidden_sizes):
    sizes = tuple(hidden_sizes)
    if not all(
        isinstance(h, Integral) and not isinstance(h, bool) and h >= 1 for h in sizes
    ):
        raise ValueError(
            f"hidden_sizes must be a sequence of positive integers, got {hidden_sizes!r}."
        )
    return tuple(int(h) for h in sizes)


_DRIVER_DOC = """\
    hidden_sizes : tuple of int, default={hidden_sizes}
        Hidden layer widths of the family's networks.
    max_epochs : int, default={max_epochs}
        Maximum passes over the training data.
    batch_size : int, default={batch_size}
        Rows per minibatch. On data with fewer training rows than that, it
        shrinks (to no fewer than 16 rows) so that an epoch, the unit of
        ``n_iter_no_change`` and of the step-size schedule, is 10 gradient
        steps rather than one.
    learning_rate : float, default={learning_rate}
        Adam's initial step size. With a validation split it is halved each
        time the validation figure has not improved for
        ``max(1, n_iter_no_change // 2)`` epochs.
    weight_decay : float, default=0.0
        Adam's L2 penalty.
    early_stopping : bool, default={early_stopping}
        Hold out ``validation_fraction`` of the rows and stop when their
        validation figure (``history_``) has not improved for
        ``n_iter_no_change`` epochs; the best weights are kept. With ``False``
        every row is used for training, all ``max_epochs`` epochs run and the
        last weights are kept.
    validation_fraction : float, default=0.1
        Share of rows held out when ``early_stopping``, but at least 30 rows
        (a quarter of the rows on fewer than 120), so that a small table's
        validation figure is not the noise of a dozen rows. With too few rows
        for a split, training runs without one.
    n_iter_no_change : int, default={n_iter_no_change}
        Patience of early stopping, in epochs.
    device : {{"auto", "cpu", "cuda"}} or str, default="auto"
        Where the network lives; ``"auto"`` picks CUDA when available. A model
        fitted on a GPU unpickles on a machine without one.
    random_state : int, RandomState instance or None, default=None
        Seeds weights, minibatch order, validation split, training noise and
        :meth:`sample`.
    verbose : int, default=0
        ``>0`` shows a progress bar with the current loss."""

_DRIVER_ATTRIBUTES_DOC = """\
    module_ : torch.nn.Module
        The trained network (on ``device_``).
    device_ : torch.device
        Where it lives.
    history_ : list of dict
        One record per epoch: ``epoch``, {history}, ``learning_rate`` (used in
        that epoch) and ``time`` (seconds). ``pandas.DataFrame(history_)``
        makes a learning-curve table; :func:`skgen.plotting.plot_history`
        draws it.
    n_epochs_ : int
        Epochs run.
    best_epoch_ : int
        Epoch whose weights were kept."""

#: The history keys of a family whose loss is a negative log-likelihood.
_NLL_HISTORY = (
    "``train_loss`` (mean negative log-likelihood of the training rows over "
    "the epoch, in nats per row in the units of ``X``, so that ``-train_loss`` "
    "compares with the next figure), ``valid_log_likelihood`` (mean "
    "log-likelihood of the validation rows in the units of ``X`` after the "
    "epoch; NaN without a validation split)"
)


def driver_parameters_doc(*, hidden_sizes, max_epochs, batch_size, learning_rate,
                          early_stopping, n_iter_no_change, history=_NLL_HISTORY):
    """Fill the ``{driver_parameters}`` and ``{driver_attributes}`` of a docstring.

    Every deep estimator takes the driver's parameters; this decorator writes
    their documentation once, with the estimator's own defaults, so that the
    seven families' docstrings cannot drift apart.

    Parameters
    ----------
    hidden_sizes, max_epochs, batch_size, learning_rate, early_stopping, \
n_iter_no_change : object
        The estimator's defaults, as shown in its signature.
    history : str
        What ``history_`` records besides ``epoch``, ``learning_rate`` and ``time``.

    Returns
    -------
    decorator : callable
        Class decorator that formats the class docstring.

    Examples
    --------
    >>> from skgen.nn import driver_parameters_doc
    >>> @driver_parameters_doc(hidden_sizes=(8,), max_epochs=5, batch_size=32,
    ...                        learning_rate=1e-3, early_stopping=True,
    ...                        n_iter_no_change=3)
    ... class Toy:
    ...     '''Parameters
    ...     ----------
    ... {driver_parameters}
    ...     '''
    >>> "max_epochs : int, default=5" in Toy.__doc__
    True
    """
    params = _DRIVER_DOC.format(
        hidden_sizes=hidden_sizes, max_epochs=max_epochs, batch_size=batch_size,
        learning_rate=learning_rate, early_stopping=early_stopping,
        n_iter_no_change=n_iter_no_change,
    )
    attributes = _DRIVER_ATTRIBUTES_DOC.format(history=history)

    def decorate(cls):
        cls.__doc__ = (cls.__doc__
                       .replace("{driver_parameters}", params)
                       .replace("{driver_attributes}", attributes))
        return cls

    return decorate


def _standardization(X):
    """Per-feature shift and scale that map ``X`` to mean 0 and variance 1.

    A constant column (spread below ``1e-12`` of its magnitude, i.e. rounding
    noise) is shifted by its exact value and not scaled, so that its training
    values reach the network as exact zeros: the mean of a column of ``1e20``
    is off by rounding, and that residual would otherwise enter the network
    as values of ``1e4`` and more.
    """
    shift = X.mean(axis=0)
    scale = X.std(axis=0)
    constant = ~(scale > 1e-12 * (1.0 + np.abs(shift)))
    if constant.any() and X.shape[0]:
        shift[constant] = np.median(X[:, constant], axis=0)
    return shift, np.where(constant, 1.0, scale)


#: Shrinkages ``lam`` of the correlation matrix ``(1 - lam) R + lam I`` among
#: which ``_whitening`` chooses (1 is no whitening), and the most rows its
#: 3-fold cross-validation looks at.
_SHRINKAGES, _SHRINKAGE_ROWS = (1e-6, 1e-4, 1e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0), 4096


def _whitening(Z):
    """Lower Cholesky factor of the shrunk correlation matrix of standardized rows.

    ``Z`` (n, d) has zero-mean, unit-variance columns (constant columns are
    exact zeros and stay out: their row and column of the factor are those
    of the identity). The correlation matrix ``R`` is shrunk to
    ``(1 - lam) R + lam I``, with the least ``lam`` in ``_SHRINKAGES`` whose
    3-fold cross-validated log-likelihood (of that Gaussian) is within 0.001
    nat per row of the best, so that ``N(0, L L^T)`` is the full-covariance
    Gaussian of the data when the rows determine it (``lam = 1e-6``), a
    regularized one when they barely do (few or collinear rows), and no
    whitening (``lam = 1``) when it does not help.

    Returns
    -------
    L : ndarray of shape (d, d)
        Lower triangular with a positive diagonal; ``solve(L, z)`` whitens a
        standardized row ``z``, and whitened feature ``i`` depends on
        features ``0..i`` only.
    """
    n, d = Z.shape
    live = np.flatnonzero(np.any(Z != 0, axis=0))
    L = np.eye(d)
    if n < 6 or live.size < 2:
        return L
    Zl = Z[:, live]
    eye = np.eye(live.size)
    cv = Zl[:: -(-n // _SHRINKAGE_ROWS)]  # evenly spread rows, whatever their order
    folds = np.arange(len(cv)) % 3
    lams = np.asarray(_SHRINKAGES)[:, None]
    scores = np.zeros(len(lams))
    for k in range(3):  # Gaussian log-likelihoods (but for -d/2 log 2 pi), in the eigenbasis
        fit, test = cv[folds != k], cv[folds == k]
        values, vectors = np.linalg.eigh(np.cov(fit, rowvar=False, bias=True))
        squares = np.mean(((test - fit.mean(axis=0)) @ vectors) ** 2, axis=0)
        shrunk = (1 - lams) * np.maximum(values, 0.0) + lams  # (n_shrinkages, d)
        scores -= 0.5 * np.sum(squares / shrunk + np.log(shrunk), axis=1) / 3
    # nats per row; the least shrinkage within 1e-3 of the best
    lam = _SHRINKAGES[int(np.argmax(scores >= scores.max() - 1e-3))]
    corr = Zl.T @ Zl / n
    L[np.ix_(live, live)] = np.linalg.cholesky((1 - lam) * corr + lam * eye)
    return L


#: Fewest gradient steps per epoch: on small data the batch shrinks so that an
#: epoch (the unit of patience and of the step-size schedule) is at least this
#: many updates, never below ``_MIN_BATCH`` rows.
_MIN_STEPS_PER_EPOCH, _MIN_BATCH = 10, 16


def _effective_batch_size(batch_size, n_train):
    """``batch_size``, or on data smaller than one batch, ``_MIN_STEPS_PER_EPOCH`` steps.

    With 160 rows and ``batch_size=512`` an epoch would be one step, so a
    patience of 5 epochs would stop training after 5 updates. A batch that
    fits in the data is kept as asked (full-batch training included).
    """
    if batch_size <= n_train:
        return int(batch_size)
    return int(max(1, min(n_train, max(_MIN_BATCH, -(-n_train // _MIN_STEPS_PER_EPOCH)))))


#: Fewest validation rows: on small data the split grows to this many rows (to
#: a quarter of the rows when that is fewer), so that early stopping follows
#: a figure less noisy than that of a dozen rows.
_MIN_VALIDATION = 30


def _validation_size(validation_fraction, n):
    """Rows held out for early stopping out of ``n``: the fraction, at least ``_MIN_VALIDATION``.

    With 150 rows a tenth is 15 rows, too few for early stopping to tell a
    better epoch from the noise of its rows: flows then stopped on a lucky
    epoch and scored new rows a nat or more below a Gaussian.
    """
    n_valid = max(int(round(validation_fraction * n)), min(_MIN_VALIDATION, n // 4))
    return n_valid if 1 <= n_valid < n else 0


#: Largest standardized magnitude the float32 networks are fed; beyond it
#: products overflow to inf.
_MAX_STANDARDIZED = 1e30


def _pass_bytes(module, dtype):
    """Working memory of one row's network pass: a few activations of the widest layer."""
    width = max((m.out_features for m in module.modules() if isinstance(m, torch.nn.Linear)),
                default=1)
    return _LIVE_ACTIVATIONS * width * (torch.finfo(dtype).bits // 8)


class TrainingRun:
    """What one call of ``fit`` is training; every training hook receives it.

    Attributes
    ----------
    module : torch.nn.Module
        The network being trained.
    train, valid : tuple of (tensor, tensor or None)
        Standardized training and validation rows with their class codes, on
        the device; ``valid`` is ``None`` without a validation split.
    generator : torch.Generator
        CPU generator of the minibatch order.
    step_generator : torch.Generator
        Generator (on the device) of the noise inside losses.
    optimizers : list of torch.optim.Optimizer
        From :meth:`BaseDeepGenerative._make_optimizers`.
    step, epoch : int
        Updates and epochs done so far.

    A family may keep its own per-fit objects on the run (a moving average,
    persistent chains); they are gone when ``fit`` returns.
    """

    def __init__(self, module, train, valid, generator, step_generator):
        self.module = module
        self.train = train
        self.valid = valid
        self.generator = generator
        self.step_generator = step_generator
        self.optimizers = []
        self.step = 0
        self.epoch = 0
        self.in_pass = False  # partial_fit: inside a pass (weights half-updated)


class BaseDeepGenerative(BaseGenerative):
    """Base class of deep generative estimators: the torch training driver.

    ``fit`` validates the input, seeds a local :class:`torch.Generator` from
    ``random_state`` (the global torch random state is left untouched),
    standardizes each feature when the family asks for it (the log-density
    includes the Jacobian, ``-sum(log scale)``), holds out a validation split,
    builds the network and trains it epoch by epoch through the training
    hooks (see the module docstring), halving the step size when the
    monitored validation figure stalls, and restores the weights of the best
    epoch. Ctrl-C during training, or a NaN/inf loss, stops it with those
    best weights and a :class:`TrainingWarning` (a NaN before the first epoch
    completes raises ``FloatingPointError``).

    Conditional families (the ``conditional`` generative tag) accept class
    labels ``y`` in ``fit``: the model learns ``p(x | y)``, ``classes_`` and
    ``class_prior_`` (empirical frequencies) are stored, and ``y`` reaches the
    hooks as integer codes. Without ``y``, ``score_samples`` returns the
    marginal ``log p(x) = logsumexp_c [log p(x | c) + log p(c)]`` and
    ``sample`` draws the labels from ``class_prior_``.

    Parameters
    ----------
{driver_parameters}

    Attributes
    ----------
{driver_attributes}
    classes_ : ndarray of shape (n_classes,)
        Labels seen in ``fit`` (conditional fits only).
    class_prior_ : ndarray of shape (n_classes,)
        Their empirical frequencies (conditional fits only).
    n_features_in_ : int
        Number of features seen during fit.
    """

    _parameter_constraints = {
        "hidden_sizes": ["array-like"],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "device": [str, torch.device],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    #: Whether the driver standardizes each feature before the network sees it.
    _standardize = True
    #: Whether it then also decorrelates the standardized features (``whiten``
    #: of the families that have it): rows are multiplied by the inverse of the
    #: lower Cholesky factor of their shrunk correlation matrix, so that an
    #: identity network is the full-covariance Gaussian of the data.
    _whiten = False
    #: dtype of ``score_samples`` (training is float32). float64 makes a row's
    #: log-density independent of the other rows of the call (float32 matrix
    #: products vary with the batch shape), at the cost of a float64 copy of
    #: the network, made once per fitted state (see ``_inference_module``).
    _inference_dtype = torch.float32
    #: dtype of ``sample`` when it differs from ``_inference_dtype`` (``None``:
    #: the same). Draws need no batch invariance.
    _sample_dtype = None
    #: Whether ``_loss`` is a per-row negative log-likelihood (or negative
    #: bound) of standardized rows: ``history_["train_loss"]`` is then reported
    #: in the units of ``X``, comparable with ``valid_log_likelihood``.
    _loss_is_nll = True
    #: The ``history_`` key early stopping follows, and whether larger ("max")
    #: or smaller ("min") is better.
    _monitor = ("valid_log_likelihood", "max")
    #: Whether the step size is halved when the monitored figure stalls.
    _reduce_lr_on_plateau = True
    #: Whether ``partial_fit`` is offered (a family whose set-up needs every
    #: row, such as a table's column schema, turns it off).
    _streamable = True

    # ------------------------------------------------------- model hooks
    def _build_module(self, n_features, n_classes):  # pragma: no cover - abstract
        raise NotImplementedError

    def _log_prob(self, module, X, y):  # pragma: no cover - abstract
        raise NotImplementedError

    def _sample_module(self, module, n_samples, y, generator):  # pragma: no cover
        raise NotImplementedError

    def _loss(self, module, X, y, generator):
        """Training loss of one batch: mean negative log-likelihood."""
        return -self._log_prob(module, X, y).mean()

    # ---------------------------------------------------- training hooks
    def _make_optimizers(self, run):
        """The optimizers, a list (default: Adam over every parameter)."""
        return [adam(run.module.parameters(), lr=self.learning_rate,
                     weight_decay=self.weight_decay)]

    def _start_training(self, run):
        """Called once before the first epoch (no-op)."""

    def _train_step(self, run, X, y):
        """One update on a minibatch; returns ``{history key: detached loss}``."""
        (optimizer,) = run.optimizers
        loss = self._loss(run.module, X, y, run.step_generator)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        return {"train_loss": loss.detach()}

    def _after_step(self, run):
        """Called after each update (no-op)."""

    def _validation_metrics(self, run):
        """Figures of the validation rows, by history key (default: mean log-likelihood)."""
        X, y = run.valid
        return {"valid_log_likelihood": float(np.mean(self._batch_log_prob(run.module, X, y)))}

    def _kept_state(self, run):
        """The weights kept when this epoch is the best (default: the module's)."""
        return {k: v.detach().clone() for k, v in run.module.state_dict().items()}

    def _on_epoch_end(self, record):
        """Called after each epoch with its ``history_`` record (no-op)."""

    @torch.no_grad()
    def _initial_loss(self, run):
        """``_loss`` of the untrained network on the first training rows, or ``None``.

        Divergence is judged against it: a loss that grows far above where it
        started has exploded, even while it is still finite.
        """
        X, y = run.train
        n = min(self.batch_size, X.shape[0])
        generator = torch.Generator(device=X.device).manual_seed(0)
        loss = float(self._loss(run.module, X[:n], None if y is None else y[:n], generator))
        return loss if math.isfinite(loss) else None

    # --------------------------------------------------------------- fit
    def _fit(self, X, y):
        _check_hidden_sizes(self.hidden_sizes)  # families read self.hidden_sizes
        device = self._resolve_device()
        seed_rng = check_random_state(self.random_state)
        generator = torch_generator(seed_rng)  # CPU: weights, split, batch order
        step_generator = torch_generator(seed_rng, device)  # noise inside losses

        n, d = X.shape
        streaming = getattr(self, "_streaming", False)  # partial_fit's first call
        self.__dict__.pop("_stream", None)  # a new fit forgets partial_fit's run
        if y is not None:
            if streaming and self._stream_classes is not None:  # named up front
                self.classes_ = self._stream_classes
                codes = self._encode_labels(y)
            else:
                self.classes_, codes = np.unique(y, return_inverse=True)
            self._class_count = np.bincount(codes, minlength=len(self.classes_))
            self.class_prior_ = self._class_count / n
            n_classes = len(self.classes_)
        else:
            for attr in ("classes_", "class_prior_", "_class_count"):
                self.__dict__.pop(attr, None)
            codes, n_classes = None, 0

        if self._standardize:
            self._x_shift, self._x_scale = _standardization(X)
        else:
            self._x_shift, self._x_scale = np.zeros(d), np.ones(d)
        self._x_cholesky = None
        if self._standardize and self._whiten:
            self._x_cholesky = _whitening((X - self._x_shift) / self._x_scale)
        self._log_scale_sum = float(np.sum(np.log(self._x_scale)))
        if self._x_cholesky is not None:
            self._log_scale_sum += float(np.sum(np.log(np.diag(self._x_cholesky))))

        Xt = torch.as_tensor(self._standardize_X(X), dtype=torch.float32)
        yt = None if codes is None else torch.as_tensor(codes, dtype=torch.long)
        perm = torch.randperm(n, generator=generator)
        n_valid = (_validation_size(self.validation_fraction, n)
                   if self.early_stopping and not streaming else 0)
        valid_idx, train_idx = perm[:n_valid], perm[n_valid:]

        with torch.random.fork_rng(devices=[]):  # construction must not touch global state
            module = self._build_module(d, n_classes)
        init_parameters(module, generator)
        module.to(device)
        self.module_ = module
        self.device_ = device

        def split(idx):
            xs = Xt[idx].to(device)
            return xs, (None if yt is None else yt[idx].to(device))

        run = TrainingRun(module, split(train_idx), split(valid_idx) if n_valid else None,
                          generator, step_generator)
        if streaming:
            self.history_ = []
            self._stream_pass(run)
        else:
            self._train(run)
        return self

    # ------------------------------------------------------- partial_fit
    @available_if(lambda self: self._streamable)
    def partial_fit(self, X, y=None, classes=None):
        """Train on a chunk of rows: one pass of minibatch steps, optimizer state kept.

        For data that do not fit in memory, or arrive in blocks:
        :class:`dask_ml.wrappers.Incremental` calls ``partial_fit`` once per
        block of a Dask collection, and a loop over the blocks repeated a few
        times gives several passes (epochs) over the data. The first call
        (without a previous ``fit``) fixes what ``fit`` learns from all rows
        before training: the standardization (and ``whiten``), the network's
        shape and, for a conditional model, the classes. Make that first chunk
        representative (shuffled rows, a few thousand at least). After
        ``fit``, ``partial_fit`` continues training the fitted network.

        Each call is one pass over ``X`` in shuffled minibatches of
        ``batch_size`` rows (a chunk smaller than that is one step). The
        optimizer's state (Adam's moments) carries over from call to call
        (it is not saved by pickle or :mod:`skgen.io`: training resumed after
        loading starts a fresh optimizer). There is no validation split, early
        stopping or step-size schedule here: ``max_epochs``,
        ``early_stopping``, ``validation_fraction`` and ``n_iter_no_change``
        are those of ``fit`` only; compare held-out scores between passes
        yourself. A pass whose loss becomes NaN or infinite raises
        ``FloatingPointError`` and leaves the model as it was before the call.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            A chunk of training rows; later chunks must have the columns of
            the first.
        y : array-like of shape (n_samples,), default=None
            Class labels of a conditional model (families with the
            ``conditional`` tag); ignored by the others.
        classes : array-like of shape (n_classes,), default=None
            Every label ``y`` will hold, read on the first call with ``y``
            (a chunk need not contain them all; ``None``: the labels of the
            first chunk, and a later chunk with another label is refused);
            ignored afterwards. ``class_prior_`` is the label frequency over
            the chunks seen.

        Returns
        -------
        self : object
            The updated estimator.

        Examples
        --------
        >>> import numpy as np
        >>> from skgen.flows import MAF
        >>> X = np.random.RandomState(0).normal(size=(2000, 2))
        >>> maf = MAF(hidden_sizes=(16,), random_state=0)
        >>> for epoch in range(2):
        ...     for chunk in np.array_split(X, 4):
        ...         maf = maf.partial_fit(chunk)
        >>> len(maf.history_)
        8
        """
        if isinstance(y, tuple) and len(y) == 2 and y[0] == "":
            y = None  # dask-ml's Incremental, fit without y, passes the key ("", block)
        run = getattr(self, "_stream", None)
        try:
            first = not hasattr(self, "module_")
            return self._fit_with(functools.partial(self._partial_fit, classes=classes),
                                  X, y, reset=first)
        except BaseException:
            if run is not None and run.in_pass:  # weights half-updated: start afresh
                self.__dict__.pop("_stream", None)
            raise

    def _partial_fit(self, X, y, classes):
        conditional = is_conditional(self)
        if not hasattr(self, "module_"):
            self._streaming = True
            self._stream_classes = None if classes is None else np.unique(np.asarray(classes))
            try:
                self._fit(X, y)  # the family's set-up, then _stream_pass (see _fit)
            finally:
                del self._streaming, self._stream_classes
            return
        if conditional and (y is None) != (not hasattr(self, "classes_")):
            raise ValueError(
                f"This {type(self).__name__} was started "
                + ("with labels: pass y to every partial_fit call." if y is None else
                   "without labels (it models p(x)): refit to condition on y."))
        run = getattr(self, "_stream", None)
        if run is None:  # after fit, after loading, or after a failed pass
            run = self._resume_run()
        Xt = torch.as_tensor(self._standardize_X(X), dtype=torch.float32).to(self.device_)
        codes = None
        if y is not None:
            codes = self._encode_labels(y)
            # counts of the rows seen so far (none known for a model saved before 0.3)
            seen = getattr(self, "_class_count", np.zeros(len(self.classes_), dtype=np.int64))
            self._class_count = seen + np.bincount(codes, minlength=len(self.classes_))
            self.class_prior_ = self._class_count / self._class_count.sum()
            codes = torch.as_tensor(codes, dtype=torch.long).to(self.device_)
        run.train = (Xt, codes)
        self._stream_pass(run)

    def _resume_run(self):
        """A :class:`TrainingRun` that continues training the fitted ``module_``."""
        seed_rng = check_random_state(self.random_state)
        generator = torch_generator(seed_rng)
        run = TrainingRun(copy.deepcopy(self.module_).train(), None, None, generator,
                          torch_generator(seed_rng, self.device_))
        run.optimizers = list(self._make_optimizers(run))
        self._start_training(run)
        return run

    def _stream_pass(self, run):
        """One pass over ``run.train`` for ``partial_fit``; ``module_`` becomes its result.

        The run (network being trained, optimizers, moving averages) is kept
        as ``_stream`` for the next call; ``module_`` is a copy holding the
        weights ``fit`` would keep (``_kept_state``: a moving average where
        the family has one).
        """
        if not run.optimizers:  # a new run, made by _fit
            run.optimizers = list(self._make_optimizers(run))
            self._start_training(run)
        run.in_pass = True
        run.epoch += 1
        start = time.perf_counter()
        # batch_size rows per step: a chunk is part of the data, not a small table
        losses = self._run_epoch(run, int(self.batch_size))
        if not all(math.isfinite(v) for v in losses.values() if v is not None):
            raise FloatingPointError(
                f"{type(self).__name__}.partial_fit: the training loss became NaN or "
                "infinite on this chunk; the model is left as it was before the call. "
                "Lower learning_rate, or check the chunk for extreme values.")
        record = {"epoch": len(self.history_) + 1,
                  **{k: math.nan if v is None else v for k, v in losses.items()}}
        if self._loss_is_nll and "train_loss" in record:
            record["train_loss"] += self._log_scale_sum  # in the units of X
        record["learning_rate"] = run.optimizers[0].param_groups[0]["lr"]
        record["time"] = time.perf_counter() - start
        self.history_ = [*self.history_, record]  # a new list: a failed call rolls back
        module = copy.deepcopy(run.module)
        module.load_state_dict(self._kept_state(run))
        self.module_ = module.eval()
        self.n_epochs_ = self.best_epoch_ = len(self.history_)
        run.in_pass = False
        self._stream = run

    def _train(self, run):
        """The epoch loop: minibatches, validation, best weights, stopping."""
        module = run.module
        batch_size = _effective_batch_size(self.batch_size, run.train[0].shape[0])
        run.optimizers = list(self._make_optimizers(run))
        self._start_training(run)
        initial_loss = None
        key, direction = self._monitor
        sign = 1.0 if direction == "max" else -1.0
        lr_patience = max(1, self.n_iter_no_change // 2)
        self.history_ = []
        best_score, best_state, best_epoch, stale = -math.inf, None, 0, 0
        best_raw_loss = math.nan
        stop_reason = None
        bar = tqdm(total=self.max_epochs, desc=type(self).__name__, disable=not self.verbose,
                   file=sys.stderr, leave=True)
        try:
            module.eval()
            initial_loss = self._initial_loss(run)
            for epoch in range(1, self.max_epochs + 1):
                run.epoch = epoch
                start = time.perf_counter()
                losses = self._run_epoch(run, batch_size)
                record = {"epoch": epoch, **{k: math.nan if v is None else v
                                             for k, v in losses.items()}}
                raw_loss = record.get("train_loss", math.nan)
                if self._loss_is_nll and "train_loss" in record:
                    record["train_loss"] += self._log_scale_sum  # in the units of X
                if run.valid is not None:
                    module.eval()
                    record.update(self._validation_metrics(run))
                    module.train()
                record.setdefault(key, math.nan)
                record["learning_rate"] = run.optimizers[0].param_groups[0]["lr"]
                record["time"] = time.perf_counter() - start
                self.history_.append(record)
                checked = [v for v in losses.values() if v is not None]
                if run.valid is not None:
                    checked.append(record[key])
                if not all(math.isfinite(v) for v in checked):
                    raise _NonFiniteLoss
                if initial_loss is not None and raw_loss > initial_loss + _DIVERGENCE * (
                        1.0 + abs(initial_loss)):
                    run.diverged = (initial_loss, raw_loss)
                    raise _Diverged
                score = sign * record[key]
                if run.valid is None or score > best_score:
                    best_score, best_epoch, stale = score, epoch, 0
                    best_state, best_raw_loss = self._kept_state(run), raw_loss
                else:
                    stale += 1
                    if self._reduce_lr_on_plateau and stale % lr_patience == 0:
                        for optimizer in run.optimizers:
                            for group in optimizer.param_groups:
                                group["lr"] *= 0.5
                bar.update(1)
                bar.set_postfix({k: f"{v:.4f}" for k, v in record.items()
                                 if k not in ("epoch", "time", "learning_rate")})
                self._on_epoch_end(record)
                if run.valid is not None and stale >= self.n_iter_no_change:
                    break
        except KeyboardInterrupt:
            stop_reason = "interrupted"
        except _NonFiniteLoss:
            stop_reason = "nonfinite"
        except _Diverged:
            start, now = run.diverged
            stop_reason = f"diverged (the loss rose from {start:.3g} to {now:.3g})"
            if best_raw_loss > start:  # no epoch improved on the untrained network
                best_state = None
        finally:
            bar.close()
        self._end_training(module, best_state, best_epoch, stop_reason)

    def _run_epoch(self, run, batch_size):
        """One pass over the training rows in random minibatches.

        Returns the mean of each loss ``_train_step`` reported, weighted by
        rows; ``None`` for a loss no batch of the epoch reported (a GAN's
        generator loss when ``n_critic`` exceeds the batches).
        """
        X_train, y_train = run.train
        n_train = X_train.shape[0]
        run.module.train()
        order = torch.randperm(n_train, generator=run.generator).to(X_train.device)
        sums, rows = {}, {}
        for i in range(0, n_train, batch_size):
            idx = order[i:i + batch_size]
            run.step += 1
            losses = self._train_step(run, X_train[idx], None if y_train is None else y_train[idx])
            self._after_step(run)
            for name, value in losses.items():
                if value is not None:
                    sums[name] = sums.get(name, 0.0) + value * len(idx)
                    rows[name] = rows.get(name, 0) + len(idx)
                else:
                    rows.setdefault(name, 0)
        return {name: float(sums[name]) / n if n else None for name, n in rows.items()}

    def _end_training(self, module, best_state, best_epoch, stop_reason):
        self.n_epochs_ = len(self.history_)
        name = type(self).__name__
        failed = stop_reason is not None and stop_reason != "interrupted"
        what = ("the training loss became NaN or infinite" if stop_reason == "nonfinite"
                else f"training {stop_reason}")
        if failed and best_state is None:
            raise FloatingPointError(
                f"{name}: {what} in the first epoch, or before any epoch improved on "
                "the untrained network: there are no usable weights. Lower "
                "learning_rate, check the data for extreme values, or try a smaller network."
            )
        if failed:
            warnings.warn(
                f"{name}: {what} at epoch {self.n_epochs_}; training stopped and the "
                f"weights of epoch {best_epoch} were restored. Lowering learning_rate "
                "usually helps.",
                TrainingWarning,
                stacklevel=5,
            )
        elif stop_reason == "interrupted":
            kept = (
                f"the weights of epoch {best_epoch} were restored"
                if best_state is not None
                else "no epoch had completed, so the model is barely trained"
            )
            warnings.warn(
                f"{name}: training interrupted after {self.n_epochs_} complete epoch(s); "
                f"{kept}.",
                TrainingWarning,
                stacklevel=5,
            )
        if best_state is not None:
            module.load_state_dict(best_state)
        self.best_epoch_ = best_epoch
        module.eval()

    def _check_fitted(self):
        """Refuse a fitted network whose samples are not finite or are absurdly far out.

        A network can diverge without its loss showing it (a GAN's losses stay
        bounded while its generator runs away). A few hundred draws, in the
        standardized units the network works in, must be finite and within
        ``_CHECK_MAX_Z`` training standard deviations of the training mean.
        """
        try:
            Z = self.sample(_CHECK_ROWS, random_state=0)
        except FloatingPointError:  # NaN or infinite draws
            worst = math.inf
        else:
            Z = self._standardize_X(np.asarray(Z, dtype=np.float64))
            worst = float(np.max(np.abs(Z))) if Z.size else 0.0
        if not worst <= _CHECK_MAX_Z:
            raise FloatingPointError(
                f"{type(self).__name__}: training diverged: the fitted model draws "
                + ("NaN or infinite values" if math.isinf(worst) else
                   f"values {worst:.3g} training standard deviations from the data's mean")
                + ". Lower learning_rate (or check the data for extreme values) and refit."
            )

    # ------------------------------------------------------------ helpers
    def _resolve_device(self):
        try:
            return resolve_device(self.device)
        except RuntimeError as exc:  # torch.device("nonsense")
            raise ValueError(
                f"device must be 'auto', 'cpu', 'cuda' or a torch device string, "
                f"got {self.device!r}."
            ) from exc

    def _standardize_X(self, X):
        """Rows in the units the network works in (standardized, whitened when fitted so)."""
        Z = (X - self._x_shift) / self._x_scale
        L = getattr(self, "_x_cholesky", None)  # absent from models pickled before 0.2
        if L is not None:
            Z = solve_triangular(L, Z.T, lower=True).T
        return Z

    def _unstandardize(self, Z):
        """The inverse of :meth:`_standardize_X`: network units back to the units of ``X``."""
        L = getattr(self, "_x_cholesky", None)
        if L is not None:
            Z = Z @ L.T
        return Z * self._x_scale + self._x_shift

    def _encode_labels(self, y):
        if not hasattr(self, "classes_"):
            raise ValueError(
                f"This {type(self).__name__} was fit without y, so it models p(x) only; "
                "refit with fit(X, y) to condition on labels."
            )
        known = np.isin(y, self.classes_)
        if not known.all():
            unknown = np.unique(np.asarray(y)[~known])[:5]
            raise ValueError(
                f"y contains labels not seen in fit: {unknown.tolist()}; "
                f"known labels are {self.classes_.tolist()}."
            )
        return np.searchsorted(self.classes_, y)

    @torch.no_grad()
    def _batch_log_prob(self, module, X, y, log_prob=None):
        """``log_prob`` (default ``_log_prob``) of standardized rows, chunked, in data units.

        ``X`` and ``y`` are tensors on the device; the result is a float64
        numpy array that includes the standardization's Jacobian.
        """
        log_prob = self._log_prob if log_prob is None else log_prob
        chunk = self._score_chunk_size(module, X.dtype)
        out = []
        for i in range(0, X.shape[0], chunk):
            yb = None if y is None else y[i:i + chunk]
            out.append(log_prob(module, X[i:i + chunk], yb).double().cpu())
        lp = torch.cat(out).numpy() if out else np.zeros(0)
        return lp - self._log_scale_sum

    def _inference_chunk_size(self, module, dtype):
        """Rows per chunk of one network pass per row (``sample``; scoring, see below).

        At most ``_INFERENCE_CHUNK`` rows, fewer when a few activations of the
        widest layer would exceed the ``working_memory`` budget of
        :mod:`skgen.config`. A family may size chunks to its network (see
        ``BaseFlow``): chunks whose intermediates stay in cache, and below the
        allocator's page-mapping threshold, run markedly faster than large ones.
        """
        return chunk_rows(_pass_bytes(module, dtype), max_rows=_INFERENCE_CHUNK)

    def _score_chunk_size(self, module, dtype):
        """Rows per chunk in scoring, where a row costs ``_draws_per_row`` passes."""
        draws = self._draws_per_row()
        if draws == 1:
            return self._inference_chunk_size(module, dtype)
        return chunk_rows(_pass_bytes(module, dtype) * draws, max_rows=_INFERENCE_CHUNK)

    def _draws_per_row(self):
        """Network passes per row when scoring (a VAE's importance samples): 1."""
        return 1

    def _inference_module(self, dtype=None):
        """The fitted module in ``dtype`` (default ``_inference_dtype``), in eval mode.

        When the dtype differs, a converted copy is made once and reused while
        the fitted module's tensors are unchanged (same tensors, data and
        version counters): copying a network costs milliseconds, more than
        scoring a few rows.
        """
        dtype = self._inference_dtype if dtype is None else dtype
        module = self.module_
        param = next(module.parameters(), None)
        if param is None or param.dtype == dtype:
            return module.eval()
        stamp = tuple(
            (id(t), t.data_ptr(), t._version)
            for t in itertools.chain(module.parameters(), module.buffers())
        )
        per_dtype = _CONVERTED.setdefault(module, {})
        cached = per_dtype.get(dtype)
        if cached is None or cached[0] != stamp:
            cached = per_dtype[dtype] = (stamp, copy.deepcopy(module).to(dtype).eval())
        return cached[1]

    # ------------------------------------------------- protocol's hooks
    def _score_samples(self, X, y, log_prob=None):
        """Log-density of validated rows in data units; ``log_prob`` as in ``_batch_log_prob``."""
        module, device = self._inference_module(), self.device_
        dtype = self._inference_dtype
        codes = None if y is None else self._encode_labels(y)
        result = np.empty(X.shape[0])
        chunk = self._score_chunk_size(module, dtype)
        for start in range(0, X.shape[0], chunk):
            sl = slice(start, start + chunk)
            xs = self._standardize_X(X[sl])
            if dtype == torch.float32 and not np.all(np.abs(xs) <= _MAX_STANDARDIZED):
                worst = float(np.max(np.abs(xs)))
                raise ValueError(
                    f"X holds values {worst:.3g} training standard deviations from the "
                    f"training data, beyond the float32 range {type(self).__name__}'s "
                    "network computes in. Such rows have no meaningful density under "
                    "this model; check the data (units, a stray huge value)."
                )
            xb = torch.as_tensor(xs, dtype=dtype).to(device)
            if codes is not None or not hasattr(self, "classes_"):
                yb = None if codes is None else torch.as_tensor(codes[sl]).to(device)
                result[sl] = self._batch_log_prob(module, xb, yb, log_prob)
            else:  # marginal over the classes
                per_class = [
                    self._batch_log_prob(
                        module, xb,
                        torch.full((xb.shape[0],), c, dtype=torch.long, device=device),
                        log_prob,
                    ) + np.log(p)
                    for c, p in enumerate(self.class_prior_)
                ]
                result[sl] = logsumexp(np.stack(per_class), axis=0)
        return result

    @torch.no_grad()
    def _sample(self, n_samples, rng, y):
        dtype = self._sample_dtype or self._inference_dtype
        module, device = self._inference_module(dtype), self.device_
        codes = None if y is None else self._encode_labels(y)  # labels drawn by ``sample``
        generator = torch_generator(rng, device)
        chunk = self._inference_chunk_size(module, dtype)
        out = []
        for start in range(0, n_samples, chunk):
            m = min(chunk, n_samples - start)
            yb = None if codes is None else torch.as_tensor(codes[start:start + m]).to(device)
            z = self._sample_module(module, m, yb, generator)
            out.append(z.double().cpu().numpy())
        Z = np.concatenate(out)
        return self._unstandardize(Z)

    # ----------------------------------------------------------- pickling
    def __getstate__(self):
        state = super().__getstate__()
        if "_stream" in state:  # partial_fit's optimizers: not part of the model
            state = {k: v for k, v in state.items() if k != "_stream"}
        module = state.get("module_")
        if module is not None and any(
            t.device.type != "cpu" for t in list(module.parameters()) + list(module.buffers())
        ):
            state = dict(state)
            state["module_"] = copy.deepcopy(module).to("cpu")
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        module = self.__dict__.get("module_")
        if module is not None:
            device = torch.device(self.device_)
            if device.type == "cuda" and not torch.cuda.is_available():
                device = torch.device("cpu")  # trained on a GPU, loaded without one
            self.device_ = device
            self.module_ = module.to(device)


BaseDeepGenerative = driver_parameters_doc(
    hidden_sizes="()", max_epochs=100, batch_size=256, learning_rate=1e-3,
    early_stopping=True, n_iter_no_change=10,
)(BaseDeepGenerative)
