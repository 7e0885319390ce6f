"""Running cases: the matrix, drivers, reply assembly, the runner and its transcript."""
