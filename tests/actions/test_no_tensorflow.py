"""The action server runs without TensorFlow, and understands people exactly as before.

bot/actions/__init__.py blocks `import tensorflow` in the action server
process; thinc (imported by spaCy) must then take TensorFlow as not
installed, and our spaCy rules must give the same readings as with it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from bot.actions import _is_action_server
from bot.language.danger import assess_danger
from bot.language.nlp import get_nlp
from bot.language.outcomes import recognise_outcomes
from bot.settings import PROJECT_ROOT

PHRASES = [
    "i jus want him 2 leave me alone and for the hitting to stop",
    "im scared hes coming back tonite",
    "he went to the shops and took my bank card",
    "I want the police to do something about it",
]

READ = """
import json, sys
{block}
from bot.language.danger import assess_danger
from bot.language.nlp import get_nlp
from bot.language.outcomes import recognise_outcomes
import thinc.compat
phrases = json.loads(sys.argv[1])
print(json.dumps({{
    "tensorflow_loaded": sys.modules.get("tensorflow") is not None,
    "thinc_has_tensorflow": thinc.compat.has_tensorflow,
    "lemmas": [[t.lemma_ for t in get_nlp()(p)] for p in phrases],
    "outcomes": [[m.code for m in recognise_outcomes(p)] for p in phrases],
    "danger": [str(assess_danger(p)) for p in phrases],
}}))
"""


def _read(block: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", READ.format(block=block), json.dumps(PHRASES)],
        cwd=PROJECT_ROOT, env=dict(os.environ, PYTHONPATH=str(PROJECT_ROOT)),
        capture_output=True, text=True, timeout=300, check=True,
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def test_spacy_without_tensorflow_reads_people_the_same() -> None:
    blocked = _read('sys.modules.setdefault("tensorflow", None)  # as bot/actions/__init__.py does')
    assert blocked["tensorflow_loaded"] is False and blocked["thinc_has_tensorflow"] is False
    assert ["go"] == [t.lemma_ for t in get_nlp()("went")]
    # In this process TensorFlow may well be loaded (Rasa's tests import it): the same readings.
    assert blocked["lemmas"] == [[t.lemma_ for t in get_nlp()(p)] for p in PHRASES]
    assert blocked["outcomes"] == [[m.code for m in recognise_outcomes(p)] for p in PHRASES]
    assert blocked["danger"] == [str(assess_danger(p)) for p in PHRASES]
    assert blocked["outcomes"][0] and blocked["lemmas"][2][1] == "go", "real readings, not empty ones"


def test_only_the_action_server_process_blocks_it() -> None:
    assert not _is_action_server(), "pytest is not the action server: Rasa's tests keep TensorFlow"
    assert sys.modules.get("tensorflow", "absent") is not None
