"""Scale: running variants × replications in processes or on Dask, sweeps, and many pooling regions."""
