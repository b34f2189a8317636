"""DNS wire helpers shared by the benchmark scripts (python3 stdlib only): query building,
name skipping and the answer section's records. Imported from the scripts' own directory."""
import struct


def encode_name(name):
    """The uncompressed wire form of a dotted name."""
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\x00"


def query(qid, name, qtype, rd=False, authority=b"", nscount=0):
    """A query for `name`/`qtype` (class IN), optionally with an authority section."""
    q = struct.pack(">HHHHHH", qid, 0x0100 if rd else 0, 1, 0, nscount, 0)
    return q + encode_name(name) + struct.pack(">HH", qtype, 1) + authority


def skip_name(msg, p):
    """The offset after the (possibly compressed) name at `p`."""
    while True:
        n = msg[p]
        if n == 0:
            return p + 1
        if n & 0xC0 == 0xC0:
            return p + 2
        p += 1 + n


def answer_records(msg):
    """[(type, rdata offset, rdlength)] of the answer section."""
    _, _, qd, an = struct.unpack(">HHHH", msg[:8])
    p = 12
    for _ in range(qd):
        p = skip_name(msg, p) + 4
    out = []
    for _ in range(an):
        p = skip_name(msg, p)
        t, _, _, rdlen = struct.unpack(">HHIH", msg[p : p + 10])
        out.append((t, p + 10, rdlen))
        p += 10 + rdlen
    return out
