"""TabularMixture: a mixture of products of per-column distributions, fitted by EM."""

import copy
import warnings
from numbers import Integral, Real

import numpy as np
from scipy.special import gammaln, log_ndtr, logsumexp
from sklearn.cluster import KMeans
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ..base import BaseGenerative, ExactQuestionsMixin
from ..utils import gen_batches_by_memory
from ._base import TabularMixin

__all__ = ["TabularMixture"]

_LOG_2PI = np.log(2 * np.pi)
#: Candidate numbers of components of ``n_components="auto"``, tried in order.
_AUTO_LADDER = (1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64)
#: Widest range of integers (max - min + 1) that ``counts="auto"`` may model
#: as categorical: codes and small scales (cylinders, ratings, model years).
#: A categorical count gives probability zero outside its training range, so
#: wider count columns keep a distribution over every integer.
_MAX_CATEGORICAL_SPAN = 12
#: Variance floor of a continuous column in a component, as a share of the
#: column's variance: keeps a component from collapsing onto one value.
_VARIANCE_FLOOR = 1e-3


def _discretized_normal_logpmf(k, mean, sd):
    """``log P(K = k)`` for ``K = round(N(mean, sd^2))``, computed on the tail away
    from the mean so that far-out integers keep their (tiny) probability."""
    a, b = (k - 0.5 - mean) / sd, (k + 0.5 - mean) / sd
    upper = a > 0  # both ends above the mean: use the upper tail, Phi(-a) - Phi(-b)
    lo, hi = np.where(upper, -b, a), np.where(upper, -a, b)
    log_hi, log_lo = log_ndtr(hi), log_ndtr(lo)
    with np.errstate(divide="ignore"):
        return log_hi + np.log1p(-np.exp(log_lo - log_hi))


def _one_dimensional_fit(values, counts, family, k=3, n_iter=60):
    """BIC of a ``k``-component 1-D mixture of ``family`` on integer ``values``
    with multiplicities ``counts`` (the choice of a count column's distribution)."""
    n = counts.sum()
    q = np.quantile(np.repeat(values, counts.astype(int)), (np.arange(k) + 0.5) / k)
    weights, means = np.full(k, 1 / k), q.astype(float)
    sds = np.full(k, max(np.sqrt(np.average((values - values.mean()) ** 2, weights=counts))
                         / k, 0.5))
    for _ in range(n_iter):
        if family == "poisson":
            rates = np.maximum(means, 1e-8)
            logp = values[:, None] * np.log(rates) - rates - gammaln(values[:, None] + 1)
        else:
            logp = _discretized_normal_logpmf(values[:, None], means, sds)
        joint = logp + np.log(weights)
        norm = logsumexp(joint, axis=1)
        resp = np.exp(joint - norm[:, None]) * counts[:, None]
        nk = resp.sum(0) + 1e-12
        weights = nk / nk.sum()
        means = (resp * values[:, None]).sum(0) / nk
        if family != "poisson":
            var = (resp * (values[:, None] - means) ** 2).sum(0) / nk - 1 / 12
            sds = np.sqrt(np.maximum(var, 0.0025))
    n_params = (2 if family == "poisson" else 3) * k - 1
    return -2 * float((norm * counts).sum()) + n_params * np.log(n)


def _categorical_bic(values, counts, alpha):
    """BIC of a categorical distribution over every integer from the smallest to
    the largest of ``values`` (smoothed by ``alpha``), on the same data."""
    size = int(values.max() - values.min()) + 1
    n = counts.sum()
    log_l = float(np.sum(counts * np.log((counts + alpha) / (n + alpha * size))))
    return -2 * log_l + (size - 1) * np.log(n)


def _add_statistics(a, b):
    """The sum of two sets of sufficient statistics (``_statistics``)."""
    out = {"n": a["n"] + b["n"], "discrete": [x + y for x, y in zip(a["discrete"],
                                                                   b["discrete"])]}
    for key in ("cont", "poisson", "int"):
        out[key] = tuple(x + y for x, y in zip(a[key], b[key]))
    return out


class TabularMixture(ExactQuestionsMixin, TabularMixin, BaseGenerative):
    """Mixture of products of per-column distributions for mixed-type tables.

    Each of ``n_components`` components treats the columns as independent:
    a Gaussian or log-normal density for each continuous column, a Poisson
    distribution for each count column, a Bernoulli for each boolean and a
    categorical distribution for each categorical column. The mixture
    captures the dependence between columns (it is the latent-class model
    of statistics, extended to mixed types), and is fitted by
    expectation-maximization.

    The log-likelihood is exact with respect to counting measure on the
    discrete columns times Lebesgue measure on the continuous ones. A
    missing cell (``NaN``, ``None`` or ``pd.NA``) is marginalized out
    exactly, since within a component a column's factor just drops out of
    the product: ``score_samples`` gives each row the log-probability of its
    observed cells, and ``fit`` runs EM on incomplete rows without imputing
    them, which is maximum likelihood when cells are missing at random.

    Parameters
    ----------
    n_components : int or "auto", default="auto"
        Number of mixture components. ``"auto"`` fits 1, 2, 3, 4, 6, 8, 12,
        ... components and keeps the number with the lowest BIC (stopping
        when BIC has risen twice in a row); cross-validated likelihood is
        ``GridSearchCV(TabularMixture(), {"n_components": [...]})``, since
        ``score`` is the held-out mean log-likelihood.
    column_types : dict of {column: str}, default=None
        Column types overriding those read from the dtypes (see
        :func:`infer_column_types`), e.g. ``{"zip_code": "categorical"}``.
    continuous : {"auto", "gaussian", "lognormal"}, default="auto"
        Distribution of the continuous columns within a component.
        ``"auto"`` chooses per column: log-normal when every training value
        is positive and a log-normal fits the column better than a Gaussian
        (by likelihood), otherwise Gaussian. A log-normal column gives
        ``-inf`` to a value at or below zero.
    counts : {"auto", "poisson", "discretized_normal", "categorical"}, default="auto"
        Distribution of the count (integer) columns within a component: a
        Poisson; a normal rounded to the nearest integer (free mean and
        variance, every integer in its support, negative ones included); or
        a categorical distribution over the integers from the training
        minimum to the training maximum (a value outside that range has
        probability zero, with a warning). ``"auto"`` chooses per column
        the lowest BIC of the column alone among a three-component Poisson
        mixture, a three-component discretized-normal mixture and, for
        ranges of at most 12 integers, the categorical: event counts come
        out Poisson, numbers of cylinders or model years categorical,
        weights in pounds discretized normal.
    alpha : float, default=0.5
        Pseudo-count added to every category (and to both values of a
        boolean) in each component: keeps probabilities away from zero.
        A category never seen in ``fit`` still gets ``-inf``, with an
        :class:`~skgen.tabular.UnseenCategoryWarning` naming the column.
    max_iter : int, default=200
        Most EM iterations per fit.
    tol : float, default=1e-5
        EM stops when the mean log-likelihood of the training rows improves
        by less than this (nats per row).
    n_init : int, default=1
        EM runs from different k-means starts; the best by likelihood is kept.
    random_state : int, RandomState instance or None, default=None
        Seed of the initialization and of ``sample``.

    Attributes
    ----------
    schema_ : list of dict
        One record per column: name, type, dtype, categories (see
        :mod:`skgen.tabular`); ``sample`` restores these dtypes.
    n_components_ : int
        Number of components of the fitted mixture.
    weights_ : ndarray of shape (n_components_,)
        Mixture weights.
    means_, variances_ : ndarray of shape (n_components_, n_continuous)
        Per component, mean and variance of each continuous column, on the
        log scale for log-normal columns.
    lognormal_ : ndarray of shape (n_continuous,)
        Whether each continuous column is log-normal.
    count_models_ : list of str
        The distribution of each count column: ``"poisson"``,
        ``"discretized_normal"`` or ``"categorical"``.
    count_ranges_ : list of list or None
        For each count column modelled as categorical, its ``[min, max]``.
    rates_ : ndarray of shape (n_components_, n_poisson)
        Poisson rate of each Poisson count column.
    integer_means_, integer_variances_ : ndarray of shape (n_components_, n_discretized)
        Mean and variance of the normal rounded to each discretized-normal
        count column.
    probabilities_ : list of ndarray of shape (n_components_, n_categories)
        Category probabilities of each boolean and categorical column, in
        column order, then of each count column modelled as categorical.
    lower_bound_ : float
        Mean log-likelihood of the training rows at the end of EM.
    n_iter_ : int
        EM iterations of the kept run.
    converged_ : bool
        Whether EM met ``tol`` before ``max_iter``.
    sufficient_statistics_ : dict
        After :meth:`partial_fit`: the expected sufficient statistics of the
        rows seen so far.
    n_rows_seen_ : int
        After :meth:`partial_fit`: the number of rows seen so far.
    n_features_in_ : int
        Number of columns.
    feature_names_in_ : ndarray of str
        Column names, when they are all strings.
    likelihood_kind : str
        ``"exact"``.

    See Also
    --------
    skgen.classical.GaussianMixture : the same idea for numeric data with
        full covariances.

    Examples
    --------
    >>> from skgen.datasets import make_customer_table
    >>> from skgen.tabular import TabularMixture
    >>> df = make_customer_table(2000, missing_rate=0.1, random_state=0)
    >>> model = TabularMixture(random_state=0).fit(df)
    >>> model.n_components_
    6
    >>> synthetic = model.sample(3, random_state=0)
    >>> synthetic.dtypes.astype(str).tolist()
    ['category', 'boolean', 'Int64', 'float64', 'category']
    >>> round(model.score(df), 2)
    -7.18
    """

    likelihood_kind = "exact"

    _parameter_constraints = {
        "n_components": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "column_types": [dict, None],
        "continuous": [StrOptions({"auto", "gaussian", "lognormal"})],
        "counts": [StrOptions({"auto", "poisson", "discretized_normal", "categorical"})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "n_init": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(self, n_components="auto", *, column_types=None, continuous="auto",
                 counts="auto", alpha=0.5, max_iter=200, tol=1e-5, n_init=1,
                 random_state=None):
        self.n_components = n_components
        self.column_types = column_types
        self.continuous = continuous
        self.counts = counts
        self.alpha = alpha
        self.max_iter = max_iter
        self.tol = tol
        self.n_init = n_init
        self.random_state = random_state

    # ----------------------------------------------------------------- fit
    def _fit(self, Z, y):
        self.__dict__.pop("sufficient_statistics_", None)  # a new fit starts a new stream
        self._set_columns(Z)
        self._set_references(Z)
        rng = check_random_state(self.random_state)
        if self.n_components == "auto":
            best, rises, previous = None, 0, np.inf
            for k in _AUTO_LADDER:
                if k > max(1, Z.shape[0] // 10):
                    break
                fitted = self._fit_k(Z, k, rng)
                bic = self._bic(fitted, Z.shape[0])
                if best is None or bic < best[0]:
                    best = (bic, fitted)
                rises = rises + 1 if bic > previous else 0
                previous = bic
                if rises == 2:
                    break
            fitted = best[1]
        else:
            if self.n_components > Z.shape[0]:
                raise ValueError(
                    f"n_components={self.n_components} exceeds the {Z.shape[0]} training rows."
                )
            fitted = self._fit_k(Z, self.n_components, rng)
        params, self.lower_bound_, self.n_iter_, self.converged_ = fitted
        self._set_params(params)
        if not self.converged_:
            warnings.warn(
                f"EM did not converge in max_iter={self.max_iter} iterations (last "
                "change above tol); raise max_iter or tol.", ConvergenceWarning,
                stacklevel=3)
        return self

    def partial_fit(self, X, y=None):
        """Update the mixture with one more chunk of rows (incremental EM).

        The first call fits the model on its chunk as ``fit`` does: the
        schema (categories, count ranges), the column distributions and the
        number of components are fixed then, so the first chunk should show
        every category (or give the column a pandas ``Categorical`` with all
        of them). Each later call runs EM on the new rows with the sufficient
        statistics of the earlier chunks kept fixed, then adds the new rows'
        statistics to them. Missing cells are marginalized as in ``fit``.

        Parameters
        ----------
        X : DataFrame of shape (n_samples, n_features)
            A chunk of rows.
        y : None
            Ignored.

        Returns
        -------
        self : TabularMixture

        Raises
        ------
        ValueError
            When the chunk holds values the first chunk made impossible (an
            unseen category, a count outside a categorical count's range).

        Examples
        --------
        >>> from skgen.datasets import make_customer_table
        >>> from skgen.tabular import TabularMixture
        >>> df = make_customer_table(4000, random_state=0)
        >>> model = TabularMixture(n_components=6, random_state=0)
        >>> for start in range(0, 4000, 1000):
        ...     model = model.partial_fit(df.iloc[start:start + 1000])
        >>> model.n_rows_seen_
        4000
        """
        if not hasattr(self, "sufficient_statistics_"):
            self.fit(X)
            Z = self._validate_X(X, reset=False)
            onehot = self._one_hot(Z)
            log_joint = self._log_joint(Z, self._params(), onehot)
            resp = np.exp(log_joint - logsumexp(log_joint, axis=1, keepdims=True))
            self.sufficient_statistics_ = self._statistics(Z, resp, onehot)
            self.n_rows_seen_ = Z.shape[0]
            return self
        backup = dict(self.__dict__)
        try:
            self._partial_fit(self._validate_X(X, reset=False))
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(backup)
            raise
        return self

    def _partial_fit(self, Z):
        self._restore_columns()
        onehot = self._one_hot(Z)
        past = self.sufficient_statistics_
        params, previous = self._params(), -np.inf
        for _ in range(self.max_iter):
            log_joint = self._log_joint(Z, params, onehot)
            log_norm = logsumexp(log_joint, axis=1)
            if not np.all(np.isfinite(log_norm)):
                raise ValueError(
                    f"{int(np.sum(~np.isfinite(log_norm)))} rows of this chunk are "
                    "impossible under the model fixed by the first chunk (a category "
                    "or count value it never saw); include them in the first chunk."
                )
            stats = _add_statistics(past, self._statistics(
                Z, np.exp(log_joint - log_norm[:, None]), onehot))
            params = self._params_from(stats)
            ll = float(np.mean(log_norm))
            if ll - previous < self.tol:
                break
            previous = ll
        self._set_params(params)
        self.sufficient_statistics_ = stats
        self.n_rows_seen_ += Z.shape[0]

    def _set_columns(self, Z):
        """Column positions of each type, and each continuous column's distribution."""
        self._cont = self._columns_of("continuous")
        self._count = self._columns_of("count")
        self._cat = np.array([j for j, s in enumerate(self.schema_)
                              if s["kind"] in ("boolean", "categorical")], dtype=np.intp)
        models, ranges = [], []
        for j in self._count:
            z = Z[:, j][~np.isnan(Z[:, j])]
            values, counts = np.unique(z, return_counts=True)
            span = values[-1] - values[0] + 1
            if self.counts != "auto":
                model = self.counts
                if model == "poisson" and values[0] < 0:
                    raise ValueError(
                        f"counts='poisson' needs non-negative integers, but column "
                        f"{self.schema_[j]['name']!r} holds {values[0]:g}."
                    )
            else:
                bic = {"discretized_normal": _one_dimensional_fit(values, counts, "normal")}
                if values[0] >= 0:
                    bic["poisson"] = _one_dimensional_fit(values, counts, "poisson")
                if span <= _MAX_CATEGORICAL_SPAN:
                    bic["categorical"] = _categorical_bic(values, counts, self.alpha)
                model = min(bic, key=bic.get)
            models.append(model)
            ranges.append([int(values[0]), int(values[-1])] if model == "categorical" else None)
        self.count_models_, self.count_ranges_ = models, ranges
        self._split_counts()
        lognormal = []
        for j in self._cont:
            x = Z[:, j][~np.isnan(Z[:, j])]
            if self.continuous == "lognormal" or (self.continuous == "auto" and np.all(x > 0)):
                if np.any(x <= 0):
                    raise ValueError(
                        f"continuous='lognormal' needs positive values, but column "
                        f"{self.schema_[j]['name']!r} holds {x.min():g}."
                    )
                # a log-normal beats a Gaussian when its likelihood, Jacobian
                # included, is higher
                lx = np.log(x)
                ll_log = -0.5 * np.log(max(lx.var(), 1e-300)) - lx.mean()
                ll_lin = -0.5 * np.log(max(x.var(), 1e-300))
                lognormal.append(self.continuous == "lognormal" or ll_log > ll_lin)
            else:
                lognormal.append(False)
        self.lognormal_ = np.array(lognormal, dtype=bool)

    def _split_counts(self):
        """Positions of the count columns by model, and the discrete columns
        (categorical, boolean, categorical counts) with their sizes."""
        models = np.array(self.count_models_, dtype=object)
        self._poisson = self._count[models == "poisson"]
        self._integer = self._count[models == "discretized_normal"]
        ordinal = [(j, r) for j, r in zip(self._count, self.count_ranges_) if r is not None]
        self._discrete = np.concatenate([self._cat, [j for j, _ in ordinal]]).astype(np.intp)
        self._low = [0] * len(self._cat) + [r[0] for _, r in ordinal]
        self._sizes = [len(self.schema_[j]["categories"]) for j in self._cat] + [
            r[1] - r[0] + 1 for _, r in ordinal]

    def _discrete_codes(self, Z):
        """Codes of the discrete columns: NaN where missing, -1 where impossible (a
        category unseen in fit, a count outside its categorical range)."""
        codes = Z[:, self._discrete] - np.asarray(self._low, dtype=float)
        sizes = np.asarray(self._sizes, dtype=float)
        with np.errstate(invalid="ignore"):
            bad = (codes < 0) | (codes >= sizes) | (np.mod(codes, 1) != 0)
        return np.where(np.isnan(codes), np.nan, np.where(bad, -1.0, codes))

    def _continuous_values(self, Z):
        """Continuous cells on the model's scale (log for log-normal columns), and their
        log-Jacobians; ``NaN`` where missing, ``-inf`` Jacobian where outside the support."""
        X = Z[:, self._cont]
        jac = np.zeros_like(X)
        if self.lognormal_.any():
            L = X[:, self.lognormal_]
            with np.errstate(divide="ignore", invalid="ignore"):
                logs = np.where(L > 0, np.log(np.where(L > 0, L, 1.0)), 0.0)
            jac[:, self.lognormal_] = np.where(L > 0, -logs, -np.inf)
            X = X.copy()
            X[:, self.lognormal_] = np.where(np.isnan(L), np.nan, logs)
        return X, np.where(np.isnan(Z[:, self._cont]), 0.0, jac)

    def _one_hot(self, Z):
        """One-hot codes of each discrete column, zero rows where missing or
        impossible; a list of ``(n, n_categories)`` arrays."""
        out = []
        for z, size in zip(self._discrete_codes(Z).T, self._sizes):
            onehot = np.zeros((Z.shape[0], size))
            seen = np.flatnonzero(z >= 0)  # NaN and unseen (-1) compare False
            onehot[seen, z[seen].astype(int)] = 1.0
            out.append(onehot)
        return out

    def _fit_k(self, Z, k, rng):
        """Best of ``n_init`` EM runs with ``k`` components: (params, ll, n_iter, converged)."""
        best = None
        onehot = self._one_hot(Z)
        for _ in range(self.n_init):
            resp = self._initial_responsibilities(Z, k, rng, onehot)
            params = self._m_step(Z, resp, onehot)
            previous, converged = -np.inf, False
            for it in range(1, self.max_iter + 1):
                log_joint = self._log_joint(Z, params, onehot)
                log_norm = logsumexp(log_joint, axis=1)
                ll = float(np.mean(log_norm))
                if ll - previous < self.tol:
                    converged = True
                    break
                previous = ll
                params = self._m_step(Z, np.exp(log_joint - log_norm[:, None]), onehot)
            if best is None or ll > best[1]:
                best = (params, ll, it, converged)
        return best

    def _initial_responsibilities(self, Z, k, rng, onehot):
        """k-means on standardized numbers and one-hot categories, softened.

        The centres are found on at most 5000 rows; every row then joins its
        nearest centre."""
        n = Z.shape[0]
        if k == 1:
            return np.ones((n, 1))
        parts = []
        X, _ = self._continuous_values(Z)
        numeric = np.column_stack([X, Z[:, self._poisson], Z[:, self._integer]])
        if numeric.shape[1]:
            mean = np.nanmean(numeric, axis=0)
            std = np.nanstd(numeric, axis=0)
            parts.append(np.where(np.isnan(numeric), 0.0,
                                  (numeric - mean) / np.where(std > 0, std, 1.0)))
        features = np.column_stack(parts + onehot)
        subset = rng.permutation(n)[:5000] if n > 5000 else slice(None)
        kmeans = KMeans(k, n_init=1, random_state=rng.randint(2**31 - 1))
        labels = kmeans.fit(features[subset]).predict(features)
        resp = np.full((n, k), 0.1 / k)
        resp[np.arange(n), labels] += 0.9
        return resp

    def _m_step(self, Z, resp, onehot):
        """Weighted maximum-likelihood (MAP for probabilities) parameters."""
        return self._params_from(self._statistics(Z, resp, onehot))

    def _set_references(self, Z):
        """Centre and scale of each numeric column (of the first data seen): the
        origin of the moment sums and the unit of the variance floor."""
        refs = {}
        for key, X in (("cont", self._continuous_values(Z)[0]),
                       ("poisson", Z[:, self._poisson]), ("int", Z[:, self._integer])):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns
                mean, var = np.nanmean(X, axis=0), np.nanvar(X, axis=0)
            refs[key] = (np.nan_to_num(mean), np.where(var > 0, var, 1.0))
        self._references = refs

    def _statistics(self, Z, resp, onehot):
        """Expected sufficient statistics of rows ``Z`` under responsibilities
        ``resp``: sums that add up over chunks of rows (``partial_fit``)."""
        stats = {"n": resp.sum(axis=0)}
        groups = (("cont", self._continuous_values(Z)[0]), ("poisson", Z[:, self._poisson]),
                  ("int", Z[:, self._integer]))
        for key, X in groups:
            observed = ~np.isnan(X)
            centered = np.where(observed, X - self._references[key][0], 0.0)
            stats[key] = (resp.T @ observed, resp.T @ centered, resp.T @ centered**2)
        stats["discrete"] = [resp.T @ codes for codes in onehot]
        return stats

    def _params_from(self, stats):
        """Parameters maximizing the likelihood (MAP for probabilities) given the
        sufficient statistics."""
        nk = stats["n"]
        k = nk.size
        params = {"weights": (nk + 1e-10) / (nk.sum() + k * 1e-10)}

        def moments(key):
            weight, first, second = stats[key]
            centre, scale = self._references[key]
            weight = weight + 1e-10
            shift = first / weight  # mean - centre
            variance = (second + 1e-10 * scale) / weight - shift**2
            return centre + shift, np.maximum(variance, 0.0) + _VARIANCE_FLOOR * scale

        params["means"], params["variances"] = moments("cont")
        rates, _ = moments("poisson")
        params["rates"] = np.maximum(rates, 1e-8)
        # a rounded normal: the continuous moments less Sheppard's 1/12 (an
        # approximate M-step; the likelihood itself is exact)
        means, variances = moments("int")
        params["integer_means"] = means
        params["integer_variances"] = np.maximum(variances - 1 / 12, 0.05)
        probabilities = []
        for counts in stats["discrete"]:
            counts = counts + self.alpha + 1e-10
            probabilities.append(counts / counts.sum(axis=1, keepdims=True))
        params["probabilities"] = probabilities
        return params

    # ----------------------------------------------------------- density
    def _log_joint(self, Z, params, onehot=None):
        """``log w_k + log p_k(observed cells of row i)``, shape ``(n, k)``."""
        if onehot is None:
            onehot = self._one_hot(Z)
        n = Z.shape[0]
        out = np.broadcast_to(np.log(params["weights"]), (n, len(params["weights"]))).copy()
        if len(self._cont):
            X, jac = self._continuous_values(Z)
            observed = ~np.isnan(X)
            X0 = np.where(observed, X, 0.0)
            mean, var = params["means"], params["variances"]
            # sum over observed cells of -(x - m)^2 / 2v - log(2 pi v) / 2, as matrix products
            quad = (X0**2) @ (1 / var).T - 2 * X0 @ (mean / var).T + observed @ (mean**2 / var).T
            out += -0.5 * quad - 0.5 * observed @ (np.log(var) + _LOG_2PI).T
            out += jac.sum(axis=1, keepdims=True)
        invalid = np.zeros(n, dtype=bool)
        if len(self._poisson):
            P = Z[:, self._poisson]
            seen = ~np.isnan(P)
            with np.errstate(invalid="ignore"):
                invalid |= np.any(seen & ((P < 0) | (np.mod(P, 1) != 0)), axis=1)
            P = np.where(seen, np.abs(np.round(P)), 0.0)
            rates = params["rates"]
            out += P @ np.log(rates).T - seen @ rates.T - gammaln(P + 1).sum(1, keepdims=True)
        if len(self._integer):
            D = Z[:, self._integer]
            seen = ~np.isnan(D)
            with np.errstate(invalid="ignore"):
                invalid |= np.any(seen & (np.mod(D, 1) != 0), axis=1)
            D = np.where(seen, np.round(D), 0.0)
            sd = np.sqrt(params["integer_variances"])
            for c in range(out.shape[1]):
                logp = _discretized_normal_logpmf(D, params["integer_means"][c], sd[c])
                out[:, c] += np.where(seen, logp, 0.0).sum(axis=1)
        for codes, probs in zip(onehot, params["probabilities"]):
            out += codes @ np.log(probs).T
        if len(self._discrete):
            invalid |= np.any(self._discrete_codes(Z) == -1, axis=1)
        out[invalid] = -np.inf  # an impossible value: unseen category, bad count
        return out

    def _params(self):
        return {"weights": self.weights_, "means": self.means_, "variances": self.variances_,
                "rates": self.rates_, "integer_means": self.integer_means_,
                "integer_variances": self.integer_variances_,
                "probabilities": self.probabilities_}

    def _set_params(self, params):
        self.n_components_ = len(params["weights"])
        self.weights_ = params["weights"]
        self.means_ = params["means"]
        self.variances_ = params["variances"]
        self.rates_ = params["rates"]
        self.integer_means_ = params["integer_means"]
        self.integer_variances_ = params["integer_variances"]
        self.probabilities_ = params["probabilities"]

    def _restore_columns(self):
        if not hasattr(self, "_cont"):  # after loading with skgen.io
            self._cont = self._columns_of("continuous")
            self._count = self._columns_of("count")
            self._cat = np.array([j for j, s in enumerate(self.schema_)
                                  if s["kind"] in ("boolean", "categorical")], dtype=np.intp)
            self._split_counts()

    def _score_samples(self, Z, y):
        self._restore_columns()
        self._warn_impossible_counts(Z)
        out = np.empty(Z.shape[0])
        for rows in self._row_chunks(Z):
            out[rows] = logsumexp(self._log_joint(Z[rows], self._params()), axis=1)
        return out

    def _row_chunks(self, Z):
        """Slices of rows whose ``_log_joint`` temporaries fit skgen.config's budget:
        a few ``(rows, n_components)`` and ``(rows, n_columns)`` float64 arrays, and
        the one-hot codes of the categories."""
        n_codes = sum(p.shape[1] for p in self.probabilities_)
        row_bytes = 8 * (6 * len(self.weights_) + 4 * Z.shape[1] + n_codes)
        return gen_batches_by_memory(Z.shape[0], row_bytes)

    def _warn_impossible_counts(self, Z):
        """Warn, by column, about counts the model gives probability zero."""
        found = []
        for j, model, span in zip(self._count, self.count_models_, self.count_ranges_):
            z = Z[:, j]
            with np.errstate(invalid="ignore"):
                bad = np.mod(z, 1) != 0
                if model == "poisson":
                    bad |= z < 0
                elif model == "categorical":
                    bad |= (z < span[0]) | (z > span[1])
            bad &= ~np.isnan(z)
            if bad.any():
                where = f" outside [{span[0]}, {span[1]}]" if model == "categorical" else ""
                found.append(f"{self.schema_[j]['name']!r} ({int(bad.sum())} rows{where}, "
                             f"modelled {model})")
        if found:
            warnings.warn(
                "Some count cells are impossible under the model, so their rows have "
                "log-likelihood -inf: " + "; ".join(found) + ". A count modelled as "
                "categorical covers only its training range; counts='discretized_normal' "
                "covers every integer.", UserWarning, stacklevel=4)

    # -------------------------------------------- marginals, conditionals
    def _marginal(self, cols):
        """The mixture over columns ``cols`` (positions): every factor of the
        other columns drops out, the weights stay."""
        cols = list(cols)
        self._restore_columns()

        def kept(group):  # positions within a group's parameter arrays
            return [i for i, j in enumerate(group) if j in cols]

        sub = copy.copy(self)
        for name in ("_cont", "_count", "_cat", "_poisson", "_integer", "_discrete"):
            sub.__dict__.pop(name, None)
        sub.schema_ = [self.schema_[j] for j in cols]
        cont, count = kept(self._cont), kept(self._count)
        sub.means_, sub.variances_ = self.means_[:, cont], self.variances_[:, cont]
        sub.lognormal_ = self.lognormal_[cont]
        sub.rates_ = self.rates_[:, kept(self._poisson)]
        sub.integer_means_ = self.integer_means_[:, kept(self._integer)]
        sub.integer_variances_ = self.integer_variances_[:, kept(self._integer)]
        sub.count_models_ = [self.count_models_[i] for i in count]
        sub.count_ranges_ = [self.count_ranges_[i] for i in count]
        sub.probabilities_ = [self.probabilities_[i] for i in kept(self._discrete)]
        sub.n_features_in_ = len(cols)
        # the sub-schema's column order follows cols: rebuild positions from it
        order = {j: i for i, j in enumerate(cols)}
        sub._cont = np.array([order[j] for j in self._cont if j in order], dtype=np.intp)
        sub._count = np.array([order[j] for j in self._count if j in order], dtype=np.intp)
        sub._cat = np.array([order[j] for j in self._cat if j in order], dtype=np.intp)
        sub._split_counts()
        return sub

    def _conditional(self, A, B, a):
        """The mixture over ``B`` with each component reweighted by how well it
        explains the observed ``x_A = a``."""
        observed = self._marginal(A)
        log_joint = observed._log_joint(np.asarray(a, dtype=float)[None, :], observed._params())
        norm = logsumexp(log_joint)
        if not np.isfinite(norm):
            raise ValueError("given has probability zero under the model: no component "
                             "explains its observed values.")
        sub = self._marginal(B)
        sub.weights_ = np.exp(log_joint[0] - norm)
        return sub

    def _sample_given_pattern(self, A, B, a, rng):
        """Draws of ``x_B`` for the rows ``a`` of one pattern, vectorized: each row
        picks a component by its posterior weights, then draws its columns ``B``."""
        observed = self._marginal(A)
        log_joint = observed._log_joint(np.asarray(a, dtype=float), observed._params())
        norm = logsumexp(log_joint, axis=1, keepdims=True)
        if not np.all(np.isfinite(norm)):
            raise ValueError("some rows of given have probability zero under the model.")
        post = np.exp(log_joint - norm)
        sub = self._marginal(B)
        comp = (rng.uniform(size=(len(a), 1)) > np.cumsum(post, axis=1)).sum(axis=1)
        return sub._draw(np.minimum(comp, self.n_components_ - 1), rng)

    def predict_proba(self, X):
        """Posterior probability of each component for each row (missing cells skipped).

        Parameters
        ----------
        X : DataFrame of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_components_)
            Rows of probability zero under the model get ``NaN``.
        """
        check_is_fitted(self)
        Z = self._validate_X(X, reset=False)
        self._restore_columns()
        out = np.empty((Z.shape[0], len(self.weights_)))
        for rows in self._row_chunks(Z):
            log_joint = self._log_joint(Z[rows], self._params())
            with np.errstate(invalid="ignore"):
                out[rows] = np.exp(log_joint - logsumexp(log_joint, axis=1, keepdims=True))
        return out

    def predict(self, X):
        """The most probable component of each row (missing cells skipped).

        Parameters
        ----------
        X : DataFrame of shape (n_samples, n_features)

        Returns
        -------
        labels : ndarray of shape (n_samples,)
        """
        return np.argmax(np.nan_to_num(self.predict_proba(X), nan=-1.0), axis=1)

    def _n_parameters(self, params):
        k = len(params["weights"])
        per_component = (2 * params["means"].shape[1] + params["rates"].shape[1]
                         + 2 * params["integer_means"].shape[1]
                         + sum(p.shape[1] - 1 for p in params["probabilities"]))
        return k - 1 + k * per_component

    def _bic(self, fitted, n):
        params, ll = fitted[0], fitted[1]
        return -2 * ll * n + self._n_parameters(params) * np.log(n)

    def bic(self, X):
        """Bayesian information criterion on ``X`` (lower is better).

        Parameters
        ----------
        X : DataFrame of shape (n_samples, n_features)

        Returns
        -------
        bic : float
            ``-2 log L + n_parameters log(n_samples)``.
        """
        log_l = self.score_samples(X)
        return float(-2 * log_l.sum() + self._n_parameters(self._params()) * np.log(len(log_l)))

    # ------------------------------------------------------------- sample
    def _sample(self, n_samples, rng, y):
        self._restore_columns()
        return self._draw(rng.choice(self.n_components_, size=n_samples, p=self.weights_),
                          rng)

    def _draw(self, comp, rng):
        """Codes of one row per entry of ``comp``, drawn from that component."""
        self._restore_columns()
        n_samples = len(comp)
        Z = np.empty((n_samples, len(self.schema_)))
        if len(self._cont):
            X = rng.normal(self.means_[comp], np.sqrt(self.variances_[comp]))
            X[:, self.lognormal_] = np.exp(X[:, self.lognormal_])
            Z[:, self._cont] = X
        Z[:, self._poisson] = rng.poisson(self.rates_[comp])
        Z[:, self._integer] = np.round(rng.normal(self.integer_means_[comp],
                                                  np.sqrt(self.integer_variances_[comp])))
        for j, low, probs in zip(self._discrete, self._low, self.probabilities_):
            cdf = np.cumsum(probs[comp], axis=1)
            u = rng.uniform(size=(n_samples, 1)) * cdf[:, -1:]
            Z[:, j] = low + np.minimum((u > cdf).sum(axis=1), probs.shape[1] - 1)
        return Z
