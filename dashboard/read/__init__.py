"""The read model: scoped queries that return DataFrames for the pages and the benchmarks.

Every public function takes the caller's ``Scope`` first and filters on it in SQL.
"""

from dashboard.read.scope import Scope, client_filter, staff_filter

__all__ = ["Scope", "client_filter", "staff_filter"]
