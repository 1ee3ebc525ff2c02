"""A mixed-type table from a small Bayesian network, with its exact log-likelihood."""

import numpy as np
import pandas as pd
from scipy.special import gammaln, logsumexp
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state

from ..base import GenerativeMixin

__all__ = ["CustomerNetwork", "make_customer_table"]

_SEGMENTS = ["budget", "regular", "premium"]
_CHANNELS = ["web", "store", "phone"]


class CustomerNetwork(GenerativeMixin, BaseEstimator):
    """A small Bayesian network over a mixed table, the oracle of :mod:`skgen.tabular`.

    Five columns of a made-up customer table, one of each type:

    - ``segment`` (categorical: budget, regular, premium), probabilities
      0.5, 0.3, 0.2;
    - ``member`` (boolean) given the segment: probability 0.2, 0.6, 0.9 of
      ``True``;
    - ``visits`` (count) given segment and membership: Poisson with rate
      1, 3 or 8 by segment, doubled for members;
    - ``spend`` (continuous, log-normal) given segment and membership:
      ``log(spend) ~ N(mu, sigma^2)`` with ``mu`` 2, 3, 4 by segment plus 0.5
      for members and ``sigma`` 0.5, 0.4, 0.3 by segment;
    - ``channel`` (categorical: web, store, phone) given membership:
      0.6, 0.3, 0.1 for members and 0.3, 0.4, 0.3 otherwise.

    ``score_samples`` is exact with respect to counting measure on the
    discrete columns times Lebesgue measure on ``spend``, and a missing cell
    (``NaN`` or ``None``) is summed or integrated out exactly. Given segment
    and membership the other columns are independent, so a mixture of six
    products of per-column distributions represents the network exactly.

    Like the other true distributions of :mod:`skgen.datasets`, it is born
    fitted: ``fit`` returns it unchanged.

    Attributes
    ----------
    likelihood_kind : str
        ``"exact"``.
    n_features_in_ : int
        5.

    Examples
    --------
    >>> from skgen.datasets import CustomerNetwork
    >>> truth = CustomerNetwork()
    >>> df = truth.sample(3, random_state=0)
    >>> list(df.columns)
    ['segment', 'member', 'visits', 'spend', 'channel']
    >>> truth.score_samples(df).shape
    (3,)
    """

    likelihood_kind = "exact"
    n_features_in_ = 5
    columns = ("segment", "member", "visits", "spend", "channel")

    def __init__(self):
        self._p_segment = np.array([0.5, 0.3, 0.2])
        self._p_member = np.array([0.2, 0.6, 0.9])
        self._rate = np.array([1.0, 3.0, 8.0])[:, None] * np.array([1.0, 2.0])
        self._mu = np.array([2.0, 3.0, 4.0])[:, None] + np.array([0.0, 0.5])
        self._sigma = np.array([0.5, 0.4, 0.3])[:, None] * np.ones(2)
        self._p_channel = np.array([[0.3, 0.4, 0.3], [0.6, 0.3, 0.1]])

    def fit(self, X=None, y=None):
        """Return ``self``: the network is known, nothing is learned.

        Parameters
        ----------
        X, y : ignored

        Returns
        -------
        self : CustomerNetwork
        """
        return self

    def __sklearn_is_fitted__(self):
        return True

    def score_samples(self, X, y=None):
        """Exact log-likelihood of each row, missing cells marginalized out.

        Parameters
        ----------
        X : DataFrame with the columns ``segment, member, visits, spend, channel``
        y : None
            Ignored.

        Returns
        -------
        log_likelihood : ndarray of shape (n_samples,)
        """
        X = pd.DataFrame(X)[list(self.columns)]
        n = len(X)
        # log p(row, segment=s, member=m) for the 3 x 2 latent combinations
        joint = np.broadcast_to(np.log(self._p_segment)[:, None]
                                + np.log(np.stack([1 - self._p_member, self._p_member], 1)),
                                (n, 3, 2)).copy()
        seg = X["segment"].astype(object)
        known = seg.notna().to_numpy()
        codes = seg.map({s: i for i, s in enumerate(_SEGMENTS)}).to_numpy()
        for s in range(3):
            joint[known & (codes != s), s, :] = -np.inf
        mem = X["member"].astype(object)
        known = mem.notna().to_numpy()
        m_codes = np.array([bool(v) if k else False for v, k in zip(mem, known)])
        for m in range(2):
            joint[known & (m_codes != m), :, m] = -np.inf
        visits = X["visits"].to_numpy(dtype=np.float64, na_value=np.nan)
        known = ~np.isnan(visits)
        v = visits[known][:, None, None]
        joint[known] += v * np.log(self._rate) - self._rate - gammaln(v + 1)
        spend = X["spend"].to_numpy(dtype=np.float64, na_value=np.nan)
        known = ~np.isnan(spend)
        with np.errstate(divide="ignore", invalid="ignore"):
            ls = np.log(spend[known])[:, None, None]
            joint[known] += (-0.5 * ((ls - self._mu) / self._sigma) ** 2
                             - np.log(self._sigma) - 0.5 * np.log(2 * np.pi) - ls)
        ch = X["channel"].astype(object)
        known = ch.notna().to_numpy()
        c_codes = ch.map({c: i for i, c in enumerate(_CHANNELS)}).to_numpy()
        for m in range(2):
            logp = np.log(self._p_channel[m])[c_codes[known].astype(int)]
            joint[known, :, m] += logp[:, None]
        return logsumexp(joint.reshape(n, 6), axis=1)

    def sample(self, n_samples=1, *, random_state=None):
        """Draw rows: a DataFrame with the five columns and their dtypes.

        Parameters
        ----------
        n_samples : int, default=1
        random_state : int, RandomState instance or None, default=None

        Returns
        -------
        X : DataFrame of shape (n_samples, 5)
        """
        rng = check_random_state(random_state)
        s = rng.choice(3, size=n_samples, p=self._p_segment)
        m = (rng.uniform(size=n_samples) < self._p_member[s]).astype(int)
        visits = rng.poisson(self._rate[s, m])
        spend = np.exp(rng.normal(self._mu[s, m], self._sigma[s, m]))
        u = rng.uniform(size=(n_samples, 1))
        channel = (u > np.cumsum(self._p_channel[m], axis=1)).sum(1)
        return pd.DataFrame({
            "segment": pd.Categorical.from_codes(s, categories=_SEGMENTS),
            "member": m.astype(bool),
            "visits": visits.astype(np.int64),
            "spend": spend,
            "channel": pd.Categorical.from_codes(channel, categories=_CHANNELS),
        })


def make_customer_table(n_samples=1000, *, missing_rate=0.0, random_state=None):
    """A mixed-type table drawn from :class:`CustomerNetwork`, with cells knocked out.

    Parameters
    ----------
    n_samples : int, default=1000
        Rows.
    missing_rate : float, default=0.0
        Share of cells set missing, independently and completely at random
        (``NaN`` in ``visits`` and ``spend``, which become float and nullable
        ``Int64`` columns; ``NaN`` in the categorical ones; ``pd.NA`` in
        ``member``, which becomes a nullable ``boolean`` column).
    random_state : int, RandomState instance or None, default=None

    Returns
    -------
    X : DataFrame of shape (n_samples, 5)
        Columns ``segment`` (categorical), ``member`` (bool), ``visits``
        (int64, or ``Int64`` with missing cells), ``spend`` (float64) and
        ``channel`` (categorical).

    Examples
    --------
    >>> from skgen.datasets import make_customer_table
    >>> df = make_customer_table(500, missing_rate=0.2, random_state=0)
    >>> df.dtypes.astype(str).tolist()
    ['category', 'boolean', 'Int64', 'float64', 'category']
    >>> round(float(df.isna().mean().mean()), 1)
    0.2
    """
    rng = check_random_state(random_state)
    X = CustomerNetwork().sample(n_samples, random_state=rng)
    if missing_rate > 0:
        holes = rng.uniform(size=X.shape) < missing_rate
        X = X.astype({"member": "boolean", "visits": "Int64"})
        for j, name in enumerate(X.columns):
            X.loc[holes[:, j], name] = None
    return X
