"""The review page for organisation staff (Starlette, server-rendered)."""
