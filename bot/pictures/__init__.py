"""Pictures (PNG, matplotlib Agg): a school\x27s year."""
