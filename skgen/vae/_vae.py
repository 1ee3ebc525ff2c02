"""The variational autoencoder as a scikit-learn estimator.

The training loop, standardization, labels and pickling come from
:class:`skgen.nn.BaseDeepGenerative`; this module holds the encoder/decoder
network (:class:`_VAENet`), the bounds on ``log p(x)`` as pure functions of
that network, and the estimator that ties them to the driver's hooks.
"""

import functools
import math
from numbers import Integral, Real

import numpy as np
import torch
from scipy.special import logsumexp
from sklearn.base import ClassNamePrefixFeaturesOutMixin
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Hidden, Interval, StrOptions
from sklearn.utils.validation import check_array, check_is_fitted
from torch import nn
from torch.nn import functional as F

from ..base import ConditionalMixin, LatentMixin, _renamed_parameter
from ..nn import (
    MLP,
    BaseDeepGenerative,
    adam,
    driver_parameters_doc,
    hashed_normal,
    init_parameters,
    label_embedding,
    row_keys,
)

__all__ = ["VAE"]

_LOG_2PI = math.log(2.0 * math.pi)
#: Encoder log-variances are clipped to this range so that rows far from the
#: data keep finite bounds.
_ENCODER_LOG_VAR = (-15.0, 15.0)
#: Smallest learned decoder variance (standardized units): keeps the bound
#: finite when a feature is (nearly) constant.
_MIN_DECODER_LOG_VAR = math.log(1e-6)
#: Initial learned decoder variance (standardized units). Starting at the
#: data's own variance (1) makes "ignore z, predict the mean" a trap: the KL
#: term then outweighs what a code could explain, and the encoder collapses
#: to the prior (posterior collapse). A smaller start makes reconstruction
#: matter from the first epoch; the variance is learned from there.
_INIT_DECODER_VAR = 0.1
#: Step size of the learned decoder variance, in multiples of ``learning_rate``
#: (see ``VAE._make_optimizers``): Adam moves a parameter by about its step
#: size per update, so the log-variance can cross its usual range (a few nats)
#: in about a hundred updates, the patience of early stopping on a small table.
_VARIANCE_STEP = 30.0
#: Rows times importance samples evaluated at once when scoring.
_SCORE_BUDGET = 2**16


class _VAENet(nn.Module):
    """Gaussian encoder ``q(z | x[, y])`` and decoder ``p(x | z[, y])``.

    Parameters
    ----------
    n_features, n_components : int
    hidden_sizes : tuple of int
        Widths of the hidden layers of both networks; ``()`` makes them linear.
    distribution : {"gaussian", "bernoulli"}
        The decoder's distribution.
    decoder_variance : "learned" or float
        Gaussian decoder only: a learned variance per feature, or a fixed one.
    n_classes : int, default=0
        With ``n_classes > 0``, class codes are embedded and the embedding is
        appended to the inputs of both networks.
    """

    _owns_init = True

    def __init__(self, n_features, n_components, hidden_sizes, *, distribution,
                 decoder_variance, n_classes=0):
        super().__init__()
        self.embedding, emb = label_embedding(n_classes)
        self.encoder = MLP(n_features + emb, 2 * n_components, hidden_sizes)
        self.decoder = MLP(n_components + emb, n_features, hidden_sizes)
        self.distribution = distribution
        self.n_components = int(n_components)
        self.learned_variance = distribution == "gaussian" and decoder_variance == "learned"
        if self.learned_variance:
            self.log_var = nn.Parameter(torch.full((n_features,), math.log(_INIT_DECODER_VAR)))
        else:
            fixed = 1.0 if distribution != "gaussian" else float(decoder_variance)
            self.register_buffer("log_var", torch.full((n_features,), math.log(fixed)))

    def __setstate__(self, state):
        if "likelihood" in state:  # pickled by skgen 0.1, where the attribute had that name
            state["distribution"] = state.pop("likelihood")
        super().__setstate__(state)

    def reset_parameters(self, generator=None):
        for child in (self.encoder, self.decoder, self.embedding):
            if child is not None:
                init_parameters(child, generator)
        if self.learned_variance:
            nn.init.constant_(self.log_var, math.log(_INIT_DECODER_VAR))

    def context(self, y):
        """Label embedding of shape ``(n, emb)``, or ``None``."""
        return None if self.embedding is None or y is None else self.embedding(y)

    @staticmethod
    def _with(h, context):
        if context is None:
            return h
        return torch.cat([h, context.expand(*h.shape[:-1], context.shape[-1])], dim=-1)

    def encode(self, x, context=None):
        """Mean and log-variance of ``q(z | x)``, each of shape ``(n, n_components)``."""
        mu, log_var = self.encoder(self._with(x, context)).chunk(2, dim=-1)
        return mu, log_var.clamp(*_ENCODER_LOG_VAR)

    def decode(self, z, context=None):
        """Decoder output: the mean (Gaussian) or the logits (Bernoulli) of ``p(x | z)``."""
        return self.decoder(self._with(z, context))

    def decoder_log_var(self):
        """Log-variance of the Gaussian decoder per feature, shape ``(n_features,)``."""
        if self.learned_variance:
            return self.log_var.clamp(min=_MIN_DECODER_LOG_VAR)
        return self.log_var

    def log_likelihood(self, x, out):
        """``log p(x | z)`` summed over features, from the decoder output ``out``."""
        if self.distribution == "bernoulli":
            return -F.binary_cross_entropy_with_logits(
                out, x.expand_as(out), reduction="none").sum(-1)
        log_var = self.decoder_log_var()
        return -0.5 * (_LOG_2PI + log_var + (x - out) ** 2 * torch.exp(-log_var)).sum(-1)

    def mean(self, out):
        """Mean of ``p(x | z)`` from the decoder output."""
        return torch.sigmoid(out) if self.distribution == "bernoulli" else out

    def draw(self, out, generator):
        """One draw of ``x ~ p(x | z)`` from the decoder output."""
        if self.distribution == "bernoulli":
            return torch.bernoulli(torch.sigmoid(out), generator=generator)
        noise = torch.randn(out.shape, generator=generator, device=out.device, dtype=out.dtype)
        return out + torch.exp(0.5 * self.decoder_log_var()) * noise


def _log_weights(net, x, context, eps):
    """Log importance weights ``log p(x, z_j) - log q(z_j | x)``.

    Parameters
    ----------
    net : _VAENet
    x : tensor of shape (n, d)
    context : tensor of shape (n, e) or None
    eps : tensor of shape (n, k, m) or (k, m)
        Standard-normal draws; ``z_j = mu(x) + sigma(x) * eps_j``.

    Returns
    -------
    log_w : tensor of shape (n, k)
    log_px : tensor of shape (n, k)
        The reconstruction terms ``log p(x | z_j)``.
    """
    mu, log_var = net.encode(x, context)
    z = mu[:, None, :] + torch.exp(0.5 * log_var)[:, None, :] * eps  # (n, k, m)
    ctx = None if context is None else context[:, None, :]
    log_px = net.log_likelihood(x[:, None, :], net.decode(z, ctx))
    m = z.shape[-1]
    log_pz = -0.5 * (m * _LOG_2PI + (z * z).sum(-1))
    log_qz = -0.5 * (m * _LOG_2PI + log_var.sum(-1)[:, None] + (eps * eps).sum(-1))
    return log_px + log_pz - log_qz, log_px


#: Stream of the per-row hashed noise that gives the importance draws.
_STREAM_IMPORTANCE = 7


def _row_normals(X, k, m, seed):
    """``(n, k, m)`` standard normals, a deterministic function of each row and ``seed``.

    The draws of a row do not depend on the other rows scored with it, and
    different rows get independent draws (see :func:`skgen.nn.row_keys`).
    """
    keys = row_keys(X, seed)
    return hashed_normal(keys, _STREAM_IMPORTANCE, k * m).reshape(-1, k, m)


def _kl_to_prior(mu, log_var):
    """``KL(N(mu, diag(exp(log_var))) || N(0, I))`` per row."""
    return 0.5 * (mu * mu + torch.exp(log_var) - 1.0 - log_var).sum(-1)


def iwae_bound(net, x, context, eps):
    """Importance-weighted bound ``log (1/k) sum_j p(x, z_j) / q(z_j | x)``, shape ``(n,)``.

    Its expectation increases with ``k`` toward ``log p(x)`` (Burda et al.,
    2016); ``k = 1`` is a one-draw estimate of the ELBO.
    """
    log_w, _ = _log_weights(net, x, context, eps)
    return torch.logsumexp(log_w, dim=1) - math.log(log_w.shape[1])


def elbo_estimate(net, x, context, eps):
    """ELBO ``E_q[log p(x | z)] - KL(q(z | x) || p(z))``, shape ``(n,)``.

    The reconstruction term is averaged over the ``k`` draws, the KL term is
    exact.
    """
    _, log_px = _log_weights(net, x, context, eps)
    mu, log_var = net.encode(x, context)
    return log_px.mean(1) - _kl_to_prior(mu, log_var)


@driver_parameters_doc(
    hidden_sizes=(64, 64), max_epochs=500, batch_size=256, learning_rate=1e-3,
    early_stopping=True, n_iter_no_change=10,
    history="``train_loss`` (mean negative ELBO of the training rows, one draw, in "
            "nats per row in the units of ``X``), ``valid_log_likelihood`` (mean "
            "importance-weighted bound of the validation rows in the units of ``X``; "
            "NaN without a validation split)")
class VAE(ConditionalMixin, ClassNamePrefixFeaturesOutMixin, LatentMixin, BaseDeepGenerative):
    """Variational autoencoder (Kingma and Welling, 2014).

    A latent variable ``z ~ N(0, I)`` of ``n_components`` dimensions is decoded
    by a network into ``p(x | z)`` (a Gaussian or a product of Bernoullis); a
    second network, the encoder, maps ``x`` to a Gaussian ``q(z | x)`` with a
    diagonal covariance. Training maximizes the evidence lower bound

    ``ELBO(x) = E_q[log p(x | z)] - KL(q(z | x) || p(z)) <= log p(x)``

    with the reparameterization ``z = mu(x) + sigma(x) * eps``. The marginal
    ``log p(x)`` itself is intractable: :meth:`score_samples` returns the
    importance-weighted bound with ``k = n_importance_samples`` draws from
    ``q``, which is below ``log p(x)`` in expectation and tends to it as ``k``
    grows (Burda et al., 2016), hence ``likelihood_kind = "lower_bound"``.

    Parameters
    ----------
    n_components : int, default=2
        Dimension of the latent space.
    distribution : {"gaussian", "bernoulli"}, default="gaussian"
        The decoder's distribution. ``"gaussian"``: the features are
        standardized, and ``p(x | z)`` is a Gaussian with mean given by the
        decoder and a variance per feature set by ``decoder_variance``.
        ``"bernoulli"``: for binary data (or values in ``[0, 1]``, taken as
        probabilities); the decoder gives one probability per feature, the
        data are not standardized, and ``log p(x | z)`` is the binary
        cross-entropy. The bound is then on the log-probability of binary
        rows; for values strictly between 0 and 1 the cross-entropy is not a
        normalized density, so such scores only rank rows. Rows outside
        ``[0, 1]`` have ``score_samples`` ``-inf``.
    decoder_variance : "learned" or float, default="learned"
        Gaussian decoder only. ``"learned"``: one variance per feature,
        independent of ``z``, learned with the networks (so that the linear
        model is factor analysis); it starts at a tenth of each feature's
        variance, which keeps the encoder from collapsing to the prior early
        in training, and learns with 30 times ``learning_rate`` (one number
        per feature: at the networks' step size, a small table's training
        stopped long before it reached the residual variance). A float fixes
        every feature's variance to that value times the feature's variance
        in the training data (the networks see standardized features).
    n_importance_samples : int, default=50
        Draws ``k`` from ``q(z | x)`` in :meth:`score_samples` (``k = 1`` is
        the ELBO) and in :meth:`elbo`. It can be changed after fitting with
        ``set_params``. Scoring costs ``k`` decoder passes per row.
{driver_parameters}
        ``hidden_sizes=()`` makes the encoder and the decoder linear: the
        model is then factor analysis fitted variationally.
    likelihood : {"gaussian", "bernoulli"}
        Deprecated alias of ``distribution`` (renamed in 0.2, removed in 0.3).

    Attributes
    ----------
{driver_attributes}
    n_components_ : int
        Dimension of the latent space.
    classes_ : ndarray
        Labels seen in ``fit(X, y)`` (conditional fits only).
    class_prior_ : ndarray
        Their frequencies (conditional fits only).
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Feature names, when ``X`` had string column names.

    See Also
    --------
    skgen.classical.ProbabilisticPCA : the linear-Gaussian latent model with an
        exact likelihood.
    skgen.classical.FactorAnalysis : what ``hidden_sizes=()`` fits, in closed form.
    skgen.flows.NSF : an exact density, no latent compression.

    Notes
    -----
    The ``k`` importance draws of a row in :meth:`score_samples` and
    :meth:`elbo` are a deterministic function of the row and of a seed fixed
    at ``fit`` (a counter-based hash), so both methods are functions of ``x``
    that do not depend on which other rows are scored with it, while
    different rows get independent draws and averages over rows average out
    the Monte-Carlo noise. Each row's value is still a ``k``-draw estimate
    of the bound, below ``log p(x)`` in expectation, not the bound itself.

    :meth:`sample` draws ``z`` from the prior and then ``x ~ p(x | z)``, noise
    included (binary rows for a Bernoulli decoder). The decoder means of prior
    draws, often what image papers show, are
    ``inverse_transform(rng.standard_normal((n, n_components)))``.

    Given ``y`` in ``fit``, the model is ``p(x | y)``: an embedding of the
    label is appended to the inputs of the encoder and the decoder.
    ``score_samples(X)`` without ``y`` is then the bound on the marginal
    ``log sum_c p(c) p(x | c)``, and :meth:`transform` without ``y`` averages
    the per-class latent means with weights ``p(c | x)`` computed from the
    bound.

    References
    ----------
    D. P. Kingma and M. Welling, "Auto-Encoding Variational Bayes", ICLR 2014.
    Y. Burda, R. Grosse and R. Salakhutdinov, "Importance Weighted
    Autoencoders", ICLR 2016.

    Examples
    --------
    >>> import numpy as np
    >>> from skgen.vae import VAE
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(300, 2)) @ [[1.0, 0.5, 0.0], [0.0, 1.0, 2.0]]
    >>> vae = VAE(n_components=2, hidden_sizes=(16,), max_epochs=5,
    ...           random_state=0).fit(X)
    >>> vae.transform(X[:4]).shape, vae.sample(3, random_state=0).shape
    ((4, 2), (3, 3))
    >>> vae.likelihood_kind
    'lower_bound'
    >>> bool(np.all(vae.score_samples(X[:5]) >= vae.elbo(X[:5]) - 1e-6))
    True
    """

    likelihood_kind = "lower_bound"
    _renamed_parameters = (("likelihood", "distribution", "distribution_"),)
    #: Inference in float64: a row's bound, code or decoding does not depend on
    #: the other rows of the call (float32 products round differently for
    #: other batch shapes).
    _inference_dtype = torch.float64

    _parameter_constraints = {
        **BaseDeepGenerative._parameter_constraints,
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "distribution": [StrOptions({"gaussian", "bernoulli"})],
        "decoder_variance": [StrOptions({"learned"}), Interval(Real, 0, None, closed="neither")],
        "n_importance_samples": [Interval(Integral, 1, None, closed="left")],
        "likelihood": [StrOptions({"gaussian", "bernoulli"}),
                       Hidden(StrOptions({"deprecated"}))],
    }

    def __init__(self, n_components=2, *, distribution="gaussian", decoder_variance="learned",
                 hidden_sizes=(64, 64), n_importance_samples=50, max_epochs=500,
                 batch_size=256, learning_rate=1e-3, weight_decay=0.0,
                 early_stopping=True, validation_fraction=0.1, n_iter_no_change=10,
                 device="auto", random_state=None, verbose=0, likelihood="deprecated"):
        self.n_components = n_components
        self.distribution = distribution
        self.decoder_variance = decoder_variance
        self.hidden_sizes = hidden_sizes
        self.n_importance_samples = n_importance_samples
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
        self.likelihood = likelihood

    # ------------------------------------------------------ driver hooks
    @property
    def _standardize(self):
        """The driver standardizes features for a Gaussian decoder only."""
        return self.distribution_ == "gaussian"

    def _fit(self, X, y):
        self.distribution_ = _renamed_parameter(self, "likelihood", "distribution")
        if self.distribution_ == "bernoulli" and (X.min() < 0 or X.max() > 1):
            raise ValueError(
                "distribution='bernoulli' needs data in [0, 1] (binary data or "
                f"probabilities), got values in [{X.min():g}, {X.max():g}]. Scale the "
                "data to [0, 1] or use distribution='gaussian'."
            )
        # One seed for the importance draws of score_samples/elbo, fixed at fit
        # and mixed with a tag so that it differs from the driver's streams.
        first = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
        self._score_seed = int(np.random.SeedSequence([int(first), 0x5A3E]).generate_state(1)[0])
        self.n_components_ = int(self.n_components)
        return super()._fit(X, y)

    def _make_optimizers(self, run):
        """Adam over every parameter; the learned decoder variance ``_VARIANCE_STEP`` times faster.

        The variance is one number per feature shared by every row; at
        Adam's ``learning_rate`` per update it would take thousands of updates
        to move from its start (a tenth of each feature's variance) to the
        residual variance, and on a small table early stopping comes first.
        """
        module = run.module
        if not module.learned_variance:
            return super()._make_optimizers(run)
        others = [p for name, p in module.named_parameters() if name != "log_var"]
        optimizer = adam(others, lr=self.learning_rate, weight_decay=self.weight_decay)
        optimizer.add_param_group({"params": [module.log_var],
                                   "lr": _VARIANCE_STEP * self.learning_rate})
        return [optimizer]

    def _build_module(self, n_features, n_classes):
        return _VAENet(n_features, self.n_components, tuple(self.hidden_sizes),
                       distribution=self.distribution_,
                       decoder_variance=self.decoder_variance,
                       n_classes=n_classes)

    def _draws_per_row(self):
        return int(self.n_importance_samples)  # the network runs k times per row

    def _log_prob(self, module, X, y, bound=iwae_bound):
        """The importance-weighted bound (or ``bound``, e.g. :func:`elbo_estimate`)."""
        k, context = self.n_importance_samples, module.context(y)
        rows = max(1, _SCORE_BUDGET // k)
        out = []
        for i in range(0, X.shape[0], rows):
            xb = X[i:i + rows]
            eps = _row_normals(xb.detach().cpu().numpy(), k, self.n_components_,
                               self._score_seed)
            eps = torch.as_tensor(eps, dtype=X.dtype).to(X.device)
            ctx = None if context is None else context[i:i + rows]
            out.append(bound(module, xb, ctx, eps))
        lp = torch.cat(out) if out else X.new_zeros(0)
        if self.distribution_ == "bernoulli":
            outside = ((X < 0) | (X > 1)).any(dim=1)
            lp = lp.masked_fill(outside, -math.inf)
        return lp

    def _loss(self, module, X, y, generator):
        context = module.context(y)
        mu, log_var = module.encode(X, context)
        eps = torch.randn(mu.shape, generator=generator, device=mu.device, dtype=mu.dtype)
        z = mu + torch.exp(0.5 * log_var) * eps
        log_px = module.log_likelihood(X, module.decode(z, context))
        return (_kl_to_prior(mu, log_var) - log_px).mean()

    def _sample_module(self, module, n_samples, y, generator):
        p = next(module.parameters())
        z = torch.randn(n_samples, self.n_components_, generator=generator,
                        device=p.device, dtype=p.dtype)
        return module.draw(module.decode(z, module.context(y)), generator)

    # ----------------------------------------------------------- bounds
    def elbo(self, X, y=None):
        """The evidence lower bound of each row, ``E_q[log p(x|z)] - KL(q || p)``.

        The expected reconstruction term is estimated with the same
        ``n_importance_samples`` draws as :meth:`score_samples`, the KL term is
        exact. It is below the importance-weighted bound in expectation.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Rows to bound.
        y : label or array-like of shape (n_samples,), default=None
            Labels for a model fit with ``y``; ``None`` bounds the marginal.

        Returns
        -------
        elbo : ndarray of shape (n_samples,)
            Natural log, in the units of ``X`` (standardization's Jacobian
            included).
        """
        elbo = functools.partial(self._log_prob, bound=elbo_estimate)
        return self._score_with(functools.partial(self._score_samples, log_prob=elbo), X, y)

    # ----------------------------------------------------- latent space
    def _codes_or_classes(self, y, n):
        """Class codes for ``y``, or ``None`` when the model is unconditional."""
        if y is not None:
            return [self._encode_labels(y)], None
        if hasattr(self, "classes_"):
            return [np.full(n, c) for c in range(len(self.classes_))], self.class_prior_
        return [None], None

    @torch.no_grad()
    def transform(self, X, y=None):
        """Encode rows to the mean of ``q(z | x)``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Rows to encode.
        y : label or array-like of shape (n_samples,), default=None
            Labels, for a model fit with ``y``. Without them, the per-class
            means are averaged with weights ``p(c | x)`` (from the bound).

        Returns
        -------
        Z : ndarray of shape (n_samples, n_components_)
            Latent means.
        """
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        y = self._check_y_call(y, X.shape[0])
        codes, prior = self._codes_or_classes(y, X.shape[0])
        module = self._inference_module()
        xt = torch.as_tensor(self._standardize_X(X), dtype=self._inference_dtype).to(self.device_)
        means = []
        for c in codes:
            ct = None if c is None else module.context(torch.as_tensor(c).to(self.device_))
            means.append(module.encode(xt, ct)[0].double().cpu().numpy())
        if prior is None:
            return means[0]
        log_post = np.stack([
            self._score_samples(X, np.full(X.shape[0], label)) + np.log(p)
            for label, p in zip(self.classes_, prior)
        ])
        weights = np.exp(log_post - logsumexp(log_post, axis=0))
        weights[:, ~np.isfinite(log_post).any(axis=0)] = prior[:, None]
        return np.einsum("cn,cnm->nm", weights, np.stack(means))

    @torch.no_grad()
    def inverse_transform(self, Z, y=None):
        """Decode latent points to the mean of ``p(x | z)``, in the units of ``X``.

        Parameters
        ----------
        Z : array-like of shape (n_samples, n_components_)
            Latent coordinates.
        y : label or array-like of shape (n_samples,), default=None
            Labels, for a model fit with ``y``. Without them, the decoder
            means of the classes are averaged with weights ``class_prior_``
            (the prior of ``y`` is independent of ``z``, so this is
            ``E[x | z]``).

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
            Decoder means (probabilities for a Bernoulli decoder).
        """
        check_is_fitted(self)
        Z = check_array(Z, dtype=np.float64, input_name="Z")
        if Z.shape[1] != self.n_components_:
            raise ValueError(
                f"Z has {Z.shape[1]} latent coordinates, but {type(self).__name__} has "
                f"n_components_={self.n_components_}."
            )
        y = self._check_y_call(y, Z.shape[0])
        codes, prior = self._codes_or_classes(y, Z.shape[0])
        module = self._inference_module()
        zt = torch.as_tensor(Z, dtype=self._inference_dtype).to(self.device_)
        out = 0.0
        weights = [1.0] if prior is None else prior
        for c, w in zip(codes, weights):
            ct = None if c is None else module.context(torch.as_tensor(c).to(self.device_))
            out = out + w * module.mean(module.decode(zt, ct)).double().cpu().numpy()
        return self._unstandardize(out)

    @property
    def _n_features_out(self):
        return self.n_components_
