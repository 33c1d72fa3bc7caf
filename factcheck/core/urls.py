"""URL normalisation, so that the same page found through different links matches one record."""

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from factcheck.problems import BadRequest

TRACKING_PARAMETERS = frozenset(
    {"fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "igshid"}
    | {"yclid", "twclid", "ttclid", "mkt_tok", "_ga", "_gl", "oly_anon_id", "oly_enc_id"}
)
DEFAULT_PORTS = {"http": 80, "https": 443}


def lookup_key(url: str, keep_fragment: bool = False) -> str:
    """`url` normalised to look it up by, from a `url` query parameter: 400 naming it when the
    URL cannot be split (stored URLs passed schemas.fields.HttpUrl, which splits them)."""
    try:
        return normalize(url, keep_fragment)
    except ValueError as error:
        raise BadRequest(
            "The url parameter is not a URL that can be read.",
            errors=[{"parameter": "url", "detail": str(error)}],
        ) from None


def normalize(url: str, keep_fragment: bool = False) -> str:
    """Scheme and host lower-cased, default port, trailing slash and tracking parameters dropped.

    The fragment is dropped for articles; fact-check pages keep it, since a publisher may put
    several fact-checks on one page, one `#fragment` each. ValueError for a URL Python cannot
    split: an unclosed `[` IPv6 host, a host that changes under NFKC (a fullwidth `＃`).
    """
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    if ":" in host:
        host = f"[{host}]"  # an IPv6 address keeps its brackets
    netloc = host if port in (None, DEFAULT_PORTS.get(scheme)) else f"{host}:{port}"
    path = parts.path.rstrip("/")
    query = urlencode(
        [
            (name, value)
            for name, value in parse_qsl(parts.query, keep_blank_values=True)
            if not name.lower().startswith("utm_") and name.lower() not in TRACKING_PARAMETERS
        ]
    )
    fragment = parts.fragment if keep_fragment else ""
    return urlunsplit((scheme, netloc, path, query, fragment))
