"""What the board says: pure functions over results frames (no Dash, no database).

Periods, comparisons, verdicts, choices and addresses are decided here and unit-tested
without a browser; the pages only lay out what these functions return.
"""
