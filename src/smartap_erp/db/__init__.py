"""Persistence: SQLAlchemy models, engines and sessions, the credential vault and migrations."""
