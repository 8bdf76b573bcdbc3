"""The extraction pool: results and errors come back, a dead worker fails only its own job, loops come and go."""

import asyncio
import os

import pytest

from curator.ingest.crawler.pool import ExtractionPool, WorkerLost


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
