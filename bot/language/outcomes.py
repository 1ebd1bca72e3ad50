"""Recognise desired outcomes (Making Safeguarding Personal) in what a person types.

Why rules and not only a classifier: one message often holds several wishes
("I want him to stay away and to be kept informed"), the record must keep each
wish next to the person's own words, and a negated wish ("I don't want him
prosecuted") must not be counted as the wish itself. Token patterns over
lemmas (see matching.py) handle all three and are easy for practitioners to
review. Codes and their plain words come from msp-reference.md.
"""

import functools
from dataclasses import dataclass
from typing import Dict, FrozenSet, List, Sequence, Set, Tuple

from spacy.matcher import Matcher
from spacy.tokens import Doc

from bot.constants import (
    ABUSER_STAYS_AWAY,
    ACCESS_SUPPORT,
    BE_INVOLVED,
    FEEL_CONFIDENT,
    FEEL_SAFER,
    MAKE_FRIENDS,
    NO_FURTHER_ACTION,
    PEOPLE_KEEP_PROMISES,
    POLICE_PROSECUTE,
    PROTECT_MYSELF,
    SOMETHING_ELSE,
)
from bot.language.matching import build_matcher, make_doc, match_spans, spans_overlap, split_clauses
from bot.language.normalise import normalise


@dataclass(frozen=True)
class OutcomeMention:
    """One wish found in a message: the code for counting, the words for the record."""

    code: str  # one of constants.OUTCOME_CODES
    own_words: str  # the person's own words for this wish, from the ORIGINAL text, trimmed
    negated: bool  # "I don't want him prosecuted" -> police_prosecute, negated=True


# Polarity of a pattern: how a negation before it changes the meaning.
NORMAL = "normal"  # "I don't want X" -> X negated
ABSORB = "absorb"  # the negation is part of the wish ("not be lonely") -> never negated
NEG = "neg"  # the pattern itself says "not X" ("keep the police out of it") -> always negated
POS_ONLY = "pos_only"  # only counts when not negated ("punished": negated it means no_further_action)


@dataclass(frozen=True)
class Rule:
    """A group of patterns for one code that share a polarity and flags."""

    code: str
    polarity: str
    patterns: Tuple[str, ...]
    weak: bool = False  # dropped when another, stronger code is found in the same clause
    cue: bool = False  # needs a wish word ("want", "would like") or a very short clause
    not_before: Tuple[str, ...] = ()  # dropped when the next word is one of these lemmas


def _r(code: str, polarity: str, *patterns: str, weak: bool = False, cue: bool = False,
       not_before: Tuple[str, ...] = ()) -> Rule:
    """Shorthand for a Rule, so the table below stays readable."""
    return Rule(code, polarity, tuple(patterns), weak, cue, not_before)


_STOP_VERBS = "stop|end|cease|finish"
_AWAY_VERBS = "come|coming|visit|contact|near|around|round|back|ring|phone|text|call|message|bother|see|write"
_SELF = "myself|herself|himself|themselves|ourselves|yourself|meself"

RULES: Tuple[Rule, ...] = (
    # -- feel_safer: the abuse to stop; to feel safe(r); not be scared -------------------------
    _r(FEEL_SAFER, ABSORB,
       f"@HARM|@OBJ3|@PERSON|it|this|that|everything to? {_STOP_VERBS}",
       f"@HARM *3 to {_STOP_VERBS}",
       f"it|this|that all to? {_STOP_VERBS}",
       f"{_STOP_VERBS}|prevent *3 @HARM",
       f"{_STOP_VERBS}|prevent *4 money|pension|card|benefits|savings|bank",
       "stop|end *3 what @SUBJ3 be? do",
       "put a stop|end to",
       "no more @HARM",
       "safe|safer|safety|secure|safely|unsafe",
       "not|never|less|without *3 scared|frightened|afraid|terrified|fear|worried|anxious|nervous|panic|petrified",
       "no longer scared|frightened|afraid|terrified",
       "not|never|stop live|living in fear",
       "peace|peaceful|peace_and_quiet",
       "protect|protection|safeguard @ME",
       "not want|like @PERSON? to? be? @HARM",
       "not|never *3 @HARM @ME? again|anymore",
       "@HARM @ME? anymore|any_more",
       "out_of|not_in danger",
       "not|never *3 happen again|anymore"),
    # -- protect_myself: help to protect myself in the future --------------------------------
    _r(PROTECT_MYSELF, NORMAL,
       f"protect|defend|guard {_SELF}",
       f"look_after|take_care_of {_SELF}",
       f"keep|kept|keeping {_SELF} safe|safer|safely",
       "how to keep|stay|be safe|safer",
       "stay|keep safe *3 future|next|again",
       "what|who|where to do|call|ring|phone|contact|tell|go|turn",
       "learn|know|understand|show|teach *2 how to",
       "next time",
       "if it|this|@SUBJ3 happen|happens|do|come *2 again|back",
       "self defence",
       "new|better|fit|change|install|put|get|with|extra|proper|strong|stronger|door|personal|panic|safety|a|an|some "
       "*2 ~lock|~locks|alarm|camera|cctv|doorbell|chain|peephole|spyhole|keysafe|pendant|button|bolt|bolts",
       "~locks|alarm|cctv|doorbell|peephole|spyhole|keysafe|pendant|careline|lifeline",
       "panic_button|safety_plan|safe_word|code_word|key_safe",
       "spot|recognise|recognize|avoid|notice|know|tell *5 scam|scams|scammer|fraud|con|sign|signs|advantage|"
       "abuse|exploit|exploited|warning|risk|risks|danger|dangerous",
       "learn|learning|course|training|teach|taught *4 safe|safety|protect|scam|scams|signs|abuse|risk|risks|"
       "danger|online|internet|myself",
       "help @ME? to? keep|stay|be safe|safer",
       "stay|staying|keep|keeping safe online|outside|out|when",
       "not|never *3 scammed|conned|fooled|tricked|taken_in|fall_for",
       "block *2 number|him|her|them|calls"),
    # -- feel_confident: help to feel more confident ------------------------------------------
    _r(FEEL_CONFIDENT, NORMAL,
       "confident|confidence|assertive|courage|brave|braver|empowered|self_esteem|self_worth|self_belief",
       f"stand up for|to *2 {_SELF}|@PERSON",
       "speak up|out",
       f"speak|stick up for {_SELF}",
       "believe in myself|herself|himself|themselves",
       "feel|be|get stronger|strong",
       f"feel *2 good|better|well about {_SELF}",
       "not|less *2 shy|timid|pushover|doormat",
       "go out *2 on_my_own|by_myself|alone"),
    _r(FEEL_CONFIDENT, ABSORB,
       "scared|afraid|frightened|nervous|too|shy *3 to speak|say|tell|ask",
       "say no"),
    # -- abuser_stays_away: the person who hurt me to stay away --------------------------------
    _r(ABUSER_STAYS_AWAY, NORMAL,
       "stay|keep|kept|move|far|well|right|take|taken|send|sent|keeping|staying *2 ~away",
       "away from me|us|my|mum|dad|her|him|the|our|them",
       "@PERSON|@OBJ3 to|would|will|should|must|could|can? leave|leaving",
       "@PERSON|@OBJ3 *2 move|moved|moving out|away|on|elsewhere|somewhere|another|different",
       "move|moved @PERSON|@OBJ3 *2 out|away|on|elsewhere|somewhere|another|different",
       "@PERSON|@OBJ3 ~gone",
       "get|kick|throw|put|chuck *2 @PERSON|@OBJ3 out",
       "@PERSON|@OBJ3 *2 live|stay|living|staying somewhere|elsewhere|apart|separately|another|different",
       "out of my|our|the *2 life|house|home|flat|room|way|hair|place|business",
       "leave|left @ME alone|be",
       "leave|left @ME *2 alone",
       "be left alone",
       "restraining|molestation|injunction|exclusion|banning|protection|court|contact|non order",
       "ban|banned|bar|barred *2 from",
       "divorce|separation|split_up"),
    _r(ABUSER_STAYS_AWAY, NORMAL, "@PERSON|@OBJ3 to go", not_before=("to", "into", "in", "with", "through", "for")),
    _r(ABUSER_STAYS_AWAY, ABSORB,
       f"not|never *4 @PERSON|@OBJ3 *3 {_AWAY_VERBS}",
       "not|never *3 see|hear|contact|speak|talk|live|be|deal *2 with|from|to|near|around? @PERSON|@OBJ3",
       "not|never *3 @PERSON|@OBJ3 *2 in|at|near *2 house|home|flat|room|life|here|place",
       f"stop *2 {_AWAY_VERBS}|following|pester|pestering|texting|messaging|calling|ringing|visiting|coming",
       "no more? contact",
       "@PERSON|@OBJ3 *2 not|never *3 allow|allowed|permit|permitted *2 to? visit|come|see|contact|near",
       "@SUBJ3|@PERSON *2 not|never *3 come|go|allow|allowed|let *3 in|into|near|round|back|home|room|house|flat"),
    # -- be_involved: to be involved in what happens next -------------------------------------
    _r(BE_INVOLVED, NORMAL,
       "keep|kept|stay|be @ME? informed|updated|posted|involved|included",
       "in the loop|picture",
       "up to date",
       "update|updates|informed|inform",
       "let @ME know",
       "tell|told|know|explain|hear|understand|see @ME? *2 what|how|where *3 "
       "~happening|~happens|~happen|~going|~goes|next|plan|plans|progress|decide|decided|~doing",
       "tell|told|inform|informed *3 anything|everything|nothing|first",
       "know|told|tell|hear|inform|informed|update|updated *3 outcome|outcomes|result|results|findings",
       "what|how *2 ~happening|~happens|~happen|going_on|goes_on|next",
       "have|get|give @ME? *2 a|my|any|some say|voice|input",
       "my|our *2 voice|views|wishes|opinion *2 heard|count|listen|respect|take",
       "involve|involved|involvement|include|included|consult|consulted",
       "part of *3 decision|decisions|plan|planning|process|meeting|meetings|it|this|what",
       "decision|decisions|decide|choice|choices",
       "listen|listened to @ME|myself?",
       "ask|asked *2 me|first|before|what_i|opinion|views",
       "invite|invited|attend|come|be_at|go_to *2 meeting|meetings|conference",
       "without me",
       "see|read|have|get|copy_of *3 report|notes|record|records|letter|plan|minutes"),
    # -- people_keep_promises: people involved to do what they say --------------------------
    # "carers to turn up" is a wish; "my ex keeps turning up" is not: needs a wish word.
    _r(PEOPLE_KEEP_PROMISES, NORMAL, "turn|show up", cue=True),
    _r(PEOPLE_KEEP_PROMISES, NORMAL,
       "promise|promises|promised",
       "keep|kept|stick_to|honour|break|broken *2 word|promise|promises|agreement",
       "do|does|did|doing|stick_to|keep_to as|what *3 say|said|promise|agree|agreed|supposed|meant|should|tell|"
       "told|book",
       "honest|truthful|straight with @ME",
       "more honest|truthful",
       "on time",
       "come|visit|arrive|be_there|here *2 when *3 say|said|supposed|should|meant|book|booked",
       "not|stop|never *2 late",
       "follow through|up",
       "see it through",
       "stick_to|keep_to *2 plan|agreement|arrangement",
       "do their|his|her|your job|jobs",
       "reliable|dependable|rely_on",
       "let me|us down",
       "stop|not|never *2 let|letting me|us down",
       "ring|call|get|phone *2 back",
       "reply|respond|answer *2 my|me *2 call|calls|message|messages|email|emails|letter|letters"),
    # -- police_prosecute: for the police to prosecute ----------------------------------------
    _r(POLICE_PROSECUTE, NORMAL,
       "prosecute|prosecuted|prosecution|prosecuting",
       "arrest|arrested|convict|convicted|conviction|caution|cautioned",
       "~charges",
       "press|bring|face|file *2 charge|charges",
       "@PERSON|@OBJ3|be|get|police *2 ~charged|~charge",
       "court|courts|trial|magistrate|magistrates|judge|cps",
       "justice",
       "criminal|crime",
       "by|under|within|with the? law",
       "legal action",
       "police|cop|cops|copper|coppers|officer|officers *4 do|take|deal|arrest|charge|involve|involved|"
       "investigate|sort|act|action|know|help|come|speak|get|tell|something|anything|look",
       "report|reported|reporting *3 police|crime|it|him|her|them|this|that|abuse|assault",
       "call|ring|phone|contact|tell|get|involve|inform|go_to *2 police|cop|cops",
       "police involved|involvement"),
    _r(POLICE_PROSECUTE, NORMAL, "police|cop|cops|polis", cue=True),
    _r(POLICE_PROSECUTE, POS_ONLY,
       "punish|punished|punishment",
       "prison|jail|gaol|locked_up|sent_down|behind_bars",
       "lock @PRON3|@PERSON up",
       "pay|suffer for *3 what|it|this",
       "face the? consequence|consequences|music",
       "get|gets what @SUBJ3 deserve|deserves"),
    _r(POLICE_PROSECUTE, ABSORB, "not|never *4 get|gets away with"),
    _r(POLICE_PROSECUTE, NEG,
       "keep|leave *2 police|cops out",
       "no police|cops|court|charges|prosecution"),
    # -- access_support: to get any support that is available ----------------------------------
    _r(ACCESS_SUPPORT, NORMAL,
       "counselling|counsel|counsellor|therapy|therapist|psychologist|psychiatrist|treatment|rehab|detox",
       "cleaner|cleaners|handyman|gardener|befriending_service|home_help|meals",
       "someone|somebody|person|anyone|people *2 to? talk|speak|listen|chat *2 to|with",
       "talk|speak to|with a|an? someone|somebody|counsellor|professional|therapist|doctor|nurse",
       "help|support|advice|assistance|hand|helper|carer|manage|managing|sort|sorting *3 "
       "money|shopping|benefits|finances|bills|budget|budgeting|cleaning|cooking|housework|meals|washing|"
       "dressing|bathing|medication|medicine|tablets|appointments|paperwork|forms|letters|housing|"
       "transport|garden|debt|debts|food|care|personal|drinking|drink|drugs|alcohol|mental|memory|home|"
       "house|flat|feelings|bank",
       "help|support *3 get|getting|go|going out",
       "care_package|home_care|care_plan|personal_care|care_at_home|home_help|meals_on_wheels|respite",
       "mental_health|day_care|support_group|helpline|refuge|shelter|idva|victim_support|women_aid",
       "benefit|benefits|advice|adviser|advisor|advise|information|info|leaflet",
       "doctor|gp|nurse|hospital|physio|dentist|occupational|equipment|adaptation|adaptations|wheelchair",
       "someone|somebody|people|carer|nurse *3 check|visit|pop",
       "check_on|check_in_on|look_in_on me",
       "someone|somebody on my|her|his|our side"),
    _r(ACCESS_SUPPORT, NORMAL,
       "new|more|different|better|another|extra|female|male|proper|nicer|kinder *2 carer|carers|care|helper",
       not_before=("home",)),
    _r(ACCESS_SUPPORT, NORMAL, "help|support|advocate|carer|carers|assistance|backup|care",
       "support|key|care|social worker|workers", weak=True,
       not_before=("home",)),
    # -- something_else: things taken, wanted back ("my money back from the carer") -------------
    _r(SOMETHING_ELSE, NORMAL,
       "money|card|cards|savings|pension|purse|wallet|jewellery|jewelry|belongings|things|"
       "stuff|keys|car|house|dog|cat|pet|benefits|cash|bank_card|bank_cards *1 back"),
    # -- make_friends: to make more friends ---------------------------------------------------
    _r(MAKE_FRIENDS, NORMAL,
       "make|more|new|some|find|have|meet|get|few|real|good|proper *2 friend|friends|mate|mates|pal|pals",
       "friendship|friendships|company|companionship",
       "meet|know|mix_with *2 people|others|someone|new|folk|person",
       "see *3 friend|friends|mates",
       "socialise|socialize|socialising|socializing|social_life|social_club|social_group|social_events|"
       "social_activities|more_social",
       "get|go out_more|out_of_the_house|out_and_about",
       "befriender|befriending|lunch_club|coffee_morning|social_club"),
    _r(MAKE_FRIENDS, NORMAL,
       "club|clubs|group|groups|day_centre|activities|activity|hobby|hobbies|community|church|bingo|"
       "class|classes", weak=True),
    _r(MAKE_FRIENDS, NORMAL,
       "people *2 to talk|chat|go_out",
       "someone *2 to go_out|do_things"),
    _r(MAKE_FRIENDS, NORMAL, "friend|friends|mates", cue=True),
    _r(MAKE_FRIENDS, ABSORB,
       "lonely|loneliness|isolated|isolation|lonesome",
       "not|less|never *3 alone|on_my_own|by_myself|by_herself|by_himself"),
    # -- no_further_action: for nothing more to happen ----------------------------------------
    _r(NO_FURTHER_ACTION, NORMAL,
       "nothing|nowt *3 happen|done|do|further|at_all",
       "no further|more? action",
       "drop|dropped *3 it|this|that|everything|case|matter|charge|charges|complaint|enquiry|investigation|"
       "concern|thing|all",
       "leave|left it|things|this|that|everything|matter *2 alone|there|be|as|now",
       "leave|left it",
       "it|this|that|everything|case|matter|charges|complaint|enquiry *1 ~dropped|~closed",
       "it|things|this|that|everything left|leave *1 alone|be|there",
       "forget *2 it|about|this|that|everything|whole",
       "let *2 it|this|things|that go|lie|rest|slide|drop",
       "stop|end|close|finish|halt|cancel *3 enquiry|inquiry|investigation|process|case|safeguarding|"
       "questions|thing|everything|concern|concerns|referral|file",
       "stop|end|finish all this",
       "sort|deal|handle|manage|fix *3 myself|ourselves|family|between|meself",
       "keep *2 private|quiet|in_the_family|between_us",
       "fuss",
       "you|social|council|everyone|everybody|people|professionals|services *3 leave @ME alone|be",
       "leave us alone",
       "already sorted|resolved|dealt_with",
       "all sorted|fine",
       "fine now"),
    _r(NO_FURTHER_ACTION, NORMAL, "nothing|nowt|none", cue=True, weak=True, not_before=("else", "more")),
    _r(NO_FURTHER_ACTION, NORMAL, "move on|put_it_behind_me|get_on_with_my_life|back_to_normal", weak=True),
    _r(NO_FURTHER_ACTION, ABSORB,
       "not *3 anything|any *3 happen|done|do|action|fuss|further",
       "not|never *6 further",
       "not|never *6 punish|punished|punishment|trouble|prison|jail|locked|record|behind_bars",
       "not|never *3 social|council|you|anyone|anybody|professionals|people|services|worker "
       "*3 involve|involved|interfere|interfering|poke|poking|do_anything",
       "not|never *2 make|cause *2 fuss|trouble"),
    _r(NO_FURTHER_ACTION, ABSORB, "not want|like|need anything|nothing|owt", not_before=("else", "more")),
)

# When both codes match overlapping words in a clause, the first one wins.
SUPPRESSES: FrozenSet[Tuple[str, str]] = frozenset({
    (PROTECT_MYSELF, FEEL_SAFER),
    (FEEL_CONFIDENT, FEEL_SAFER),
    (ABUSER_STAYS_AWAY, FEEL_SAFER),
    (NO_FURTHER_ACTION, FEEL_SAFER),
    (NO_FURTHER_ACTION, ABUSER_STAYS_AWAY),
    (NO_FURTHER_ACTION, POLICE_PROSECUTE),
    (NO_FURTHER_ACTION, BE_INVOLVED),
    (ABUSER_STAYS_AWAY, POLICE_PROSECUTE),
    (POLICE_PROSECUTE, BE_INVOLVED),
    (PROTECT_MYSELF, BE_INVOLVED),
    (PEOPLE_KEEP_PROMISES, ACCESS_SUPPORT),
    (PEOPLE_KEEP_PROMISES, FEEL_SAFER),
    (PEOPLE_KEEP_PROMISES, BE_INVOLVED),
    (MAKE_FRIENDS, ACCESS_SUPPORT),
    (MAKE_FRIENDS, ABUSER_STAYS_AWAY),
    (PROTECT_MYSELF, ABUSER_STAYS_AWAY),
    (FEEL_CONFIDENT, MAKE_FRIENDS),
    (POLICE_PROSECUTE, ACCESS_SUPPORT),
    (FEEL_SAFER, MAKE_FRIENDS),
})

# Codes whose negation is not a separate meaning ("I don't feel safe" still wants feel_safer).
NEVER_NEGATED: FrozenSet[str] = frozenset({FEEL_SAFER})

# Wish words: they mark a wish (for something_else) and scope a negation.
_WISH_PATTERNS: Tuple[str, ...] = (
    "want|wants|wanted|wish|hope|need|prefer|rather|demand|request",
    "would|should|~'d *1 like|love|prefer|appreciate",
    "like|love to|it|for",
    "ask|asking for",
    "would be *2 good|nice|great|helpful|better|lovely|ideal|best",
    "look|looking for",
    "should|must|ought|shall",
    "please",
)
# Words after a wish word that say nothing by themselves ("I want to", "I need it").
_EMPTY_WORDS: FrozenSet[str] = frozenset(
    """to be it that this the a an for me my myself you your him her them they he she we us i some any
    something anything nothing everything thing things more else what which there here now then just
    really very so do have get go know say think answer talk speak stop pause finish understand tell
    help see happen sure all please would could should will can may might much many lot too also
    again well ok okay not n't no yes out up in on of with about from if when how why who whatever
    one someone somebody anyone person people bit little way quit leave rest break minute second
    moment time later""".split()
)
_UNCERTAIN: Tuple[Tuple[str, ...], ...] = (
    ("not", "sure"), ("do", "not", "know"), ("no", "idea"), ("not", "certain"), ("dunno",), ("unsure",),
)
_NEGATIONS: FrozenSet[str] = frozenset({"not", "never", "no", "without", "nobody"})
_PRONOUN_AFTER_NO: FrozenSet[str] = frozenset(
    {"i", "he", "she", "they", "we", "you", "it", "thanks", "thank", "just", "that", "this", "my", "mum", "want"}
)
_SUBJECT_START: FrozenSet[str] = frozenset(
    {"i", "he", "she", "they", "we", "you", "it", "there", "that", "my", "mum", "dad", "his", "her"}
)


@dataclass(frozen=True)
class _Hit:
    """One pattern match inside one clause doc."""

    code: str
    rule: Rule
    start: int
    end: int


@functools.lru_cache(maxsize=1)
def _matchers() -> Tuple[Matcher, Matcher]:
    """Build the outcome and wish-word matchers once per process."""
    outcome_patterns: Dict[str, Sequence[str]] = {f"R{i}": rule.patterns for i, rule in enumerate(RULES)}
    wish_patterns: Dict[str, Sequence[str]] = {"WISH": _WISH_PATTERNS}
    return build_matcher(outcome_patterns), build_matcher(wish_patterns)


def _wish_positions(doc: Doc) -> List[Tuple[int, int]]:
    """Token ranges of wish words ("want", "would like", "should") in a clause."""
    _, wish = _matchers()
    spans = [(s, e) for _, s, e in match_spans(wish, doc)]
    # "do you want" / "what would you like" are questions, not wishes.
    out: List[Tuple[int, int]] = []
    for s, e in spans:
        before = [t.lower_ for t in doc[max(0, s - 2):s]]
        if "you" in before and not any(t.lower_ == "i" for t in doc[:s]):
            continue
        if doc[s].lower_ == "please" and s > 0:
            continue
        out.append((s, e))
    return out


def _has_uncertainty(doc: Doc, index: int) -> bool:
    """Is the negation at `index` part of "not sure" / "don't know" / "no idea"?"""
    words = [t.lemma_ for t in doc]
    for phrase in _UNCERTAIN:
        for offset in range(len(phrase)):
            start = index - offset
            if start >= 0 and tuple(words[start:start + len(phrase)]) == phrase:
                return True
    return False


def _is_negation(doc: Doc, i: int) -> bool:
    """A negation word that really negates (not "no, I want...", not "not sure")."""
    token = doc[i]
    if token.lemma_ not in _NEGATIONS or _has_uncertainty(doc, i):
        return False
    if token.lower_ == "no":
        nxt = doc[i + 1].lower_ if i + 1 < len(doc) else ""
        if nxt in _PRONOUN_AFTER_NO or nxt in {",", ".", "!", ""}:
            return False
    if token.lower_ == "not" and i + 1 < len(doc) and doc[i + 1].lower_ in {"just", "only"}:
        return False
    return True


def _negated(doc: Doc, start: int, end: int, wishes: List[Tuple[int, int]]) -> bool:
    """Does a negation govern the wish that this match belongs to?

    With a wish word before the match, a negation just before the wish word or
    between it and the end of the match counts ("I don't want him charged",
    "I'd rather the police weren't involved"). Without one, only an imperative
    or a bare "no X" at the start counts ("no police", "don't involve them"),
    so complaints ("nobody tells me anything") stay positive.
    """
    before = [w for w in wishes if w[0] < start]
    if before:
        cue_start = before[-1][0]
        window = range(max(0, cue_start - 3), end)
        return any(_is_negation(doc, i) for i in window)
    lem = [t.lemma_ for t in doc[:3]] + ["", "", ""]
    if lem[0] == "please":
        lem = lem[1:]
    if lem[0] == "no":
        return _is_negation(doc, 0 if doc[0].lemma_ == "no" else 1)
    return lem[0] in {"never", "without"} or (lem[0] == "do" and lem[1] == "not") or (
        lem[0] == "not" and lem[1] in {"the", "any", "a", "him", "her", "them", "police"}
    )


def _content_after(doc: Doc, start: int) -> bool:
    """Is there a content word after a wish word? ("I want my money back" yes, "I want to" no)."""
    for token in doc[start:]:
        if token.lemma_ not in _EMPTY_WORDS and token.lower_ not in _EMPTY_WORDS and token.is_alpha:
            return True
    return False


def _clause_hits(doc: Doc, prefix_len: int, short: bool) -> List[_Hit]:
    """All surviving matches in one clause doc, after suppression and cue checks."""
    outcome_matcher, _ = _matchers()
    wishes = _wish_positions(doc)
    hits: List[_Hit] = []
    for key, start, end in match_spans(outcome_matcher, doc):
        rule = RULES[int(key[1:])]
        if end <= prefix_len:  # match only inside the inherited wish words
            continue
        if rule.cue and not (wishes or short):
            continue
        if rule.not_before and end < len(doc) and doc[end].lemma_ in rule.not_before:
            continue
        hits.append(_Hit(rule.code, rule, start, end))
    # Overlap suppression between codes ("keep myself safe" is protect_myself, not feel_safer).
    survivors = [
        h for h in hits
        if not any((o.code, h.code) in SUPPRESSES and spans_overlap((o.start, o.end), (h.start, h.end)) for o in hits)
    ]
    strong_codes = {h.code for h in survivors if not h.rule.weak}
    return [h for h in survivors if not h.rule.weak or not (strong_codes - {h.code})]


def _is_non_answer(doc: Doc) -> bool:
    """ "I don't know what I want", "not sure": no wish, even though "want" appears."""
    return any(_has_uncertainty(doc, i) for i in range(len(doc))) and not any(
        t.lemma_ in {"but", "though"} for t in doc
    )


def _clause_mentions(doc: Doc, prefix_len: int, short: bool) -> List[Tuple[str, bool, int]]:
    """(code, negated, position) for each code found in one clause doc."""
    wishes = _wish_positions(doc)
    found: Dict[str, Tuple[bool, int]] = {}
    by_code: Dict[str, List[_Hit]] = {}
    for hit in _clause_hits(doc, prefix_len, short):
        by_code.setdefault(hit.code, []).append(hit)
    for code, code_hits in by_code.items():
        values: List[Tuple[str, bool]] = []
        for hit in code_hits:
            polarity = hit.rule.polarity
            neg = polarity == NEG or (polarity in (NORMAL, POS_ONLY) and _negated(doc, hit.start, hit.end, wishes))
            if polarity == POS_ONLY and neg:
                continue  # "I don't want him punished" is no_further_action, not police_prosecute
            values.append((polarity, neg))
        if not values:
            continue
        if code in NEVER_NEGATED or any(p == ABSORB for p, _ in values):
            negated = False
        elif any(p == NEG for p, _ in values):
            negated = True
        else:
            negated = any(n for _, n in values)
        found[code] = (negated, min(h.start for h in code_hits))
    # something_else: a clear wish ("I want my money back") that matched no other code.
    if not found and wishes and not _is_non_answer(doc):
        for s, e in wishes:
            if _content_after(doc, max(e, prefix_len)):
                found[SOMETHING_ELSE] = (_negated(doc, e, e, wishes), s)
                break
    return [(code, neg, pos) for code, (neg, pos) in sorted(found.items(), key=lambda kv: kv[1][1])]


def _wish_frame(doc: Doc) -> str:
    """The words that open a wish ("i don't want him"), to lend to a following fragment."""
    wishes = _wish_positions(doc)
    if not wishes:
        return ""
    end = wishes[0][1]
    if end < len(doc) and doc[end].lower_ in {"him", "her", "them", "it", "my", "the", "his"}:
        end += 1
        if doc[end - 1].lower_ in {"my", "the", "his"} and end < len(doc):
            end += 1
    return doc[:end].text


def _ends_dangling(doc: Doc) -> bool:
    """ "I want someone to come": the clause stops at an infinitive, so the wish goes on after "and"."""
    words = [t for t in doc if not t.is_punct]
    return len(words) >= 2 and words[-2].lower_ == "to" and words[-1].is_alpha


def _drop_dangling_wishes(
    raw: List[Tuple[str, bool, str]], dangling: Dict[str, bool]
) -> List[Tuple[str, bool, str]]:
    """Drop a something_else whose clause runs on into the next clause that found a real code."""
    out: List[Tuple[str, bool, str]] = []
    for i, (code, negated, words) in enumerate(raw):
        if code == SOMETHING_ELSE and dangling.get(words) and any(w != words for _, _, w in raw[i + 1:]):
            continue
        out.append((code, negated, words))
    return out


def recognise_outcomes(text: str) -> List[OutcomeMention]:
    """Find every desired outcome in a message, in order, one per code (first wins)."""
    if not text or not text.strip():
        return []
    clauses = split_clauses(text)
    raw: List[Tuple[str, bool, str]] = []
    dangling: Dict[str, bool] = {}
    frame = ""
    for clause in clauses:
        normal = normalise(clause)
        first = normal.split()[0] if normal.split() else ""
        own_doc = make_doc(normal, already_normal=True)
        has_wish = bool(_wish_positions(own_doc))
        if frame and not has_wish and first not in _SUBJECT_START:
            prefix_doc = make_doc(frame, already_normal=True)
            doc = make_doc(frame + " " + normal, already_normal=True)
            prefix_len = len(prefix_doc)
        else:
            doc, prefix_len = own_doc, 0
        short = len([t for t in own_doc if not t.is_punct]) <= 4
        for code, negated, _ in _clause_mentions(doc, prefix_len, short):
            raw.append((code, negated, clause.strip()))
        dangling[clause.strip()] = _ends_dangling(own_doc)
        if has_wish:
            frame = _wish_frame(own_doc)
    raw = _drop_dangling_wishes(raw, dangling)
    seen: Set[str] = set()
    mentions: List[OutcomeMention] = []
    for code, negated, words in raw:
        if code in seen:
            continue
        seen.add(code)
        mentions.append(OutcomeMention(code=code, own_words=words, negated=negated))
    if len(mentions) == 1:
        only = mentions[0]
        mentions = [OutcomeMention(code=only.code, own_words=text.strip(), negated=only.negated)]
    return mentions
