"""Generic helpers with no knowledge of scenarios or recordings: files, JSON, YAML positions."""
