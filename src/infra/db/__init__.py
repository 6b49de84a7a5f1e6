"""Persistence: tables, migrations and repositories (SQLAlchemy 2.0 async)."""
