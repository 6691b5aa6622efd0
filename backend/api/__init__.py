"""The GraphQL API of the public contract (docs/api.md, docs/schema.graphql): types,
resolvers, schema, view."""
