"""The recording format and store, secrets, and the record/replay transports."""
