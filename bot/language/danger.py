"""Detect present danger and self-harm in what a person types, at any point in the conversation.

Why this shape: missing "he's at the door" is far worse than one unneeded
safety message, so recall comes first. Token patterns over lemmas catch the
many ways people say it (typos and text-speak are normalised first). Each hit
is then checked against its clause for what turns it safe: a negation ("he
isn't here"), the past ("years ago", "used to"), a hope or wish ("I want him to
stop hitting me"), or an ordinary visit ("my daughter is here helping me").
Some patterns carry their own negation ("I don't feel safe", "he won't leave")
and are not suppressed by it.
"""

import functools
from dataclasses import dataclass
from typing import Dict, FrozenSet, List, Optional, Sequence, Tuple

from spacy.matcher import Matcher
from spacy.tokens import Doc

from bot.language.matching import build_matcher, make_doc, match_spans

DANGER = "danger"
SELF_HARM = "self_harm"


@dataclass(frozen=True)
class DangerSignal:
    """What raised the alarm: the kind, and the words that triggered it (normalised)."""

    kind: str  # "danger" or "self_harm"
    phrase: str  # the words that triggered it


@dataclass(frozen=True)
class _Rule:
    """A group of patterns with the checks that apply to them."""

    kind: str
    patterns: Tuple[str, ...]
    absorb: bool = False  # the negation is part of the signal ("don't feel safe"): no negation check
    needs_now: bool = False  # ambiguous alone ("he's outside"): needs an immediacy or fear cue elsewhere
    needs: FrozenSet[str] = frozenset()  # one of these lemmas must be elsewhere in the message
    presence: bool = False  # "X is here": suppressed by an ordinary-visit word in the clause
    not_before: Tuple[str, ...] = ()  # dropped when the next token's lemma is one of these
    big_number: bool = False  # a number in the match must be 8 or more ("took 20 pills")
    violence: bool = False  # an account of violence: also made safe by a resolved story or an animal


_BE_NOW = "~is|'s|are|'re|am|'m"
_VIOLENT = (
    "hit|hurt|punch|kick|slap|push|shove|beat|strangle|choke|grab|attack|stab|bite|shake|drag|throw|"
    "burn|rape|assault|pinch|scratch|spit|headbutt|smack|thump|whack|batter|threaten|shout|scream|yell|"
    "lock|strike|starve|tie|suffocate|smother|molest|touch|abuse|bully|hitting|beating|harass|swing|pin|"
    "restrain|drag|pull|twist|squeeze|trip|poke|hold_down|break|broke"
)
_KILL = "kill|murder|shoot|stab|strangle|knife|finish"
_WEAPON = (
    "knife|knives|gun|guns|weapon|weapons|blade|machete|hammer|bat|axe|crowbar|shotgun|rifle|pistol|"
    "firearm|poker|sword|screwdriver"
)
_PILLS = "pill|pills|tablet|tablets|meds|medication|medicine|paracetamol|painkiller|painkillers|sleeping|insulin"
_LOTS = "lot|lots|all|loads|load|handful|many|whole|bottle|packet|box|bunch|pack|strip|dozens|too"
_SELF = "myself|herself|himself|themselves|meself|yourself"

RULES: Tuple[_Rule, ...] = (
    # --- someone dangerous is here / at the door / coming ---------------------------------
    _Rule(DANGER, (
        "@PERSON|@SUBJ3 *3 at|outside|on|by|banging|knocking|hammering|kicking|bang|knock *2 "
        "door|doors|window|windows|gate",
        f"@SUBJ3 {_BE_NOW} *1 here|in_here|in_the_house|in_my_house|in_my_room|in_the_flat|in_my_flat",
        f"@SUBJ3 {_BE_NOW} *1 round|around|out|at the? back|front|side",
        "hear|heard|see|saw|can_hear|can_see @OBJ3|@PERSON *2 coming|outside|banging|shouting|at|downstairs|upstairs",
        "on his|her|their way *2 round|over|here|back|home|now",
        "try|trying|tried|attempt *2 to get|break|force|kick|smash in|into|through",
        "break|breaking|kick|kicking|bang|banging|hammer|hammering|pound|pounding|smash|smashing *3 door|window|in",
        "break_in|breaking_in|broken_in",
    ), presence=True),
    _Rule(DANGER, (
        f"@PERSON|@SUBJ3 {_BE_NOW}? *1 outside|downstairs|upstairs|inside|back|next_door|here",
        "@PERSON|@SUBJ3 *3 ~coming|~come|~comes|~came *2 back|round|over|here|home|for_me|after_me|to_get",
        "@PERSON|@SUBJ3 *2 turn|turned|show|showed up",
        f"@SUBJ3 {_BE_NOW} *2 ~angry|~furious|~raging|~drunk|~violent|~mad|~high|~wasted|~steaming|~aggressive|"
        "~kicking_off|~going_mad|~losing_it|~off_his_head|~off_her_head",
    ), needs_now=True, presence=True),
    _Rule(DANGER, (
        "@SUBJ3|@PERSON *2 not|refuse|refuses|refusing *1 to? leave|go|get_out",
    ), absorb=True, not_before=("to", "for", "on")),
    # --- violence happening, just happened, or passive ("being hit") ----------------------
    _Rule(DANGER, (
        f"{_VIOLENT} at? @ME",
        f"{_VIOLENT} my|the|our @FAMILY|kids|kid|children|child|baby|nan|gran|grandma",
        "pull|pulling|pulled *1 my|her|his hair",
        "lock|locked|locking @ME *1 in|out",
        "push|pushed|pushing|shove|shoved|throw|threw *3 down|over|stairs|floor|wall",
        "throw|threw|thrown|throwing|chuck|chucked|lob|lobbed *4 at @ME",
        f"{_VIOLENT} my|her|his arm|arms|neck|throat|hair|wrist|wrists|face|head|leg|hand|hands|chest|back|body",
        "go|went|gone|going|come|came|coming for|at @ME",
        "bruise|bruised|bruises|black_eye|broken_arm|broken_nose|broken_rib|broken_ribs",
        "blood everywhere|pouring",
        "lot|lots|so_much|loads of? blood",
        "lose|losing blood",
        "@PERSON|@SUBJ3 *2 follow|following|stalk|stalking|watching|chasing|chase @ME|the_house|my_house|my_flat",
        "force|forces|forced|forcing|make|makes|made @ME *3 sex|sexual|touch|undress",
        f"@PERSON|@SUBJ3 {_BE_NOW} *1 ~shouting|~screaming|~yelling|~raging|~smashing|~hitting|~kicking|~punching|"
        "~attacking|~hurting|~beating|~strangling|~choking|~threatening|~wrecking",
        "hide|hiding *2 from @PERSON|@OBJ3",
        "by the|my|her|his neck|throat",
        "~being @HITPP",
        "hold|holding|held|pin|pinning|pinned @ME down|against|by|on",
        "try|trying|tried *1 the|my|our door|doors|window|windows|handle|handles|lock|locks",
        "~being *2 ~violent|~aggressive|~rough|~nasty|~abusive|~horrible|~threatening|~scary",
    ), violence=True),
    _Rule(DANGER, ("i|we|@ME|@SUBJ3 *2 be|being|been|get|getting|got @HITPP",),
          not_before=("up", "away", "out"), violence=True),
    _Rule(DANGER, (
        f"i {_BE_NOW} *1 hiding|trapped|stuck|locked",
        "@SUBJ3|@PERSON *2 lock|locked|locks|locking the|my|our door|doors|me|us",
        "@SUBJ3|@PERSON *2 take|taken|took|hidden|hid|hide|hides|smashed|broke|broken|keep|kept my|her|his "
        "walking_stick|stick|frame|zimmer|wheelchair|glasses|hearing_aid|phone|keys|medication|medicine|tablets|"
        "inhaler|food|mobile|walker|crutches",
        "someone|somebody|stranger|strangers|intruder|intruders|burglar|burglars|a_man|a_woman *3 in|inside|outside|"
        "around|at my|the|our house|flat|home|room|garden|door|window",
    )),
    _Rule(DANGER, (
        f"not|never stop|stops *1 {_VIOLENT}|hitting|hurting|shouting|beating",
        f"keep|keeps|kept {_VIOLENT}|hitting|hurting|shouting|beating|attacking|threatening",
    ), absorb=True),
    # --- threats ---------------------------------------------------------------------------
    _Rule(DANGER, (
        f"@SUBJ3|@PERSON *5 {_KILL}|hurt|harm|beat|burn @ME",
        f"threaten|threatened|threatening|threat|threats *4 {_VIOLENT}|{_KILL}|harm|me|us|mum",
        "burn *3 down|house|flat|home|me",
        f"go|going|gonna|gon *1 to? {_VIOLENT}|{_KILL}|harm @ME",
        f"say|said|says|told|tell|promise|promised|threaten *4 will|~'ll|going|gonna|would|~'d|to *2 "
        f"{_KILL}|hurt|harm|hit|burn|beat|stab|batter",
        "come|coming|came to get|for @ME",
        f"@SUBJ3 will|~'ll|would|~'d *1 {_KILL}|hurt|hit|harm|beat @ME?",
    ), not_before=("myself", "herself", "himself", "themselves", "meself", "yourself")),
    _Rule(DANGER, (
        "will|~'ll|going|gonna|come|coming|came|out *2 to? get|sort|teach|find|catch @ME",
        "do|doing @ME in",
    ), not_before=("some", "a", "an", "the", "my", "to", "from", "in", "into", "something", "shopping", "food",
                   "milk", "tea", "home", "there", "up", "ready", "dressed", "his", "her", "any", "that", "this",
                   "one", "lunch", "dinner", "breakfast", "back", "on", "through", "settled", "washed")),
    # --- weapons -----------------------------------------------------------------------------
    _Rule(DANGER, (
        f"@PERSON|@SUBJ3|there *8 {_WEAPON}",
        f"holding|hold|waving|wave|pointing|point|carrying|carry|got|has|grabbed a|an|the|his|her|their? {_WEAPON}",
    ), not_before=("and", "collection", "block", "drawer", "set", "rack", "sharpener", "holder", "sharpening")),
    # --- fear and feeling unsafe now ---------------------------------------------------------
    _Rule(DANGER, (
        "i *2 not get|getting out|away",
        "i *2 not escape",
        "not *1 breathe",
        "not let|allow @ME *2 eat|sleep|leave|go|out|see|phone|call|use|have|drink|wash|toilet|food|water|medication",
        "not eat|eaten|had *3 day|days",
        "no food|water|heating|electric *2 for? *1 day|days",
    ), absorb=True),
    _Rule(DANGER, ("not|never *2 feel? safe|secure",), absorb=True, not_before=("to",)),
    _Rule(DANGER, ("unsafe", "danger"), not_before=("to",)),
    _Rule(DANGER, (
        "not *2 safe to go|be|stay|live|sleep|return|go_home|be_here",
        "danger to @ME|myself|life",
        "not call|ring|phone|get *2 ambulance|help|doctor|999|police",
        "@SUBJ3 ~is|'s|are|'re ~going|~gone|~kicking *1 ~mental|~ballistic|~berserk|~crazy|~mad|~nuts|~off|~psycho",
    ), absorb=True),
    _Rule(DANGER, (f"@SUBJ3 {_BE_NOW} ~coming|~back|coming_back",), presence=True, not_before=(
        "to", "for", "on", "at", "with", "tomorrow", "later", "next", "over", "round", "home", "in", "this",
        "from", "soon", "up", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
        "after", "around", "along", "out")),
    _Rule(DANGER, (
        f"i {_BE_NOW}|feel *2 scared|terrified|frightened|afraid|petrified|panicking|shaking|scare|frighten",
        f"@SUBJ3|@PERSON {_BE_NOW} *2 scared|terrified|frightened|afraid|petrified|panicking",
        "scared|terrified|frightened|afraid|fear *2 for my|her|his life",
        "bleed|bleeding|unconscious|collapsed|injured",
        "call|ring|phone|send *2 police|999|ambulance|112|help|cops",
        "get *2 police|999|ambulance|cops",
        "need|want *1 ambulance",
        "need|want *1 police|999|cops|help now|quick|quickly|urgently|asap|here|please|immediately|right_now",
    )),
    _Rule(DANGER, (
        "~help @ME? please|now|quick|quickly|urgently|asap|someone|somebody|help",
        "~help @ME? @SUBJ3",
        "come|get_here quick|quickly|fast|asap|immediately|right_now",
        "please hurry",
        "please ~help @ME?",
        "need help now|urgently|quick|quickly|asap",
    ), not_before=("with", "to", "answer", "understand", "fill", "sort", "find", "make", "write", "read",
                   "decide", "get", "do", "shop", "shopping")),
    _Rule(DANGER, ("someone|somebody help",), not_before=(
        "me", "us", "with", "to", "answer", "understand", "fill", "sort", "find", "make", "get", "do", "my")),
    # --- self-harm -------------------------------------------------------------------------
    _Rule(SELF_HARM, (
        "want|wanna|wish|ready|going|gonna|like *1 to? die|dead",
        "wish *2 dead|gone|never_born",
        f"kill|hurt|harm|cut|hang|drown|poison|burn|starve|end|stab|strangle {_SELF}",
        "self harm|harming|injure|injury",
        "selfharm|suicide|suicidal|overdose|overdosed|od",
        "end|ending *1 it_all|my_life|her_life|his_life|their_life|my_own_life|it_now",
        "take|taking *1 my_life|my_own_life|her_own_life|his_own_life|her_life|his_life|their_own_life",
        f"swallow|swallowed|take|took|taken|had|necked|eat|ate *3 {_LOTS} *4 {_PILLS}",
        "end|ending it tonight|today|now|soon|tomorrow",
        f"i {_BE_NOW} *2 on|at|by|near the? bridge|ledge|roof|edge|cliff|tracks|railway|motorway",
        "jump|throw|threw *1 myself|herself|himself? *3 off|front|bridge|train|cliff|window|road",
    )),
    _Rule(SELF_HARM, (
        "going|gonna|might|may|will|~'ll|want|wanna|could *2 do *1 something stupid|silly|daft",
        "enough of life|living|it_all|everything|being_alive",
        "i|~'ve|have|got|bought *2 a|some? rope|noose|ligature",
        "rope|noose|ligature round|around my neck",
    )),
    _Rule(SELF_HARM, (
        f"swallow|swallowed|take|took|taken|had|necked *3 #NUM *3 {_PILLS}",
    ), big_number=True),
    _Rule(SELF_HARM, (
        "take|took|taken|swallow|swallowed|neck them|it|the|every|all all|lot|one",
    ), needs=frozenset({"pill", "tablet", "meds", "medication", "paracetamol", "painkiller"})),
    _Rule(SELF_HARM, (
        "point *3 carry|carrying|go|going|live|living|life|anything|trying|being|on|it_all|me",
        "better off *2 without_me|dead|gone",
        "not want|wanna to? live|exist|wake|be_alive|be_around_anymore|be_here_anymore",
        "not want|wanna to? go_on|carry_on *1 living|anymore|any_more|like_this|with_life|any_longer",
        "not want|wanna to? be here|around|alive *1 anymore|any_more|no_more|any_longer",
        "not go_on|carry_on|cope|take_it|take_this|take_any_more|take_anymore|do_this_anymore "
        "*2 like|anymore|any|living",
        "nothing *1 to live for",
        "sleep *3 not|never wake|wake_up",
        "go_to_sleep|sleep forever",
        "want|wish|wanna *2 it_all|everything|life|my_life to end|be_over",
        "want|wanna|wish|like *2 to? disappear|vanish|sleep_forever|never_wake_up",
        "disappear|vanish forever|for_good",
        "care|matter if|whether i|we live|die|am_dead|was_dead",
        "no_one|nobody|noone would|will|~'d *1 miss|care|notice *1 @ME?",
        "not *1 worth living|it|being_here|going_on|being_alive",
        "feel|feeling like *1 end|ending|die|dying|giving_up|killing_myself",
        "give up on life|living|everything",
        "tired of living|life|being_alive",
    ), absorb=True),
)

# Words that put a hit in the past, a hope, or an ordinary visit (lemmas unless noted).
_PAST_PATTERNS: Tuple[str, ...] = (
    "ago",
    "used to",
    "use to",
    "last week|month|year|time|christmas|summer|winter|spring|autumn|weekend",
    "when i|we ~was|~were",
    "as a child|kid|teenager|girl|boy",
    "grow|growing up",
    "in the past",
    "back then",
    "previously",
    "long time",
    "before @SUBJ3 leave|left|move|moved|die|died|go|went",
    "year|years|month|months ago|back",
    "had stopped",
    "not recently|lately",
    "a_couple_of|a_few|several|many times",
    "once_or_twice",
    # not now either: "when the time comes" (hypothetical, not present)
    "when the|my time come|comes",
    "in|during #YEAR",
    "one day|eventually",
)
_NOW_WORDS: FrozenSet[str] = frozenset(
    """now tonight today morning afternoon evening just moment currently again soon minute here outside
    downstairs upstairs door window inside scared terrified frightened afraid petrified help please angry
    drunk drink drinking aggressive furious raging threaten hurt hit kill knife weapon quick quickly urgent
    emergency 999 police way""".split()
)
_NEGATIONS: FrozenSet[str] = frozenset({"not", "never", "no", "nobody", "nothing", "noone", "neither", "nor"})
_HOPES: FrozenSet[str] = frozenset({"want", "wish", "hope", "like", "prefer", "rather", "should", "ought"})
_BENIGN: FrozenSet[str] = frozenset(
    """typing type visit visiting tea fix fixing cook cooking garden washing shopping support
    advocate lunch dinner breakfast sunday birthday christmas chat chatting read reading cuppa lovely
    nice kind good""".split()
)
_BOUNDARY_LEMMAS: FrozenSet[str] = frozenset({"but", "and", "because", "so", "though", "although", "whereas", "cos"})
_BOUNDARY_TEXT: FrozenSet[str] = frozenset({".", ",", "!", "?", ";", ":", "-", "\n"})
_SUBJECTS: FrozenSet[str] = frozenset({"i", "he", "she", "they", "we", "you"})
_STRONG_NOW: FrozenSet[str] = frozenset({"now", "today", "tonight", "just", "currently", "morning", "again"})
_RESOLVED: FrozenSet[str] = frozenset({"arrest", "arrested", "convict", "convicted", "prison", "jail", "sentence",
                                        "sentenced", "court"})
_SHORT_TIMES: FrozenSet[str] = frozenset({"minute", "minutes", "min", "mins", "hour", "hours", "second", "seconds",
                                          "moment", "moments", "hr", "hrs", "sec", "secs"})
_REPORTED: FrozenSet[str] = frozenset({"told", "reported", "explained", "mentioned", "admitted", "described"})
_ANIMALS: FrozenSet[str] = frozenset({"cat", "dog", "kitten", "puppy", "pet", "budgie", "horse", "parrot", "bird"})
_ACCIDENT: FrozenSet[str] = frozenset({"accident", "accidentally", "work", "football", "rugby", "match", "game",
                                       "playing", "telly", "tv", "film", "programme"})
_CRY_WORDS: FrozenSet[str] = frozenset(
    "help me please sos someone somebody now quick quickly mayday hurry urgent emergency fast asap us".split()
)
_CRY_CORE: FrozenSet[str] = frozenset({"help", "sos", "mayday", "hurry", "emergency", "urgent"})
_FEARED_THINGS_OK: FrozenSet[str] = frozenset(
    """him her them he she they going getting being life his their man woman people someone
    somebody son daughter husband wife partner dad mum father mother brother sister carer carers staff
    neighbour ex boyfriend girlfriend family nephew grandson what's""".split()
)
_FEAR_LEMMAS: FrozenSet[str] = frozenset(
    {"scare", "scared", "terrified", "frighten", "frightened", "afraid", "petrified", "panic", "panicking"}
)
_HARM_WORDS: FrozenSet[str] = frozenset(
    """hurt hit kill die dead come back home attack beat harm stab knife find catch get happen go""".split()
)
_WORD_NUMBERS: Dict[str, int] = {
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30,
    "forty": 40, "fifty": 50, "hundred": 100, "dozen": 12,
}


@functools.lru_cache(maxsize=1)
def _matchers() -> Tuple[Matcher, Matcher]:
    """Build the danger and past-cue matchers once per process."""
    rules: Dict[str, Sequence[str]] = {f"R{i}": rule.patterns for i, rule in enumerate(RULES)}
    return build_matcher(rules), build_matcher({"PAST": _PAST_PATTERNS})


def _clause(doc: Doc, start: int, end: int) -> Tuple[int, int]:
    """The clause around doc[start:end]: up to the nearest punctuation or 'but'/'and'/'because'."""
    cs = start
    while cs > 0 and not _is_boundary(doc, cs - 1):
        cs -= 1
    ce = end
    while ce < len(doc) and not _is_boundary(doc, ce):
        ce += 1
    return cs, ce


def _is_boundary(doc: Doc, i: int) -> bool:
    """Clause boundary token: punctuation or a joining word."""
    token = doc[i]
    return token.text in _BOUNDARY_TEXT or token.lemma_ in _BOUNDARY_LEMMAS


def _is_negation(doc: Doc, i: int) -> bool:
    """A negation that negates ("no, he's here" and "not sure" do not)."""
    token = doc[i]
    if token.lemma_ not in _NEGATIONS:
        return False
    nxt = doc[i + 1].lower_ if i + 1 < len(doc) else ""
    if token.lower_ == "no" and nxt in {"he", "she", "they", "i", "he's", "she's", "it", "please", "help", ""}:
        return False
    if nxt in {"sure", "certain", "know", "idea"}:
        return False
    if token.lemma_ == "not" and i > 0 and doc[i - 1].lemma_ == "do" and nxt == "know":
        return False
    return True


def _number(token_text: str) -> Optional[int]:
    """Numeric value of "20" or "twenty", else None."""
    if token_text.isdigit():
        return int(token_text)
    return _WORD_NUMBERS.get(token_text)


def _suppressed(doc: Doc, rule: _Rule, start: int, end: int, past: List[Tuple[int, int]]) -> bool:
    """Is this hit made safe by negation, the past, a hope, a stop, or an ordinary visit?"""
    cs, ce = _clause(doc, start, end)
    # The past: a past cue anywhere in the clause, or in a very short clause right after it.
    after_end = ce
    if ce < len(doc) and doc[ce].text in _BOUNDARY_TEXT:
        nxt_s, nxt_e = _clause(doc, ce + 1, ce + 1) if ce + 1 < len(doc) else (ce, ce)
        if nxt_e - nxt_s <= 3:
            after_end = nxt_e
    if any(cs <= ps and pe <= after_end for ps, pe in past):
        return True
    if ce - 1 >= end and doc[ce - 1].lower_ == "before":  # "I've been hurt before"
        return True
    if not rule.absorb:
        if any(_is_negation(doc, i) for i in range(start, end)):
            return True
        # A negation before the match counts unless a new subject starts in between
        # ("I can't get out, he's locked the door" is two statements).
        for i in range(max(cs, start - 4), start):
            if _is_negation(doc, i) and not any(doc[j].lower_ in _SUBJECTS for j in range(i + 1, start + 1)):
                return True
        # "I don't think I'm in danger": a negated opinion verb earlier in the clause.
        for i in range(cs, start - 1):
            if _is_negation(doc, i) and doc[i + 1].lemma_ in {"think", "believe", "reckon", "feel"}:
                return True
    if rule.kind == DANGER:
        for i in range(max(cs, start - 3), start + 1):
            if doc[i].lemma_ in _HOPES and i < start:
                return True
        # "he stopped hitting me", "I want him to stop hitting me" (but not a shouted "stop hitting me").
        for i in range(max(cs, start - 2), start + 1):
            if doc[i].lemma_ in {"stop", "quit"} and (
                doc[i].lower_ in {"stopped", "stops"} or (i > 0 and doc[i - 1].lower_ == "to")
            ):
                return True
    if rule.violence and _story_or_animal(doc, cs, start):
        return True
    if rule.presence:
        if any(t.lemma_ in _BENIGN or t.lower_ in _BENIGN or _is_helping(doc, t.i) for t in doc[cs:ce]):
            return True
    return False


def _story_or_animal(doc: Doc, cs: int, start: int) -> bool:
    """ "they arrested him", "my cat scratched me", "hurt at work": violence that is not danger now.

    A clear "now" word in the clause ("today", "right now", "just") keeps the alarm.
    """
    ce = _clause(doc, start, start + 1)[1]
    if any(t.lower_ in _STRONG_NOW for t in doc[cs:ce]):
        return False
    if any(t.lemma_ in _RESOLVED for t in doc):
        return True
    before = doc[max(cs, start - 3):start]
    if any(t.lower_ in _REPORTED for t in doc[cs:start]):  # "I told the police he hit me"
        return True
    return any(t.lemma_ in _ANIMALS for t in before) or any(t.lemma_ in _ACCIDENT for t in doc[cs:ce])


def _is_helping(doc: Doc, i: int) -> bool:
    """ "here to help me", "helping me type", "help with": help given, not a cry for help."""
    token = doc[i]
    if token.lemma_ != "help":
        return False
    before = doc[i - 1].lemma_ if i > 0 else ""
    after = doc[i + 1].lemma_ if i + 1 < len(doc) else ""
    return token.lower_ in {"helping", "helps"} or before in {"to", "will", "can"} or after in {"with", "out"}


def _fear_of_a_thing(doc: Doc, start: int, end: int) -> bool:
    """ "scared of spiders", "scared of what might happen", "scared I'll forget": not fear of harm.

    Fear followed by "of ..." or "I ..." only counts when a person or a harm
    word follows ("scared of him", "scared I'll get hurt").
    """
    if not any(t.lemma_ in _FEAR_LEMMAS for t in doc[start:end]) or end >= len(doc):
        return False
    nxt = doc[end].lower_
    if nxt not in {"of", "i", "that", "about"}:
        return False
    following = doc[end + 1:end + 7]
    if nxt == "of" and len(following) and following[0].lower_ == "what":
        following = doc[end + 2:end + 5]
        return not any(t.lower_ in _FEARED_THINGS_OK for t in following)
    return not any(
        t.lower_ in _FEARED_THINGS_OK or t.lemma_ in _FEARED_THINGS_OK or t.lemma_ in _HARM_WORDS for t in following
    )


def _recent(doc: Doc, start: int, end: int) -> bool:
    """ "a minute ago", "an hour ago": recent, so not a reason to stand down."""
    return doc[end - 1].lower_ == "ago" and end >= 2 and doc[end - 2].lemma_ in _SHORT_TIMES


def _has_now_cue(doc: Doc, start: int, end: int) -> bool:
    """An immediacy or fear word somewhere in the message outside this match."""
    return any(
        (t.lemma_ in _NOW_WORDS or t.lower_ in _NOW_WORDS) for i, t in enumerate(doc) if not start <= i < end
    )


def _whole_message_help(doc: Doc) -> Optional[DangerSignal]:
    """ "help", "help!!", "sos", "please hurry": a cry for help on its own."""
    words = [t.lower_ for t in doc if not t.is_punct]
    if words and set(words) <= _CRY_WORDS and set(words) & _CRY_CORE:
        return DangerSignal(kind=DANGER, phrase=" ".join(words))
    return None


def detect_danger(text: str) -> Optional[DangerSignal]:
    """The first sign of present danger or self-harm in the message, or None."""
    if not text or not text.strip():
        return None
    doc = make_doc(text)
    cry = _whole_message_help(doc)
    if cry:
        return cry
    rules_matcher, past_matcher = _matchers()
    past = [(s, e) for _, s, e in match_spans(past_matcher, doc) if not _recent(doc, s, e)]
    for key, start, end in match_spans(rules_matcher, doc):
        rule = RULES[int(key[1:])]
        if rule.not_before and end < len(doc) and doc[end].lemma_ in rule.not_before:
            continue
        if rule.big_number and not any((_number(t.lower_) or 0) >= 8 for t in doc[start:end]):
            continue
        if rule.needs_now and not _has_now_cue(doc, start, end):
            continue
        if rule.needs and not any(t.lemma_ in rule.needs for t in doc):
            continue
        if _fear_of_a_thing(doc, start, end):
            continue
        if _suppressed(doc, rule, start, end, past):
            continue
        return DangerSignal(kind=rule.kind, phrase=doc[start:end].text)
    return None


# --- the decision: clear danger, possible danger, or none ---------------------------------
CLEAR = "clear"
POSSIBLE = "possible"
NONE = "none"
DANGER_INTENT = "danger"
MODEL_UNSURE = 0.5


@dataclass(frozen=True)
class DangerReading:
    level: str
    signals: Tuple[DangerSignal, ...] = ()


def assess_danger(text: str) -> DangerReading:
    signal = detect_danger(text)
    return DangerReading(CLEAR, (signal,)) if signal else DangerReading(NONE)


def decide(reading: DangerReading, intent: Optional[str], confidence: float) -> str:
    """Rules sure: clear. Rules unsure, or the model alone says danger: possible (the gentle check)."""
    if reading.level in (CLEAR, POSSIBLE):
        return reading.level
    if intent == DANGER_INTENT and confidence >= MODEL_UNSURE:
        return POSSIBLE
    return NONE
