"""Autoregressive models against sources whose log-probabilities are known.

1. ``CharacterLanguageModel`` on first-order Markov text sources
   (:class:`skgen.datasets.MarkovTextSource`): held-out
   cross-entropy in nats per character (end tokens included) against the
   same strings' exact log-probabilities under the source, and against the
   source's entropy rate. The issue's target: within 5%.
2. ``MADE`` on binarized digits (``load_digits().data > 8``, fixed 75/25
   split): held-out log-likelihood against independent Bernoulli pixels.

Run: ``python benchmarks/bench_char_lm.py [--quick]``.
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from skgen.autoregressive import MADE, CharacterLanguageModel  # noqa: E402
from skgen.datasets import MarkovTextSource  # noqa: E402


def bench_markov(quick):
    print("CharacterLanguageModel on Markov sources (nats per character, end included)")
    print(f"{'alphabet':>9} {'train':>6} {'entropy rate':>13} {'true held-out':>14} "
          f"{'model':>7} {'gap':>7} {'epochs':>7} {'fit s':>6}")
    settings = [("abcd", 2500), ("abcd", 10000), ("abcdefgh", 10000)]
    if quick:
        settings = settings[:1]
    for alphabet, n_train in settings:
        src = MarkovTextSource(alphabet, random_state=0)
        train = src.sample(n_train, random_state=1)
        test = src.sample(5000, random_state=2)
        n_tokens = sum(len(t) + 1 for t in test)
        true_nats = -src.score_samples(test).sum() / n_tokens
        lm = CharacterLanguageModel(hidden_sizes=(64,), embedding_dim=16, max_epochs=30,
                                    batch_size=128, learning_rate=1e-2, random_state=0)
        start = time.perf_counter()
        lm.fit(train)
        elapsed = time.perf_counter() - start
        model_nats = -lm.score_samples(test).sum() / n_tokens
        print(f"{len(alphabet):>9} {n_train:>6} {src.entropy_rate():>13.4f} "
              f"{true_nats:>14.4f} {model_nats:>7.4f} "
              f"{model_nats / true_nats - 1:>+7.2%} {lm.n_epochs_:>7} {elapsed:>6.1f}")


def bench_digits(quick):
    X = (load_digits().data > 8).astype(float)
    X_train, X_test = train_test_split(X, test_size=0.25, random_state=0)
    p = (X_train.sum(axis=0) + 1) / (len(X_train) + 2)
    independent = np.mean(X_test @ np.log(p) + (1 - X_test) @ np.log(1 - p))
    print("\nMADE on binarized digits (held-out mean log-likelihood, nats per image)")
    print(f"    independent Bernoulli pixels: {independent:.2f}")
    configs = [((256,), 30)] if quick else [((256,), 30), ((512,), 200), ((512, 512), 200)]
    for hidden, epochs in configs:
        made = MADE(distribution="bernoulli", hidden_sizes=hidden, max_epochs=epochs,
                    batch_size=128, learning_rate=3e-3, random_state=0)
        start = time.perf_counter()
        made.fit(X_train)
        elapsed = time.perf_counter() - start
        print(f"    MADE hidden={hidden}, {made.n_epochs_} epochs: "
              f"{made.score(X_test):.2f}  ({elapsed:.1f} s)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one setting each")
    args = parser.parse_args()
    bench_markov(args.quick)
    bench_digits(args.quick)


if __name__ == "__main__":
    main()
