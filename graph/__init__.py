"""The memoria StateGraph: router, retrieve, rerank, generate, persist, summarise."""
