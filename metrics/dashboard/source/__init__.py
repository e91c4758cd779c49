"""Where the board's numbers come from: the database snapshot, run information, settings
and the files the app reads at start-up. Nothing here draws anything.
"""
