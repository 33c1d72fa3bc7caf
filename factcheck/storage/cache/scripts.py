"""The cache's Lua scripts: each runs atomically in Redis, so a lease, a fill or an invalidation is
never seen half done.

Every document has three keys: `<ns>doc:<name>` (the bytes), `<ns>gen:<name>` (bumped by every
invalidation) and `<ns>lease:<name>` (held by the one request rebuilding a missing document), where
`<ns>` is the app's namespace (namespace.py).
"""

# KEYS doc, gen, lease; ARGV token, lease ms, a corrupt entry the caller saw.
# -> {1, entry} when one is stored (other than the corrupt one), else {0, generation, granted}.
LEASE = """
local entry = redis.call('GET', KEYS[1])
if entry and entry ~= ARGV[3] then return {1, entry} end
local generation = redis.call('GET', KEYS[2]) or '0'
local leased = redis.call('SET', KEYS[3], ARGV[1], 'NX', 'PX', ARGV[2])
return {0, generation, leased and 1 or 0}
"""

# KEYS doc, gen, lease; ARGV generation read before the build, bytes, ttl, token.
# Stores only when no invalidation came in between; frees the caller's lease either way.
FILL = """
local stored = 0
if (redis.call('GET', KEYS[2]) or '0') == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
  stored = 1
end
if redis.call('GET', KEYS[3]) == ARGV[4] then redis.call('DEL', KEYS[3]) end
return stored
"""

# KEYS lease; ARGV token. Frees the lease only if the caller still holds it.
RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
"""

# KEYS doc, gen, lease of each document in turn: drop the bytes and the lease, bump the generation.
EXPIRE = """
for i = 1, #KEYS, 3 do
  redis.call('DEL', KEYS[i], KEYS[i + 2])
  redis.call('INCR', KEYS[i + 1])
end
return 1
"""

ALL = {"lease": LEASE, "fill": FILL, "release": RELEASE, "expire": EXPIRE}


def keys(namespace: str, name: str) -> list[str]:
    """The doc, gen and lease keys of document `name`, in the order the scripts take them."""
    return [namespace + "doc:" + name, namespace + "gen:" + name, namespace + "lease:" + name]
