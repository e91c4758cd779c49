"""How the board looks: Dash components, plotly figures and downloads built from what
`metrics.dashboard.logic` decides. No database access and no decisions about numbers.
"""
