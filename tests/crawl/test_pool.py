"""The extraction pool: results and errors come back, a dead worker fails only its own job, loops come and go."""

import asyncio
import os
import subprocess
import sys
import textwrap

import pytest

from curator.crawl.process_pool import ExtractionPool, WorkerLost


@pytest.fixture
def pool():
    p = ExtractionPool(2)
    yield p
    p.shutdown(wait=True, cancel_futures=True)


def test_results_and_errors_come_back_in_order_of_the_calls(pool):
    async def main():
        return await asyncio.gather(*(pool.run(abs, -n) for n in range(20)), pool.run(int, "not a number"),
                                    return_exceptions=True)

    *values, error = asyncio.run(main())
    assert values == list(range(20))
    assert isinstance(error, ValueError)


def test_a_worker_that_dies_fails_only_its_job_and_is_replaced(pool):
    async def main():
        died = pool.run(os._exit, 3)  # the worker process ends without a word, as a crash would
        others = [pool.run(abs, -n) for n in range(6)]
        return await asyncio.gather(died, *others, return_exceptions=True)

    outcome = asyncio.run(main())
    assert isinstance(outcome[0], WorkerLost)
    # A job queued behind the dying one on the same worker is lost with it; every other job is answered.
    assert [v for v in outcome[1:] if not isinstance(v, WorkerLost)] != []
    assert all(v == n for n, v in enumerate(outcome[1:]) if not isinstance(v, WorkerLost))
    assert asyncio.run(pool.run(abs, -7)) == 7
    assert all(w.process.is_alive() for w in pool._workers)


def test_a_pool_serves_one_event_loop_after_another_even_after_a_cancelled_one():
    pool = ExtractionPool(1)  # one worker, so the next call queues behind the cancelled one

    async def cancelled():
        task = asyncio.ensure_future(pool.run(sum, range(10**7)))
        await asyncio.sleep(0)
        task.cancel()

    asyncio.run(cancelled())
    # The cancelled job's late answer is dropped, not handed to the next caller.
    try:
        assert asyncio.run(pool.run(abs, -5)) == 5
        assert asyncio.run(pool.run(len, "four")) == 4
    finally:
        pool.shutdown()


def test_the_extraction_processes_import_none_of_the_crawling_side():
    # Each crawl starts its extraction processes anew: what they import is time the crawl waits for.
    code = ("import sys, curator.crawl.page_text; "
            "print(sorted(m for m in ('httpx', 'curator.crawl.runner', 'curator.crawl.fetch') "
            "if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_a_pool_that_cannot_start_its_workers_says_why_on_every_call(monkeypatch):
    def refuse(self, n):
        raise OSError("no more processes allowed")

    monkeypatch.setattr(ExtractionPool, "_start", refuse)
    pool = ExtractionPool(2)
    try:
        for _ in range(2):
            with pytest.raises(OSError, match="no more processes"):
                asyncio.run(pool.run(abs, -1))
    finally:
        pool.shutdown()


def test_a_call_cancelled_while_the_workers_start_leaves_the_pool_usable():
    pool = ExtractionPool(1)

    async def cancelled_then_served():
        task = asyncio.ensure_future(pool.run(abs, -1))
        await asyncio.sleep(0)
        task.cancel()
        return await pool.run(abs, -2)

    try:
        assert asyncio.run(cancelled_then_served()) == 2
    finally:
        pool.shutdown()


def test_the_extraction_processes_do_not_run_the_program_that_started_them(tmp_path):
    # The `curator` command's script imports the whole CLI; multiprocessing would run it again in every
    # extraction process before its first page.
    marker = tmp_path / "main-ran-in"
    script = tmp_path / "crawl_like_curator"
    script.write_text(textwrap.dedent(f"""
        import asyncio, os, pathlib
        if __name__ != "__main__":  # multiprocessing runs a process's main script as __mp_main__
            pathlib.Path({str(marker)!r}).write_text(str(os.getpid()))
        if __name__ == "__main__":
            from curator.crawl.process_pool import ExtractionPool
            pool = ExtractionPool(2)
            async def main():
                return await asyncio.gather(*(pool.run(abs, -n) for n in range(4)))
            print(asyncio.run(main()))
            pool.shutdown()
    """), encoding="utf-8")
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[0, 1, 2, 3]"
    assert not marker.exists(), f"the script ran in extraction process {marker.read_text()}"
