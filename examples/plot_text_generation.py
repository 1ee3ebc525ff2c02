"""
Text generation with a character language model: "features are letters"
=======================================================================

The corpus ships with Python: the names of Unicode characters
(``unicodedata.name``), such as ``LATIN SMALL LETTER A WITH GRAVE`` or
``BLACK CHESS KNIGHT``. They have a vocabulary of their own ("LETTER",
"SMALL", "WITH") and a grammar (script, case, letter, modifiers), which a
character-level model must pick up from the letters alone.

The example fits :class:`~skgen.autoregressive.CharacterLanguageModel` on a
few thousand names, then

- samples new names at three temperatures (colder: more regular);
- scores held-out names, the same names with their words shuffled, and
  random strings of the same letters: ``score_samples`` is the exact
  log-probability of each whole string (natural log, end of string
  included), so it ranks them, and it is reported in bits per character;
- compares the held-out bits per character with two baselines whose
  probabilities are exact too: uniform letters, and letters drawn
  independently with their training frequencies.

The model gets a small budget here (2000 names, 5 epochs: well under a
minute on a laptop CPU); ``python examples/plot_text_generation.py --full``
trains on 5000 names for 15 epochs (a few minutes), and its samples read
more like real names.
"""

# %%
# The corpus
# ----------

import sys
import unicodedata

import matplotlib.pyplot as plt
import numpy as np

from skgen.autoregressive import CharacterLanguageModel
from skgen.plotting import plot_history

FULL = "--full" in sys.argv
rng = np.random.RandomState(0)

names = [unicodedata.name(chr(i), "") for i in range(sys.maxunicode + 1)]
skip = ("CJK", "IDEOGRAPH", "HANGUL SYLLABLE", "TANGUT", "KHITAN", "NUSHU", "EGYPTIAN")
names = sorted({n for n in names if n and not any(s in n for s in skip)})
names = [names[i] for i in rng.permutation(len(names))]
n_train = 5000 if FULL else 2000
train, test = names[:n_train], names[n_train:n_train + 1000]
print(f"{len(names)} Unicode names; training on {len(train)}, testing on {len(test)}.")
print("e.g.", train[:3])

# %%
# The model
# ---------
# A recurrent network reads each string left to right and predicts the next
# character or the end of the string. The whole alphabet is passed as
# ``vocabulary`` so that characters rare in training still get a small
# probability (an unknown character would have probability zero).

lm = CharacterLanguageModel(
    hidden_sizes=(128,), embedding_dim=32, vocabulary=sorted(set("".join(names))),
    max_epochs=15 if FULL else 5, batch_size=64, learning_rate=3e-3, random_state=0,
)
lm.fit(train)
print(f"fitted in {lm.n_epochs_} epochs; {len(lm.vocabulary_)} characters")

# %%
# Sampling
# --------
# ``sample`` returns a list of strings. A temperature below 1 sharpens every
# next-character distribution (more regular strings), above 1 flattens it.

for temperature in (0.5, 1.0, 1.5):
    print(f"samples at temperature {temperature}:")
    for text in lm.sample(5, temperature=temperature, random_state=1):
        print("   ", text)
new = lm.sample(1000, random_state=2)
print(f"{np.mean([t in set(names) for t in new]):.0%} of 1000 samples are real Unicode "
      f"names, {np.mean([t in set(train) for t in new]):.0%} copy a training name.")

# %%
# Scoring
# -------
# A string's log-probability grows with its length, so texts are compared in
# bits per character, the end of each string counted as one character.


def bits_per_char(log_prob, texts):
    """Exact bits per character, the end of each string counted as one."""
    return -np.sum(log_prob) / (np.log(2) * sum(len(t) + 1 for t in texts))


shuffled = [" ".join(rng.permutation(t.split(" "))) for t in test]
letters = np.array(list("".join(train)))
scrambled = ["".join(rng.choice(letters, size=len(t))) for t in test]
bits = {what: bits_per_char(lm.score_samples(texts), texts)
        for what, texts in [("real names", test), ("words shuffled", shuffled),
                            ("random letters", scrambled)]}

# Exact baselines on the same held-out names.
V = len(lm.vocabulary_)
bits["uniform letters"] = np.log2(V + 1)  # any of V letters or the end, equally likely
counts = {c: 0 for c in lm.vocabulary_}
for t in train:
    for c in t:
        counts[c] += 1
total = sum(counts.values()) + len(train)  # the end token once per name
log_f = {c: np.log(k / total) for c, k in counts.items() if k}
unigram = [sum(log_f.get(c, -np.inf) for c in t) + np.log(len(train) / total)
           for t in test]
bits["letter frequency"] = bits_per_char(unigram, test)

print("held-out bits per character (lower is better):")
for what, value in bits.items():
    print(f"    {what:<17} {value:6.3f}")
for text in ["LATIN SMALL LETTER A", "LETTER SMALL LATIN A", "LATNI SMLAL LTETER A"]:
    print(f"log p({text!r}) = {lm.score_samples([text])[0]:.1f} nats")

# %%
# The model ranks real names ahead of the same words shuffled, and both far
# ahead of the same letters scrambled, which it finds even less likely than
# uniform guessing would; on real names it beats both exact baselines by a
# wide margin.
#
# Learning curve and bits per character
# -------------------------------------
# Left, the training and validation log-likelihood per string, epoch by
# epoch (:func:`~skgen.plotting.plot_history`); right, the numbers above.

fig, axes = plt.subplots(1, 2, figsize=(11, 4))
plot_history(lm, ax=axes[0])
order = ["real names", "words shuffled", "random letters", "letter frequency",
         "uniform letters"]
axes[1].barh(order[::-1], [bits[k] for k in order[::-1]],
             color=["tab:gray", "tab:gray", "tab:red", "tab:orange", "tab:blue"])
axes[1].set(xlabel="held-out bits per character", title="lower is better")
fig.tight_layout()
plt.show()
