"""The Gradio browser UI, a thin layer over ``rag.Assistant``."""
