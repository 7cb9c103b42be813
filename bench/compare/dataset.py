"""The recovery and memory data set: keys key:%012d (16 bytes), each with a
random 100-byte value, written once as two bulk-load files holding the same
pairs: RESP for `redis-cli --pipe` and text lines for `cairn-cli --pipe`.
Values are base64 of random bytes, so they need no quoting in text mode and
neither server can compress them."""
import base64
import os

KEY_BYTES = 16
VALUE_BYTES = 100
_RAW = VALUE_BYTES * 3 // 4  # base64 of 75 random bytes is 100 characters


def write(directory, count, chunk=10000):
    """Writes load.resp and load.txt under directory; returns their paths."""
    os.makedirs(directory, exist_ok=True)
    resp_path = os.path.join(directory, 'load.resp')
    text_path = os.path.join(directory, 'load.txt')
    with open(resp_path, 'wb') as resp, open(text_path, 'wb') as text:
        for first in range(0, count, chunk):
            rows = range(first, min(first + chunk, count))
            raw = os.urandom(_RAW * len(rows))
            values = [base64.b64encode(raw[i * _RAW:(i + 1) * _RAW]) for i in range(len(rows))]
            keys = [b'key:%012d' % i for i in rows]
            resp.write(b''.join(b'*3\r\n$3\r\nSET\r\n$16\r\n%s\r\n$100\r\n%s\r\n' % kv
                                for kv in zip(keys, values)))
            text.write(b''.join(b'PUT %s %s\n' % kv for kv in zip(keys, values)))
    return resp_path, text_path
