"""The trainer: reads a version directory and its manifest (nothing else of curator), fine-tunes with (Q)LoRA,
evaluates before and after, and writes a report."""
