"""EnergyModel: an MLP energy trained by denoising score matching."""

import math
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions, validate_params
from sklearn.utils.validation import check_is_fitted
from torch import nn

from ..nn import MLP, BaseDeepGenerative, driver_parameters_doc, torch_generator
from ._mcmc import (
    Proposal,
    annealed_importance_log_normalizer,
    importance_log_normalizer,
    importance_resample,
    langevin,
)

__all__ = ["EnergyModel"]

#: Training rows kept (standardized) for the importance-sampling proposal.
_N_REFERENCE = 1000
#: Seed of the fixed noise of the validation score-matching loss.
_VALID_SEED = 12345


class _Energy(nn.Module):
    """``E(z) = f(z) + |z|^2 / (2 base_scale^2)`` with ``f`` an MLP (SiLU).

    The quadratic term makes ``exp(-E)`` integrable whatever the network
    does far from the data (a SiLU MLP grows at most linearly).
    """

    def __init__(self, n_features, hidden_sizes, base_scale):
        super().__init__()
        self.f = MLP(n_features, 1, tuple(hidden_sizes), activation=nn.SiLU)
        self.base_scale = float(base_scale)

    def residual(self, z):
        return self.f(z)[:, 0]

    def forward(self, z):
        return self.residual(z) + 0.5 * ((z / self.base_scale) ** 2).sum(dim=1)


@driver_parameters_doc(
    hidden_sizes=(128, 128), max_epochs=300, batch_size=256, learning_rate=1e-3,
    early_stopping=True, n_iter_no_change=20,
    history="``train_loss`` (the training objective: the denoising score-matching "
            "loss, or the contrastive-divergence loss for ``method='pcd'``; not a "
            "likelihood), ``valid_score_matching_loss`` (the denoising score-matching "
            "loss of the validation rows with noise fixed across epochs, which early "
            "stopping minimizes: the likelihood itself is unavailable without ``Z``; "
            "NaN without a validation split)")
class EnergyModel(BaseDeepGenerative):
    """Energy-based model ``p(x) = exp(-E(x)) / Z`` with an MLP energy.

    The energy of a (standardized) row is ``E(z) = f(z) + |z|^2 / (2 s^2)``:
    an MLP ``f`` with smooth (SiLU) activations plus a fixed Gaussian term of
    scale ``s = base_scale`` that keeps ``exp(-E)`` integrable. ``Z`` is not
    computed during training: :meth:`score_samples` returns ``-E(x)``
    (``likelihood_kind == "unnormalized"``) until
    :meth:`estimate_log_normalizer` estimates ``log Z``; from then on it
    returns ``-E(x) - log Z``, an estimate of the normalized log-density
    (``likelihood_kind == "estimate"``). Fitting again resets the model to
    ``"unnormalized"``.

    **Training: denoising score matching** (Vincent, 2011). The model's score
    ``-grad E`` is fitted by least squares to the score of the data blurred by
    Gaussian noise of standard deviation ``noise_level`` (in standardized
    units): minimize ``E |noise_level grad E(x + noise_level u) - u|^2 / 2``
    over data ``x`` and noise ``u``. It needs no samples from the model and
    no normalizer, so each step costs one forward and two backward passes
    and training is as stable as regression; this is why it is the default.
    Its optimum is the blurred data density, so ``noise_level`` trades
    fidelity (small) against smoothness and stable gradients (large). Its
    known weakness: score matching sees only gradients, so the relative
    mass of well-separated modes is weakly constrained.

    ``method="pcd"`` trains by **persistent contrastive divergence** (Tieleman,
    2008), the classic maximum-likelihood route: the gradient of the
    log-likelihood is ``-E_data[grad E] + E_model[grad E]``, the second term
    estimated with Langevin chains that persist across steps
    (``n_pcd_steps`` Langevin steps per batch, 5 % of chains restarted from
    ``N(0, I)``), and a penalty ``0.1 (E_data^2 + E_model^2)`` keeps the
    energies bounded. It fits mode weights better when the chains mix, and is
    slower and more fragile.

    **Sampling: Langevin MCMC.** :meth:`sample` runs ``n_mcmc_steps`` steps
    ``z <- z - h grad E(z) + sqrt(2 h) u`` with ``h = mcmc_step_size``
    (standardized units), each accepted or rejected by the Metropolis-
    Hastings rule (MALA), which makes ``exp(-E)`` exactly invariant. Chains
    explore within a mode quickly but cross between well-separated modes
    rarely, so where they start matters: with ``mcmc_init="resample"``
    they start from sampling-importance-resampling (10 draws per chain from
    the proposal of :meth:`estimate_log_normalizer`, one kept with
    probability proportional to ``exp(-E) / q``), already close to the
    model, modes weighted by the model's own mass; with
    ``mcmc_init="gaussian"`` from ``N(0, I)`` in standardized units, and the
    share of samples per mode then reflects the starting points as much as
    the model.

    Parameters
    ----------
    method : {"dsm", "pcd"}, default="dsm"
        Training objective: denoising score matching or persistent
        contrastive divergence (see above).
    noise_level : float, default=0.1
        Standard deviation of the score-matching noise, in standardized
        units. Also the noise of the validation loss used for early
        stopping with ``"pcd"``.
    base_scale : float, default=3.0
        Scale of the Gaussian factor of the density, in standardized units.
    n_mcmc_steps : int, default=200
        Langevin steps of :meth:`sample`.
    mcmc_step_size : float, default=0.01
        Langevin step ``h`` (standardized units); the proposal's standard
        deviation is ``sqrt(2 h)``.
    mcmc_init : {"resample", "gaussian"}, default="resample"
        Where the chains of :meth:`sample` start (see above).
    n_pcd_steps : int, default=20
        Langevin steps per training batch for ``method="pcd"``.
{driver_parameters}

    Attributes
    ----------
    likelihood_kind : {"unnormalized", "estimate"}
        ``"unnormalized"`` on the class and until
        :meth:`estimate_log_normalizer` is called, ``"estimate"`` after.
    log_normalizer_ : float
        Estimated ``log Z`` (set by :meth:`estimate_log_normalizer`), the
        normalizer of ``exp(-E)`` over ``X`` in its own units.
    log_normalizer_stderr_ : float
        Its standard error.
    log_normalizer_ess_ : float
        Effective sample size of the importance weights behind it.
{driver_attributes}
    n_features_in_ : int
        Number of features seen during fit.

    See Also
    --------
    skgen.diffusion.DiffusionModel : learns scores at every noise level.
    skgen.flows.NSF : an exact, normalized density.

    Notes
    -----
    Rows are standardized before the network sees them. In the units of
    ``X`` the energy is ``E(x) = E(z(x)) + sum_j log scale_j`` (the Jacobian
    of the standardization), so ``score_samples`` returns ``-E(x)`` and
    ``log_normalizer_`` is the normalizer of ``exp(-E(x))`` over ``X``
    itself: after :meth:`estimate_log_normalizer`, ``exp(score_samples)``
    integrates to one over the space of ``X`` (up to the estimate's error).
    The model is not conditional (``y`` is not accepted).

    References
    ----------
    Vincent, "A Connection Between Score Matching and Denoising Autoencoders",
    Neural Computation, 2011. Tieleman, "Training Restricted Boltzmann Machines
    using Approximations to the Likelihood Gradient", ICML 2008. Neal,
    "Annealed Importance Sampling", Statistics and Computing, 2001.

    Examples
    --------
    >>> import numpy as np
    >>> from skgen.energy import EnergyModel
    >>> X = np.random.RandomState(0).normal(size=(300, 2))
    >>> model = EnergyModel(hidden_sizes=(32,), max_epochs=5, n_mcmc_steps=20,
    ...                     random_state=0).fit(X)
    >>> model.likelihood_kind
    'unnormalized'
    >>> model.sample(3).shape
    (3, 2)
    >>> model = model.estimate_log_normalizer(n_samples=2000, random_state=0)
    >>> model.likelihood_kind
    'estimate'
    >>> bool(model.log_normalizer_stderr_ < 0.05)
    True
    """

    likelihood_kind = "unnormalized"

    _parameter_constraints = {
        **BaseDeepGenerative._parameter_constraints,
        "method": [StrOptions({"dsm", "pcd"})],
        "noise_level": [Interval(Real, 0, None, closed="neither")],
        "base_scale": [Interval(Real, 0, None, closed="neither")],
        "n_mcmc_steps": [Interval(Integral, 0, None, closed="left")],
        "mcmc_step_size": [Interval(Real, 0, None, closed="neither")],
        "n_pcd_steps": [Interval(Integral, 1, None, closed="left")],
        "mcmc_init": [StrOptions({"resample", "gaussian"})],
    }

    def __init__(self, *, method="dsm", noise_level=0.1, base_scale=3.0, n_mcmc_steps=200,
                 mcmc_step_size=0.01, mcmc_init="resample", n_pcd_steps=20,
                 hidden_sizes=(128, 128),
                 max_epochs=300, batch_size=256, learning_rate=1e-3, weight_decay=0.0,
                 early_stopping=True, validation_fraction=0.1, n_iter_no_change=20,
                 device="auto", random_state=None, verbose=0):
        self.method = method
        self.noise_level = noise_level
        self.base_scale = base_scale
        self.n_mcmc_steps = n_mcmc_steps
        self.mcmc_step_size = mcmc_step_size
        self.mcmc_init = mcmc_init
        self.n_pcd_steps = n_pcd_steps
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

    _loss_is_nll = False
    _monitor = ("valid_score_matching_loss", "min")
    _inference_dtype = torch.float64  # a row's value must not depend on its batch
    _sample_dtype = torch.float32

    # ------------------------------------------------------------- fit
    def _fit(self, X, y):
        # A refit forgets the normalizer: the kind falls back to the class's.
        for attr in ("likelihood_kind", "log_normalizer_", "log_normalizer_stderr_",
                     "log_normalizer_ess_"):
            self.__dict__.pop(attr, None)
        rng = check_random_state(self.random_state)
        keep = rng.permutation(X.shape[0])[:_N_REFERENCE]
        super()._fit(X, y)
        self._reference = self._standardize_X(X[keep])
        return self

    def _build_module(self, n_features, n_classes):
        return _Energy(n_features, self.hidden_sizes, self.base_scale)

    def _dsm_rows(self, module, X, generator, *, create_graph):
        """Per-row denoising score-matching loss ``|sigma grad E(x + sigma u) - u|^2 / 2``.

        Antithetic: the loss is averaged over ``u`` and ``-u``, which cancels
        the term linear in ``u`` that otherwise dominates its variance.
        """
        sigma = float(self.noise_level)
        u = torch.randn(X.shape, generator=generator, device=X.device, dtype=X.dtype)
        u = torch.cat([u, -u])
        with torch.enable_grad():
            noisy = (torch.cat([X, X]) + sigma * u).detach().requires_grad_(True)
            (grad,) = torch.autograd.grad(module(noisy).sum(), noisy, create_graph=create_graph)
        rows = 0.5 * ((sigma * grad - u) ** 2).sum(dim=1)
        return 0.5 * (rows[:X.shape[0]] + rows[X.shape[0]:])

    def _loss(self, module, X, y, generator):
        return self._dsm_rows(module, X, generator, create_graph=True).mean()

    def _initial_loss(self, run):
        return None if self.method == "pcd" else super()._initial_loss(run)

    def _start_training(self, run):
        run.chains = {}  # "pcd": the persistent Langevin chains, one per batch row

    def _train_step(self, run, X, y):
        if self.method == "dsm":
            return super()._train_step(run, X, y)
        (optimizer,) = run.optimizers
        loss = self._pcd_loss(run.module, X, run.step_generator, run.chains)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        return {"train_loss": loss.detach()}

    def _validation_metrics(self, run):
        # Early stopping cannot use the likelihood (Z is unknown): it monitors
        # the score-matching loss of the validation rows with noise fixed across epochs.
        X, _ = run.valid
        generator = torch.Generator(device=X.device).manual_seed(_VALID_SEED)
        loss = self._dsm_rows(run.module, X, generator, create_graph=False)
        return {"valid_score_matching_loss": float(loss.mean())}

    def _pcd_loss(self, module, X, generator, store):
        """Contrastive divergence; the dict ``store`` keeps the persistent chains."""
        n, d = X.shape
        opts = dict(device=X.device, dtype=X.dtype)
        buffer = store.get("buffer")
        if buffer is None or buffer.shape[0] < n:  # one persistent chain per batch row
            buffer = torch.randn(n, d, generator=generator, **opts)
        chains = buffer[:n]
        restart = torch.rand(n, generator=generator, device=X.device) < 0.05
        fresh = torch.randn(n, d, generator=generator, **opts)
        chains = torch.where(restart[:, None], fresh, chains)
        chains, _ = langevin(module, chains, self.n_pcd_steps, self.mcmc_step_size,
                             generator, metropolis=False)
        buffer = buffer.clone()
        buffer[:n] = chains.detach()
        store["buffer"] = buffer
        e_data, e_model = module(X), module(chains.detach())
        return (e_data.mean() - e_model.mean()
                + 0.1 * ((e_data**2).mean() + (e_model**2).mean()))

    # ------------------------------------------------------ likelihood
    def _log_prob(self, module, X, y):
        return -module(X) - getattr(self, "log_normalizer_", 0.0)

    def _proposal(self, dtype):
        """The importance proposal: KDE of training rows and ``N(0, base_scale^2)``."""
        ref = torch.as_tensor(self._reference, dtype=dtype, device=self.device_)
        d = ref.shape[1]
        scott = ref.shape[0] ** (-1.0 / (d + 4))
        return Proposal(ref, math.hypot(scott, float(self.noise_level)), self.base_scale)

    def _sample_module(self, module, n_samples, y, generator):
        dtype = next(module.parameters()).dtype
        if self.mcmc_init == "resample":
            z = importance_resample(module, self._proposal(dtype), n_samples, generator)
        else:
            z = torch.randn(n_samples, self.n_features_in_, generator=generator,
                            device=self.device_, dtype=dtype)
        z, _ = langevin(module, z, self.n_mcmc_steps, self.mcmc_step_size, generator)
        return z

    @validate_params(
        {
            "n_samples": [Interval(Integral, 2, None, closed="left")],
            "method": [StrOptions({"importance", "ais"})],
            "n_annealing_steps": [Interval(Integral, 1, None, closed="left")],
            "random_state": ["random_state"],
        },
        prefer_skip_nested_validation=True,
    )
    def estimate_log_normalizer(self, n_samples=20000, *, method="importance",
                                n_annealing_steps=200, random_state=None):
        """Estimate ``log Z`` so that :meth:`score_samples` is normalized.

        ``Z = int exp(-E(x)) dx`` is estimated with ``n_samples`` weighted
        draws; afterwards :meth:`score_samples` returns ``-E(x) - log Z_hat``
        and :attr:`likelihood_kind` is ``"estimate"``. ``Z_hat`` is unbiased;
        ``log Z_hat`` is consistent, biased low by about half its variance.

        Parameters
        ----------
        n_samples : int, default=20000
            Number of weighted draws (or annealed chains).
        method : {"importance", "ais"}, default="importance"
            ``"importance"``: importance sampling from an equal mixture of a
            Gaussian kernel density estimate of (up to 1000) training rows,
            with the bandwidth of Scott's rule widened by ``noise_level``, and
            the broad Gaussian ``N(0, base_scale^2)`` (standardized units)
            that keeps the weights' variance finite. Good in low dimension.
            ``"ais"``: annealed importance sampling from that broad Gaussian
            to the model through ``n_annealing_steps`` tempered densities
            ``exp(-|z|^2 / (2 base_scale^2) - b f(z))``, one MALA step each.
        n_annealing_steps : int, default=200
            Intermediate densities of ``"ais"``.
        random_state : int, RandomState instance or None, default=None
            Seed of the draws; ``None`` uses the estimator's ``random_state``.

        Returns
        -------
        self : EnergyModel
            With ``log_normalizer_``, ``log_normalizer_stderr_`` (delta-method
            standard error of ``log Z_hat``), ``log_normalizer_ess_`` and
            ``likelihood_kind = "estimate"``.
        """
        check_is_fitted(self)
        rng = check_random_state(self.random_state if random_state is None else random_state)
        device = self.device_
        module = self._inference_module(torch.float64)
        generator = torch_generator(rng, device)
        d = self.n_features_in_
        if method == "importance":
            log_z, stderr, ess = importance_log_normalizer(
                module, self._proposal(torch.float64), n_samples, generator)
        else:
            log_z, stderr, ess = annealed_importance_log_normalizer(
                module.residual, float(self.base_scale), d, n_samples, n_annealing_steps,
                float(self.mcmc_step_size), generator, dtype=torch.float64, device=device)
        if not np.isfinite(log_z):
            raise FloatingPointError(
                "The log-normalizer estimate is not finite; the energy may be "
                "unbounded below. Try a smaller base_scale or refit."
            )
        self.log_normalizer_ = log_z
        self.log_normalizer_stderr_ = stderr
        self.log_normalizer_ess_ = ess
        self.likelihood_kind = "estimate"
        return self
