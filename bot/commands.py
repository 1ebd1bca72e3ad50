"""Tell a trusted client's `/intent{...}` from words a person typed (no Rasa imports)."""

from __future__ import annotations

from typing import Any, Dict


def is_client_command(parse_data: Dict[str, Any]) -> bool:
    """A trusted client's `/intent{...}`, unpacked by Rasa itself (not words a person typed).

    Only the REST channel's token lets a `/` message through Rasa's shortcut,
    which sets the one intent it names, sure, with no ranking of others. A
    person's "/restart" is read by the model like any words, so it has a full
    ranking. Used by the actions, and by `msp transcript` to show "chat opened".
    """
    text = str(parse_data.get("text") or "").strip()
    intent = parse_data.get("intent") or {}
    ranking = parse_data.get("intent_ranking") or []
    return text.startswith("/") and float(intent.get("confidence") or 0.0) == 1.0 and len(ranking) <= 1
