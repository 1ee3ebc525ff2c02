"""Generative adversarial network (skgen.adversarial): samples, no density."""

import pickle

import numpy as np
import pytest
import torch
from sklearn.utils.estimator_checks import parametrize_with_checks

from skgen.adversarial import GAN
from skgen.adversarial._gan import _GANNet, discriminator_loss
from skgen.datasets import EightGaussians, make_eight_gaussians
from skgen.metrics import energy_distance, mean_log_likelihood
from skgen.nn import TrainingWarning
from skgen.testing import check_generative_estimator

torch.set_num_threads(1)

SMALL = dict(hidden_sizes=(16,), max_epochs=3, batch_size=64, random_state=0)


def _mode_shares(samples, truth):
    """Share of samples within 3 std of each mode, and share far from every mode."""
    dist = np.linalg.norm(samples[:, None, :] - truth.means_[None], axis=2)
    near = dist < 3 * truth.std
    return near.mean(0), 1.0 - near.any(1).mean()


def test_default_gan_covers_all_eight_modes():
    """No mode collapse: every mode gets samples, few samples fall between modes."""
    X = make_eight_gaussians(1000, random_state=0)
    gan = GAN(random_state=0).fit(X)
    shares, far = _mode_shares(gan.sample(4000, random_state=0), EightGaussians())
    assert shares.min() > 0.03, shares  # 0.125 each for a perfect sampler
    assert far < 0.2, far


def test_no_density():
    X = np.random.RandomState(0).normal(size=(100, 2))
    for gan in (GAN(**SMALL), GAN(**SMALL).fit(X)):
        assert gan.likelihood_kind == "none"
        assert not hasattr(gan, "score_samples")
        assert not hasattr(gan, "score")
        with pytest.raises(AttributeError, match="defines no density") as info:
            gan.score_samples(X)
        assert "sample()" in str(info.value) and "NSF" in str(info.value)
    with pytest.raises(ValueError, match="no density"):
        mean_log_likelihood(gan, X)


# ------------------------------------------------------------------ losses
def _linear_critic_net(w, b=0.3):
    """A GAN network whose discriminator is the linear map x -> w.x + b."""
    net = _GANNet(len(w), 2, ())
    layer = net.discriminator.mlp.layers[0]
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([w]))
        layer.bias.fill_(b)
    return net


def test_losses_on_a_linear_critic():
    """Closed forms: the gradient of w.x + b is w everywhere."""
    w = [3.0, 4.0]  # norm 5
    net = _linear_critic_net(w)
    g = torch.Generator().manual_seed(0)
    real, fake = torch.randn(50, 2, generator=g), torch.randn(50, 2, generator=g) + 1
    d_real = real @ torch.tensor(w) + 0.3
    d_fake = fake @ torch.tensor(w) + 0.3
    wgan = discriminator_loss(net, real, fake, None, "wgan-gp", 2.0, g).detach()
    expected = d_fake.mean() - d_real.mean() + 2.0 * (5.0 - 1.0) ** 2
    assert float(wgan) == pytest.approx(float(expected), rel=1e-5)
    logistic = (torch.nn.functional.softplus(-d_real).mean()
                + torch.nn.functional.softplus(d_fake).mean())
    ns = discriminator_loss(net, real, fake, None, "non_saturating", 0.0, g).detach()
    assert float(ns) == pytest.approx(float(logistic), rel=1e-5)
    r1 = discriminator_loss(net, real, fake, None, "non_saturating", 0.2, g).detach()
    assert float(r1) == pytest.approx(float(logistic) + 0.5 * 0.2 * 25.0, rel=1e-5)


@pytest.mark.parametrize("loss", ["non_saturating", "wgan-gp"])
def test_training_moves_samples_to_the_data(loss):
    rng = np.random.RandomState(0)
    X = np.r_[rng.normal(-2, 0.3, size=(300, 1)), rng.normal(2, 0.3, size=(300, 1))]
    X_test = np.r_[rng.normal(-2, 0.3, size=(300, 1)), rng.normal(2, 0.3, size=(300, 1))]
    params = dict(loss=loss, hidden_sizes=(32, 32), batch_size=64, random_state=0)
    before = GAN(max_epochs=1, **params).fit(X)
    after = GAN(max_epochs=100, **params).fit(X)
    d_before = energy_distance(X_test, before.sample(600, random_state=0))
    d_after = energy_distance(X_test, after.sample(600, random_state=0))
    assert d_after < 0.4 * d_before, (d_before, d_after)
    assert len(after.history_) == after.n_epochs_ == 100
    assert np.isfinite([h["generator_loss"] for h in after.history_]).all()


def test_conditional_samples_follow_the_label():
    rng = np.random.RandomState(0)
    centres = {"a": np.array([3.0, 0.0]), "b": np.array([-3.0, 1.0])}
    y = np.repeat(["a", "b"], 300)
    X = np.stack([centres[c] for c in y]) + 0.5 * rng.normal(size=(600, 2))
    gan = GAN(hidden_sizes=(32, 32), max_epochs=40, random_state=0).fit(X, y)
    for label, centre in centres.items():
        S = gan.sample(300, y=label, random_state=0)
        other = centres["b" if label == "a" else "a"]
        closer = np.linalg.norm(S - centre, axis=1) < np.linalg.norm(S - other, axis=1)
        assert closer.mean() > 0.9, (label, closer.mean())
    mixed = gan.sample(400, random_state=0)
    assert 0.3 < np.mean(mixed[:, 0] > 0) < 0.7  # labels drawn from class_prior_
    with pytest.raises(ValueError, match="not seen in fit"):
        gan.sample(3, y="c")


def test_early_stopping_keeps_the_best_generator():
    X = make_eight_gaussians(300, random_state=0)
    gan = GAN(hidden_sizes=(16,), max_epochs=15, early_stopping=True, n_iter_no_change=3,
              random_state=0).fit(X)
    dist = [h["valid_energy_distance"] for h in gan.history_]
    assert np.isfinite(dist).all()
    assert gan.best_epoch_ == int(np.argmin(dist)) + 1
    assert gan.n_epochs_ == len(dist) <= 15
    plain = GAN(hidden_sizes=(16,), max_epochs=2, random_state=0).fit(X)
    assert np.isnan([h["valid_energy_distance"] for h in plain.history_]).all()
    assert plain.best_epoch_ == plain.n_epochs_ == 2


def test_interrupt_and_nan_leave_a_usable_model(monkeypatch):
    X = np.random.RandomState(0).normal(size=(100, 2))
    original = GAN._train_step
    calls = {"n": 0}

    def interrupted(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] > 4:  # two epochs of two minibatches
            raise KeyboardInterrupt
        return original(self, *args, **kwargs)

    monkeypatch.setattr(GAN, "_train_step", interrupted)
    with pytest.warns(TrainingWarning, match="interrupted after 2"):
        gan = GAN(**{**SMALL, "max_epochs": 10}).fit(X)
    assert gan.n_epochs_ == gan.best_epoch_ == 2
    assert np.isfinite(gan.sample(5, random_state=0)).all()

    def nan_step(self, *args, **kwargs):
        losses = original(self, *args, **kwargs)
        return {**losses, "discriminator_loss": losses["discriminator_loss"] * float("nan")}

    monkeypatch.setattr(GAN, "_train_step", nan_step)
    with pytest.raises(FloatingPointError, match="first epoch"):
        GAN(**SMALL).fit(X)


def test_gan_defines_no_training_loop_of_its_own():
    # the driver's loop trains it; the GAN overrides only the steps that differ
    from skgen.nn import BaseDeepGenerative

    for hook in ("_train", "_fit", "_end_training"):
        assert getattr(GAN, hook) is getattr(BaseDeepGenerative, hook)
    for hook in ("_make_optimizers", "_train_step", "_validation_metrics"):
        assert getattr(GAN, hook) is not getattr(BaseDeepGenerative, hook)


def test_deprecated_latent_dim_alias():
    X = np.random.RandomState(0).normal(size=(60, 2))
    gan = GAN(latent_dim=3, **SMALL)
    with pytest.warns(FutureWarning, match="renamed 'n_components'"):
        gan.fit(X)
    assert gan.module_.latent_dim == 3
    same = GAN(n_components=3, **SMALL).fit(X)
    np.testing.assert_array_equal(gan.sample(5, random_state=0), same.sample(5, random_state=0))


def test_weight_average():
    X = np.random.RandomState(0).normal(size=(100, 2))
    last = GAN(ema_decay=0.0, **SMALL).fit(X).module_
    for avg, cur in zip(last.average_generator.parameters(), last.generator.parameters()):
        torch.testing.assert_close(avg, cur)
    smooth = GAN(**SMALL).fit(X).module_
    assert any(not torch.equal(a, c) for a, c in zip(smooth.average_generator.parameters(),
                                                      smooth.generator.parameters()))


def test_seeded_and_picklable():
    X = np.random.RandomState(0).normal(size=(100, 3))
    a, b = GAN(**SMALL).fit(X), GAN(**SMALL).fit(X)
    np.testing.assert_array_equal(a.sample(10, random_state=1), b.sample(10, random_state=1))
    c = GAN(**{**SMALL, "random_state": 1}).fit(X)
    assert not np.array_equal(a.sample(10, random_state=1), c.sample(10, random_state=1))
    loaded = pickle.loads(pickle.dumps(a))
    np.testing.assert_array_equal(loaded.sample(10, random_state=1),
                                  a.sample(10, random_state=1))
    with pytest.raises(ValueError, match="loss"):
        GAN(loss="minimax").fit(X)


def test_generative_battery():
    check_generative_estimator(GAN(**SMALL))


@parametrize_with_checks([GAN(**SMALL)])
def test_sklearn_compatible(estimator, check):
    check(estimator)
