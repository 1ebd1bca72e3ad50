"""The REST channel over HTTP: only its own callers, and a person's "/" text is words, never a command.

Every request carries RASA_AUTH_TOKEN or the web app's signature
(`X-MSP-Signature`); without one, or with a wrong one, it gets a JSON 401 and
nothing is created. Only a caller with the token may open a conversation with
`/start{...}` or send `/restart`; in a signed message these are what the
person typed. Bad requests get a JSON 400 or 413, never a 500.
"""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional

import pytest
import requests

from bot.channel_auth import SIGNATURE_HEADER, sign
from bot.rasa_server.incoming import BAD_SIGNATURE, MAX_MESSAGE_CHARS, NO_CREDENTIAL, WRONG_TOKEN
from tests.conversations.driver import Conversation, post_arguments, run_scenario
from tests.live import Live

pytestmark = pytest.mark.e2e

VICTIM_REF = "CHANNEL-VICTIM-1"
VICTIM_WORDS = "I want Desmond Pike to stop coming to my flat"
START = '/start{"stage": "outcomes", "enquiry_ref": "CHANNEL-1", "role": "person"}'


def _texts(replies: List[Dict[str, Any]]) -> str:
    return " ".join(r.get("text") or "" for r in replies)


def _all_events(live: Live, sender: str) -> List[Dict[str, Any]]:
    """Every event, also those before a restart (the tracker's default view hides them)."""
    got = requests.get(f"{live.url}/conversations/{sender}/tracker", timeout=60,
                       params={"token": live.token, "include_events": "ALL"})
    got.raise_for_status()
    return list(got.json()["events"])


def _user_events(live: Live, sender: str) -> List[Dict[str, Any]]:
    return [e for e in _all_events(live, sender) if e["event"] == "user"]


def _post(live: Live, data: bytes, secret: Optional[str] = "", **headers: str) -> requests.Response:
    """POST these bytes signed with the stack's secret (`secret=None`: unsigned; a string: that key)."""
    signature = {} if secret is None else {SIGNATURE_HEADER: sign(data, secret or live.secret)}
    return requests.post(f"{live.url}/webhooks/rest/webhook", data=data, timeout=120,
                         headers={"Content-Type": "application/json", **signature, **headers})


def _nothing_of(live: Live, sender: str) -> None:
    """Nothing said, no record, no alert for this sender (reading the tracker makes an empty one)."""
    assert _user_events(live, sender) == []
    assert not [r for r in live.export() if r["conversation_id"] == sender]
    assert not [a for a in live.alerts() if a.get("conversation_id") == sender]


def _victim(live: Live) -> Conversation:
    """An enquiry with one confirmed wish, opened the trusted way."""
    chat = Conversation(live.url, live.token, "live-channel-victim")
    run_scenario(chat, {
        "name": "victim",
        "start": f'/start{{"stage": "outcomes", "enquiry_ref": "{VICTIM_REF}", "role": "person"}}',
        "answers": {"consent_to_talk": "yes", "feels_safe_now": "yes", "wants_advocate": "no",
                    "desired_outcomes": [VICTIM_WORDS, "no"], "outcomes_confirmed": "yes"},
    })
    record = live.record(chat.sender, "outcomes")
    assert record["confirmed"] is True and record["enquiry_ref"] == VICTIM_REF
    assert any("Desmond Pike" in o["own_words"] for o in record["outcomes"])
    return chat


ATTACKS = [
    ("signed", f'/start{{"stage": "review", "enquiry_ref": "{VICTIM_REF}", "role": "person"}}'),
    ("spaced", f' \u200b/start{{"stage":"review","enquiry_ref":"{VICTIM_REF}"}}'),
]


def test_without_a_credential_nobody_posts_into_a_conversation(live: Live) -> None:
    """Knowing a conversation id (workspace URLs, the audit log, alerts) is not enough."""
    victim = _victim(live)
    before = _all_events(live, victim.sender)
    for name, attack in ATTACKS + [("plain", "yes"), ("greeting", "hello")]:
        for how, expected in (({}, NO_CREDENTIAL), ({"params": {"token": "guess"}}, WRONG_TOKEN),
                              ({"headers": {"Authorization": "Bearer guess"}}, WRONG_TOKEN),
                              ({"headers": {SIGNATURE_HEADER: "sha256=" + "0" * 64}}, BAD_SIGNATURE)):
            got = requests.post(f"{live.url}/webhooks/rest/webhook", timeout=120,
                                json={"sender": victim.sender, "message": attack}, **how)
            assert got.status_code == 401, (name, how)
            assert got.json() == {"error": expected}, (name, how)
    assert _all_events(live, victim.sender) == before  # not a word added, nothing read back
    forged = _post(live, json.dumps({"sender": victim.sender, "message": "yes"}).encode(), secret="guess")
    assert forged.status_code == 401 and forged.json() == {"error": BAD_SIGNATURE}
    assert _all_events(live, victim.sender) == before


def test_a_plain_greeting_starts_a_conversation_only_with_a_credential(live: Live) -> None:
    """The contract's greeting opens an outcomes conversation with no reference, but only when signed."""
    refused = requests.post(f"{live.url}/webhooks/rest/webhook", timeout=120,
                            json={"sender": "live-channel-greeting", "message": "hello"})
    assert refused.status_code == 401
    _nothing_of(live, "live-channel-greeting")
    chat = Conversation(live.url, live.token, "live-channel-greeting")
    assert chat.say("hello")  # signed, as the web app sends it
    assert chat.slot("stage") in (None, "outcomes") and chat.slot("enquiry_ref") is None
    assert chat.requested() == "consent_to_talk"


def test_a_signed_start_neither_opens_nor_reads_back_another_enquiry(live: Live) -> None:
    _victim(live)
    for name, attack in ATTACKS:
        sender = f"live-channel-attacker-{name}"
        got = requests.post(f"{live.url}/webhooks/rest/webhook", timeout=120,
                            **post_arguments(sender, attack, None, live.secret))
        assert got.status_code == 200, name
        chat = Conversation(live.url, live.token, sender)
        replies = got.json()
        for _ in range(6):  # go along with whatever it asks: still nothing of the victim's
            if chat.requested() is None:
                break
            replies += chat.say("yes")
        assert "Desmond" not in _texts(replies), name
        tracker = chat.tracker()
        assert tracker["slots"].get("enquiry_ref") != VICTIM_REF, name
        assert tracker["slots"].get("stage") != "review", name
        # Kept as typed, read by NLU: no intent or entities taken from the text.
        first = _user_events(live, sender)[0]
        assert first["text"] == attack.strip(), name
        assert first["parse_data"]["entities"] == [], name
        assert len(first["parse_data"].get("intent_ranking") or []) > 1, name
        for record in live.export():
            if record["conversation_id"] == sender:
                assert record["enquiry_ref"] != VICTIM_REF, name
    assert {r["conversation_id"] for r in live.export(VICTIM_REF)} == {"live-channel-victim"}

    # The same message from the trusted client does open the review: the attack was real. The review
    # names the wish in its code's plain words, never the victim's own (issue 15).
    control = Conversation(live.url, live.token, "live-channel-control")
    control.say(ATTACKS[0][1])
    replies = control.say("yes")
    assert "the person who hurt you to stay away" in _texts(replies)
    assert "Desmond" not in _texts(replies)


def test_an_untrusted_restart_wipes_nothing(live: Live) -> None:
    chat = Conversation(live.url, live.token, "live-channel-restart")
    chat.say(START)
    chat.say("yes")
    chat.say("yes")
    assert chat.requested() == "wants_advocate"

    for typed in ("/restart", "  /restart", "\u200b/restart"):
        replies = chat.say(typed, trusted=False)
        assert replies, typed
        # Three answers that do not fit the question in a row are a sign that taking part is hard
        # (issue 18): the third brings the offer of an advocate, once, before the same question.
        assert chat.requested() in ("wants_advocate", "advocacy_offer"), typed
    assert not [e for e in _all_events(live, chat.sender) if e["event"] == "restart"]
    tracker = chat.tracker()
    assert tracker["slots"]["consent_to_talk"] == "yes"
    assert tracker["slots"]["feels_safe_now"] == "yes"
    assert tracker["slots"]["enquiry_ref"] == "CHANNEL-1"
    said = _user_events(live, chat.sender)
    assert [e["text"] for e in said[-3:]] == ["/restart", "/restart", "\u200b/restart"]
    assert all(e["parse_data"]["intent"].get("name") != "restart" for e in said)
    record = live.record(chat.sender, "outcomes")
    assert record["status"] == "in_progress" and record["enquiry_ref"] == "CHANNEL-1"

    transcript = live.msp("transcript", chat.sender).stdout
    assert "Person   : /restart  [wants_advocate]" in transcript
    assert "Person   : yes  [feels_safe_now]" in transcript

    if chat.requested() == "advocacy_offer":
        chat.say("no")  # the offer answered, the question it came before is asked again
    assert chat.requested() == "wants_advocate"
    chat.say("no")
    assert chat.requested() == "desired_outcomes"


def test_a_trusted_restart_still_restarts(live: Live) -> None:
    """A practitioner's tool keeps Rasa's commands, with the token as a bearer header."""
    chat = Conversation(live.url, live.token, "live-channel-trusted-restart")
    chat.say(START)
    got = requests.post(f"{live.url}/webhooks/rest/webhook", timeout=120,
                        headers={"Authorization": f"Bearer {live.token}"},
                        json={"sender": chat.sender, "message": "/restart"})
    assert got.status_code == 200
    assert [e for e in _all_events(live, chat.sender) if e["event"] == "restart"]


HOSTILE_AT_CONSENT = [
    "<script>alert('x')</script>",
    "hm\x00m\u200b\u200d\ufeff?",
    "\u200b",
    "\x00",
    ("la " * MAX_MESSAGE_CHARS)[:MAX_MESSAGE_CHARS],
]
MARKUP_WISH = "<b>I want him to leave me alone</b><script>alert(1)</script>"
LONG_WISH = ("I want him to leave me alone. " * MAX_MESSAGE_CHARS)[:MAX_MESSAGE_CHARS]


def test_hostile_text_is_kept_as_the_persons_words_and_the_record_is_right(live: Live) -> None:
    chat = Conversation(live.url, live.token, "live-channel-hostile")
    chat.say('/start{"stage": "outcomes", "enquiry_ref": "CHANNEL-2", "role": "person"}')
    typed: List[str] = []
    for text in HOSTILE_AT_CONSENT:
        replies = chat.say(text)  # raises on any error status
        assert replies, repr(text[:20])
        typed.append(text)
        if chat.requested() == "safety_check":  # the learned reader may be unsure of odd text: a gentle check
            chat.say("yes")
            typed.append("yes")
        if chat.requested() == "advocacy_offer":  # answer after answer that does not fit: an advocate, once
            chat.say("no")
            typed.append("no")
        assert chat.requested() == "consent_to_talk"
    # Then the conversation, answered question by question (a gentle check the learned reader
    # asks for along the way is answered too, and it answers "are you safe?" when that is open).
    answers = {"consent_to_talk": ["yes"], "feels_safe_now": ["yes"], "wants_advocate": ["no"],
               "desired_outcomes": [MARKUP_WISH, LONG_WISH, "no"], "outcomes_confirmed": ["yes"],
               "safety_check": ["yes"] * 5}
    for _ in range(20):
        question = chat.requested()
        if question is None:
            break
        text = answers[question].pop(0)
        chat.say(text)
        typed.append(text)
    assert chat.requested() is None

    said = [e["text"] for e in _user_events(live, chat.sender)][1:]
    assert said == [t.strip() for t in typed]
    record = live.record(chat.sender, "outcomes")
    assert record["status"] == "completed" and record["confirmed"] is True
    assert record["enquiry_ref"] == "CHANNEL-2"
    # Two messages, one code: two wishes, each with its own words (issue 15).
    assert {o["code"] for o in record["outcomes"]} == {"abuser_stays_away"}
    assert MARKUP_WISH in [o["own_words"] for o in record["outcomes"]]  # kept, not cleaned: pages escape

    too_long = _post(live, json.dumps({"sender": chat.sender,
                                       "message": "x" * (MAX_MESSAGE_CHARS + 1)}).encode())
    assert too_long.status_code == 413 and "at most" in too_long.json()["error"]


BAD_BODIES = [
    (b"", 400),
    (b"not json at all", 400),
    (b'["live", "hello"]', 400),
    (b'"hello"', 400),
    (b'{"message": "hello"}', 400),
    (b'{"sender": 12, "message": "hello"}', 400),
    (b'{"sender": "live-bad", "message": ["hello"]}', 400),
    (b'{"sender": "live-bad"}', 400),
    (b'{"sender": "live-bad", "message": "hi \\ud800"}', 400),
    (b'{"sender": "live-bad", "message": "hello", "metadata": []}', 400),
    (json.dumps({"sender": "s" * 256, "message": "hello"}).encode(), 400),
    (b"\xff\xfe\x00", 400),
    (b"{" * 50_000, 400),
]


@pytest.mark.parametrize("body, status", BAD_BODIES)
def test_a_bad_body_gets_a_json_error_never_a_500(live: Live, body: bytes, status: int) -> None:
    got = _post(live, body)
    assert got.status_code == status
    assert got.headers["Content-Type"].startswith("application/json")
    assert isinstance(got.json()["error"], str) and got.json()["error"]
    unsigned = _post(live, body, secret=None)  # 401 comes before 400: no credential, no reading
    assert unsigned.status_code == 401 and unsigned.json() == {"error": NO_CREDENTIAL}


def test_a_body_too_big_is_a_413_before_any_credential(live: Live) -> None:
    huge = json.dumps({"sender": "live-big", "message": "hi", "metadata": {"pad": "x" * 1_000_001}}).encode()
    assert _post(live, huge, secret=None).status_code == 413
    assert _post(live, huge).status_code == 413


def test_health_and_good_replies_keep_rasas_format(live: Live) -> None:
    health = requests.get(f"{live.url}/webhooks/rest/", timeout=30)
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    got = requests.post(f"{live.url}/webhooks/rest/webhook", timeout=120,
                        **post_arguments("live-channel-format", "hello", None, live.secret))
    assert got.status_code == 200
    replies = got.json()
    assert isinstance(replies, list) and replies
    assert all(r["recipient_id"] == "live-channel-format" for r in replies)
