"""The ASGI app `uvicorn server:app` serves: memoria's HTTP API (see `api/`)."""

from api import create_app

app = create_app()
