"""Tests of evolve.store."""
