"""Load and check the chat eval's scenario set (personas and knowledge-base questions).

The set's format is documented at the top of `scenarios.yaml`, the default set. A `.jsonl`
file works too: one object per line, `{"kind": "persona", ...}` with the persona's fields or
`{"kind": "kb", ...}` with a knowledge-base question's.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from evals.chat.scoring import contains, normalise

HERE = Path(__file__).resolve().parent
DEFAULT_SCENARIOS = HERE / "scenarios.yaml"
DEFAULT_KB_DIR = HERE.parents[1] / "data" / "sample_kb"
LANGUAGES = ("en", "pt")
MIN_PERSONAS_PER_LANGUAGE = 12
MIN_FACTS = 6
MIN_KB_QUESTIONS = 12
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,47}$")
_TAG = re.compile(r"<(script|style)\b.*?</\1>|<[^>]+>", re.DOTALL | re.IGNORECASE)


@dataclass(frozen=True)
class Question:
    """A question asked in a new thread after the persona has told (and changed) its facts.

    Attributes:
        ask: The message sent.
        fact: Key of the told fact it is about; None for a never-told (abstain) question.
        expect: Values any one of which in a passage counts as the fact being there.
        stale: The changed fact's old values (only on the changed fact's question).
        abstain: True when the user never told this, so the answer should not know it.
        about: What a never-told question asks for, for the report.
    """

    ask: str
    fact: str | None = None
    expect: tuple[str, ...] = ()
    stale: tuple[str, ...] = ()
    abstain: bool = False
    about: str = ""


@dataclass(frozen=True)
class Change:
    """A single-valued fact that changes in the persona's third thread."""

    fact: str
    old: str
    new: str
    thread: tuple[str, ...]


@dataclass(frozen=True)
class Persona:
    """A user who tells facts across two threads, changes one, then is questioned."""

    id: str
    language: str
    locale: str
    facts: dict[str, str]
    tell: tuple[tuple[str, ...], ...]
    change: Change
    questions: tuple[Question, ...]


@dataclass(frozen=True)
class KbQuestion:
    """A knowledge-base question with the file and passage text that answer it."""

    id: str
    language: str
    ask: str
    doc: str
    doc_language: str
    expect: str

    @property
    def cross_lingual(self) -> bool:
        """True when the question's language differs from its document's."""
        return self.language != self.doc_language


@dataclass(frozen=True)
class ScenarioSet:
    """Personas and knowledge-base questions, as loaded from one file."""

    personas: tuple[Persona, ...]
    kb_questions: tuple[KbQuestion, ...]
    source: str = field(default="")

    def select(
        self, languages: Iterable[str] = LANGUAGES, limit_personas: int | None = None
    ) -> ScenarioSet:
        """Return the set restricted to `languages`, with at most N personas per language."""
        wanted = tuple(languages)
        personas: list[Persona] = []
        for lang in wanted:
            mine = [p for p in self.personas if p.language == lang]
            personas += mine if limit_personas is None else mine[:limit_personas]
        kb = tuple(q for q in self.kb_questions if q.language in wanted)
        return ScenarioSet(tuple(personas), kb, self.source)


def _strings(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


def _question(raw: Mapping[str, Any]) -> Question:
    return Question(
        ask=str(raw["ask"]),
        fact=raw.get("fact"),
        expect=_strings(raw.get("expect")),
        stale=_strings(raw.get("stale")),
        abstain=bool(raw.get("abstain", False)),
        about=str(raw.get("about") or ""),
    )


def persona_from_dict(raw: Mapping[str, Any]) -> Persona:
    """Build a persona from its YAML/JSON mapping (see the format in `scenarios.yaml`)."""
    change = raw["change"]
    return Persona(
        id=str(raw["id"]),
        language=str(raw["language"]),
        locale=str(raw.get("locale") or raw["language"]),
        facts={str(k): str(v) for k, v in (raw.get("facts") or {}).items()},
        tell=tuple(tuple(str(m) for m in thread) for thread in raw["tell"]),
        change=Change(
            fact=str(change["fact"]),
            old=str(change["from"]),
            new=str(change["to"]),
            thread=tuple(str(m) for m in change["thread"]),
        ),
        questions=tuple(_question(q) for q in raw["questions"]),
    )


def kb_question_from_dict(raw: Mapping[str, Any]) -> KbQuestion:
    """Build a knowledge-base question from its mapping."""
    return KbQuestion(
        id=str(raw["id"]),
        language=str(raw["language"]),
        ask=str(raw["ask"]),
        doc=str(raw["doc"]),
        doc_language=str(raw.get("doc_language") or raw["language"]),
        expect=str(raw["expect"]),
    )


def load_scenarios(path: str | Path = DEFAULT_SCENARIOS) -> ScenarioSet:
    """Load a scenario set from a `.yaml`/`.yml`, `.json` or `.jsonl` file.

    Raises:
        ValueError: The file is not a scenario set (missing keys, wrong shapes).
    """
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix == ".jsonl":
            records = [json.loads(line) for line in text.splitlines() if line.strip()]
            raw_personas = [r for r in records if r.get("kind") == "persona"]
            raw_kb = [r for r in records if r.get("kind") == "kb"]
        else:
            data = yaml.safe_load(text) if path.suffix in (".yaml", ".yml") else json.loads(text)
            raw_personas = data.get("personas") or []
            raw_kb = data.get("kb_questions") or []
        personas = tuple(persona_from_dict(r) for r in raw_personas)
        kb = tuple(kb_question_from_dict(r) for r in raw_kb)
    except (KeyError, TypeError, AttributeError, json.JSONDecodeError, yaml.YAMLError) as exc:
        raise ValueError(f"{path}: not a scenario set ({type(exc).__name__}: {exc})") from exc
    return ScenarioSet(personas, kb, str(path))


def document_text(path: Path) -> str:
    """Return a knowledge-base file's text as a reader sees it (HTML tags and entities gone)."""
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() in (".html", ".htm"):
        text = html.unescape(_TAG.sub(" ", text))
    return text


def _squash(text: str) -> str:
    """Normalise `text` and drop all whitespace (HTML cells split "Ctrl+Shift+M" by tags)."""
    return normalise(text).replace(" ", "")


def _persona_problems(p: Persona) -> list[str]:
    problems: list[str] = []
    where = f"persona {p.id}"
    if not _ID.match(p.id):
        problems.append(f"{where}: id must be letters, digits and '-' (max 48)")
    if p.language not in LANGUAGES:
        problems.append(f"{where}: language {p.language!r} is not one of {LANGUAGES}")
    if len(p.facts) < MIN_FACTS:
        problems.append(f"{where}: {len(p.facts)} facts, want at least {MIN_FACTS}")
    if len(p.tell) != 2 or not all(p.tell):
        problems.append(f"{where}: tell must be two non-empty threads")
        return problems
    told = ["\n".join(thread) for thread in p.tell]
    everything_told = "\n".join(told)
    threads_used = set()
    for key, value in p.facts.items():
        found = [i for i, text in enumerate(told) if contains(text, value)]
        if not found:
            problems.append(f"{where}: fact {key}={value!r} is in neither telling thread")
        threads_used.update(found[:1])
    if threads_used != {0, 1}:
        problems.append(f"{where}: facts must be told across both threads")
    c = p.change
    if c.fact not in p.facts or normalise(p.facts[c.fact]) != normalise(c.old):
        problems.append(f"{where}: change.from must be the told value of facts.{c.fact}")
    if not c.thread or not contains("\n".join(c.thread), c.new):
        problems.append(f"{where}: change.to {c.new!r} does not appear in the change thread")
    asked_facts = {q.fact for q in p.questions if not q.abstain}
    if missing := set(p.facts) - asked_facts:
        problems.append(f"{where}: no question about {sorted(missing)}")
    if not any(q.abstain for q in p.questions):
        problems.append(f"{where}: needs at least one never-told (abstain) question")
    for q in p.questions:
        problems += _question_problems(p, q, everything_told)
    return problems


def _question_problems(p: Persona, q: Question, told: str) -> list[str]:
    where = f"persona {p.id} question {q.ask!r}"
    if q.abstain:
        return [f"{where}: an abstain question expects nothing"] if q.expect or q.fact else []
    if q.fact not in p.facts:
        return [f"{where}: unknown fact {q.fact!r}"]
    if not q.expect:
        return [f"{where}: names no expected value"]
    problems = []
    source = "\n".join(p.change.thread) if q.fact == p.change.fact else told
    for value in q.expect:
        if not contains(source, value):
            problems.append(f"{where}: expected {value!r} never appears where it was told")
    if q.fact == p.change.fact:
        if not q.stale:
            problems.append(f"{where}: the changed fact's question must name its stale value")
        for value in q.stale:
            if not contains(told, value):
                problems.append(f"{where}: stale {value!r} was never told")
        if any(contains(new, old) for new in q.expect for old in q.stale):
            problems.append(f"{where}: an expected value contains a stale one")
    elif q.stale:
        problems.append(f"{where}: only the changed fact's question has stale values")
    if any(contains(q.ask, value) for value in q.expect):
        problems.append(f"{where}: the question gives its own answer away")
    return problems


def check_scenarios(
    ss: ScenarioSet, kb_dir: Path | None = DEFAULT_KB_DIR, *, full_set: bool = True
) -> list[str]:
    """Return every way `ss` breaks the set's rules (empty when it is sound).

    Args:
        ss: The scenario set.
        kb_dir: Where the knowledge-base files live; None skips checking that each KB
            question's expected string appears in its file.
        full_set: Also check the set's size rules (personas per language, KB questions,
            both cross-lingual directions); off for a selection of a set.
    """
    problems: list[str] = []
    ids = [p.id for p in ss.personas] + [q.id for q in ss.kb_questions]
    if dupes := sorted({i for i in ids if ids.count(i) > 1}):
        problems.append(f"duplicate ids: {dupes}")
    for p in ss.personas:
        problems += _persona_problems(p)
    for q in ss.kb_questions:
        if q.language not in LANGUAGES or q.doc_language not in LANGUAGES:
            problems.append(f"kb {q.id}: languages must be among {LANGUAGES}")
        if kb_dir is not None:
            path = Path(kb_dir) / q.doc
            if not path.is_file():
                problems.append(f"kb {q.id}: no file {path}")
            elif _squash(q.expect) not in _squash(document_text(path)):
                problems.append(f"kb {q.id}: {q.expect!r} is not in {q.doc}")
    if full_set:
        problems += _size_problems(ss.personas, ss.kb_questions)
    return problems


def _size_problems(personas: Sequence[Persona], kb: Sequence[KbQuestion]) -> list[str]:
    problems = []
    for lang in LANGUAGES:
        n = sum(p.language == lang for p in personas)
        if n < MIN_PERSONAS_PER_LANGUAGE:
            problems.append(f"{n} {lang} personas, want at least {MIN_PERSONAS_PER_LANGUAGE}")
    if len(kb) < MIN_KB_QUESTIONS:
        problems.append(f"{len(kb)} KB questions, want at least {MIN_KB_QUESTIONS}")
    directions = {(q.language, q.doc_language) for q in kb if q.cross_lingual}
    for direction in (("en", "pt"), ("pt", "en")):
        if direction not in directions:
            problems.append(
                f"no cross-lingual KB question asked in {direction[0]} "
                f"answered by a {direction[1]} page"
            )
    return problems
