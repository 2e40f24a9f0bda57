"""The LLM workflow service: runs JSON-defined workflows and reports by signed webhooks.

A separate Starlette app (`llm_service.app.create_app`); the mission planner API
embeds it by default and reaches it over `httpx.ASGITransport`.
"""
