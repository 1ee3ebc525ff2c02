"""The training driver shared by every deep generative family.

:class:`BaseDeepGenerative` owns what does not depend on the family: seeding,
standardization, class labels for conditional models, the validation split,
the Adam loop with early stopping, best-weight restoration, NaN and Ctrl-C
handling, progress bars, chunked inference, device placement and pickling.
A family fills four hooks, like :class:`sklearn.mixture.GaussianMixture` fills
those of ``BaseMixture``.
"""

import copy
import itertools
import math
import sys
import time
import warnings
import weakref
from numbers import Integral, Real

import numpy as np
import torch
from scipy.special import logsumexp
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval
from tqdm import tqdm

from ..base import BaseGenerative
from ._layers import init_parameters
from ._utils import resolve_device, torch_generator

__all__ = ["BaseDeepGenerative", "TrainingWarning"]

#: Rows per chunk in ``score_samples`` and ``sample``.
_INFERENCE_CHUNK = 4096
#: Fitted module -> {dtype: (stamp of its tensors, converted copy)}.
_CONVERTED = weakref.WeakKeyDictionary()


class TrainingWarning(UserWarning):
    """Training stopped early: interrupted, or the loss became NaN/inf."""


class _NonFiniteLoss(Exception):
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


class BaseDeepGenerative(BaseGenerative):
    """Base class of deep generative estimators: the torch training driver.

    ``fit`` validates the input, seeds a local :class:`torch.Generator` from
    ``random_state`` (the global torch random state is left untouched),
    standardizes each feature when the family asks for it (the log-density
    includes the Jacobian, ``-sum(log scale)``), holds out a validation split,
    builds the network, trains it with Adam on minibatches (halving the step
    when the validation log-likelihood stalls) and restores the weights with
    the best validation log-likelihood. Ctrl-C during training, or a NaN/inf
    loss, stops it with those best weights and a :class:`TrainingWarning`
    (a NaN before the first epoch completes raises ``FloatingPointError``).

    A family implements

    - ``_build_module(n_features, n_classes)``: the :class:`torch.nn.Module`
      (``n_classes`` is 0 for an unconditional fit);
    - ``_log_prob(module, X, y)``: log-density (or the family's bound) of a
      batch of standardized rows, a tensor of shape ``(n,)``; ``y`` holds
      class codes ``0..n_classes-1`` or is ``None``;
    - ``_sample_module(module, n_samples, y, generator)``: ``n_samples``
      standardized rows drawn with ``generator``;
    - optionally ``_loss(module, X, y, generator)``: the training loss of a
      batch, by default the mean negative ``_log_prob``.

    Conditional families (``_conditional = True``) accept class labels ``y``
    in ``fit``: the model learns ``p(x | y)``, ``classes_`` and
    ``class_prior_`` (empirical frequencies) are stored, and ``y`` reaches the
    hooks as integer codes. Without ``y``, ``score_samples`` returns the
    marginal ``log p(x) = logsumexp_c [log p(x | c) + log p(c)]`` and
    ``sample`` draws the labels from ``class_prior_``.

    Parameters
    ----------
    hidden_sizes : tuple of int
        Widths of the hidden layers of the family's networks.
    max_epochs : int
        Maximum number of passes over the training data.
    batch_size : int
        Rows per minibatch (capped at the number of training rows).
    learning_rate : float
        Adam's initial step size. With a validation split it is halved each
        time the validation log-likelihood has not improved for
        ``max(1, n_iter_no_change // 2)`` epochs.
    weight_decay : float
        Adam's L2 penalty.
    early_stopping : bool
        Hold out ``validation_fraction`` of the rows and stop when their
        log-likelihood has not improved for ``n_iter_no_change`` epochs; the
        best weights are kept. With ``False`` every row is used for training,
        all ``max_epochs`` epochs run and the last weights are kept.
    validation_fraction : float
        Share of rows held out when ``early_stopping``. With too few rows for
        a split, training monitors the training loss instead.
    n_iter_no_change : int
        Patience of early stopping, in epochs.
    device : {"auto", "cpu", "cuda"} or str
        Where the network lives; ``"auto"`` picks CUDA when available.
    random_state : int, RandomState instance or None
        Seeds weights, minibatch order, validation split and sampling.
    verbose : int
        ``>0`` shows a progress bar with the current loss.

    Attributes
    ----------
    module_ : torch.nn.Module
        The trained network (on ``device_``).
    device_ : torch.device
        Device the network lives on.
    history_ : list of dict
        One record per epoch: ``epoch``, ``train_loss`` (mean training loss),
        ``valid_log_likelihood`` (mean validation log-likelihood in the units
        of ``X``; NaN without a validation split), ``learning_rate`` (used in
        that epoch) and ``time`` (seconds).
        ``pandas.DataFrame(history_)`` makes a learning-curve table.
    n_epochs_ : int
        Epochs run.
    best_epoch_ : int
        Epoch whose weights were kept.
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
    #: dtype of ``score_samples`` and ``sample`` (training is float32). A
    #: family may choose float64: a row's log-density then does not depend on
    #: the other rows of the call (float32 matrix products vary with the batch
    #: shape), at the cost of a float64 copy of the network per call.
    _inference_dtype = torch.float32
    #: dtype of ``sample`` when it differs from ``_inference_dtype`` (``None``:
    #: the same). Draws need no batch invariance, so a family that scores in
    #: float64 may still sample in float32.
    _sample_dtype = None

    # ------------------------------------------------------------- hooks
    def _build_module(self, n_features, n_classes):  # pragma: no cover - abstract
        raise NotImplementedError

    def _log_prob(self, module, X, y):  # pragma: no cover - abstract
        raise NotImplementedError

    def _sample_module(self, module, n_samples, y, generator):  # pragma: no cover
        raise NotImplementedError

    def _loss(self, module, X, y, generator):
        """Training loss of one batch: mean negative log-likelihood."""
        return -self._log_prob(module, X, y).mean()

    def _on_epoch_end(self, record):
        """Called after each epoch with its ``history_`` record (no-op)."""

    # --------------------------------------------------------------- fit
    def _fit(self, X, y):
        _check_hidden_sizes(self.hidden_sizes)  # families read self.hidden_sizes
        device = self._resolve_device()
        seed_rng = check_random_state(self.random_state)
        generator = torch_generator(seed_rng)  # CPU: weights, split, batch order
        step_generator = torch_generator(seed_rng, device)  # noise inside losses

        n, d = X.shape
        if y is not None:
            self.classes_, codes = np.unique(y, return_inverse=True)
            self.class_prior_ = np.bincount(codes, minlength=len(self.classes_)) / n
            n_classes = len(self.classes_)
        else:
            for attr in ("classes_", "class_prior_"):
                self.__dict__.pop(attr, None)
            codes, n_classes = None, 0

        if self._standardize:
            self._x_shift = X.mean(axis=0)
            scale = X.std(axis=0)
            self._x_scale = np.where(scale > 1e-12 * (1 + np.abs(self._x_shift)), scale, 1.0)
        else:
            self._x_shift, self._x_scale = np.zeros(d), np.ones(d)
        self._log_scale_sum = float(np.sum(np.log(self._x_scale)))

        Xt = torch.as_tensor(self._standardize_X(X), dtype=torch.float32)
        yt = None if codes is None else torch.as_tensor(codes, dtype=torch.long)
        perm = torch.randperm(n, generator=generator)
        n_valid = int(round(self.validation_fraction * n)) if self.early_stopping else 0
        if n_valid < 1 or n - n_valid < 1:
            n_valid = 0
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

        train = split(train_idx)
        valid = split(valid_idx) if n_valid else None
        self._train_loop(module, train, valid, generator, step_generator)
        return self

    def _train_loop(self, module, train, valid, generator, step_generator):
        X_train, y_train = train
        n_train = X_train.shape[0]
        batch_size = min(self.batch_size, n_train)
        optimizer = torch.optim.Adam(
            module.parameters(), lr=self.learning_rate, weight_decay=self.weight_decay
        )
        lr_patience = max(1, self.n_iter_no_change // 2)
        self.history_ = []
        best_score, best_state, best_epoch, stale = -math.inf, None, 0, 0
        stop_reason = None
        bar = tqdm(
            total=self.max_epochs, desc=type(self).__name__, disable=not self.verbose,
            file=sys.stderr, leave=True,
        )
        try:
            for epoch in range(1, self.max_epochs + 1):
                start = time.perf_counter()
                module.train()
                order = torch.randperm(n_train, generator=generator).to(X_train.device)
                total = torch.zeros((), device=X_train.device)
                for i in range(0, n_train, batch_size):
                    idx = order[i:i + batch_size]
                    yb = None if y_train is None else y_train[idx]
                    loss = self._loss(module, X_train[idx], yb, step_generator)
                    optimizer.zero_grad(set_to_none=True)
                    loss.backward()
                    optimizer.step()
                    total += loss.detach() * len(idx)
                train_loss = float(total) / n_train
                if valid is not None:
                    valid_ll = float(np.mean(self._log_density(module, *valid)))
                else:
                    valid_ll = math.nan
                record = {
                    "epoch": epoch,
                    "train_loss": train_loss,
                    "valid_log_likelihood": valid_ll,
                    "learning_rate": optimizer.param_groups[0]["lr"],
                    "time": time.perf_counter() - start,
                }
                self.history_.append(record)
                if not math.isfinite(train_loss) or (
                    valid is not None and not math.isfinite(valid_ll)
                ):
                    raise _NonFiniteLoss
                score = valid_ll if valid is not None else -train_loss
                if valid is None or score > best_score:
                    best_score, best_epoch, stale = score, epoch, 0
                    best_state = {k: v.detach().clone() for k, v in module.state_dict().items()}
                else:
                    stale += 1
                    if valid is not None and stale % lr_patience == 0:
                        for group in optimizer.param_groups:
                            group["lr"] *= 0.5
                bar.update(1)
                bar.set_postfix(loss=f"{train_loss:.4f}", valid_ll=f"{valid_ll:.4f}")
                self._on_epoch_end(record)
                if valid is not None and stale >= self.n_iter_no_change:
                    break
        except KeyboardInterrupt:
            stop_reason = "interrupted"
        except _NonFiniteLoss:
            stop_reason = "nonfinite"
        finally:
            bar.close()

        self.n_epochs_ = len(self.history_)
        if stop_reason == "nonfinite" and best_state is None:
            raise FloatingPointError(
                f"{type(self).__name__}: the training loss became NaN or infinite in the "
                "first epoch, before any usable weights. Lower learning_rate, check the "
                "data for extreme values, or try a smaller network."
            )
        if stop_reason == "nonfinite":
            warnings.warn(
                f"{type(self).__name__}: the training loss became NaN or infinite at epoch "
                f"{self.n_epochs_}; training stopped and the weights of epoch {best_epoch} "
                "were restored. Lowering learning_rate usually helps.",
                TrainingWarning,
                stacklevel=4,
            )
        elif stop_reason == "interrupted":
            kept = (
                f"the weights of epoch {best_epoch} were restored"
                if best_state is not None
                else "no epoch had completed, so the model is barely trained"
            )
            warnings.warn(
                f"{type(self).__name__}: training interrupted after {self.n_epochs_} "
                f"complete epoch(s); {kept}.",
                TrainingWarning,
                stacklevel=4,
            )
        if best_state is not None:
            module.load_state_dict(best_state)
        self.best_epoch_ = best_epoch
        module.eval()

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
        return (X - self._x_shift) / self._x_scale

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
    def _log_density(self, module, X, y):
        """Log-density of standardized rows (tensors on the device), in data units."""
        was_training = module.training
        module.eval()
        chunk = self._inference_chunk_size(module, X.dtype)
        out = []
        for i in range(0, X.shape[0], chunk):
            yb = None if y is None else y[i:i + chunk]
            out.append(self._log_prob(module, X[i:i + chunk], yb).double().cpu())
        module.train(was_training)
        lp = torch.cat(out).numpy() if out else np.zeros(0)
        return lp - self._log_scale_sum

    def _inference_chunk_size(self, module, dtype):
        """Rows per chunk in ``score_samples`` and ``sample``.

        A family may size chunks to its network (see ``BaseFlow``): chunks
        whose intermediates stay in cache, and below the allocator's
        page-mapping threshold, run markedly faster than large ones.
        """
        return _INFERENCE_CHUNK

    def _inference_module(self, dtype=None):
        """The fitted module in ``dtype`` (default ``_inference_dtype``).

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
    def _score_samples(self, X, y):
        module, device = self._inference_module(), self.device_
        dtype = self._inference_dtype
        codes = None if y is None else self._encode_labels(y)
        result = np.empty(X.shape[0])
        chunk = self._inference_chunk_size(module, dtype)
        for start in range(0, X.shape[0], chunk):
            sl = slice(start, start + chunk)
            xb = torch.as_tensor(self._standardize_X(X[sl]), dtype=dtype).to(device)
            if codes is not None or not hasattr(self, "classes_"):
                yb = None if codes is None else torch.as_tensor(codes[sl]).to(device)
                result[sl] = self._log_density(module, xb, yb)
            else:  # marginal over the classes
                per_class = [
                    self._log_density(
                        module, xb, torch.full((xb.shape[0],), c, dtype=torch.long, device=device)
                    ) + np.log(p)
                    for c, p in enumerate(self.class_prior_)
                ]
                result[sl] = logsumexp(np.stack(per_class), axis=0)
        return result

    @torch.no_grad()
    def _sample(self, n_samples, rng, y):
        dtype = self._sample_dtype or self._inference_dtype
        module, device = self._inference_module(dtype), self.device_
        if y is not None:
            codes = self._encode_labels(y)
        elif hasattr(self, "classes_"):
            codes = rng.choice(len(self.classes_), size=n_samples, p=self.class_prior_)
        else:
            codes = None
        generator = torch_generator(rng, device)
        chunk = self._inference_chunk_size(module, dtype)
        out = []
        for start in range(0, n_samples, chunk):
            m = min(chunk, n_samples - start)
            yb = None if codes is None else torch.as_tensor(codes[start:start + m]).to(device)
            z = self._sample_module(module, m, yb, generator)
            out.append(z.double().cpu().numpy())
        Z = np.concatenate(out)
        return Z * self._x_scale + self._x_shift

    # ----------------------------------------------------------- pickling
    def __getstate__(self):
        state = super().__getstate__()
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
