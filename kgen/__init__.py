"""kgen: text knowledge, CLIP embedding banks and video models for zero-shot action recognition."""

__version__ = "0.1.0"
