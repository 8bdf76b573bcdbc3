"""Two writers at once, a reader beside a writer, and a writer killed mid-transaction."""

import signal
import subprocess
import sys
import textwrap

from curator.store import connect, integrity_problems

WRITER = textwrap.dedent("""
    import sys
    from curator.store import connect, transaction
    conn = connect(sys.argv[1])
    for i in range(int(sys.argv[3])):
        with transaction(conn):
            conn.execute("INSERT INTO errors (stage, location, message) VALUES (?, ?, 'x')", (sys.argv[2], str(i)))
    print("done", flush=True)
""")

HOLDER = textwrap.dedent("""
    import sys
    from curator.store import connect
    conn = connect(sys.argv[1])
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("INSERT INTO errors (stage, location, message) VALUES ('holder', 'a', 'kept')")
    print("holding", flush=True)
    sys.stdin.readline()
    conn.execute("COMMIT")
    print("committed", flush=True)
""")

KILLED = textwrap.dedent("""
    import sys
    from curator.store import connect, transaction
    conn = connect(sys.argv[1])
    with transaction(conn):
        conn.executemany("INSERT INTO errors (stage, location, message) VALUES ('committed', ?, 'x')",
                         [(str(i),) for i in range(100)])
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany("INSERT INTO errors (stage, location, message) VALUES ('uncommitted', ?, ?)",
                     [(str(i), "y" * 2000) for i in range(5000)])
    print("mid-transaction", flush=True)
    sys.stdin.readline()
""")


def _spawn(code, *args):
    return subprocess.Popen([sys.executable, "-c", code, *map(str, args)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _count(path, stage):
    conn = connect(path)
    try:
        return conn.execute("SELECT COUNT(*) FROM errors WHERE stage = ?", (stage,)).fetchone()[0]
    finally:
        conn.close()


def test_two_processes_writing_at_once_both_succeed(workspace):
    db = workspace.db_path
    a, b = _spawn(WRITER, db, "a", 300), _spawn(WRITER, db, "b", 300)
    outs = [p.communicate(timeout=120) for p in (a, b)]
    assert [p.returncode for p in (a, b)] == [0, 0], [o[1] for o in outs]
    assert _count(db, "a") == 300 and _count(db, "b") == 300


def test_a_second_writer_waits_for_the_first_and_a_reader_is_not_blocked(workspace, curator_cmd):
    db = workspace.db_path
    holder = _spawn(HOLDER, db)
    assert holder.stdout.readline().strip() == "holding"
    waiting = _spawn(WRITER, db, "waiter", 1)
    status = curator_cmd("--workspace", str(workspace.root), "status", "--json")
    assert status.returncode == 0, status.stderr
    holder.stdin.write("\n")
    holder.stdin.flush()
    assert holder.communicate(timeout=60)[0].strip() == "committed"
    out, errs = waiting.communicate(timeout=60)
    assert waiting.returncode == 0, errs
    assert _count(db, "holder") == 1 and _count(db, "waiter") == 1


def test_killed_mid_transaction_leaves_the_database_consistent(workspace):
    db = workspace.db_path
    child = _spawn(KILLED, db)
    assert child.stdout.readline().strip() == "mid-transaction"
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    conn = connect(db)
    try:
        assert integrity_problems(conn) == []
        assert _count(db, "committed") == 100
        assert _count(db, "uncommitted") == 0
        conn.execute("INSERT INTO errors (stage, location, message) VALUES ('after', 'z', 'writable again')")
    finally:
        conn.close()
    assert _count(db, "after") == 1
