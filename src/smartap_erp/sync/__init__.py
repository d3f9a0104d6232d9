"""The sync engine (the seed's ERPSyncService): imports, exports, payment status, conflicts and logs."""
