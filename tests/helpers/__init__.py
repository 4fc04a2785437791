"""Helpers shared by several test folders (imported, never fixtures)."""
