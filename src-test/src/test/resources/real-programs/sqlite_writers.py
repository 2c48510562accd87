"""Four processes insert into one SQLite database in WAL mode at once (its shared-memory index is a
shared map every writer uses); then the rows are counted and the database checked."""
import multiprocessing
import sqlite3
import sys

WRITERS = 4
ROWS = 200


def write(path, writer):
    db = sqlite3.connect(path, timeout=60)
    for i in range(ROWS):
        with db:
            db.execute("INSERT INTO t (writer, n) VALUES (?, ?)", (writer, i))
    db.close()


if __name__ == "__main__":
    path = sys.argv[1]
    db = sqlite3.connect(path)
    mode = db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
    db.execute("CREATE TABLE t (writer INTEGER, n INTEGER)")
    db.commit()
    workers = [multiprocessing.Process(target=write, args=(path, w)) for w in range(WRITERS)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    rows = db.execute("SELECT COUNT(*), COUNT(DISTINCT writer) FROM t").fetchone()
    check = db.execute("PRAGMA integrity_check").fetchone()[0]
    print("sqlite %s: %d rows from %d writers, integrity %s" % (mode, rows[0], rows[1], check))
