"""Developer tooling, never used by a page: demo data (``flask capx seed-demo``), the pilot
showcase it adds, the benchmark (``flask capx bench``) and the configuration check
(``flask capx check-config``). Each is a caller of the services like any CLI command."""
