"""Lexical features for the learned readers: TF-IDF over our spaCy lemmas and character n-grams.

The lemmas come from the one pipeline the rules use (bot/language/nlp.py), so
"hitting", "hit" and "hits" are one feature; character 2-4-grams within words
catch misspellings and text-speak ("hes", "hitin", "kil"). Module-level
functions, so a fitted vectorizer pickles by reference.
"""

from __future__ import annotations

from typing import List

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion

from bot.language.matching import make_doc
from bot.language.normalise import normalise


def lemma_tokens(text: str) -> List[str]:
    """The message's lemmas, lower case, punctuation dropped (negations kept: "not", "never")."""
    return [t.lemma_.lower() or t.lower_ for t in make_doc(text) if not t.is_punct and not t.is_space]


def normalised(text: str) -> str:
    return normalise(text)


def vectorizer() -> FeatureUnion:
    """Word lemmas (1-2-grams) beside character 2-4-grams: fitted on the training texts."""
    return FeatureUnion([
        ("lemmas", TfidfVectorizer(analyzer=lemma_tokens_ngrams, min_df=1, sublinear_tf=True)),
        ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), preprocessor=normalised,
                                  min_df=2, sublinear_tf=True, max_features=60000)),
    ])


def lemma_tokens_ngrams(text: str) -> List[str]:
    """Lemma unigrams and bigrams ("not safe", "take tablet")."""
    tokens = lemma_tokens(text)
    return tokens + [f"{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False)]
