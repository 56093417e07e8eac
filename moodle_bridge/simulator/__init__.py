"""An in-memory Moodle that answers the REST protocol (grows with the sync issue).

Nothing here imports the client or the sync: the simulator is an independent second reading
of Moodle's protocol, so the two can check each other.
"""
