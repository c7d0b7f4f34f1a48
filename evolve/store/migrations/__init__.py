"""Alembic migrations of the evolve store (run by ``evolve db upgrade``)."""
