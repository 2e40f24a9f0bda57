"""The LLM service's own Alembic tree (version table `llm_alembic_version`)."""
