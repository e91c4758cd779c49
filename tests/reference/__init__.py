"""An independent check of the engine: own data, own arithmetic, straight from the contract.

`data` writes a small Blekinge data set as contract-format CSV files (shapes the demo never
makes: zero-event kommuner, non-delivering kommuner, movers, readmissions at day 0/1/30/31,
listing snapshots on different days per kommun, a month without rows). `expected` computes
the 16 core indicators from those same tables with plain pandas, from the definitions in
core-indicators.md (version 1.1, coverage included) and never from the engine's SQL.
tests/test_reference_independent.py imports the files with the real CLI, computes with the
real engine and compares every cell.
"""
