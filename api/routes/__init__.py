"""One module of routes per resource: agent, threads, users, documents, health."""
