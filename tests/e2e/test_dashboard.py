"""The dashboard's static site (web/static) as the service serves it: every file with its content
type, the browser told to load nothing from elsewhere, nothing that names another origin, and
every relative reference pointing at a file that is served."""

import re
from pathlib import Path

import pytest

from web.site import MOUNT, STATIC

FILES = sorted(p.relative_to(STATIC).as_posix() for p in STATIC.rglob("*") if p.is_file())
PAGES = [f for f in FILES if f.endswith(".html")]
CODE = [f for f in FILES if f.endswith((".html", ".js", ".css"))]
OUR_CODE = [f for f in CODE if not f.startswith("vendor/")]

CONTENT_TYPES = {".html": ("text/html",), ".js": ("text/javascript", "application/javascript"),
                 ".css": ("text/css",), ".svg": ("image/svg+xml",), ".md": ("text/markdown",),
                 "": ("application/octet-stream", "text/plain")}

# A URL with a scheme or a protocol-relative one (//host), wherever a browser would fetch it:
# src/href/action/poster attributes, JS imports (static and dynamic), fetch(), CSS url() and @import.
_FOREIGN = r"""["']?\s*(?:[a-z][a-z0-9+.-]*:)?//"""
FOREIGN_REFERENCES = [
    re.compile(rf"""\b(?:src|href|action|poster|srcset)\s*=\s*{_FOREIGN}""", re.I),
    re.compile(rf"""\bimport\s*(?:[\w*{{}},\s]+from\s*)?\(?\s*{_FOREIGN}""", re.I),
    re.compile(rf"""\bfetch\s*\(\s*{_FOREIGN}""", re.I),
    re.compile(rf"""\burl\s*\(\s*{_FOREIGN}""", re.I),
    re.compile(rf"""@import\s+{_FOREIGN}""", re.I),
]


def test_the_site_has_its_pages_and_the_vendored_echarts():
    assert {"index.html", "district.html", "city.html", "audit.html"} <= set(PAGES)
    assert {"vendor/echarts/echarts.min.js", "vendor/echarts/LICENSE", "vendor/echarts/NOTICE"} <= set(FILES)
    assert re.search(r"ECharts 5\.\d+\.\d+", (STATIC / "vendor/echarts/README.md").read_text(encoding="utf-8"))


async def test_the_root_sends_a_browser_to_the_dashboard(client):
    answer = await client.get("/")
    assert answer.status_code == 307
    assert answer.headers["location"] == f"{MOUNT}/"
    index = await client.get(f"{MOUNT}/")
    assert index.status_code == 200
    assert index.text == (STATIC / "index.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", FILES)
async def test_every_file_is_served_with_its_content_type(name, client):
    answer = await client.get(f"{MOUNT}/{name}")

    assert answer.status_code == 200, answer.text
    assert answer.content == (STATIC / name).read_bytes()
    media_type = answer.headers["content-type"].split(";")[0].strip()
    assert media_type in CONTENT_TYPES[Path(name).suffix], f"{name}: {media_type}"
    assert answer.headers["x-content-type-options"] == "nosniff"
    policy = answer.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy and "connect-src 'self'" in policy


async def test_a_missing_file_is_a_404(client):
    assert (await client.get(f"{MOUNT}/nothing-here.js")).status_code == 404
    assert (await client.get(f"{MOUNT}/../pyproject.toml")).status_code == 404


@pytest.mark.parametrize("name", CODE)
def test_no_file_references_another_origin(name):
    text = (STATIC / name).read_text(encoding="utf-8")
    found = [m.group(0) for pattern in FOREIGN_REFERENCES for m in pattern.finditer(text)]
    assert not found, f"{name} references another origin: {found[:5]}"


@pytest.mark.parametrize("reference", [
    '<script src="https://cdn.example.com/echarts.js">', "<link href='//fonts.example.com/a.css'>",
    'import * as echarts from "https://esm.sh/echarts"', "import('//cdn.example.com/x.js')",
    "fetch('https://api.example.com/v1')", "src: url(https://fonts.gstatic.com/x.woff2)",
    '@import "https://fonts.example.com/css";',
])
def test_the_origin_scan_catches_what_it_is_for(reference):
    assert any(pattern.search(reference) for pattern in FOREIGN_REFERENCES)


def _local_references(name: str) -> list[str]:
    text = (STATIC / name).read_text(encoding="utf-8")
    if name.endswith(".html"):
        found = re.findall(r"""\b(?:src|href)\s*=\s*["']([^"'#?]+)""", text)
    elif name.endswith(".js"):
        found = re.findall(r"""\bimport\s[^"']*?from\s*["']([^"']+)["']""", text)
    else:
        found = re.findall(r"""url\(\s*["']?([^"')]+)""", text)
    return [ref for ref in found if not ref.startswith(("/", "data:", "#")) and "${" not in ref]


@pytest.mark.parametrize("name", OUR_CODE)
async def test_every_relative_reference_is_served(name, client):
    base = f"{MOUNT}/{name}".rsplit("/", 1)[0]
    for ref in _local_references(name):
        answer = await client.get(f"{base}/{ref}")
        assert answer.status_code == 200, f"{name} references {ref}, which is not served"


@pytest.mark.parametrize("name", PAGES)
def test_every_page_is_chinese_and_loads_only_modules_and_echarts(name):
    text = (STATIC / name).read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in text and '<meta charset="utf-8">' in text
    scripts = re.findall(r"<script([^>]*)>", text)
    for attributes in scripts:
        assert 'type="module"' in attributes or "vendor/echarts/echarts.min.js" in attributes, attributes
    assert not re.search(r"<script[^>]*>\s*[^<\s]", text), "inline scripts would need 'unsafe-inline'"
