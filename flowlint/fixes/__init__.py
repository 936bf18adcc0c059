"""Fixes: strategies that rewrite a flagged task, and the engine that verifies them."""
