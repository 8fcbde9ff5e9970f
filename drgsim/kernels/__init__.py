"""Numba kernels: pure functions of arrays, with no I/O and no global state."""
