"""Clients of Passline's GraphQL API, below Qt: the one protocol client
(:mod:`clients.graphql`, :mod:`clients.live`), the demo's simulated customers and staff
(:mod:`clients.demo`) and ``--self-test``'s checks through the API (:mod:`clients.self_test`).

They reach the backend only as any outside client does, over HTTP and WebSocket: they
import neither ``backend``, ``handlers``, ``ui`` nor Qt (pyproject.toml's contracts)."""
