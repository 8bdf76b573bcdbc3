"""A scripted OpenAI-compatible chat server on 127.0.0.1 (see benchmarks/scripted_llm.py for its script)."""

from benchmarks.scripted_llm import ScriptedLLM, instance

__all__ = ["ScriptedLLM", "instance"]
