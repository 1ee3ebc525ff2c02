"""A character-level language model: the letters of a text are its features.

``p(s) = p(c_1 | start) p(c_2 | c_1) ... p(end | c_1 ... c_n)``: a recurrent
network reads a string left to right and predicts the next character, or the
end of the string, at every step. Because the end token is part of the
model, the probabilities of all finite strings add up to one and
``score_samples`` is the exact log-probability of each whole string.

The estimator reuses :class:`skgen.nn.BaseDeepGenerative`'s training loop
(seeding, validation split, early stopping, best weights, NaN and Ctrl-C
handling, pickling): strings are encoded as rows of character codes padded
with ``-1``, the driver's numeric standardization is off, and the hooks read
the codes back. Only text validation, encoding and generation are particular
to it.
"""

import math
from numbers import Integral, Real

import numpy as np
import pandas as pd
import torch
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted
from torch import nn
from torch.nn import functional as F

from ..base import _check_n_samples
from ..nn import BaseDeepGenerative, driver_parameters_doc, torch_generator

__all__ = ["CharacterLanguageModel"]

#: Padded characters per chunk in ``score_samples`` (bounds memory).
_SCORE_TOKENS = 2**16
#: Strings generated at once by ``sample``.
_SAMPLE_CHUNK = 1024


# ------------------------------------------------------------------ text
def _check_texts(X, what="X"):
    """Validate a collection of strings; return it as a list of ``str``.

    Accepts a list, tuple, 1-D array, :class:`pandas.Series` or one-column
    :class:`pandas.DataFrame` of strings. Raises a ``ValueError`` naming the
    problem otherwise.
    """
    if isinstance(X, (str, bytes)):
        raise ValueError(
            f"{what} must be a collection of strings (one string per sample), got a "
            "single string; wrap it in a list: [text]."
        )
    if isinstance(X, pd.DataFrame):
        if X.shape[1] != 1:
            raise ValueError(
                f"{what} must be one column of strings, got a DataFrame with "
                f"{X.shape[1]} columns; pass the text column, e.g. df['text']."
            )
        X = X.iloc[:, 0]
    if isinstance(X, np.ndarray):
        if X.ndim == 2 and X.shape[1] == 1:
            X = X[:, 0]
        if X.ndim != 1:
            raise ValueError(
                f"{what} must be a 1-D collection of strings, got an array of shape "
                f"{X.shape}."
            )
    try:
        texts = list(X)
    except TypeError:
        raise ValueError(
            f"{what} must be a collection of strings, got {type(X).__name__}."
        ) from None
    if not texts:
        raise ValueError(f"Found 0 strings in {what}; at least one is required.")
    for i, t in enumerate(texts):
        if not isinstance(t, str):
            missing = t is None or (isinstance(t, float) and math.isnan(t))
            raise ValueError(
                f"{what} must hold only strings, but item {i} is "
                + ("a missing value" if missing else f"{t!r} of type {type(t).__name__}")
                + ". Drop or fill missing values, or convert items with str()."
            )
    return [str(t) for t in texts]  # plain str, also for str subclasses (numpy.str_)


def _code_points(texts):
    """Unicode code points of all characters of ``texts``, concatenated."""
    joined = "".join(texts).encode("utf-32-le", errors="surrogatepass")
    return np.frombuffer(joined, dtype=np.uint32)


def _encode(texts, vocabulary_points):
    """Character codes of ``texts``, one padded row per string.

    Parameters
    ----------
    texts : list of str
    vocabulary_points : ndarray of shape (V,)
        Sorted code points of the vocabulary; character ``k`` of it has code
        ``k + 1`` (code 0 is the end of a string).

    Returns
    -------
    codes : ndarray of shape (n, max_len + 1)
        Row ``i``: the codes of ``texts[i]``, then 0 (end), then ``-1``
        padding. Unknown characters get code 0 (see ``known``).
    known : ndarray of shape (n,) of bool
        Whether every character of the string is in the vocabulary.
    """
    lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
    points = _code_points(texts)
    pos = np.searchsorted(vocabulary_points, points)
    pos_c = np.minimum(pos, max(len(vocabulary_points) - 1, 0))
    hit = (vocabulary_points[pos_c] == points) if len(vocabulary_points) else (
        np.zeros(len(points), dtype=bool))
    rows = np.repeat(np.arange(len(texts)), lengths)
    starts = np.cumsum(lengths) - lengths
    cols = np.arange(len(points)) - np.repeat(starts, lengths)
    codes = np.full((len(texts), int(lengths.max(initial=0)) + 1), -1, dtype=np.int64)
    codes[rows, cols] = np.where(hit, pos_c + 1, 0)
    codes[np.arange(len(texts)), lengths] = 0
    known = np.ones(len(texts), dtype=bool)
    known[rows[~hit]] = False
    return codes, known


def _token_chunks(lengths, budget=_SCORE_TOKENS):
    """Index arrays of strings grouped by length so each chunk's padded size fits ``budget``."""
    order = np.argsort(lengths, kind="stable")
    sorted_len = lengths[order] + 1
    start, n = 0, len(order)
    while start < n:
        end = min(n, start + max(1, budget // int(sorted_len[start])))
        while end - start > 1 and (end - start) * int(sorted_len[end - 1]) > budget:
            end = start + max(1, (end - start) // 2)
        yield order[start:end]
        start = end


# --------------------------------------------------------------- network
class _CharRNN(nn.Module):
    """Embedding, stacked GRUs and a linear read-out over ``n_chars + 1`` tokens.

    Input token 0 is the start of a string, output token 0 its end; tokens
    ``1..n_chars`` are the characters. Without hidden layers the read-out
    sees only the previous character (a first-order Markov chain).
    """

    _owns_init = True

    def __init__(self, n_chars, embedding_dim, hidden_sizes):
        super().__init__()
        sizes = [int(embedding_dim), *hidden_sizes]
        self.embedding = nn.Embedding(n_chars + 1, sizes[0])
        self.rnns = nn.ModuleList(
            nn.GRU(a, b, batch_first=True) for a, b in zip(sizes[:-1], sizes[1:])
        )
        self.head = nn.Linear(sizes[-1], n_chars + 1)

    def reset_parameters(self, generator=None):
        with torch.no_grad():
            self.embedding.weight.normal_(generator=generator)
            for rnn in self.rnns:  # torch's default GRU initialization
                bound = 1.0 / math.sqrt(rnn.hidden_size)
                for p in rnn.parameters():
                    p.uniform_(-bound, bound, generator=generator)
            bound = 1.0 / math.sqrt(self.head.in_features)
            self.head.weight.uniform_(-bound, bound, generator=generator)
            self.head.bias.uniform_(-bound, bound, generator=generator)

    def forward(self, tokens, state=None):
        """Logits of the next token after each input token, and the new state."""
        h = self.embedding(tokens)
        new_state = []
        for k, rnn in enumerate(self.rnns):
            h, s = rnn(h, None if state is None else state[k])
            new_state.append(s)
        return self.head(h), new_state

    def token_log_probs(self, targets):
        """``log p(token_t | tokens_<t)`` of padded targets ``(n, L)``; 0 at padding."""
        start = targets.new_zeros(targets.shape[0], 1)
        inputs = torch.cat([start, targets[:, :-1].clamp(min=0)], dim=1)
        logits, _ = self(inputs)
        lp = F.log_softmax(logits, dim=-1)
        lp = lp.gather(-1, targets.clamp(min=0).unsqueeze(-1))[..., 0]
        return lp.masked_fill(targets < 0, 0.0)

    @torch.no_grad()
    def generate(self, n, max_length, temperature, generator):
        """Codes ``(n, steps)`` and lengths ``(n,)`` of ``n`` drawn strings.

        Stops when every string has ended or after ``max_length`` characters,
        so memory grows with the longest string drawn, not with ``max_length``.
        """
        device = self.head.weight.device
        tokens = torch.zeros(n, 1, dtype=torch.long, device=device)
        lengths = torch.full((n,), max_length, dtype=torch.long, device=device)
        alive = torch.ones(n, dtype=torch.bool, device=device)
        steps, state = [], None
        for t in range(max_length):
            logits, state = self(tokens, state)
            probs = F.softmax(logits[:, -1] / temperature, dim=-1)
            nxt = torch.multinomial(probs, 1, generator=generator)[:, 0]
            ended = alive & (nxt == 0)
            lengths[ended] = t
            alive &= ~ended
            steps.append(nxt)
            if not alive.any():
                break
            tokens = nxt[:, None]
        codes = torch.stack(steps, dim=1) if steps else tokens.new_zeros(n, 0)
        return codes, lengths


# ------------------------------------------------------------- estimator
@driver_parameters_doc(
    hidden_sizes=(128,), max_epochs=100, batch_size=64, learning_rate=2e-3,
    early_stopping=True, n_iter_no_change=5,
    history="``train_loss`` (mean negative log-probability per *character*, end "
            "tokens included, in nats: the training objective), "
            "``valid_log_likelihood`` (mean log-probability per held-out *string*; "
            "NaN without a validation split)")
class CharacterLanguageModel(BaseDeepGenerative):
    """Character-level language model: an exact probability for every string.

    The lecture's "features are letters": a string ``s = c_1 ... c_n`` gets
    the probability ``p(s) = p(c_1) p(c_2 | c_1) ... p(end | c_1 ... c_n)``,
    each factor predicted by a recurrent network (GRU) that reads the string
    left to right. The end token makes the model a distribution over all
    finite strings, so ``score_samples`` is the exact log-probability of each
    whole string, and ``sample`` writes new strings character by character.

    Parameters
    ----------
    embedding_dim : int, default=32
        Size of the learned vector of each input character.
    vocabulary : str, list of str or None, default=None
        The alphabet: every character the model can write. ``None`` uses the
        characters of the training strings. With an explicit alphabet,
        training strings may use only its characters, and characters of the
        alphabet absent from training still get a (small) probability.
{driver_parameters}
        For this model ``hidden_sizes`` are the widths of the stacked GRU
        layers (an empty tuple leaves only the embedding of the previous
        character: a first-order Markov chain), a row is a string, and the
        validation split holds out strings.

    Attributes
    ----------
    vocabulary_ : str
        The alphabet, one character each, sorted by code point.
    max_length_ : int
        Length of the longest training string.
{driver_attributes}

    See Also
    --------
    MADE : the same chain rule over the features of fixed-length vectors.

    Notes
    -----
    Input is a list (or tuple, 1-D array, pandas Series) of strings; the
    empty string is a valid observation (its probability is that of ending
    at once). Anything else raises a ``ValueError``.

    A string with a character outside :attr:`vocabulary_` cannot be written
    by the model: its probability is zero and ``score_samples`` returns
    ``-inf`` for it, which keeps the probabilities of all strings summing to
    one (an "unknown" token would give one probability to a whole class of
    strings). To leave room for characters not seen in training, pass them in
    ``vocabulary``.

    Bits per character of a string ``s``:
    ``-score_samples([s])[0] / ((len(s) + 1) * log(2))``.

    scikit-learn's estimator checks need numeric 2-D input; this estimator
    declares string input (tags), so they skip it.

    Examples
    --------
    >>> from skgen.autoregressive import CharacterLanguageModel
    >>> words = ["abba", "abab", "baba", "bab", "abb"] * 40
    >>> lm = CharacterLanguageModel(hidden_sizes=(16,), max_epochs=5,
    ...                             random_state=0).fit(words)
    >>> lm.vocabulary_
    'ab'
    >>> logp = lm.score_samples(["abba", "abc"])
    >>> bool(logp[0] < 0), float(logp[1])      # 'c' was never seen: probability 0
    (True, -inf)
    >>> new = lm.sample(3, max_length=10, random_state=0)
    >>> len(new), all(isinstance(s, str) and len(s) <= 10 for s in new)
    (3, True)
    """

    likelihood_kind = "exact"
    _standardize = False
    _streamable = False  # the vocabulary is read from every string
    _loss_is_nll = False  # per character, while the validation figure is per string

    _parameter_constraints = {
        **BaseDeepGenerative._parameter_constraints,
        "embedding_dim": [Interval(Integral, 1, None, closed="left")],
        "vocabulary": [None, str, "array-like"],
    }

    def __init__(self, *, hidden_sizes=(128,), embedding_dim=32, vocabulary=None,
                 max_epochs=100, batch_size=64, learning_rate=2e-3, weight_decay=0.0,
                 early_stopping=True, validation_fraction=0.1, n_iter_no_change=5,
                 device="auto", random_state=None, verbose=0):
        self.hidden_sizes = hidden_sizes
        self.embedding_dim = embedding_dim
        self.vocabulary = vocabulary
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        return tags

    def __sklearn_is_fitted__(self):
        return hasattr(self, "module_")

    # ---------------------------------------------------- text handling
    def _validate_X(self, X, *, reset):
        # replaces numeric validation: the driver's fit calls this first
        return _check_texts(X)

    def _resolve_vocabulary(self, texts):
        seen = set(_code_points(texts).tolist())
        if self.vocabulary is None:
            return "".join(chr(p) for p in sorted(seen))
        alphabet = list(self.vocabulary)
        if not all(isinstance(c, str) and len(c) == 1 for c in alphabet):
            raise ValueError(
                "vocabulary must be a string or a list of single characters, got "
                f"{self.vocabulary!r}."
            )
        points = {ord(c) for c in alphabet}
        missing = sorted(seen - points)
        if missing:
            raise ValueError(
                "The training strings use characters outside vocabulary: "
                f"{''.join(chr(p) for p in missing[:20])!r}. Add them to vocabulary or "
                "leave vocabulary=None to take the alphabet from the data."
            )
        return "".join(chr(p) for p in sorted(points))

    def _vocabulary_points(self):
        return np.array([ord(c) for c in self.vocabulary_], dtype=np.uint32)

    # ------------------------------------------------------------ hooks
    def _fit(self, texts, y):
        self.vocabulary_ = self._resolve_vocabulary(texts)
        self.max_length_ = max(len(t) for t in texts)
        codes, _ = _encode(texts, self._vocabulary_points())
        # the driver trains on rows of codes (float32 holds them exactly)
        return super()._fit(codes.astype(np.float64), None)

    def _check_fitted(self):
        pass  # strings: every draw is a string of the vocabulary

    def _build_module(self, n_features, n_classes):
        return _CharRNN(len(self.vocabulary_), self.embedding_dim, tuple(self.hidden_sizes))

    @staticmethod
    def _targets(X):
        targets = X.long()
        width = int((targets >= 0).sum(dim=1).max())  # drop columns that are padding only
        return targets[:, :width]

    def _log_prob(self, module, X, y):
        return module.token_log_probs(self._targets(X)).sum(dim=1)

    def _loss(self, module, X, y, generator):
        targets = self._targets(X)
        # mean negative log-probability per character (end tokens included)
        return -module.token_log_probs(targets).sum() / (targets >= 0).sum()

    # --------------------------------------------------------- protocol
    def fit(self, X, y=None):
        """Fit the model to strings by maximum likelihood.

        Parameters
        ----------
        X : list of str, 1-D array or pandas Series of shape (n_samples,)
            Training strings (the empty string is allowed).
        y : None
            Ignored.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return super().fit(X, y)

    def score(self, X, y=None):
        """Mean log-probability of the strings of ``X`` (natural log, per string).

        Parameters
        ----------
        X : list of str, 1-D array or pandas Series of shape (n_samples,)
            Strings to score.
        y : None
            Ignored.

        Returns
        -------
        score : float
            ``mean(score_samples(X))``.
        """
        return float(np.mean(self.score_samples(X)))

    def score_samples(self, X, y=None):
        """Log-probability of each whole string, end of string included.

        Parameters
        ----------
        X : list of str, 1-D array or pandas Series of shape (n_samples,)
            Strings to score.
        y : None
            Not used (the model is not conditional); must be ``None``.

        Returns
        -------
        log_prob : ndarray of shape (n_samples,)
            ``log p(s)`` (natural log): the sum over the characters of ``s``
            and its end token of ``log p(next | previous ones)``. ``-inf`` for a
            string with a character outside :attr:`vocabulary_`.
        """
        check_is_fitted(self)
        texts = _check_texts(X)
        self._check_y_call(y, len(texts))
        codes, known = _encode(texts, self._vocabulary_points())
        lengths = (codes >= 0).sum(axis=1) - 1
        out = np.full(len(texts), -np.inf)
        rows = np.flatnonzero(known)
        for chunk in _token_chunks(lengths[rows]):
            idx = rows[chunk]
            width = int(lengths[idx].max()) + 1
            Xt = torch.as_tensor(codes[idx, :width], dtype=torch.float32).to(self.device_)
            out[idx] = self._batch_log_prob(self._inference_module(), Xt, None)
        return out

    def sample(self, n_samples=1, *, max_length=None, temperature=1.0, y=None,
               random_state=None):
        """Write new strings, character by character.

        Parameters
        ----------
        n_samples : int, default=1
            Number of strings.
        max_length : int or None, default=None
            Longest string written; a string that has not ended by then is cut
            at ``max_length`` characters (so it is not an exact draw from the
            model). ``None`` means twice :attr:`max_length_`.
        temperature : float, default=1.0
            Each next-character distribution is ``softmax(logits /
            temperature)``: ``1`` samples the model itself, lower values
            favour likely characters (more regular strings), higher values
            flatten the distribution (more surprising strings).
        y : None
            Not used (the model is not conditional); must be ``None``.
        random_state : int, RandomState instance or None, default=None
            Seed for this call; overrides the estimator's ``random_state``.
            With ``None``, successive calls continue one random stream
            seeded at ``fit``.

        Returns
        -------
        texts : list of str
            ``n_samples`` new strings.
        """
        check_is_fitted(self)
        n_samples = _check_n_samples(n_samples)
        self._check_y_call(y, n_samples)
        if max_length is None:
            max_length = 2 * self.max_length_
        elif isinstance(max_length, bool) or not isinstance(max_length, Integral) or (
                max_length < 0):
            raise ValueError(
                f"max_length must be a non-negative integer or None, got {max_length!r}."
            )
        if isinstance(temperature, bool) or not isinstance(temperature, Real) or not (
                0 < temperature < math.inf):
            raise ValueError(
                f"temperature must be a positive finite number, got {temperature!r}."
            )
        rng = (self._sampling_rng if random_state is None
               else check_random_state(random_state))
        generator = torch_generator(rng, self.device_)
        chars = np.array([""] + list(self.vocabulary_), dtype=object)
        self.module_.eval()
        texts = []
        for start in range(0, n_samples, _SAMPLE_CHUNK):
            m = min(_SAMPLE_CHUNK, n_samples - start)
            codes, lengths = self.module_.generate(m, int(max_length), float(temperature),
                                                   generator)
            codes, lengths = codes.cpu().numpy(), lengths.cpu().numpy()
            texts += ["".join(chars[row[:k]]) for row, k in zip(codes, lengths)]
        return texts
