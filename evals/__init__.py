"""Evaluations beside the product (LoCoMo retrieval, chat memory); never imported by it."""
