"""The embedded Passline backend: storage, outbox, GraphQL API and server."""
