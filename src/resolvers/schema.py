"""The GraphQL schema, assembled from the feature modules."""

from datetime import datetime

import strawberry
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.schema.config import StrawberryConfig

from resolvers.extensions import ClassifyErrors, RequireViewer
from resolvers.queries import Query
from resolvers.scalars import DateTime
from resolvers.types.entities import Appointment, Patient, Psychologist


def build_schema() -> strawberry.Schema:
    return strawberry.Schema(
        query=Query,
        types=[Appointment, Patient, Psychologist],
        extensions=[
            ClassifyErrors,
            RequireViewer,
            lambda: ParserCache(maxsize=256),
            lambda: ValidationCache(maxsize=256),
        ],
        config=StrawberryConfig(scalar_map={datetime: DateTime}),
    )
