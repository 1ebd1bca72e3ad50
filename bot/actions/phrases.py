"""Plain words for a wish's code, taken from the domain (domain/outcomes.yml, `utter_wish_<code>`).

The review asks "You wanted the person who hurt you to stay away. Has that
happened?", and a chat resumed in another browser visit reads wishes back in
these words, never in the person's own (issue 15: own words are shown only in
the visit that wrote them). The words live in the domain like every sentence
a person reads; this module only picks the variant for who is speaking, as
Rasa's conditional responses do (only the `for_someone` slot is used).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, Dict, List

import yaml

from bot import constants
from bot.settings import PROJECT_ROOT

DOMAIN_DIR = PROJECT_ROOT / "domain"


@functools.lru_cache(maxsize=1)
def _wish_responses(domain_dir: Path = DOMAIN_DIR) -> Dict[str, List[Dict[str, Any]]]:
    found: Dict[str, List[Dict[str, Any]]] = {}
    for path in sorted(domain_dir.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for name, variants in (data.get("responses") or {}).items():
            if name.startswith("utter_wish_") and name[len("utter_wish_"):] in constants.OUTCOME_CODES:
                found[name] = list(variants)
    missing = [code for code in constants.OUTCOME_CODES if f"utter_wish_{code}" not in found]
    if missing:
        raise ValueError(f"the domain has no plain words (utter_wish_<code>) for {missing}")
    return found


def wish_words(code: str, for_someone: bool) -> str:
    """ "to feel safer", "the person who hurt them to stay away": a wish's code in plain words."""
    variants = _wish_responses()[f"utter_wish_{code}"]
    for variant in variants:
        conditions = variant.get("condition") or []
        matches = [c.get("name") == "for_someone" and bool(c.get("value")) == for_someone for c in conditions]
        if conditions and all(matches):
            return str(variant["text"])
    return str(next(v["text"] for v in variants if not v.get("condition")))
