"""Density pipelines: log-densities in the original units, samples back through the steps.

scikit-learn's :class:`~sklearn.pipeline.Pipeline` scores the density of the
*transformed* data: after a ``StandardScaler`` its ``score_samples`` is off by
``sum_j log scale_j``, and it cannot sample. :class:`DensityPipeline` adds
the log-determinant of each step's Jacobian (change of variables) and maps
samples back through the steps' ``inverse_transform``. Like scikit-learn's
pipeline it takes the estimator type of its final step: ending in a classifier
(a :class:`~skgen.conditional.GenerativeClassifier`) it is a classifier, whose
``score`` is the accuracy.
"""

import copy
from collections import Counter
from functools import update_wrapper
from types import MethodType

import numpy as np
import pandas as pd
from sklearn.base import is_classifier
from sklearn.pipeline import Pipeline
from sklearn.utils import _safe_indexing, check_random_state
from sklearn.utils.validation import check_array, check_is_fitted

from .base import _check_score_comparable, _sample_from, get_likelihood_kind, is_conditional
from .preprocessing._jacobian import (
    _fitted_problem,
    _has_bounded_image,
    _in_image,
    _static_problem,
    log_abs_det_jacobian,
)

__all__ = ["DensityPipeline", "make_density_pipeline"]

_LN2 = np.log(2.0)
# Draws from the final estimator that estimate its mass inside the range of
# the steps, when a step (a Box-Cox transform) does not map onto all of R^d.
_IMAGE_DRAWS = 20000


def _is_passthrough(step):
    return step is None or (isinstance(step, str) and step == "passthrough")


def _as_float64(X):
    """``X`` with its lower-precision float columns (float16, float32) in float64.

    A density in the original units adds log-Jacobians to the final
    estimator's log-density; computed in float16 they would be off by
    ``1e-3`` nats. Other input (lists, integers, DataFrames of float64) is
    returned unchanged.
    """
    if isinstance(X, pd.DataFrame):
        low = {
            col: np.float64 for col, dtype in X.dtypes.items()
            if isinstance(dtype, np.dtype) and dtype.kind == "f" and dtype.itemsize < 8
        }
        return X.astype(low) if low else X
    dtype = getattr(X, "dtype", None)
    if isinstance(dtype, np.dtype) and dtype.kind == "f" and dtype.itemsize < 8:
        return np.asarray(X, dtype=np.float64)
    return X


def _check_width(name, step, n_in, n_out):
    """Raise unless a step maps ``n_in`` features to as many (``None``: unknown)."""
    if n_in is None or n_out is None or n_in == n_out:
        return
    raise ValueError(
        f"Step {name!r} ({type(step).__name__}) maps {n_in} features to {n_out}: a map "
        "between spaces of different dimensions has no density in the original units, "
        "whatever its log_abs_det_jacobian says. Use a bijection (as many features "
        "out as in), or a latent model such as skgen.classical.ProbabilisticPCA."
    )


def _combine_kinds(final_kind, step_kinds, renormalized=False):
    """The likelihood kind of a pipeline from its final estimator's and its steps'.

    A step whose ``likelihood_kind`` is ``"lower_bound"`` (a dequantizer) turns
    an exact density into a lower bound; a normalizer estimated by sampling
    (``renormalized``) turns an exact density or a bound into an estimate;
    weaker kinds are kept as they are.
    """
    if renormalized and final_kind in ("exact", "lower_bound"):
        return "estimate"
    if final_kind == "exact" and "lower_bound" in step_kinds:
        return "lower_bound"
    return final_kind


class _ClassDefault:
    """Descriptor: a documented default on the class, computed on instances."""

    def __init__(self, default, method):
        self.default = default
        self.method = method

    def __get__(self, obj, owner=None):
        if obj is None:
            return self.default
        return getattr(obj, self.method)()


def _check_final_has(pipe, attr):
    """Raise an AttributeError saying why ``pipe`` has no method ``attr``."""
    name = type(pipe).__name__
    try:
        step_name, final = pipe.steps[-1]
    except (IndexError, TypeError, ValueError):
        raise AttributeError(
            f"This {name} has no valid steps, so it has no '{attr}'."
        ) from None
    if _is_passthrough(final):
        raise AttributeError(
            f"This {name} has no final density estimator, so it has no '{attr}'. "
            "End the pipeline with a density estimator."
        )
    if attr == "score" and is_classifier(final):
        if not hasattr(final, "score"):
            raise AttributeError(
                f"The final step {step_name!r} ({type(final).__name__}) has no "
                f"'score', so this {name} has no 'score'."
            )
        return
    if attr != "sample" and get_likelihood_kind(final) == "none":
        raise AttributeError(
            f"The final step {step_name!r} ({type(final).__name__}) defines no "
            f"density, so this {name} has no '{attr}'. Use sample() and skgen.metrics "
            "sample-quality metrics instead."
        )
    needed = "score_samples" if attr == "score" else attr
    if not hasattr(final, needed):
        raise AttributeError(
            f"The final step {step_name!r} ({type(final).__name__}) has no "
            f"'{needed}', so this {name} has no '{attr}'."
        )


class _IfFinalHas:
    """Like :func:`sklearn.utils.available_if`, keeping the reason in the error.

    ``hasattr(pipe, name)`` is False when the final estimator lacks the method
    (or defines no density), and accessing it raises an ``AttributeError``
    that says why.
    """

    def __init__(self, fn):
        self.fn = fn
        update_wrapper(self, fn)

    def __set_name__(self, owner, name):
        self.attribute_name = name

    def __get__(self, obj, owner=None):
        if obj is None:
            return self.fn
        _check_final_has(obj, self.attribute_name)
        return MethodType(self.fn, obj)


class DensityPipeline(Pipeline):
    """A pipeline of invertible transformers ending in a density estimator.

    Like :class:`sklearn.pipeline.Pipeline` (same ``steps``, ``named_steps``,
    ``set_params`` with ``step__param``, usable in ``GridSearchCV`` and
    ``cross_val_score``), but its density is in the units of the data it was
    fit on. With steps ``T_1, ..., T_k`` and final estimator ``q``,

    ``log p(x) = log q(T_k(...T_1(x))) + sum_i log |det J_{T_i}(x_i)|``,

    where ``x_i`` is the input of step ``i``. :meth:`sample` draws from ``q``
    and maps the draws back through each step's ``inverse_transform``, last
    step first. :meth:`score` is the mean of :meth:`score_samples`, so model
    selection compares held-out log-likelihoods in the original units, even
    across different preprocessing.

    As scikit-learn's ``Pipeline`` does, it takes the estimator type of its
    final step. Ending in a classifier (a
    :class:`~skgen.conditional.GenerativeClassifier`) it is a classifier
    (``sklearn.base.is_classifier`` is True, so cross-validation stratifies
    the folds): ``predict``, ``predict_proba`` and ``predict_log_proba`` pass
    ``X`` through the steps to the final step, and :meth:`score` is the final
    step's score (the accuracy), while :meth:`score_samples` and
    :meth:`sample` stay available in the original units.

    Everything is computed in float64 (float16 and float32 input is cast
    first). Each intermediate step must be a bijection whose Jacobian skgen knows: a
    transformer from :mod:`skgen.preprocessing`, one of scikit-learn's
    ``StandardScaler``, ``MinMaxScaler`` (``clip=False``), ``MaxAbsScaler``,
    ``RobustScaler``, ``PowerTransformer`` or ``PCA`` keeping every component,
    or any transformer with a ``log_abs_det_jacobian(X)`` method (see
    :mod:`skgen.preprocessing` for the protocol). Anything else (a PCA that
    drops dimensions, a one-hot encoder, an unknown transformer, a custom step
    whose output has another number of features than its input) is refused at
    ``fit``, ``score_samples`` and ``sample`` with an error naming the step:
    there is no density in the original units to report.

    Parameters
    ----------
    steps : list of (str, estimator) tuples
        Invertible transformers (or ``"passthrough"``), then a density
        estimator with ``score_samples`` and ``sample``.
    memory : str or object with the joblib.Memory interface, default=None
        Caches fitted transformers, as in scikit-learn's ``Pipeline``.
    verbose : bool, default=False
        Print the time taken to fit each step.

    Attributes
    ----------
    likelihood_kind : str
        The final estimator's kind, ``"lower_bound"`` when an exact final
        estimator follows a :class:`~skgen.preprocessing.Dequantizer`, or
        ``"estimate"`` when the density was renormalized by an estimated
        ``image_mass_ < 1``. Reads ``"exact"`` on the class.
    image_mass_ : float
        The final estimator's probability mass inside the range of the steps.
        Exactly 1 when every step maps onto all of ``R^d`` (scalers, PCA, log,
        logit, Yeo-Johnson with ``0 <= lambda <= 2``). A Box-Cox transform
        (``lambda != 0``) or a Yeo-Johnson transform with ``lambda`` outside
        ``[0, 2]`` maps onto a half-line, and the final estimator's mass beyond
        it has no preimage: ``fit`` then estimates ``image_mass_`` from 20000
        draws, :meth:`score_samples` subtracts ``log(image_mass_)`` and
        :meth:`sample` rejects draws outside the range. When no draw falls
        outside, ``image_mass_`` is 1 and the missing mass is below about
        ``1.5e-4``.
    named_steps : :class:`~sklearn.utils.Bunch`
        The steps by name.
    n_features_in_ : int
        Number of features seen by the first step during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Feature names seen by the first step, when ``X`` had string columns.

    See Also
    --------
    make_density_pipeline : build one with automatic step names.
    skgen.preprocessing : the invertible transformers.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skgen.classical import Gaussian
    >>> from skgen.pipeline import make_density_pipeline
    >>> X = np.random.RandomState(0).normal(scale=[10.0, 2.0], size=(200, 2))
    >>> pipe = make_density_pipeline(StandardScaler(), Gaussian(reg_covar=0)).fit(X)
    >>> direct = Gaussian(reg_covar=0).fit(X)
    >>> bool(np.allclose(pipe.score_samples(X), direct.score_samples(X)))
    True
    >>> plain = make_pipeline(StandardScaler(), Gaussian(reg_covar=0)).fit(X)
    >>> float(np.round(plain.score(X) - pipe.score(X), 3))  # = sum(log scale_)
    2.97
    >>> pipe.sample(3, random_state=0).shape
    (3, 2)

    Ending in a generative classifier, the pipeline is a classifier:

    >>> from sklearn.base import is_classifier
    >>> from skgen.conditional import GenerativeClassifier
    >>> y = (X[:, 0] > 0).astype(int)
    >>> clf = make_density_pipeline(StandardScaler(), GenerativeClassifier(Gaussian()))
    >>> is_classifier(clf)
    True
    >>> clf.fit(X, y).predict_proba(X[:2]).shape
    (2, 2)
    >>> 0.5 < clf.score(X, y) <= 1.0                       # accuracy
    True
    """

    _parameter_constraints = {
        key: value
        for key, value in Pipeline._parameter_constraints.items()
        if key != "transform_input"
    }

    #: Metadata transformation is not supported (scikit-learn's ``transform_input``).
    transform_input = None

    likelihood_kind = _ClassDefault("exact", "_likelihood_kind")

    def __init__(self, steps, *, memory=None, verbose=False):
        self.steps = steps
        self.memory = memory
        self.verbose = verbose

    # --------------------------------------------------------------- checks
    def _likelihood_kind(self):
        try:
            final = self.steps[-1][1]
        except (IndexError, TypeError, ValueError):
            return "exact"
        kind = get_likelihood_kind(final)
        step_kinds = [
            get_likelihood_kind(step)
            for _, step in self.steps[:-1]
            if not _is_passthrough(step)
        ]
        renormalized = getattr(self, "image_mass_", 1.0) < 1.0
        return _combine_kinds(kind, step_kinds, renormalized)

    def _check_steps_known(self):
        for name, step in self.steps[:-1]:
            reason = _static_problem(step)
            if reason is not None:
                raise TypeError(
                    f"Step {name!r} ({type(step).__name__}) of the {type(self).__name__} "
                    f"cannot give a density in the original units: {reason}"
                )

    def _invertible_steps(self, method, *, need_inverse=False):
        """Fitted intermediate steps as (name, step), each checked to be a bijection."""
        self._check_steps_known()
        out = []
        for name, step in self.steps[:-1]:
            if _is_passthrough(step):
                continue
            reason = _fitted_problem(step)
            if reason is None and need_inverse and not hasattr(step, "inverse_transform"):
                reason = f"{type(step).__name__} has no inverse_transform."
            if reason is not None:
                raise ValueError(
                    f"Step {name!r} ({type(step).__name__}) makes {method} impossible: "
                    f"{reason}"
                )
            out.append((name, step))
        # each step's input width is the next one's (the final estimator's last)
        widths = [getattr(step, "n_features_in_", None) for _, step in out]
        widths.append(getattr(self.steps[-1][1], "n_features_in_", None))
        for (name, step), n_in, n_out in zip(out, widths, widths[1:]):
            _check_width(name, step, n_in, n_out)
        return out

    # ------------------------------------------------------------------ fit
    def fit(self, X, y=None, **params):
        """Fit the transformers one after the other, then the density estimator.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,), default=None
            Passed to every step (conditional density estimators use it).
        **params : dict of str -> object
            Fit parameters ``step__param``, as in scikit-learn's ``Pipeline``.

        Returns
        -------
        self : DensityPipeline
            The fitted pipeline.

        Raises
        ------
        TypeError
            If a step's Jacobian is unknown.
        ValueError
            If a fitted step is not invertible (it drops dimensions, clips).
        """
        if isinstance(self.steps, (list, tuple)) and all(
            isinstance(step, tuple) and len(step) == 2 for step in self.steps
        ):
            self._check_steps_known()
        # Steps are fitted in place (as in scikit-learn's Pipeline): keep a copy
        # so that a failed fit leaves a previously fitted pipeline unchanged.
        backup = copy.deepcopy(self.__dict__)
        try:
            self._fit_steps(X, y, **params)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(backup)
            raise
        return self

    def _fit_steps(self, X, y, **params):
        columns = X.columns.tolist() if isinstance(X, pd.DataFrame) else None
        # missing cells are refused, as in score_samples: a step's log |det J|
        # over the observed cells of a row is not available
        check_array(_as_float64(X), dtype=None, ensure_all_finite=True, input_name="X")
        super().fit(_as_float64(X), y, **params)
        self._train_columns = columns
        steps = self._invertible_steps("fit")
        self.image_mass_ = 1.0
        bounded = [name for name, step in steps if _has_bounded_image(step)]
        if bounded:
            self.image_mass_ = self._estimate_image_mass(steps, bounded)

    def _estimate_image_mass(self, steps, bounded):
        final = self._final_estimator
        try:
            Z = final.sample(_IMAGE_DRAWS, random_state=0)
        except (AttributeError, NotImplementedError, TypeError) as exc:
            raise ValueError(
                f"Step(s) {bounded} map onto a bounded range, not all of R^d, so the "
                "density must be renormalized by the final estimator's mass inside "
                f"that range, which skgen estimates by sampling; {type(final).__name__} "
                f"cannot sample ({exc})."
            ) from exc
        _, rows = self._pull_back(steps, Z)
        mass = rows.size / _IMAGE_DRAWS
        if mass == 0:
            raise ValueError(
                f"None of {_IMAGE_DRAWS} draws of the final estimator falls inside the "
                f"range of step(s) {bounded}: the pipeline defines no density."
            )
        return mass

    @staticmethod
    def _pull_back(steps, Z):
        """Map draws back through the steps; drop rows outside a step's range.

        Returns
        -------
        X : array-like of shape (n_kept, n_features)
        rows : ndarray of int, the kept rows of ``Z``.
        """
        rows = np.arange(Z.shape[0])
        for name, step in reversed(steps):
            inside = _in_image(step, Z)
            if inside is not None and not inside.all():
                keep = np.flatnonzero(inside)
                rows, Z = rows[keep], _safe_indexing(Z, keep)
            if rows.size == 0:
                break
            n_out = np.shape(Z)[1]
            Z = step.inverse_transform(Z)
            _check_width(name, step, np.shape(Z)[1], n_out)
        return Z, rows

    # ---------------------------------------------------------------- score
    @_IfFinalHas
    def score_samples(self, X, y=None):
        """Log-density of each row of ``X``, in the original units.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Data to score.
        y : array-like of shape (n_samples,), default=None
            Conditioning labels, passed to a conditional final estimator.

        Returns
        -------
        log_density : ndarray of shape (n_samples,)
            The final estimator's log-density of the transformed rows plus
            the sum of the steps' ``log |det J|``; ``-inf`` for rows outside
            a step's domain (e.g. a negative value before a
            :class:`~skgen.preprocessing.LogTransformer`).
        """
        check_is_fitted(self)
        steps = self._invertible_steps("score_samples")
        X = _as_float64(X)
        n = check_array(X, dtype=None, ensure_all_finite=True, input_name="X").shape[0]
        rows = np.arange(n)
        log_det = np.zeros(n)
        Xt = X
        for name, step in steps:
            ld = np.asarray(log_abs_det_jacobian(step, Xt), dtype=np.float64).reshape(-1)
            if ld.shape[0] != rows.shape[0] or np.isnan(ld).any():
                raise ValueError(
                    f"Step {name!r} ({type(step).__name__}) returned an invalid "
                    f"log_abs_det_jacobian: expected {rows.shape[0]} non-NaN values, got "
                    f"shape {ld.shape}."
                )
            inside = ld > -np.inf
            if not inside.all():  # rows outside the step's domain: density zero
                keep = np.flatnonzero(inside)
                Xt = _safe_indexing(Xt, keep)
                rows, ld = rows[keep], ld[keep]
            log_det[rows] += ld
            if rows.size == 0:
                break
            n_in = np.shape(Xt)[1]
            Xt = step.transform(Xt)
            _check_width(name, step, n_in, np.shape(Xt)[1])
        out = np.full(n, -np.inf)
        if rows.size:
            kwargs = {}
            if y is not None:
                y_arr = np.asarray(y)
                kwargs["y"] = y_arr[rows] if y_arr.ndim == 1 and y_arr.shape[0] == n else y
            out[rows] = self._final_estimator.score_samples(Xt, **kwargs) + log_det[rows]
            out[rows] -= np.log(getattr(self, "image_mass_", 1.0))
        return out

    @_IfFinalHas
    def score(self, X, y=None, sample_weight=None):
        """Mean log-likelihood of ``X`` in the original units, or a classifier's score.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Data to score.
        y : array-like of shape (n_samples,), default=None
            Passed to a conditional final estimator; otherwise ignored. With
            a classifier as final step: the true labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the rows in the mean.

        Returns
        -------
        score : float
            ``mean(score_samples(X))`` (weighted when ``sample_weight`` is
            given), so model selection maximises held-out likelihood. When
            the final step is a classifier, its ``score`` of the transformed
            ``X`` and ``y`` (the accuracy), as in scikit-learn's ``Pipeline``;
            use :meth:`score_samples` for the log-density.
        """
        final = self._final_estimator
        X = _as_float64(X)
        if is_classifier(final):  # scikit-learn's Pipeline.score: the accuracy
            return super().score(X, y, sample_weight=sample_weight)
        _check_score_comparable(self)
        if not is_conditional(final):
            y = None
        scores = self.score_samples(X, y=y)
        return float(np.average(scores, weights=sample_weight))

    def bits_per_dim(self, X):
        """Average negative log2-likelihood per feature, ``-score(X) / (d ln 2)``.

        With a :class:`~skgen.preprocessing.Dequantizer` in front and integer
        ``X`` (pixels), this is an upper bound (in expectation) on the bits
        per dimension of the discrete data, the figure reported for image
        models.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Data to score.

        Returns
        -------
        bits : float
        """
        d = check_array(X, dtype=None, input_name="X").shape[1]
        return -float(np.mean(self.score_samples(X))) / (d * _LN2)

    # --------------------------------------------------------------- sample
    @_IfFinalHas
    def sample(self, n_samples=1, *, y=None, random_state=None, return_y=False):
        """Draw rows in the original units.

        Draws from the final estimator and maps the draws back through each
        step's ``inverse_transform``, last step first.

        Parameters
        ----------
        n_samples : int, default=1
            Number of rows to draw.
        y : label or array-like of shape (n_samples,), default=None
            For a conditional final estimator: draw from ``p(x | y)``.
        random_state : int, RandomState instance or None, default=None
            Seed for this call, passed to the final estimator's ``sample`` (a
            scikit-learn final step without a per-call seed is seeded through
            its ``random_state`` parameter, on a copy).
        return_y : bool, default=False
            For a conditional final estimator fit with labels: also return
            each row's label.

        Returns
        -------
        X_new : ndarray or DataFrame of shape (n_samples, n_features)
            A DataFrame with the training columns when the pipeline was fit on
            one.
        y_new : ndarray of shape (n_samples,)
            The labels, only when ``return_y=True``.
        """
        check_is_fitted(self)
        steps = self._invertible_steps("sample", need_inverse=True)
        kwargs = {}
        if y is not None:
            kwargs["y"] = y
        if return_y:
            kwargs["return_y"] = True
        if not any(_has_bounded_image(step) for _, step in steps):
            Z, labels = self._draw_back(steps, n_samples, random_state, kwargs)
        else:
            Z, labels = self._sample_by_rejection(steps, n_samples, kwargs, random_state)
        columns = getattr(self, "_train_columns", None)
        Z = np.asarray(Z, dtype=np.float64)
        if columns is not None:
            Z = pd.DataFrame(Z, columns=columns)
        return (Z, labels) if return_y else Z

    def _draw_back(self, steps, n_samples, random_state, kwargs):
        """Draws of the final estimator mapped back through ``steps``, and their labels."""
        draw = _sample_from(self._final_estimator, n_samples, random_state, **kwargs)
        X, labels = draw if kwargs.get("return_y") else (draw, None)
        X, rows = self._pull_back(steps, X)  # rows outside a step's range are dropped
        return X, (None if labels is None else np.asarray(labels)[rows])

    def _sample_by_rejection(self, steps, n_samples, kwargs, random_state):
        """Draws of the final estimator inside the steps' range, mapped back."""
        if "y" in kwargs and np.ndim(kwargs["y"]) > 0:
            raise ValueError(
                "With a step whose range is bounded, sample() accepts a single label y, "
                "not one per row; call it once per label."
            )
        rng = None if random_state is None else check_random_state(random_state)
        mass = max(getattr(self, "image_mass_", 1.0), 1e-3)
        chunks, label_chunks, total = [], [], 0
        for _ in range(100):
            n_draw = int(np.ceil((n_samples - total) / mass * 1.1)) + 10
            seed = None if rng is None else int(rng.randint(np.iinfo(np.int32).max))
            X, labels = self._draw_back(steps, n_draw, seed, dict(kwargs))
            X = np.asarray(X, dtype=np.float64)
            chunks.append(X)
            label_chunks.append(labels)
            total += X.shape[0]
            if total >= n_samples:
                labels = (np.concatenate(label_chunks)[:n_samples]
                          if kwargs.get("return_y") else None)
                return np.concatenate(chunks)[:n_samples], labels
        raise RuntimeError(
            "Too few draws of the final estimator fall inside the range of the steps; "
            "cannot sample."
        )

    def __sklearn_tags__(self):
        # scikit-learn's Pipeline copies the final step's estimator type and
        # classifier tags; a final step that declares no type is a density.
        tags = super().__sklearn_tags__()
        if tags.estimator_type is None:
            tags.estimator_type = "density_estimator"
        tags.input_tags.allow_nan = False  # see _fit_steps
        return tags


def _name_steps(estimators):
    """Lower-cased class names, numbered ``-1, -2, ...`` where they repeat."""
    names = [
        est if isinstance(est, str) else type(est).__name__.lower() for est in estimators
    ]
    counts = Counter(names)
    seen = Counter()
    out = []
    for name in names:
        if counts[name] > 1:
            seen[name] += 1
            out.append(f"{name}-{seen[name]}")
        else:
            out.append(name)
    return list(zip(out, estimators))


def make_density_pipeline(*steps, memory=None, verbose=False):
    """Build a :class:`DensityPipeline`, naming each step after its class.

    Parameters
    ----------
    *steps : estimators
        Invertible transformers, then a density estimator.
    memory : str or object with the joblib.Memory interface, default=None
        Caches fitted transformers.
    verbose : bool, default=False
        Print the time taken to fit each step.

    Returns
    -------
    pipeline : DensityPipeline
        Steps named by their lower-cased class names (``"standardscaler"``),
        so a grid reads ``{"kerneldensity__bandwidth": [...]}``.

    Examples
    --------
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skgen.classical import Gaussian
    >>> from skgen.pipeline import make_density_pipeline
    >>> pipe = make_density_pipeline(StandardScaler(), Gaussian())
    >>> list(pipe.named_steps)
    ['standardscaler', 'gaussian']
    """
    return DensityPipeline(_name_steps(steps), memory=memory, verbose=verbose)
