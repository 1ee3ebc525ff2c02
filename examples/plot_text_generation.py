"""Text generation with a character language model: "features are letters".

The corpus ships with Python: the names of Unicode characters
(``unicodedata.name``), such as ``LATIN SMALL LETTER A WITH GRAVE`` or
``BLACK CHESS KNIGHT``. They have a vocabulary of their own ("LETTER",
"SMALL", "WITH") and a grammar (script, case, letter, modifiers), which a
character-level model must pick up from the letters alone.

The script fits :class:`skgen.autoregressive.CharacterLanguageModel` on a
few thousand names, then

- samples new names at three temperatures (colder: more regular);
- scores held-out names, the same names with their words shuffled, and
  random strings of the same letters: ``score_samples`` is the exact
  log-probability of each whole string (natural log, end of string included),
  so it ranks them, and it is reported in bits per character;
- compares the held-out bits per character with two baselines whose
  probabilities are exact too: uniform letters, and letters drawn
  independently with their training frequencies.

Run it with ``python examples/text_generation.py`` (a few minutes on a laptop
CPU; ``--quick`` trains a smaller model in well under a minute).
"""

import sys
import unicodedata

import numpy as np

from skgen.autoregressive import CharacterLanguageModel

QUICK = "--quick" in sys.argv
rng = np.random.RandomState(0)

# ------------------------------------------------------------ the corpus
names = [unicodedata.name(chr(i), "") for i in range(sys.maxunicode + 1)]
skip = ("CJK", "IDEOGRAPH", "HANGUL SYLLABLE", "TANGUT", "KHITAN", "NUSHU", "EGYPTIAN")
names = sorted({n for n in names if n and not any(s in n for s in skip)})
names = [names[i] for i in rng.permutation(len(names))]
n_train = 2000 if QUICK else 5000
train, test = names[:n_train], names[n_train:n_train + 1000]
print(f"{len(names)} Unicode names; training on {len(train)}, testing on {len(test)}.")
print("e.g.", train[:3])

# ------------------------------------------------------------- the model
lm = CharacterLanguageModel(
    hidden_sizes=(128,), embedding_dim=32, vocabulary=sorted(set("".join(names))),
    max_epochs=5 if QUICK else 15,
    batch_size=64, learning_rate=3e-3, random_state=0,
)
lm.fit(train)
print(f"\nfitted in {lm.n_epochs_} epochs; alphabet {lm.vocabulary_!r}")


def bits_per_char(log_prob, texts):
    """Exact bits per character, the end of each string counted as one."""
    return -np.sum(log_prob) / (np.log(2) * sum(len(t) + 1 for t in texts))


# ------------------------------------------------------------- sampling
for temperature in (0.5, 1.0, 1.5):
    print(f"\nsamples at temperature {temperature}:")
    for text in lm.sample(6, temperature=temperature, random_state=1):
        print("   ", text)
new = lm.sample(1000, random_state=2)
print(f"\n{np.mean([t in set(names) for t in new]):.0%} of 1000 samples are real Unicode "
      f"names, {np.mean([t in set(train) for t in new]):.0%} copy a training name.")

# -------------------------------------------------------------- scoring
shuffled = [" ".join(rng.permutation(t.split(" "))) for t in test]
letters = np.array(list("".join(train)))
scrambled = ["".join(rng.choice(letters, size=len(t))) for t in test]
print("\nheld-out bits per character (lower is better):")
for what, texts in [("real names", test), ("words shuffled", shuffled),
                    ("random letters", scrambled)]:
    print(f"    {what:<16} {bits_per_char(lm.score_samples(texts), texts):6.3f}")

# exact baselines on the same held-out names
V = len(lm.vocabulary_)
print(f"    {'uniform letters':<16} {np.log2(V + 1):6.3f}  (baseline: any of {V} letters "
      "or the end, equally likely)")
counts = {c: 0 for c in lm.vocabulary_}
for t in train:
    for c in t:
        counts[c] += 1
total = sum(counts.values()) + len(train)  # the end token once per name
log_f = {c: np.log(k / total) for c, k in counts.items()}
unigram = [sum(log_f[c] for c in t) + np.log(len(train) / total) for t in test]
print(f"    {'letter frequency':<16} {bits_per_char(unigram, test):6.3f}  (baseline: "
      "independent letters)")

for text in ["LATIN SMALL LETTER A", "LETTER SMALL LATIN A", "LATNI SMLAL LTETER A"]:
    print(f"log p({text!r}) = {lm.score_samples([text])[0]:.1f} nats")
