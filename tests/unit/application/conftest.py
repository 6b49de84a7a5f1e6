import pytest
from application_fakes import FakeDatabase, Published

from application.unit_of_work import Transactions


@pytest.fixture
def database() -> FakeDatabase:
    return FakeDatabase()


@pytest.fixture
def published(database: FakeDatabase) -> Published:
    return Published(database)


@pytest.fixture
def transactions(database: FakeDatabase, published: Published) -> Transactions:
    return Transactions(database, published)
