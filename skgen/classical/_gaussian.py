"""A single multivariate normal fitted by maximum likelihood."""

import warnings
from numbers import Real

import numpy as np
from scipy import linalg
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval, StrOptions

from ..base import BaseGenerative, ExactQuestionsMixin
from ..utils import gen_batches_by_memory

__all__ = ["Gaussian"]

_LOG_2PI = np.log(2 * np.pi)
# EM on rows with missing values: at most this many iterations, stopped when
# the mean log-likelihood per row changes by less than the tolerance. EM with
# missing values converges linearly, slowly on many columns: at 1e-6 nat per
# row the fit is within about 1e-4 nat of the maximum (breast cancer, 30% of
# cells missing: 264 iterations; 1e-10 had not converged after 1,000).
_EM_MAX_ITER = 1000
_EM_TOL = 1e-6


def _gaussian_log_density_chol(X, mean, chol):
    """Log-density of rows of ``X`` under ``N(mean, L L^T)``.

    Parameters
    ----------
    X : ndarray of shape (n, d)
    mean : ndarray of shape (d,)
    chol : ndarray of shape (d, d), lower-triangular Cholesky factor ``L``.

    Returns
    -------
    ndarray of shape (n,)
    """
    z = linalg.solve_triangular(chol, (X - mean).T, lower=True)
    half_logdet = np.sum(np.log(np.diag(chol)))
    return -0.5 * (X.shape[1] * _LOG_2PI + np.sum(z**2, axis=0)) - half_logdet


def _scatter(X):
    """``sum (x - mean)(x - mean)^T`` over the rows of ``X``, shape (d, d)."""
    centered = X - X.mean(axis=0)
    return centered.T @ centered


def _combine_moments(a, b):
    """Count, mean and scatter matrix of two batches together (Chan et al., 1979).

    Parameters
    ----------
    a, b : tuple (n, mean, scatter)
        ``n`` rows, their mean of shape (d,) and ``sum (x - mean)(x - mean)^T``
        of shape (d, d).

    Returns
    -------
    tuple (n, mean, scatter)
    """
    n_a, mean_a, scatter_a = a
    n_b, mean_b, scatter_b = b
    n = n_a + n_b
    delta = mean_b - mean_a
    mean = mean_a + delta * (n_b / n)
    scatter = scatter_a + scatter_b + np.outer(delta, delta) * (n_a * n_b / n)
    return n, mean, scatter


class Gaussian(ExactQuestionsMixin, BaseGenerative):
    """Multivariate normal density with maximum-likelihood mean and covariance.

    Parameters
    ----------
    covariance_type : {"full", "diag", "spherical"}, default="full"
        ``"full"``: any covariance matrix; ``"diag"``: independent features,
        one variance each; ``"spherical"``: one variance shared by all
        features.
    reg_covar : float, default=1e-6
        Added to the diagonal of the covariance, so that it stays positive
        definite on degenerate data. ``0`` gives the exact MLE.
    random_state : int, RandomState instance or None, default=None
        Seed for :meth:`sample`.

    Attributes
    ----------
    mean_ : ndarray of shape (n_features,)
        Sample mean.
    covariance_ : ndarray of shape (n_features, n_features)
        The fitted covariance as a full matrix, whatever ``covariance_type``.
    n_iter_ : int
        EM iterations when ``X`` had missing values (NaN); 0 otherwise.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Feature names, when ``X`` had string column names.
    n_samples_seen_ : int
        Rows seen by ``fit`` and the ``partial_fit`` calls since.

    Notes
    -----
    Missing values (NaN) are unobserved entries. ``score_samples`` gives each
    row the exact log-density of its observed entries (the marginal: drop
    rows and columns of the covariance); ``fit`` finds the maximum-likelihood
    mean and covariance under missing-at-random by EM (conditional means of
    the missing entries plus the Schur complement in the second moments),
    started from the observed means and variances. :meth:`marginal` and
    :meth:`conditional` return Gaussians.

    See Also
    --------
    skgen.classical.GaussianMixture : several Gaussians.

    Examples
    --------
    >>> import numpy as np
    >>> from skgen.classical import Gaussian
    >>> X = np.random.RandomState(0).normal(size=(500, 2))
    >>> g = Gaussian(covariance_type="diag").fit(X)
    >>> g.mean_.round(1)
    array([-0.1, -0. ])
    >>> g.sample(3, random_state=0).shape
    (3, 2)

    Chunk by chunk (running sufficient statistics), the same model:

    >>> g2 = Gaussian(covariance_type="diag")
    >>> for chunk in np.array_split(X, 10):
    ...     g2 = g2.partial_fit(chunk)
    >>> bool(np.allclose(g2.covariance_, g.covariance_, rtol=1e-12))
    True
    """

    _parameter_constraints = {
        "covariance_type": [StrOptions({"full", "diag", "spherical"})],
        "reg_covar": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(self, *, covariance_type="full", reg_covar=1e-6, random_state=None):
        self.covariance_type = covariance_type
        self.reg_covar = reg_covar
        self.random_state = random_state

    def partial_fit(self, X, y=None):
        """Update the fit with a chunk of complete rows (running sufficient statistics).

        The count, mean and scatter matrix of all rows seen are merged with
        those of ``X`` (Chan's parallel update), so ``partial_fit`` over
        chunks gives the model of ``fit`` on their concatenation, to rounding.
        After ``fit`` (on complete rows), ``partial_fit`` continues from the
        rows ``fit`` saw. :class:`dask_ml.wrappers.Incremental` calls it
        once per block of a Dask collection.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            A chunk of training rows, without NaN; later chunks must have the
            columns of the first.
        y : None
            Ignored.

        Returns
        -------
        self : Gaussian
        """
        first = not hasattr(self, "n_samples_seen_")
        return self._fit_with(self._partial_fit, X, y, reset=first)

    def _partial_fit(self, X, y):
        if np.isnan(X).any():
            raise ValueError("partial_fit needs complete rows (no NaN); fit with all "
                             "rows at once runs EM with missing values.")
        moments = (X.shape[0], X.mean(axis=0), _scatter(X))
        if hasattr(self, "n_samples_seen_"):
            if not hasattr(self, "_scatter"):
                raise ValueError(
                    "This Gaussian was fit on rows with missing values (EM): it keeps "
                    "no sufficient statistics to update. Call fit again with all rows, "
                    "or start partial_fit afresh on a clone.")
            moments = _combine_moments(
                (self.n_samples_seen_, self.mean_, self._scatter), moments)
        self.n_samples_seen_, self.mean_, self._scatter = moments
        self.n_iter_ = 0
        self._set_covariance(self._covariance_from_scatter())

    def _covariance_from_scatter(self):
        n, d = self.n_samples_seen_, self.mean_.size
        if self.covariance_type == "full":
            cov = self._scatter / n
        elif self.covariance_type == "diag":
            cov = np.diag(np.diag(self._scatter) / n)
        else:
            cov = np.eye(d) * (np.trace(self._scatter) / (n * d))
        return cov + self.reg_covar * np.eye(d)

    def _fit(self, X, y):
        self.n_iter_ = 0
        self.n_samples_seen_ = X.shape[0]
        if np.isnan(X).any():
            self.__dict__.pop("_scatter", None)  # no sufficient statistics to update
            return self._set_covariance(self._fit_missing(X))
        self.mean_, self._scatter = X.mean(axis=0), _scatter(X)
        return self._set_covariance(self._covariance_from_scatter())

    def _set_covariance(self, cov):
        try:
            chol = linalg.cholesky(cov, lower=True)
        except linalg.LinAlgError:
            chol = None
        if chol is None or not np.all(np.diag(chol) > 0):
            raise ValueError(
                "The covariance matrix is singular (features are linearly dependent "
                "or constant). Increase reg_covar, drop redundant features, or use "
                "covariance_type='diag'."
            )
        self.covariance_ = cov
        self._chol = chol
        return self

    def _fit_missing(self, X):
        """EM under missing-at-random; sets ``mean_`` and returns the covariance."""
        check_observed_columns(X)
        mean = np.nanmean(X, axis=0)
        var = np.nanvar(X, axis=0) + self.reg_covar
        covs = _project_covariances(np.diag(var)[None], np.ones(1), self.covariance_type,
                                    0.0)
        _, means, covs, converged, self.n_iter_, _ = mixture_em_missing(
            X, np.ones(1), mean[None], covs, covariance_type=self.covariance_type,
            reg_covar=self.reg_covar, max_iter=_EM_MAX_ITER, tol=_EM_TOL)
        if not converged:
            warnings.warn(
                f"EM on the rows with missing values did not converge in {_EM_MAX_ITER} "
                f"iterations (the mean log-likelihood still changed by more than "
                f"{_EM_TOL:g} per row); the fit is the last iterate.", ConvergenceWarning,
                stacklevel=4)
        self.mean_ = means[0]
        return covs[0]

    def _score_samples(self, X, y):
        if np.isnan(X).any():
            return mixture_score_missing(np.ones(1), self.mean_[None], self.covariance_[None], X)
        out = np.empty(X.shape[0])
        # (X - mean) and its whitened copy: bounded working memory per chunk
        for rows in gen_batches_by_memory(X.shape[0], 3 * 8 * X.shape[1]):
            out[rows] = _gaussian_log_density_chol(X[rows], self.mean_, self._chol)
        return out

    def _marginal(self, cols):
        return _gaussian_like(self, self.mean_[cols], self.covariance_[np.ix_(cols, cols)])

    def _conditional(self, A, B, a):
        mean, cov = gaussian_conditional(self.mean_, self.covariance_, A, B, a[None, :])
        return _gaussian_like(self, mean[0], cov, covariance_type="full")

    def _sample_given_pattern(self, A, B, a, rng):
        return mixture_sample_given(np.ones(1), self.mean_[None], self.covariance_[None],
                                    A, B, a, rng)

    def _sample(self, n_samples, rng, y):
        z = rng.standard_normal(size=(n_samples, self.mean_.size))
        return self.mean_ + z @ self._chol.T


def _gaussian_like(template, mean, cov, **params):
    """A fitted :class:`Gaussian` ``N(mean, cov)`` with ``template``'s parameters."""
    from ._conditioning import _chol

    g = Gaussian(**{**template.get_params(), **params})
    g.mean_, g.covariance_, g._chol, g.n_iter_ = mean, cov, _chol(cov), 0
    return g


from ._conditioning import (  # noqa: E402  (they import this module's density)
    _project_covariances,
    check_observed_columns,
    gaussian_conditional,
    mixture_em_missing,
    mixture_sample_given,
    mixture_score_missing,
)
