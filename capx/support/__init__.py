"""Support code the domain services lean on but that knows no business rule: the cache registry
and the per-request scope, version stamps, timed caches, rate limits, pagination, Commons media
URLs, secrets, and the GROUP_CONCAT helpers. It may read models (stamps name the cached tables)
but never a service, a blueprint or the request."""
