"""Clients for remote services: one module per service, one requests.Session each.

Every client sends Wikimedia's policy User-Agent, uses timeouts on every call, returns typed
results and raises one error type of its own, so a caller can say "Meta-Wiki did not answer"
without knowing about requests.
"""
