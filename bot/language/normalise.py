"""Normalise what people type before matching it.

Why: people write to the assistant on phones, in a hurry, frightened, with
dyslexia or low literacy. "u", "dont", "pollice" and "2nite" must reach the
matchers as "you", "don't", "police" and "tonight", or a wish or a danger
signal is missed. The rules are a data table plus a small function so that a
new spelling is a one-line change.
"""

import functools
import re
from typing import Any, Dict, FrozenSet, Tuple

from spacy.lookups import Table

# Curly quotes, primes and dashes people's phones insert.
_QUOTES: Dict[str, str] = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "`": "'", "\u00b4": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2013": "-", "\u2014": "-", "\u2026": "...", "\u00a0": " ",
}

# Whole-word replacements (after lower-casing). Keys are single words.
WORDS: Dict[str, str] = {
    # text-speak
    "u": "you", "ya": "you", "yu": "you", "ur": "your", "yr": "your", "r": "are", "b4": "before",
    "pls": "please", "plz": "please", "plez": "please", "pleas": "please", "pleez": "please", "pleeze": "please",
    "wanna": "want to", "wana": "want to", "wannna": "want to", "gonna": "going to", "gona": "going to",
    "gotta": "got to", "hafta": "have to", "lemme": "let me", "gimme": "give me",
    "kinda": "kind of", "sorta": "sort of", "outta": "out of", "dunno": "don't know", "dno": "don't know",
    "idk": "i don't know", "idek": "i don't even know", "rn": "right now", "atm": "at the moment",
    "tbh": "to be honest", "imo": "in my opinion", "asap": "as soon as possible", "btw": "by the way",
    "yh": "yes", "yeh": "yes", "yep": "yes", "yup": "yes", "yea": "yes", "yeah": "yes", "ye": "yes",
    "yas": "yes", "ys": "yes", "yess": "yes", "okay": "ok", "k": "ok", "kk": "ok", "okey": "ok",
    "nah": "no", "nope": "no", "naw": "no", "noo": "no", "nop": "no", "na": "no",
    "coz": "because", "cos": "because", "cuz": "because", "cus": "because", "bc": "because",
    "becos": "because", "becuz": "because", "becuase": "because", "becasue": "because", "bcoz": "because",
    "abt": "about", "bout": "about", "tho": "though", "thru": "through", "luv": "love",
    "cud": "could", "cld": "could", "wud": "would", "wld": "would", "shud": "should", "shld": "should",
    "wat": "what", "wot": "what", "wut": "what", "wht": "what", "whta": "what",
    "wats": "what's", "wots": "what's", "whts": "what's",
    "sum": "some", "sum1": "someone", "some1": "someone", "sumone": "someone", "sumthing": "something",
    "sumthin": "something", "somethin": "something", "nothin": "nothing", "nuthin": "nothing",
    "any1": "anyone", "no1": "no one", "every1": "everyone", "ppl": "people", "peeps": "people",
    "wiv": "with", "wif": "with", "hav": "have", "hve": "have", "gud": "good", "gr8": "great",
    "m8": "mate", "l8": "late",
    "2day": "today", "2dy": "today", "tdy": "today", "2nite": "tonight", "2night": "tonight",
    "tonite": "tonight", "2moro": "tomorrow", "2morrow": "tomorrow", "tmrw": "tomorrow", "tmr": "tomorrow",
    "tmoz": "tomorrow", "l8r": "later", "l8er": "later", "ltr": "later", "sec": "second",
    "fone": "phone", "phn": "phone", "txt": "text", "msg": "message", "sw": "social worker",
    "nobodys": "nobody's", "noones": "no one's", "somebodys": "somebody's", "everybodys": "everybody's",
    "lecky": "electric", "leccy": "electric", "lekky": "electric",
    "thx": "thanks", "thnx": "thanks", "ty": "thank you", "tq": "thank you", "ta": "thanks",
    "im": "i'm", "ive": "i've", "iam": "i am", "id": "i'd", "youre": "you're", "youve": "you've",
    "hes": "he's", "shes": "she's", "theyre": "they're", "theyve": "they've", "weve": "we've",
    "thats": "that's", "whats": "what's", "theres": "there's", "heres": "here's", "wheres": "where's",
    "whos": "who's", "hows": "how's", "its": "it's",
    "hed": "he'd", "theyd": "they'd", "youd": "you'd", "itll": "it'll",
    "theyll": "they'll", "youll": "you'll",
    "dont": "don't", "dnt": "don't", "didnt": "didn't", "didn": "didn't", "cant": "can't", "cnt": "can't",
    "wont": "won't", "isnt": "isn't", "wasnt": "wasn't", "arent": "aren't", "werent": "weren't",
    "doesnt": "doesn't", "dosnt": "doesn't", "dosent": "doesn't", "doesent": "doesn't", "havent": "haven't",
    "hasnt": "hasn't", "hadnt": "hadn't", "couldnt": "couldn't", "wouldnt": "wouldn't",
    "shouldnt": "shouldn't", "aint": "isn't", "mustnt": "mustn't", "neednt": "needn't",
    # misspellings that matter here
    "polise": "police", "pollice": "police", "poilce": "police", "polce": "police", "plice": "police",
    "polic": "police", "poice": "police", "poilice": "police", "polece": "police", "pollise": "police",
    "saftey": "safety", "safty": "safety", "saefty": "safety", "safley": "safely", "saef": "safe",
    "sfe": "safe", "saf": "safe", "sacred": "scared", "scard": "scared",
    "scaired": "scared", "skared": "scared", "scarred": "scared", "scaried": "scared",
    "frightend": "frightened", "frighted": "frightened", "fritened": "frightened", "afriad": "afraid",
    "afaid": "afraid", "terifed": "terrified", "terified": "terrified", "terrifed": "terrified",
    "wnat": "want", "wabt": "want", "whant": "want", "wnt": "want", "wan": "want", "wamt": "want",
    "freind": "friend", "freinds": "friends", "frend": "friend", "frends": "friends", "frinds": "friends",
    "thier": "their", "wiht": "with",
    "prosicute": "prosecute", "prosecte": "prosecute", "prossecute": "prosecute", "prosecut": "prosecute",
    "prosicuted": "prosecuted", "prossecuted": "prosecuted",
    "arested": "arrested", "arrestd": "arrested", "arest": "arrest", "aressted": "arrested",
    "charegd": "charged", "chargd": "charged", "cort": "court",
    "advocat": "advocate", "advacate": "advocate", "advocte": "advocate", "avocate": "advocate",
    "sopport": "support", "suport": "support", "supprt": "support", "supoort": "support",
    "counceling": "counselling", "councelling": "counselling", "counseling": "counselling",
    "conselling": "counselling", "confidant": "confident", "confidance": "confidence",
    "informd": "informed", "involed": "involved", "invovled": "involved", "involvd": "involved",
    "promices": "promises", "promis": "promise", "promisses": "promises",
    "lonley": "lonely", "lonly": "lonely", "lonelly": "lonely",
    "hiting": "hitting", "hitin": "hitting", "trubble": "trouble", "truble": "trouble",
    "hurtin": "hurting", "hittin": "hitting", "shoutin": "shouting", "comin": "coming", "goin": "going",
    "doin": "doing", "sayin": "saying", "kickin": "kicking", "punchin": "punching", "threatnin": "threatening",
    "threatend": "threatened", "threatning": "threatening", "thretening": "threatening",
    "threating": "threatening", "threatining": "threatening", "thretning": "threatening",
    "thretened": "threatened", "threatned": "threatened", "threated": "threatened",
    "thretend": "threatened", "kil": "kill", "kll": "kill", "nife": "knife", "knif": "knife", "kinfe": "knife",
    "pils": "pills", "tablits": "tablets", "tabs": "tablets", "overdoes": "overdose", "od": "overdose",
    "od'd": "overdosed", "oded": "overdosed", "odd'd": "overdosed",
    "pleease": "please", "plase": "please", "plese": "please", "pleaz": "please",
    "sucide": "suicide", "suicde": "suicide", "suiside": "suicide", "sucidal": "suicidal",
    "suicidle": "suicidal", "dyeing": "dying", "dieing": "dying",

    # Scots and northern words
    "dinnae": "don't", "didnae": "didn't", "cannae": "can't", "wouldnae": "wouldn't", "isnae": "isn't",
    "wasnae": "wasn't", "havenae": "haven't", "tae": "to", "feart": "scared", "hoose": "house", "hame": "home",
    "masel": "myself", "mysel": "myself", "hersel": "herself", "himsel": "himself", "oot": "out", "doon": "down",
    "ain": "own", "wi": "with", "frae": "from", "nae": "no", "naebody": "nobody", "owt": "anything",
    "nabour": "neighbour", "neighbor": "neighbour", "neighbors": "neighbours", "naybor": "neighbour",
    "docter": "doctor", "doctr": "doctor",
    "emergancy": "emergency", "emergeny": "emergency", "ambulence": "ambulance", "ambulanse": "ambulance",
    "understnd": "understand", "undrstand": "understand", "understan": "understand",
    "anythin": "anything", "anyting": "anything", "evrything": "everything", "everythin": "everything",
    "somone": "someone", "someome": "someone", "sombody": "somebody", "sumbody": "somebody",
    "realy": "really", "rly": "really", "relly": "really", "prob": "probably", "probs": "probably",
    "defo": "definitely", "def": "definitely", "deffo": "definitely", "definately": "definitely",
    "definatly": "definitely", "deffinitely": "definitely", "partley": "partly",
    "mabye": "maybe", "mayb": "maybe", "maybee": "maybe", "ofc": "of course",
    "speek": "speak", "tlk": "talk", "tel": "tell", "agen": "again", "agin": "again",
    "rite": "right", "nite": "night", "wen": "when", "wher": "where",
    "outsid": "outside", "owtside": "outside", "dor": "door", "dore": "door",
}

# Short common words used to decide how far to squash "nooo" / "helppp".
_SHORT_WORDS: FrozenSet[str] = frozenset(
    "no yes so stop help please now go oh hi me what why hey ok pls plz sure he she is here god omg "
    "ugh uh um er ah ha lol wow hello bye yep nope nah okay yeah yay".split()
)

# Context rules: (pattern, replacement), applied in order after the word table.
_TO_BEFORE = (
    "me|you|him|her|them|us|the|my|your|his|do|be|go|get|see|talk|speak|stop|leave|stay|help|know|"
    "make|feel|have|keep|tell|say|answer|ring|call|court|prison|jail|hospital|live|die|kill|hurt|stick|"
    "end|take|move|come|understand|find|meet|protect|look|learn"
)
_TO_AFTER = (
    "want|wants|wanted|need|needs|like|going|go|come|got|have|has|used|able|talk|speak|listen|back|"
    "due|try|trying|tried|afraid|scared|frightened|nice|good|ready|told|asked|seem|seems|wish|hope|"
    "how|what|where|who|way|time|allowed|went|said|says|threatened|tell|him|her|them|me|stick|listen"
)
_FOR_BEFORE = "me|you|him|her|them|us|the|my|your|his|help|ever|sure|now|some|that|this|nothing|anything|everything"
_FOR_AFTER = (
    "ask|asking|wait|waiting|look|looking|thanks|thank|here|pay|paying|scared|afraid|worried|frightened|support|"
    "help|all"
)
_CONTEXT_RULES: Tuple[Tuple[str, str], ...] = (
    # "2" means "to" next to a verb or pronoun, not in "took 2 pills".
    (r"\b(" + _TO_AFTER + r") 2\b", r"\1 to"),
    (r"\b2 (?=(?:" + _TO_BEFORE + r")\b)", "to "),
    (r"\b4 (?=(?:" + _FOR_BEFORE + r")\b)", "for "),
    (r"\b(" + _FOR_AFTER + r") 4\b", r"\1 for"),
    # "no" is "know" after "to" or "don't" and before a question word ("i want to no what's happening").
    (r"\b(to|don't|didn't|wanna)( really| even)? no (?=(?:how|what|what's|when|where|who|why|if|whether|wat)\b)",
     r"\1\2 know "),
    # "an" is "and" between pronouns ("him an his mates"); "an apology" stays.
    (r"\b(him|her|me|them|you|us) an (?=(?:his|her|my|the|their|your|me|him|them|i|he|she)\b)", r"\1 and "),
    # "ill" / "shed" only become contractions before a verb ("i feel ill" stays).
    (r"\bill (?=(?:be|go|come|tell|say|do|try|call|ring|text|wait|answer|think|kill|hurt)\b)", "i'll "),
    # "hell drag me out": "he'll" before a verb ("living hell" stays).
    (r"\bhell (?=(?:drag|kill|hurt|hit|come|be|get|do|beat|batter|smash|burn|find|make|go|have|sort|throw|kick)\b)",
     "he'll "),
    (r"\bshed (?=(?:like|love|want|be|rather|prefer)\b)", "she'd "),
    # "y" alone is "yes"; inside a sentence it is "why". "n" alone is "no", else "and".
    (r"^y$", "yes"), (r"\by\b", "why"),
    (r"^n$", "no"), (r"\bn\b", "and"),
)

# Before the word table: spellings whose meaning depends on position.
_PRE_RULES: Tuple[Tuple[str, str], ...] = (
    # "i dont no" is "I don't know".
    (r"\b(dont|don't|do not|dnt) no\b(?! (?:thanks|thank|more|one|way))", r"\1 know"),
    # "wont" is "want" when an object follows ("i wont him to leave"), else "won't".
    (r"\bwont (?=(?:to|him|her|them|my|a|an|the|some|someone|somebody|police|justice|people|friends|us|"
     r"more|nothing|it|this|that)\b)", "want "),
    # "ya" first is "yes" ("ya thats right"); later it is "you" ("do ya know").
    (r"^ya\b", "yes"), (r"^ye\b", "yes"),
)

_COMPILED_CONTEXT = tuple((re.compile(p), r) for p, r in _CONTEXT_RULES)
_COMPILED_PRE = tuple((re.compile(p), r) for p, r in _PRE_RULES)
_WORD_RE = re.compile(r"[a-z0-9']+")
_RUN_RE = re.compile(r"([a-z])\1{2,}")


def _squash(word: str) -> str:
    """Shorten letter runs ("nooo" -> "no", "pleeease" -> "please", "helppp" -> "help")."""
    if not _RUN_RE.search(word):
        return word
    single = _RUN_RE.sub(r"\1", word)
    if single in _SHORT_WORDS or single in WORDS:
        return single
    double = _RUN_RE.sub(r"\1\1", word)
    if double in WORDS:
        return double
    # "pleeease" -> "please": try single first when the double form is unknown.
    return single if single in _SHORT_WORDS else double


@functools.lru_cache(maxsize=1)
def _inflections() -> Table:
    """Inflected forms known to the lemmatizer, used to restore dropped g's ("carryin")."""
    from bot.language.nlp import get_nlp  # local import: nlp.py must not depend on this module

    lemmatizer: Any = get_nlp().get_pipe("lemmatizer")  # a spaCy Lemmatizer, typed as Pipe
    return lemmatizer.lookups.get_table("lemma_lookup")


def _restore_g(word: str) -> str:
    """ "hittin" -> "hitting" when the lemmatizer knows the -ing form."""
    if len(word) > 4 and word.endswith("in") and (word + "g") in _inflections():
        return word + "g"
    return word


def _replace_word(match: "re.Match[str]") -> str:
    """Look one word up in the table (after squashing letter runs)."""
    word = _squash(match.group(0))
    if word.startswith("'") or word.endswith("'"):
        stripped = word.strip("'")
        return match.group(0).replace(stripped, WORDS.get(stripped, stripped)) if stripped else word
    return WORDS.get(word, _restore_g(word))


def normalise(text: str) -> str:
    """Lower-case, straighten quotes and expand text-speak/misspellings, keeping word order."""
    if not text:
        return ""
    out = text.lower()
    for bad, good in _QUOTES.items():
        out = out.replace(bad, good)
    out = out.strip()
    for pattern, replacement in _COMPILED_PRE:
        out = pattern.sub(replacement, out)
    out = _WORD_RE.sub(_replace_word, out)
    for pattern, replacement in _COMPILED_CONTEXT:
        out = pattern.sub(replacement, out)
    out = re.sub(r"(?<=[a-z])-(?=[a-z])", " ", out)  # "self-defence" -> "self defence"
    out = re.sub(r"[ \t]+", " ", out)
    return out.strip()
