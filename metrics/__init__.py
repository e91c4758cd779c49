"""Mätavla: follow-up of the joint primary-care plans (Nära vård) per kommun and län."""

from __future__ import annotations

__version__ = "0.1.0"
