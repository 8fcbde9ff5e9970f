"""The scenario language: the typed schema of every key, strict YAML, variants and sweep grids."""
