"""Attribution cues: verbs of saying, reporting and believing (lemmas), as used in news attribution."""

from __future__ import annotations

#: verbs that introduce reported content through a clausal complement ("said that ...")
SPEECH_VERBS = frozenset(
    """
    say tell add report claim announce state deny demand warn insist argue explain note write
    ask suggest believe think acknowledge admit confirm predict promise threaten urge accuse
    allege assert contend declare estimate maintain mention reply respond sigh grumble tweet
    post complain concede reveal indicate vow pledge recall stress emphasize emphasise testify
    charge counter agree observe remark conclude caution boast joke quip hint signal propose
    recommend disclose find show fear worry reiterate repeat retort shout scream
    whisper chant tout lament cite describe
    """.split()
)

#: verbs whose direct object can be the reported content ("denied the allegations")
OBJECT_CONTENT_VERBS = frozenset(
    "demand deny announce propose promise confirm report predict acknowledge admit claim urge "
    "reject recommend pledge vow reveal disclose".split()
)

#: verb + preposition cues whose object is the content ("called for a ceasefire")
PREP_CUES = {"call": ("for", "on"), "ask": ("for",), "push": ("for",), "press": ("for",)}

def is_speech_verb(lemma: str) -> bool:
    return lemma in SPEECH_VERBS
