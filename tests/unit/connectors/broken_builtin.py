"""A provider module whose own dependency is missing: the registry must surface this, not hide it."""

import nonexistent_dependency_for_registry_test  # noqa: F401
