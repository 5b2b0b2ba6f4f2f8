"""Cited question answering over research-paper abstracts.

Import stays light: heavy parts (torch, chromadb, llama-index, gradio) load only when a
command needs them.
"""

__version__ = "0.1.0"
