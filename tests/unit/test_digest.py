"""A frozen version's digest is SHA-256 over the canonical encoding docs/audit.md specifies."""

import hashlib

from kernel.digest import canonical_figures, figures_digest


def test_the_canonical_encoding_is_the_one_documented_byte_by_byte():
    figures = {"recipients": 2, "by_domain": {"社会救助": {"hours": "1.50", "person_times": 3}}, "funds_spent": "0.00"}
    expected = '{"by_domain":{"社会救助":{"hours":"1.50","person_times":3}},"funds_spent":"0.00","recipients":2}'
    assert canonical_figures(figures) == expected.encode("utf-8")
    assert figures_digest(figures) == hashlib.sha256(b"stations-figures-v1\n" + expected.encode("utf-8")).hexdigest()


def test_the_digest_ignores_key_order_and_sees_every_figure():
    figures = {"a": {"x": 1, "y": "2.00"}, "b": 0}
    assert figures_digest(figures) == figures_digest({"b": 0, "a": {"y": "2.00", "x": 1}})
    assert figures_digest(figures) != figures_digest({"a": {"x": 1, "y": "2.01"}, "b": 0})
