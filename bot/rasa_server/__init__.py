"""What runs inside the Rasa server: for now only its errors (`errors.py`).

Issue 17 moves the channel (`bot/channels/rest.py`), the hooks (`bot/rasa_hooks.py`),
the tracker store (`bot/tracker_store.py`) and the lock store (`bot/lock_store.py`) here.
"""
