"""Detect "repairs": when, instead of answering, a person wants to stop, asks what a question
means, asks why it is asked, asks for a human or an advocate, or declines to answer.

Why conservative, anchored rules: a missed repair costs one clarifying turn,
but a false one derails the conversation ("I want him to stop" is a wish, not
"stop the chat"; "I want someone to talk to about how I feel" is a wish, not a
request for a human now). So each rule must match the whole message, allowing
only polite fillers around it, or a phrase that cannot be a wish.
Note: "not now" is a stop here; the consent question asks recognise_answer first
and treats it as `later`.
"""

import re
from typing import List, Optional, Pattern, Tuple

from bot.constants import (
    REPAIR_ADVOCATE,
    REPAIR_DECLINE,
    REPAIR_EXPLAIN,
    REPAIR_HUMAN,
    REPAIR_STOP,
    REPAIR_WHY,
)
from bot.language.normalise import normalise

# Polite words allowed around a whole-message repair ("sorry, can we stop now please").
_PRE = (
    r"^(?:(?:sorry|ok|okay|um|erm|er|uh|hmm|please|actually|look|listen|no|oh|hang on|wait|sorry but|"
    r"i think|but|so|right|well|yes|yeah|hi|hello|excuse me|and)\s+)*"
)
_POST = (
    r"(?:\s+(?:please|now|thanks|thank you|sorry|for now|for today|for a bit|for a while|right now|then|ok|"
    r"bye|x|xx|at the moment|i'm sorry|mate|love|again|here|today|pls))*$"
)


def _whole(body: str) -> str:
    """A pattern for a message that is just `body` plus polite fillers."""
    return _PRE + r"(?:" + body + r")" + _POST


_PERSON = (
    r"(?:(?:a|an|the|my|some|real|actual|proper|live|her|his|their|our) )*"
    r"(?:person|human|human being|someone real|somebody real|real person|social worker|worker|"
    r"member of staff|someone from the council|somebody from the council|someone in person|"
    r"a person|manager|officer|duty worker|duty team|practitioner)"
)

_RULES: List[Tuple[str, List[str]]] = [
    (REPAIR_STOP, [
        _whole(r"stop|pause|quit|exit|end|enough|finish|halt|stop it|stop this|stop talking|stop the chat|"
               r"stop asking|no more questions|not now|not today|not right now|later|another time|bye|goodbye|"
               r"good bye|gotta go|got to go|have to go|i have to go|i've got to go|i need to go|i must go|"
               r"i gotta go|i'm going|i've had enough|i have had enough|that's enough|enough for today|"
               r"enough for now|done for today|i'm done|i am done|i'm tired|i'm too tired|take a break|"
               r"i need a break|can we have a break|break please|come back later|i'll come back later|"
               r"i'll come back|leave it there|leave it for now|let's stop|lets stop|let's leave it there|"
               r"can we stop|could we stop|can we pause|can we finish|can we do this later|"
               r"can we do this another time|can we carry on later|can we continue later|"
               r"i can't do this|i can't do this now|i can't do this anymore|i can't do this right now|"
               r"i don't want to do this|i don't want to do this now|i don't want to do this anymore|"
               r"i don't want to talk|i don't want to talk now|i don't want to talk anymore|"
               r"i don't want to carry on|i don't want to continue|end the chat|close the chat|"
               r"end this|finish this|stop here|i need to stop|i want to stop|i'd like to stop|"
               r"i would like to stop|i wanna stop|stop now|pause it|pause this|hold on|"
               r"i want to stop talking|i want to stop now|i want to pause|i'd like to pause"),
        r"\b(can|could) we (stop|pause|finish|end)( this| here| now| it| the chat| for (now|today))?\b"
        r"(?!\s+(him|her|them|it from))",
        r"\b(i have to|i've got to|i gotta|got to|i need to|i must) go (now|sorry|bye|right now)\b",
        r"\b(brb|be right back|back in a (minute|mo|sec|bit)|give me a (minute|moment|sec|second))\b",
        r"\b(carry on|continue|do this|finish( this)?|talk) (another time|later|tomorrow|another day)\b",
        r"^(i'm|i am|im) (too |so |really )?tired( for this| now)?$",
        r"\b(enough for today|that's enough for (today|now)|no more questions|i need a break|"
        r"i'm too upset to (carry on|continue|talk))\b",
    ]),
    (REPAIR_WHY, [
        r"\bwhy (are|r) you asking\b", r"\bwhy (do|would|should) you (need|want) to know\b",
        r"\bwhy (do|did) you (ask|need|want)\b",
        r"\bwhy (is|are) (this|that|these|those) (important|needed|relevant)\b",
        r"\b(what's|what is|whats) (this|that|it|all this) for\b",
        r"\bwhat (do|will) you (need|want|use) (it|this|that) for\b",
        r"\bwho (will|can|would|is going to|gets to|'ll) (see|read|know|look at|find out|get)\b",
        r"\bwho (sees|reads|gets|looks at) (this|it|these|my)\b",
        r"\bwho('s| is) going to (see|read|know|look at|get)\b",
        r"\bwhy (does|would|should) (that|this|it) matter\b",
        r"\bwhat (will|are) you (going to )?do(ing)? with (this|that|it|my|the)\b",
        r"\bwhere (does|will|do) (this|it|these|my answers?) go\b",
        r"\bis (this|it) (private|confidential|secret|anonymous|recorded)\b",
        r"\bwill (he|she|they|my \w+) (find out|see this|see it|know|be told|read)\b",
        r"\bwhat happens (to|with) (my answers?|this|what i say)\b",
        _whole(r"why|why\?|why do you ask|why do you want to know|why you asking|why's that|what for|"
               r"how come|why do you need that|why does it matter|who's asking"),
    ]),
    (REPAIR_HUMAN, [
        r"\b(talk|speak|chat) (to|with) " + _PERSON + r"\b",
        r"\b(can|could|will) (someone|somebody|a person|you|my social worker|the social worker|a worker) "
        r"(please )?(ring|call|phone|text|contact|visit) me\b",
        r"^(please )?(can you |could you |can someone |could someone |just )?(ring|call|phone) me"
        r"( back)?( please| later| now| instead| tomorrow)*\??$",
        r"\b(want|need|like|rather) (a|an|to see a|to have a) (real |actual |proper )?(person|human)\b",
        r"\bare you (a )?(real|robot|bot|computer|machine|human|person|ai)\b",
        r"\b(is this|is it|am i talking to|am i speaking to|are you) (a |an )?(real |actual )?"
        r"(robot|bot|computer|machine|person|human|ai)\b",
        r"\b(you're|you are|your|ur|u r) not (a )?(real|human|person)\b",
        r"\b(not|don't want to talk to|don't want) (a )?(robot|bot|computer|machine)\b",
        r"\bi('d| would)? (rather|prefer to) (talk|speak) to (someone|somebody|a person)\b",
        r"^(can|could|may) i (please )?(talk|speak|chat) to (someone|somebody|anyone)"
        r"( about (this|it|that|all this|things))?( please)?\??$",
        _whole(r"(can|could|may) i (talk|speak) to (someone|somebody)|(get|put) me through to (someone|somebody)|"
               r"human|person|real person|a real person|operator|agent|speak to someone|talk to someone"),
    ]),
    (REPAIR_ADVOCATE, [
        r"\b(can|could) (someone|somebody|you|a person) help me (with this|with these|answer|to answer|"
        r"with the questions|say it|explain it)\b",
        r"\b(i )?need (some )?help (answering|to answer|with this|with these questions|with the questions|"
        r"to say|to understand this|filling this in)\b",
        r"\b(can|could|may) i (have|get|see|talk to|speak to|bring) (an|my|a) advocate\b",
        r"\b(i )?(want|need|would like|'d like) (an|my|a) advocate\b",
        r"\b(someone|somebody) on my side\b",
        r"\b(someone|somebody|a person) to (speak|talk) for me\b",
        r"\b(can|could) (someone|somebody|my \w+) (speak|talk|answer) for me\b",
        r"\b(can|could) my (daughter|son|mum|dad|wife|husband|partner|sister|brother|friend|carer|"
        r"support worker|key worker|advocate|nephew|niece) (help|be here|sit with me|answer|do this)\b",
        r"\bi (can't|cannot) do this (on my own|by myself|alone)\b",
        r"\bhelp me answer\b",
        r"\b(talk|speak) (to|with) (my|an|the) advocate\b",
    ]),
    (REPAIR_DECLINE, [
        _whole(r"skip|skip it|skip this|skip that|skip this one|skip that one|pass|next question|"
               r"i'd rather not|i would rather not|rather not|prefer not|i'd prefer not|i prefer not to say|"
               r"no comment|not telling|i'm not telling you|mind your own business|none of your business|"
               r"private|that's private|it's private|can we move on|let's move on|"
               r"i don't want to say|i don't want to answer|i'd rather not say|i'd rather not answer|"
               r"i'd prefer not to say|i'd prefer not to answer|rather not say|prefer not to say|"
               r"i won't answer that|i'm not answering that|i don't want to answer that|"
               r"i'd rather not talk about it|i'd rather not talk about that|can i skip this|"
               r"can i skip this one|can we skip this|can we skip that|i'll pass|i pass|no answer"),
        r"\b(rather|prefer) not (to )?(say|answer|tell|talk about (it|that|this))\b",
        r"\b(don't|do not) want to (answer|say)( that| this| it| anything)?( please| sorry| thanks)?$",
        r"\b(skip|pass on) (this|that) (one|question)\b",
        r"\b(don't|do not) want to (talk|speak) about (it|that|this)( now| please| sorry)?$",
    ]),
    (REPAIR_EXPLAIN, [
        _whole(r"what|what\?|eh|huh|pardon|sorry\?|come again|what do you mean|what does that mean|"
               r"what's that mean|what does this mean|what is that|what's that|what are you on about|"
               r"meaning|i don't understand|i do not understand|don't understand|i don't get it|"
               r"i don't follow|i'm confused|confused|i'm lost|lost|explain|explain please|can you explain|"
               r"say that again|say it again|repeat that|can you repeat that|i don't know what you mean|"
               r"i don't understand the question|what are you asking|too many words|too hard|"
               r"in plain english|simpler|simpler please|say it more simply|make it simpler|"
               r"can you say that more simply|can you say it in easier words|easier words please|"
               r"what's one of them|what's that mean then"),
        r"\bwhat (does|do) (that|this|it|you|those words|that word) mean\b",
        r"\bwhat do you mean\b",
        r"\b(don't|do not|can't|cannot) understand( it| that| this| the question| what you mean| you|"
        r" what you're asking| your question| what that means| the words| a word)?( sorry| please)?$",
        r"\b(don't|do not) (get|follow) (it|that|this|you|what you mean|the question)\b",
        r"\b(say|explain|put) (it|that|this) (more simply|simpler|in simple words|in easier words|"
        r"another way|differently|in plain english|in a different way)\b",
        r"\b(more simply|simpler words|easier words|plain english|easy read)\b",
        r"\bin (simple|simpler|easy|easier|plain|normal) (words|english|language)\b",
        r"\bwhat is an? (advocate|enquiry|inquiry|outcome|safeguarding|imca|section 42|s42)\b",
        r"\bwhat'?s an? (advocate|enquiry|inquiry|outcome|imca)\b",
        r"\b(too (hard|complicated|confusing)|(this|that|it) is confusing|(this|that|it)'s confusing)\b",
    ]),
]

_COMPILED: List[Tuple[str, List[Pattern[str]]]] = [(name, [re.compile(p) for p in pats]) for name, pats in _RULES]


def _clean(text: str) -> str:
    """Normalised text with punctuation (except ' and ?) turned into spaces."""
    out = normalise(text)
    out = re.sub(r"[^\w'?\s]", " ", out)
    out = re.sub(r"\s*\?+", "?", out)
    return re.sub(r"\s+", " ", out).strip()


def detect_repair(text: str) -> Optional[str]:
    """The repair the person is asking for, or None when the message is an ordinary answer."""
    clean = _clean(text)
    if not clean:
        return None
    bare = clean.replace("?", "").strip()
    for name, patterns in _COMPILED:
        for pattern in patterns:
            if pattern.search(clean) or pattern.search(bare):
                return name
    return None


# "Actually, for the last one I meant partly": a change to the answer just given.
# Only an explicit reference back counts, so "actually yes" still answers the
# question being asked.
_BACK_REFERENCE = re.compile(
    r"\b(the )?(last|previous|earlier) (one|question|answer|thing)\b"
    r"|\b(my|that) (last |previous |earlier )?answer\b"
    r"|\b(change|changed) (my|that|the) (answer|mind)\b"
    r"|\bgo back\b|\bbefore that\b"
)
_REFERENCE_WORDS = re.compile(
    r"\b(actually|sorry|wait|i meant|i mean|meant|about|for|to|on|can i|could i|i want to|i'd like to|"
    r"please|change|changed|go back|my|that|the|last|previous|earlier|one|question|"
    r"answer|mind|before|it|was|is|should be|should have said|said)\b"
)


def change_of_earlier_answer(text: str) -> Optional[str]:
    """The new answer's words when the person changes their earlier answer, else None.

    "actually for the last question I meant partly" -> "partly".
    """
    clean = _clean(text)
    if not _BACK_REFERENCE.search(clean):
        return None
    rest = re.sub(r"\s+", " ", _REFERENCE_WORDS.sub(" ", clean.replace("?", " "))).strip(" ,.")
    return rest or None
