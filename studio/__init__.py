"""What `langgraph.json` names for LangGraph Studio and Platform: the graph and its auth."""
