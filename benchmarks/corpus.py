"""Synthetic, reproducible text for benchmarks: chat turns, questions and knowledge-base pages.

Benchmarks need many distinct texts with a vocabulary that behaves like chat (people, places,
activities, dates, order numbers), so that embeddings spread out and BM25 term statistics are
not degenerate. Every text is a function of its index and the seed, so two runs of a size
store and ask the same things.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

_PEOPLE = (
    "Ana Bruno Carla Duarte Eva Filipe Graça Hugo Inês João Kiko Lara Miguel Nuno Olga Pedro "
    "Quim Rita Sofia Tiago Ulisses Vera Xavier Zé Alice Ben Chloe Dan Emma Finn Grace Henry "
    "Isla Jack Kate Liam Maya Noah Olivia Paul Quinn Ruby Sam Tara Uma Victor Will Yara Zoe"
).split()
_PLACES = (
    "Lisbon Porto Braga Faro Coimbra Évora Sintra Aveiro Madrid Paris Berlin Rome Dublin "
    "Prague Vienna Oslo Boston Denver Austin Seattle Kyoto Seoul Lima Quito Nairobi Cairo "
    "Marrakesh Lyon Ghent Krakow Tallinn Riga Bergen Malmo Turin Split Zagreb Sofia Bruges"
).split()
_ACTIVITIES = (
    "hiking,painting,a pottery class,a cooking course,the marathon,a camping trip,a concert,"
    "a job interview,the dentist,a football match,a book club,a yoga retreat,a wedding,"
    "a birthday party,a road trip,a museum visit,a surf lesson,a climbing gym,a chess tournament,"
    "a piano recital,a volunteering day,a startup pitch,a photography walk,a wine tasting,"
    "a hackathon,a garden fair,a charity run,a family dinner,a salsa class,a film festival"
).split(",")
_OBJECTS = (
    "a red bicycle,an old camera,a blue notebook,a new laptop,a vintage guitar,a sourdough starter,"
    "a pair of running shoes,a telescope,a sewing machine,a drone,a chess set,a kayak,an e-reader,"
    "a record player,a tent,a coffee grinder,a watercolour set,a skateboard,a puppy,a kitten"
).split(",")
_FEELINGS = (
    "excited,nervous,proud,exhausted,relieved,happy,a bit lost,inspired,grateful,frustrated"
).split(",")
_TEMPLATES = (
    "I went to {activity} in {place} with {person} and felt {feeling}.",
    "{person} gave me {object} after {activity}; I still can't believe it.",
    "Next month I'm flying to {place} for {activity}, {person} is coming too.",
    "Do you remember {person}? We met at {activity} in {place}.",
    "My order {order} for {object} still hasn't arrived, support says {days} more days.",
    "I've been practising for {activity} every morning, {person} says I'm improving.",
    "We finally sold {object} and used the money for a weekend in {place}.",
    "{person} moved to {place} last week, I'll miss our Sunday {activity_short}.",
    "The ticket {order} for {activity} in {place} was refunded after {days} days.",
    "Honestly I felt {feeling} when {person} talked about {activity}.",
    "I'm thinking of buying {object} before {activity} in {place}.",
    "That's great! How did {person} like {activity}?",
    "Sounds like {place} was lovely. Did you take {object} with you?",
    "I'd suggest writing down what you learnt at {activity} while it is fresh.",
)
_QUESTIONS = (
    "When did I go to {activity} with {person}?",
    "What did {person} give me?",
    "Where is {person} living now?",
    "What happened with my order {order}?",
    "Who came with me to {place}?",
    "How did I feel about {activity}?",
    "What was I planning to buy before {activity}?",
    "lembras-te de quando fui a {place} com {person}?",
)


def _slots(rng: random.Random, index: int) -> dict[str, str]:
    activity = rng.choice(_ACTIVITIES)
    return {
        "person": rng.choice(_PEOPLE),
        "place": rng.choice(_PLACES),
        "activity": activity,
        "activity_short": activity.removeprefix("a ").removeprefix("the "),
        "object": rng.choice(_OBJECTS),
        "feeling": rng.choice(_FEELINGS),
        "order": f"#{rng.choice('ABCDEFGH')}-{1000 + index % 9000}",
        "days": str(rng.randint(2, 30)),
    }


def message_text(index: int, seed: int = 7) -> str:
    """Return the text of stored message `index`: one or two sentences of chat."""
    rng = random.Random(seed * 1_000_003 + index)
    first = rng.choice(_TEMPLATES).format(**_slots(rng, index))
    if rng.random() < 0.4:
        return f"{first} {rng.choice(_TEMPLATES).format(**_slots(rng, index + 1))}"
    return first


def question_text(index: int, seed: int = 7) -> str:
    """Return benchmark question `index` (English, some Portuguese), about stored topics."""
    rng = random.Random(seed * 7_000_001 + index)
    return rng.choice(_QUESTIONS).format(**_slots(rng, index))


def message_time(index: int, total: int, *, days: int = 365) -> datetime:
    """Spread `total` messages over the last `days` days, in index order."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    return start + timedelta(seconds=days * 86_400 * index / max(total, 1))


def kb_page(index: int, seed: int = 7, *, paragraphs: int = 6) -> str:
    """Return a markdown help page: `paragraphs` sections of ~1,600 characters (12 chunks)."""
    rng = random.Random(seed * 31 + index)
    product = f"{rng.choice(_OBJECTS).split()[-1].title()} {rng.choice(_PLACES)} {index}"
    parts = [f"# {product} guide\n"]
    for p in range(paragraphs):
        parts.append(f"\n## {rng.choice(_ACTIVITIES).capitalize()} ({p + 1})\n")
        sentences = []
        for s in range(8):
            slots = _slots(rng, index * 100 + p * 10 + s)
            sentences.append(
                f"To use {product} for {slots['activity']}, {slots['person']} from "
                f"{slots['place']} recommends checking code E-{rng.randint(1000, 9999)} and "
                f"order {slots['order']} first."
            )
        parts.append(" ".join(sentences) + "\n")
    return "".join(parts)
