"""Synthetic demo enquiries (`msp seed-demo`): for trying the workspace and measuring at scale.

Every demo record is marked: enquiry references `DEMO-…`, conversation ids
`demo-…`. Seeding refuses a database that holds anything else, so it can
never mix made-up records into real ones.

Each enquiry has an outcomes conversation (what the person wants), most a
review (how it went) some months later, a few an older outcomes
conversation or an older review too, and a very few no reference at all.
Codes, answers, flags and statuses follow plausible spreads over about three
years; the own words come from a small phrase bank. Demo alerts are `sent`
or `failed`, never `retrying` or `no_channel`, so a running sender never
picks one up and sends it to a real duty team.

Rows are written with Core bulk inserts (executemany) in batches, with
their ids assigned here so that outcomes, alerts and corrections can point
at their conversation without reading anything back. On PostgreSQL the id
sequences are moved past them afterwards.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from sqlalchemy import func, insert, or_, select
from sqlalchemy.orm import Session

from bot import constants as c
from bot.store.db import session_scope
from bot.store.models import Alert, AuditEvent, Conversation, Correction, Outcome, utcnow

DEMO_REF_PREFIX = "DEMO-"
DEMO_ID_PREFIX = "demo-"
DEMO_PRACTITIONER = "demo.practitioner@example.invalid"
BATCH = 2_000  # enquiries per transaction

WORDS: Dict[str, Tuple[str, ...]] = {
    c.FEEL_SAFER: ("for the hitting to stop", "i just want to feel safe in my own home",
                   "for it all to stop", "not to be scared any more", "to sleep without worrying"),
    c.PROTECT_MYSELF: ("to know what to do if it happens again", "help to keep myself safe",
                       "learn how to say no to him"),
    c.FEEL_CONFIDENT: ("to feel more sure of myself", "to get my confidence back",
                       "to not feel so stupid all the time"),
    c.ABUSER_STAYS_AWAY: ("i want him to leave me alone", "for her to stop coming round",
                          "him to move out", "my nephew to stay away from my flat"),
    c.BE_INVOLVED: ("to be told what is going on", "to be part of the meetings",
                    "for people to ask me first"),
    c.PEOPLE_KEEP_PROMISES: ("for the carers to turn up when they say", "people to do what they promised",
                             "the home to do what they said they would"),
    c.POLICE_PROSECUTE: ("i want the police to charge him", "for him to go to court",
                         "the police to do something about it"),
    c.ACCESS_SUPPORT: ("some help with my money", "a bit more help at home", "someone to talk to",
                       "help with the shopping"),
    c.MAKE_FRIENDS: ("to meet some people", "to go to the day centre again", "to have some friends"),
    c.NO_FURTHER_ACTION: ("i dont want any fuss", "please just leave it", "i dont want my son in trouble"),
    c.SOMETHING_ELSE: ("my money back", "to move to a different home", "to see my dog again",
                       "a lock on my door"),
}
CODE_WEIGHTS: Dict[str, int] = {
    c.FEEL_SAFER: 30, c.PROTECT_MYSELF: 8, c.FEEL_CONFIDENT: 6, c.ABUSER_STAYS_AWAY: 18,
    c.BE_INVOLVED: 10, c.PEOPLE_KEEP_PROMISES: 6, c.POLICE_PROSECUTE: 7, c.ACCESS_SUPPORT: 12,
    c.MAKE_FRIENDS: 4, c.NO_FURTHER_ACTION: 5, c.SOMETHING_ELSE: 6,
}
COMMENTS: Tuple[str, ...] = (
    "thank you for listening", "it took too long", "the social worker was kind",
    "i still worry at night", "i wish you had come sooner", "much better now",
)


class RealRecordsPresent(RuntimeError):
    """The database holds records that are not demo records: seeding would mix them."""


@dataclass(frozen=True)
class SeedResult:
    enquiries: int
    conversations: int
    outcomes: int
    alerts: int
    corrections: int
    first_ref: Optional[str]
    last_ref: Optional[str]


def _pick(rng: random.Random, weights: Dict[Any, int]) -> Any:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def real_records_present(session: Session) -> bool:
    """Is there any conversation (or alert) whose id does not start with `demo-`?"""
    prefix_len = len(DEMO_ID_PREFIX)
    for table in (Conversation, Alert):
        found = session.execute(
            select(table.id).where(
                or_(table.conversation_id.is_(None),
                    func.substr(table.conversation_id, 1, prefix_len) != DEMO_ID_PREFIX)
            ).limit(1)
        ).first()
        if found is not None:
            return True
    return False


class _Ids:
    """The next free primary key of each table, handed out here."""

    def __init__(self, session: Session) -> None:
        self.next: Dict[str, int] = {}
        for model in (Conversation, Outcome, Alert, Correction):
            top = session.execute(select(func.max(model.id))).scalar()
            self.next[model.__tablename__] = int(top or 0) + 1

    def take(self, table: str) -> int:
        value = self.next[table]
        self.next[table] = value + 1
        return value


class _Batch:
    def __init__(self) -> None:
        self.conversations: List[Dict[str, Any]] = []
        self.outcomes: List[Dict[str, Any]] = []
        self.alerts: List[Dict[str, Any]] = []
        self.corrections: List[Dict[str, Any]] = []


class _Maker:
    """Builds the rows of one enquiry at a time."""

    def __init__(self, rng: random.Random, ids: _Ids, now: datetime) -> None:
        self.rng = rng
        self.ids = ids
        self.now = now

    def _conversation(
        self, batch: _Batch, cid: str, stage: str, ref: Optional[str], started: datetime, **values: Any
    ) -> Dict[str, Any]:
        row: Dict[str, Any] = {
            "id": self.ids.take("conversations"), "conversation_id": cid, "stage": stage,
            "enquiry_ref": ref, "status": c.STATUS_IN_PROGRESS, "speaker_role": None,
            "consent_to_talk": None, "feels_safe_now": None, "wants_advocate": None,
            "asked_about_outcomes": None, "confirmed": False,
            **{q: None for q in c.FEEDBACK_QUESTIONS}, "comments": None,
            **{flag: False for flag in c.FLAGS},
            "started_at": started,
            "updated_at": min(self.now, started + timedelta(minutes=self.rng.randint(3, 45))),
        }
        row.update(values)
        batch.conversations.append(row)
        return row

    def _outcome(self, batch: _Batch, conv: Dict[str, Any], position: int, code: str, words: str,
                 achieved: Optional[str] = None) -> Dict[str, Any]:
        row = {
            "id": self.ids.take("outcomes"), "conversation_pk": conv["id"], "code": code,
            "own_words": words, "may_not_be_achievable": code in c.MAY_NOT_BE_ACHIEVABLE,
            "achieved": achieved, "position": position, "created_at": conv["started_at"],
        }
        batch.outcomes.append(row)
        return row

    def _alerts(self, batch: _Batch, conv: Dict[str, Any]) -> None:
        for kind in c.ALERT_KINDS:
            if not conv[kind]:
                continue
            raised = conv["started_at"] + timedelta(minutes=self.rng.randint(1, 10))
            delivery = c.DELIVERY_FAILED if self.rng.random() < 0.03 else c.DELIVERY_SENT
            age = self.now - raised
            acknowledged = age > timedelta(days=2) or self.rng.random() < 0.3
            batch.alerts.append({
                "id": self.ids.take("alerts"), "conversation_pk": conv["id"],
                "conversation_id": conv["conversation_id"], "stage": conv["stage"],
                "enquiry_ref": conv["enquiry_ref"], "kind": kind, "raised_at": raised,
                "delivery": delivery, "attempts": 1 if delivery == c.DELIVERY_SENT else 40,
                "channels_done": "webhook" if delivery == c.DELIVERY_SENT else "",
                "next_attempt_at": raised, "last_attempt_at": raised,
                "last_error": None if delivery == c.DELIVERY_SENT else "webhook: HTTP 503",
                "sent_at": raised if delivery == c.DELIVERY_SENT else None,
                "claimed_by": None, "claimed_until": None,
                "acknowledged_by": DEMO_PRACTITIONER if acknowledged else None,
                "acknowledged_at": (raised + timedelta(minutes=self.rng.randint(2, 240)))
                if acknowledged else None,
            })

    def _wishes(self, count: int) -> List[Tuple[str, str]]:
        codes: List[str] = []
        while len(codes) < count:
            code = _pick(self.rng, CODE_WEIGHTS)
            if code not in codes:
                codes.append(code)
        return [(code, self.rng.choice(WORDS[code])) for code in codes]

    def outcomes_stage(self, batch: _Batch, cid: str, ref: Optional[str], started: datetime,
                       status: str) -> Tuple[Dict[str, Any], List[Tuple[str, str]]]:
        rng = self.rng
        role = _pick(rng, {c.ROLE_PERSON: 70, c.ROLE_ADVOCATE: 20, c.ROLE_FAMILY_FRIEND: 10})
        values: Dict[str, Any] = {"status": status, "speaker_role": role}
        wishes: List[Tuple[str, str]] = []
        if status == c.STATUS_DECLINED:
            values["consent_to_talk"] = c.NO
        else:
            values["consent_to_talk"] = c.YES
            safe = _pick(rng, {c.YES: 60, c.NO: 15, c.NOT_SURE: 25})
            values["feels_safe_now"] = safe
            values[c.FLAG_URGENT_SAFETY] = (safe == c.NO and rng.random() < 0.6) or rng.random() < 0.03
            if role == c.ROLE_PERSON:
                advocate = _pick(rng, {c.YES: 20, c.NO: 65, c.ALREADY_HAVE: 15})
                values["wants_advocate"] = advocate
                values[c.FLAG_ADVOCACY_REQUESTED] = advocate == c.YES
                # Taking part looked hard (no draw of its own, so the seeded records stay as they were).
                values[c.FLAG_ADVOCACY_NEEDED] = advocate == c.YES and safe == c.NOT_SURE
            values[c.FLAG_WANTS_HUMAN_CONTACT] = rng.random() < 0.05
            reached = status == c.STATUS_COMPLETED or rng.random() < 0.5
            if reached:
                if rng.random() < (0.9 if status == c.STATUS_COMPLETED else 0.7):
                    wishes = self._wishes(_pick(rng, {1: 45, 2: 35, 3: 15, 4: 5}))
                    values["asked_about_outcomes"] = c.ASKED_EXPRESSED
                else:
                    values["asked_about_outcomes"] = c.ASKED_NONE_EXPRESSED
                values["confirmed"] = status == c.STATUS_COMPLETED
        conv = self._conversation(batch, cid, c.STAGE_OUTCOMES, ref, started, **values)
        for position, (code, words) in enumerate(wishes):
            self._outcome(batch, conv, position, code, words)
        if wishes and rng.random() < 0.01:  # a practitioner corrected a code
            self._correct(batch, conv, wishes)
        self._alerts(batch, conv)
        return conv, wishes

    def _correct(self, batch: _Batch, conv: Dict[str, Any], wishes: List[Tuple[str, str]]) -> None:
        index = self.rng.randrange(len(wishes))
        taken = {code for code, _ in wishes}
        to_code = self.rng.choice([code for code in c.OUTCOME_CODES if code not in taken])
        outcome = batch.outcomes[len(batch.outcomes) - len(wishes) + index]
        batch.corrections.append({
            "id": self.ids.take("corrections"), "outcome_pk": outcome["id"], "conversation_pk": conv["id"],
            "outcome_index": index, "from_code": outcome["code"], "to_code": to_code,
            "by": DEMO_PRACTITIONER,
            "at": min(self.now, conv["updated_at"] + timedelta(days=self.rng.randint(1, 20))),
        })
        outcome["code"] = to_code
        outcome["may_not_be_achievable"] = to_code in c.MAY_NOT_BE_ACHIEVABLE
        wishes[index] = (to_code, wishes[index][1])

    def review_stage(self, batch: _Batch, cid: str, ref: Optional[str], started: datetime, status: str,
                     wishes: Sequence[Tuple[str, str]]) -> None:
        rng = self.rng
        role = _pick(rng, {c.ROLE_PERSON: 70, c.ROLE_ADVOCATE: 20, c.ROLE_FAMILY_FRIEND: 10})
        values: Dict[str, Any] = {"status": status, "speaker_role": role}
        answered = len(c.FEEDBACK_QUESTIONS)
        if status != c.STATUS_COMPLETED:
            answered = rng.randint(0, len(c.FEEDBACK_QUESTIONS) - 1)
        mood = rng.random()  # one person's answers lean together
        for question in c.FEEDBACK_QUESTIONS[:answered]:
            if rng.random() < 0.03:
                continue  # skipped
            weights = {c.YES: 55, c.PARTLY: 18, c.NO: 12, c.DONT_KNOW: 8, c.DECLINED: 7}
            if mood < 0.25:
                weights = {c.YES: 15, c.PARTLY: 25, c.NO: 40, c.DONT_KNOW: 12, c.DECLINED: 8}
            values[question] = _pick(rng, weights)
        if status == c.STATUS_COMPLETED and rng.random() < 0.3:
            values["comments"] = rng.choice(COMMENTS)
        values[c.FLAG_URGENT_SAFETY] = rng.random() < 0.03
        values[c.FLAG_WANTS_HUMAN_CONTACT] = rng.random() < 0.04
        conv = self._conversation(batch, cid, c.STAGE_REVIEW, ref, started, **values)
        for position, (code, words) in enumerate(wishes):
            achieved: Optional[str] = None
            if status == c.STATUS_COMPLETED or rng.random() < 0.5:
                spread: Dict[Optional[str], int] = {
                    c.FULLY: 40, c.PARTLY: 25, c.NOT: 17, c.DONT_KNOW: 13, None: 5}
                if mood < 0.25:
                    spread = {c.FULLY: 10, c.PARTLY: 25, c.NOT: 45, c.DONT_KNOW: 15, None: 5}
                achieved = _pick(rng, spread)
            self._outcome(batch, conv, position, code, words, achieved)
        self._alerts(batch, conv)

    def enquiry(self, batch: _Batch, number: int) -> None:
        rng = self.rng
        ref: Optional[str] = f"{DEMO_REF_PREFIX}{number:08d}"
        key = f"{number:08d}"
        if rng.random() < 0.01:
            ref = None  # no reference: the record stands on its own conversation
        started = self.now - timedelta(seconds=rng.uniform(0, 3 * 365 * 86400))
        if rng.random() < 0.05:  # an earlier outcomes conversation, left unfinished
            earlier = started - timedelta(days=rng.randint(1, 20), minutes=rng.randint(0, 600))
            self.outcomes_stage(batch, f"{DEMO_ID_PREFIX}{key}-o0", ref, earlier,
                                _pick(rng, {c.STATUS_PAUSED: 60, c.STATUS_IN_PROGRESS: 40}))
        status = _pick(rng, {c.STATUS_COMPLETED: 80, c.STATUS_PAUSED: 7, c.STATUS_IN_PROGRESS: 6,
                             c.STATUS_DECLINED: 7})
        _, wishes = self.outcomes_stage(batch, f"{DEMO_ID_PREFIX}{key}-o1", ref, started, status)
        if status != c.STATUS_COMPLETED or rng.random() > 0.75:
            return
        review_at = started + timedelta(days=rng.randint(30, 240), minutes=rng.randint(0, 600))
        if review_at >= self.now:
            return
        if rng.random() < 0.05:  # an older review: paused, or completed and done again
            older = review_at - timedelta(days=rng.randint(1, 25))
            if older > started:
                self.review_stage(batch, f"{DEMO_ID_PREFIX}{key}-r0", ref, older,
                                  _pick(rng, {c.STATUS_PAUSED: 60, c.STATUS_COMPLETED: 40}), wishes)
        self.review_stage(batch, f"{DEMO_ID_PREFIX}{key}-r1", ref, review_at,
                          _pick(rng, {c.STATUS_COMPLETED: 78, c.STATUS_PAUSED: 12, c.STATUS_IN_PROGRESS: 7,
                                      c.STATUS_DECLINED: 3}), wishes)


def _next_number(session: Session) -> int:
    """Demo enquiries are numbered on from the ones already there, so seeding twice adds more."""
    ids = session.execute(
        select(func.max(Conversation.conversation_id)).where(
            func.substr(Conversation.conversation_id, 1, len(DEMO_ID_PREFIX)) == DEMO_ID_PREFIX)
    ).scalar()
    if not ids:
        return 1
    return int(str(ids)[len(DEMO_ID_PREFIX):].split("-")[0]) + 1


def _write(session: Session, batch: _Batch) -> None:
    for model, rows in ((Conversation, batch.conversations), (Outcome, batch.outcomes),
                        (Alert, batch.alerts), (Correction, batch.corrections)):
        if rows:
            session.execute(insert(model.__table__), rows)


def _move_sequences(session: Session) -> None:
    """PostgreSQL: ids were given explicitly, so move each serial sequence past the highest."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for model in (Conversation, Outcome, Alert, Correction):
        highest = select(func.coalesce(func.max(model.id), 1)).scalar_subquery()
        session.execute(select(func.setval(func.pg_get_serial_sequence(model.__tablename__, "id"), highest)))


def seed_demo(
    enquiries: int,
    seed: int = 0,
    now: Optional[datetime] = None,
    batch_size: int = BATCH,
    progress: Optional[Callable[[int], None]] = None,
    actor: str = "seed-demo",
) -> SeedResult:
    """Add `enquiries` demo enquiries to the configured database. Same seed, same records.

    Raises RealRecordsPresent, before writing anything, when the database
    holds any conversation or alert that is not a demo one.
    """
    if enquiries < 0:
        raise ValueError("enquiries must be 0 or more")
    rng = random.Random(seed)
    now = now or utcnow()
    totals = {"conversations": 0, "outcomes": 0, "alerts": 0, "corrections": 0}
    with session_scope() as session:
        if real_records_present(session):
            raise RealRecordsPresent(
                "this database holds records that are not demo records (a conversation id "
                f"that does not start with {DEMO_ID_PREFIX!r})"
            )
        first = _next_number(session)
        ids = _Ids(session)
    maker = _Maker(rng, ids, now)
    done = 0
    while done < enquiries:
        size = min(batch_size, enquiries - done)
        batch = _Batch()
        for number in range(first + done, first + done + size):
            maker.enquiry(batch, number)
        with session_scope() as session:
            _write(session, batch)
            if done + size >= enquiries:
                _move_sequences(session)
                session.add(AuditEvent(actor=actor, action="seed-demo",
                                       detail=f"enquiries={enquiries} seed={seed} first={first}"))
        totals["conversations"] += len(batch.conversations)
        totals["outcomes"] += len(batch.outcomes)
        totals["alerts"] += len(batch.alerts)
        totals["corrections"] += len(batch.corrections)
        done += size
        if progress:
            progress(size)
    return SeedResult(
        enquiries=enquiries,
        first_ref=f"{DEMO_REF_PREFIX}{first:08d}" if enquiries else None,
        last_ref=f"{DEMO_REF_PREFIX}{first + enquiries - 1:08d}" if enquiries else None,
        **totals,
    )
