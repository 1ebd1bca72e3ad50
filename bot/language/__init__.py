"""Plain-spaCy language helpers: normalising, outcome and answer recognition, repairs, danger.

No Rasa imports here, so these functions can be tested and reused on their own
(custom NLU components and actions both call them).
"""


def warm_up() -> float:
    """Build every rule set now (spaCy, the Matchers), and return the seconds it took.

    Each is built on first use and kept. Built lazily, the first message an
    action server read would wait for all of them (over ten seconds with
    today's rules), longer than Rasa gives an action (ACTION_TIMEOUT_S), and
    the person would be asked to send it again. The action server calls this
    at start, before it answers its health check.
    """
    import time

    from bot.language import readers
    from bot.language.answers import recognise_answer
    from bot.language.danger import assess_danger
    from bot.language.repair import detect_repair, repair_anywhere
    from bot.language.wishes import read_wishes

    began = time.perf_counter()
    text = "I want him to stay away, he's at the door"
    assess_danger(text)
    learned = readers.current()
    if learned is not None:  # the ONNX session's first run allocates; do it before anyone waits on it
        learned.danger_score(text)
        learned.wish_p([text])
    read_wishes(text, None, 0.0)
    recognise_answer("yes", "consent")
    detect_repair(text)
    repair_anywhere(text)
    return time.perf_counter() - began
