"""End-to-end evaluations that drive memoria over its HTTP API."""
