"""Child-process servers for the live tiers: a tiny local model, llama-stack."""
