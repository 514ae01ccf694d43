"""What the service's processes load: `stations serve` and its worker run `stations.cli`, which
names every command, so a command's heavy dependencies are imported when it runs, not with it."""

import subprocess
import sys


def test_the_service_does_not_load_the_bench_client():
    loaded = subprocess.run([sys.executable, "-c", "import sys, stations.cli; print(*sorted(sys.modules))"],
                            capture_output=True, text=True, check=True).stdout.split()
    assert not {"aiohttp", "bench.run", "bench.load"} & set(loaded)
