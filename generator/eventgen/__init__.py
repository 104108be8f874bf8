"""eventgen: realistic e-commerce transaction events, streamed to Pub/Sub or written as JSONL."""

__version__ = "0.1.0"
