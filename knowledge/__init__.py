"""A tenant's knowledge base: load and chunk files, index them, track upload jobs."""
