"""RFC 6962 / RFC 9162 Merkle tree hashes, inclusion proofs and consistency proofs.

Everything works on a list of LEAF HASHES (32-byte outputs of `leaf_hash`). Subtrees are
index ranges [lo, hi) of that list, never copied slices; each function is the RFC
definition it cites with D[lo:hi] for the RFC's D[n]. A root or a proof costs O(n) hashes.

The generators raise ValueError on a bad index or size. The verifiers never raise: any
malformed input (wrong types or lengths, sizes out of range, proofs too short or too
long) makes them return False. A proof fixes only a sequence of hashing steps, which
several tree sizes can share: the sizes must come from the signed tree heads.
"""

import hashlib
from collections.abc import Iterable, Sequence
from itertools import chain

# RFC 6962 §2.1: "The hash of an empty list is the hash of an empty string: MTH({}) = SHA-256()."
EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    """RFC 6962 §2.1: MTH({d(0)}) = SHA-256(0x00 || d(0))."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 6962 §2.1: SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n])). The distinct 0x00 and
    0x01 prefixes keep a leaf from being passed off as an interior node."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """RFC 6962 §2.1: "k is the largest power of two smaller than n (i.e., k < n <= 2k)"."""
    return 1 << ((n - 1).bit_length() - 1)


def _mth(leaves: Sequence[bytes], lo: int, hi: int) -> bytes:
    """MTH(D[lo:hi]) for 0 < hi - lo (RFC 6962 §2.1); recursion depth is log2(n)."""
    if hi - lo == 1:
        return leaves[lo]  # the entries are already leaf hashes
    k = _split(hi - lo)
    return node_hash(_mth(leaves, lo, lo + k), _mth(leaves, lo + k, hi))


def root(leaves: Sequence[bytes]) -> bytes:
    """MTH(D[n]) of the given leaf hashes; EMPTY_ROOT for an empty list."""
    return _mth(leaves, 0, len(leaves)) if len(leaves) else EMPTY_ROOT


class RootBuilder:
    """MTH(D[n]) of leaf hashes given one at a time, in memory of log2(n) hashes: the roots of
    the perfect subtrees the leaves so far make (one per bit of n, largest first, as a binary
    counter carries), folded from the right at the end. RFC 6962's split puts the largest perfect
    subtree on the left at every level, so the fold is MTH (tests/unit/test_merkle.py compares
    it with `root` for every size up to 300)."""

    def __init__(self) -> None:
        self.size = 0
        self._subtrees: list[tuple[int, bytes]] = []  # (leaves, root), sizes decreasing

    def add(self, leaf: bytes) -> None:
        size, subtree = 1, leaf
        while self._subtrees and self._subtrees[-1][0] == size:
            _, left = self._subtrees.pop()
            size, subtree = size * 2, node_hash(left, subtree)
        self._subtrees.append((size, subtree))
        self.size += 1

    def root(self) -> bytes:
        if not self._subtrees:
            return EMPTY_ROOT
        folded = self._subtrees[-1][1]
        for _, left in reversed(self._subtrees[:-1]):
            folded = node_hash(left, folded)
        return folded


def inclusion_proof(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """PATH(m, D[n]), RFC 6962 §2.1.1, with m = index and n = len(leaves); leaf-most
    sibling first. Raises ValueError unless 0 <= index < n."""
    if not 0 <= index < len(leaves):
        raise ValueError(f"index {index} is outside a tree of size {len(leaves)}")

    def path(m: int, lo: int, hi: int) -> list[bytes]:
        if hi - lo == 1:
            return []  # PATH(0, {d(0)}) = {}
        k = _split(hi - lo)
        if m < k:  # PATH(m, D[n]) = PATH(m, D[0:k]) : MTH(D[k:n])
            return path(m, lo, lo + k) + [_mth(leaves, lo + k, hi)]
        # PATH(m, D[n]) = PATH(m - k, D[k:n]) : MTH(D[0:k])
        return path(m - k, lo + k, hi) + [_mth(leaves, lo, lo + k)]

    return path(index, 0, len(leaves))


def consistency_proof(leaves: Sequence[bytes], old_size: int) -> list[bytes]:
    """PROOF(m, D[n]), RFC 6962 §2.1.2, with m = old_size and n = len(leaves).

    Defined by the RFC for 0 < m < n; for m == 0 or m == n there is nothing to prove and
    this returns [], as `verify_consistency` expects. ValueError unless 0 <= m <= n."""
    n = len(leaves)
    if not 0 <= old_size <= n:
        raise ValueError(f"old size {old_size} is outside 0..{n}")
    if old_size in (0, n):
        return []

    def subproof(m: int, lo: int, hi: int, b: bool) -> list[bytes]:
        if m == hi - lo:  # SUBPROOF(m, D[m], true) = {}; SUBPROOF(m, D[m], false) = {MTH(D[m])}
            return [] if b else [_mth(leaves, lo, hi)]
        k = _split(hi - lo)
        if m <= k:  # SUBPROOF(m, D[n], b) = SUBPROOF(m, D[0:k], b) : MTH(D[k:n])
            return subproof(m, lo, lo + k, b) + [_mth(leaves, lo + k, hi)]
        # SUBPROOF(m, D[n], b) = SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k])
        return subproof(m - k, lo + k, hi, False) + [_mth(leaves, lo, lo + k)]

    return subproof(old_size, 0, n, True)  # PROOF(m, D[n]) = SUBPROOF(m, D[n], true)


# -- the same proofs from leaves that stream past once --------------------------------------
# A proof's hashes are the roots of disjoint subtrees [lo, hi): which ones depends on the sizes
# alone, so a log can stream through once, each leaf into the subtree it belongs to, in memory
# of the proof's length times log2(n) (tests/unit/test_merkle.py compares them with the above).

def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The subtrees whose roots are PATH(index, D[size]), in the proof's order."""
    if not 0 <= index < size:
        raise ValueError(f"index {index} is outside a tree of size {size}")
    ranges: list[tuple[int, int]] = []
    m, lo, hi = index, 0, size
    while hi - lo > 1:
        k = _split(hi - lo)
        if m < k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            m, lo = m - k, lo + k
    return ranges[::-1]  # the recursion appends on the way back: leaf-most first


def consistency_ranges(old_size: int, size: int) -> list[tuple[int, int]]:
    """The subtrees whose roots are PROOF(old_size, D[size]), in the proof's order."""
    if not 0 <= old_size <= size:
        raise ValueError(f"old size {old_size} is outside 0..{size}")
    if old_size in (0, size):
        return []
    ranges: list[tuple[int, int]] = []
    m, lo, hi, b = old_size, 0, size, True
    while m != hi - lo:
        k = _split(hi - lo)
        if m <= k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            m, lo, b = m - k, lo + k, False
    if not b:
        ranges.append((lo, hi))
    return ranges[::-1]


class RangeRoots:
    """The root of each of disjoint ranges of leaves, given every leaf in order, one at a time."""

    def __init__(self, ranges: Sequence[tuple[int, int]]):
        self.ranges = list(ranges)
        self._builders = {r: RootBuilder() for r in self.ranges}
        self._order = sorted(self.ranges)
        self._at = self._index = 0

    def add(self, leaf: bytes) -> None:
        index, self._index = self._index, self._index + 1
        while self._at < len(self._order) and self._order[self._at][1] <= index:
            self._at += 1
        if self._at < len(self._order) and self._order[self._at][0] <= index:
            self._builders[self._order[self._at]].add(leaf)

    def roots(self) -> list[bytes]:
        return [self._builders[r].root() for r in self.ranges]


def roots_of_ranges(ranges: Sequence[tuple[int, int]], leaves: Iterable[bytes]) -> list[bytes]:
    found = RangeRoots(ranges)
    for leaf in leaves:
        found.add(leaf)
    return found.roots()


# -- verification (RFC 9162 §2.1.3.2 and §2.1.4.2, step by step) --------------------------

def _is_hash(h: object) -> bool:
    return isinstance(h, (bytes, bytearray)) and len(h) == 32


def _is_size(i: object) -> bool:
    return isinstance(i, int) and not isinstance(i, bool) and i >= 0


def verify_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes], root_hash: bytes) -> bool:
    """RFC 9162 §2.1.3.2: does `proof` show leaf hash `leaf` at `index` in the tree of
    `size` leaves whose root is `root_hash`?"""
    if not (_is_hash(leaf) and _is_hash(root_hash) and _is_size(index) and _is_size(size)
            and isinstance(proof, Sequence)):
        return False
    if index >= size:  # 1. leaf_index >= tree_size: fail
        return False
    fn, sn = index, size - 1  # 2.
    r = leaf  # 3.
    for p in proof:  # 4.
        if not _is_hash(p) or sn == 0:  # 4a. the proof is too long
            return False
        if fn & 1 or fn == sn:  # 4b.
            r = node_hash(p, r)
            while fn and not fn & 1:  # shift until LSB(fn) is set or fn is 0
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1  # 4c.
    return sn == 0 and r == root_hash  # 5. sn != 0: the proof is too short


def verify_consistency(old_size: int, new_size: int, old_root: bytes, new_root: bytes,
                       proof: Sequence[bytes]) -> bool:
    """RFC 9162 §2.1.4.2: is the tree of `new_size` leaves with root `new_root` an
    append-only extension of the tree of `old_size` leaves with root `old_root`?

    The RFC algorithm is for 0 < first < second. Outside it there is nothing to prove and
    only an EMPTY proof passes: if old_size == new_size the roots must be equal; if
    old_size == 0, old_root must be EMPTY_ROOT (and new_root too when new_size == 0)."""
    if not (_is_size(old_size) and _is_size(new_size) and _is_hash(old_root)
            and _is_hash(new_root) and isinstance(proof, Sequence)):
        return False
    if old_size > new_size:
        return False
    if old_size == 0:
        return len(proof) == 0 and old_root == EMPTY_ROOT and (new_size > 0 or new_root == EMPTY_ROOT)
    if old_size == new_size:
        return len(proof) == 0 and old_root == new_root
    if len(proof) == 0:  # 1. empty consistency_path: fail
        return False
    # 2. if first is an exact power of 2, prepend first_hash to the path
    path = iter(chain([old_root], proof) if old_size & (old_size - 1) == 0 else proof)
    fn, sn = old_size - 1, new_size - 1  # 3.
    while fn & 1:  # 4.
        fn, sn = fn >> 1, sn >> 1
    fr = sr = next(path)  # 5.
    if not _is_hash(fr):
        return False
    for c in path:  # 6.
        if not _is_hash(c) or sn == 0:  # 6a. the proof is too long
            return False
        if fn & 1 or fn == sn:  # 6b.
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while fn and not fn & 1:  # shift until LSB(fn) is set or fn is 0
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1  # 6c.
    return sn == 0 and fr == old_root and sr == new_root  # 7.
