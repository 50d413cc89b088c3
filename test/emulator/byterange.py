# SPDX-License-Identifier: MIT
"""Single byte ranges and If-Range, per RFC 7233 (now RFC 9110 section 14).

The emulator serves one range per response. RFC 7233 3.1 lets a server
ignore a Range header it does not support, so a multi-range or malformed
header is ignored and the whole representation is sent (200).
"""

import email.utils
import re

IGNORE = "ignore"
UNSATISFIABLE = "unsatisfiable"

# bytes-unit is case-insensitive (RFC 9110 14.1). No whitespace is allowed
# inside a byte-range-spec; a header with a comma is a multi-range set.
_SPEC = re.compile(r"(?:([0-9]{1,30})-([0-9]{0,30})|-([0-9]{1,30}))\Z", re.ASCII)


def parse(value, total):
    """Resolve a Range header value against a representation of `total` bytes.

    Returns IGNORE (send 200 with everything), UNSATISFIABLE (416), or a
    (first, last) pair of inclusive offsets (206).
    """
    unit, eq, spec = value.partition("=")
    if not eq or unit.strip(" \t").lower() != "bytes" or "," in spec:
        return IGNORE
    m = _SPEC.match(spec.strip(" \t"))
    if m is None:
        return IGNORE
    first, last, suffix = m.groups()
    if suffix is not None:
        # RFC 7233 2.1: a suffix range of 0 bytes, or any suffix range of an
        # empty representation, selects nothing.
        n = int(suffix)
        if n == 0 or total == 0:
            return UNSATISFIABLE
        return max(0, total - n), total - 1
    first = int(first)
    if last:
        last = int(last)
        # last < first makes the spec syntactically invalid: the whole
        # header is then ignored (RFC 7233 2.1), not answered with 416.
        if last < first:
            return IGNORE
    else:
        last = total - 1
    if first >= total:
        return UNSATISFIABLE
    return first, min(last, total - 1)


def if_range_allows(value, etag, last_modified):
    """Whether an If-Range precondition lets the Range apply (RFC 7233 3.2).

    `etag` is the current ETag header value or None; `last_modified` the
    current Last-Modified header value or None. An entity-tag must match by
    strong comparison, so a weak tag on either side never matches. A date
    must equal Last-Modified exactly.
    """
    value = value.strip(" \t")
    if value.startswith('"') or value.startswith("W/"):
        return (etag is not None and not etag.startswith("W/")
                and not value.startswith("W/") and value == etag)
    if last_modified is None:
        return False
    try:
        asked = email.utils.parsedate_to_datetime(value)
        have = email.utils.parsedate_to_datetime(last_modified)
    except (TypeError, ValueError):
        return False
    return asked == have
