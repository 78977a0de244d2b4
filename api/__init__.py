"""The ipcheck self-check service (FastAPI): JSON API, web pages and officer batch screening."""
