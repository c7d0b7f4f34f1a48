"""Revision scripts; Alembic reads them by file, never by import."""
