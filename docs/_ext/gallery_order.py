"""The order of the gallery: the lecture's order, then anything new by file name.

sphinx-gallery needs the sort key as an importable name (a function defined
in ``conf.py`` could not be cached with the build environment), so it lives
here; ``conf.py`` puts this folder on ``sys.path``.
"""

ORDER = [
    "plot_hello_world.py",
    "plot_model_selection.py",
    "plot_generative_vs_discriminative.py",
    "plot_draw_me_a_digit.py",
    "plot_text_generation.py",
    "plot_biscuit_tins.py",
]


def example_order(filename):
    """Sort key of an example's file name: its place in ``ORDER``, new ones last."""
    name = str(filename).replace("\\", "/").rsplit("/", 1)[-1]
    return (ORDER.index(name) if name in ORDER else len(ORDER), name)
