"""Linear latent-variable models: probabilistic PCA and factor analysis.

Both are ``x = W^T z + mean + noise`` with ``z ~ N(0, I_k)``: a Gaussian with
a low-rank-plus-diagonal covariance ``C = W^T W + Psi``. Probabilistic PCA
has isotropic noise ``Psi = sigma^2 I`` and a closed-form maximum-likelihood
fit; factor analysis has one noise variance per feature.
"""

from numbers import Integral, Real

import numpy as np
from scipy import linalg
from sklearn import decomposition as _sk_decomposition
from sklearn.base import ClassNamePrefixFeaturesOutMixin
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_array, check_is_fitted

from ..base import BaseGenerative, ExactQuestionsMixin, LatentMixin
from ..utils import gen_batches_by_memory
from ._conditioning import gaussian_conditional, mixture_sample_given, mixture_score_missing

__all__ = ["FactorAnalysis", "ProbabilisticPCA"]

_LOG_2PI = np.log(2 * np.pi)


def _ppca_log_density(X, mean, axes, variances, noise_variance):
    """Log-density under probabilistic PCA, from its eigen-decomposition.

    The covariance is ``axes.T @ diag(variances) @ axes`` on the principal
    subspace plus ``noise_variance`` on its orthogonal complement.

    Parameters
    ----------
    X : ndarray of shape (n, d)
    mean : ndarray of shape (d,)
    axes : ndarray of shape (k, d), orthonormal rows.
    variances : ndarray of shape (k,), eigenvalues of the covariance on the axes.
    noise_variance : float, the remaining ``d - k`` eigenvalues (unused if k == d).

    Returns
    -------
    ndarray of shape (n,)
    """
    d, k = X.shape[1], axes.shape[0]
    Xc = X - mean
    proj = Xc @ axes.T
    maha = np.sum(proj**2 / variances, axis=1)
    log_det = np.sum(np.log(variances))
    if k < d:
        resid = Xc - proj @ axes
        maha = maha + np.sum(resid**2, axis=1) / noise_variance
        log_det = log_det + (d - k) * np.log(noise_variance)
    return -0.5 * (d * _LOG_2PI + log_det + maha)


def _lowrank_diag_log_density(X, mean, W, psi):
    """Log-density under ``N(mean, W.T @ W + diag(psi))``, in noise-whitened units.

    With ``D = diag(sqrt(psi))`` the covariance is ``D (Ws.T Ws + I) D``,
    ``Ws = W D^-1 = U S V`` (thin SVD), so the Mahalanobis term splits into the
    residual off the rows of ``V`` plus ``sum (V xs)^2 / (1 + S^2)``. Both are
    sums of squares: no large terms cancel, however small ``psi`` is against
    the loadings (the Woodbury form subtracts two such terms).

    Parameters
    ----------
    X : ndarray of shape (n, d)
    mean : ndarray of shape (d,)
    W : ndarray of shape (k, d), loadings.
    psi : ndarray of shape (d,), positive noise variances.

    Returns
    -------
    ndarray of shape (n,)
    """
    d = X.shape[1]
    sd = np.sqrt(psi)
    Xs = (X - mean) / sd
    _, S, V = linalg.svd(W / sd, full_matrices=False)
    proj = Xs @ V.T
    resid = Xs - proj @ V
    maha = np.sum(resid**2, axis=1) + np.sum(proj**2 / (1.0 + S**2), axis=1)
    log_det = 2.0 * np.sum(np.log(sd)) + np.sum(np.log1p(S**2))
    return -0.5 * (d * _LOG_2PI + log_det + maha)


def _feature_scales(X):
    """Per-feature standard deviations; 1 for constant features.

    Returns
    -------
    ndarray of shape (d,)
    """
    std = X.std(axis=0)
    return np.where(std > np.finfo(np.float64).eps * np.abs(X.mean(axis=0)), std, 1.0)


class _LinearGaussianLatent(ClassNamePrefixFeaturesOutMixin, ExactQuestionsMixin, LatentMixin,
                            BaseGenerative):
    """Shared parts: decoding, sampling, the implied covariance, missing values.

    Both models are Gaussians of covariance ``W^T W + Psi``: NaN entries are
    marginalized exactly (``score_samples`` of the observed entries),
    :meth:`marginal` keeps the model's form on the kept columns, and
    :meth:`conditional` returns a full-covariance
    :class:`~skgen.classical.Gaussian` (the Schur complement). ``fit`` and
    ``transform`` refuse NaN.
    """

    def _validate_X(self, X, *, reset):
        X = super()._validate_X(X, reset=reset)
        if reset:
            self._check_no_nan(X, "fit")
        return X

    def _check_no_nan(self, X, what):
        if np.isnan(X).any():
            raise ValueError(
                f"Input X contains NaN. {type(self).__name__} marginalizes missing "
                f"values in score_samples but cannot {what} them; fit "
                "skgen.classical.Gaussian or GaussianMixture (EM with missing values), "
                "or impute first."
            )

    def _score_missing_or(self, X, score):
        if np.isnan(X).any():
            return mixture_score_missing(np.ones(1), self.mean_[None],
                                         self.get_covariance()[None], X)
        # centred, projected and residual copies of each chunk of rows
        out = np.empty(X.shape[0])
        for rows in gen_batches_by_memory(X.shape[0], 8 * 5 * X.shape[1]):
            out[rows] = score(X[rows])
        return out

    def _conditional(self, A, B, a):
        from ._gaussian import _gaussian_like, Gaussian

        mean, cov = gaussian_conditional(self.mean_, self.get_covariance(), A, B, a[None, :])
        return _gaussian_like(Gaussian(random_state=self.random_state), mean[0], cov)

    def _sample_given_pattern(self, A, B, a, rng):
        return mixture_sample_given(np.ones(1), self.mean_[None], self.get_covariance()[None],
                                    A, B, a, rng)

    def _check_two_samples(self, X):
        if X.shape[0] < 2:
            raise ValueError(
                f"{type(self).__name__} needs at least 2 samples to estimate a "
                f"covariance, got n_samples = {X.shape[0]}."
            )

    def _noise_diagonal(self):
        return np.broadcast_to(self.noise_variance_, self.mean_.shape)

    def get_covariance(self):
        """The model's covariance ``components_.T @ components_ + Psi``.

        Returns
        -------
        cov : ndarray of shape (n_features, n_features)
        """
        check_is_fitted(self)
        W = self.components_
        return W.T @ W + np.diag(self._noise_diagonal())

    def get_precision(self):
        """The inverse of :meth:`get_covariance`.

        Returns
        -------
        precision : ndarray of shape (n_features, n_features)
        """
        return linalg.pinvh(self.get_covariance())

    def _check_latent(self, Z):
        check_is_fitted(self)
        Z = check_array(Z, dtype=np.float64, input_name="Z")
        if Z.shape[1] != self.n_components_:
            raise ValueError(
                f"Z has {Z.shape[1]} latent coordinates, but {type(self).__name__} "
                f"has n_components_={self.n_components_}."
            )
        return Z

    def inverse_transform(self, Z):
        """Decode latent coordinates to the mean of ``p(x | z)``: ``Z @ components_ + mean_``.

        Parameters
        ----------
        Z : array-like of shape (n_samples, n_components_)

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
        """
        Z = self._check_latent(Z)
        return Z @ self.components_ + self.mean_

    def _sample(self, n_samples, rng, y):
        z = rng.standard_normal(size=(n_samples, self.n_components_))
        noise = rng.standard_normal(size=(n_samples, self.mean_.size))
        return self.mean_ + z @ self.components_ + noise * np.sqrt(self._noise_diagonal())

    @property
    def _n_features_out(self):
        return self.n_components_


class ProbabilisticPCA(_LinearGaussianLatent):
    """Probabilistic PCA: a Gaussian with ``k`` principal axes and isotropic noise.

    The model of Tipping and Bishop: ``z ~ N(0, I_k)``,
    ``x = z @ components_ + mean_ + e`` with ``e ~ N(0, sigma^2 I)``. Its
    maximum-likelihood fit is closed form: with ``lambda_1 >= ... >= lambda_d``
    the eigenvalues of the sample covariance (divided by ``n``, the MLE) and
    ``u_j`` its eigenvectors, ``sigma^2`` is the mean of the discarded
    eigenvalues and the loadings are ``sqrt(lambda_j - sigma^2) u_j``. The
    eigen-decomposition is scikit-learn's :class:`~sklearn.decomposition.PCA`.

    Unlike scikit-learn's ``PCA``, which scores but cannot sample, this model
    has :meth:`sample`, and :meth:`transform` is the posterior mean of the
    latent variable. Two conventions differ from ``PCA.score_samples``: the
    covariance is the MLE (divided by ``n``, not ``n - 1``), and the noise
    variance averages the ``d - k`` discarded eigenvalues (scikit-learn
    averages ``min(n, d) - k`` of them).

    Parameters
    ----------
    n_components : int or None, default=None
        Latent dimension ``k``; ``None`` keeps all ``n_features``, which is a
        full-covariance Gaussian (``sigma^2 = 0``).
    svd_solver : {"auto", "full", "covariance_eigh", "arpack", "randomized"}, \
            default="full"
        Passed to :class:`~sklearn.decomposition.PCA`.
    random_state : int, RandomState instance or None, default=None
        Seed for the randomized solver and for :meth:`sample`.

    Attributes
    ----------
    components_ : ndarray of shape (n_components_, n_features)
        The loadings ``W``: row ``j`` is ``sqrt(lambda_j - sigma^2) u_j``.
    explained_variance_ : ndarray of shape (n_components_,)
        The kept eigenvalues ``lambda_j`` of the MLE covariance.
    noise_variance_ : float
        ``sigma^2``, the mean of the discarded eigenvalues.
    mean_ : ndarray of shape (n_features,)
        Sample mean.
    n_components_ : int
        Latent dimension.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Feature names, when ``X`` had string column names.

    See Also
    --------
    FactorAnalysis : one noise variance per feature.
    sklearn.decomposition.PCA : the eigen-decomposition used to fit.

    References
    ----------
    M. E. Tipping and C. M. Bishop, "Probabilistic principal component
    analysis", J. R. Statist. Soc. B 61(3), 1999.

    Examples
    --------
    >>> import numpy as np
    >>> from skgen.classical import ProbabilisticPCA
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(500, 1)) @ [[3.0, 2.0, 1.0]] + 0.1 * rng.normal(size=(500, 3))
    >>> ppca = ProbabilisticPCA(n_components=1).fit(X)
    >>> round(ppca.noise_variance_, 3)  # the true noise variance is 0.01
    0.01
    >>> ppca.transform(X[:2]).shape, ppca.sample(4, random_state=0).shape
    ((2, 1), (4, 3))
    """

    _parameter_constraints = {
        "n_components": [Interval(Integral, 1, None, closed="left"), None],
        "svd_solver": [StrOptions({"auto", "full", "covariance_eigh", "arpack", "randomized"})],
        "random_state": ["random_state"],
    }

    def __init__(self, n_components=None, *, svd_solver="full", random_state=None):
        self.n_components = n_components
        self.svd_solver = svd_solver
        self.random_state = random_state

    def _fit(self, X, y):
        self._check_two_samples(X)
        n, d = X.shape
        k = d if self.n_components is None else self.n_components
        if k > min(n, d):
            raise ValueError(
                f"n_components={k} must be at most min(n_samples, n_features) = "
                f"{min(n, d)}."
            )
        pca = _sk_decomposition.PCA(
            n_components=k, svd_solver=self.svd_solver, random_state=self.random_state
        ).fit(X)
        variances = pca.explained_variance_ * (n - 1) / n  # the MLE, divided by n
        Xc = X - pca.mean_
        if k < d:
            # The mean squared residual off the kept axes: a sum of squares,
            # accurate however small against the kept variances (their
            # difference from the total variance is not).
            resid = Xc - (Xc @ pca.components_.T) @ pca.components_
            noise = float(np.sum(resid**2)) / (n * (d - k))
            smallest = noise
        else:
            noise = 0.0
            smallest = float(variances[-1])
        # The rank is tested on standardized features: it does not depend on
        # their units, while the eigenvalues of features of very different
        # scales span any range.
        rank = np.linalg.matrix_rank(Xc / _feature_scales(X))
        if rank <= min(k, d - 1) or not smallest > 0:
            raise ValueError(
                "The data lie in a subspace of dimension at most "
                f"{k if k < d else d - 1}: the maximum-likelihood noise variance is "
                "zero and the density is singular. Use fewer components, drop "
                "redundant features, or add a little noise to the data."
            )
        self.mean_ = pca.mean_
        self.n_components_ = k
        self.explained_variance_ = variances
        self.noise_variance_ = noise
        self._axes = pca.components_
        scale = np.sqrt(np.maximum(variances - noise, 0.0))
        self.components_ = scale[:, None] * pca.components_
        return self

    def _score_samples(self, X, y):
        return self._score_missing_or(X, lambda X: _ppca_log_density(
            X, self.mean_, self._axes, self.explained_variance_, self.noise_variance_
        ))

    def _marginal(self, cols):
        # the kept block W_A^T W_A + sigma^2 I is again PPCA: SVD of the loadings
        _, S, Vt = linalg.svd(self.components_[:, cols], full_matrices=False)
        keep = S > 0 if self.noise_variance_ > 0 else np.ones(S.size, dtype=bool)
        S, Vt = S[keep], Vt[keep]
        out = ProbabilisticPCA(**{**self.get_params(), "n_components": int(S.size)})
        out.mean_ = self.mean_[cols]
        out.n_components_ = int(S.size)
        out.explained_variance_ = S**2 + self.noise_variance_
        out.noise_variance_ = self.noise_variance_
        out._axes = Vt
        out.components_ = S[:, None] * Vt
        return out

    def transform(self, X):
        """Posterior mean of the latent variable, ``E[z | x]``.

        ``E[z | x] = M^{-1} W (x - mean_)`` with ``M = W W^T + sigma^2 I``,
        which is diagonal with entries ``explained_variance_``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        Z : ndarray of shape (n_samples, n_components_)
        """
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        self._check_no_nan(X, "transform")
        return ((X - self.mean_) @ self.components_.T) / self.explained_variance_


class FactorAnalysis(_LinearGaussianLatent):
    """Factor analysis: ``k`` latent factors with one noise variance per feature.

    ``z ~ N(0, I_k)``, ``x = z @ components_ + mean_ + e`` with
    ``e ~ N(0, diag(noise_variance_))``. Fitted by maximum likelihood with
    scikit-learn's :class:`~sklearn.decomposition.FactorAnalysis` (SVD-based
    iterations) on standardized features, so that the fit does not depend on
    the units of each feature and no noise variance falls below ``1e-12``
    times its feature's variance; skgen adds :meth:`sample` and evaluates the
    exact log-density in ``O(n d k)`` in noise-whitened units.

    Parameters
    ----------
    n_components : int or None, default=None
        Number of factors ``k``, at most ``min(n_samples, n_features)``;
        ``None`` uses that maximum.
    tol : float, default=1e-2
        Stopping tolerance on the log-likelihood increase.
    max_iter : int, default=1000
        Maximum number of iterations.
    svd_method : {"lapack", "randomized"}, default="randomized"
        SVD used by the iterations.
    iterated_power : int, default=3
        Power iterations of the randomized SVD.
    rotation : {"varimax", "quartimax"} or None, default=None
        Rotation of the loadings (does not change the density).
    random_state : int, RandomState instance or None, default=None
        Seed for the randomized SVD and for :meth:`sample`.

    Attributes
    ----------
    components_ : ndarray of shape (n_components_, n_features)
        The loadings ``W``.
    noise_variance_ : ndarray of shape (n_features,)
        Per-feature noise variances.
    mean_ : ndarray of shape (n_features,)
        Sample mean.
    n_components_ : int
        Number of factors.
    n_iter_ : int
        Iterations run.
    loglike_ : list of float
        Total log-likelihood after each iteration (scikit-learn's trace).
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Feature names, when ``X`` had string column names.

    See Also
    --------
    ProbabilisticPCA : isotropic noise, closed-form fit.
    sklearn.decomposition.FactorAnalysis : the fitting routine used.

    Examples
    --------
    >>> import numpy as np
    >>> from skgen.classical import FactorAnalysis
    >>> rng = np.random.RandomState(0)
    >>> noise = rng.normal(size=(500, 3)) * [0.5, 0.7, 1.0]
    >>> X = rng.normal(size=(500, 1)) @ [[3.0, 2.0, 1.0]] + noise
    >>> fa = FactorAnalysis(n_components=1, random_state=0).fit(X)
    >>> fa.noise_variance_.round(1)  # the true noise variances are 0.25, 0.49, 1
    array([0.3, 0.5, 0.9])
    >>> fa.sample(4, random_state=0).shape
    (4, 3)
    """

    _parameter_constraints = {
        "n_components": [Interval(Integral, 1, None, closed="left"), None],
        "tol": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "svd_method": [StrOptions({"lapack", "randomized"})],
        "iterated_power": [Interval(Integral, 0, None, closed="left")],
        "rotation": [StrOptions({"varimax", "quartimax"}), None],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        n_components=None,
        *,
        tol=1e-2,
        max_iter=1000,
        svd_method="randomized",
        iterated_power=3,
        rotation=None,
        random_state=None,
    ):
        self.n_components = n_components
        self.tol = tol
        self.max_iter = max_iter
        self.svd_method = svd_method
        self.iterated_power = iterated_power
        self.rotation = rotation
        self.random_state = random_state

    def _fit(self, X, y):
        self._check_two_samples(X)
        n, d = X.shape
        k = min(n, d) if self.n_components is None else self.n_components
        if k > min(n, d):
            raise ValueError(
                f"n_components={k} must be at most min(n_samples, n_features) = "
                f"{min(n, d)}."
            )
        # Fitted on standardized features: the model is equivariant to scaling
        # them, and scikit-learn's floor on the noise variances (1e-12) is then
        # relative to each feature's variance instead of absolute.
        scale = _feature_scales(X)
        fa = _sk_decomposition.FactorAnalysis(
            n_components=k,
            tol=self.tol,
            max_iter=self.max_iter,
            svd_method=self.svd_method,
            iterated_power=self.iterated_power,
            rotation=self.rotation,
            random_state=self.random_state,
        ).fit(X / scale)
        self.components_ = fa.components_ * scale
        self.noise_variance_ = fa.noise_variance_ * scale**2
        self.mean_ = fa.mean_ * scale
        self.n_components_ = self.components_.shape[0]
        self.n_iter_ = fa.n_iter_
        shift = n * float(np.sum(np.log(scale)))  # log-likelihood in the units of X
        self.loglike_ = [float(ll) - shift for ll in fa.loglike_]
        return self

    def _score_samples(self, X, y):
        return self._score_missing_or(X, lambda X: _lowrank_diag_log_density(
            X, self.mean_, self.components_, self.noise_variance_
        ))

    def _marginal(self, cols):
        out = FactorAnalysis(**self.get_params())
        out.components_ = self.components_[:, cols]
        out.noise_variance_ = self.noise_variance_[cols]
        out.mean_ = self.mean_[cols]
        out.n_components_ = self.n_components_
        out.n_iter_, out.loglike_ = self.n_iter_, []
        return out

    def transform(self, X):
        """Posterior mean of the factors, ``E[z | x]``.

        ``E[z | x] = (I + W Psi^{-1} W^T)^{-1} W Psi^{-1} (x - mean_)``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        Z : ndarray of shape (n_samples, n_components_)
        """
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        self._check_no_nan(X, "transform")
        W = self.components_
        W_psi = W / self.noise_variance_
        cov_z = np.eye(self.n_components_) + W_psi @ W.T
        return linalg.solve(cov_z, W_psi @ (X - self.mean_).T, assume_a="pos").T
