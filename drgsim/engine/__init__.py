"""The engine: the SimPy calendar, the readmission window, the year's books and the output rows."""
