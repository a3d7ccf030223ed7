"""Caseload's data side: the warehouse schema, ingest, synthetic programs and the risk engine."""
