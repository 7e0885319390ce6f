"""An example application under test: a small support bot built on the openai SDK."""
