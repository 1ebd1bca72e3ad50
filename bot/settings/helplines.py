"""The helplines given with the help for danger (helplines.yml): a council's own data, read at start.

The file is named by a setting (HELPLINES_FILE); its numbers are not settings, so they are read here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Dict

import yaml

HELPLINE_KEYS = ("emergency", "silent_emergency", "samaritans", "nhs_111", "domestic_abuse", "modern_slavery",
                 "bank_scam", "gas_emergency")


def load_helplines(path: Path | str) -> Dict[str, str]:
    """The numbers in helplines.yml (`settings.helplines_file`), every one present and text.

    A missing or broken file stops the process at start: the help for danger must never lack a number.
    """
    file = Path(path)
    try:
        numbers = (yaml.safe_load(file.read_text(encoding="utf-8")) or {}).get("numbers") or {}
    except (OSError, ValueError, AttributeError) as exc:
        raise SystemExit(f"The helplines file {file} cannot be read ({type(exc).__name__}).") from None
    missing = [k for k in HELPLINE_KEYS if not str(numbers.get(k) or "").strip()]
    if missing:
        raise SystemExit(f"The helplines file {file} has no number for: {', '.join(missing)}.")
    return {k: str(numbers[k]).strip() for k in HELPLINE_KEYS}
