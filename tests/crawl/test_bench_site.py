"""The crawl benchmark's site server: it serves the site, and it does not outlive a benchmark killed outright."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import httpx

from curator.processes import process_alive


def test_the_site_server_ends_when_the_benchmark_is_killed(tmp_path):
    script = textwrap.dedent(f"""
        import pathlib, sys, time
        from tests.support.sites import start_server, write_site
        if __name__ == "__main__":
            root = pathlib.Path({str(tmp_path / "site")!r})
            write_site(root, 60)
            server, port = start_server(root)
            print(server.pid, port, flush=True)
            time.sleep(600)
    """)
    bench = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        server_pid, port = map(int, bench.stdout.readline().split())
        answer = httpx.get(f"http://127.0.0.1:{port}/docs/00/page-1.html", timeout=10)
        assert answer.status_code == 200 and "Trade guide 1" in answer.text
        assert httpx.get(f"http://127.0.0.1:{port}/nowhere", timeout=10).status_code == 404
    finally:
        bench.send_signal(signal.SIGKILL)
        bench.wait(30)
    deadline = time.monotonic() + 15
    while process_alive(server_pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    alive = process_alive(server_pid)
    if alive:
        os.kill(server_pid, signal.SIGKILL)
    assert not alive, "the site server outlived the benchmark that started it"
