"""The compiled graph `langgraph.json` serves on LangGraph Studio / Platform.

The platform supplies the checkpointer; the resources (shared with `studio/auth.py`) open
lazily on the first run, so importing this module does no I/O.
"""

from graph.builder import build_graph
from studio.runtime import chat_model, server_resources

graph = build_graph(server_resources(), chat_model=chat_model())
