import numpy as np
import pytest

from skgen.datasets import make_biscuit_tins, render_biscuit_tins


def test_shapes_ranges_and_reproducibility():
    X, f = make_biscuit_tins(200, image_size=24, random_state=0)
    assert X.shape == (200, 576) and f.shape == (200, 2)
    assert X.min() >= 0 and X.max() <= 1
    assert f[:, 0].min() >= 0.35 and f[:, 0].max() <= 0.9
    X2, f2 = make_biscuit_tins(200, image_size=24, random_state=0)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(f, f2)


def test_total_intensity_is_the_drawn_area():
    """Anti-aliasing makes pixel sums equal the exact areas of body and lid."""
    s = 32
    h, w = np.array([0.5, 0.8, 0.43]), np.array([0.4, 0.61, 0.77])
    X = render_biscuit_tins(h, w, image_size=s)
    lid = 0.1 * s
    expected = 0.7 * (w * s) * (h * s - lid) + 1.0 * (w * s + 0.08 * s) * lid
    np.testing.assert_allclose(X.sum(1), expected, rtol=1e-12)


def test_taller_tin_covers_higher_rows():
    X = render_biscuit_tins([0.4, 0.8], [0.5, 0.5], image_size=32).reshape(2, 32, 32)
    top = [np.flatnonzero(img.sum(1) > 0)[0] for img in X]
    assert top[1] < top[0]
    np.testing.assert_array_equal(X[0][-1], X[1][-1])  # same width at the bottom


@pytest.mark.parametrize("kwargs", [dict(image_size=4), dict(height_range=(0.5, 1.2)),
                                    dict(noise=-1.0), dict(n_samples=0)])
def test_bad_arguments(kwargs):
    kwargs = {"n_samples": 10, **kwargs}
    with pytest.raises((ValueError, TypeError)):
        make_biscuit_tins(**kwargs)
