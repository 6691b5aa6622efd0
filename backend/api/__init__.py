"""The GraphQL API of the public contract (DESIGN.md): types, resolvers, schema, view."""
