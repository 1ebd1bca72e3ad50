"""Making Safeguarding Personal: a conversational assistant for adult safeguarding."""

__version__ = "0.1.0"
