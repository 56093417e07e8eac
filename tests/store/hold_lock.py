"""Hold the pipeline lock until killed: python hold_lock.py DB_URL (prints "held")."""

import sys
import time

from moodle_bridge.store import connect
from moodle_bridge.store.lock import StoreLock

lock = StoreLock(connect(sys.argv[1]), heartbeat=0.2)
lock.acquire()
print("held", flush=True)
time.sleep(600)
