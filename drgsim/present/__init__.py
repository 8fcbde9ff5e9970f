"""Presentation: figures, labels, fonts, the report, the printed summary, comparisons and progress."""
