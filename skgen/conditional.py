"""Generative classifiers: one fitted object answers p(y|x), p(x) and p(x|y).

A discriminative classifier (logistic regression, an MLP) estimates ``p(y|x)``
and nothing else. A generative classifier fits a density ``p(x|y=c)`` to each
class and a prior ``p(y=c)``; Bayes' rule then gives

- ``p(y|x) = p(x|y) p(y) / p(x)``: :meth:`GenerativeClassifier.predict_proba`;
- ``p(x) = sum_c p(x|c) p(c)``: ``score_samples(X)``;
- ``p(x|y)``: ``score_samples(X, y=...)``, and new rows from it with
  ``sample(n, y=...)``.

:func:`log_likelihood_scorer` selects such a model by held-out density rather
than by accuracy.
"""

import warnings
from functools import partial

import numpy as np
import pandas as pd
from scipy.special import logsumexp
from sklearn.base import ClassifierMixin, clone
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    check_array,
    check_consistent_length,
    check_is_fitted,
    column_or_1d,
)

from .base import (
    BaseGenerative,
    ConditionalMixin,
    _DensityMethod,
    _sample_from,
    _weakest_kind,
    get_likelihood_kind,
    is_conditional,
)
from .utils import gen_batches_by_memory

__all__ = ["GenerativeClassifier", "log_likelihood_scorer"]

class _WrappedLikelihoodKind:
    """``likelihood_kind`` of a wrapper: the kind of the estimator(s) it wraps.

    On an unfitted instance, the template estimator's kind; once fitted, the
    kind of the per-class estimators (an estimator may change its own kind
    while fitting, e.g. an energy model that estimates its normalizer). On the
    class itself, where no estimator is known, ``"exact"``.
    """

    def __get__(self, obj, owner=None):
        if obj is None:
            return "exact"
        fitted = obj.__dict__.get("estimators_")
        if fitted:
            return _weakest_kind(get_likelihood_kind(e) for e in fitted)
        return get_likelihood_kind(obj.__dict__.get("estimator"))


class GenerativeClassifier(ConditionalMixin, ClassifierMixin, BaseGenerative):
    """Classifier by Bayes' rule from one density estimator per class.

    Fits a clone of ``estimator`` to the rows of each class, giving
    ``p(x|y=c)``, and reads class priors ``p(y=c)``. One fitted object then
    answers the three questions of generative modeling:

    - ``p(y|x)``: :meth:`predict_proba`, :meth:`predict_log_proba`,
      :meth:`predict` (Bayes' rule, computed in log space);
    - ``p(x)``: ``score_samples(X)``, the marginal
      ``log p(x) = logsumexp_c [log p(x|c) + log p(c)]``;
    - ``p(x|y)``: ``score_samples(X, y=labels)``, and ``sample(n, y=...)``
      draws new rows from it.

    It is a scikit-learn classifier: :meth:`score` is the **accuracy**, as for
    every classifier, so ``GridSearchCV`` and ``cross_val_score`` select it by
    accuracy by default. To select it by held-out density instead, pass
    ``scoring=skgen.conditional.log_likelihood_scorer`` (mean ``log p(x|y)``).

    Parameters
    ----------
    estimator : estimator object
        An unfitted density estimator: any skgen estimator, or a duck-typed
        scikit-learn one such as :class:`sklearn.neighbors.KernelDensity`
        (``fit(X)``, ``score_samples(X)``, ``sample(n)``). It is cloned once
        per class; it must not itself be fitted with ``y``.
    priors : array-like of shape (n_classes,), default=None
        Prior probabilities of the classes, in the order of ``classes_``
        (sorted labels). Non-negative, summing to 1. ``None`` uses the class
        frequencies of the training labels. A zero prior makes its class
        impossible: never predicted and never sampled by ``sample(n)``.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels, sorted.
    class_count_ : ndarray of shape (n_classes,)
        Training rows per class.
    class_prior_ : ndarray of shape (n_classes,)
        Prior probability of each class used by Bayes' rule and by ``sample``.
    estimators_ : list of n_classes fitted estimators
        ``estimators_[k]`` models ``p(x | y = classes_[k])``.
    likelihood_kind : str
        What ``score_samples`` returns; that of the wrapped estimator (see
        :data:`skgen.base.LIKELIHOOD_KINDS`). ``"exact"`` when read on the
        class, where no estimator is known.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Feature names, when ``X`` had string column names.

    Notes
    -----
    **Likelihood kinds.** Bayes' rule compares ``log p(x|c) + log p(c)`` across
    classes, so the per-class numbers must be on one scale:

    - ``"exact"``: posteriors are exact under the model.
    - ``"lower_bound"`` (VAE, diffusion bounds): posteriors are computed from
      the bounds, ``softmax_c(bound_c(x) + log p(c))``, and a ``UserWarning``
      says so. They equal the model's posteriors only when the gap
      ``log p(x|c) - bound_c(x)`` is the same for every class; otherwise the
      log-odds between two classes are off by the difference of their gaps.
      ``score_samples(X)`` is then still a lower bound on ``log p(x)``
      (log-sum-exp is increasing in each argument).
    - ``"estimate"``: posteriors are computed from the estimates, with the
      same warning; they are consistent as the estimates are, but noisy, and
      may differ between calls when the estimator is stochastic.
    - ``"unnormalized"`` (energy models): each class has its own unknown
      constant, so the posterior and the marginal ``p(x)`` are undefined;
      :meth:`predict_proba`, :meth:`predict`, :meth:`score` and
      ``score_samples(X)`` without ``y`` raise ``ValueError``.
      ``score_samples(X, y=...)`` and ``sample`` still work.
    - ``"none"`` (GANs): no density at all; ``score_samples`` is absent and
      the prediction methods raise ``ValueError``. Only ``sample`` works.

    **Rows with zero density under every class** (e.g. outside every
    class's :class:`~skgen.classical.UniformBox`) carry no evidence; their
    posterior is the prior.

    ``sample(n)`` without ``y`` draws each row's class from ``class_prior_``
    and returns only ``X``. To keep the labels, draw them first:
    ``y = rng.choice(clf.classes_, size=n, p=clf.class_prior_)`` and call
    ``clf.sample(n, y=y)``.

    Sampling draws its seeds from the per-call ``random_state``, or else from a
    stream seeded at ``fit`` with the wrapped estimator's ``random_state``
    parameter when it has one.

    See Also
    --------
    sklearn.naive_bayes.GaussianNB : the same as
        ``GenerativeClassifier(Gaussian(covariance_type="diag"))`` up to
        variance smoothing.
    sklearn.discriminant_analysis.QuadraticDiscriminantAnalysis : the same as
        ``GenerativeClassifier(Gaussian(covariance_type="full"))``.

    References
    ----------
    A. Y. Ng and M. I. Jordan, "On discriminative vs. generative classifiers:
    A comparison of logistic regression and naive Bayes", NIPS 2001.

    Examples
    --------
    >>> import numpy as np
    >>> from skgen.classical import Gaussian
    >>> from skgen.conditional import GenerativeClassifier
    >>> rng = np.random.RandomState(0)
    >>> X = np.vstack([rng.normal(0, 1, (50, 2)), rng.normal(4, 1, (50, 2))])
    >>> y = np.repeat(["cat", "dog"], 50)
    >>> clf = GenerativeClassifier(Gaussian()).fit(X, y)
    >>> clf.predict([[0.0, 0.0], [4.0, 4.0]])          # p(y|x)
    array(['cat', 'dog'], dtype='<U3')
    >>> clf.predict_proba([[2.0, 2.0]]).round(2)
    array([[0.59, 0.41]])
    >>> clf.score_samples([[0.0, 0.0]]).round(2)        # log p(x)
    array([-2.55])
    >>> clf.score_samples([[0.0, 0.0]], y="dog").round(2)  # log p(x|y)
    array([-17.84])
    >>> clf.sample(3, y="dog", random_state=0).round(1)  # draw from p(x|y)
    array([[4.6, 3.2],
           [6. , 4. ],
           [4.3, 4.2]])
    >>> clf.score(X, y)                                  # accuracy
    1.0
    """

    _parameter_constraints = {
        "estimator": [HasMethods(["fit"])],
        "priors": ["array-like", None],
    }

    likelihood_kind = _WrappedLikelihoodKind()

    def __init__(self, estimator, *, priors=None):
        self.estimator = estimator
        self.priors = priors

    # ----------------------------------------------------------------- fit
    def _validate_y_fit(self, X, y):
        y = check_array(y, ensure_2d=False, dtype=None, input_name="y")
        y = column_or_1d(y, warn=True)
        check_consistent_length(X, y)
        check_classification_targets(y)  # scikit-learn's message for a classifier
        return super()._validate_y_fit(X, y)

    def _fit(self, X, y):
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is "
                "None. To model p(x) without labels, fit the density estimator itself."
            )
        if not (hasattr(self.estimator, "score_samples") or hasattr(self.estimator, "sample")):
            raise TypeError(
                f"estimator must be a density estimator with score_samples (and "
                f"sample), got {type(self.estimator).__name__}, which has neither. "
                "Use e.g. skgen.classical.Gaussian or sklearn.neighbors.KernelDensity."
            )
        self.classes_, y_index, self.class_count_ = np.unique(
            y, return_inverse=True, return_counts=True
        )
        self.class_prior_ = self._resolve_priors(self.class_count_)
        estimators = []
        for k, label in enumerate(self.classes_.tolist()):
            est = clone(self.estimator)
            try:
                est.fit(X[y_index == k])
            except Exception as exc:
                exc.add_note(
                    f"(raised while fitting {type(est).__name__} to the "
                    f"{self.class_count_[k]} rows of class {label!r})"
                )
                raise
            estimators.append(est)
        self.estimators_ = estimators
        params = self.estimator.get_params() if hasattr(self.estimator, "get_params") else {}
        self._sampling_rng = check_random_state(params.get("random_state"))
        return self

    @available_if(lambda self: hasattr(self.estimator, "partial_fit"))
    def partial_fit(self, X, y, classes=None):
        """Update each class's density with its rows of a chunk.

        Available when ``estimator`` has ``partial_fit`` (Gaussian,
        Histogram, ...): the rows of each class go to that class's
        ``partial_fit``, and ``class_count_`` (so ``class_prior_`` unless
        ``priors`` is given) counts them. :class:`dask_ml.wrappers.Incremental`
        calls it once per block, passing ``classes`` on each call.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            A chunk of rows.
        y : array-like of shape (n_samples,)
            Their labels, all among ``classes``.
        classes : array-like of shape (n_classes,), default=None
            Every label, needed on the first call (a chunk may lack some);
            later calls may repeat it.

        Returns
        -------
        self : GenerativeClassifier

        Examples
        --------
        >>> import numpy as np
        >>> from skgen.classical import Gaussian
        >>> from skgen.conditional import GenerativeClassifier
        >>> rng = np.random.RandomState(0)
        >>> X, y = rng.normal(size=(200, 2)), rng.randint(2, size=200)
        >>> clf = GenerativeClassifier(Gaussian())
        >>> for rows in np.array_split(np.arange(200), 4):
        ...     clf = clf.partial_fit(X[rows], y[rows], classes=[0, 1])
        >>> full = GenerativeClassifier(Gaussian()).fit(X, y)
        >>> bool(np.allclose(clf.predict_proba(X), full.predict_proba(X)))
        True
        """
        first = not hasattr(self, "estimators_")
        return self._fit_with(partial(self._partial_fit, classes=classes), X, y,
                              reset=first)

    def _partial_fit(self, X, y, classes):
        if y is None:
            raise ValueError(f"{type(self).__name__}.partial_fit requires y.")
        if not hasattr(self, "estimators_"):
            if classes is None:
                raise ValueError(
                    "classes must be passed on the first call to partial_fit: every "
                    "label, since a chunk may lack some (as in scikit-learn).")
            self.classes_ = np.unique(np.asarray(classes))
            self.class_count_ = np.zeros(self.classes_.size, dtype=np.int64)
            self.estimators_ = [clone(self.estimator) for _ in self.classes_]
            params = (self.estimator.get_params()
                      if hasattr(self.estimator, "get_params") else {})
            self._sampling_rng = check_random_state(params.get("random_state"))
        elif classes is not None and not np.array_equal(np.unique(classes), self.classes_):
            raise ValueError(f"classes={list(classes)!r} differ from those of the first "
                             f"call, {self.classes_.tolist()}.")
        index = self._label_indices(y)
        for k in np.unique(index):
            self.estimators_[k].partial_fit(X[index == k])
        self.class_count_ = self.class_count_ + np.bincount(index,
                                                            minlength=self.classes_.size)
        self.class_prior_ = self._resolve_priors(self.class_count_)

    def _resolve_priors(self, counts):
        if self.priors is None:
            return counts / counts.sum()
        priors = check_array(self.priors, ensure_2d=False, dtype=np.float64,
                             input_name="priors")
        if priors.ndim != 1 or priors.shape[0] != counts.shape[0]:
            raise ValueError(
                f"priors must have one entry per class ({counts.shape[0]}, in the "
                f"order of the sorted labels), got shape {priors.shape}."
            )
        if np.any(priors < 0):
            raise ValueError(f"priors must be non-negative, got {priors}.")
        if not np.isclose(priors.sum(), 1.0):
            raise ValueError(f"priors must sum to 1, got sum {priors.sum()!r}.")
        return priors / priors.sum()

    # ------------------------------------------------------------- helpers
    def _label_indices(self, y):
        """Indices into ``classes_`` of the labels ``y`` (1-D); unknown labels raise."""
        uniq, inverse = np.unique(y, return_inverse=True)
        lookup = {label: k for k, label in enumerate(self.classes_.tolist())}
        codes = [lookup.get(label) for label in uniq.tolist()]
        unknown = [label for label, k in zip(uniq.tolist(), codes) if k is None]
        if unknown:
            raise ValueError(
                f"y contains labels not seen during fit: {unknown[:5]}; "
                f"known classes are {self.classes_.tolist()}."
            )
        return np.asarray(codes, dtype=np.intp)[inverse.reshape(-1)]

    def _log_priors(self):
        with np.errstate(divide="ignore"):
            return np.log(self.class_prior_)

    def _joint_log_likelihood(self, X):
        """``log p(x|c) + log p(c)``, shape ``(n_samples, n_classes)``."""
        jll = np.column_stack([est.score_samples(X) for est in self.estimators_])
        return jll + self._log_priors()

    def _row_chunks(self, X):
        """Slices of rows for which a few ``(rows, n_classes)`` float64 arrays fit
        skgen.config's budget (each class's density chunks its own work)."""
        return gen_batches_by_memory(X.shape[0], 8 * 4 * len(self.estimators_))

    def _refuse_incomparable(self, what):
        kind = self.likelihood_kind
        if kind in ("unnormalized", "none"):
            meaning = (
                "each class's log-density has its own unknown additive constant"
                if kind == "unnormalized"
                else "the estimator defines no density"
            )
            raise ValueError(
                f"{what} needs log p(x|y) on one scale for every class, but "
                f"{type(self.estimator).__name__} has likelihood_kind={kind!r}: "
                f"{meaning}. Use an estimator with an exact density (e.g. "
                "skgen.classical.Gaussian or KernelDensity, a flow). sample() and "
                + ("score_samples(X, y=...) still work." if kind == "unnormalized"
                   else "sample(n, y=...) still work.")
            )
        if kind in ("lower_bound", "estimate"):
            warnings.warn(
                f"{what} from log-likelihoods of kind {kind!r}: posteriors are "
                "softmax(bound_c(x) + log prior_c), which equal the model's exact "
                "posteriors only if the gap to log p(x|c) is the same for every class. "
                "See GenerativeClassifier's Notes.",
                UserWarning,
                stacklevel=3,
            )

    # ------------------------------------------------------------- p(y|x)
    def predict_log_proba(self, X):
        """Log posterior ``log p(y|x)`` by Bayes' rule, in log space.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Rows to classify.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            ``log p(x|c) + log p(c) - log p(x)`` for each class of ``classes_``.
            Rows with zero density under every class get the log prior.
        """
        check_is_fitted(self)
        self._refuse_incomparable("predict_log_proba")
        X = self._validate_X(X, reset=False)
        out = np.empty((X.shape[0], len(self.estimators_)))
        for rows in self._row_chunks(X):
            jll = self._joint_log_likelihood(X[rows])
            log_px = logsumexp(jll, axis=1, keepdims=True)
            ok = np.isfinite(log_px[:, 0])
            jll[ok] -= log_px[ok]
            jll[~ok] = self._log_priors()
            out[rows] = jll
        return out

    def predict_proba(self, X):
        """Posterior class probabilities ``p(y|x)`` by Bayes' rule.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Rows to classify.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Rows sum to 1; columns follow ``classes_``.
        """
        return np.exp(self.predict_log_proba(X))

    def predict(self, X):
        """Most probable class of each row (maximum posterior).

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Rows to classify.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        log_proba = self.predict_log_proba(X)
        return self.classes_[np.argmax(log_proba, axis=1)]

    # ------------------------------------------------------ p(x) and p(x|y)
    def _score_samples(self, X, y):
        if y is None:
            self._refuse_incomparable("score_samples(X) without y (the marginal p(x))")
            out = np.empty(X.shape[0])
            for rows in self._row_chunks(X):
                out[rows] = logsumexp(self._joint_log_likelihood(X[rows]), axis=1)
            return out
        index = self._label_indices(y)
        out = np.empty(X.shape[0], dtype=np.float64)
        for k in np.unique(index):
            rows = index == k
            out[rows] = self.estimators_[k].score_samples(X[rows])
        return out

    def _sample(self, n_samples, rng, y):
        index = self._label_indices(y)  # ``sample`` drew labels when none were given
        out = np.empty((n_samples, self.n_features_in_), dtype=np.float64)
        for k in np.unique(index):
            rows = np.flatnonzero(index == k)
            draw = _sample_from(self.estimators_[k], rows.size,
                                random_state=int(rng.randint(np.iinfo(np.int32).max)))
            if isinstance(draw, pd.DataFrame):
                draw = draw.to_numpy()
            draw = np.asarray(draw, dtype=np.float64)
            if draw.shape != (rows.size, self.n_features_in_):
                raise ValueError(
                    f"{type(self.estimators_[k]).__name__}.sample({rows.size}) returned "
                    f"shape {draw.shape}, expected {(rows.size, self.n_features_in_)}."
                )
            # Some samplers (GaussianMixture) return rows grouped by component.
            out[rows] = draw[rng.permutation(rows.size)]
        return out

    # The methods below only restate the inherited ones with this model's meaning.
    @_DensityMethod
    def score_samples(self, X, y=None):
        """Log-density of each row: ``log p(x)`` or, given ``y``, ``log p(x|y)``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Rows to score.
        y : label or array-like of shape (n_samples,), default=None
            ``None``: the marginal ``log p(x) = logsumexp_c [log p(x|c) +
            log p(c)]``. A label, or one label per row: ``log p(x|y)``.

        Returns
        -------
        log_density : ndarray of shape (n_samples,)
            Natural log; ``-inf`` where the density is zero. Its meaning
            follows :attr:`likelihood_kind`.

        Raises
        ------
        ValueError
            If ``y`` holds a label not seen during fit, or (``y=None``) if the
            likelihood kind is ``"unnormalized"``.
        """
        return BaseGenerative.score_samples(self, X, y=y)

    def sample(self, n_samples=1, *, y=None, random_state=None, return_y=False):
        """Draw new rows from ``p(x|y)``, or from ``p(x)`` when ``y`` is None.

        Parameters
        ----------
        n_samples : int, default=1
            Number of rows to draw.
        y : label or array-like of shape (n_samples,), default=None
            A label: all rows from that class. An array: row ``i`` from class
            ``y[i]``. ``None``: each row's class is drawn from ``class_prior_``
            (the rows are then in random order).
        random_state : int, RandomState instance or None, default=None
            Seed for this call.
        return_y : bool, default=False
            Also return each row's label (drawn from ``class_prior_`` when
            ``y`` is None).

        Returns
        -------
        X_new : ndarray or DataFrame of shape (n_samples, n_features)
            A DataFrame with the training columns when fit on one.
        y_new : ndarray of shape (n_samples,)
            The labels of the rows, only when ``return_y=True``.

        Raises
        ------
        ValueError
            If ``y`` holds a label not seen during fit.
        """
        return super().sample(n_samples, y=y, random_state=random_state, return_y=return_y)


def log_likelihood_scorer(estimator, X, y=None):
    """Mean log-likelihood of held-out data, as a scikit-learn scorer.

    A classifier's ``score`` is its accuracy. To select a
    :class:`GenerativeClassifier` (or any conditional model) by how well it
    models the data instead, pass this function as ``scoring=`` to
    ``GridSearchCV``, ``cross_val_score`` or ``cross_validate``. Greater is
    better.

    Parameters
    ----------
    estimator : fitted estimator with ``score_samples``
        A conditional skgen model (:func:`skgen.base.is_conditional`) is scored by
        ``log p(x|y)`` when ``y`` is given; any other estimator by ``log p(x)``.
    X : array-like of shape (n_samples, n_features)
        Held-out rows.
    y : array-like of shape (n_samples,), default=None
        Held-out labels.

    Returns
    -------
    score : float
        ``mean(score_samples(X, y=y))`` for conditional models given ``y``,
        else ``mean(score_samples(X))``; in nats per row.

    Raises
    ------
    ValueError
        If the estimator's ``likelihood_kind`` is ``"unnormalized"`` or
        ``"none"``: such numbers cannot rank models.

    Notes
    -----
    A scorer sees one candidate at a time, so it cannot check that all
    candidates of a search report the same kind. Do not let a grid mix an
    exact density with a lower bound or an estimate: a bound always looks
    worse. :func:`skgen.base.check_likelihood_kinds_comparable` checks a list
    of estimators.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.model_selection import GridSearchCV
    >>> from skgen.classical import Gaussian
    >>> from skgen.conditional import GenerativeClassifier, log_likelihood_scorer
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(200, 2)) * [1.0, 5.0]
    >>> y = np.repeat([0, 1], 100)
    >>> search = GridSearchCV(
    ...     GenerativeClassifier(Gaussian()),
    ...     {"estimator__covariance_type": ["spherical", "diag"]},
    ...     scoring=log_likelihood_scorer,
    ... ).fit(X, y)
    >>> search.best_params_
    {'estimator__covariance_type': 'diag'}
    """
    kind = get_likelihood_kind(estimator)
    if kind in ("unnormalized", "none"):
        raise ValueError(
            f"{type(estimator).__name__} has likelihood_kind={kind!r}: its "
            "log-likelihoods cannot rank models. Select it with a sample-quality "
            "metric (skgen.metrics.classifier_two_sample_auc) instead."
        )
    if y is not None and is_conditional(estimator):
        scores = estimator.score_samples(X, y=y)
    else:
        scores = estimator.score_samples(X)
    return float(np.mean(scores))
