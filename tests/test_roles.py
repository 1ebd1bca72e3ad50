"""Advocates and family hear about the person, everywhere.

For every response and every role (the person, an advocate, a family member or
friend) this picks the variants Rasa would use, the way Rasa 3.6 picks them
(`rasa.core.nlg.generator.ResponseVariationFilter`): the conditional variants
whose conditions all match the slots, or else the unconditional ones. Then:

(a) at least one variant applies;
(b) the variants that apply are all for the same audience (Rasa picks at
    random among them, so a helper variant beside a person variant would
    sometimes speak to the wrong reader);
(c) a helper never reads words that speak to the person ("your safety",
    "Do you feel..."); a helper who would get the person's wording, and that
    wording says "you", is only allowed for the short list below;
(d) the person never reads words meant for a helper ("the person you are
    helping", "Do they...").

Other slots named in a response's conditions (`correcting`, `has_wishes`) are
tried with every value the conditions name, and with their initial value.
"""

from __future__ import annotations

import itertools
import re
from typing import Any, Dict, Iterator, List, Tuple

import pytest

from tests.actions.conftest import load_domain

DOMAIN = load_domain()
RESPONSES: Dict[str, List[Dict[str, Any]]] = DOMAIN["responses"]

ROLES = ("person", "advocate", "family_friend")
ROLE_SLOT = "for_someone"

HELPER, PERSON, SHARED = "helper", "person", "shared"

# Words that speak to the person at the centre. A helper must never read them.
PERSON_ADDRESSING = [
    r"\byour safety\b",
    r"\byou (are|feel) in danger\b",
    r"\bare you safe\b",
    r"\byou (are|feel) safe\b",
    r"\byou do not feel\b",
    r"\b(do|did) you feel\b",
    r"\byou feel\b",
    r"\bfor you\b",
    r"(?<!not )\babout you\b",  # utter_why_speaker_role: "I will ask about them, not about you"
    r"\byour social worker\b",
    r"\byou would like (to happen|one)\b",
    r"\belse you would like\b",
    r"\bwould you like (someone|one)\b",
    r"\bwhat you want\b",
    r"\byou wanted\b",
    r"\bif you want us to\b",
    r"\byour side\b",
    r"\bhelp you\b",
    r"\bhurt you\b",
    r"\byour own words\b",
    r"\byour words\b",
    r"\byou are not sure\b",
    r"\byou do not have to know\b",
    r"\byou told (us|me) you\b",
    r"\btalk to you about\b",
    r"\btell you why\b",
    r"\byourself\b",
    r"\bhave your say\b",
    r"\bdid we (ask|tell|let) you\b",
    r"\b(listened to|heard) you\b",
    r"\bwhen you talked to us\b",
    r"\bI (already )?have one\b",  # a button in the person's voice
]

# Words meant for a helper. The person must never read them.
HELPER_ADDRESSING = [
    r"\bthe person you (are helping|help)\b",
    r"\b(are|do|did|would|will) they\b",
    r"\byou think they\b",
    r"\bthey (would like|want|wanted|feel|felt|are safe|are in danger|are not sure|may need)\b",
    r"\btheir (social worker|own words|safety|side|wishes)\b",
    r"\b(for|hurt|help) them\b",
    r"(?<!ask )\babout them\b",  # utter_why_speaker_role: "I will ask about them, not about you"
    r"\byou both\b",
    r"\bthey (already )?have one\b",
]

# Responses a helper reads in the person's wording although it says "you":
# the "you" is whoever is typing, so the one wording is right for both.
AUDIENCE_NEUTRAL = {
    "utter_unclear": "talks about the message, not the person",
    "utter_offer_human": "offers whoever is typing a person to talk to",
    "utter_human_contact": "whoever asked for a person gets the number",
    "utter_human_alert_sent": "says the reader asked to talk to someone",
    "utter_ask_carry_on": "whether to go on with the chat is the reader's choice",
    "utter_explain_carry_on": "whether to go on with the chat is the reader's choice",
    "utter_why_carry_on": "whether to go on with the chat is the reader's choice",
    "utter_why_consent_to_talk": "whether to talk now is the reader's choice",
    "utter_why_speaker_role": "asked before we know who is typing; says we ask about the person",
    "utter_ask_contact_when": "'you can type' is whoever is typing",
    "utter_contact_expect_out_of_hours": "'your message' is the reader's own",
    "utter_why_contact_if_missed": "'what you tell us' is whoever is typing",
    "utter_wish_something_else": "'you told us' is whoever typed it",
    "utter_readback_people_keep_promises": "the wish is in neutral words; 'You said' quotes whoever typed it",
    "utter_readback_police_prosecute": "the wish is in neutral words; 'You said' quotes whoever typed it",
    "utter_readback_no_further_action": "the wish is in neutral words; 'You said' quotes whoever typed it",
    "utter_readback_something_else": "the wish is in neutral words; 'You said' quotes whoever typed it",
}

# Questions whose buttons may differ between roles, because a button speaks
# in the person's voice. Their payloads must still mean the same answer.
BUTTONS_IN_THE_PERSONS_VOICE = {
    "utter_ask_wants_advocate": "'I have one' is said by the person; a helper says 'They have one'",
    "utter_ask_safety_check": "'Yes, I am safe' is said by the person; a helper says 'Yes, they are safe'",
}

# "you" that speaks to the reader ("Thank you" does not).
ADDRESSES_READER = re.compile(r"(?<!thank )\b(you|your|yours|yourself)\b", re.IGNORECASE)


def _conditions(variant: Dict[str, Any]) -> List[Dict[str, Any]]:
    return variant.get("condition") or []


def audience(variant: Dict[str, Any]) -> str:
    for condition in _conditions(variant):
        if condition["name"] == ROLE_SLOT:
            return HELPER if condition["value"] is True else PERSON
    return SHARED


def _matches(variant: Dict[str, Any], slots: Dict[str, Any]) -> bool:
    """Rasa's ResponseVariationFilter._matches_filled_slots."""
    for condition in _conditions(variant):
        filled, wanted = slots.get(condition["name"]), condition["value"]
        if isinstance(filled, str) and isinstance(wanted, str):
            if filled.casefold() != wanted.casefold():
                return False
        elif filled != wanted:
            return False
    return True


def chosen(name: str, slots: Dict[str, Any]) -> List[Dict[str, Any]]:
    """The variants Rasa chooses among (no channel-specific variants here)."""
    variants = RESPONSES[name]
    conditional = [v for v in variants if _conditions(v) and _matches(v, slots)]
    return conditional or [v for v in variants if not _conditions(v)]


def role_slots(role: str) -> Dict[str, Any]:
    slots = {name: spec.get("initial_value") for name, spec in DOMAIN["slots"].items()}
    slots.update({ROLE_SLOT: role != "person", "speaker_role": role})
    return slots


def contexts(name: str, role: str) -> Iterator[Tuple[str, Dict[str, Any]]]:
    """The role's slots, with every value the response's other conditions name."""
    base = role_slots(role)
    values: Dict[str, set] = {}
    for variant in RESPONSES[name]:
        for condition in _conditions(variant):
            if condition["name"] != ROLE_SLOT:
                values.setdefault(condition["name"], {base.get(condition["name"])})
                values[condition["name"]].add(condition["value"])
    names = sorted(values)
    for combo in itertools.product(*(sorted(values[n], key=repr) for n in names)):
        others = dict(zip(names, combo, strict=True))
        where = ", ".join(f"{n}={v}" for n, v in others.items()) or "no other slots"
        yield where, {**base, **others}


def reader_words(variant: Dict[str, Any]) -> str:
    """The text and the buttons (their titles and the words a tap sends)."""
    parts = [variant.get("text") or ""]
    for button in variant.get("buttons") or []:
        parts += [str(button.get("title", "")), str(button.get("payload", ""))]
    return " | ".join(parts)


def _found(patterns: List[str], words: str) -> List[str]:
    return [p for p in patterns if re.search(p, words, re.IGNORECASE)]


CASES = [pytest.param(name, role, id=f"{name}-{role}") for name in sorted(RESPONSES) for role in ROLES]


@pytest.mark.parametrize("name, role", CASES)
def test_each_reader_hears_the_right_words(name: str, role: str) -> None:
    helper = role != "person"
    for where, slots in contexts(name, role):
        variants = chosen(name, slots)
        # (a) something is said
        assert variants, f"{name} ({role}, {where}): no variant applies"
        # (b) one audience only
        audiences = {audience(v) for v in variants}
        assert len(audiences) == 1, f"{name} ({role}, {where}): Rasa would pick at random among {audiences}"
        (who,) = audiences
        assert who != (PERSON if helper else HELPER), f"{name} ({role}, {where}): chose a {who} variant"
        for variant in variants:
            words = reader_words(variant)
            if helper:
                # (c) a helper hears about the person
                wrong = _found(PERSON_ADDRESSING, words)
                assert not wrong, f"{name} ({role}, {where}) speaks to the person {wrong}: {words}"
                if who != HELPER and ADDRESSES_READER.search(words):
                    assert name in AUDIENCE_NEUTRAL, (
                        f"{name} ({role}, {where}) gives a helper the person's wording, which says "
                        f"'you': add a for_someone variant, or list it in AUDIENCE_NEUTRAL: {words}"
                    )
            else:
                # (d) the person is spoken to, not about
                wrong = _found(HELPER_ADDRESSING, words)
                assert not wrong, f"{name} ({role}, {where}) speaks as to a helper {wrong}: {words}"


@pytest.mark.parametrize("name", sorted(AUDIENCE_NEUTRAL))
def test_audience_neutral_list_is_current(name: str) -> None:
    assert name in RESPONSES, f"{name} is listed as neutral but is not in the domain"
    assert not any(audience(v) == HELPER for v in RESPONSES[name]), (
        f"{name} has a helper variant now: take it off AUDIENCE_NEUTRAL"
    )


@pytest.mark.parametrize("name", sorted(RESPONSES))
def test_role_variants_come_before_the_default(name: str) -> None:
    """Written conditional first, then the unconditional default for the person."""
    kinds = [bool(_conditions(v)) for v in RESPONSES[name]]
    assert kinds == sorted(kinds, reverse=True), (
        f"{name}: an unconditional variant comes before a conditional one"
    )


def _buttons(variant: Dict[str, Any]) -> List[Tuple[str, str]]:
    return [(str(b.get("title")), str(b.get("payload"))) for b in variant.get("buttons") or []]


@pytest.mark.parametrize("name", sorted(n for n in RESPONSES if any(v.get("buttons") for v in RESPONSES[n])))
def test_a_question_offers_the_same_answers_to_every_reader(name: str) -> None:
    """Same buttons for every reader; where a title must differ, a tap still means the same answer.

    A press sends its payload, the choice it stands for (issue 15), so the payloads must be the same.
    """
    for where, person_slots in contexts(name, "person"):
        helper_slots = {**role_slots("advocate"), **{k: v for k, v in person_slots.items() if k not in (ROLE_SLOT, "speaker_role")}}
        person = [_buttons(v) for v in chosen(name, person_slots)]
        helper = [_buttons(v) for v in chosen(name, helper_slots)]
        if name not in BUTTONS_IN_THE_PERSONS_VOICE:
            assert person == helper, f"{name} ({where}): buttons differ between roles"
            continue
        for ours, theirs in zip(person, helper, strict=True):
            assert len(ours) == len(theirs), f"{name} ({where}): a different number of buttons"
            for (_, said), (_, said_for) in zip(ours, theirs, strict=True):
                assert said == said_for, f"{name}: {said!r} and {said_for!r} are not the same answer"


def test_every_question_a_form_asks_can_be_explained() -> None:
    """'What does that mean?' and 'why?' are answered at every question, the safety check too."""
    for form in DOMAIN["forms"].values():
        for slot in form["required_slots"]:
            for kind in ("ask", "explain", "why"):
                assert f"utter_{kind}_{slot}" in RESPONSES, f"utter_{kind}_{slot} is missing"
