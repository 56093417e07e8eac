"""moodle_bridge: cadre training compliance on top of Moodle's REST web services."""

__version__ = "0.1.0"
