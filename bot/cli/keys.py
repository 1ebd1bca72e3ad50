"""`msp rotate-key`: change the key that protects the person's words (bot/store/rotation.py)."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import Any, Optional

from bot.settings import load_settings
from bot.settings.env_file import replace_env_value


def _tracker_engine(url: str) -> Optional[Any]:
    from bot.store.db import get_engine

    if url.startswith("sqlite:///") and not Path(url[len("sqlite:///"):]).exists():
        return None  # no conversation yet
    return get_engine(url)


def cmd_rotate_key(args: argparse.Namespace) -> int:
    from bot.store import audit, crypto, rotation
    from bot.store.db import get_engine
    from bot.store.migrate import upgrade

    settings = load_settings()
    keys = list(settings.encryption_keys)
    crypto._fernet(tuple(keys))  # no key or a malformed one: EncryptionKeyProblem, said by main()

    if args.new_key:
        fresh = crypto.new_key()
        joined = ",".join([fresh] + keys)
        if not replace_env_value("MSP_ENCRYPTION_KEYS", joined):
            print("MSP_ENCRYPTION_KEYS is set in the environment, not in .env, so .env was not changed.\n"
                  "Set it yourself, the new key first, then restart the services:\n"
                  f"MSP_ENCRYPTION_KEYS={joined}", file=sys.stderr)
            return 2
        audit.record(getpass.getuser(), "rotate-key", f"new key added; keys={len(keys) + 1}")
        print("A new key is first in MSP_ENCRYPTION_KEYS in .env; the old ones stay after it.\n"
              "Next: restart the services (they then write under the new key), then run `msp rotate-key`.")
        return 0

    upgrade(settings.database_url)
    records_engine = get_engine(settings.database_url)
    tracker_engine = _tracker_engine(settings.tracker_store_url)

    if args.forget_old_keys:
        if len(keys) == 1:
            print("Only one key is in use: there is nothing to forget.")
            return 0
        left = rotation.left_in_all(records_engine, tracker_engine, keys)
        if left:
            print(f"{left} stored values are not yet under the newest key. Run `msp rotate-key` first; "
                  "the old keys were kept.", file=sys.stderr)
            return 1
        if not replace_env_value("MSP_ENCRYPTION_KEYS", keys[0]):
            print("MSP_ENCRYPTION_KEYS is set in the environment, not in .env, so .env was not changed.\n"
                  f"Set it to the newest key only, then restart the services:\nMSP_ENCRYPTION_KEYS={keys[0]}",
                  file=sys.stderr)
            return 2
        removed = len(keys) - 1
        audit.record(getpass.getuser(), "rotate-key", f"old keys forgotten; keys_removed={removed}")
        print(f"Everything is under the newest key, and the {removed} older key(s) were taken out of .env.\n"
              "Restart the services so they stop using the old keys.")
        return 0

    def progress(column: Any) -> None:
        print(f"  {column.where}: {column.examined} looked at, {column.rewritten} re-encrypted", flush=True)

    print(f"Re-encrypting under the newest of {len(keys)} key(s), {args.batch} rows at a time "
          "(safe to stop and run again)...", flush=True)
    result = rotation.rotate_all(records_engine, tracker_engine, keys, batch=args.batch,
                                 progress=progress if args.verbose else None)
    for column in result.columns:
        print(f"  {column.where}: {column.examined} looked at, {column.rewritten} re-encrypted")
    audit.record(getpass.getuser(), "rotate-key",
                 f"re-encrypted={result.rewritten} looked_at={result.examined} keys={len(keys)}")
    left = rotation.left_in_all(records_engine, tracker_engine, keys)
    if left:
        print(f"{left} values are still under an older key (written while this ran by a service "
              "that has not been restarted?). Restart the services and run `msp rotate-key` again.")
        return 1
    if len(keys) > 1:
        print("Done: everything is under the newest key. To stop using the old keys: "
              "`msp rotate-key --forget-old-keys`, then restart the services.")
    else:
        print("Done: everything is under the key in use.")
    return 0


def add_commands(sub: Any) -> None:
    rotate = sub.add_parser(
        "rotate-key",
        help="change the encryption key: --new-key, restart, rotate-key, then --forget-old-keys",
        description="Re-encrypt the person's words (records and conversations) under the newest key "
                    "in MSP_ENCRYPTION_KEYS. Resumable: stopped half way, run it again.",
    )
    group = rotate.add_mutually_exclusive_group()
    group.add_argument("--new-key", action="store_true", help="put a fresh key first in .env (step 1)")
    group.add_argument("--forget-old-keys", action="store_true",
                       help="keep only the newest key in .env, once nothing is left under the old ones")
    rotate.add_argument("--batch", type=int, default=500, help="rows per transaction (default 500)")
    rotate.add_argument("--verbose", action="store_true", help="print progress after every batch")
    rotate.set_defaults(func=cmd_rotate_key)
