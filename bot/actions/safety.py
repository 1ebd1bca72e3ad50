"""Danger, a request for a person, a request for an advocate: answered at once.

Safety first, in order: the help is shown before anything that can fail.
Then the flag and its duty alert are saved in one transaction. If that
fails, the flag is spooled to local disk and the sender stores it later, and
the person is told only what is true: with no alert stored and sent, they
are asked to call the council themselves.
"""

from __future__ import annotations

import functools
import hashlib
import logging
from typing import Dict, List, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot import constants as c
from bot.actions.common import (
    client_intent,
    contact_values,
    council_values,
    latest_intent,
    latest_text,
    message_id,
    pressed,
    settings,
    stage_of,
)
from bot.alerts.spool import spool_flag
from bot.language import readers
from bot.language.danger import (
    CLEAR,
    DANGER_INTENT,
    MODEL_UNSURE,
    NONE,
    PATTERNS_FILE,
    POSSIBLE,
    REVIEW,
    SELF_HARM,
    DangerReading,
    assess_danger,
    decide,
)
from bot.language.danger_kinds import DANGER_KINDS, SUICIDE, VIOLENCE
from bot.store import records

logger = logging.getLogger(__name__)

DANGER_HELP = "utter_danger_help"  # + "_<kind>" for a kind of danger with help of its own
DETOUR_DANGER = "danger"
DETOUR_HUMAN = "human"
DETOUR_CHECK = "check"


@functools.lru_cache(maxsize=1)
def rules_version() -> str:
    """The danger rules' version: their file's hash, so a mark can be traced to the rules that made it."""
    return "rules-" + hashlib.sha256(PATTERNS_FILE.read_bytes()).hexdigest()[:12]


def reader_version() -> str:
    """Which reader marked a message: the rules, and the learned readers when this process has them."""
    learned = readers.current()
    return rules_version() + (f"+{learned.version}" if learned is not None else "")


@functools.lru_cache(maxsize=256)
def _reading(text: str) -> DangerReading:
    """One reading per message text: the form, the detours and the marks all ask about the same message."""
    return assess_danger(text)


@functools.lru_cache(maxsize=256)
def _learned(text: str) -> Optional[readers.DangerScore]:
    """The learned readers' reading of the text, once per text (None where this process has none)."""
    learned = readers.current()
    return learned.danger_score(text) if learned is not None and text else None


def danger_level(tracker: Tracker) -> str:
    """`clear`, `possible`, `review` or `none`: the rules and the learned readers, decided in one place.

    The "I am not safe right now" button (a trusted `/danger`) is clear danger.
    An answer button's title is not read for danger: what it means is its answer.
    """
    command = client_intent(tracker)
    if command == c.INTENT_DANGER:
        return CLEAR
    if command is not None or pressed(tracker) is not None:
        return NONE
    name, confidence = latest_intent(tracker)
    text = latest_text(tracker)
    return decide(_reading(text), name, confidence, _learned(text))


def read_by_the_learned_reader_alone(tracker: Tracker) -> bool:
    """The rules found nothing in the message, nor did the Rasa model: only the learned reader spoke."""
    name, confidence = latest_intent(tracker)
    text = latest_text(tracker)
    return (client_intent(tracker) is None and _reading(text).level == NONE
            and not (name == DANGER_INTENT and confidence >= MODEL_UNSURE))


def danger_kind(tracker: Tracker) -> Optional[str]:
    """What kind of danger the message shows (so the help fits), or None when not known."""
    if client_intent(tracker) == c.INTENT_DANGER:
        return None
    text = latest_text(tracker)
    learned = _learned(text)
    if learned is not None and learned.kind:
        return learned.kind
    signal = _reading(text).first
    return SUICIDE if signal is not None and signal.kind == SELF_HARM else None


def _mark(tracker: Tracker, tier: str) -> records.MarkSpec:
    """Why this message was marked (never its words): the button, the rule, or the readers' score."""
    if client_intent(tracker) == c.INTENT_DANGER:
        return records.MarkSpec(tier, "button", reader_version(), "I am not safe right now")
    text = latest_text(tracker)
    signal = _reading(text).first
    learned = _learned(text)
    scored = f"reader p {learned.p:.2f}, {learned.kind or 'kind unknown'}" if learned is not None else ""
    if signal is not None:
        why = f"rule {signal.rule}" + (f" ({signal.why})" if signal.why else "")
        kind = learned.kind if learned is not None and learned.kind else signal.kind
        return records.MarkSpec(tier, kind, reader_version(), why + (f"; {scored}" if scored else ""))
    if learned is not None:
        return records.MarkSpec(tier, learned.kind or "danger", reader_version(), scored)
    if text:
        name, confidence = latest_intent(tracker)
        return records.MarkSpec(tier, "model", reader_version(), f"intent {name} {confidence:.2f}")
    return records.MarkSpec(tier, "answer", reader_version(), "not safe, said in answer to a question")


def mark_message(tracker: Tracker, tier: str) -> None:
    """Mark this message for the workspace. Never raises: it comes after the help."""
    try:
        mark = _mark(tracker, tier)
        records.add_mark(tracker.sender_id, stage_of(tracker), mark.tier, mark.kind, mark.reader_version,
                         mark.reason, message_id(tracker))
    except Exception:  # noqa: BLE001 (a mark must never take the help away)
        logger.exception("could not mark a message of %s", tracker.sender_id)


def raise_flag(tracker: Tracker, flag: str, mark: Optional[records.MarkSpec] = None,
               answers: Optional[Dict[str, str]] = None) -> bool:
    """Save the flag (and its alert, in the same transaction). True when an alert is on its way.

    Each message that raises it stores an alert of its own (a follow-up while
    the first is open), so "I am sending an urgent message" is true every time.
    Never raises: a failed write is spooled and retried by the sender.
    """
    channels = settings().alert_channels
    cid, stage = tracker.sender_id, stage_of(tracker)
    try:
        alert_id: Optional[int] = records.set_flag(cid, stage, flag, channels, message_id=message_id(tracker),
                                                   mark=mark, answers=answers)
    except Exception:  # noqa: BLE001 (the help has been shown; the write must not take it away)
        logger.exception("could not save the %s flag for %s; spooling it", flag, cid)
        try:
            spool_flag(settings().spool_dir, cid, stage, flag, message_id(tracker), answers)
        except OSError:
            logger.exception("could not spool the %s flag for %s either", flag, cid)
        return False
    return bool(channels) and alert_id is not None


def _said(dispatcher: CollectingDispatcher, *responses: str) -> bool:
    return any(m.get("response") in responses for m in dispatcher.messages)


def gave_danger_help(dispatcher: CollectingDispatcher) -> bool:
    """The help for danger (of any kind) is already in this reply."""
    return any(str(m.get("response") or "").startswith(DANGER_HELP) for m in dispatcher.messages)


def help_for(kind: Optional[str]) -> str:
    """The help response for a kind of danger; violence, abuse or a kind not known gets the general help."""
    return f"{DANGER_HELP}_{kind}" if kind in DANGER_KINDS and kind != VIOLENCE else DANGER_HELP


def show_danger_help(dispatcher: CollectingDispatcher, tracker: Optional[Tracker] = None) -> None:
    """999 and the helplines that fit the danger, before anything that can fail. Once per message."""
    if not gave_danger_help(dispatcher):
        kind = danger_kind(tracker) if tracker is not None else None
        dispatcher.utter_message(response=help_for(kind), **council_values())


def respond_to_danger(
    dispatcher: CollectingDispatcher, tracker: Tracker, answers: Optional[Dict[str, str]] = None
) -> bool:
    """The help first, then the flag and its alert, then only what is true about the alert.

    Once per message, however many signs it shows. True when the team is being told.
    `answers`: what the message answered ("are you safe?": no), stored with the flag.
    """
    if _said(dispatcher, "utter_danger_alert_sent"):
        return True
    if _said(dispatcher, "utter_danger_alert_not_sent"):
        return False
    show_danger_help(dispatcher, tracker)
    try:
        mark: Optional[records.MarkSpec] = _mark(tracker, c.MARK_CLEAR)
    except Exception:  # noqa: BLE001 (why it was marked must never stop the flag)
        logger.exception("could not read why a message of %s was marked", tracker.sender_id)
        mark = None
    told = raise_flag(tracker, c.FLAG_URGENT_SAFETY, mark, answers)  # one transaction, one wait at most
    if told:
        dispatcher.utter_message(response="utter_danger_alert_sent")
    else:
        dispatcher.utter_message(response="utter_danger_alert_not_sent", **council_values())
    return told


def respond_to_human_request(dispatcher: CollectingDispatcher, tracker: Tracker) -> bool:
    """How to reach a person, then the alert, then only what is true about it. True when the team is told."""
    dispatcher.utter_message(response="utter_human_contact", **contact_values())
    told = raise_flag(tracker, c.FLAG_WANTS_HUMAN_CONTACT)
    if told:
        dispatcher.utter_message(response="utter_human_alert_sent")
    else:
        dispatcher.utter_message(response="utter_human_alert_not_sent")
    return told


def respond_to_advocate_request(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    dispatcher.utter_message(response="utter_advocate_explained")
    try:
        records.set_flag(tracker.sender_id, stage_of(tracker), c.FLAG_ADVOCACY_REQUESTED)
    except Exception:  # noqa: BLE001 (not urgent: spooled like any flag)
        logger.exception("could not save the advocacy flag; spooling it")
        spool_flag(settings().spool_dir, tracker.sender_id, stage_of(tracker), c.FLAG_ADVOCACY_REQUESTED)


def detour_for(level: str) -> Optional[str]:
    """What a message's danger level adds before the next question."""
    return {CLEAR: DETOUR_DANGER, POSSIBLE: DETOUR_CHECK}.get(level)


def respond_to_level(level: str, dispatcher: CollectingDispatcher, tracker: Tracker) -> List[EventType]:
    """Outside a question: clear danger gets the help; possible danger gets the gentle check next;
    a message for review is marked, and the conversation carries on undisturbed."""
    if level == REVIEW:
        mark_message(tracker, c.MARK_REVIEW)
        return []
    if level == NONE:
        return []
    if level == CLEAR:
        told = respond_to_danger(dispatcher, tracker)
        return [SlotSet("detour", DETOUR_DANGER), SlotSet("team_told", told)]
    mark_message(tracker, c.MARK_POSSIBLE)
    return [SlotSet("detour", detour_for(level))]
