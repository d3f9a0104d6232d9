"""The `make run` demo: four ERP simulators on loopback, one connection each, a full cycle of import,
export, payment and payment sync, then the worker. The only production code that imports `erpsim`
(lazily, inside functions)."""
