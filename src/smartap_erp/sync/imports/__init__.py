"""Imports from the ERP into SmartAP: the import loop (`run`), vendors and purchase orders, conflict
planning and recording, read cursors and the import report."""
