"""GraphQL object, input and enum types of the public contract."""
