"""Process settings, route examples and prompts."""
