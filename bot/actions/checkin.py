"""The check-in stage's own actions: where its wishes live, the read-back, and the dated entry at the end.

The form's questions are in forms/checkin.py; opening and closing go through
action_start and action_close_stage like the other stages, which call these.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot import constants as c
from bot.actions.common import in_thread, kind_on_failure
from bot.actions.phrases import wish_words
from bot.store import checkins, records


def prepare_checkin(tracker: Tracker, enquiry_ref: Optional[Text]) -> List[EventType]:
    """Find the enquiry's outcomes record this check-in changes, and whether it holds wishes now."""
    home = checkins.home_of(enquiry_ref, tracker.sender_id) if enquiry_ref else tracker.sender_id
    had = bool(records.list_outcomes(home, c.STAGE_OUTCOMES))
    return [SlotSet("checkin_home", home), SlotSet("checkin_had_wishes", had), SlotSet("has_wishes", had),
            SlotSet("correcting", False)]


def home_of(tracker: Tracker) -> Text:
    return str(tracker.get_slot("checkin_home") or tracker.sender_id)


class ActionAskCheckinStillWanted(Action):
    """The wishes that stand, in their codes' plain words, then "Is that still what you would like?".

    Never the own words: they were written in another visit, and whoever holds
    the phone now may not be the person.
    """

    def name(self) -> Text:
        return "action_ask_checkin_still_wanted"

    @kind_on_failure
    @in_thread
    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        someone = bool(tracker.get_slot("for_someone"))
        wishes = records.list_outcomes(home_of(tracker), c.STAGE_OUTCOMES)
        if wishes:
            dispatcher.utter_message(response="utter_checkin_readback_intro")
            for wish in wishes:
                dispatcher.utter_message(response="utter_checkin_readback_item",
                                         wish=wish_words(wish.code, someone))
        dispatcher.utter_message(response="utter_ask_checkin_still_wanted")
        return []


def close_checkin(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    """The check-in's dated entry on the outcomes record (what it added, took away, changed), then thanks."""
    cid, home = tracker.sender_id, home_of(tracker)
    added, withdrawn = checkins.changes_by(home, cid)
    changed = sorted(set(added) & set(withdrawn))
    comment = tracker.get_slot(c.CHECKIN_COMMENT)
    checkins.add_checkin(
        home, cid,
        feels_safe_now=tracker.get_slot(c.FEELS_SAFE_NOW),
        added=[code for code in added if code not in changed],
        withdrawn=[code for code in withdrawn if code not in changed],
        changed=changed,
        comment=comment if comment and comment != "none" else None,
    )
    dispatcher.utter_message(response="utter_checkin_thanks")
