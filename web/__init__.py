"""The web triage app and JSON API (FastAPI, server-rendered Jinja2 pages)."""

from pantau.web.app import create_app

__all__ = ["create_app"]
