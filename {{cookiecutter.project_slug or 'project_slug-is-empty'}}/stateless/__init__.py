"""What keeps every process of this project stateless and operable: the statelessness checks, the
session engine, media storage, health probes, the outage handler, request ids and JSON logs."""
