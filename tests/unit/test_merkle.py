"""RFC 6962 / RFC 9162 Merkle trees (`kernel.merkle`): known-answer vectors, a naive
reference implementation written straight from the RFC text, and tamper tests.

Known-answer vectors are copied from github.com/transparency-dev/merkle:
  * testonly/constants.go  -- LeafInputs(), NodeHashes() level 0, RootHashes() for sizes 0..8
  * proof/verify_test.go   -- inclusionProofs and consistencyProofs for those trees
    (its inclusion vectors number leaves from 1; the indices below are 0-based).
"""

import hashlib

import pytest

from kernel.merkle import (
    EMPTY_ROOT,
    RootBuilder,
    consistency_proof,
    consistency_ranges,
    inclusion_proof,
    inclusion_ranges,
    leaf_hash,
    node_hash,
    root,
    roots_of_ranges,
    verify_consistency,
    verify_inclusion,
)

h = bytes.fromhex

# -- known answers (transparency-dev/merkle) -----------------------------------------------

LEAF_INPUTS = [h(""), h("00"), h("10"), h("2021"), h("3031"), h("40414243"),
               h("5051525354555657"), h("606162636465666768696a6b6c6d6e6f")]

LEAF_HASHES = [h(x) for x in (  # testonly/constants.go, NodeHashes()[0]
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
    "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
    "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
    "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
    "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1")]

ROOTS = [h(x) for x in (  # testonly/constants.go, RootHashes(), indexed by tree size
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328")]

INCLUSION = [  # proof/verify_test.go, inclusionProofs: (0-based index, size, proof)
    (0, 1, []),
    (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (1, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]

CONSISTENCY = [  # proof/verify_test.go, consistencyProofs: (old size, new size, proof)
    (1, 1, []),
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    (6, 7, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
]


def test_hash_primitives_match_the_rfc_definitions():
    assert EMPTY_ROOT == ROOTS[0] == hashlib.sha256(b"").digest()
    assert leaf_hash(b"x") == hashlib.sha256(b"\x00x").digest()
    assert node_hash(b"L" * 32, b"R" * 32) == hashlib.sha256(b"\x01" + b"L" * 32 + b"R" * 32).digest()
    assert [leaf_hash(d) for d in LEAF_INPUTS] == LEAF_HASHES


@pytest.mark.parametrize("size", range(9))
def test_known_roots(size):
    assert root(LEAF_HASHES[:size]) == ROOTS[size]


@pytest.mark.parametrize("size", range(9))
def test_known_roots_one_leaf_at_a_time(size):
    tree = RootBuilder()
    for leaf in LEAF_HASHES[:size]:
        tree.add(leaf)
    assert (tree.size, tree.root()) == (size, ROOTS[size])


def test_one_leaf_at_a_time_is_the_root_of_every_size_up_to_300():
    leaves = [leaf_hash(n.to_bytes(4, "big")) for n in range(300)]
    tree = RootBuilder()
    assert tree.root() == root([])
    for n, leaf in enumerate(leaves, start=1):
        tree.add(leaf)
        assert tree.root() == root(leaves[:n]), n


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION)
def test_known_inclusion_proofs(index, size, proof):
    proof = [h(p) for p in proof]
    assert inclusion_proof(LEAF_HASHES[:size], index) == proof
    assert verify_inclusion(LEAF_HASHES[index], index, size, proof, ROOTS[size])


@pytest.mark.parametrize(("old", "new", "proof"), CONSISTENCY)
def test_known_consistency_proofs(old, new, proof):
    proof = [h(p) for p in proof]
    assert consistency_proof(LEAF_HASHES[:new], old) == proof
    assert verify_consistency(old, new, ROOTS[old], ROOTS[new], proof)


# -- a naive reference, straight from RFC 6962 §2.1 (list slicing, no cleverness) ----------

def ref_mth(d):
    n = len(d)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return d[0]  # d holds leaf hashes already
    k = 1
    while k * 2 < n:
        k *= 2
    return hashlib.sha256(b"\x01" + ref_mth(d[:k]) + ref_mth(d[k:])).digest()


def ref_path(m, d):
    if len(d) == 1:
        return []
    k = 1
    while k * 2 < len(d):
        k *= 2
    if m < k:
        return ref_path(m, d[:k]) + [ref_mth(d[k:])]
    return ref_path(m - k, d[k:]) + [ref_mth(d[:k])]


def ref_subproof(m, d, b):
    n = len(d)
    if m == n:
        return [] if b else [ref_mth(d)]
    k = 1
    while k * 2 < n:
        k *= 2
    if m <= k:
        return ref_subproof(m, d[:k], b) + [ref_mth(d[k:])]
    return ref_subproof(m - k, d[k:], False) + [ref_mth(d[:k])]


MAX = 70
LEAVES = [leaf_hash(b"entry %d" % i) for i in range(MAX)]
OTHER = [leaf_hash(b"other %d" % i) for i in range(MAX)]  # a wholly different log
ROOT = {n: ref_mth(LEAVES[:n]) for n in range(MAX + 1)}


def flip(b, i=0):
    """`b` with one bit of byte i changed."""
    i %= len(b)
    return b[:i] + bytes([b[i] ^ 0x01]) + b[i + 1:]


def test_matches_reference_on_every_size():
    for n in range(MAX + 1):
        assert root(LEAVES[:n]) == ROOT[n]
        for m in range(n):
            assert inclusion_proof(LEAVES[:n], m) == ref_path(m, LEAVES[:n])
        for m in range(1, n):
            assert consistency_proof(LEAVES[:n], m) == ref_subproof(m, LEAVES[:n], True)


# -- inclusion: every size 1..70, every index ----------------------------------------------

def test_every_inclusion_proof_verifies_and_every_tampering_fails():
    for n in range(1, MAX + 1):
        tree, r = LEAVES[:n], ROOT[n]
        for i in range(n):
            proof, leaf = inclusion_proof(tree, i), tree[i]
            assert verify_inclusion(leaf, i, n, proof, r)
            assert not verify_inclusion(flip(leaf, i), i, n, proof, r)
            assert not verify_inclusion(leaf, i, n, proof, flip(r, i + 7))
            for j in range(len(proof)):  # any changed proof element
                bad = proof[:j] + [flip(proof[j], i + j)] + proof[j + 1:]
                assert not verify_inclusion(leaf, i, n, bad, r)
            for j in {i - 1, i + 1, i ^ 1, i ^ 2, n - 1 - i} - {i}:  # wrong index
                assert not verify_inclusion(leaf, j, n, proof, r)
            if proof:  # too short / too long / reordered
                assert not verify_inclusion(leaf, i, n, proof[:-1], r)
                assert not verify_inclusion(leaf, i, n, proof[::-1], r) or len(set(proof)) == 1
            assert not verify_inclusion(leaf, i, n, proof + [r], r)
            assert not verify_inclusion(leaf, i, n, [leaf] + proof, r)
            # another tree's proof, or this proof against another tree's root
            assert not verify_inclusion(leaf, i, n, inclusion_proof(OTHER[:n], i), r) or n == 1
            assert not verify_inclusion(leaf, i, n, proof, root(OTHER[:n]))


def test_wrong_size_fails_unless_the_proof_has_the_same_shape():
    # A path only fixes the left/right turns from the leaf to the root, so a size whose
    # tree gives leaf i the same turns (e.g. index 0 in sizes 5 and 6) cannot be told
    # apart: the size is authenticated by the signed tree head, not the proof. Any
    # other size must fail.
    def turns(m, n):  # the sides of the siblings on the path, per RFC 6962 §2.1.1
        if n == 1:
            return ()
        k = 1
        while k * 2 < n:
            k *= 2
        return turns(m, k) + ("R",) if m < k else turns(m - k, n - k) + ("L",)

    for n in range(1, MAX + 1):
        for i in range(n):
            proof = inclusion_proof(LEAVES[:n], i)
            for size in {n - 1, n + 1, n * 2, n // 2, n + 64}:
                if size != n:
                    same = i < size and turns(i, size) == turns(i, n)
                    assert verify_inclusion(LEAVES[i], i, size, proof, ROOT[n]) == same


def test_changing_any_byte_anywhere_fails():
    for n in (1, 2, 7, 8, 13):
        tree, r = LEAVES[:n], ROOT[n]
        for i in range(n):
            proof = inclusion_proof(tree, i)
            for k in range(32):
                assert not verify_inclusion(flip(tree[i], k), i, n, proof, r)
                assert not verify_inclusion(tree[i], i, n, proof, flip(r, k))
                for j in range(len(proof)):
                    assert not verify_inclusion(tree[i], i, n, proof[:j] + [flip(proof[j], k)] + proof[j + 1:], r)
        for m in range(1, n):
            proof = consistency_proof(tree, m)
            for k in range(32):
                assert not verify_consistency(m, n, flip(ROOT[m], k), r, proof)
                assert not verify_consistency(m, n, ROOT[m], flip(r, k), proof)
                for j in range(len(proof)):
                    assert not verify_consistency(m, n, ROOT[m], r, proof[:j] + [flip(proof[j], k)] + proof[j + 1:])


# -- consistency: every size 1..70, every old size -----------------------------------------

def test_every_consistency_proof_verifies_and_every_tampering_fails():
    for n in range(1, MAX + 1):
        tree, new = LEAVES[:n], ROOT[n]
        for m in range(1, n):
            proof, old = consistency_proof(tree, m), ROOT[m]
            assert proof and verify_consistency(m, n, old, new, proof)
            assert not verify_consistency(m, n, flip(old, m), new, proof)
            assert not verify_consistency(m, n, old, flip(new, m), proof)
            assert not verify_consistency(m, n, new, old, proof)
            for j in range(len(proof)):
                bad = proof[:j] + [flip(proof[j], m + j)] + proof[j + 1:]
                assert not verify_consistency(m, n, old, new, bad)
            assert not verify_consistency(m, n, old, new, [])
            assert not verify_consistency(m, n, old, new, proof[:-1])
            assert not verify_consistency(m, n, old, new, proof + [new])
            assert not verify_consistency(m, n, old, new, [proof[0]] + proof)
            # a fork: same first m entries, different later ones
            forked = tree[:m] + OTHER[m:n]
            assert not verify_consistency(m, n, old, new, consistency_proof(forked, m))
            assert not verify_consistency(m, n, old, root(forked), proof)
            assert not verify_consistency(m, n, root(OTHER[:m]), new, proof)


def test_wrong_sizes_fail_unless_the_proof_has_the_same_shape():
    # As with inclusion, a consistency proof fixes only the sequence of hashing steps:
    # the proof from 1 to 3 leaves and the one from 1 to 4 are both [d1, MTH(D[2:n])].
    # The verifier must accept exactly the sizes with the same steps, and no others.
    def shape(m, n, b=True):  # the steps of SUBPROOF(m, D[n], b), RFC 6962 §2.1.2
        if m == n:
            return () if b else ("start",)
        k = 1
        while k * 2 < n:
            k *= 2
        if m <= k:
            return shape(m, k, b) + ("right",)  # hashed into the new root only
        return shape(m - k, n - k, False) + ("left",)  # hashed into both roots

    for n in range(2, MAX + 1):
        for m in range(1, n):
            proof = consistency_proof(LEAVES[:n], m)
            for mm, nn in {(m - 1, n), (m + 1, n), (m, n - 1), (m, n + 1), (m, 2 * n), (m + 1, n + 1)}:
                if (mm, nn) != (m, n):
                    same = 0 < mm < nn and shape(mm, nn) == shape(m, n)
                    assert verify_consistency(mm, nn, ROOT[m], ROOT[n], proof) == same


def test_consistency_edge_cases():
    for n in range(MAX + 1):
        assert consistency_proof(LEAVES[:n], n) == []
        assert consistency_proof(LEAVES[:n], 0) == []
        # equal sizes: an empty proof and equal roots
        assert verify_consistency(n, n, ROOT[n], ROOT[n], [])
        assert not verify_consistency(n, n, ROOT[n], ROOT[n], [ROOT[n]])
        assert not verify_consistency(n, n, ROOT[n], flip(ROOT[n]), [])
        # from the empty tree: an empty proof, and the old root must be MTH({})
        assert verify_consistency(0, n, EMPTY_ROOT, ROOT[n], [])
        assert not verify_consistency(0, n, EMPTY_ROOT, ROOT[n], [EMPTY_ROOT])
        assert not verify_consistency(0, n, LEAVES[0], ROOT[n], [])
        # old size > new size
        assert not verify_consistency(n + 1, n, ROOT[n], ROOT[n], [])
    assert not verify_consistency(0, 0, EMPTY_ROOT, LEAVES[0], [])
    with pytest.raises(ValueError):
        consistency_proof(LEAVES[:3], 4)
    with pytest.raises(ValueError):
        consistency_proof(LEAVES[:3], -1)
    with pytest.raises(ValueError):
        inclusion_proof(LEAVES[:3], 3)
    with pytest.raises(ValueError):
        inclusion_proof([], 0)


def test_verifiers_never_raise_on_malformed_input():
    r, leaf, p = ROOT[5], LEAVES[1], inclusion_proof(LEAVES[:5], 1)
    hashes = [None, "", b"", b"x" * 31, b"x" * 33, "a" * 32, 32, [leaf]]
    sizes = [None, -1, 1.0, "5", True, 2**64, 2**200]
    proofs = [None, 5, b"x" * 32, "abc", [None], [b"short"], [leaf] * 200, p + [b""], [p]]
    for bad in hashes:
        assert not verify_inclusion(bad, 1, 5, p, r)
        assert not verify_inclusion(leaf, 1, 5, p, bad)
        assert not verify_consistency(2, 5, bad, r, consistency_proof(LEAVES[:5], 2))
        assert not verify_consistency(2, 5, ROOT[2], bad, consistency_proof(LEAVES[:5], 2))
    for bad in sizes:
        assert not verify_inclusion(leaf, bad, 5, p, r)
        assert not verify_inclusion(leaf, 1, bad, p, r)
        assert not verify_consistency(bad, 5, ROOT[2], r, p)
        assert not verify_consistency(2, bad, ROOT[2], r, p)
    for bad in proofs:
        assert not verify_inclusion(leaf, 1, 5, bad, r)
        assert not verify_consistency(2, 5, ROOT[2], r, bad)
        assert not verify_consistency(4, 5, ROOT[4], r, bad)
    assert not verify_inclusion(leaf, 0, 0, [], EMPTY_ROOT)  # nothing is in the empty tree
    assert not verify_inclusion(leaf, 5, 5, p, r)  # index == size
    # bytes-like hashes are accepted
    assert verify_inclusion(bytearray(leaf), 1, 5, [bytearray(x) for x in p], bytearray(r))


def test_a_larger_tree():
    n = 5000
    tree = [leaf_hash(i.to_bytes(4, "big")) for i in range(n)]
    r = root(tree)
    assert r == ref_mth(tree)
    for i in (0, 1, 2047, 4095, 4096, n - 1):
        assert verify_inclusion(tree[i], i, n, inclusion_proof(tree, i), r)
    for m in (1, 1000, 2048, 4096, 4097, n - 1):
        assert verify_consistency(m, n, root(tree[:m]), r, consistency_proof(tree, m))


@pytest.mark.parametrize("n", range(1, 70))
def test_proofs_from_leaves_streaming_past_once_are_the_proofs(n):
    leaves = [leaf_hash(str(i).encode()) for i in range(n)]
    for index in range(n):
        assert roots_of_ranges(inclusion_ranges(index, n), iter(leaves)) == inclusion_proof(leaves, index)
    for old in range(n + 1):
        assert roots_of_ranges(consistency_ranges(old, n), iter(leaves)) == consistency_proof(leaves, old)
