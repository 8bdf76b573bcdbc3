"""64-bit hashing of numpy arrays, shared by the MinHash shingles and the word ids: one multiplier, one mixer.

Both hash code points with a polynomial rolling hash modulo 2**64 (multiplier: FNV's
64-bit prime, odd so it is invertible, which lets words.py take the hash of any span
from prefix sums) and spread the result with splitmix64's finalizer, whose output bits
each depend on every input bit (a rolling hash alone leaves its high bits weak).
"""

from __future__ import annotations

import numpy as np

FNV_PRIME = 0x100000001B3
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64's finalizer over a uint64 array, in place; returns it."""
    x ^= x >> np.uint64(30)
    x *= _M1
    x ^= x >> np.uint64(27)
    x *= _M2
    x ^= x >> np.uint64(31)
    return x


def powers(base: int, count: int) -> np.ndarray:
    """base**0 .. base**(count-1) modulo 2**64, as uint64."""
    out = np.full(count, base, dtype=np.uint64)
    out[0] = 1
    return np.cumprod(out, dtype=np.uint64)  # wraps modulo 2**64, as intended
