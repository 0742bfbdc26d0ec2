"""Who said it: cluster speaker mentions into canonical speakers, per article.

The v1 resolver is rule-based (a baseline for the learned model of a later release):

* a **named** mention ("The EU's top diplomat Jane Doe", "Doe", "the Kremlin", "the IMF")
  joins the speaker with the same name, whose name it ends (surname) or whose initials it is,
  else starts a new speaker named by the longest person/organisation name inside it. A name
  only counts when it is the phrase's head or in apposition to it: "the Clinton campaign",
  "McConnell aides" and "a source close to Trump" are not Clinton, McConnell or Trump. People
  named together ("Trump and Clinton") are one group speaker;
* a **pronoun** (he, she, they, it, I, we, and possessives) refers back to the most recent
  compatible speaker or person named in the text (gender learned from earlier pronouns and
  honorifics, number from the pronoun), or to a person, group or organisation that is the
  subject of a clause since then; a **relative pronoun** ("Stevie Wonder, who joked …") stands
  for the noun its clause modifies; "I" outside quotations is the author of the piece, named
  when a byline ("By Jane Doe") or an op-ed's closing tagline ("Jane Doe is a …") names them;
* a **definite descriptor** ("the official", "the same source", "the diplomat") refers back to
  the most recent speaker with a mention of the same head noun or a person titled so, else,
  for a person's role ("the Indiana governor"), to the person already named whose context fits
  it best, else, for a source-like noun, to the most recent anonymous speaker; an
  **indefinite** one ("a senior source familiar with the matter") starts a new speaker, so two
  anonymous sources stay apart;
* the type comes from the mention: named entity label, head noun (people, organisations,
  outlets, documents), number, anonymity markers ("familiar with", "asked not to be named"),
  and the cue ("Axios reported" → media).
"""

from __future__ import annotations

import bisect
import copy
import itertools
import logging
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from stance._deadline import check as check_deadline
from stance._nlp import ParsedText, Token
from stance._spans import RawQuote, Span, blank_span
from stance.document import SpeakerType

if TYPE_CHECKING:
    from stance.attribution.pronoun_model import PronounModel
    from stance.attribution.ranker import Candidate, MentionRanker

logger = logging.getLogger(__name__)

#: the shipped pronoun ranker (``stance/models/speaker-ranker``, trained on news pronouns of
#: PolNeAR train and dev articles and on PDNC novels, news weighted 30 to 1)
DEFAULT_RANKER = str(Path(__file__).resolve().parent.parent / "models" / "speaker-ranker")
#: the ranker trained on PDNC novels alone (``stance/models/speaker-ranker-novels``): the
#: default in dialogue mode (fiction), ``speaker_model="novels"`` elsewhere
NOVELS_RANKER = str(Path(__file__).resolve().parent.parent / "models" / "speaker-ranker-novels")

PRONOUNS = {
    "he": ("m", "sg"), "him": ("m", "sg"), "she": ("f", "sg"), "her": ("f", "sg"),
    "i": (None, "sg"), "we": (None, "pl"), "they": (None, "pl"), "it": ("n", "sg"),
    "you": (None, None),
    # possessives that PolNeAR marks as sources ("his claim that …")
    "his": ("m", "sg"), "its": ("n", "sg"), "their": (None, "pl"),
}
#: pronouns that, in the narration, stand for the piece's author and its reader
_NARRATION = {"i": "the author", "you": "the reader"}
_GENDERED = {"he", "his", "him", "himself", "she", "her", "hers", "herself"}
_HONORIFIC_GENDER = {"mr": "m", "mr.": "m", "ms": "f", "ms.": "f", "mrs": "f", "mrs.": "f", "miss": "f"}
#: head nouns of unnamed sources (a role, not a name)
SOURCE_NOUNS = frozenset(
    "source official aide insider person people individual adviser advisor staffer diplomat "
    "officer".split()
)
#: head nouns of outlets
MEDIA_NOUNS = frozenset(
    "newspaper paper outlet network magazine station channel website site broadcaster "
    "tabloid daily journal publication media medium".split()
)
#: head nouns of documents and other artifacts that "say" things (typed as organisations, the
#: bodies behind them, as in the speaker gold set's guideline)
ARTIFACT_NOUNS = frozenset(
    "poll survey study analysis review statement letter memo video clip ad advertisement film "
    "document filing complaint lawsuit ruling data research tweet email record "
    "recording transcript proposal plan bill law measure budget release report account book article "
    "biography memoir audio opinion post blog message note footage photo testimony slide presentation "
    "estimate database brief chart".split()
)
#: head nouns of organisations
ORG_NOUNS = frozenset(
    "government ministry company campaign committee department administration party office "
    "union council court firm bank army military police commission board agency organization "
    "organisation group foundation institute university white house kremlin embassy state "
    "coalition alliance team panel jury labor".split()
)
#: plural heads of people who speak in a role, office, occupation or expertise ("officials",
#: "aides", "experts", "executives"): unnamed, they are anonymous sources under the default
#: convention (``ResolverConfig.anonymous = "unnamed"``); collectives of the public or of a party
#: ("voters", "critics", "Democrats") stay groups
ROLE_NOUNS = (SOURCE_NOUNS | frozenset(
    "spokesman spokeswoman spokesperson representative analyst expert strategist consultant operative "
    "economist scientist researcher scholar historian professor academic lawyer attorney prosecutor "
    "investigator agent detective judge doctor physician nurse surgeon executive manager director "
    "leader lawmaker legislator senator congressman congresswoman governor mayor minister secretary "
    "commander general soldier envoy ambassador negotiator lobbyist pollster observer organizer "
    "organiser insider confidant associate colleague ally friend relative neighbor neighbour witness "
    "employee staff staffer bartender teacher engineer banker trader investor official authority "
    "spokespeople participant candidate rival contender challenger loyalist donor fundraiser reviewer "
    "figure member regulator surrogate administrator moderator speechwriter journalist".split()
)) - {"person", "people", "individual"}  # "people" alone are the public; "people familiar with …" are marked
#: heads that count or gather the people who speak ("a group of experts", "half of voters",
#: "an increasing number of Democrats"): the head is the noun after "of"
_QUANTITY_HEADS = frozenset(
    "group number handful couple dozen dozens score scores majority minority half third quarter "
    "some many most all few several none one two three four five six seven eight nine ten "
    "hundreds thousands millions percent share bunch chorus".split()
)
_INDEFINITE_PRONOUNS = frozenset("one someone anyone everyone nobody everybody somebody anybody".split())
#: heads of unnamed people that are the public when bare ("many people", "everyone", "some") and
#: particular unnamed individuals when the phrase says how they took part or were reached
#: (:data:`_INVOLVEMENT_VERBS`: "people involved in the talks", "everyone I interviewed")
_PEOPLE_HEADS = frozenset(
    "people person persons individual individuals someone somebody everyone everybody anyone anybody "
    "some many several few most all those others".split()
)
#: verbs by which a phrase says its unnamed people took part in the events or spoke to the
#: reporter ("involved in", "I interviewed", "who attended", "people we talked to")
_INVOLVEMENT_VERBS = frozenset(
    "involve interview speak talk consult contact reach attend participate work brief witness "
    "negotiate survey poll".split()
)
_ANON_MARKERS = re.compile(
    r"familiar with|not (?:authori[sz]ed|allowed|permitted)|(?:asked|declined|requested) not to be|"
    r"on (?:the )?condition of anonymity|who (?:asked|spoke|requested|declined)|anonymously|"
    r"close to|briefed on|with (?:\w+ )?knowledge|knowledgeable",
    re.I,
)
#: anonymity stated in the words that follow a source ("…, who spoke on condition of anonymity")
_STATED_ANONYMITY = re.compile(
    r"condition of anonymity|not authori[sz]ed to|(?:asked|declined|requested) not to be (?:named|identified)|"
    r"declined to be (?:named|identified)|requested anonymity|anonymously",
    re.I,
)
_MEDIA_CUES = {"report", "publish", "broadcast", "write"}
#: head nouns that "it"/"they" can stand for as a subject (organisations and outlets)
_BODY_NOUNS = ORG_NOUNS | MEDIA_NOUNS | {"report"}
#: last words of outlet names ("The Washington Post", "the Times", "NBC News")
_OUTLET_WORDS = frozenset(
    "times post news journal tribune herald gazette magazine daily press telegraph chronicle "
    "globe observer guardian reporter weekly radio television tv network".split()
)
_DEFINITE = {"the", "this", "that", "these", "those"}
def _joined_words(text: str, tokens: list[Token]) -> list[str]:
    """The words of ``tokens`` as the text writes them: tokens joined by a hyphen or an
    apostrophe with nothing else between them make one word ("Mi-rae", "O'Neil").

    >>> from stance._nlp import Token
    >>> t = "Kan Mi-rae said"
    >>> toks = [Token(0, 0, 3, "Kan", "", "", "", "", 0, "", 0), Token(1, 4, 6, "Mi", "", "", "", "", 0, "", 0),
    ...         Token(3, 7, 10, "rae", "", "", "", "", 0, "", 0)]
    >>> _joined_words(t, toks)
    ['Kan', 'Mi-rae']
    """
    words: list[str] = []
    end = -1
    for t in tokens:
        gap = text[end : t.start] if end >= 0 else " "
        if words and gap and gap in ("-", "'", "’", "‐", "‑"):
            words[-1] += gap + t.text
        else:
            words.append(t.text)
        end = t.end
    return words


def _title_in(name: str) -> str | None:
    """The honorific a name starts with ("miss" for "Miss Bingley"), lower case, no period.

    >>> _title_in("Miss Bingley"), _title_in("Mr. Darcy"), _title_in("Jane Doe"), _title_in("Miss")
    ('miss', 'mr', None, None)
    """
    first, _, rest = name.partition(" ")
    return first.lower().rstrip(".") if rest and first.lower() in _HONORIFIC_GENDER else None


#: "one senior Democrat", "a Republican involved in the planning": one unnamed member of a party
_ONE_OF = {"a", "an", "one", "another"}
# quantity words that say how many of a group speak, not which group it is
_QUANTIFIERS = {"some", "many", "several", "few", "most", "all", "more", "various", "numerous", "certain", "both"}
# words that introduce a group other than one already met ("other experts")
_OTHER = {"other", "another", "different", "rival", "opposing"}
_RELATIVE = {"who", "which", "that", "whom"}
_STRIP_NAME = re.compile(r"^(?:the\s+)|(?:'s|\u2019s)$", re.I)


#: after the author's name in an op-ed's closing tagline ("Jane Doe is a columnist …")
_TAGLINE_VERB = re.compile(r"[ \t]*(?:,|is\b|was\b|has been\b|writes\b|teaches\b|served\b)")
_BYLINE = re.compile(r"[ \t]*(?:by|written by)[ \t]+", re.I)


def _paragraphs(text: str) -> Iterator[Span]:
    """The spans of the non-blank lines of ``text``, in order (a linear scan: no regex
    backtracking on long blank lines)."""
    pos = 0
    while pos <= len(text):
        end = text.find("\n", pos)
        end = len(text) if end < 0 else end
        if not text[pos:end].isspace() and pos < end:
            yield pos, end
        pos = end + 1


def author_name(parsed: ParsedText) -> Span | None:
    """The author named by the piece itself: a byline in one of its first three paragraphs
    ("By Jane Doe") or an op-ed's closing tagline ("Jane Doe is a playwright …", its last two
    paragraphs), as the span of the person's name; ``None`` when there is neither.

    >>> from stance._nlp import ParsedText
    >>> text = "I grew up poor.\\n\\nI left.\\n\\nJane Doe is a playwright."
    >>> author_name(ParsedText(text, [], [(26, 34, "PERSON")], [], []))
    (26, 34)
    >>> author_name(ParsedText("I grew up poor. Jane Doe is a playwright.", [], [(16, 24, "PERSON")], [], []))
    """
    text = parsed.text
    paras = list(_paragraphs(text))
    persons = [(a, b) for a, b, label in parsed.ents if label == "PERSON"]
    for p0, p1 in paras[:3]:
        m = _BYLINE.match(text, p0)
        if m:
            hit = next(((a, b) for a, b in persons if a == m.end() and b <= p1), None)
            if hit is not None:
                return hit
    for p0, p1 in reversed(paras[-2:] if len(paras) > 2 else []):
        lead = p0 + len(text[p0:p1]) - len(text[p0:p1].lstrip(" \t(*\u2014\u2013-"))
        hit = next(((a, b) for a, b in persons if a == lead), None)
        if hit is not None and _TAGLINE_VERB.match(text, hit[1]):
            return hit
    return None


def _phrase_up_to(parsed: ParsedText, i: int) -> Span:
    """The words of token ``i``'s phrase that run up to it without a break ("political
    observers" in "political observers in Virginia"), stopping at punctuation."""
    toks = parsed.tokens
    left = [k for k in parsed.subtree(i) if k <= i and toks[k].sent == toks[i].sent]
    start = i
    for k in reversed(left):
        if k != start - 1 or toks[k].pos == "PUNCT":
            break
        start = k
    return toks[start].start, toks[i].end


@dataclass(frozen=True)
class ResolverConfig:
    """``pronoun_window``: how many characters back a pronoun looks for its antecedent;
    ``ranker``: a speaker-ranker directory for "he"/"she" (default: the shipped learned ranker;
    ``None``: the rules alone)."""

    pronoun_window: int = 3000
    #: directory of a trained :class:`~stance.attribution.ranker.MentionRanker`: the antecedent of
    #: "he"/"she" is the candidate it scores best (the rules' choice is one of its features). The
    #: shipped one beat the rules alone on the blind held-out speaker set (``None``: rules alone)
    ranker: str | None = DEFAULT_RANKER
    #: link a definite role description of a person with no antecedent ("the Indiana governor")
    #: to the person the article has named that fits it best (see ``_salient_person``)
    salient_descriptors: bool = True
    #: directory of a trained :class:`~stance.attribution.pronoun_model.PronounModel` (an encoder
    #: that reads the text before "he"/"she" with every candidate's mentions marked): its logit, times
    #: :attr:`pronoun_weight`, is added to the ranker's score (the model alone without a ranker).
    #: ``None``: not used
    pronoun_model: str | None = None
    pronoun_weight: float = 1.0
    #: what the pronoun model decides for a definite singular person description ("the
    #: official", "the Vermont senator"): ``"off"`` (the rules alone), ``"first"`` (the
    #: candidate it prefers to "none of them", else the rules), ``"decide"`` (its candidate, or a
    #: new speaker when it prefers none)
    pronoun_descriptors: str = "off"
    #: which unnamed sources are typed ``anonymous``: ``"unnamed"`` (the default, the convention
    #: in the README) every unnamed individual, and unnamed people speaking in a role, office or
    #: expertise, singular or plural ("a senior source", "U.S. officials", "a bartender", "one
    #: analyst"), while collectives of the public or of a party stay ``group`` and unnamed polls,
    #: reports and documents are ``unknown``; ``"marked"`` (the convention of earlier versions) only
    #: informants ("a source", "people familiar with …") and people whose anonymity the text
    #: states, unnamed individuals being ``person``, plural officials ``group`` and documents
    #: ``organization``
    anonymous: str = "unnamed"

    def __post_init__(self) -> None:
        if self.pronoun_window <= 0:
            raise ValueError("ResolverConfig.pronoun_window must be positive")
        if self.pronoun_weight < 0:
            raise ValueError("ResolverConfig.pronoun_weight must be >= 0")
        if self.pronoun_descriptors not in ("off", "first", "decide"):
            raise ValueError("ResolverConfig.pronoun_descriptors must be 'off', 'first' or 'decide'")
        if self.anonymous not in ("unnamed", "marked"):
            raise ValueError("ResolverConfig.anonymous must be 'unnamed' or 'marked'")


@dataclass
class Cluster:
    """A canonical speaker under construction."""

    id: int
    name: str
    type: SpeakerType
    named: bool = False
    gender: str | None = None
    number: str | None = None
    mentions: list[Span] = field(default_factory=list)
    heads: set[str] = field(default_factory=set)
    last: int = 0
    #: the piece's author ("I" in the narration) or its reader ("you"): referred to only by
    #: "I" or "you", never by "he"/"she"
    author: bool = False
    #: the honorific the person is named with ("mr", "mrs", "miss", "ms"): "Mr. Bennet" and
    #: "Mrs. Bennet" are two people
    title: str | None = None
    #: the head noun of the descriptor that introduced an unnamed speaker ("officials"), and its
    #: span ("U.S. officials"); ``None`` for speakers introduced by a name or a pronoun
    head: str | None = None
    intro: Span | None = None
    #: introduced by a relative pronoun's antecedent ("economists who said …")
    relative: bool = False


@dataclass(frozen=True)
class Resolution:
    """The resolver's output: clusters and, per raw quote, the index of its cluster."""

    clusters: list[Cluster]
    quote_cluster: list[int]


class RuleResolver:
    """Rule-based canonical speaker resolution (see the module docstring)."""

    def __init__(self, config: ResolverConfig | None = None) -> None:
        self.config = config or ResolverConfig()
        self._genders: dict[str, str] = {}
        self._person_surnames: set[str] = set()
        self._assigned: list[int] = []
        self._quoted: list[Span] = []
        self.ranker: MentionRanker | None = None
        if self.config.ranker is not None:
            from stance.attribution.ranker import MentionRanker

            self.ranker = MentionRanker.from_pretrained(self.config.ranker)
        self.pronoun_model: PronounModel | None = None
        if self.config.pronoun_model is not None:
            from stance.attribution.pronoun_model import PronounModel

            self.pronoun_model = PronounModel.from_pretrained(self.config.pronoun_model)

    def __call__(self, parsed: ParsedText, quotes: list[RawQuote]) -> Resolution:
        return self.predict(parsed, quotes)

    # -- mention analysis ------------------------------------------------------------------------
    @staticmethod
    def _head(tokens: list[Token], span: Span) -> Token | None:
        inside = [t for t in tokens if span[0] <= t.start and t.end <= span[1]]
        for t in inside:
            if not any(u.i == t.head for u in inside) or t.head == t.i:
                if t.pos in ("VERB", "AUX"):
                    # a source is a noun phrase: a verb heading it is a misparse ("show insiders",
                    # "many of the people interviewed …"); its first noun or pronoun instead
                    t = next((u for u in inside if u.pos in ("NOUN", "PROPN", "PRON")), t)
                return t
        return inside[-1] if inside else None

    @staticmethod
    def _phrase_head(parsed: ParsedText, toks: list[Token], span: Span) -> Token | None:
        """The noun a source phrase is about: its syntactic head, or what a quantity head counts."""
        return RuleResolver._counted(parsed, toks, RuleResolver._head(toks, span))

    @staticmethod
    def _counted(parsed: ParsedText, toks: list[Token], head: Token | None) -> Token | None:
        """The noun a quantity head counts ("a group of experts", "about half of voters": the
        experts, the voters), else ``head``."""
        if head is None or head.lemma.lower() not in _QUANTITY_HEADS:
            return head
        inside = {t.i for t in toks}
        for k in parsed.children[head.i]:
            if k in inside and parsed.tokens[k].dep == "prep" and parsed.tokens[k].lemma.lower() == "of":
                obj = [parsed.tokens[j] for j in parsed.children[k] if j in inside and parsed.tokens[j].dep == "pobj"]
                if obj and obj[0].pos in ("NOUN", "PROPN"):
                    return obj[0]
        return head

    @staticmethod
    def _names(parsed: ParsedText, span: Span, labels: tuple[str, ...]) -> list[tuple[int, int, str]]:
        return [e for e in parsed.ents if span[0] <= e[0] and e[1] <= span[1] and e[2] in labels]

    @staticmethod
    def _clean(name: str) -> str:
        name = re.sub(r"\s+", " ", name).strip(" ,.;:")
        prev = None
        while prev != name:
            prev = name
            name = _STRIP_NAME.sub("", name).strip()
        return name

    def _analyse(self, parsed: ParsedText, span: Span, cue_lemma: str | None) -> dict[str, object]:
        text = parsed.text[span[0] : span[1]]
        toks = parsed.tokens_in(*span)
        head = self._phrase_head(parsed, toks, span)
        low = text.lower().strip()
        info = self._analyse_form(parsed, span, cue_lemma, text, toks, head, low)
        info["nouns"] = {t.lemma for t in toks if t.pos == "NOUN"}
        if info["kind"] == "descriptor" and info["type"] in (SpeakerType.PERSON, SpeakerType.GROUP) and toks:
            # "one senior official said, speaking on the condition of anonymity": the anonymity
            # is stated after the mention, in its sentence
            sent = toks[-1].sent
            after = [t for t in parsed.tokens[toks[-1].i + 1 : toks[-1].i + 40] if t.sent == sent]
            if after and _STATED_ANONYMITY.search(parsed.text[span[1] : after[-1].end]):
                info["type"] = SpeakerType.ANONYMOUS
        return info

    def _analyse_form(
        self, parsed: ParsedText, span: Span, cue_lemma: str | None, text: str,
        toks: list[Token], head: Token | None, low: str,
    ) -> dict[str, object]:
        if low in PRONOUNS:
            g, n = PRONOUNS[low]
            return {"kind": "pronoun", "gender": g, "number": n, "text": text}
        persons = self._names(parsed, span, ("PERSON",))
        orgs = self._names(parsed, span, ("ORG", "GPE", "NORP", "FAC"))
        head_lemma = head.lemma if head is not None else low.split()[-1] if low else ""
        plural = head is not None and head.tag in ("NNS", "NNPS")
        honor = next((_HONORIFIC_GENDER[t.text.lower()] for t in toks if t.text.lower() in _HONORIFIC_GENDER), None)
        if persons:
            in_person = head is None or head.pos == "PROPN" or any(a <= head.start < b for a, b, _ in persons)
            # "Trump's running mate, Indiana Gov. Mike Pence,": the name is in apposition
            appos = any(t.dep == "appos" for t in toks if any(a <= t.start < b for a, b, _ in persons))
            ent_of = {t.i: k for t in toks for k, (a, b, _) in enumerate(persons) if a <= t.start < b}
            coordinated = any(
                t.dep == "conj" and t.head in ent_of and ent_of[t.head] != ent_of[t.i] for t in toks if t.i in ent_of
            )
            if coordinated and in_person:
                # "Trump and Clinton": several people, one group speaker named by all of them
                names = " and ".join(self._clean(parsed.text[a:b]) for a, b, _ in persons)
                return {"kind": "name", "name": names, "type": SpeakerType.GROUP, "gender": None,
                        "number": "pl", "head": head_lemma}
            if in_person or appos:
                longest = max(persons, key=lambda e: e[1] - e[0])
                name = self._clean(parsed.text[longest[0] : longest[1]])
                return {"kind": "name", "name": name,
                        "type": SpeakerType.PERSON, "gender": honor, "number": "sg", "head": head_lemma,
                        "title": self._title_before(parsed, longest[0]) or _title_in(name)}
            # "The Clinton campaign", "McConnell aides", "a spokeswoman for Hillary Clinton": the
            # person only qualifies what speaks
            return self._described(text, low, head, head_lemma, plural, honor, cue_lemma)
        propn = [t for t in toks if t.pos == "PROPN"]
        # "The Indiana governor", "a Homeland Security Department official": a role described
        # with names in it is a descriptor, not a name
        role = head is not None and head.pos == "NOUN" and bool(toks) and toks[0].tag in ("DT", "PRP$", "CD")
        # "The Senator from Texas": a capitalised role whose name only qualifies it
        role = role or (
            head is not None and head.pos == "PROPN" and bool(orgs) and bool(toks) and toks[0].tag == "DT"
            and not any(a <= head.start < b for a, b, _ in orgs)
        )
        # "Democratic leaders", "political observers in Virginia": the names only qualify a
        # common-noun head, which is what speaks
        qualifies = head is not None and head.pos == "NOUN" and not any(a <= head.start < b for a, b, _ in orgs)
        if (orgs or propn) and not role and qualifies:
            return self._described(text, low, head, head_lemma, plural, honor, cue_lemma)
        if (orgs or propn) and not role:
            title: str | None = None
            if orgs:
                ent = max(orgs, key=lambda e: e[1] - e[0])
                name, label = self._clean(parsed.text[ent[0] : ent[1]]), ent[2]
                title = self._title_before(parsed, ent[0])
            else:
                # the words as written: "Kan Mi-rae" keeps its hyphen (spaCy splits it off)
                joined, label = " ".join(_joined_words(parsed.text, propn)), ""
                # "Miss Bennet" untagged by NER: the title is not part of the name
                title = _title_in(joined)
                name = self._clean(joined.partition(" ")[2] if title else joined)
            last = name.lower().split()[-1] if name else ""
            if label in ("ORG", "") and len(name.split()) <= 3 and last in self._person_surnames:
                # "Trump" tagged as an organisation where the article names the person elsewhere
                return {"kind": "name", "name": name, "type": SpeakerType.PERSON, "gender": honor,
                        "number": "sg", "head": head_lemma, "title": title}
            if label == "NORP" and not plural and low.split()[0] in _ONE_OF | _DEFINITE:
                # a party or affiliation word is not a name: "one senior Democrat" is an unnamed
                # person (anonymous only with a marker), kept apart from other such members;
                # "the Republican" describes a person the article has named
                return self._described(text, low, head, head_lemma, plural, honor, cue_lemma)
            if label == "NORP" and plural:
                typ = SpeakerType.GROUP
            elif cue_lemma in _MEDIA_CUES or head_lemma in MEDIA_NOUNS or last in _OUTLET_WORDS:
                typ = SpeakerType.MEDIA
            elif label in ("ORG", "GPE", "FAC") or head_lemma in ORG_NOUNS:
                typ = SpeakerType.ORGANIZATION
            elif head_lemma in SOURCE_NOUNS and head is not None and head.pos != "PROPN":
                # "a spokesman for the Kremlin": unnamed person speaking for a named body
                typ = SpeakerType.ANONYMOUS if _ANON_MARKERS.search(text) else SpeakerType.PERSON
                return {"kind": "descriptor", "name": text, "type": typ, "gender": honor,
                        "number": "pl" if plural else "sg", "head": head_lemma,
                        "definite": low.split()[0] in _DEFINITE}
            else:
                typ = SpeakerType.PERSON
            return {"kind": "name", "name": name, "type": typ, "gender": honor,
                    "number": "pl" if plural else "sg", "head": head_lemma,
                    "title": title if typ == SpeakerType.PERSON else None}
        return self._described(text, low, head, head_lemma, plural, honor, cue_lemma)

    def _described(
        self, text: str, low: str, head: Token | None, head_lemma: str, plural: bool, honor: str | None,
        cue_lemma: str | None,
    ) -> dict[str, object]:
        """A speaker described, not named: its type from the phrase's head, number and markers."""
        definite = low.split()[:1] in [[d] for d in _DEFINITE] or " same " in f" {low} "
        if head_lemma == "percent" or (head is not None and head.pos == "NUM"):
            typ = SpeakerType.GROUP  # "63 percent", "another 19 percent" (of poll respondents)
            return {"kind": "descriptor", "name": self._clean(text) if not definite else text.strip(),
                    "type": typ, "gender": None, "number": "pl", "head": head_lemma, "definite": definite}
        if _ANON_MARKERS.search(text) or (head_lemma in SOURCE_NOUNS and not plural) or head_lemma == "source":
            typ = SpeakerType.ANONYMOUS  # "sources" too: plural officials are a group, plural sources are not
        elif head_lemma in MEDIA_NOUNS or cue_lemma in _MEDIA_CUES:
            typ = SpeakerType.MEDIA
        elif head_lemma in ORG_NOUNS or head_lemma in ARTIFACT_NOUNS:
            typ = SpeakerType.ORGANIZATION
        elif plural:
            typ = SpeakerType.GROUP
        elif head is not None and head.pos in ("NOUN", "PROPN"):
            typ = SpeakerType.PERSON
        else:
            typ = SpeakerType.UNKNOWN
        return {"kind": "descriptor", "name": self._clean(text) if not definite else text.strip(),
                "type": typ, "gender": honor, "number": "pl" if plural else "sg",
                "head": head_lemma, "definite": definite}

    # -- linking -------------------------------------------------------------------------------
    @staticmethod
    def _same_name(a: str, b: str) -> bool:
        a_l, b_l = a.lower(), b.lower()
        if a_l == b_l:
            return True
        a_t, b_t = a_l.split(), b_l.split()
        if not a_t or not b_t or "and" in a_t or "and" in b_t:
            return False  # "Obama and Hillary Clinton" is not "Hillary Clinton"
        # "Doe" ~ "Jane Doe"; "Jane Doe" ~ "President Jane Doe"
        short, long_ = (a_t, b_t) if len(a_t) <= len(b_t) else (b_t, a_t)
        if short == long_[-len(short):]:
            return True
        # "IMF" ~ "International Monetary Fund"
        acro, full = (a, b) if len(a_t) == 1 else (b, a) if len(b_t) == 1 else ("", "")
        initials = "".join(w[0] for w in full.split() if w[:1].isupper())
        return 2 <= len(acro) <= 6 and acro.isupper() and acro.replace(".", "") == initials

    def _gender_evidence(self, parsed: ParsedText, quoted: list[Span] | None = None) -> dict[str, str]:
        """Gender of each named person as the article itself shows it: an honorific before the
        name (Mr., Ms.) or the first he/his/she/her that follows it before any other name. A
        pronoun inside a quotation (``quoted``) speaks of someone the speaker talks about ("…
        a man with his hands in the air," Clinton said), so it counts only for a name quoted in
        the same quotation."""
        votes: dict[str, dict[str, int]] = {}
        spans = sorted(quoted or ())
        starts = [sp[0] for sp in spans]

        def quotation(pos: int) -> Span | None:
            k = bisect.bisect_right(starts, pos) - 1
            return spans[k] if k >= 0 and pos < spans[k][1] else None

        persons = sorted(e for e in parsed.ents if e[2] == "PERSON")
        toks = parsed.tokens
        for k, (a, b, _) in enumerate(persons):
            key = self._clean(parsed.text[a:b]).lower().split()
            if not key:
                continue
            tally = votes.setdefault(key[-1], {"m": 0, "f": 0})
            first = parsed.token_at(a)
            if first is not None and first > 0 and toks[first - 1].text.lower() in _HONORIFIC_GENDER:
                tally[_HONORIFIC_GENDER[toks[first - 1].text.lower()]] += 3
            t = parsed.token_at(b)
            if t is None:
                continue
            stop = persons[k + 1][0] if k + 1 < len(persons) else len(parsed.text)
            sent = toks[t].sent
            head = self._head(toks[first:t], (a, b)) if first is not None else None
            subject = head is not None and (
                head.dep in ("nsubj", "nsubjpass", "ROOT", "compound")  # "the Trump campaign said"
                # in apposition or coordination with a subject: "the actress Kamala Lopez",
                # "Mr. King and Mr. Schultz"
                or toks[head.head].dep in ("nsubj", "nsubjpass")
            )
            if not subject:
                # a pronoun tells the gender of a name that is the subject of its clause, not of
                # an object or possessive ("the rise of Donald Trump, who had talked about the
                # things she …"; "under Warren's grilling he …")
                continue
            own = quotation(a)
            for tok in toks[t : t + 40]:
                if tok.start >= stop or tok.sent > sent + 1:
                    break
                low = tok.text.lower()
                if low in _GENDERED and quotation(tok.start) not in (None, own):
                    continue
                if low in ("he", "his", "him", "himself"):
                    tally["m"] += 1
                    break
                if low in ("she", "her", "hers", "herself"):
                    tally["f"] += 1
                    break
        return {k: ("m" if v["m"] > v["f"] else "f") for k, v in votes.items() if v["m"] != v["f"]}

    @staticmethod
    def _title_before(parsed: ParsedText, start: int) -> str | None:
        """The honorific right before a name ("Mrs." in "Mrs. Bennet"), lower case, no period."""
        i = parsed.token_at(start)
        if i is None or i == 0:
            return None
        prev = parsed.tokens[i - 1].text.lower()
        return prev.rstrip(".") if prev in _HONORIFIC_GENDER else None

    @staticmethod
    def _compatible(c: Cluster, title: str | None, gender: object = None) -> bool:
        """Whether a person named with ``title`` (and ``gender``) can be cluster ``c``."""
        if title and c.title and title != c.title:
            return False
        g = _HONORIFIC_GENDER.get(title or "") or (gender if gender in ("m", "f") else None)
        return not (g and c.gender and g != c.gender)

    def _fuller_names(self, parsed: ParsedText, name: str, before: int) -> list[str]:
        """Longer forms of ``name`` among the persons named before ``before`` ("Jane Doe" for
        "Doe"); the callers filter them by title."""
        earlier = (self._clean(parsed.text[a:b]) for a, b, label in parsed.ents if label == "PERSON" and b <= before)
        return [f for f in earlier if len(f) > len(name) and self._same_name(f, name)]

    def _family_name_first(
        self, parsed: ParsedText, name: str, before: int, clusters: Sequence[Cluster] = ()
    ) -> list[str]:
        """"Mr. Ban" after "Ban Ki-moon", "Mr. Xi" after "Xi Jinping": an honorific with one
        name that no earlier person ends with refers to the one earlier person (named by the
        NER, or a named speaker in ``clusters``) whose name starts with it (names written family
        name first). Two such people, or none: no match."""
        words = name.split()
        if len(words) != 1:
            return []
        key = words[0].lower()
        earlier = {self._clean(parsed.text[a:b]) for a, b, label in parsed.ents if label == "PERSON" and b <= before}
        earlier |= {c.name for c in clusters if c.named and c.type == SpeakerType.PERSON and c.last <= before}
        earlier.discard("")
        if any(e.lower().split()[-1] == key for e in earlier):
            return []
        starts = {e for e in earlier if len(e.split()) > 1 and e.lower().split()[0] == key and _title_in(e) is None}
        return sorted(starts) if len(starts) == 1 else []

    def _named_cluster(self, parsed: ParsedText, clusters: list[Cluster], ent: tuple[int, int, str]) -> Cluster:
        """The cluster of a person named at ``ent``, created if the article has not quoted them yet."""
        name = self._clean(parsed.text[ent[0] : ent[1]])
        title = self._title_before(parsed, ent[0]) or _title_in(name)
        # "Trump" after "Donald Trump": the fullest earlier form of the name (with no other title)
        fuller = [f for f in self._fuller_names(parsed, name, ent[0]) if _title_in(f) in (None, title)]
        if not fuller and title is not None:
            fuller = self._family_name_first(parsed, name, ent[0], clusters)
        if fuller:
            name = max(fuller, key=len)
        known = next(
            (c for c in reversed(clusters) if c.named and self._same_name(c.name, name) and self._compatible(c, title)),
            None,
        )
        if known is None:
            known = Cluster(len(clusters), name, SpeakerType.PERSON, named=True, number="sg", title=title)
            known.gender = _HONORIFIC_GENDER.get(title or "") or (self._genders.get(name.lower().split()[-1]) if name else None)
            clusters.append(known)
        elif known.title is None and title:
            known.title = title
        known.mentions.append((ent[0], ent[1]))
        known.last = max(known.last, ent[1])
        return known

    def _pronoun_antecedent(
        self, parsed: ParsedText, clusters: list[Cluster], span: Span, info: dict[str, object],
        quoted: list[Span],
    ) -> Cluster | None:
        learned = self.ranker is not None or self.pronoun_model is not None
        if learned and info["gender"] in ("m", "f") and info["number"] == "sg":
            return self._ranked_antecedent(parsed, clusters, span, info, quoted)
        return self._rule_pronoun_antecedent(parsed, clusters, span, info, quoted)

    def _rule_pronoun_antecedent(
        self, parsed: ParsedText, clusters: list[Cluster], span: Span, info: dict[str, object],
        quoted: list[Span],
    ) -> Cluster | None:
        gender, number = info["gender"], info["number"]
        lo = span[0] - self.config.pronoun_window
        if number == "pl" or gender == "n":
            wanted = {SpeakerType.GROUP, SpeakerType.ORGANIZATION, SpeakerType.MEDIA, SpeakerType.ANONYMOUS}
            if gender == "n":
                wanted = {SpeakerType.ORGANIZATION, SpeakerType.MEDIA}
            cands = [c for c in clusters if c.type in wanted and lo <= c.last < span[0] and not c.author
                     and (gender == "n" or c.number == "pl" or c.type != SpeakerType.ANONYMOUS)]
            latest = max(cands, key=lambda c: c.last, default=None)
            # a group or organisation that is the subject of a clause since then is nearer
            subject = self._subject_since(parsed, max(lo, latest.last if latest else lo), span, quoted, number == "pl")
            if subject is not None:
                return self._phrase_cluster(parsed, clusters, subject)
            return latest
        cands = [
            c for c in clusters
            if c.type in (SpeakerType.PERSON, SpeakerType.ANONYMOUS) and not c.author
            and c.number != "pl" and lo <= c.last < span[0]
            and (gender is None or c.gender in (None, gender))
        ]
        best = max(cands, key=lambda c: c.last, default=None)
        # a person named since then as the subject of a sentence (not inside a quote, not of
        # the wrong gender) is the nearer antecedent
        since = max(lo, best.last if best else lo)
        toks = parsed.tokens
        for ent in reversed([e for e in parsed.ents if self._person_entity(parsed, e) and since < e[0] and e[1] <= span[0]]):
            if any(a <= ent[0] < b for a, b in quoted):
                continue
            name = self._clean(parsed.text[ent[0] : ent[1]])
            g = self._genders.get(name.lower().split()[-1]) if name else None
            if gender is not None and g not in (None, gender):
                continue
            head = self._head(parsed.tokens_in(ent[0], ent[1]), (ent[0], ent[1]))
            if head is not None and toks[head.i].dep in ("nsubj", "nsubjpass"):
                return self._named_cluster(parsed, clusters, ent)
        return best

    def _person_entity(self, parsed: ParsedText, ent: tuple[int, int, str]) -> bool:
        """A person's name: a PERSON entity, or an organisation entity that is the surname of a
        person the article names elsewhere (the small spaCy model often tags "Trump" ORG)."""
        if ent[2] == "PERSON":
            return True
        if ent[2] != "ORG":
            return False
        name = self._clean(parsed.text[ent[0] : ent[1]])
        return bool(name) and len(name.split()) <= 2 and name.lower().split()[-1] in self._person_surnames

    def _prev_cluster(self, clusters: list[Cluster]) -> int | None:
        """The cluster of the latest quote attributed so far to a speaker (not "unknown")."""
        for k in reversed(self._assigned):
            if clusters[k].name != "unknown" or clusters[k].mentions:
                return k
        return None

    def _pronoun_candidates(
        self, parsed: ParsedText, clusters: list[Cluster], span: Span, info: dict[str, object], quoted: list[Span]
    ) -> list[Candidate]:
        """The ranker's candidates for a he/she source, with features; the rules' own choice
        (made on a copy of the clusters, so nothing changes) is one of the features."""
        from stance.attribution.ranker import pronoun_candidates

        shadow = copy.deepcopy(clusters)
        ruled = self._rule_pronoun_antecedent(parsed, shadow, span, info, quoted)
        rule_key: int | str | None = None
        if ruled is not None:
            rule_key = ruled.id if ruled.id < len(clusters) else ruled.name
        return pronoun_candidates(
            parsed, clusters, span, str(info["gender"]), quoted, self.config.pronoun_window, self._genders,
            self._prev_cluster(clusters), self._clean, self._same_name, rule_key,
            is_person=lambda e: self._person_entity(parsed, e),
        )

    def _ranked_antecedent(
        self, parsed: ParsedText, clusters: list[Cluster], span: Span, info: dict[str, object], quoted: list[Span]
    ) -> Cluster | None:
        """The candidate (speaker cluster or person named in the window) the ranker (and the
        pronoun model, when configured) scores best."""
        cands = self._pronoun_candidates(parsed, clusters, span, info, quoted)
        if not cands:
            return None
        scores = self.ranker.score([c.features for c in cands]) if self.ranker is not None else [0.0] * len(cands)
        if self.pronoun_model is not None:
            learned = self.pronoun_model.score([(parsed.text, span, [c.mentions for c in cands])])[0]
            read = [v for v in learned if v is not None]
            # a candidate mentioned only before what the model reads gets the mean of the others
            fill = sum(read) / len(read) if read else 0.0
            w = self.config.pronoun_weight
            scores = [s + w * (fill if v is None else v) for s, v in zip(scores, learned, strict=True)]
        return self._candidate_cluster(parsed, clusters, cands[max(range(len(cands)), key=lambda k: scores[k])])

    def _candidate_cluster(self, parsed: ParsedText, clusters: list[Cluster], cand: Candidate) -> Cluster:
        """The speaker cluster of a ranked candidate: its own, or one made for the person named."""
        if isinstance(cand.key, int):
            return clusters[cand.key]
        return self._named_cluster(parsed, clusters, cand.key)  # type: ignore[arg-type]

    def _role_antecedent(self, parsed: ParsedText, clusters: list[Cluster], span: Span, head: str) -> Cluster | None:
        """"the Indiana governor" after "Indiana Gov. Mike Pence" or "Mike Pence, the governor,":
        the nearest earlier person whose title or apposition has the descriptor's head noun."""
        for ent in reversed([e for e in parsed.ents if e[2] == "PERSON" and e[1] <= span[0]]):
            if self._has_role(parsed, ent, head):
                return self._named_cluster(parsed, clusters, ent)
        return None

    @staticmethod
    def _has_role(parsed: ParsedText, ent: tuple[int, int, str], head: str, since: int = 0) -> bool:
        """Whether the title before a named person or the apposition after it ("Indiana Gov.
        Mike Pence", "Don Fowler, a former party chairman,") has the noun ``head`` (or its
        abbreviation: "Gen." for general), in words from ``since`` on."""
        toks = parsed.tokens
        first, last = parsed.token_at(ent[0]), parsed.token_at(ent[1] - 1)
        if first is None or last is None:
            return False
        sent = toks[first].sent
        around = [t for t in toks[max(0, first - 6) : first] if t.sent == sent]
        if last + 1 < len(toks) and toks[last + 1].text == ",":
            for t in toks[last + 2 : last + 10]:
                if t.text in (",", ".", ";") or t.sent != sent:
                    break
                around.append(t)
        return any(t.start >= since and (t.lemma.lower() == head or t.text.lower().rstrip(".") == head[:3]) for t in around)

    def _cataphor(
        self, parsed: ParsedText, clusters: list[Cluster], span: Span, info: dict[str, object]
    ) -> Cluster | None:
        """"Judge rejects …" / "A New York judge …" in a headline or lead, named only further on
        ("Justice Frank Nervo, a judge,"; "the Association of Flight Attendants" for "a union
        representing flight attendants"): the first entity in the next 2,000 characters that fits
        the description: a person whose title or apposition has the descriptor's head noun, an
        organisation whose name shares a content word with it."""
        lines = [end for _, end in itertools.islice(_paragraphs(parsed.text), 3)]
        if not lines or span[0] >= lines[-1]:
            return None  # only in the headline and the first two paragraphs
        head = str(info.get("head", ""))
        words = {
            t.lemma.lower() for t in parsed.tokens_in(*span)
            if t.pos in ("NOUN", "PROPN", "ADJ") and t.lemma.lower() not in _QUANTIFIERS | {"new", "former", "top"}
        }
        person = info["type"] == SpeakerType.PERSON
        for ent in parsed.ents:
            if ent[0] < span[1] or ent[0] > span[1] + 2000:
                continue
            if person and ent[2] == "PERSON" and self._has_role(parsed, ent, head, since=span[1]):
                return self._named_cluster(parsed, clusters, ent)
            if not person and ent[2] == "ORG":
                theirs = {t.lemma.lower() for t in parsed.tokens_in(ent[0], ent[1]) if t.pos in ("NOUN", "PROPN", "ADJ")}
                if head in theirs or words & theirs:
                    return self._phrase_cluster(parsed, clusters, (ent[0], ent[1]))
        return None

    @staticmethod
    def _subject_since(
        parsed: ParsedText, since: int, span: Span, quoted: list[Span], plural: bool
    ) -> Span | None:
        """The nearest grammatical subject before ``span`` (in its sentence or the two before,
        after ``since``, outside quotations) that "they" (``plural``) or "it" can stand for: a
        plural noun or an organisation; its phrase (the entity, else the words up to the noun)."""
        first = parsed.token_at(span[0])
        if first is None:
            return None
        toks = parsed.tokens
        for t in reversed(toks[:first]):
            if t.start < since or t.sent < toks[first].sent - 2:
                return None
            if t.dep not in ("nsubj", "nsubjpass") or t.pos == "PRON" or any(a <= t.start < b for a, b in quoted):
                continue
            ent = next((e for e in parsed.ents if e[0] <= t.start < e[1]), None)
            org = (ent is not None and ent[2] in ("ORG", "NORP")) or t.lemma.lower() in _BODY_NOUNS
            if plural and not (t.tag in ("NNS", "NNPS") or org):
                continue
            if not plural and not (org and t.tag in ("NN", "NNP")):
                continue
            if ent is not None:
                return ent[0], ent[1]
            return _phrase_up_to(parsed, t.i)
        return None

    def _phrase_cluster(self, parsed: ParsedText, clusters: list[Cluster], phrase: Span) -> Cluster:
        """The speaker a phrase of the text names: a known speaker with that name or head noun,
        else a new one (not yet a source; it becomes one when the pronoun's quote joins it)."""
        info = self._analyse(parsed, phrase, None)
        if info["kind"] == "name":
            known = next((c for c in reversed(clusters) if c.named and self._same_name(c.name, str(info["name"]))), None)
        else:
            known = next((c for c in reversed(clusters) if str(info.get("head")) in c.heads and not c.named), None)
        if known is None:
            known = Cluster(len(clusters), str(info.get("name") or parsed.text[phrase[0] : phrase[1]]),
                            info.get("type", SpeakerType.UNKNOWN),  # type: ignore[arg-type]
                            named=info["kind"] == "name", number=info.get("number"))  # type: ignore[arg-type]
            clusters.append(known)
        if info.get("head"):
            known.heads.add(str(info["head"]))
        known.mentions.append(phrase)
        known.last = max(known.last, phrase[1])
        return known

    @staticmethod
    def _relative_antecedent(parsed: ParsedText, span: Span) -> Span | None:
        """"Stevie Wonder, who joked …": the phrase a relative pronoun stands for, i.e. the noun
        its relative clause modifies (the named entity around it, else the noun's own words
        before the clause); a name in apposition to that noun ("his wife, Laura, who"), or the
        subject it is predicated of ("Kaine is a lawyer who"), rather than the noun."""
        i = parsed.token_at(span[0])
        if i is None:
            return None
        toks = parsed.tokens
        verb = toks[toks[i].head]
        if verb.dep != "relcl" or verb.head == verb.i:
            return None
        noun = toks[verb.head]
        while noun.dep == "appos" and noun.head != noun.i:  # "John Bentel, a staffer who …"
            noun = toks[noun.head]
        # "his wife, Laura, who …": the name in apposition, between the noun and the pronoun
        named = [k for k in parsed.children[noun.i] if toks[k].dep == "appos" and noun.i < k < i and toks[k].ent == "PERSON"]
        if named:
            noun = toks[max(named)]
        # "Kaine is a former civil rights lawyer who …": the subject the noun is predicated of
        if noun.dep == "attr" and noun.head != noun.i and toks[noun.head].lemma == "be":
            subj = [k for k in parsed.children[noun.head] if toks[k].dep == "nsubj" and k < noun.i]
            if subj and toks[subj[0]].pos in ("PROPN", "NOUN"):
                noun = toks[subj[0]]
        # "Oprah Winfrey and Stevie Wonder, who …": the parse hangs the clause on the first
        # conjunct; it belongs to the nearest one
        while True:
            nxt = [k for k in parsed.children[noun.i] if toks[k].dep == "conj" and noun.i < k < i]
            if not nxt:
                break
            noun = toks[max(nxt)]
        for a, b, _ in parsed.ents:
            if a <= noun.start < b:
                return (a, b)
        return _phrase_up_to(parsed, noun.i)

    def _salient_person(
        self, parsed: ParsedText, span: Span, info: dict[str, object]
    ) -> tuple[int, int, str] | None:
        """"The Indiana governor", "the GOP nominee": a definite singular role description of a
        person, with no earlier mention of the same role, refers to a person the article has
        already named. Candidates are the people named before it; the one whose surrounding words
        (titles, appositions) share most content words with the description wins, then the most
        recently named. Gender must not clash."""
        toks = parsed.tokens
        words = {t.lemma.lower() for t in parsed.tokens_in(*span) if t.pos in ("NOUN", "PROPN", "ADJ")}
        gender = info.get("gender")
        stats: dict[str, tuple[tuple[int, int, str], set[str]]] = {}
        for ent in parsed.ents:
            if ent[2] != "PERSON" or ent[1] > span[0]:
                continue
            name = self._clean(parsed.text[ent[0] : ent[1]])
            if not name:
                continue
            key = name.lower().split()[-1]
            if gender in ("m", "f") and self._genders.get(key) not in (None, gender):
                continue
            first, last = parsed.token_at(ent[0]), parsed.token_at(ent[1] - 1)
            ctx: set[str] = set()
            if first is not None and last is not None:
                sent = toks[first].sent
                ctx = {t.lemma.lower() for t in toks[max(0, first - 8) : last + 9] if t.sent == sent and t.pos in ("NOUN", "PROPN", "ADJ")}
            # per person (by surname): its latest mention and the words around all its mentions
            stats[key] = (ent, stats.get(key, (ent, set()))[1] | ctx)
        if not stats:
            return None
        best = max(stats.values(), key=lambda e: (len(words & e[1]), e[0][1]))
        return best[0]

    def _recent_outlet(self, parsed: ParsedText, clusters: list[Cluster], span: Span) -> Cluster | None:
        """The media speaker named last before ``span``: a named media speaker, or an outlet
        named in the text ("The Washington Post") that is no speaker yet."""
        named = [c for c in clusters if c.named and c.type == SpeakerType.MEDIA and c.last <= span[0]]
        ents = [
            e for e in parsed.ents
            if e[2] in ("ORG", "WORK_OF_ART") and e[1] <= span[0]
            and self._clean(parsed.text[e[0] : e[1]]).lower().split()[-1:] in [[w] for w in _OUTLET_WORDS]
        ]
        last_ent = max(ents, key=lambda e: e[1], default=None)
        last_named = max(named, key=lambda c: c.last, default=None)
        if last_ent is not None and (last_named is None or last_ent[1] > last_named.last):
            found = self._phrase_cluster(parsed, clusters, (last_ent[0], last_ent[1]))
            return found if found.type == SpeakerType.MEDIA else last_named
        return last_named

    def _qualifiers(self, parsed: ParsedText, span: Span) -> set[str]:
        """The words that say which group a plural descriptor is ("labor-policy", "black" in
        "top black lawmakers"), without its head noun and quantity words."""
        toks = parsed.tokens_in(*span)
        head = self._head(toks, span)
        return {
            t.lemma.lower() for t in toks
            if t.pos in ("ADJ", "NOUN", "PROPN") and t is not head and t.lemma.lower() not in _QUANTIFIERS | {"top"}
        }

    def _group_antecedent(
        self, parsed: ParsedText, clusters: list[Cluster], span: Span, head: str
    ) -> Cluster | None:
        """"Experts … some experts … labor-policy experts": plural descriptors with one head noun
        are one group speaker in an article, unless "other" marks a new group or both name
        qualifiers and none is shared ("Republican senators", "Democratic senators")."""
        words = {t.lower() for t in parsed.text[span[0] : span[1]].split()}
        if words & _OTHER:
            return None
        mine = self._qualifiers(parsed, span)
        for c in sorted(clusters, key=lambda c: -c.last):
            if c.named or c.type != SpeakerType.GROUP or c.last > span[0] or head not in c.heads:
                continue
            heads = (self._head(parsed.tokens_in(*m), m) for m in c.mentions)
            if not any(h is not None and h.lemma == head for h in heads):
                continue  # "the family" is not "attorneys for the family"
            theirs = set().union(*(self._qualifiers(parsed, m) for m in c.mentions)) if c.mentions else set()
            if not mine or not theirs or mine & theirs:
                return c
        return None

    def _producer(self, parsed: ParsedText, clusters: list[Cluster], span: Span, head: str) -> Cluster | None:
        """"The RNC released an ad … The ad says": a document speaks for whoever made it. The
        latest earlier mention of the descriptor's head noun (else the nearest earlier document)
        names its maker by a possessive or a name before it ("the RNC's ad", "a Trump campaign
        ad"), by "by"/"from" ("a statement from the council"), or as the subject of the verb it
        is the object of ("The RNC released an ad")."""
        toks = parsed.tokens
        here = parsed.token_at(span[0])
        if here is None:
            return None
        earlier = next((t for t in reversed(toks[max(0, here - 400) : here]) if t.lemma.lower() == head), None)
        if earlier is None:
            # "A web video by the RNC … The ad": the nearest document named by another word
            earlier = next((t for t in reversed(toks[max(0, here - 150) : here]) if t.lemma.lower() in ARTIFACT_NOUNS), None)
        if earlier is None:
            return None

        def entity(tok: Token) -> tuple[int, int, str] | None:
            return next((e for e in parsed.ents if e[0] <= tok.start < e[1] and e[2] in ("PERSON", "ORG", "NORP", "GPE")), None)

        makers = [toks[k] for k in parsed.children[earlier.i] if toks[k].dep in ("poss", "compound")]
        for k in parsed.children[earlier.i]:
            if toks[k].dep == "prep" and toks[k].lemma in ("by", "from"):
                makers += [toks[j] for j in parsed.children[k] if toks[j].dep == "pobj"]
            if toks[k].dep == "acl":  # "an ad paid for by the RNC"
                for j in parsed.children[k]:
                    if toks[j].dep == "agent" or (toks[j].dep == "prep" and toks[j].lemma == "by"):
                        makers += [toks[m] for m in parsed.children[j] if toks[m].dep == "pobj"]
        if earlier.dep == "dobj":
            makers += [toks[k] for k in parsed.children[earlier.head] if toks[k].dep == "nsubj"]
        for tok in makers:
            ent = entity(tok)
            if ent is not None:
                if ent[2] == "PERSON":
                    return self._named_cluster(parsed, clusters, ent)
                return self._phrase_cluster(parsed, clusters, (ent[0], ent[1]))
        return None

    def _descriptor_antecedent(
        self, parsed: ParsedText, clusters: list[Cluster], span: Span, info: dict[str, object]
    ) -> Cluster | None:
        if info.get("number") == "pl" and info["type"] == SpeakerType.GROUP and not info.get("definite"):
            return self._group_antecedent(parsed, clusters, span, str(info.get("head", "")))
        forward = (
            info["type"] in (SpeakerType.PERSON, SpeakerType.ORGANIZATION) and info.get("number") == "sg"
            and str(info.get("head", "")) not in SOURCE_NOUNS
        )
        if not info.get("definite"):
            return self._cataphor(parsed, clusters, span, info) if forward else None
        if (
            self.pronoun_model is not None and self.config.pronoun_descriptors != "off"
            and info["type"] in (SpeakerType.PERSON, SpeakerType.ANONYMOUS) and info.get("number") == "sg"
        ):
            learned = self._learned_descriptor(parsed, clusters, span)
            if learned is not None or self.config.pronoun_descriptors == "decide":
                return learned
        head = str(info.get("head", ""))
        if head in ARTIFACT_NOUNS and info.get("number") == "sg":
            maker = self._producer(parsed, clusters, span, head)
            if maker is not None:
                return maker
        prior = [c for c in clusters if c.last <= span[0]]
        same_head = [c for c in prior if head in c.heads]
        named_head = [c for c in same_head if c.named]
        if named_head:
            return max(named_head, key=lambda c: c.last)
        person = info["type"] in (SpeakerType.PERSON, SpeakerType.ANONYMOUS)
        role = self._role_antecedent(parsed, clusters, span, head) if head not in SOURCE_NOUNS and person else None
        if role is not None:
            return role
        if same_head:
            return max(same_head, key=lambda c: c.last)
        if info["type"] == SpeakerType.MEDIA and info.get("number") == "sg":
            # "the newspaper": the outlet named most recently before it
            outlet = self._recent_outlet(parsed, clusters, span)
            if outlet is not None:
                return outlet
        if (
            self.config.salient_descriptors
            and info["type"] == SpeakerType.PERSON
            and info.get("number") == "sg"
            and head not in SOURCE_NOUNS
        ):
            salient = self._salient_person(parsed, span, info)
            if salient is not None:
                return self._named_cluster(parsed, clusters, salient)
        if info["type"] == SpeakerType.ANONYMOUS or head in SOURCE_NOUNS:
            anon = [c for c in prior if c.type == SpeakerType.ANONYMOUS]
            if anon:
                return max(anon, key=lambda c: c.last)
        return self._cataphor(parsed, clusters, span, info) if forward else None

    def _learned_descriptor(self, parsed: ParsedText, clusters: list[Cluster], span: Span) -> Cluster | None:
        """The person a definite description refers back to, as the pronoun model reads it: its
        best candidate when that beats "none of them" (logit 0), else ``None``."""
        from stance.attribution.ranker import pronoun_candidates

        assert self.pronoun_model is not None
        cands = pronoun_candidates(
            parsed, clusters, span, None, self._quoted, self.config.pronoun_window, self._genders,
            self._prev_cluster(clusters), self._clean, self._same_name, None,
            is_person=lambda e: self._person_entity(parsed, e),
        )
        if not cands:
            return None
        from stance.attribution.pronoun_model import best_candidate

        best = best_candidate(self.pronoun_model.score([(parsed.text, span, [c.mentions for c in cands])])[0])
        return None if best is None else self._candidate_cluster(parsed, clusters, cands[best])

    def predict(self, parsed: ParsedText, quotes: list[RawQuote]) -> Resolution:
        """Canonical speakers of one document. The per-document state (genders read from the
        text, quotes assigned so far) lives on a shallow copy, so one resolver can serve
        several threads."""
        return copy.copy(self)._resolve(parsed, quotes)

    def _resolve(self, parsed: ParsedText, quotes: list[RawQuote]) -> Resolution:
        clusters: list[Cluster] = []
        by_mention: dict[Span, int] = {}
        unknown: Cluster | None = None
        narrators: dict[str, Cluster] = {}
        assignment: list[int] = []
        self._assigned = assignment
        quoted = [sp for rq in quotes if rq.kind != "indirect" for sp in rq.spans]
        self._quoted = quoted
        self._genders = self._gender_evidence(parsed, quoted)
        self._person_surnames = {
            n.lower().split()[-1] for n in (self._clean(parsed.text[a:b]) for a, b, lab in parsed.ents if lab == "PERSON") if n
        }
        for rq in quotes:
            check_deadline()  # the document's time budget (PipelineConfig.doc_timeout)
            span = rq.source
            if span is not None and blank_span(parsed.text, span):
                span = None  # a blank or punctuation-only source names nobody
            if span is None:
                if unknown is None:
                    unknown = Cluster(len(clusters), "unknown", SpeakerType.UNKNOWN)
                    clusters.append(unknown)
                assignment.append(unknown.id)
                continue
            if span in by_mention:
                assignment.append(by_mention[span])
                continue
            low = parsed.text[span[0] : span[1]].strip().lower()
            target: Cluster | None = None
            ante = self._relative_antecedent(parsed, span) if low in _RELATIVE else None
            info = self._analyse(parsed, ante or span, rq.cue_lemma)
            if low in _NARRATION and not any(a <= span[0] < b for a, b in quoted):
                # "I" in the narration, not inside a quotation, is the author of the piece; "you"
                # ("if you think that …") its reader
                if low not in narrators:
                    narrators[low] = Cluster(len(clusters), _NARRATION[low], SpeakerType.PERSON, number="sg", author=True)
                    clusters.append(narrators[low])
                target = narrators[low]
                info = {"kind": "author", "name": _NARRATION[low]}
            elif info["kind"] == "pronoun":
                target = self._pronoun_antecedent(parsed, clusters, span, info, quoted)
                if target is None:
                    g, n = info["gender"], info["number"]
                    typ = SpeakerType.PERSON if g in ("m", "f") or parsed.text[span[0]:span[1]].lower() == "i" else (
                        SpeakerType.ORGANIZATION if g == "n" else SpeakerType.GROUP if n == "pl" else SpeakerType.UNKNOWN
                    )
                    target = Cluster(len(clusters), "unknown", typ, gender=g if isinstance(g, str) else None, number=n if isinstance(n, str) else None)
                    clusters.append(target)
                elif info["gender"] in ("m", "f") and target.gender is None:
                    target.gender = str(info["gender"])
            elif info["kind"] == "name":
                name = str(info["name"])
                title = info.get("title")
                # "Minnie Beebe" is not the "Mr. Beebe" already met where "Minnie" is "she"
                first = name.lower().split()[0] if len(name.split()) > 1 and not title else ""
                target = next(
                    (c for c in reversed(clusters) if c.named and self._same_name(c.name, name)
                     and self._compatible(c, str(title) if title else None, info.get("gender") or self._genders.get(first))),
                    None,
                )
                if target is not None and target.title is None and title:
                    target.title = str(title)
                if target is not None and len(name) > len(target.name):
                    target.name = name
                if target is None:
                    info["gender"] = info.get("gender") or self._genders.get(name.lower().split()[-1] if name else "")
                    # "Doe said" after "Jane Doe arrived": the fullest earlier form of the name
                    fuller = [
                        f for f in self._fuller_names(parsed, name, span[0])
                        if not (title and _title_in(f) not in (None, title))  # "Miss Bingley" is not Mr. Bingley
                    ]
                    if fuller and info.get("type") == SpeakerType.PERSON:
                        info["name"] = max(fuller, key=len)
                    elif title and info.get("type") == SpeakerType.PERSON:
                        # "Mr. Ban" after "Ban Ki-moon": the person, quoted before or not
                        for full in self._family_name_first(parsed, name, span[0], clusters):
                            info["name"] = full
                            target = next((c for c in reversed(clusters) if c.named and c.name == full), None)
            elif info["kind"] == "descriptor":
                target = self._descriptor_antecedent(parsed, clusters, span, info)
            if target is None:
                target = Cluster(
                    len(clusters), str(info["name"]), info["type"],  # type: ignore[arg-type]
                    named=info["kind"] == "name",
                    gender=info.get("gender"),  # type: ignore[arg-type]
                    number=info.get("number"),  # type: ignore[arg-type]
                    title=info.get("title"),  # type: ignore[arg-type]
                )
                if info["kind"] == "descriptor":
                    # a relative pronoun's speaker is introduced by its antecedent ("economists who …")
                    target.head, target.intro = str(info.get("head", "")), ante or span
                    target.relative = ante is not None
                clusters.append(target)
            if info.get("head"):
                target.heads.add(str(info["head"]))
            target.heads.update(info.get("nouns", ()))  # type: ignore[arg-type]
            # an unnamed speaker is named by its most informative (longest indefinite) descriptor
            better_descriptor = (
                not target.named
                and info["kind"] == "descriptor"
                and not info.get("definite")
                and len(str(info["name"])) > len(target.name)
            )
            if info["kind"] != "pronoun" and (target.name == "unknown" or better_descriptor):
                target.name = str(info["name"])
            if target.gender is None and info.get("gender") in ("m", "f"):
                target.gender = str(info["gender"])
            target.mentions.append(span)
            target.last = max(target.last, span[1])
            by_mention[span] = target.id
            assignment.append(target.id)
        author = narrators.get("i")
        if author is not None:
            named_author = author_name(parsed)
            if named_author is not None:
                # the byline or tagline names the "I" of the piece
                author.name, author.named = self._clean(parsed.text[named_author[0] : named_author[1]]), True
                author.mentions.append(named_author)
        self._add_name_mentions(parsed, clusters)
        for c in clusters:
            if c.named and c.title and len(c.name.split()) == 1:
                # two "Bennet"s are told apart by the title they are named with
                c.name = f"{c.title.capitalize()}{'' if c.title == 'miss' else '.'} {c.name}"
        if self.config.anonymous == "unnamed":
            self._unnamed_convention(parsed, clusters)
        return Resolution(clusters, assignment)

    @staticmethod
    def _identified(parsed: ParsedText, span: Span) -> bool:
        """A described person the phrase itself identifies, so not an anonymous source: a name
        the NER missed ("Quillfact", "Ngata": every word capitalised), a role with its holder's
        name ("the firm's chief executive, Ama Owusu", "her lawyer Lior Ben-Ami"), someone known
        through a possessor ("his ex-wife", "Ngata's lawyer"; not "Ngata's advisers"), two people
        the article has named ("both candidates"), or an indefinite pronoun ("no one",
        "someone")."""
        toks = parsed.tokens_in(*span)
        head = RuleResolver._phrase_head(parsed, toks, span)
        if head is None:
            return True
        if toks and toks[0].text.lower() == "both" and not any(t.text.lower() == "and" for t in toks):
            # "both presidential candidates": two people the article has named (not "both X and Y")
            return True
        words = [t for t in toks if t.text[:1].isalpha()]
        if words and all(t.text[:1].isupper() for t in words) and head.ent != "NORP" and (
            head.pos == "PROPN" or (len(words) == 1 and head.lemma.lower() not in ROLE_NOUNS | SOURCE_NOUNS)
        ):
            return True  # a surname or an outlet tagged as a noun, not "Officials" opening a sentence
        for a, b, lab in parsed.ents:
            # the head is a name, or a name follows it ("his wife and … Ama Owusu"), not as the
            # object of a preposition ("advisers to Mr. Ngata" are not Mr. Ngata)
            if lab == "PERSON" and head.start <= a and b <= span[1] and not any(
                t.pos == "ADP" for t in toks if head.end <= t.start < a
            ):
                return True
        after = [t for t in toks if t.i > head.i and t.pos != "PUNCT"]
        if after and after[0].pos == "PROPN":
            return True
        if head.tag not in ("NNS", "NNPS") and any(parsed.tokens[k].dep == "poss" for k in parsed.children[head.i]):
            return True
        return head.lemma.lower() in _INDEFINITE_PRONOUNS

    @staticmethod
    def _involved(parsed: ParsedText, span: Span) -> bool:
        """Unnamed people whose phrase says how they took part or were reached ("many people
        involved in the negotiations", "everyone I interviewed", "some involved in the new
        efforts"): particular individuals, so anonymous, where the bare head ("many people",
        "everyone") is the public. The head is a people word (:data:`_PEOPLE_HEADS`, read through a
        quantity: "many of the people …") and a verb of :data:`_INVOLVEMENT_VERBS` follows it
        inside the phrase (a name there is whom they dealt with: "people who worked with Ngata")."""
        toks = parsed.tokens_in(*span)
        head = RuleResolver._phrase_head(parsed, toks, span)
        if head is None or head.text.lower() not in _PEOPLE_HEADS:
            # the parse may head the phrase elsewhere ("many of the people interviewed …"): its
            # first noun or pronoun
            head = next((t for t in toks if t.pos in ("NOUN", "PRON")), None)
        if head is None or head.text.lower() not in _PEOPLE_HEADS:
            return False
        after = [t for t in toks if t.i > head.i]
        return any(t.pos == "VERB" and t.lemma.lower() in _INVOLVEMENT_VERBS for t in after)

    @staticmethod
    def _unnamed_convention(parsed: ParsedText, clusters: list[Cluster]) -> None:
        """Type the unnamed speakers that no name was found for by the README's convention,
        after linking (which reads the finer types): an unnamed individual ("a doctor", "one
        senior Democrat") and unnamed people in a role, office or expertise ("officials",
        "experts": :data:`ROLE_NOUNS`) are anonymous; a poll, report or document with no name in
        its phrase ("a new poll", not "a Bloomberg poll": a proper noun names who is behind it) is
        unknown."""
        for c in clusters:
            if c.named or c.author or c.head is None or c.intro is None:
                continue
            if RuleResolver._involved(parsed, c.intro):
                c.type = SpeakerType.ANONYMOUS
                continue
            unnamed_people = (c.type == SpeakerType.PERSON and not c.relative) or (
                c.type == SpeakerType.GROUP and c.head in ROLE_NOUNS
            )
            if unnamed_people:
                if not RuleResolver._identified(parsed, c.intro):
                    c.type = SpeakerType.ANONYMOUS
            elif c.type == SpeakerType.ORGANIZATION and c.head in ARTIFACT_NOUNS:
                if not any(t.pos == "PROPN" for t in parsed.tokens_in(*c.intro)):
                    c.type = SpeakerType.UNKNOWN

    def _add_name_mentions(self, parsed: ParsedText, clusters: list[Cluster]) -> None:
        """Every mention of a named speaker's name in the text belongs to it (not only sources)."""
        named = [c for c in clusters if c.named]
        if not named:
            return
        for start, end, label in parsed.ents:
            if label not in ("PERSON", "ORG", "GPE", "NORP"):
                continue
            name = self._clean(parsed.text[start:end])
            if not name:
                continue
            title = self._title_before(parsed, start)
            for c in named:
                if self._same_name(c.name, name) and self._compatible(c, title):
                    if not any(a <= start < b for a, b in c.mentions):
                        c.mentions.append((start, end))
                    break
        for c in clusters:
            c.mentions.sort()
