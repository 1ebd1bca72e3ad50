"""Two Rasa instances, fifty whole conversations at once, every turn to a random instance.

Any instance must serve any conversation at any turn: the tracker store
(PostgreSQL) and the conversation locks (Redis) are shared. Afterwards every
record is checked field by field through `msp export`, and every
conversation's messages, read back from the tracker, are exactly those sent:
none lost, none twice, none in another conversation.
"""

from __future__ import annotations

import sys
import time
from collections import Counter

import pytest

from tests.production.conftest import Stack
from tests.production.driver import play, problems

pytestmark = [pytest.mark.e2e, pytest.mark.production]

CONVERSATIONS = 50


def test_fifty_conversations_at_once_over_two_instances(healthy: Stack) -> None:
    began = time.monotonic()
    played = play(lambda: healthy.urls, healthy.token, CONVERSATIONS, "many")
    talked = time.monotonic() - began
    found = problems(played, healthy.export())
    turns = sum(len(p.conversation.sent) for p in played)
    served = Counter(url for p in played for url in p.conversation.served_by)
    seconds = sorted(t for p in played for t in p.conversation.seconds)
    sys.stderr.write(f"\n{CONVERSATIONS} conversations, {turns} turns in {talked:.1f}s; "
                     f"turns per instance {dict(served)}; checked in {time.monotonic() - began - talked:.1f}s; "
                     f"a turn took {seconds[len(seconds) // 2]:.2f}s (median), "
                     f"{seconds[int(len(seconds) * 0.99)]:.2f}s (99th percentile), {seconds[-1]:.2f}s at most\n")
    assert not found, "\n".join(found)
    assert set(served) == set(healthy.urls), "every instance served turns"
    # Conversations really went back and forth between the instances, turn by turn.
    both = sum(1 for p in played if len(set(p.conversation.served_by)) == 2)
    assert both >= 0.8 * CONVERSATIONS, f"only {both} conversations were served by both instances"
    assert talked < 120, f"{talked:.0f}s for {CONVERSATIONS} conversations"
