"""DiffusionModel: denoising diffusion (DDPM) for vectors, as an estimator."""

import copy
import functools
import weakref
from numbers import Integral, Real

import numpy as np

import torch
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Hidden, Interval, StrOptions

from ..base import ConditionalMixin, _renamed_parameter
from ..nn import BaseDeepGenerative, MovingAverage, driver_parameters_doc, row_keys
from ._denoising import (
    Denoiser,
    ancestral_sample,
    ddim_sample,
    error_control_coefficients,
    gaussian_eps,
    guided_eps,
    probability_flow_log_prob,
    variational_bound,
)
from ._schedules import SCHEDULES, Schedule

__all__ = ["DiffusionModel"]

_KINDS = {"bound": "lower_bound", "ode": "estimate"}
#: Stratified timesteps of the bound that early stopping monitors.
_VALID_BOUND_SAMPLES = 16
#: Training rows kept (standardized) as pilot rows of the bound's control variates.
_N_PILOT = 256
#: Inference module -> {(schedule, T, guidance): control coefficients}.
_CONTROLS = weakref.WeakKeyDictionary()


def _score_method(estimator):
    """``score_method``, or its deprecated alias ``likelihood`` when that is set."""
    old = getattr(estimator, "likelihood", "deprecated")
    return estimator.score_method if old == "deprecated" else old


class _LikelihoodKind:
    """``likelihood_kind`` that follows the ``score_method`` parameter.

    On the class it is the default's kind, ``"lower_bound"`` (a plain string,
    as the protocol requires); on an instance, ``"lower_bound"`` for
    ``score_method="bound"`` and ``"estimate"`` for ``score_method="ode"``.
    """

    def __get__(self, obj, owner=None):
        if obj is None:
            return "lower_bound"
        return _KINDS.get(_score_method(obj), "lower_bound")


@driver_parameters_doc(
    hidden_sizes=(128, 128, 128), max_epochs=500, batch_size=256, learning_rate=2e-3,
    early_stopping=False, n_iter_no_change=30,
    history="``train_loss`` (the mean squared error of the noise prediction per "
            "feature: the training objective, not a likelihood), "
            "``valid_log_likelihood`` (with early stopping: the mean variational "
            "bound of the validation rows in the units of ``X``, with 16 stratified "
            "timesteps, for the moving-average weights; NaN otherwise)")
class DiffusionModel(ConditionalMixin, BaseDeepGenerative):
    """Denoising diffusion probabilistic model (DDPM) with an MLP denoiser.

    The forward process adds Gaussian noise to (standardized) data in
    ``n_timesteps`` steps until nothing but ``N(0, I)`` is left,
    ``x_t = sqrt(a_t) x + sqrt(1 - a_t) eps``. A network ``eps(x_t, t)``
    (an MLP fed the noisy row, a sinusoidal embedding of ``t`` and, for a
    conditional model, a label embedding) learns to predict the noise by
    least squares, the "simple" loss of Ho et al. (continuous ``t`` is drawn
    uniformly in training, so the network also serves the ODE below).
    Generating runs the process backwards.

    Parameters
    ----------
    n_timesteps : int, default=1000
        Steps ``T`` of the diffusion chain. More steps tighten the bound and
        slow ancestral sampling and the full bound, linearly. The network is
        trained in continuous time, so ``T`` may be changed after fitting
        (``set_params``) without refitting.
    noise_schedule : {"log_snr", "cosine", "linear"}, default="log_snr"
        How the noise grows with ``t`` (see Notes). ``"log_snr"`` gives the
        tightest bound for a given ``T``.
    sampler : {"ancestral", "ddim"}, default="ancestral"
        ``"ancestral"``: DDPM's ``T`` stochastic reverse steps, drawing from
        the model whose density the bound bounds. ``"ddim"``: DDIM's
        deterministic map from the noise, on ``n_sampling_steps`` steps
        (faster; a discretization of the probability-flow ODE).
    n_sampling_steps : int, default=20
        Steps of the ``"ddim"`` sampler (at most ``n_timesteps``).
    score_method : {"bound", "ode"}, default="bound"
        What :meth:`score_samples` returns. ``"bound"``: the variational lower
        bound on ``log p(x)`` (``likelihood_kind == "lower_bound"``).
        ``"ode"``: the log-density of the probability-flow ODE's model, with
        Hutchinson's trace estimator (``likelihood_kind == "estimate"``).
    n_bound_samples : int or None, default=None
        Timesteps in the bound's sum over ``t``: ``None`` uses all ``T - 1``
        KL terms; an integer ``K`` draws one ``t`` in each of ``K`` strata,
        an unbiased estimate of the sum that costs ``K`` network passes
        instead of ``T - 1`` (but adds the noise of the timestep choice: a
        row's value then varies by tenths of a nat).
    n_noise_pairs : int or None, default=4
        Noise draws of each expectation of the bound, as antithetic pairs
        ``(eps, -eps)``, each error corrected by a control variate (its
        regression on ``|eps|^2``, whose mean is known, fitted once on 256
        training rows). The value stays an unbiased estimate of the bound; its
        Monte Carlo spread per row falls from about 0.9 nat (``None``: one
        plain draw, the estimator of skgen 0.1) to about 0.09 with 1 pair and
        0.05 with 4 (eight Gaussians, ``T = 1000``), at ``2 * n_noise_pairs``
        network passes per timestep.
    n_ode_steps : int, default=50
        Runge-Kutta (RK4) steps of the probability-flow ODE.
    n_trace_probes : int, default=1
        Rademacher probe vectors of Hutchinson's trace estimator per row.
    guidance_scale : float, default=1.0
        Classifier-free guidance ``w`` for conditional models:
        ``eps = eps_null + w (eps_y - eps_null)``. ``1`` is the conditional
        model itself, ``0`` the unconditional one, larger values sharpen the
        classes. It applies to sampling and to ``score_samples`` alike (the
        bound is then that of the guided chain).
    label_dropout : float, default=0.1
        Share of training rows whose label is replaced by the null label, so
        that one network learns ``eps(x, t, y)`` and ``eps(x, t)``.
    ema_decay : float, default=0.999
        The fitted network is an exponential moving average of the trained
        weights (:class:`skgen.nn.MovingAverage`, updated after each step;
        0 keeps the raw weights); the average samples markedly better. Early
        stopping monitors it, with a cheap bound (16 stratified timesteps,
        whatever ``score_method`` says). Early stopping is off by default:
        the bound levels off long before the samples stop improving.
    whiten : bool, default=True
        Decorrelate the features before the network sees them: each is
        standardized, then the rows are multiplied by the inverse of the lower
        Cholesky factor of the features' correlation matrix (shrunk toward the
        identity as far as a 3-fold cross-validation of that Gaussian's
        likelihood asks: not at all when the rows determine it, more on few or
        collinear rows).
        The denoiser predicts the noise as the standard normal's optimum,
        ``sqrt(1 - a) x_s``, plus a network's correction that starts at zero,
        so the untrained model is that full-covariance Gaussian and training
        learns how the data depart from it; on a small table the model then
        stays near that Gaussian instead of ending far below it. The bound
        includes the Jacobian. ``False``: each feature is only standardized
        (the untrained model is then the Gaussian with independent features).
{driver_parameters}
    likelihood : {"bound", "ode"}
        Deprecated alias of ``score_method`` (renamed in 0.2, removed in 0.3).

    Attributes
    ----------
    likelihood_kind : {"lower_bound", "estimate"}
        ``"lower_bound"`` on the class; on an instance it follows
        ``score_method``.
{driver_attributes}
    classes_ : ndarray
        Labels seen in ``fit(X, y)`` (conditional fits only).
    class_prior_ : ndarray
        Their frequencies (conditional fits only).
    n_features_in_ : int
        Number of features seen during fit.

    See Also
    --------
    skgen.flows.NSF : an exact density, and one-pass sampling.
    skgen.energy.EnergyModel : an unnormalized density sampled by MCMC.

    Notes
    -----
    **Schedules.** All are defined in continuous time ``s in [0, 1]`` by
    their log signal-to-noise ratio ``lambda(s) = log(a / (1 - a))``, which
    falls from ``9.2`` (noise of standard deviation 0.01 in standardized
    units, the finest level modelled) to ``-10``; step ``t = 1..T`` of the
    chain is at ``s = (t - 1) / (T - 1)``. ``"log_snr"`` is linear in
    ``lambda``, ``"cosine"`` is ``lambda(s) = -2 log tan(c s + b)`` (Nichol and
    Dhariwal, 2021) and ``"linear"`` has the rate of DDPM's linear betas (Ho
    et al., 2020). The discrete bound is tight when the steps in ``lambda``
    are small everywhere, which equal steps achieve best: on a Gaussian with
    an exact denoiser the gap is 0.07 nats at ``T = 1000`` with
    ``"log_snr"``, 0.3 with ``"cosine"``, 0.9 with ``"linear"``.

    **The bound** (``score_method="bound"``). With reverse steps
    ``p(x_{t-1} | x_t) = N(mu(x_t, t), beta~_t I)`` (the variance of the
    forward posterior) and a Gaussian decoder
    ``p(x_0 | x_1) = N(x_hat_0(x_1), (1 - a_1) / a_1 I)``, the model is a proper
    continuous density on ``x_0`` and

    ``log p(x_0) >= E[log p(x_0 | x_1)] - sum_{t=2}^T KL_t - KL(q(x_T | x_0) || N(0, I))``

    where ``KL_t = E[0.5 (SNR_{t-1} / SNR_t - 1) |eps - eps(x_t, t)|^2]``.
    The prior term is computed in closed form; each expectation over the
    noise uses ``n_noise_pairs`` antithetic pairs of draws with a control
    variate, and the sum over ``t`` all steps or ``n_bound_samples``
    stratified ones, so the value is an unbiased estimate of this bound on
    the log-density of the *ancestral sampler's* model (``T`` reverse steps,
    the decoder included): a lower bound *in expectation*, whose remaining
    noise (a few hundredths of a nat per row at the defaults) averages out
    over rows, and whose exponential integrates to at most 1 up to that
    noise. The draws are a hash of each row and of a seed
    fixed at ``fit``, so ``score_samples`` is a deterministic function of
    each row (the same in any batch and after pickling). The bound includes
    the Jacobian of the internal standardization, so it bounds the density
    of ``X`` in its own units. :meth:`sample` with ``sampler="ancestral"``
    draws from this very model, decoder noise included.

    **The ODE estimate** (``score_method="ode"``). The deterministic
    probability flow ``dx/ds = -beta(s) / 2 (x - eps(x, s) / sigma(s))`` maps
    the data at ``s = 0`` to ``N(0, I)`` at ``s = 1``; by the change of
    variables, ``log p(x) = log N(x_1) + int div`` along the path (Song et
    al., 2021). The divergence needs the trace of the network's Jacobian,
    estimated with Hutchinson's ``v^T J v``; the integral is discretized
    with RK4. The result is a consistent estimate (``n_ode_steps`` to
    infinity; Hutchinson's noise averages out over rows, though it inflates
    ``exp(score_samples)``) of the flow's density, neither exact nor a bound.
    The flow is a different model from the stochastic chain (the two agree
    only for a perfect denoiser): its density may be above or below the
    bound, and ``sampler="ddim"`` draws (approximately) from it.

    **Labels.** Given ``y`` in ``fit``, the model is ``p(x | y)``: labels are
    embedded, and dropped to a null label with probability
    ``label_dropout`` so that guidance can mix conditional and
    unconditional predictions. ``score_samples(X)`` without ``y`` is the
    mixture ``log sum_c p(c) p(x | c)`` (a lower bound when each term is)
    and ``sample(n)`` draws labels from the training frequencies.

    References
    ----------
    Ho, Jain and Abbeel, "Denoising Diffusion Probabilistic Models", NeurIPS
    2020. Song, Meng and Ermon, "Denoising Diffusion Implicit Models", ICLR
    2021. Song et al., "Score-Based Generative Modeling through Stochastic
    Differential Equations", ICLR 2021. Ho and Salimans, "Classifier-Free
    Diffusion Guidance", 2022.

    Examples
    --------
    >>> import numpy as np
    >>> from skgen.diffusion import DiffusionModel
    >>> X = np.random.RandomState(0).normal(size=(200, 2))
    >>> model = DiffusionModel(n_timesteps=20, hidden_sizes=(32,), max_epochs=3,
    ...                        random_state=0).fit(X)
    >>> model.likelihood_kind
    'lower_bound'
    >>> model.score_samples(X[:3]).shape
    (3,)
    >>> model.set_params(sampler="ddim", n_sampling_steps=5).sample(4).shape
    (4, 2)
    """

    likelihood_kind = _LikelihoodKind()
    _renamed_parameters = (("likelihood", "score_method", None),)
    _added_parameters = {"n_noise_pairs": None, "whiten": False}
    _loss_is_nll = False  # the noise-prediction error, not a likelihood
    _inference_dtype = torch.float64  # a row's score must not depend on its batch
    _sample_dtype = torch.float32  # draws need no such guarantee

    _parameter_constraints = {
        **BaseDeepGenerative._parameter_constraints,
        "n_timesteps": [Interval(Integral, 2, None, closed="left")],
        "noise_schedule": [StrOptions(set(SCHEDULES))],
        "sampler": [StrOptions({"ancestral", "ddim"})],
        "n_sampling_steps": [Interval(Integral, 1, None, closed="left")],
        "score_method": [StrOptions({"bound", "ode"})],
        "n_bound_samples": [Interval(Integral, 1, None, closed="left"), None],
        "n_noise_pairs": [Interval(Integral, 1, None, closed="left"), None],
        "n_ode_steps": [Interval(Integral, 1, None, closed="left")],
        "n_trace_probes": [Interval(Integral, 1, None, closed="left")],
        "guidance_scale": [Interval(Real, 0, None, closed="left")],
        "label_dropout": [Interval(Real, 0, 1, closed="left")],
        "ema_decay": [Interval(Real, 0, 1, closed="left")],
        "whiten": ["boolean"],
        "likelihood": [StrOptions({"bound", "ode"}), Hidden(StrOptions({"deprecated"}))],
    }

    def __init__(self, *, n_timesteps=1000, noise_schedule="log_snr", sampler="ancestral",
                 n_sampling_steps=20, score_method="bound", n_bound_samples=None,
                 n_noise_pairs=4, n_ode_steps=50, n_trace_probes=1, guidance_scale=1.0, label_dropout=0.1,
                 ema_decay=0.999, whiten=True, hidden_sizes=(128, 128, 128), max_epochs=500,
                 batch_size=256, learning_rate=2e-3, weight_decay=0.0, early_stopping=False,
                 validation_fraction=0.1, n_iter_no_change=30, device="auto",
                 random_state=None, verbose=0, likelihood="deprecated"):
        self.n_timesteps = n_timesteps
        self.noise_schedule = noise_schedule
        self.sampler = sampler
        self.n_sampling_steps = n_sampling_steps
        self.score_method = score_method
        self.n_bound_samples = n_bound_samples
        self.n_noise_pairs = n_noise_pairs
        self.n_ode_steps = n_ode_steps
        self.n_trace_probes = n_trace_probes
        self.guidance_scale = guidance_scale
        self.label_dropout = label_dropout
        self.ema_decay = ema_decay
        self.whiten = whiten
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
        self.likelihood = likelihood

    @property
    def _whiten(self):
        return self.whiten

    # ------------------------------------------------------- model hooks
    def _fit(self, X, y):
        _renamed_parameter(self, "likelihood", "score_method")  # warns when the alias is set
        # Seed of the per-row Monte Carlo noise of score_samples, fixed per fit.
        self._noise_seed = int(check_random_state(self.random_state).randint(2**31 - 1))
        self._noise_seed ^= 0x5BD1E995
        pilot = check_random_state(self.random_state).permutation(X.shape[0])[:_N_PILOT]
        self._residual_eps = True  # the network learns a correction to gaussian_eps
        super()._fit(X, y)
        self._pilot = self._standardize_X(X[np.sort(pilot)])
        return self

    def _schedule(self):
        return Schedule(self.noise_schedule, self.n_timesteps)

    def _gaussian_eps(self, x, s):
        """What the network's noise prediction is added to: :func:`gaussian_eps`.

        Its last layer starts at zero, so the untrained model is the Gaussian
        of the (whitened) data; models pickled before 0.2 predict the whole
        noise (0 here).
        """
        if not getattr(self, "_residual_eps", False):
            return 0.0
        return gaussian_eps(self._schedule(), x, s)

    def _build_module(self, n_features, n_classes):
        return Denoiser(n_features, n_classes, self.hidden_sizes)

    def _loss(self, module, X, y, generator):
        n = X.shape[0]
        s = torch.rand(n, generator=generator, device=X.device, dtype=X.dtype)
        eps = torch.randn(X.shape, generator=generator, device=X.device, dtype=X.dtype)
        log_a = self._schedule().log_alpha_bar(s)[:, None]
        sigma = torch.sqrt(-torch.expm1(log_a))
        xs = torch.exp(0.5 * log_a) * X + sigma * eps
        if y is not None and self.label_dropout > 0:
            drop = torch.rand(n, generator=generator, device=X.device) < self.label_dropout
            y = torch.where(drop, torch.full_like(y, module.n_classes), y)
        # the network learns the correction to gaussian_eps(x_s) = sigma x_s
        return ((module(xs, s, y) + sigma * xs - eps) ** 2).mean()

    def _eps_fn(self, module, y):
        scale = float(self.guidance_scale)

        def eps_fn(x, s, rows=None):
            labels = y
            if y is not None and rows is not None:
                labels = y[torch.as_tensor(rows, device=y.device)]
            return guided_eps(module, x, s, labels, scale) + self._gaussian_eps(x, s)

        return eps_fn

    def _bound(self, module, X, y, n_bound_samples, n_noise_pairs=None):
        """The variational bound of standardized rows, ``n_bound_samples`` timesteps."""
        keys = row_keys(X.detach().cpu().numpy(), self._noise_seed)
        control = None
        if n_noise_pairs is not None:
            control = self._control(module, X.dtype)
        return variational_bound(self._eps_fn(module, y), X, self._schedule().discrete(),
                                 keys, n_bound_samples, n_noise_pairs=n_noise_pairs,
                                 control=control)

    def _control(self, module, dtype):
        """Control-variate coefficients of the bound, from the pilot rows, cached."""
        key = (self.noise_schedule, int(self.n_timesteps), float(self.guidance_scale),
               str(dtype))
        per_module = _CONTROLS.setdefault(module, {})
        if key not in per_module:
            pilot = torch.as_tensor(self._pilot, dtype=dtype, device=self.device_)
            keys = row_keys(self._pilot, self._noise_seed)
            with torch.no_grad():
                per_module[key] = error_control_coefficients(
                    self._eps_fn(module, None), pilot, self._schedule().discrete(), keys)
        return per_module[key]

    def _log_prob(self, module, X, y):
        if _score_method(self) == "bound":
            return self._bound(module, X, y, self.n_bound_samples, self.n_noise_pairs)
        keys = row_keys(X.detach().cpu().numpy(), self._noise_seed)
        return probability_flow_log_prob(
            self._eps_fn(module, y), X, self._schedule(), keys, n_steps=self.n_ode_steps,
            n_probes=self.n_trace_probes)

    def _sample_module(self, module, n_samples, y, generator):
        eps_fn = self._eps_fn(module, y)
        disc = self._schedule().discrete()
        d = self.n_features_in_
        dtype = next(module.parameters()).dtype
        opts = dict(dtype=dtype, device=self.device_)
        if self.sampler == "ddim":
            return ddim_sample(eps_fn, n_samples, d, disc, self.n_sampling_steps, generator,
                               **opts)
        return ancestral_sample(eps_fn, n_samples, d, disc, generator, **opts)

    # ---------------------------------------------------- training hooks
    # The driver trains the raw weights; diffusion models sample markedly better
    # from a moving average of them (Ho et al., 2020). The average is updated
    # after every step, monitored by early stopping, and is what "best epoch"
    # keeps, so the fitted network is the average.
    def _start_training(self, run):
        run.average = None
        if self.ema_decay > 0:
            run.average_module = copy.deepcopy(run.module).requires_grad_(False)
            run.average = MovingAverage(run.module, self.ema_decay,
                                        target=run.average_module)

    def _after_step(self, run):
        if run.average is not None:
            run.average.update()

    def _validation_metrics(self, run):
        module = run.module if run.average is None else run.average_module.eval()
        k = _VALID_BOUND_SAMPLES
        if self.n_bound_samples is not None:
            k = min(k, self.n_bound_samples)
        bound = functools.partial(self._bound, n_bound_samples=k)
        lp = self._batch_log_prob(module, *run.valid, log_prob=bound)
        return {"valid_log_likelihood": float(lp.mean())}

    def _kept_state(self, run):
        if run.average is None:
            return super()._kept_state(run)
        return run.average.state_dict()
