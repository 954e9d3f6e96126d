"""Retrieval over the knowledge base and conversation memory: embed, search, fuse, rerank."""
