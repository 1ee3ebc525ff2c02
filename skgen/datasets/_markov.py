"""A synthetic text source whose log-probabilities are known exactly.

Strings come from a first-order Markov chain over a small alphabet with an
end state: the first character is drawn from ``initial``, each next one (or
the end of the string) from the row of ``transition`` of the previous one.
It is the true distribution of a text data set: the exact log-probability of
a held-out string, and the exact entropy rate, say how well any model of text
(such as :class:`skgen.autoregressive.CharacterLanguageModel`) could do.

It lived in ``skgen.autoregressive._markov`` before; that module re-exports it
so that old imports and pickles keep working.
"""

import numpy as np
from sklearn.utils import check_random_state

__all__ = ["MarkovTextSource"]


class MarkovTextSource:
    """First-order Markov chain over characters, with an end token.

    The true distribution of a synthetic text data set: strings (not arrays)
    go in and out, so it has ``sample``, ``score_samples``, ``score`` and
    ``likelihood_kind = "exact"`` like the other true distributions of
    :mod:`skgen.datasets`, but no ``n_features_in_`` (a string's length
    varies).

    Parameters
    ----------
    alphabet : str, default="abcd"
        The characters, one each.
    initial : array-like of shape (V + 1,), default=None
        Probabilities of the first token: the ``V`` characters, then the end
        (an empty string). ``None`` draws them (see ``random_state``).
    transition : array-like of shape (V, V + 1), default=None
        Row ``a``: probabilities of the token after character ``a`` (the
        characters, then the end). ``None`` draws them.
    mean_length : float, default=8.0
        With drawn probabilities: the end probability after every character
        is ``1 / mean_length`` (the empty string has probability 0), so
        lengths are geometric with this mean.
    concentration : float, default=0.5
        With drawn probabilities: Dirichlet concentration of the character
        rows (small values give peaked, predictable rows).
    random_state : int, RandomState instance or None, default=None
        Seed of the drawn probabilities.

    Attributes
    ----------
    initial_ : ndarray of shape (V + 1,)
        Probabilities of the first token (characters, then the end).
    transition_ : ndarray of shape (V, V + 1)
        Probabilities of the next token after each character.

    Examples
    --------
    >>> from skgen.datasets import MarkovTextSource
    >>> src = MarkovTextSource("ab", initial=[0.5, 0.5, 0.0],
    ...                        transition=[[0.0, 0.5, 0.5], [0.5, 0.0, 0.5]])
    >>> src.score_samples(["ab", "aa"]).round(4)
    array([-2.0794,    -inf])
    >>> round(src.entropy_rate(), 4)   # log 2 nats per token
    0.6931
    """

    likelihood_kind = "exact"

    def __init__(self, alphabet="abcd", *, initial=None, transition=None, mean_length=8.0,
                 concentration=0.5, random_state=None):
        self.alphabet = alphabet
        v = len(alphabet)
        if len(set(alphabet)) != v or v == 0:
            raise ValueError(f"alphabet must be distinct characters, got {alphabet!r}.")
        rng = check_random_state(random_state)
        end = 1.0 / mean_length
        if initial is None:
            initial = np.append(rng.dirichlet(np.full(v, concentration)), 0.0)
        if transition is None:
            rows = rng.dirichlet(np.full(v, concentration), size=v) * (1 - end)
            transition = np.hstack([rows, np.full((v, 1), end)])
        self.initial_ = np.asarray(initial, dtype=np.float64)
        self.transition_ = np.asarray(transition, dtype=np.float64)
        if self.initial_.shape != (v + 1,) or self.transition_.shape != (v, v + 1):
            raise ValueError("initial must have shape (V + 1,) and transition (V, V + 1).")
        if not (np.allclose(self.initial_.sum(), 1) and np.allclose(self.transition_.sum(1), 1)):
            raise ValueError("initial and the rows of transition must sum to 1.")
        self._index = {c: i for i, c in enumerate(alphabet)}

    def sample(self, n_samples=1, *, random_state=None, max_length=10_000):
        """Draw strings from the chain.

        Parameters
        ----------
        n_samples : int, default=1
            Number of strings.
        random_state : int, RandomState instance or None, default=None
            Seed for this call.
        max_length : int, default=10000
            Strings still running after this many characters are cut there.

        Returns
        -------
        texts : list of str
            ``n_samples`` strings (possibly empty) over ``alphabet``.
        """
        rng = check_random_state(random_state)
        v = len(self.alphabet)
        cum_init = np.cumsum(self.initial_)
        cum_rows = np.cumsum(self.transition_, axis=1)
        state = np.minimum(np.searchsorted(cum_init, rng.rand(n_samples), side="right"), v)
        chars = np.array(list(self.alphabet))
        out = [[] for _ in range(n_samples)]
        alive = np.flatnonzero(state < v)
        for _ in range(max_length):
            if not alive.size:
                break
            for i, s in zip(alive, state[alive]):
                out[i].append(chars[s])
            u = rng.rand(alive.size)
            nxt = (u[:, None] > cum_rows[state[alive]]).sum(axis=1)
            state[alive] = np.minimum(nxt, v)
            alive = alive[state[alive] < v]
        return ["".join(s) for s in out]

    def score_samples(self, texts):
        """Exact natural-log probability of each string, end token included.

        Parameters
        ----------
        texts : sequence of str
            Strings to score.

        Returns
        -------
        log_prob : ndarray of shape (len(texts),)
            ``log p(text)``; ``-inf`` for a string with a character outside
            ``alphabet`` or a transition of probability zero.
        """
        v = len(self.alphabet)
        with np.errstate(divide="ignore"):
            log_init, log_trans = np.log(self.initial_), np.log(self.transition_)
        out = np.empty(len(texts))
        for k, text in enumerate(texts):
            if any(c not in self._index for c in text):
                out[k] = -np.inf
                continue
            idx = [self._index[c] for c in text]
            if not idx:
                out[k] = log_init[v]
                continue
            lp = log_init[idx[0]] + log_trans[idx[:-1], idx[1:]].sum()
            out[k] = lp + log_trans[idx[-1], v]
        return out

    def score(self, texts):
        """Mean exact log-probability of ``texts`` (nats per string).

        Parameters
        ----------
        texts : sequence of str
            Strings to score.

        Returns
        -------
        score : float
            ``mean(score_samples(texts))``.
        """
        return float(np.mean(self.score_samples(texts)))

    def entropy_rate(self):
        """Expected nats per token (characters and the end token).

        ``E[-log p(S)] / E[len(S) + 1]``, computed exactly from the chain: the
        expected number of visits to each character is ``initial @ (I - Q)^-1``
        with ``Q`` the character-to-character part of ``transition``.

        Returns
        -------
        entropy_rate : float
            Nats per token; the best cross-entropy any model of these strings
            can reach in expectation.
        """
        v = len(self.alphabet)
        with np.errstate(divide="ignore", invalid="ignore"):
            h_init = -np.nansum(self.initial_ * np.log(self.initial_))
            h_rows = -np.nansum(self.transition_ * np.log(self.transition_), axis=1)
        visits = self.initial_[:v] @ np.linalg.inv(np.eye(v) - self.transition_[:, :v])
        return float((h_init + visits @ h_rows) / (visits.sum() + 1))
