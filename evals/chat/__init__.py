"""The "does it remember its users" eval: a scenario set, a runner and its scoring.

`evals.chat.run.run_chat_eval` drives the HTTP API with `scenarios.yaml`;
`evals.chat.run.main` is the command line (`python -m evals.chat.run --help`).
"""
