"""scikit-learn's Gaussian mixture under skgen's sampling contract."""

from numbers import Integral, Real

import numpy as np
from sklearn import mixture as _sk_mixture
from sklearn.utils._param_validation import Interval, StrOptions

from ..base import BaseGenerative, ExactQuestionsMixin
from ..utils import gen_batches_by_memory
from ._conditioning import (
    check_observed_columns,
    mixture_conditional,
    mixture_em_missing,
    mixture_sample_given,
    mixture_score_missing,
)

__all__ = ["GaussianMixture"]


def _full_covariances(gm):
    """Per-component full covariance matrices of a fitted scikit-learn mixture.

    Returns
    -------
    ndarray of shape (n_components, n_features, n_features)
    """
    k, d = gm.means_.shape
    cov = gm.covariances_
    if gm.covariance_type == "full":
        return cov
    if gm.covariance_type == "tied":
        return np.broadcast_to(cov, (k, d, d))
    if gm.covariance_type == "diag":
        return np.einsum("kd,de->kde", cov, np.eye(d))
    return cov[:, None, None] * np.eye(d)


def _set_mixture_parameters(gm, weights, means, covs):
    """Put full covariances ``covs`` into the fitted scikit-learn mixture ``gm``."""
    from sklearn.mixture._gaussian_mixture import _compute_precision_cholesky

    shaped = {"full": covs, "tied": covs[0] if len(covs) else covs,
              "diag": np.einsum("kdd->kd", covs),
              "spherical": np.einsum("kdd->k", covs) / covs.shape[1]}[gm.covariance_type]
    gm._set_parameters((weights, means, shaped,
                        _compute_precision_cholesky(shaped, gm.covariance_type)))


def _mixture_like(template, weights, means, covs):
    """A fitted full-covariance :class:`GaussianMixture` with these parameters.

    Components of weight zero (to rounding) are dropped.
    """
    keep = weights > 1e-300
    weights, means, covs = weights[keep] / weights[keep].sum(), means[keep], covs[keep]
    base = (template.get_params() if isinstance(template, GaussianMixture)
            else {"random_state": getattr(template, "random_state", None)})
    params = {**base, "n_components": int(weights.size), "covariance_type": "full"}
    out = GaussianMixture(**params)
    gm = _sk_mixture.GaussianMixture(**params)
    _set_mixture_parameters(gm, weights, means, covs)
    gm.n_features_in_ = means.shape[1]
    gm.converged_, gm.n_iter_, gm.lower_bound_ = True, 0, np.nan
    out.mixture_ = gm
    for name in ("weights_", "means_", "covariances_", "converged_", "n_iter_",
                 "lower_bound_"):
        setattr(out, name, getattr(gm, name))
    out._chols = np.linalg.cholesky(covs)
    return out


class GaussianMixture(ExactQuestionsMixin, BaseGenerative):
    """Gaussian mixture fitted by scikit-learn's EM, with skgen's protocol.

    Fitting is delegated to :class:`sklearn.mixture.GaussianMixture`; the
    differences are in the protocol: :meth:`score` is the mean log-likelihood,
    :meth:`sample` returns only ``X`` with rows in random order (not grouped by
    component), honours a per-call ``random_state``, and returns a DataFrame
    when fit on one.

    Parameters
    ----------
    n_components : int, default=1
        Number of mixture components.
    covariance_type : {"full", "tied", "diag", "spherical"}, default="full"
        Covariance structure of the components.
    tol : float, default=1e-3
        EM convergence threshold on the lower bound.
    reg_covar : float, default=1e-6
        Non-negative regularization added to the covariance diagonals.
    max_iter : int, default=100
        Maximum EM iterations per initialization.
    n_init : int, default=1
        Number of initializations; the best is kept.
    init_params : {"kmeans", "k-means++", "random", "random_from_data"}, default="kmeans"
        Initialization of the responsibilities.
    random_state : int, RandomState instance or None, default=None
        Seed for initialization and for :meth:`sample`.

    Attributes
    ----------
    weights_ : ndarray of shape (n_components,)
    means_ : ndarray of shape (n_components, n_features)
    covariances_ : ndarray
        As in scikit-learn (shape depends on ``covariance_type``).
    converged_ : bool
    n_iter_ : int
    lower_bound_ : float
    mixture_ : sklearn.mixture.GaussianMixture
        The fitted scikit-learn model.
    n_features_in_ : int
        Number of features seen during fit.

    Notes
    -----
    Missing values (NaN) are unobserved entries. ``score_samples`` gives each
    row the exact log-density of its observed entries (each component's
    covariance loses the missing rows and columns). ``fit`` on rows with NaN
    starts from scikit-learn's fit to the mean-imputed data, then runs EM for
    missing-at-random data (``max_iter``, ``tol`` on the mean log-likelihood
    per row): per component, the missing entries get their conditional mean
    and the second moments the conditional covariance. Without NaN ``fit`` is
    scikit-learn's. :meth:`marginal` keeps the weights and drops coordinates
    of the components; :meth:`conditional` reweights the components by the
    density of the observed values and conditions each; both are
    full-covariance mixtures.

    See Also
    --------
    sklearn.mixture.GaussianMixture : the model this wraps.

    Examples
    --------
    >>> import numpy as np
    >>> from skgen.classical import GaussianMixture
    >>> rng = np.random.RandomState(0)
    >>> X = np.vstack([rng.normal(-3, 1, (200, 1)), rng.normal(3, 1, (200, 1))])
    >>> gm = GaussianMixture(n_components=2, random_state=0).fit(X)
    >>> np.sort(gm.means_.ravel()).round(1)
    array([-2.9,  2.9])
    >>> gm.sample(4, random_state=1).shape
    (4, 1)
    """

    _parameter_constraints = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "covariance_type": [StrOptions({"full", "tied", "diag", "spherical"})],
        "tol": [Interval(Real, 0, None, closed="left")],
        "reg_covar": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 0, None, closed="left")],
        "n_init": [Interval(Integral, 1, None, closed="left")],
        "init_params": [
            StrOptions({"kmeans", "random", "random_from_data", "k-means++"})
        ],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        n_components=1,
        *,
        covariance_type="full",
        tol=1e-3,
        reg_covar=1e-6,
        max_iter=100,
        n_init=1,
        init_params="kmeans",
        random_state=None,
    ):
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.tol = tol
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.random_state = random_state

    def _fit(self, X, y):
        if X.shape[0] < self.n_components:
            raise ValueError(
                f"n_components={self.n_components} needs at least as many rows; "
                f"got n_samples={X.shape[0]}."
            )
        missing = np.isnan(X).any()
        if missing:
            check_observed_columns(X)
        gm = _sk_mixture.GaussianMixture(**self.get_params())
        gm.fit(np.where(np.isnan(X), np.nanmean(X, axis=0), X) if missing else X)
        if missing:
            weights, means, covs, converged, n_iter, lower = mixture_em_missing(
                X, gm.weights_, gm.means_, _full_covariances(gm),
                covariance_type=self.covariance_type, reg_covar=self.reg_covar,
                max_iter=self.max_iter, tol=self.tol)
            _set_mixture_parameters(gm, weights, means, covs)
            gm.converged_, gm.n_iter_, gm.lower_bound_ = converged, n_iter, lower
        self.mixture_ = gm
        for name in ("weights_", "means_", "covariances_", "converged_", "n_iter_",
                     "lower_bound_"):
            setattr(self, name, getattr(gm, name))
        self._chols = np.linalg.cholesky(_full_covariances(gm))
        return self

    def _score_samples(self, X, y):
        if np.isnan(X).any():
            return mixture_score_missing(*self._gaussian_parameters(), X)
        # scikit-learn's scorer builds several (rows, n_components) and
        # (rows, n_features) arrays: chunks of rows within skgen.config's budget
        k, d = self.weights_.size, X.shape[1]
        out = np.empty(X.shape[0])
        for rows in gen_batches_by_memory(X.shape[0], 8 * (8 * k + 4 * d)):
            out[rows] = self.mixture_.score_samples(X[rows])
        return out

    def _information_criterion(self, X, name):
        """``-2 log L + penalty``: scikit-learn's ``bic``/``aic`` on chunked scores."""
        X = self._validate_X(X, reset=False)
        if np.isnan(X).any():  # scikit-learn's criteria refuse missing values, with its error
            return getattr(self.mixture_, name)(X)
        n = X.shape[0]
        penalty = self.mixture_._n_parameters() * (np.log(n) if name == "bic" else 2)
        return -2 * self._score_samples(X, None).mean() * n + penalty

    def _gaussian_parameters(self):
        return self.weights_, self.means_, _full_covariances(self.mixture_)

    def _marginal(self, cols):
        weights, means, covs = self._gaussian_parameters()
        return _mixture_like(self, weights, means[:, cols], covs[:, cols][:, :, cols])

    def _conditional(self, A, B, a):
        return _mixture_like(self, *mixture_conditional(*self._gaussian_parameters(), A, B, a))

    def _sample_given_pattern(self, A, B, a, rng):
        return mixture_sample_given(*self._gaussian_parameters(), A, B, a, rng)

    def _sample(self, n_samples, rng, y):
        labels = rng.choice(self.weights_.size, size=n_samples, p=self.weights_)
        z = rng.standard_normal(size=(n_samples, self.means_.shape[1]))
        out = np.empty_like(z)
        for k in np.unique(labels):
            rows = labels == k
            out[rows] = self.means_[k] + z[rows] @ self._chols[k].T
        return out

    def bic(self, X):
        """Bayesian information criterion on ``X`` (lower is better).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        bic : float
        """
        return self._information_criterion(X, "bic")

    def aic(self, X):
        """Akaike information criterion on ``X`` (lower is better).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        aic : float
        """
        return self._information_criterion(X, "aic")
