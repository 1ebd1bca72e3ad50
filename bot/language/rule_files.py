"""The rule files' schemas, and the one loader that checks them (patterns/danger.yml, outcomes.yml, answers.yml).

The files are reviewed by practitioners, so a typo must never pass silently:
every key is declared here (pydantic models, extra keys forbidden), and a
file that does not fit stops the process at start with one line naming the
file, the place and what is wrong. The engines (danger_rules.py,
outcome_rules.py) compile what these models hold.
"""

from __future__ import annotations

from pathlib import Path
from typing import Dict, List, Literal, Optional, Tuple, Type, TypeVar

from pydantic import BaseModel, ValidationError, validator

from bot.constants import ANSWER_KINDS, OUTCOME_CODES
from bot.language.matching import load_patterns

Words = List[str]


class _Strict(BaseModel):
    class Config:
        extra = "forbid"
        allow_mutation = False


# --- patterns/danger.yml ---------------------------------------------------------------------------

class DangerGroup(_Strict):
    """One group of danger patterns: its kind, its tier, and what judges a match in its clause."""

    name: str
    kind: Literal["danger", "self_harm"]
    tier: Literal["clear", "possible"]
    patterns: Words
    now_makes_clear: bool = False
    negation_inside: bool = False
    visit_cancels: bool = False
    story_cancels: bool = False
    not_before: Words = []
    big_number: bool = False
    needs: Words = []
    fear: bool = False
    firm: bool = False
    not_after: Words = []


class DangerCries(_Strict):
    words: Words
    core: Words


class DangerCues(_Strict):
    """The cue lists that judge a match in its clause (see the file's header); hope_reach is a number of words."""

    idiom: Words
    safe_now: Words
    present: Words
    thought: Words
    negation: Words
    negation_exceptions_after: Words
    opinion: Words
    past_long_ago: Words
    past_recent: Words
    short_times: Words
    now: Words
    immediacy: Words
    hope: Words
    hope_clause: Words
    stop: Words
    hypothetical: Words
    conditional: Words
    reported: Words
    justice: Words
    relative: Words
    media: Words
    first_person: Words
    story: Words
    visit: Words
    fear_words: Words
    feared_people: Words
    hope_reach: int = 4


class DangerFile(_Strict):
    words: Dict[str, Words] = {}
    groups: List[DangerGroup]
    cries: DangerCries
    cues: DangerCues


# --- patterns/outcomes.yml -------------------------------------------------------------------------

def _codes(values: List[str]) -> List[str]:
    unknown = sorted(set(values) - set(OUTCOME_CODES))
    if unknown:
        raise ValueError(f"unknown code {unknown}")
    return values


class OutcomeGroup(_Strict):
    """One group of wish patterns for one code, with its polarity and options."""

    name: str
    code: str
    polarity: Literal["normal", "absorb", "negated", "positive_only"] = "normal"
    patterns: Words
    weak: bool = False
    last_resort: bool = False
    needs_wish: bool = False
    whole_clause: bool = False
    ends_clause: bool = False
    opens_message: bool = False
    in_statements: bool = False
    not_before: Words = []
    unless: Words = []
    gives_way_to: List[str] = []

    @validator("code")
    def _known_code(cls, value: str) -> str:  # noqa: N805 (pydantic's validators take the class)
        return _codes([value])[0]

    @validator("gives_way_to")
    def _known_codes(cls, values: List[str]) -> List[str]:  # noqa: N805
        return _codes(values)


CodePair = Tuple[str, str]


class OutcomeFile(_Strict):
    words: Dict[str, Words] = {}
    groups: List[OutcomeGroup]
    suppresses: List[CodePair] = []
    still_dropped: List[CodePair] = []
    negated_means: List[CodePair] = []
    never_negated: List[str] = []
    wish_words: Words
    about_the_conversation: Words
    about_the_conversation_whole: Words
    no_wish: Words
    speaker_preamble: Words
    clauses: Dict[str, Words]

    @validator("suppresses", "still_dropped", "negated_means")
    def _known_pairs(cls, pairs: List[CodePair]) -> List[CodePair]:  # noqa: N805
        _codes([code for pair in pairs for code in pair])
        return pairs

    @validator("never_negated")
    def _known_never(cls, values: List[str]) -> List[str]:  # noqa: N805
        return _codes(values)


# --- patterns/answers.yml --------------------------------------------------------------------------

class AnswerRule(_Strict):
    value: Optional[str]  # null: unclear on purpose, ask again
    patterns: Words


class AnswerPhrases(_Strict):
    nothing_more: Words
    not_sure: Words
    fillers: Words
    not_sure_fillers: Words  # beside `fillers`


class AnswerFile(_Strict):
    blocks: Dict[str, Words]
    kinds: Dict[str, List[AnswerRule]]
    phrases: AnswerPhrases

    @validator("kinds")
    def _known_kinds(cls, kinds: Dict[str, List[AnswerRule]]) -> Dict[str, List[AnswerRule]]:  # noqa: N805
        if set(kinds) != set(ANSWER_KINDS):
            raise ValueError(f"the kinds must be exactly {sorted(ANSWER_KINDS)}")
        for kind, rules in kinds.items():
            wrong = [r.value for r in rules if r.value is not None and r.value not in ANSWER_KINDS[kind]]
            if wrong:
                raise ValueError(f"{kind} takes no value {wrong}")
        return kinds


class PlainYesFile(_Strict):
    """patterns/plain_yes.yml: the only typed answers taken as "yes, I am safe"."""

    plain_yes: Words
    fillers: Words


# --- the loader ------------------------------------------------------------------------------------

Schema = TypeVar("Schema", bound=BaseModel)


def problem(name: str, error: ValidationError) -> ValueError:
    """One line: the file, where, and what is wrong (an unknown key is an "unknown option")."""
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    what = "unknown option" if first["type"] == "value_error.extra" else first["msg"]
    return ValueError(f"{name}: {what} at {where}")


def check(name: str, data: object, schema: Type[Schema]) -> Schema:
    """`data` (one file, or one part of it) as `schema`, or a ValueError in one line."""
    try:
        return schema.parse_obj(data)
    except ValidationError as error:
        raise problem(name, error) from None


def load_rules(path: Path, schema: Type[Schema]) -> Schema:
    """Read a rule file and check it against its schema."""
    return check(path.name, load_patterns(path), schema)
