"""The people around a user, in the words of either language (accent-folded regex alternations).

One list, read four ways: whose clause a sentence is (`text.said_of_user`: "my sister has a
cat" is the sister's), whose job or home a labelled sentence states
(`memory.fact_statements`), which relative a name is recorded for ("my cousin Ana",
`memory.fact_words`), and which relative a question asks about (`graph.asked_detail`). Kept
apart, the lists drifted: "cousin" was someone else to the answer gate but no relative to
the fact rules, "twin" a sibling to a question but nobody to the statement facts.

Each alternation holds singulars and plurals; callers add word boundaries.
"""

from __future__ import annotations

# A partner, however named ("my other half", "my madam" in Nigerian English, "a minha
# companheira").
PARTNER = (
    r"husbands?|hubby|wives|wife|missus|madam|partners?|fella|spouses?|other half|boyfriends?"
    r"|girlfriends?|fiance\w*|marido|esposa|esposo|mulher|companheir[oa]|namorad[oa]|noiv[oa]"
    r"|(?<=minha )mina"  # a girlfriend, in Brazilian slang; "a mina de ouro" is no partner
)
SIBLINGS = r"siblings?|brothers?|sisters?|twins?|irmas?|irmaos?|gemeos?|gemeas?"
CHILDREN = r"sons?|daughters?|kids?|child|children|filh[oa]s?"
PARENTS = (
    r"mums?|moms?|mam|mammy|mummy|mommy|mama|mothers?|dads?|daddy|papa|fathers?|parents?"
    r"|mae|mamae|pai|papai|pais"
)
# The wider family. Grandparents and grandchildren by name: "grand" begins places and
# adjectives too ("Rio Grande", "grandes", "grandstand").
RELATIVES = (
    r"cousins?|uncles?|aunts?|nieces?|nephews?|\w+-in-laws?|prim[oa]s?|ti[oa]s?"
    r"|grand(?:mothers?|fathers?|parents?|sons?|daughters?|child(?:ren)?|kids?|nephews?"
    r"|nieces?|mas?|pas?|mums?|moms?|dads?|mamas?|papas?|nans?)|grann(?:y|ies)"
    r"|sobrinh[oa]s?|cunhad[oa]s?|sogr[oa]s?|avos?|net[oa]s?"
)
FAMILY = "|".join((SIBLINGS, CHILDREN, PARENTS, RELATIVES))
# Not kin, but not the user either.
AROUND = (
    r"friends?|mates?|pals?|colleagues?|co-?workers?|neighbou?rs?|boss(?:es)?|flatmates?"
    r"|roommates?|amig[oa]s?|coleg[ao]s?|vizinh[oa]s?|chefes?|compadres?|comadres?"
    r"|padrinhos?|madrinhas?|afilhad[oa]s?|godparents?|godfathers?|godmothers?"
)
# Anyone around the user: a clause whose subject is one of them is theirs.
PEOPLE = "|".join((PARTNER, FAMILY, AROUND))
# The relatives an attribute of the user is about.
KIN_OF = {"partner": PARTNER, "family": FAMILY}
