"""Reconciliation: import a partner's report, match it call by call, show what is owed."""
