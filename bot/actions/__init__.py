"""Everything the action server loads (`python -m bot.actions_server --actions bot.actions`).

rasa_sdk imports every submodule of this package and registers each concrete
Action subclass it finds; abstract bases (with an abstract `name`) are skipped.

TensorFlow is kept out of the action server. `import spacy` imports thinc,
whose `thinc/compat.py` imports TensorFlow (and with it jax) whenever it is
installed, as it is beside Rasa, though spaCy's lookup lemmatizer and our
Matcher rules never use it: about 470 MB of the action server's 610 MB.
`sys.modules["tensorflow"] = None` makes `import tensorflow` raise
ImportError, which thinc 8.1 catches and reads as "not installed"
(`has_tensorflow = False`); spaCy works as before (tests/actions/test_no_tensorflow.py).
This package is imported before any of its modules, so before spaCy.

Only in the action server process (`python -m bot.actions_server`, as `msp serve`
starts it): the Rasa server needs TensorFlow for DIET and never imports this
package, and a test run that imports both must keep it. `setdefault` leaves
an already imported TensorFlow alone.
"""

import sys


def _is_action_server() -> bool:
    """This process was started as `python -m bot.actions_server ...` (or `python -m rasa_sdk ...`)."""
    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    name = str(getattr(spec, "name", ""))
    return name == "bot.actions_server" or name.split(".")[0] == "rasa_sdk"


if _is_action_server():
    # None in sys.modules: "this module cannot be imported".
    sys.modules.setdefault("tensorflow", None)  # type: ignore[arg-type]


def _check_keys() -> None:
    """The action server reads and writes the person's words: stop at start if the keys cannot."""
    from bot.settings import load_settings
    from bot.store.crypto import EncryptionKeyProblem
    from bot.store.db import get_engine
    from bot.store.key_check import check_records

    try:
        check_records(get_engine(load_settings().database_url))
    except EncryptionKeyProblem as problem:
        raise SystemExit(f"The records cannot be read: {problem}.") from None


def _load_readers() -> None:
    """The learned readers and the helplines, loaded and checked at start: a problem stops the start."""
    from bot.actions.common import helplines
    from bot.language.embedding import EmbeddingModelProblem
    from bot.language.readers import ReadersProblem, load_readers

    helplines()
    try:
        load_readers()
    except (ReadersProblem, EmbeddingModelProblem) as problem:
        raise SystemExit(f"The action server cannot read messages for danger: {problem}.") from None


if _is_action_server():
    _check_keys()
    _load_readers()
    # Every rule set built before the first message, not during it (bot/language/__init__.py).
    from bot.language import warm_up

    warm_up()
