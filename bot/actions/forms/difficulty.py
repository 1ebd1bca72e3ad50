"""Noticing when taking part is hard, whichever stage asks: each message's signs, an advocate offered once.

Every message at a question adds its signs (codes from bot/language/difficulty.py,
never words) to the `difficulty` slot. When the whole conversation meets the
rule (patterns/difficulty.yml), once per conversation: the record gets
`advocacy_needed` with the reason codes and the duty team an ordinary alert
(bot/store/advocacy.py), and the assistant offers, kindly, to pause and have
someone help: "An advocate is a person who can help you say what you want.
Would you like one?" (`advocacy_offer`, asked as a detour like the gentle check).
It is not offered to someone who already asked for an advocate or has one, nor
to an advocate speaking for the person; the signs are still recorded.
Whether the person lacks capacity is never decided here: a practitioner does.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot import constants as c
from bot.actions.common import client_intent, latest_text, message_id, pressed, settings, stage_of
from bot.actions.forms.contact import Updates
from bot.actions.safety import respond_to_advocate_request
from bot.alerts.spool import spool_flag
from bot.language.difficulty import reasons, signs_of
from bot.store import advocacy, records

logger = logging.getLogger(__name__)

DETOUR_ADVOCACY = "advocacy"
SLOT = "difficulty"  # {"signs": [[codes of one message], ...], "noticed": [reason codes], "asked": bool}
SIGNS_KEPT = 60  # the newest messages' signs kept in the slot (every threshold is far smaller)
# The form could not take the message as an answer: it rephrased, explained, or offered a person.
_ASKED_AGAIN = frozenset({"utter_unclear", "utter_offer_human"})
_ASKED_FOR_ONE = frozenset({"utter_advocate_explained"})  # they asked for an advocate themselves
_HAS_ONE = frozenset({c.YES, c.ALREADY_HAVE})  # wants_advocate answers after which none is offered


def _said(dispatcher: CollectingDispatcher, responses: frozenset) -> bool:  # type: ignore[type-arg]
    return any(m.get("response") in responses for m in dispatcher.messages)


class DifficultyMixin:
    """Counts the signs of each message, and offers an advocate once when taking part looks hard."""

    closed_answer: Any  # provided by StageFormValidation or another of its mixins
    stage_questions: Any  # provided by StageFormValidation or another of its mixins

    def notice_difficulty(
        self, slot: Text, updates: Updates, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> Updates:
        """This message's signs added to the conversation's; the flag, the alert and the offer once met."""
        if slot == c.ADVOCACY_OFFER or client_intent(tracker) is not None:
            return updates  # the offer's own answer, or a trusted client's command: no sign either way
        kept: Dict[str, Any] = dict(tracker.get_slot(SLOT) or {})
        role = updates.get(c.SPEAKER_ROLE) or tracker.get_slot(c.SPEAKER_ROLE)
        unclear = _said(dispatcher, _ASKED_AGAIN) or (
            slot != c.SAFETY_CHECK and int(updates.get("unclear_count") or 0) > 0)
        text = "" if pressed(tracker) is not None else latest_text(tracker)
        shown = signs_of(text, role, unclear)
        history: List[List[str]] = [*(kept.get("signs") or []), shown][-SIGNS_KEPT:]
        state = {"signs": history, "noticed": list(kept.get("noticed") or []),
                 "asked": bool(kept.get("asked")) or _said(dispatcher, _ASKED_FOR_ONE)}
        result: Updates = {**updates, SLOT: state}
        found = reasons(history)
        if state["noticed"] or not found or not self._free_to_offer(updates, tracker):
            return result
        state["noticed"] = found
        offer = self._offer_fits(role, updates, tracker, state)
        self._note(tracker, found, offer)
        if offer:
            result["detour"] = DETOUR_ADVOCACY
        return result

    @staticmethod
    def _free_to_offer(updates: Updates, tracker: Tracker) -> bool:
        """Not on top of another detour (danger, the gentle check, a person) nor as the conversation stops."""
        if updates.get("stage_status") or tracker.get_slot("stage_status") in (
                c.STATUS_PAUSED, c.STATUS_DECLINED, c.STATUS_COMPLETED):
            return False
        detour = updates["detour"] if "detour" in updates else tracker.get_slot("detour")
        return detour is None

    def _offer_fits(self, role: Optional[str], updates: Updates, tracker: Tracker,
                    state: Dict[str, Any]) -> bool:
        """Say only what is true: no offer to someone who asked for one, has one, or is the advocate."""
        wants = updates.get(c.WANTS_ADVOCATE) or tracker.get_slot(c.WANTS_ADVOCATE)
        return role != c.ROLE_ADVOCATE and wants not in _HAS_ONE and not state["asked"]

    @staticmethod
    def _note(tracker: Tracker, found: List[str], offered: bool) -> None:
        """The flag with its reasons and the ordinary alert; spooled (the flag alone) if the write fails."""
        cid, stage = tracker.sender_id, stage_of(tracker)
        try:
            advocacy.note_difficulty(cid, stage, found, settings().alert_channels, offered=offered,
                                     message_id=message_id(tracker))
        except Exception:  # noqa: BLE001 (not urgent: spooled like any flag, the conversation goes on)
            logger.exception("could not save the advocacy_needed flag for %s; spooling it", cid)
            try:
                spool_flag(settings().spool_dir, cid, stage, c.FLAG_ADVOCACY_NEEDED, message_id(tracker))
            except OSError:
                logger.exception("could not spool the advocacy_needed flag for %s either", cid)

    def answer_advocacy_offer(
        self, text: Text, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> Optional[Updates]:
        """Yes: written down (a request for an advocate), then "carry on, or stop for now?". No: carry on."""
        value = self.closed_answer(c.ADVOCACY_OFFER, text, tracker)
        if value not in (c.YES, c.NO):
            return None
        cid, stage = tracker.sender_id, stage_of(tracker)
        advocacy.answer_offer(cid, stage, value)
        if value == c.NO:
            dispatcher.utter_message(response="utter_advocacy_offer_no")
            return {c.ADVOCACY_OFFER: c.NO, "detour": None}
        respond_to_advocate_request(dispatcher, tracker)  # "I have written down that you would like one"
        updates: Updates = {c.ADVOCACY_OFFER: c.YES}  # the detour goes on: carry on, or stop for now?
        if c.WANTS_ADVOCATE in self.stage_questions(tracker) and not tracker.get_slot(c.WANTS_ADVOCATE):
            records.save_answer(cid, stage, c.WANTS_ADVOCATE, c.YES)  # not asked again
            updates[c.WANTS_ADVOCATE] = c.YES
        return updates
