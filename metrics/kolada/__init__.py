"""Kolada (RKA's open database of kommun and region KPIs) as the board's national reference.

client:  Kolada's v3 API (paging, from_date, retries), through an injectable transport
areas:   Kolada's area ids ('0000' riket, '0005' a län, '0580' a kommun) as ours
exports: Kolada data saved as files, for installations without internet
store:   the `kolada_reference` table, separate from the computed results
fetch:   what `matavla kolada` does, end to end
"""
