"""Migration 0012 (members, review, audit log): keys stored before it become tool keys with their
scopes, revisions keep their actor text and name no member; it steps down and up again. On SQLite,
and on PostgreSQL with TEST_DATABASE_URL."""

import hashlib

from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from factcheck.storage.db import db

from .conftest import make_app

PREFIX, SECRET = "0123456789ab", "an-old-secret"
NOW = "2024-05-01 12:00:00+00:00"


def _rows_of_0008() -> None:
    """Rows as the code of 0008 wrote them, straight in SQL (today's models have more columns)."""
    statements = [
        "INSERT INTO organizations (id, slug, name, url, rating_scale, version, date_created,"
        " date_modified) VALUES (1, 'old', 'Old', 'https://old.example.org/', '{}', 1, :now, :now)",
        "INSERT INTO api_keys (id, organization_id, name, prefix, secret_hash, scopes,"
        " date_created) VALUES (1, 1, 'cms', :prefix, :hash, 'admin publish write', :now)",
        "INSERT INTO articles (id, organization_id, headline, in_language, version, date_created,"
        " date_modified) VALUES (1, 1, 'Old story', 'en', 1, :now, :now)",
        "INSERT INTO fact_checks (id, organization_id, article_id, status, version,"
        " claim_reviewed, claim_appearances, evidence, in_language, date_created, date_modified)"
        " VALUES (1, 1, 1, 'draft', 1, 'An old claim', '[]', '[]', 'en', :now, :now)",
        "INSERT INTO revisions (id, fact_check_id, version, action, actor, changes,"
        " date_created) VALUES (1, 1, 1, 'create', 'key:0123456789ab:cms', '{}', :now)",
    ]
    values = {"now": NOW, "prefix": PREFIX, "hash": hashlib.sha256(SECRET.encode()).hexdigest()}
    for statement in statements:
        db.session.execute(text(statement), values)
    db.session.commit()
    db.session.remove()


def test_old_keys_become_tool_keys_and_revisions_keep_their_actor(fresh_url: str) -> None:
    app = make_app(fresh_url, "")
    key = {"Authorization": f"Bearer fck_{PREFIX}_{SECRET}"}
    with app.app_context():
        upgrade(revision="0008")
        _rows_of_0008()
        upgrade()
        client = app.test_client()
        listed = client.get("/api/v1/organizations/old/keys", headers=key)
        assert listed.status_code == 200, listed.get_json()
        assert [(k["prefix"], k["member"], k["scopes"]) for k in listed.get_json()] == [
            (PREFIX, None, ["admin", "publish", "write"])
        ]
        history = client.get("/api/v1/fact-checks/1/revisions", headers=key).get_json()
        assert history[0]["actor"] == f"key:{PREFIX}:cms"
        assert "member" not in history[0]
        policy = client.get("/api/v1/organizations/old/review-policy", headers=key).get_json()
        assert policy == {"approvalRequired": False}
        # Alembic migrates on a connection of its own: this session must hold no lock then.
        db.session.remove()
        downgrade(revision="0008")
        upgrade()
        db.session.remove()
        assert client.get("/api/v1/organizations/old/keys", headers=key).status_code == 200
        db.session.remove()
        db.engine.dispose()
