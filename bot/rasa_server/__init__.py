"""What runs inside the Rasa server, loaded by module path from credentials.yml and the endpoints file.

- `channel.py`: our REST channel (`TrustedRestInput`, in credentials.yml);
- `hooks.py`: the small hooks into Rasa's message processing (no silent loss), installed on import;
- `tracker_store.py`: our SQL tracker store (`StrictSQLTrackerStore`) and the start check that Rasa uses it;
- `lock_store.py`: Rasa's Redis lock store, mended (`ResilientRedisLockStore`);
- `errors.py`: the two errors the channel answers 503 for, and the exit status of a refusing instance.

Imports go one way only: channel -> tracker_store -> hooks -> errors (lock_store stands alone).
Nothing here imports bot.actions: the Rasa server decides what a request is, never what the
assistant says.
"""
