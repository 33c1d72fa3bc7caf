"""The only module that talks to Redis. Every Redis failure becomes a miss, never an exception."""

import logging

import redis
from flask import Flask, current_app
from redis.backoff import NoBackoff
from redis.retry import Retry

log = logging.getLogger(__name__)

# A paused Redis would otherwise hold each request for redis-py's default of minutes.
SOCKET_TIMEOUT = 0.05


def init_app(app: Flask) -> None:
    url = app.config.get("REDIS_URL")
    client = None
    if url:
        client = redis.Redis.from_url(
            url,
            socket_connect_timeout=SOCKET_TIMEOUT,
            socket_timeout=SOCKET_TIMEOUT,
            retry=Retry(NoBackoff(), 0),
        )
    app.extensions["factcheck.cache"] = client


def _client() -> redis.Redis | None:
    return current_app.extensions.get("factcheck.cache")


def get(key: str) -> bytes | None:
    client = _client()
    if client is None:
        return None
    try:
        value = client.get(key)
    except redis.RedisError as error:
        log.warning("cache get failed: %s", error)
        return None
    return value if isinstance(value, bytes) else None


def put(key: str, value: bytes, ttl: int) -> None:
    client = _client()
    if client is None:
        return
    try:
        client.set(key, value, ex=ttl)
    except redis.RedisError as error:
        log.warning("cache set failed: %s", error)


def invalidate(*keys: str) -> None:
    client = _client()
    if client is None or not keys:
        return
    try:
        client.delete(*keys)
    except redis.RedisError as error:
        log.warning("cache invalidation failed: %s", error)


def ping() -> bool:
    client = _client()
    if client is None:
        return False
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
