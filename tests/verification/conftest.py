"""The web fixtures (an app over a migrated SQLite or PostgreSQL database, an issued award) for these tests."""

from web.conftest import app, client, issued, settings  # noqa: F401  (fixtures shared with tests/web)
