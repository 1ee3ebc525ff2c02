"""skgen.utils: estimator discovery and bounded-memory chunking."""

import skgen.utils


def test_utils_docstring_names_what_the_package_holds():
    doc = skgen.utils.__doc__
    for name in skgen.utils.__all__:
        assert name in doc, f"skgen.utils' docstring does not mention {name}"
