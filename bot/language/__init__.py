"""Plain-spaCy language helpers: normalising, outcome and answer recognition, repairs, danger.

No Rasa imports here, so these functions can be tested and reused on their own
(custom NLU components and actions both call them).
"""
