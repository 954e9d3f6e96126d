"""Who may call: API keys (each names a tenant) and rate limits."""
