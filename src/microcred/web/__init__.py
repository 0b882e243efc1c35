"""The HTTP layer (FastAPI + Jinja2): public verification pages, DID documents, VC-API and a JSON API."""
