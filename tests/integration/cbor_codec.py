"""A deliberately tiny CBOR (RFC 8949) encoder/decoder for the raw CBOR client tests.

No third-party dependency: the suite must run on a fresh Debian with Debian packages only.

Encoding rules follow what the AWS Java SDKs send for `application/x-amz-cbor-1.1`:
  * bytes            -> major type 2 (byte string)
  * str              -> major type 3 (text string)
  * int              -> major type 0/1
  * float            -> 0xfb + IEEE-754 double
  * bool / None      -> simple values 20/21/22
  * list / tuple     -> major type 4, dict -> major type 5
  * datetime         -> tag 1 wrapping an INTEGER of epoch milliseconds (the AWS quirk, not RFC seconds)
  * Tagged(tag, v)   -> explicit tag

Decoding returns plain Python values; tags come back as `Tagged` so tests can assert the exact wire form
(tag 1 + int milliseconds). Indefinite-length items are accepted on decode.
"""

import datetime
import struct


class Tagged:
    """A CBOR tag with its content, kept verbatim by the decoder."""

    def __init__(self, tag, value):
        self.tag = tag
        self.value = value

    def __eq__(self, other):
        return isinstance(other, Tagged) and (self.tag, self.value) == (other.tag, other.value)

    def __repr__(self):
        return f"Tagged({self.tag}, {self.value!r})"


class CBORDecodeError(ValueError):
    pass


def _head(major, n):
    if n < 24:
        return bytes([(major << 5) | n])
    if n < 0x100:
        return bytes([(major << 5) | 24, n])
    if n < 0x10000:
        return bytes([(major << 5) | 25]) + struct.pack(">H", n)
    if n < 0x100000000:
        return bytes([(major << 5) | 26]) + struct.pack(">I", n)
    if n < 0x10000000000000000:
        return bytes([(major << 5) | 27]) + struct.pack(">Q", n)
    raise ValueError("integer too large for CBOR head")


def dumps(value):
    out = bytearray()
    _encode(value, out)
    return bytes(out)


def _encode(v, out):
    if v is None:
        out.append(0xF6)
    elif v is True:
        out.append(0xF5)
    elif v is False:
        out.append(0xF4)
    elif isinstance(v, Tagged):
        out += _head(6, v.tag)
        _encode(v.value, out)
    elif isinstance(v, int):
        if v >= 0:
            out += _head(0, v)
        else:
            out += _head(1, -1 - v)
    elif isinstance(v, float):
        out.append(0xFB)
        out += struct.pack(">d", v)
    elif isinstance(v, (bytes, bytearray, memoryview)):
        b = bytes(v)
        out += _head(2, len(b))
        out += b
    elif isinstance(v, str):
        b = v.encode("utf-8")
        out += _head(3, len(b))
        out += b
    elif isinstance(v, datetime.datetime):
        if v.tzinfo is None:
            raise ValueError("naive datetime")
        millis = int(round(v.timestamp() * 1000))
        out += _head(6, 1)
        _encode(millis, out)
    elif isinstance(v, (list, tuple)):
        out += _head(4, len(v))
        for item in v:
            _encode(item, out)
    elif isinstance(v, dict):
        out += _head(5, len(v))
        for k, item in v.items():
            _encode(k, out)
            _encode(item, out)
    else:
        raise TypeError(f"cannot CBOR-encode {type(v).__name__}")


def loads(data):
    """Decode exactly one CBOR item; trailing bytes are an error."""
    value, pos = _decode(memoryview(bytes(data)), 0)
    if pos != len(data):
        raise CBORDecodeError(f"{len(data) - pos} trailing bytes after CBOR item")
    return value


_BREAK = object()


def _need(buf, pos, n):
    if pos + n > len(buf):
        raise CBORDecodeError("truncated CBOR item")


def _read_arg(buf, pos, info):
    if info < 24:
        return info, pos
    sizes = {24: 1, 25: 2, 26: 4, 27: 8}
    if info not in sizes:
        raise CBORDecodeError(f"bad additional info {info}")
    n = sizes[info]
    _need(buf, pos, n)
    return int.from_bytes(buf[pos:pos + n], "big"), pos + n


def _decode(buf, pos):
    _need(buf, pos, 1)
    ib = buf[pos]
    pos += 1
    major, info = ib >> 5, ib & 0x1F
    if major == 7:
        if info == 20:
            return False, pos
        if info == 21:
            return True, pos
        if info in (22, 23):
            return None, pos
        if info == 25:
            _need(buf, pos, 2)
            return struct.unpack(">e", bytes(buf[pos:pos + 2]))[0], pos + 2
        if info == 26:
            _need(buf, pos, 4)
            return struct.unpack(">f", bytes(buf[pos:pos + 4]))[0], pos + 4
        if info == 27:
            _need(buf, pos, 8)
            return struct.unpack(">d", bytes(buf[pos:pos + 8]))[0], pos + 8
        if info == 31:
            return _BREAK, pos
        if info < 24:
            return Tagged("simple", info), pos
        raise CBORDecodeError(f"unsupported simple value {info}")
    if info == 31:  # indefinite length
        if major in (2, 3):
            chunks = []
            while True:
                item, pos = _decode(buf, pos)
                if item is _BREAK:
                    break
                chunks.append(item)
            return (b"".join(chunks) if major == 2 else "".join(chunks)), pos
        if major == 4:
            items = []
            while True:
                item, pos = _decode(buf, pos)
                if item is _BREAK:
                    return items, pos
                items.append(item)
        if major == 5:
            result = {}
            while True:
                k, pos = _decode(buf, pos)
                if k is _BREAK:
                    return result, pos
                result[k], pos = _decode(buf, pos)
        raise CBORDecodeError(f"indefinite length not allowed for major type {major}")
    arg, pos = _read_arg(buf, pos, info)
    if major == 0:
        return arg, pos
    if major == 1:
        return -1 - arg, pos
    if major == 2:
        _need(buf, pos, arg)
        return bytes(buf[pos:pos + arg]), pos + arg
    if major == 3:
        _need(buf, pos, arg)
        return bytes(buf[pos:pos + arg]).decode("utf-8"), pos + arg
    if major == 4:
        items = []
        for _ in range(arg):
            item, pos = _decode(buf, pos)
            items.append(item)
        return items, pos
    if major == 5:
        result = {}
        for _ in range(arg):
            k, pos = _decode(buf, pos)
            result[k], pos = _decode(buf, pos)
        return result, pos
    if major == 6:
        value, pos = _decode(buf, pos)
        return Tagged(arg, value), pos
    raise CBORDecodeError(f"bad major type {major}")


def _self_check():
    """Round-trip a few RFC 8949 appendix A vectors; run at import so a codec bug fails loudly."""
    vectors = [
        (0, "00"), (23, "17"), (24, "1818"), (1000, "1903e8"), (1000000, "1a000f4240"),
        (-1, "20"), (-1000, "3903e7"), (b"", "40"), (b"\x01\x02\x03\x04", "4401020304"),
        ("a", "6161"), ("\u00fc", "62c3bc"), ([1, [2, 3]], "8201820203"),
        ({"a": 1}, "a1616101"), (True, "f5"), (None, "f6"), (1.1, "fb3ff199999999999a"),
    ]
    for value, hexed in vectors:
        assert dumps(value).hex() == hexed, (value, dumps(value).hex())
        assert loads(bytes.fromhex(hexed)) == value, hexed
    assert loads(bytes.fromhex("c11a514b67b0")) == Tagged(1, 1363896240)
    assert loads(bytes.fromhex("5f42010243030405ff")) == b"\x01\x02\x03\x04\x05"
    assert loads(bytes.fromhex("bf61610161629f0203ffff")) == {"a": 1, "b": [2, 3]}
    assert loads(bytes.fromhex("f93c00")) == 1.0


_self_check()
