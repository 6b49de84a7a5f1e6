"""The GraphQL layer: types, queries, auth and errors; thin over the domain and the ports."""
