"""Imputation from a density: fill missing cells from ``p(x_missing | x_observed)``.

:class:`DensityImputer` is a scikit-learn transformer, like
:class:`sklearn.impute.IterativeImputer`: it fits a density to the rows with
their missing cells (NaN) and fills each row's missing cells with a summary
of, or a draw from, the density's conditional given the row's observed cells.
"""

from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

__all__ = ["DensityImputer", "gaussian_mixture_conditional_mean"]


def _conditional_mean(cond):
    """The mean of a fitted Gaussian or Gaussian mixture, else None.

    Parameters
    ----------
    cond : fitted estimator over the missing columns

    Returns
    -------
    ndarray of shape (n_missing,) or None
    """
    if hasattr(cond, "weights_") and getattr(cond, "means_", None) is not None:
        return np.asarray(cond.weights_) @ np.asarray(cond.means_)
    mean = getattr(cond, "mean_", None)
    if mean is not None and np.ndim(mean) == 1:
        return np.asarray(mean, dtype=np.float64)
    return None


def _gaussian_parameters(estimator):
    """``(weights, means, covariances)`` of a fitted skgen Gaussian or Gaussian mixture.

    Returns
    -------
    tuple of ndarrays of shapes (k,), (k, d), (k, d, d), or None for other models
    """
    from .classical import Gaussian, GaussianMixture
    from .classical._mixture import _full_covariances

    if type(estimator) is Gaussian:
        return np.ones(1), estimator.mean_[None], estimator.covariance_[None]
    if type(estimator) is GaussianMixture:
        return estimator.weights_, estimator.means_, _full_covariances(estimator.mixture_)
    return None


def gaussian_mixture_conditional_mean(weights, means, covariances, observed, a):
    """``E[x_B | x_A = a]`` of a Gaussian mixture, for many rows ``a`` at once.

    The conditional of a mixture is the mixture of the components'
    conditionals, reweighted by each component's density of ``a``.

    Parameters
    ----------
    weights : ndarray of shape (k,)
    means : ndarray of shape (k, d)
    covariances : ndarray of shape (k, d, d)
    observed : ndarray of bool of shape (d,)
        The columns ``A``; the others are ``B``.
    a : ndarray of shape (n, |A|)

    Returns
    -------
    ndarray of shape (n, |B|)
    """
    A, B = np.flatnonzero(observed), np.flatnonzero(~observed)
    log_w = np.empty((a.shape[0], weights.size))
    cond = np.empty((weights.size, a.shape[0], B.size))
    for k in range(weights.size):
        S_AA = covariances[k][np.ix_(A, A)]
        S_BA = covariances[k][np.ix_(B, A)]
        chol = np.linalg.cholesky(S_AA)
        diff = a - means[k, A]
        z = np.linalg.solve(chol, diff.T)                      # L^-1 (a - mu_A)
        cond[k] = means[k, B] + (S_BA @ np.linalg.solve(chol.T, z)).T
        log_w[:, k] = (np.log(weights[k]) - 0.5 * np.sum(z**2, axis=0)
                       - np.sum(np.log(np.diag(chol))))
    log_w -= log_w.max(axis=1, keepdims=True)
    post = np.exp(log_w)
    post /= post.sum(axis=1, keepdims=True)
    return np.einsum("nk,knb->nb", post, cond)


class DensityImputer(TransformerMixin, BaseEstimator):
    """Fill missing values with the conditional mean, median, mode or a draw of a density.

    ``fit`` fits the density to ``X`` with its missing cells: the estimator
    must accept NaN (scikit-learn's ``allow_nan`` tag; skgen's Gaussian and
    GaussianMixture fit by EM under missing-at-random, skgen.tabular's
    models marginalize missing cells). ``transform`` then fills the missing
    cells of each row from ``p(x_missing | x_observed)``, the density's
    ``conditional`` given the row's observed cells.

    Parameters
    ----------
    estimator : estimator or None, default=None
        A density that accepts NaN and answers ``conditional(given)`` and
        ``sample(given=...)``. ``None``: a
        :class:`~skgen.classical.GaussianMixture` with one component
        (a Gaussian fitted by EM).
    strategy : {"mean", "median", "mode", "sample"}, default="mean"
        ``"mean"``: the conditional mean (exact for Gaussian and Gaussian
        mixture conditionals, otherwise the mean of ``n_samples``
        conditional draws); it minimizes the expected squared error.
        ``"median"``: the per-column median of ``n_samples`` draws (the
        mean for a Gaussian conditional). ``"mode"``: the most likely
        completion among the conditional's component means and
        ``n_samples`` draws (the mean for a Gaussian). ``"sample"``: one
        draw per row from the conditional, for multiple imputation (repeat
        with different ``random_state``). Categorical columns of a mixed
        table are filled with the most frequent of ``n_samples`` draws,
        whatever the strategy other than ``"sample"``.
    n_samples : int, default=200
        Conditional draws per row for the Monte-Carlo summaries.
    random_state : int, RandomState instance or None, default=None
        Seed of the draws (and of the default density's initialization).

    Attributes
    ----------
    estimator_ : estimator
        The fitted density.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Feature names, when ``X`` had string column names.

    See Also
    --------
    sklearn.impute.IterativeImputer : imputation by chained regressions.

    Examples
    --------
    >>> import numpy as np
    >>> from skgen.classical import Gaussian
    >>> from skgen.impute import DensityImputer
    >>> rng = np.random.RandomState(0)
    >>> X = rng.multivariate_normal([0, 0], [[1, 0.9], [0.9, 1]], size=500)
    >>> X[::5, 1] = np.nan
    >>> imp = DensityImputer(Gaussian()).fit(X)
    >>> imp.transform([[1.0, np.nan]]).round(1)   # E[x1 | x0 = 1] is about 0.9
    array([[1. , 0.9]])
    """

    _parameter_constraints = {
        "estimator": [HasMethods(["fit", "conditional", "sample"]), None],
        "strategy": [StrOptions({"mean", "median", "mode", "sample"})],
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(self, estimator=None, *, strategy="mean", n_samples=200, random_state=None):
        self.estimator = estimator
        self.strategy = strategy
        self.n_samples = n_samples
        self.random_state = random_state

    def _validate(self, X, *, reset):
        if isinstance(X, pd.DataFrame) and not all(
                pd.api.types.is_numeric_dtype(t) for t in X.dtypes):
            validate_data(self, X, reset=reset, skip_check_array=True)
            if reset:
                self.n_features_in_ = X.shape[1]
            elif X.shape[1] != self.n_features_in_:
                raise ValueError(
                    f"X has {X.shape[1]} features, but DensityImputer is expecting "
                    f"{self.n_features_in_} features as input."
                )
            return X
        return validate_data(self, X, reset=reset, dtype=np.float64,
                             ensure_all_finite="allow-nan")

    def fit(self, X, y=None):
        """Fit the density to ``X``, missing cells (NaN) included.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Rows with missing cells as NaN (missing at random).
        y : None
            Ignored.

        Returns
        -------
        self : object
        """
        self._validate_params()
        X = self._validate(X, reset=True)
        if self.estimator is None:
            from .classical import GaussianMixture

            seed = check_random_state(self.random_state).randint(2**31 - 1)
            estimator = GaussianMixture(1, random_state=seed)
        else:
            estimator = clone(self.estimator)
        self.estimator_ = estimator.fit(X)
        return self

    def transform(self, X):
        """Fill the missing cells of ``X`` from the fitted density's conditionals.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        X_filled : ndarray or DataFrame of shape (n_samples, n_features)
            ``X`` with every NaN replaced; observed cells unchanged. A
            DataFrame of a mixed table stays a DataFrame with its dtypes.
        """
        check_is_fitted(self)
        X = self._validate(X, reset=False)
        rng = check_random_state(self.random_state)
        if isinstance(X, pd.DataFrame):
            return self._transform_frame(X, rng)
        X = np.array(X, dtype=np.float64)
        rows = np.flatnonzero(np.isnan(X).any(axis=1))
        if rows.size == 0:
            return X
        if self.strategy == "sample":
            X[rows] = np.asarray(self.estimator_.sample(given=X[rows], random_state=rng))
            return X
        params = _gaussian_parameters(self.estimator_)
        if params is not None and (self.strategy == "mean" or params[0].size == 1):
            return self._fill_closed_form(X, rows, params)
        for i in rows:
            miss = np.isnan(X[i])
            if miss.all():  # nothing observed: the summary of the density itself
                X[i] = self._summary(self.estimator_, rng)
            else:
                X[i, miss] = self._summary(self.estimator_.conditional(X[i]), rng)
        return X

    def _fill_closed_form(self, X, rows, params):
        """Conditional means of a Gaussian (mixture), one missingness pattern at a time."""
        weights, means, covs = params
        patterns, which = np.unique(np.isnan(X[rows]), axis=0, return_inverse=True)
        for p, missing in enumerate(patterns):
            idx = rows[which.ravel() == p]
            if missing.all():
                X[np.ix_(idx, missing)] = weights @ means
                continue
            X[np.ix_(idx, missing)] = gaussian_mixture_conditional_mean(
                weights, means, covs, ~missing, X[np.ix_(idx, ~missing)])
        return X

    def _summary(self, density, rng):
        """Mean, median or mode of a fitted (conditional) density, as a 1-D array."""
        mean = _conditional_mean(density)
        gaussian = mean is not None and not hasattr(density, "weights_")
        if self.strategy == "mean" and mean is not None:
            return mean
        if self.strategy in ("median", "mode") and gaussian:
            return mean  # symmetric and unimodal
        draws = np.asarray(density.sample(self.n_samples, random_state=rng), dtype=np.float64)
        if self.strategy == "mean":
            return draws.mean(axis=0)
        if self.strategy == "median":
            return np.median(draws, axis=0)
        candidates = draws
        if getattr(density, "means_", None) is not None:
            candidates = np.vstack([np.asarray(density.means_), draws])
        return candidates[np.argmax(density.score_samples(candidates))]

    def _transform_frame(self, X, rng):
        """Mixed tables: conditional draws by ``sample(given=...)``, then summaries."""
        X = X.copy()
        rows = np.flatnonzero(X.isna().any(axis=1).to_numpy())
        if rows.size == 0:
            return X
        given = X.iloc[rows]
        m = 1 if self.strategy == "sample" else self.n_samples
        draws = self.estimator_.sample(given=given.iloc[np.repeat(np.arange(len(rows)), m)],
                                       random_state=rng)
        draws = pd.DataFrame(draws).reset_index(drop=True)
        draws.columns = X.columns
        group = np.repeat(np.arange(len(rows)), m)
        if m == 1:
            filled = draws
        else:
            parts = {}
            for name in X.columns:
                col = draws[name]
                if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
                    by = col.astype(np.float64).groupby(group)
                    parts[name] = by.median() if self.strategy == "median" else by.mean()
                else:
                    parts[name] = col.groupby(group).agg(
                        lambda s: s.value_counts().index[0])
            filled = pd.DataFrame(parts)
        missing = given.isna().to_numpy()
        for j, name in enumerate(X.columns):
            hit = missing[:, j]
            if hit.any():
                values = filled[name].to_numpy()[hit]
                if pd.api.types.is_integer_dtype(X[name].dtype):
                    values = np.round(values.astype(np.float64))
                X.iloc[rows[hit], j] = pd.array(values).astype(X[name].dtype) \
                    if not isinstance(X[name].dtype, pd.CategoricalDtype) else values
        return X

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags
