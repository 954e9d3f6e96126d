"""Pets the user says are gone ("we lost Biscuit", "a Farofa fugiu") and partners they left.

A user may keep several pets at once, so a new pet does not replace the last one the way a
new home replaces the old (`memory.facts`: single-valued attributes). Without this, "What's
my dog called now?" after "we lost Biscuit… we picked up a pup, Dusty" keeps answering
Biscuit. A partner is replaced by the next one the rules read, but "a Marta e eu acabámos.
Entretanto conheci a Beatriz…" names the new one in words no rule reads: the break-up closes
Marta. A fact is closed only when the message names it as ended AND a current fact of the
attribute holds exactly that name, so a name that is no pet or partner of the user's
("Sinatra died in 1998") changes nothing.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from langgraph.store.base import PutOp
from langgraph.store.postgres.aio import AsyncPostgresStore

_NAME = r"([A-Z\u00c0-\u00dd][\w-]*)\b(?!['\u2019]\w)"  # "Biscuit", not "Tom's"
_GONE = (
    # "we lost Biscuit", "we had to put Nibbles down", "perdemos a Mel"
    re.compile(
        r"\b(?i:(?:we|i)(?:'ve|\s+have)?\s+(?:just\s+)?(?:lost|said\s+goodbye\s+to)"
        r"\s+(?:our\s+|my\s+)?(?:(?:dog|cat|pup|puppy|bunny|rabbit|hamster|bird)\s+)?)" + _NAME
    ),
    re.compile(r"\b(?i:had\s+to\s+put\s+)" + _NAME + r"(?i:\s+down)\b"),
    re.compile(
        r"\b(?i:(?:perdemos|perdi)\s+(?:(?:o|a)\s+)?(?:(?:nosso|nossa|meu|minha)\s+\w+\s+)?)"
        + _NAME
    ),
    # "Nibbles died on Sunday", "a Farofa fugiu", "o Bolinhas morreu"
    re.compile(
        _NAME + r"\s+(?i:(?:has\s+|had\s+)?(?:died|passed(?:\s+away)?|ran\s+away|went\s+missing"
        r"|(?:was|got)\s+stolen|flew\s+(?:off|away)|morreu|faleceu|fugiu|desapareceu"
        r"|foi\s+roubad[oa]))\b"
    ),
    # Rehomed: "Bolt is living with my parents now", "Bolt went to live with my gran", "a
    # Mel foi viver com a minha avó", "o Rex ficou com o meu irmão".
    re.compile(
        _NAME + r"\s+(?i:(?:is\s+(?:now\s+)?(?:living|staying)|went\s+to\s+(?:live|stay)|has\s+gone"
        r"\s+to\s+live|moved\s+in)\s+with\s+(?:my|our)|(?:foi|passou\s+a)\s+(?:viver|morar)\s+com"
        r"|(?:esta|está)\s+(?:a\s+viver|a\s+morar|morando|vivendo)\s+com|ficou\s+com)\b"
    ),
    re.compile(r"\b(?i:(?:we|i)\s+(?:had\s+to\s+)?rehome[d]?\s+)" + _NAME),
)


_PARTED = (
    # "Mia and I split up", "I broke up with Caio", "a Marta e eu acabámos", "terminei com o Caio"
    re.compile(_NAME + r"(?i:\s+and\s+i\s+(?:have\s+)?(?:split\s+up|broke\s+up|separated))\b"),
    re.compile(r"\b(?i:i\s+(?:just\s+)?(?:broke\s+up|split\s+up)\s+with\s+)" + _NAME),
    re.compile(
        _NAME + r"(?i:\s+e\s+eu\s+(?:acab[aá]mos|termin[aá]mos|separ[aá]mo-nos|nos\s+separamos))"
    ),
    re.compile(
        r"\b(?i:eu\s+e\s+(?:o|a)\s+)"
        + _NAME
        + r"(?i:\s+(?:acab[aá]mos|termin[aá]mos|separ[aá]mo-nos|nos\s+separamos))"
    ),
    re.compile(r"\b(?i:terminei\s+(?:tudo\s+)?com\s+(?:o|a)\s+)" + _NAME),
)
ENDED = {"pet": _GONE, "partner": _PARTED}


def ended(attribute: str, message: str) -> list[str]:
    """Return the names the message says are no longer the user's `attribute` ("pet")."""
    return [m.group(1) for pattern in ENDED[attribute] for m in pattern.finditer(message)]


async def close_ended(
    store: AsyncPostgresStore, ns: tuple[str, ...], message: str, at: datetime
) -> list[str]:
    """Close the user's current pets and partners the message says ended; return their keys.

    Args:
        store: The facts store, in the caller's tenant scope.
        ns: The user's facts namespace.
        message: The user's message.
        at: When the user said it (the closed facts' `valid_to`).
    """
    keys = []
    for attribute in ENDED:
        names = {name.casefold() for name in ended(attribute, message)}
        if not names:
            continue
        current = await store.asearch(
            ns, filter={"attribute": attribute, "current": True}, limit=50
        )
        done = [item for item in current if item.value["value"].casefold() in names]
        closed = {"current": False, "valid_to": at.astimezone(UTC).isoformat()}
        if done:
            await store.abatch([PutOp(ns, item.key, {**item.value, **closed}) for item in done])
        keys += [item.key for item in done]
    return keys
