"""The generative adversarial network as a scikit-learn estimator.

Training, standardization, labels, seeding, device placement, sampling and
pickling come from :class:`skgen.nn.BaseDeepGenerative`. A GAN has no
likelihood to maximize: two networks play a game, so it overrides only the
driver's steps that differ: two optimizers (:meth:`GAN._make_optimizers`),
the alternating adversarial update (:meth:`GAN._train_step`) and the
validation figure early stopping follows (:meth:`GAN._validation_metrics`).
"""

import functools
from numbers import Integral, Real

import torch
from sklearn.utils._param_validation import Hidden, Interval, StrOptions
from torch import nn
from torch.nn import functional as F

from ..base import ConditionalMixin, _renamed_parameter
from ..metrics import energy_distance
from ..nn import (
    MLP,
    BaseDeepGenerative,
    MovingAverage,
    adam,
    driver_parameters_doc,
    label_embedding,
)

__all__ = ["GAN"]

#: Adam's (beta1, beta2) per loss: the usual settings of the two papers.
_BETAS = {"non_saturating": (0.5, 0.999), "wgan-gp": (0.5, 0.9)}
#: Gradient-penalty weight when ``gradient_penalty="auto"`` (standardized
#: units): R1 for the logistic discriminator; for WGAN-GP the weight of
#: Gulrajani et al.'s low-dimensional experiments (their images use 10, which
#: here makes the critic too stiff to follow the generator).
_AUTO_PENALTY = {"non_saturating": 0.1, "wgan-gp": 0.1}
#: Discriminator steps per generator step when ``n_critic="auto"``.
_AUTO_N_CRITIC = {"non_saturating": 1, "wgan-gp": 5}
#: Most validation rows compared with generated ones by the energy distance.
_MAX_MONITOR = 1000


class _Conditioned(nn.Module):
    """An MLP whose input is ``h`` with a label embedding appended (when labels exist)."""

    def __init__(self, in_features, out_features, hidden_sizes, n_classes, **mlp_kwargs):
        super().__init__()
        self.embedding, emb = label_embedding(n_classes)
        self.mlp = MLP(in_features + emb, out_features, hidden_sizes, **mlp_kwargs)

    def forward(self, h, y=None):
        if self.embedding is not None and y is not None:
            h = torch.cat([h, self.embedding(y)], dim=-1)
        return self.mlp(h)


class _GANNet(nn.Module):
    """Generator ``G(z[, y])``, discriminator ``D(x[, y])`` and the averaged generator.

    Samples come from ``average_generator``, the generator's weights
    averaged by :class:`skgen.nn.MovingAverage` after each generator step.
    """

    def __init__(self, n_features, latent_dim, hidden_sizes, *, n_classes=0):
        super().__init__()
        self.latent_dim = int(latent_dim)
        self.generator = _Conditioned(latent_dim, n_features, hidden_sizes, n_classes)
        self.average_generator = _Conditioned(latent_dim, n_features, hidden_sizes,
                                              n_classes)
        self.average_generator.requires_grad_(False)
        self.discriminator = _Conditioned(n_features, 1, hidden_sizes, n_classes,
                                          activation=functools.partial(nn.LeakyReLU, 0.2))

    def generate(self, z, y=None, *, average=False):
        """Standardized rows ``G(z)``, shape ``(n, n_features)``."""
        return (self.average_generator if average else self.generator)(z, y)

    def critic(self, x, y=None):
        """Discriminator logits (critic values for WGAN-GP), shape ``(n,)``."""
        return self.discriminator(x, y).squeeze(-1)


def _gradient_penalty(net, real, fake, y, generator):
    """WGAN-GP's ``E[(||grad D(x_hat)|| - 1)^2]`` on random interpolates, a scalar."""
    t = torch.rand(real.shape[0], 1, generator=generator, device=real.device, dtype=real.dtype)
    x_hat = (t * real + (1 - t) * fake).requires_grad_(True)
    (grad,) = torch.autograd.grad(net.critic(x_hat, y).sum(), x_hat, create_graph=True)
    return ((grad.norm(dim=1) - 1.0) ** 2).mean()


def discriminator_loss(net, real, fake, y, loss, gradient_penalty, generator):
    """The discriminator's (critic's) loss on a batch, a scalar.

    ``"non_saturating"``: the logistic loss of telling real (label 1) from
    fake (label 0), ``softplus(-D(x)) + softplus(D(G(z)))``, plus
    ``gradient_penalty / 2`` times the R1 penalty ``E ||grad D(x)||^2`` on
    real rows (Mescheder et al., 2018). ``"wgan-gp"``: ``D(G(z)) - D(x)``
    plus ``gradient_penalty`` times WGAN-GP's penalty.
    """
    r1 = loss == "non_saturating" and gradient_penalty > 0
    if r1:
        real = real.detach().requires_grad_(True)
    both = net.critic(torch.cat([real, fake]), None if y is None else torch.cat([y, y]))
    d_real, d_fake = both[:real.shape[0]], both[real.shape[0]:]
    if loss == "non_saturating":
        out = F.softplus(-d_real).mean() + F.softplus(d_fake).mean()
        if r1:
            (grad,) = torch.autograd.grad(d_real.sum(), real, create_graph=True)
            out = out + 0.5 * gradient_penalty * (grad * grad).sum(1).mean()
        return out
    penalty = _gradient_penalty(net, real, fake, y, generator)
    return d_fake.mean() - d_real.mean() + gradient_penalty * penalty


def generator_loss(net, fake, y, loss):
    """The generator's loss on a batch of its samples, a scalar.

    ``"non_saturating"``: ``softplus(-D(G(z)))``, i.e. ``-log sigmoid D``,
    which keeps strong gradients while the discriminator wins (Goodfellow et
    al., 2014). ``"wgan-gp"``: ``-D(G(z))``.
    """
    d_fake = net.critic(fake, y)
    if loss == "non_saturating":
        return F.softplus(-d_fake).mean()
    return -d_fake.mean()


@driver_parameters_doc(
    hidden_sizes=(128, 128), max_epochs=200, batch_size=128, learning_rate=1e-3,
    early_stopping=False, n_iter_no_change=20,
    history="``discriminator_loss`` and ``generator_loss`` (means over the epoch's "
            "steps), ``valid_energy_distance`` (between validation rows and generated "
            "rows, standardized; NaN without early stopping)")
class GAN(ConditionalMixin, BaseDeepGenerative):
    """Generative adversarial network with MLP generator and discriminator.

    A generator network maps latent noise ``z ~ N(0, I)`` to rows; a
    discriminator network learns to tell generated rows from real ones, and
    the generator learns to fool it (Goodfellow et al., 2014). Training
    alternates ``n_critic`` discriminator steps with one generator step, each
    with its own Adam optimizer.

    A GAN is an *implicit* model: it can :meth:`sample`, but defines no
    density (its samples lie on the image of the generator, a set of volume
    zero when ``n_components < n_features``, and no formula gives their
    density otherwise). Hence ``likelihood_kind = "none"``: ``score_samples``
    and ``score`` do not exist (``hasattr`` is False) and asking for them
    explains why. Evaluate it with the sample-quality metrics of
    :mod:`skgen.metrics` (``classifier_two_sample_auc``, ``energy_distance``).

    Parameters
    ----------
    n_components : int, default=8
        Dimension of the latent noise ``z`` the generator maps to rows (the
        name of the latent size in every skgen model).
    loss : {"non_saturating", "wgan-gp"}, default="non_saturating"
        ``"non_saturating"``: the logistic discriminator with the
        non-saturating generator loss ``-log D(G(z))``. ``"wgan-gp"``: a
        Wasserstein critic with gradient penalty (Gulrajani et al., 2017).
    n_critic : int or "auto", default="auto"
        Discriminator steps per generator step; ``"auto"`` is 1 for
        ``"non_saturating"`` and 5 for ``"wgan-gp"``. Each minibatch is one
        discriminator step; every ``n_critic``-th is followed by a generator
        step.
    gradient_penalty : float or "auto", default="auto"
        Weight of a penalty on the discriminator's gradient, which keeps it
        smooth and the game stable. ``"non_saturating"``: the R1 penalty
        ``gradient_penalty / 2 * E ||grad D(x)||^2`` on real rows
        (Mescheder et al., 2018); ``"wgan-gp"``: the penalty
        ``E (||grad D(x_hat)|| - 1)^2`` on random interpolates of real and
        generated rows (the weight 10 of image models makes the critic too
        stiff on low-dimensional data). ``"auto"`` is 0.1 for both (features
        are standardized); 0 switches the penalty off.
    ema_decay : float in [0, 1), default=0.99
        Samples come from an exponential moving average of the generator's
        weights (:class:`skgen.nn.MovingAverage`, updated after each
        generator step, with a short warm-up), which smooths out the
        oscillations of adversarial training (Yazici et al., 2019). 0
        samples from the last weights.
{driver_parameters}
    latent_dim : int
        Deprecated alias of ``n_components`` (renamed in 0.2, removed in 0.3).

    Attributes
    ----------
{driver_attributes}
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
    skgen.flows.NSF : a flow: samples like a GAN's, plus an exact density.
    skgen.vae.VAE : a latent-variable model with a bound on ``log p(x)``.

    Notes
    -----
    A GAN has no likelihood to monitor, and its losses do not tell whether
    samples improve. With ``early_stopping=True``, ``validation_fraction`` of
    the rows (at most 1000 are used) are compared after each epoch with as
    many generated rows (fixed latent draws) by the energy distance, and the
    generator of the epoch with the smallest distance is kept. The step size
    is not halved on a plateau. ``module_`` holds ``generator``,
    ``average_generator`` (which :meth:`sample` uses) and ``discriminator``.

    Features are standardized before the networks see them and samples are
    mapped back. Given ``y`` in ``fit``, the model is ``p(x | y)``: both
    networks see an embedding of the label, fake rows in training get the
    labels of the real rows of their minibatch, and ``sample(n, y=...)``
    conditions on labels (``sample(n)`` draws them from ``class_prior_``).

    References
    ----------
    I. Goodfellow et al., "Generative Adversarial Nets", NeurIPS 2014.
    I. Gulrajani et al., "Improved Training of Wasserstein GANs", NeurIPS 2017.
    L. Mescheder, A. Geiger and S. Nowozin, "Which Training Methods for GANs
    do actually Converge?", ICML 2018.
    Y. Yazici et al., "The Unusual Effectiveness of Averaging in GAN
    Training", ICLR 2019.

    Examples
    --------
    >>> import numpy as np
    >>> from skgen.adversarial import GAN
    >>> X = np.random.RandomState(0).normal(size=(200, 2))
    >>> gan = GAN(n_components=2, hidden_sizes=(16,), max_epochs=3, random_state=0).fit(X)
    >>> gan.sample(4, random_state=0).shape
    (4, 2)
    >>> gan.likelihood_kind, hasattr(gan, "score_samples")
    ('none', False)
    """

    likelihood_kind = "none"
    _renamed_parameters = (("latent_dim", "n_components", None),)
    _loss_is_nll = False
    _monitor = ("valid_energy_distance", "min")
    _reduce_lr_on_plateau = False

    _parameter_constraints = {
        **BaseDeepGenerative._parameter_constraints,
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "loss": [StrOptions({"non_saturating", "wgan-gp"})],
        "n_critic": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "gradient_penalty": [StrOptions({"auto"}), Interval(Real, 0, None, closed="left")],
        "ema_decay": [Interval(Real, 0, 1, closed="left")],
        "latent_dim": [Interval(Integral, 1, None, closed="left"),
                       Hidden(StrOptions({"deprecated"}))],
    }

    def __init__(self, n_components=8, *, loss="non_saturating", n_critic="auto",
                 gradient_penalty="auto", ema_decay=0.99, hidden_sizes=(128, 128),
                 max_epochs=200, batch_size=128, learning_rate=1e-3, weight_decay=0.0,
                 early_stopping=False, validation_fraction=0.1, n_iter_no_change=20,
                 device="auto", random_state=None, verbose=0, latent_dim="deprecated"):
        self.n_components = n_components
        self.loss = loss
        self.n_critic = n_critic
        self.gradient_penalty = gradient_penalty
        self.ema_decay = ema_decay
        self.hidden_sizes = hidden_sizes
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
        self.latent_dim = latent_dim

    # ------------------------------------------------------- model hooks
    def _build_module(self, n_features, n_classes):
        n_components = _renamed_parameter(self, "latent_dim", "n_components")
        return _GANNet(n_features, n_components, tuple(self.hidden_sizes),
                       n_classes=n_classes)

    def _sample_module(self, module, n_samples, y, generator):
        p = next(module.parameters())
        z = torch.randn(n_samples, module.latent_dim, generator=generator,
                        device=p.device, dtype=p.dtype)
        return module.generate(z, y, average=True)

    def _penalty(self):
        if self.gradient_penalty == "auto":
            return _AUTO_PENALTY[self.loss]
        return float(self.gradient_penalty)

    def _n_critic(self):
        return _AUTO_N_CRITIC[self.loss] if self.n_critic == "auto" else int(self.n_critic)

    # ---------------------------------------------------- training hooks
    def _initial_loss(self, run):
        return None  # no single loss; a runaway generator shows in its samples

    def _make_optimizers(self, run):
        kwargs = dict(lr=self.learning_rate, weight_decay=self.weight_decay,
                      betas=_BETAS[self.loss])
        return [adam(run.module.discriminator.parameters(), **kwargs),
                adam(run.module.generator.parameters(), **kwargs)]

    def _start_training(self, run):
        module = run.module
        run.average = MovingAverage(module.generator, self.ema_decay,
                                    target=module.average_generator)
        if run.valid is not None:  # fixed latent draws for the energy distance
            X_valid, y_valid = run.valid
            keep = min(X_valid.shape[0], _MAX_MONITOR)
            run.valid = (X_valid[:keep], None if y_valid is None else y_valid[:keep])
            run.z_valid = torch.randn(keep, module.latent_dim, generator=run.generator).to(
                X_valid.device)

    def _train_step(self, run, X, y):
        """One discriminator step, then a generator step every ``n_critic``-th batch."""
        module, (d_opt, g_opt), generator = run.module, run.optimizers, run.step_generator
        z = torch.randn(X.shape[0], module.latent_dim, generator=generator,
                        device=X.device, dtype=X.dtype)
        with torch.no_grad():
            fake = module.generate(z, y)
        d_loss = discriminator_loss(module, X, fake, y, self.loss, self._penalty(),
                                    generator)
        d_opt.zero_grad(set_to_none=True)
        d_loss.backward()
        d_opt.step()
        if run.step % self._n_critic():
            return {"discriminator_loss": d_loss.detach(), "generator_loss": None}
        z = torch.randn(X.shape[0], module.latent_dim, generator=generator,
                        device=X.device, dtype=X.dtype)
        d_params = list(module.discriminator.parameters())
        for p in d_params:  # gradients flow through D to G, but D is not updated
            p.requires_grad_(False)
        try:
            g_loss = generator_loss(module, module.generate(z, y), y, self.loss)
            g_opt.zero_grad(set_to_none=True)
            g_loss.backward()
        finally:
            for p in d_params:
                p.requires_grad_(True)
        g_opt.step()
        run.average.update()
        return {"discriminator_loss": d_loss.detach(), "generator_loss": g_loss.detach()}

    @torch.no_grad()
    def _validation_metrics(self, run):
        """Energy distance between validation rows and generated rows (standardized)."""
        X_valid, y_valid = run.valid
        fake = run.module.generate(run.z_valid, y_valid, average=True)
        dist = energy_distance(X_valid.double().cpu().numpy(), fake.double().cpu().numpy())
        return {"valid_energy_distance": dist}
