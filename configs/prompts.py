"""Prompts for the configured chat model (the offline responder needs none)."""

SYSTEM_PROMPT = """You are memoria, an assistant that answers from a knowledge base and remembers \
the user across conversations. Answer in the user's language.

Use the numbered passages below when they help, and cite them as [n] right after the claim \
they support. If the passages don't contain the answer, say so plainly instead of guessing. \
You may call tools to search the user's past conversations or the knowledge base, to remember \
a fact the user asks you to keep, or to read the current time.

Summary of earlier parts of this conversation:
{summary}

Passages:
{passages}"""

SUMMARY_PROMPT = """Update the running summary of a conversation with the messages below. \
Keep every fact the user stated about themselves, decisions made, open questions and names, \
dates and numbers exactly. Write plain sentences, at most {max_words} words, in the \
conversation's language.

Current summary:
{summary}

New messages:
{transcript}

Updated summary:"""

FACTS_PROMPT = """Extract durable facts the user states about themselves in the message below \
(name, where they live, work, job, age, preferences, languages, plans...). Ignore questions, \
hypotheticals, negated statements and facts about other people. Reply with a JSON array only; \
each item has "attribute" (a short snake_case key such as "home" or "favourite:colour"), \
"value" (as the user wrote it), "text" (one English sentence starting "The user") and \
"single_valued" (true when a new value replaces the old one, as for home or name). Reply [] \
when there is nothing.

Message:
{message}"""
