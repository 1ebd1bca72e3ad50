"""Recognise answers to the assistant's closed questions (consent, role, safe now, ...).

Why ordered regex rules over the normalised text: answers are short, and the
order of checks carries the meaning ("not sure" is not "no", "not really" is
"no", "no idea" is "don't know", "yes and no" is "partly"). A list of
(value, patterns) checked top to bottom says that plainly; token matching
would add nothing for two- or three-word replies. Values come from
constants.ANSWER_KINDS; None means "unclear, ask again".
"""

import functools
import re
from pathlib import Path
from typing import Dict, List, Optional, Pattern, Sequence, Tuple

import yaml

from bot.constants import (
    ALREADY_HAVE,
    ANSWER_KINDS,
    DECLINED,
    DONT_KNOW,
    FULLY,
    LATER,
    NO,
    NOT,
    NOT_SURE,
    PARTLY,
    ROLE_ADVOCATE,
    ROLE_FAMILY_FRIEND,
    ROLE_PERSON,
    YES,
)
from bot.language.normalise import normalise

# Building blocks (regex alternations over normalised, punctuation-free text).
_YES = (
    r"yes|ok|sure|of course|course|definitely|absolutely|certainly|totally|alright|all right|aye|"
    r"go on then|go ahead|go for it|yes please|i do|i did|i have|i am|i will|it did|it has|it was|they did|"
    r"they have|they were|you did|you have|correct|true|that's right|indeed|for sure|100|i think so|"
    r"i guess so|i suppose so|i reckon so|why not|no problem|no worries|no bother|happy to|sounds good|"
    r"fine|please|yes i am|i would|i'd like that|that's fine|that's ok|good|great|👍|thumbs up"
)
_DONT_KNOW = (
    r"don't know(?! (?:why|how|if|whether))|do not know(?! (?:why|how|if|whether))|dunno|no idea|not sure|not (?:really|too|so|totally|entirely|very) sure|unsure|can't say|cannot say|can't tell|hard to say|"
    r"too early|too soon|not certain|no clue|can't remember|don't remember|who knows|not yet sure|"
    r"don't really know|difficult to say|haven't decided|not decided|couldn't tell you|can't tell you|couldn't say"
)
_PARTLY = (
    r"partly|partially|part of it|in part|a bit|a little|little bit|kind of|sort of|somewhat|some of it|"
    r"some of them|some|half|halfway|yes and no|in some ways|some ways|to some extent|to an extent|mostly|"
    r"most of it|not completely|not fully|not entirely|not totally|not all|not quite|not always|"
    r"more or less|getting there|slightly|so so|sometimes|up to a point|in a way|partway|almost|nearly|"
    r"not too bad|not bad|could be better|ish|a fair bit|bits of it|here and there"
)
_NO = r"no|never|not really|not at all|no way|absolutely not|definitely not|of course not|nothing|none|👎"
_DECLINED = (
    r"skip|skip it|skip this|skip that|pass|rather not|prefer not|not say|don't want to say|"
    r"don't want to answer|do not want to answer|do not want to say|won't say|won't answer|no comment|"
    r"next question|move on|not answering|not telling|decline|don't wish to|mind your own|private|"
    r"none of your business|leave that one|leave it out"
)

Rule = Tuple[Optional[str], Sequence[str]]

# Per kind, (value, patterns) checked in order; the first match wins. A None value means
# "this is unclear on purpose" (e.g. "yes and no" to a consent question).
_RULES: Dict[str, List[Rule]] = {
    "consent": [
        (LATER, [r"\b(later|not now|not right now|not at the moment|not yet|another time|other time|"
                 r"another day|tomorrow|next week|in a bit|in a while|not today|when i'm ready|come back|"
                 r"give me a (minute|moment|second)|busy|not a good time|bad time|can't (talk )?right now|"
                 r"maybe later|some other time|after|give me (half )?an hour|give me (a few|ten|five|\d+) minutes|"
                 r"when (my|the) \w+('s| is) (here|home|back)|when (my|the) \w+ (comes|gets here|arrives))\b"]),
        (None, [r"\byes and no\b", r"^maybe$", r"^(i )?(don't|do not) know\b"]),
        (NO, [r"\b(no|never|no thanks|not interested|rather not|don't want to|do not want to|not for me|"
              r"leave me alone|i won't|don't|do not|stop|go away|get lost|clear off|sod off|piss off|bugger off|"
              r"get away|leave it|no way|not a chance|not likely|forget it)\b", r"\b" + r"(" + _NO + r")\b"]),
        (YES, [r"\b(" + _YES + r"|let's go|let's do it|ready|i agree|agree|happy|go|yes i will)\b"]),
    ],
    "role": [
        (ROLE_ADVOCATE, [r"\b(advocate|advocacy|imca|imha|icaa?|support worker|key worker|care worker|"
                         r"paid carer|social worker|professional|care manager|nurse|keyworker|"
                         r"speaking for (him|her|them) as|appointed)\b"]),
        (ROLE_FAMILY_FRIEND, [r"\b(daughter|son|mum|mother|mom|mam|mummy|dad|father|daddy|wife|husband|"
                              r"partner|sister|brother|niece|nephew|aunt|auntie|aunty|uncle|cousin|grandson|"
                              r"granddaughter|grandchild|grandchildren|grandma|grandmother|grandad|grandpa|"
                              r"grandfather|nan|nana|nanna|gran|granny|stepson|stepdaughter|step mum|stepmum|"
                              r"step dad|stepdad|in law|family|relative|relation|friend|mate|neighbour|carer|"
                              r"fiance|fiancee|girlfriend|boyfriend|godson|goddaughter|sibling|parent|child|"
                              r"kid|pal|next of kin)s?\b"]),
        (None, [r"\b(someone else|somebody else|helping|on behalf|for someone|for somebody|speaking for|"
                r"representing|not me|isn't me|it's not me|not sure|don't know)\b"]),
        (ROLE_PERSON, [r"\b(me|myself|it's me|it is me|i am|i'm|the person|person it happened to|"
                       r"happened to me|about me|mine|me personally|yes me|this is me|my own|for me)\b"]),
    ],
    "safe": [
        (YES, [r"^(i )?(suppose|guess|reckon) so\b"]),
        (NOT_SURE, [r"\b(" + _DONT_KNOW + r"|sort of|kind of|kinda|sometimes|maybe|not always|mostly|"
                    r"ish|possibly|perhaps|hard to tell|might be|could be|not sure|"
                    r"most of the time|depends|it depends|on and off|yes and no|a bit|a little|not entirely|"
                    r"not completely|not totally|so so|i guess|i suppose|partly|it varies|some days|"
                    r"think so but|not 100|mostly yes)\b"]),
        (YES, [r"\b(not in danger|no danger|not scared|not afraid|not frightened|no one('s| is)? here|"
               r"nobody('s| is)? here|(he|she|they)('s| is| are|'re| has| have|'ve) gone|"
               r"(he|she|they)('s| is| are|'re) not here|(he|she|they) (isn't|aren't) here|not here now|"
               r"i'm safe|i am safe|i feel safe|safe now|all good|i'm fine|i am fine|i'm ok|i am ok|"
               r"i'm alright|i am alright|on my own now|no problems?|no worries|"
               r"(he|she|they)('s| is| are|'re| has| have|'ve) (gone )?out|(he|she|they)('s| is| are|'re) at work|"
               r"(he|she|they)('s| is| are|'re) not (in|home|here))\b"]),
        (NO, [r"\bnot in (this|my|the|our) (house|flat|home|place|room)\b",
              r"\b(no|never|not really|not safe|unsafe|not at all|scared|frightened|afraid|terrified|"
              r"petrified|danger|help|help me|(he|she|they)('s| is| are|'re) (here|there|back|outside|"
              r"coming)|hitting|shouting|hurting|threatening|at the door|outside|coming back|"
              r"don't feel safe|do not feel safe|not (ok|fine|good|alright))\b"]),
        (YES, [r"\b(" + _YES + r"|safe|i feel ok|i'm good|yes i am|all fine)\b"]),
    ],
    "advocate": [
        (ALREADY_HAVE, [r"\b(already (have|got|has)|i've got one|i have one|got one already|have one already|"
                        r"(have|got|has) an advocate|my advocate|(his|her|their) advocate|advocate is here|"
                        r"advocate's here|(he|she|they) (has|have|'s got|'ve got) one|i'm (his|her|their|an|the) "
                        r"advocate|i am (his|her|their|an|the) advocate|(got|have) someone already|"
                        r"already (have|got) someone|someone (already )?helps me|my \w+ helps me|i've already|"
                        r"my (\w+ ){1,3}advocate|(i've|i have|she's|he's|they've) had one|already does that|"
                        r"already helps)\b"]),
        (None, [r"\b(not sure|don't know|dunno|what is (an|a) advocate|what's an advocate|maybe|yes and no)\b"]),
        (NO, [r"\b(not really|no|never|don't need|do not need|not needed|no need|not necessary|i'm fine|i'm ok|"
              r"i am ok|i'm alright|i can manage|manage on my own|by myself|not for now|no thanks|rather not|"
              r"don't want|do not want)\b"]),
        (YES, [r"\b(" + _YES + r"|i suppose|i guess|i'd like one|i would like one|that would help|that would be good|"
               r"i need one|get me one|i want one|i'd like that|could do|would help|need help|please do)\b"]),
    ],
    "confirm": [
        (NO, [r"\b(not quite|not right|not really|not exactly|not correct|wrong|incorrect|that's not|"
              r"that isn't|not what i (said|meant)|you missed|missed|change|forgot|left out|almost|nearly|"
              r"not all|not true|mistake|mixed up|muddled|not everything|something else|add)\b"]),
        (YES, [r"\b(" + _YES + r"|i suppose|i guess|spot on|exactly|perfect|that's it|sounds right|that's correct|right|"
               r"all correct|all good|yes that's everything|bang on|you got it|you've got it|"
               r"that's what i (said|want|meant)|that's everything|got it right|you're right)\b"]),
        (NO, [r"\b(" + _NO + r"|nope|not|don't)\b"]),
    ],
    "carry_on": [
        (YES, [r"\b(let's finish|finish it off|get it done|crack on|keep at it|push on|let's get it finished|"
               r"might as well finish)\b"]),
        (NO, [r"\bno more\b",
              r"\b(don't|do not|not|no) (want to |wanna )?(carry on|continue|keep going|go on)\b",
              r"\b(stop|pause|break|enough|later|not now|another time|finish|done|tired|can't do (this|any ?more)|"
              r"come back|leave it|bye|goodbye|have to go|got to go|need to go|rest|not today|not right now|"
              r"had enough)\b"]),
        (None, [r"\b(yes and no|not sure|don't know|maybe)\b"]),
        (YES, [r"\b(carry on|keep going|go on|continue|next|let's go|let's do it|ready|i'm ok|i'm fine|"
               r"i'm alright|fine|more|" + _YES + r")\b"]),
        (NO, [r"\b(" + _NO + r"|not)\b"]),
    ],
    "achieved": [
        (DONT_KNOW, [r"\b(" + _DONT_KNOW + r")\b",
                     r"\b(nobody('s| has)|no one('s| has)|no one has|nobody has) told me\b",
                     r"\b(haven't|have not|not) been told\b"]),
        (PARTLY, [r"\b(" + _PARTLY + r"|only partly|partly yes|a bit yes)\b"]),
        (NOT, [r"\b(" + _NO + r"|didn't|did not|hasn't|has not|haven't|wasn't|not|no change|still|"
               r"worse|got worse|nowt)\b"]),
        (FULLY, [r"\b(" + _YES + r"|fully|completely|all of it|everything|it did|it has|definitely|"
                 r"happened|sorted|done|achieved|got it|got what i wanted|very much|so much|brilliant|"
                 r"perfect|totally)\b"]),
    ],
    "feedback": [
        (DECLINED, [r"\b(" + _DECLINED + r")\b"]),
        (DONT_KNOW, [r"\b(" + _DONT_KNOW + r")\b"]),
        (PARTLY, [r"\b(" + _PARTLY + r")\b"]),
        (NO, [r"\b(" + _NO + r"|didn't|did not|wasn't|weren't|haven't|hasn't|don't|do not|not|worse|less|"
              r"nowt)\b"]),
        (YES, [r"\b(" + _YES + r"|very much|a lot|loads|definitely|i did|i do|they did|you did|it did|"
               r"happier|safer|better|brilliant|lovely|really|completely|fully|so much|always)\b"]),
    ],
}

_COMPILED: Dict[str, List[Tuple[Optional[str], List[Pattern[str]]]]] = {
    kind: [(value, [re.compile(p) for p in patterns]) for value, patterns in rules]
    for kind, rules in _RULES.items()
}
assert set(_COMPILED) == set(ANSWER_KINDS)
assert all(v is None or v in ANSWER_KINDS[k] for k, rules in _RULES.items() for v, _ in rules)


def _clean(text: str) -> str:
    """Normalised text with punctuation turned into spaces (apostrophes kept)."""
    out = normalise(text)
    out = re.sub(r"[^\w'\s👍👎]", " ", out)
    return re.sub(r"\s+", " ", out).strip()


def _match(clean: str, kind: str) -> Optional[str]:
    for value, patterns in _COMPILED[kind]:
        if any(p.search(clean) for p in patterns):
            return value
    return None


# Checked on the whole message before the answer it leads with: some and not others is "partly".
_MIXED = re.compile(
    r"\b(did|was|were|has|have|does|do)\b[\s,;]+\w.*\b(didn't|wasn't|weren't|hasn't|haven't|doesn't|don't)\b"
    r"|\b(didn't|wasn't|weren't|hasn't|haven't|doesn't|don't)\b[\s,;]+\w.*\b(did|was|were|has|have|does|do)\b\W*$"
)
_MIXED_KINDS = {"feedback": PARTLY, "achieved": PARTLY}
# "yeah no": a British "no".
_YEAH_NO = re.compile(r"^(yes|yeah),? no\b")
_BARE = re.compile(r"^(yes|yeah|yep|no|nope|nah|ok|okay|well|oh|um|erm)( (yes|no|well|oh))*$")
_MORE_EXACT = frozenset({LATER, PARTLY, DONT_KNOW, NOT_SURE, DECLINED})
_LEAD_SPLIT = re.compile(r"[,.;:!?]+|\s+-\s+|\bbut\b|\.\.\.")


def recognise_answer(text: str, kind: str) -> Optional[str]:
    """The answer value for a question of this kind, or None when it is unclear.

    The answer a person leads with wins ("yes but can we stop if I get upset"
    is a yes; "partly, but I don't know if it'll last" is partly). When the
    first part says nothing, the last part may ("don't know... ok yes").
    Only "do you feel safe?" is read whole: there, any worry must count.
    """
    if kind not in _COMPILED:
        raise KeyError(f"unknown answer kind: {kind!r}")
    norm = _YEAH_NO.sub("no", normalise(text))
    clean = _clean(norm)
    if not clean:
        return None
    if kind in _MIXED_KINDS and re.search(r"\b(did|was|were|has|have|does|do)\s*(,|\bbut\b)", norm) and _MIXED.search(
            re.sub(r"[^\w',;\s]", " ", norm)):
        return _MIXED_KINDS[kind]
    if kind != "safe":
        parts = [_clean(p) for p in _LEAD_SPLIT.split(norm) if _clean(p)]
        if len(parts) > 1:
            first = _match(parts[0], kind)
            if first is not None and _BARE.match(parts[0]):
                # "no, not today": a bare yes or no, then something more exact, which wins.
                rest = _match(" ".join(parts[1:]), kind)
                if rest in _MORE_EXACT:
                    return rest
            if first is not None:
                return first
            last = _match(parts[-1], kind)
            if last is not None:
                return last
    return _match(clean, kind)


# --- "nothing more" and "not sure": the whole message must be such a phrase (plus fillers) ---

_NOTHING_MORE_PHRASES: Tuple[str, ...] = (
    "no", "nothing", "nothing else", "nothing more", "no more", "that's all", "that is all", "that's it",
    "that is it", "that's everything", "that is everything", "all done", "i'm done", "done", "finished",
    "no thanks", "no thank you", "not really", "none", "that will do", "that'll do", "that's enough",
    "enough", "nothing to add", "can't think of anything else", "nothing further", "no others", "no other",
    "not anything else", "nowt else", "nowt", "that's about it", "that's all i want", "that's all i can think of",
    "nothing i can think of", "i think that's it", "i think that's all", "i'm finished", "all good",
    "no that's it", "no that's all", "nothing else i can think of", "that's me", "that's it really",
    "not that i can think of", "no ta", "no comment", "no comments", "rather not comment", "i'd rather not comment",
    "nothing to say", "nothing to add thanks", "no thank you nothing",
)
_NOT_SURE_PHRASES: Tuple[str, ...] = (
    "not sure", "unsure", "don't know", "do not know", "dunno", "no idea", "can't think", "cannot think",
    "can't decide", "cannot decide", "haven't decided", "not decided", "need to think", "need time to think",
    "need more time", "no clue", "hard to say", "not certain", "don't really know", "who knows", "can't say",
    "confused", "haven't thought", "not thought", "never thought", "don't even know", "can't make up my mind",
    "i'm lost", "not got a clue", "no i don't know", "couldn't tell you", "can't tell you", "couldn't say", "can't think of anything", "mind is blank",
    "not really sure", "haven't a clue", "haven't got a clue", "not a clue", "i have no idea",
)
_FILLERS: Tuple[str, ...] = (
    "thanks", "thank you", "cheers", "ta", "really", "just", "i think", "think", "ok", "so", "yes", "um",
    "erm", "er", "uh", "well", "for now", "at the moment", "right now", "please", "honestly", "love",
    "i'm fine", "sorry", "i guess", "oh", "hmm", "x", "xx", "i", "i'm", "im", "to be honest", "tbh",
    "actually", "anyway", "mate", "pal", "for today",
)
_NOT_SURE_FILLERS: Tuple[str, ...] = _FILLERS + ("no",
    "what i want", "what to say", "what i'd like", "what i would like", "what i want to happen",
    "what should happen", "what to do", "what she wants", "what he wants", "what they want",
    "what she'd like", "what he'd like", "of anything", "anything", "yet", "about that", "about it", "about this",
    "still", "quite", "totally", "completely", "very", "at all", "maybe", "it", "that", "this", "now",
    "to be fair", "what i need", "what would help", "what", "either",
)


def _only_phrases(text: str, phrases: Sequence[str], fillers: Sequence[str]) -> bool:
    """True when the text is one or more of the phrases plus filler words, and nothing else."""
    clean = " " + _clean(text) + " "
    if not clean.strip():
        return False
    found = False
    for phrase in sorted(phrases, key=len, reverse=True):
        pattern = " " + phrase + " "
        while pattern in clean:
            clean = clean.replace(pattern, "  ", 1)
            found = True
    if not found:
        return False
    for filler in sorted(fillers, key=len, reverse=True):
        pattern = " " + filler + " "
        while pattern in clean:
            clean = clean.replace(pattern, "  ", 1)
    return not clean.strip()


def is_nothing_more(text: str) -> bool:
    """ "no", "nothing else", "that's all": the person has no more wishes to add."""
    return _only_phrases(text, _NOTHING_MORE_PHRASES, _FILLERS)


def is_not_sure(text: str) -> bool:
    """ "not sure", "don't know what I want", "idk": the person cannot say yet (not a refusal)."""
    return _only_phrases(text, _NOT_SURE_PHRASES, _NOT_SURE_FILLERS)


# --- a plain yes to "are you safe?" (issue 15): the only way a typed answer is taken as safe ---

PLAIN_YES_FILE = Path(__file__).with_name("patterns") / "plain_yes.yml"


@functools.lru_cache(maxsize=1)
def _plain_yes() -> Tuple[Tuple[str, ...], Tuple[str, ...]]:
    data = yaml.safe_load(PLAIN_YES_FILE.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or set(data) != {"plain_yes", "fillers"}:
        raise ValueError(f"{PLAIN_YES_FILE.name} must hold exactly the keys plain_yes and fillers")
    return tuple(_clean(str(p)) for p in data["plain_yes"]), tuple(_clean(str(f)) for f in data["fillers"])


def is_plain_yes(text: str) -> bool:
    """ "yes", "I'm safe", "she's fine thanks": a yes and nothing else (no hedge, no worry, no question)."""
    if "?" in text:
        return False  # a question back is never a yes
    phrases, fillers = _plain_yes()
    return _only_phrases(text, phrases, fillers)
