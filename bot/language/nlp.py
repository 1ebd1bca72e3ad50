"""The one spaCy pipeline used by the assistant: blank English plus a lookup lemmatizer.

Why blank + lookup: no statistical model to download, deterministic lemmas
("went" -> "go") from spacy-lookups-data, and the same tokenizer for Rasa's
SpacyNLP (which loads the directory written by `save_pipeline`) and for the
rule-based recognisers in this package.

Usage: python -m bot.language.nlp var/spacy/en_msp
"""

import functools
import sys
from pathlib import Path
from typing import List, Optional

import spacy
from spacy.language import Language


def build_nlp() -> Language:
    """Build a fresh pipeline; tables come from spacy-lookups-data at initialise time."""
    nlp = spacy.blank("en")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()
    return nlp


@functools.lru_cache(maxsize=1)
def get_nlp() -> Language:
    """Shared pipeline, built once per process (building reads the lookup tables)."""
    return build_nlp()


def save_pipeline(path: str) -> None:
    """Write the pipeline so `spacy.load(path)` (and Rasa's SpacyNLP) gets the same lemmas."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    build_nlp().to_disk(target)


def main(argv: Optional[List[str]] = None) -> int:
    """Command line entry: save the pipeline to the path given, then check it lemmatises."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m bot.language.nlp OUTPUT_DIR", file=sys.stderr)
        return 2
    save_pipeline(args[0])
    loaded = spacy.load(args[0])
    lemma = loaded("went")[0].lemma_
    if lemma != "go":
        print(f"saved pipeline does not lemmatise: 'went' -> {lemma!r}", file=sys.stderr)
        return 1
    print(f"saved spaCy pipeline to {args[0]} ('went' -> 'go')")
    return 0


if __name__ == "__main__":
    sys.exit(main())
