"""Conversation storage: checkpoints, transcript, hot window, message index, facts, services."""
