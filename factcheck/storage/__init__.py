"""Where state lives: the database (db, models, store) and the Redis cache (cache/)."""

from flask import Flask

from factcheck.storage import cache
from factcheck.storage.cache import invalidation
from factcheck.storage.db import db, migrate

MIGRATIONS = __path__[0] + "/migrations"


def init_app(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS)
    cache.init_app(app)
    invalidation.init_app(app)
