"""Flags that could not be saved: kept on local disk until the sender stores them.

The help is shown before anything that can fail. When saving a flag (and its
alert) fails, the action writes a small file here instead (ids only, never
the person's words), and the sender keeps trying to store it. A file is
written whole and then renamed, so a half-written one is never read.

The sender stores it through `records.set_flag` like any flag, so when an
alert of that kind is already open by then, it becomes a follow-up to it.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

from bot.store.models import utcnow

logger = logging.getLogger(__name__)

# (conversation id, stage, flag, when it was raised, the message that raised it or None); and, as the
# keyword `answers`, the closed answers stored with it when a file has them (codes, never words).
SaveFlag = Callable[..., object]


def spool_flag(
    spool_dir: str, conversation_id: str, stage: str, flag: str, message_id: Optional[str] = None,
    answers: Optional[Dict[str, str]] = None,
) -> Path:
    """Keep a flag that could not be saved, for the sender to store later.

    Synced to disk before the rename: the database is already away, so this
    file may be the only trace of the flag if the machine then stops.
    """
    folder = Path(spool_dir)
    folder.mkdir(parents=True, exist_ok=True)
    now = utcnow()
    name = f"{now.strftime('%Y%m%dT%H%M%S%f')}-{uuid.uuid4().hex}.json"
    tmp = folder / (name + ".tmp")
    item: Dict[str, Any] = {"conversation_id": conversation_id, "stage": stage, "flag": flag,
                            "at": now.isoformat()}
    if message_id:
        item["message_id"] = message_id
    if answers:
        item["answers"] = dict(answers)  # codes such as feels_safe_now: no, never words
    data = json.dumps(item)
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, folder / name)
    return folder / name


def pending(spool_dir: str) -> List[Path]:
    """Spooled flags, oldest first (the file name starts with the time)."""
    folder = Path(spool_dir)
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


def _read(path: Path) -> Tuple[str, str, str, datetime, Optional[str], Dict[str, Any]]:
    """The flag in a spool file; ValueError when it cannot be one."""
    try:
        item = json.loads(path.read_text(encoding="utf-8"))
        found = (item["conversation_id"], item["stage"], item["flag"])
        at = datetime.fromisoformat(item["at"])
        message_id = item.get("message_id")  # files spooled before it was kept have none
        answers = item.get("answers") or {}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"unreadable spooled flag ({type(exc).__name__})") from exc
    if not all(isinstance(part, str) and part for part in found):
        raise ValueError("unreadable spooled flag (missing ids)")
    if message_id is not None and not isinstance(message_id, str):
        raise ValueError("unreadable spooled flag (message id)")
    if not isinstance(answers, dict) or not all(isinstance(v, str) for v in answers.values()):
        raise ValueError("unreadable spooled flag (answers)")
    return found[0], found[1], found[2], at, message_id or None, answers


def _set_aside(path: Path, why: str) -> None:
    logger.error("spooled flag %s set aside as .bad (%s): left for a person to check", path.name, why)
    try:
        path.rename(path.with_suffix(".bad"))
    except OSError:
        logger.exception("could not set aside spooled flag %s", path.name)


def drain(spool_dir: str, save: SaveFlag) -> int:
    """Store every spooled flag that can be stored now; returns how many were.

    Oldest first, and a database fault stops the round so the order holds. A
    file that can never be stored (unreadable, or a flag the store refuses with
    ValueError) is set aside as `.bad`, so it cannot block the ones behind it.
    """
    stored = 0
    for path in pending(spool_dir):
        try:
            conversation_id, stage, flag, at, message_id, answers = _read(path)
        except ValueError as exc:
            _set_aside(path, str(exc))
            continue
        try:
            if answers:
                save(conversation_id, stage, flag, at, message_id, answers=answers)
            else:
                save(conversation_id, stage, flag, at, message_id)
        except ValueError as exc:
            _set_aside(path, f"refused: {type(exc).__name__}")
            continue
        except Exception:  # noqa: BLE001 (the database is still away: try again next round)
            logger.warning("spooled flag %s still cannot be saved; will retry", path.name)
            break
        path.unlink(missing_ok=True)
        stored += 1
    return stored
