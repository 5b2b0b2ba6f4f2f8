"""Answering: from a retrieval to a cited Answer.

retrieval -> gate (abstain when the evidence is too weak)
  -> evidence (the abstracts' sentences scored against the question)
  -> extractive (quotes, offline) | generated (written by an LLM from numbered sources)
  -> cite (markers checked: only retrieved sources survive) -> support (each claim scored)
"""
