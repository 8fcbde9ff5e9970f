"""Data in and out: catalogue files, case tables, replay, calibration, privacy, a run's tables."""
