"""Serve a slow simulated Moodle until killed: python serve_simulator.py (prints its URL)."""

import time

from moodle_bridge.simulator.generator import generate
from moodle_bridge.simulator.server import SimulatedMoodle

moodle = SimulatedMoodle(generate("small"), time_scale=0.3)  # a third of real Moodle's pace
with moodle.serve() as url:
    print(url, flush=True)
    time.sleep(900)
