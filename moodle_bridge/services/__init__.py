"""Application services: each use case the face offers, feeding the pure rules from the store and keeping results.

The command line, the scheduler's pipeline and the demo call these functions; they never print or exit.
"""
