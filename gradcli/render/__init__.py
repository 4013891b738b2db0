"""Renderers: pure functions from result objects to Rich renderables or JSON-ready dicts."""
