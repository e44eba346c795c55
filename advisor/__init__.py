"""advisor: which framework, format and quantization to ship an LLM to an edge device with."""

__version__ = "0.1.0"
