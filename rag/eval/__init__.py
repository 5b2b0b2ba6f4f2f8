"""Evaluation: a gold question set run through the Assistant, scored, aggregated and reported.

* ``questions``: the question file; ``runs``: one run (resumable), every question through the
  same Assistant the CLI and the UI call; ``scoring``: one answer against its gold question, and
  the aggregation; ``judge``: the optional LLM judge; ``compare``: two runs side by side;
  ``beir``: retrieval alone on a BEIR dataset; ``report``: Markdown and plots; ``metrics``: IR
  metrics as pure functions.
"""
