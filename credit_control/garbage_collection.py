import gc
from contextlib import contextmanager


@contextmanager
def collection_paused():
    """Pause Python's cyclic garbage collector for a bounded batch that builds tens of thousands of objects it
    keeps until its end: each full collection would walk the whole heap (the ORM's caches included) and free
    nothing. Reference counting still frees the rest. Only the caller that paused it resumes it, so nested or
    concurrent batches leave it as they found it."""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()
