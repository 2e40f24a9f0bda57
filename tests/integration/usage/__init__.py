"""Cost tracking end to end, on SQLite and PostgreSQL, embedded LLM service included."""
