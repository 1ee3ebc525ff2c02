"""A single multivariate normal fitted by maximum likelihood."""

from numbers import Real

import numpy as np
from scipy import linalg
from sklearn.utils._param_validation import Interval, StrOptions

from ..base import BaseGenerative

__all__ = ["Gaussian"]

_LOG_2PI = np.log(2 * np.pi)


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


class Gaussian(BaseGenerative):
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
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Feature names, when ``X`` had string column names.

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

    def _fit(self, X, y):
        d = X.shape[1]
        self.mean_ = X.mean(axis=0)
        centered = X - self.mean_
        if self.covariance_type == "full":
            cov = centered.T @ centered / X.shape[0]
        elif self.covariance_type == "diag":
            cov = np.diag(np.mean(centered**2, axis=0))
        else:
            cov = np.eye(d) * np.mean(centered**2)
        cov = cov + self.reg_covar * np.eye(d)
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

    def _score_samples(self, X, y):
        return _gaussian_log_density_chol(X, self.mean_, self._chol)

    def _sample(self, n_samples, rng, y):
        z = rng.standard_normal(size=(n_samples, self.mean_.size))
        return self.mean_ + z @ self._chol.T
