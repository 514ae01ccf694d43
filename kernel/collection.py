"""The cycle collector's pace for a process of the service (the API's, the worker's, and the
bench's own when it measures the service's code in process, so it runs as they do)."""

import gc

# A batch of 1000 records makes some hundred thousand objects, nearly all freed by reference
# counting: the cycle collector's default pace would scan them again and again for nothing.
GC_THRESHOLDS = (50_000, 20, 100)


def tune_garbage_collection() -> None:
    """Once the process is put together: what lives as long as it is set aside from every
    later collection, and collections come less often."""
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
