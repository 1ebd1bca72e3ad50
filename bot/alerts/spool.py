"""Flags that could not be saved: kept on local disk until the sender stores them.

The help is shown before anything that can fail. When saving a flag (and its
alert) fails, the action writes a small file here instead (ids only, never
the person's words), and the sender keeps trying to store it. A file is
written whole and then renamed, so a half-written one is never read.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from datetime import datetime
from pathlib import Path
from typing import Callable, List

from bot.store.models import utcnow

logger = logging.getLogger(__name__)

SaveFlag = Callable[[str, str, str, datetime], object]


def spool_flag(spool_dir: str, conversation_id: str, stage: str, flag: str) -> Path:
    """Keep a flag that could not be saved, for the sender to store later."""
    folder = Path(spool_dir)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{utcnow().strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex}.json"
    tmp = folder / (name + ".tmp")
    tmp.write_text(json.dumps({"conversation_id": conversation_id, "stage": stage, "flag": flag,
                               "at": utcnow().isoformat()}))
    os.replace(tmp, folder / name)
    return folder / name


def pending(spool_dir: str) -> List[Path]:
    folder = Path(spool_dir)
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


def drain(spool_dir: str, save: SaveFlag) -> int:
    """Store every spooled flag that can be stored now; returns how many were."""
    stored = 0
    for path in pending(spool_dir):
        try:
            item = json.loads(path.read_text())
        except (OSError, ValueError):
            logger.error("unreadable spooled flag %s: left for a person to check", path.name)
            path.rename(path.with_suffix(".bad"))
            continue
        try:
            save(item["conversation_id"], item["stage"], item["flag"], datetime.fromisoformat(item["at"]))
        except Exception:  # noqa: BLE001 (the database is still away: try again next round)
            logger.warning("spooled flag %s still cannot be saved; will retry", path.name)
            break
        path.unlink(missing_ok=True)
        stored += 1
    return stored
