"""The KPI catalogue and its SQL: rollups kept beside the calls, and the queries over them.

Call ``refresh_rollups(conn, since, until)`` (``ppcdesk.kpi.rollups``) inside the write that
stored or re-evaluated calls started in ``[since, until)``, so the dashboard stays exact.
"""
