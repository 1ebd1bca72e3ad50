"""Names that cross files: stages, slots, intents, answer and outcome codes.

Kept in one module so that a typo is an import error, not a silent miss.
Plain module: no Rasa imports, so store/ and language/ may use it too.
"""

from typing import Dict, FrozenSet, Tuple

# Stages and statuses (record contract v1)
STAGE_OUTCOMES = "outcomes"
STAGE_REVIEW = "review"
# A check-in during the enquiry (issue 18, part 1): its answers are its own record; the wishes it
# changes live on the enquiry's outcomes record. Never counted as an outcomes or review record.
STAGE_CHECKIN = "checkin"
STAGES: Tuple[str, ...] = (STAGE_OUTCOMES, STAGE_REVIEW, STAGE_CHECKIN)

STATUS_IN_PROGRESS = "in_progress"
STATUS_COMPLETED = "completed"
STATUS_PAUSED = "paused"
STATUS_DECLINED = "declined"

ROLE_PERSON = "person"
ROLE_ADVOCATE = "advocate"
ROLE_FAMILY_FRIEND = "family_friend"
ROLES: Tuple[str, ...] = (ROLE_PERSON, ROLE_ADVOCATE, ROLE_FAMILY_FRIEND)

ASKED_EXPRESSED = "asked_expressed"
ASKED_NONE_EXPRESSED = "asked_none_expressed"

# Outcome codes (msp-reference.md)
FEEL_SAFER = "feel_safer"
PROTECT_MYSELF = "protect_myself"
FEEL_CONFIDENT = "feel_confident"
ABUSER_STAYS_AWAY = "abuser_stays_away"
BE_INVOLVED = "be_involved"
PEOPLE_KEEP_PROMISES = "people_keep_promises"
POLICE_PROSECUTE = "police_prosecute"
ACCESS_SUPPORT = "access_support"
MAKE_FRIENDS = "make_friends"
NO_FURTHER_ACTION = "no_further_action"
SOMETHING_ELSE = "something_else"
OUTCOME_CODES: Tuple[str, ...] = (
    FEEL_SAFER,
    PROTECT_MYSELF,
    FEEL_CONFIDENT,
    ABUSER_STAYS_AWAY,
    BE_INVOLVED,
    PEOPLE_KEEP_PROMISES,
    POLICE_PROSECUTE,
    ACCESS_SUPPORT,
    MAKE_FRIENDS,
    NO_FURTHER_ACTION,
    SOMETHING_ELSE,
)
# Wishes that are always recorded but may not come true (msp-reference.md).
MAY_NOT_BE_ACHIEVABLE: FrozenSet[str] = frozenset({POLICE_PROSECUTE, NO_FURTHER_ACTION})

# Answer values
YES = "yes"
NO = "no"
LATER = "later"
NOT_SURE = "not_sure"
ALREADY_HAVE = "already_have"
PARTLY = "partly"
DONT_KNOW = "dont_know"
DECLINED = "declined"
FULLY = "fully"
NOT = "not"
CHANGE = "change"  # a check-in: "Is that still what you would like?" No, I want to change it

# Answer kinds: the set of values a question accepts.
ANSWER_KINDS: Dict[str, Tuple[str, ...]] = {
    "consent": (YES, NO, LATER),
    "role": ROLES,
    "safe": (YES, NO, NOT_SURE),
    "advocate": (YES, NO, ALREADY_HAVE),
    "confirm": (YES, NO),
    "carry_on": (YES, NO),
    "achieved": (FULLY, PARTLY, NOT, DONT_KNOW),
    "feedback": (YES, PARTLY, NO, DONT_KNOW, DECLINED),
}

# Slots that name questions (requested_slot values, record contract v1)
CONSENT_TO_TALK = "consent_to_talk"
SPEAKER_ROLE = "speaker_role"
FEELS_SAFE_NOW = "feels_safe_now"
WANTS_ADVOCATE = "wants_advocate"
DESIRED_OUTCOMES = "desired_outcomes"
OUTCOMES_CONFIRMED = "outcomes_confirmed"
OUTCOME_ACHIEVED = "outcome_achieved"
GOALS_MET = "goals_met"
CHANCE_TO_SAY = "chance_to_say"
LISTENED_TO = "listened_to"
ACTED_ON_WISHES = "acted_on_wishes"
FEEL_SAFE = "feel_safe"
HAPPIER = "happier"
FEEDBACK_COMMENTS = "feedback_comments"
CARRY_ON = "carry_on"
SAFETY_CHECK = "safety_check"
# Safe contact: asked once, after the help for danger or a request for a person.
CONTACT_SAFE_TO_CALL = "contact_safe_to_call"
CONTACT_WHEN = "contact_when"
CONTACT_NUMBER = "contact_number"
CONTACT_OTHERS_ANSWER = "contact_others_answer"
CONTACT_IF_MISSED = "contact_if_missed"
CONTACT_QUESTIONS: Tuple[str, ...] = (
    CONTACT_SAFE_TO_CALL,
    CONTACT_WHEN,
    CONTACT_NUMBER,
    CONTACT_OTHERS_ANSWER,
    CONTACT_IF_MISSED,
)
# The closed ones, and the free-text ones (the person's words, encrypted at rest).
CONTACT_CLOSED: FrozenSet[str] = frozenset({CONTACT_SAFE_TO_CALL, CONTACT_OTHERS_ANSWER})
CONTACT_WORDS: FrozenSet[str] = frozenset({CONTACT_WHEN, CONTACT_NUMBER, CONTACT_IF_MISSED})
FEEDBACK_QUESTIONS: Tuple[str, ...] = (
    GOALS_MET,
    CHANCE_TO_SAY,
    LISTENED_TO,
    ACTED_ON_WISHES,
    FEEL_SAFE,
    HAPPIER,
)

# A check-in (stage checkin, record contract v4): is the list of wishes still right, then anything to add.
CHECKIN_STILL_WANTED = "checkin_still_wanted"  # yes, change, dont_know; a change asks desired_outcomes
CHECKIN_STILL_WANTED_ANSWERS: Tuple[str, ...] = (YES, CHANGE, DONT_KNOW)
CHECKIN_COMMENT = "checkin_comment"  # free text, or none (the person's words, encrypted at rest)

# The offer of an advocate when taking part looks hard (issue 18, part 2): asked once, as a detour.
ADVOCACY_OFFER = "advocacy_offer"

# Which answer kind each closed question takes.
QUESTION_KIND: Dict[str, str] = {
    CONSENT_TO_TALK: "consent",
    SPEAKER_ROLE: "role",
    FEELS_SAFE_NOW: "safe",
    WANTS_ADVOCATE: "advocate",
    OUTCOMES_CONFIRMED: "confirm",
    CARRY_ON: "carry_on",
    SAFETY_CHECK: "safe",
    CONTACT_SAFE_TO_CALL: "safe",
    CONTACT_OTHERS_ANSWER: "safe",
    OUTCOME_ACHIEVED: "achieved",
    ADVOCACY_OFFER: "confirm",
    CHECKIN_STILL_WANTED: "confirm",  # yes keeps the wishes; no (a change) asks what to change
    **{q: "feedback" for q in FEEDBACK_QUESTIONS},
}

# Why the assistant thinks taking part is hard (patterns/difficulty.yml): codes, never the person's words.
# The assistant records signs; whether the person lacks capacity is a practitioner's decision.
DIFFICULTY_NOT_UNDERSTOOD = "not_understood_again"  # "I don't understand", "what?", again and again
DIFFICULTY_REPAIRS_IN_A_ROW = "repairs_in_a_row"  # several repairs one after another
DIFFICULTY_ANSWERS_DO_NOT_FIT = "answers_do_not_fit"  # answers that do not fit the question, again and again
DIFFICULTY_READING = "reading_is_hard"  # the person says reading is hard
DIFFICULTY_REMEMBERING = "remembering_is_hard"  # the person says remembering is hard
# A family member or advocate says the person cannot answer for themselves.
DIFFICULTY_ANSWERED_FOR_THEM = "answered_for_them"
DIFFICULTY_REASONS: Tuple[str, ...] = (
    DIFFICULTY_NOT_UNDERSTOOD,
    DIFFICULTY_REPAIRS_IN_A_ROW,
    DIFFICULTY_ANSWERS_DO_NOT_FIT,
    DIFFICULTY_READING,
    DIFFICULTY_REMEMBERING,
    DIFFICULTY_ANSWERED_FOR_THEM,
)
# A practitioner's decision about advocacy (the workspace's Advocacy list): a referral, or why none is needed.
ADVOCACY_REFERRED = "referred"
ADVOCACY_NOT_NEEDED = "not_needed"
ADVOCACY_DECISIONS: Tuple[str, ...] = (ADVOCACY_REFERRED, ADVOCACY_NOT_NEEDED)
NO_REFERRAL_REASONS: Tuple[str, ...] = (
    "appropriate_person",  # an appropriate person (not the one the concern is about) supports them
    "no_substantial_difficulty",  # the practitioner found no substantial difficulty
    "has_advocate",  # they already have an independent advocate
    "person_declined",  # the person, able to decide, said no
)

# Flags
FLAG_URGENT_SAFETY = "urgent_safety"
FLAG_ADVOCACY_REQUESTED = "advocacy_requested"
FLAG_WANTS_HUMAN_CONTACT = "wants_human_contact"
# Signs that taking part is hard were noticed (issue 18, part 2): an ordinary alert, never an urgent one.
FLAG_ADVOCACY_NEEDED = "advocacy_needed"
FLAGS: Tuple[str, ...] = (FLAG_URGENT_SAFETY, FLAG_ADVOCACY_REQUESTED, FLAG_WANTS_HUMAN_CONTACT,
                          FLAG_ADVOCACY_NEEDED)

# Duty alerts (record contract v2): what is sent to the team, and how far it got.
# Only urgent_safety is urgent (escalated out of hours); the others are ordinary.
ALERT_KINDS: Tuple[str, ...] = (FLAG_URGENT_SAFETY, FLAG_WANTS_HUMAN_CONTACT, FLAG_ADVOCACY_NEEDED)
DELIVERY_RETRYING = "retrying"
DELIVERY_SENT = "sent"
DELIVERY_FAILED = "failed"
DELIVERY_NO_CHANNEL = "no_channel"
DELIVERIES: Tuple[str, ...] = (DELIVERY_RETRYING, DELIVERY_SENT, DELIVERY_FAILED, DELIVERY_NO_CHANNEL)
# Why an alert was raised: the first of its kind while none is open, or a follow-up linked to it.
ALERT_REASON_FIRST = "first"
ALERT_REASON_AGAIN = "again"  # another danger message (or request) while the first is open
ALERT_REASON_QUICK_EXIT = "quick_exit"  # the person left with "Exit this page" soon after danger
ALERT_REASON_ESCALATION = "escalation"  # nobody acknowledged it in ALERT_ESCALATE_MINUTES
ALERT_REASONS: Tuple[str, ...] = (
    ALERT_REASON_FIRST,
    ALERT_REASON_AGAIN,
    ALERT_REASON_QUICK_EXIT,
    ALERT_REASON_ESCALATION,
)
# Where an alert goes: the duty team's channels, or the out-of-hours team's (an escalation).
ROUTE_DUTY = "duty"
ROUTE_OUT_OF_HOURS = "out_of_hours"

# Record pushes to the council's case system (record contract v4): an outbox of their own kind.
PUSH_QUEUED = "queued"  # waiting to be sent, or sent and not yet accepted (tried again, never given up)
PUSH_SENT = "sent"  # the receiver accepted it (2xx)
PUSH_SUPERSEDED = "superseded"  # a newer version of the record was queued before this one went
PUSH_STOPPED = "stopped"  # a practitioner stopped it (audited)
PUSH_STATES: Tuple[str, ...] = (PUSH_QUEUED, PUSH_SENT, PUSH_SUPERSEDED, PUSH_STOPPED)
# Why a version was queued: the stage finished, a practitioner corrected it, a check-in changed it.
PUSH_REASON_COMPLETED = "completed"
PUSH_REASON_CORRECTED = "corrected"
PUSH_REASON_CHECKIN = "checkin"
PUSH_REASONS: Tuple[str, ...] = (PUSH_REASON_COMPLETED, PUSH_REASON_CORRECTED, PUSH_REASON_CHECKIN)

# A wish taken away: by the person (it stays in the record, marked), or set aside by a practitioner.
WITHDRAWN_BY_PERSON = "person"
WITHDRAWN_NOT_A_WISH = "not_a_wish"

# Danger marks (the workspace shows why a message was marked). Tiers:
MARK_CLEAR = "clear"  # help at once and a duty alert
MARK_POSSIBLE = "possible"  # the gentle check
MARK_REVIEW = "review"  # the conversation carries on; a person reads it the same day
MARK_TIERS: Tuple[str, ...] = (MARK_CLEAR, MARK_POSSIBLE, MARK_REVIEW)

# Button presses. The web app sends a press in a field of its own (message metadata
# "press"), checked against the buttons it offered; the text is the button's title.
PRESS_KEY = "press"
VISIT_KEY = "visit"  # message metadata: the browser visit (its words are read back only there)
# The two buttons on every chat screen, sent as trusted commands with their own intents.
COMMAND_NOT_SAFE = "/danger"
COMMAND_TALK_TO_PERSON = "/ask_human"
ALWAYS_BUTTONS: Dict[str, str] = {
    COMMAND_NOT_SAFE: "I am not safe right now",
    COMMAND_TALK_TO_PERSON: "I want to talk to a person",
}

# Detours: things a person may do at any question instead of answering it.
REPAIR_STOP = "stop"
REPAIR_EXPLAIN = "explain"
REPAIR_WHY = "ask_why"
REPAIR_HUMAN = "ask_human"
REPAIR_DECLINE = "decline_answer"
REPAIR_ADVOCATE = "ask_advocate_help"
REPAIRS: Tuple[str, ...] = (
    REPAIR_STOP,
    REPAIR_EXPLAIN,
    REPAIR_WHY,
    REPAIR_HUMAN,
    REPAIR_DECLINE,
    REPAIR_ADVOCATE,
)

# Intents (data/nlu). Answer intents share names with the answer kinds they carry.
INTENT_START = "start"
INTENT_GREET = "greet"
INTENT_AFFIRM = "affirm"
INTENT_DENY = "deny"
INTENT_PARTLY = "partly"
INTENT_DONT_KNOW = "dont_know"
INTENT_LATER = "later"
INTENT_NOTHING_MORE = "nothing_more"
INTENT_DANGER = "danger"
INTENT_OUT_OF_SCOPE = "out_of_scope"
INTENT_NLU_FALLBACK = "nlu_fallback"
WISH_INTENT_PREFIX = "wish_"
WISH_INTENTS: Tuple[str, ...] = tuple(WISH_INTENT_PREFIX + code for code in OUTCOME_CODES)
