"""The LLM endpoint: the bundled local model (a llama.cpp server), choosing the endpoint, measuring one."""
