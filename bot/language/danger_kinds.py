"""The seven kinds of danger (patterns/danger_kinds.yml), so the help can fit what is happening."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Dict, Optional, Tuple

import yaml

PATTERNS_FILE = Path(__file__).with_name("patterns") / "danger_kinds.yml"

VIOLENCE = "violence_abuse_now"
SUICIDE = "suicide_self_harm"
MEDICAL = "medical_emergency"
FIRE_GAS = "fire_gas"
SCAM = "scam_in_progress"
EXPLOITATION = "exploitation_slavery"
NEGLECT = "neglect_now"
DANGER_KINDS: Tuple[str, ...] = (VIOLENCE, SUICIDE, MEDICAL, FIRE_GAS, SCAM, EXPLOITATION, NEGLECT)


@functools.lru_cache(maxsize=1)
def _types() -> Dict[str, str]:
    data = yaml.safe_load(PATTERNS_FILE.read_text(encoding="utf-8")) or {}
    kinds = data.get("kinds") or {}
    if set(kinds) != set(DANGER_KINDS):
        raise ValueError(f"{PATTERNS_FILE.name} must name exactly the kinds {DANGER_KINDS}")
    found: Dict[str, str] = {}
    for kind, spec in kinds.items():
        for name in (spec or {}).get("types") or []:
            if name in found:
                raise ValueError(f"{PATTERNS_FILE.name}: type {name!r} is in two kinds")
            found[str(name)] = kind
    return found


def kind_of_type(type_name: str) -> Optional[str]:
    """The kind an older set's situation label stands for, or None."""
    return _types().get(type_name)
