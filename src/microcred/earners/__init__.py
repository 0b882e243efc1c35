"""Earners: the people micro-credentials are awarded to."""
