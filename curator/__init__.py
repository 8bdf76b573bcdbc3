"""curator: build reviewed, versioned fine-tuning datasets from a domain's raw material."""

__version__ = "0.1.0"
