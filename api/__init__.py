"""memoria's HTTP API: LangServe-compatible `/agent/*`, memory, documents and health routes."""

from api.app import create_app

__all__ = ["create_app"]
