/* Plain boundaries' ids in bulk: the keyed BLAKE2b-64 of "owner\0target\0code".
 *
 * The same digest as ``core.edges.plain_id`` (RFC 7693, 8-byte output, the
 * database's secret as the key), for whole arrays of (owner, target, code) at
 * once, so a bulk import does not make a Python hash object per boundary. The
 * pure twin is ``core.plain_ids._digests_pure``.
 *
 * ids(digests) -> the ids ("b_" and 16 hex digits) of such numbers.
 *
 * digests(names, offsets, owners, targets, codes, key, out)
 *   names    bytes: every person id, ASCII, one after another
 *   offsets  int64[n + 1]: person i is names[offsets[i]:offsets[i + 1]]
 *   owners, targets  int64[m]: person numbers
 *   codes    uint8[m]
 *   key      bytes: 0 to 64 bytes
 *   out      uint64[m], written: each digest read as a big-endian number, so
 *            numbers sort as the hex ids do
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

static const uint64_t IV[8] = {
    0x6a09e667f3bcc908ULL, 0xbb67ae8584caa73bULL, 0x3c6ef372fe94f82bULL,
    0xa54ff53a5f1d36f1ULL, 0x510e527fade682d1ULL, 0x9b05688c2b3e6c1fULL,
    0x1f83d9abfb41bd6bULL, 0x5be0cd19137e2179ULL,
};

static const uint8_t SIGMA[12][16] = {
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
    {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
    {11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4},
    {7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8},
    {9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13},
    {2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9},
    {12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11},
    {13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10},
    {6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5},
    {10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0},
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
    {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
};

#define ROTR(x, n) (((x) >> (n)) | ((x) << (64 - (n))))
#define G(a, b, c, d, x, y)       \
    do {                          \
        a = a + b + (x);          \
        d = ROTR(d ^ a, 32);      \
        c = c + d;                \
        b = ROTR(b ^ c, 24);      \
        a = a + b + (y);          \
        d = ROTR(d ^ a, 16);      \
        c = c + d;                \
        b = ROTR(b ^ c, 63);      \
    } while (0)

static uint64_t load64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

static void compress(uint64_t h[8], const uint8_t block[128], uint64_t counter, int last) {
    uint64_t m[16], v[16];
    for (int i = 0; i < 16; i++) m[i] = load64(block + 8 * i);
    for (int i = 0; i < 8; i++) {
        v[i] = h[i];
        v[i + 8] = IV[i];
    }
    v[12] ^= counter; /* messages here are far below 2**64 bytes: the high word stays 0 */
    if (last) v[14] = ~v[14];
    for (int r = 0; r < 12; r++) {
        const uint8_t *s = SIGMA[r];
        G(v[0], v[4], v[8], v[12], m[s[0]], m[s[1]]);
        G(v[1], v[5], v[9], v[13], m[s[2]], m[s[3]]);
        G(v[2], v[6], v[10], v[14], m[s[4]], m[s[5]]);
        G(v[3], v[7], v[11], v[15], m[s[6]], m[s[7]]);
        G(v[0], v[5], v[10], v[15], m[s[8]], m[s[9]]);
        G(v[1], v[6], v[11], v[12], m[s[10]], m[s[11]]);
        G(v[2], v[7], v[8], v[13], m[s[12]], m[s[13]]);
        G(v[3], v[4], v[9], v[14], m[s[14]], m[s[15]]);
    }
    for (int i = 0; i < 8; i++) h[i] ^= v[i] ^ v[i + 8];
}

/* The digest of one message, from the state after the key block (``done`` bytes so far). */
static uint64_t finish(const uint64_t start[8], uint64_t done, const uint8_t *msg, size_t len) {
    uint64_t h[8];
    uint8_t block[128];
    memcpy(h, start, sizeof h);
    while (len > 128) {
        done += 128;
        compress(h, msg, done, 0);
        msg += 128;
        len -= 128;
    }
    memset(block, 0, sizeof block);
    memcpy(block, msg, len);
    compress(h, block, done + len, 1);
    return __builtin_bswap64(h[0]); /* the first 8 digest bytes, as a big-endian number */
}

static int get(PyObject *obj, Py_buffer *view, Py_ssize_t itemsize, int writable, const char *what) {
    if (PyObject_GetBuffer(obj, view, writable ? PyBUF_WRITABLE | PyBUF_C_CONTIGUOUS : PyBUF_C_CONTIGUOUS) < 0)
        return -1;
    if (view->len % itemsize != 0) {
        PyBuffer_Release(view);
        PyErr_Format(PyExc_ValueError, "%s: items of %zd bytes expected", what, itemsize);
        return -1;
    }
    return 0;
}

static PyObject *digests(PyObject *self, PyObject *args) {
    PyObject *objs[7];
    if (!PyArg_UnpackTuple(args, "digests", 7, 7, &objs[0], &objs[1], &objs[2], &objs[3], &objs[4],
                           &objs[5], &objs[6]))
        return NULL;
    static const Py_ssize_t sizes[7] = {1, 8, 8, 8, 1, 1, 8};
    static const char *names[7] = {"names", "offsets", "owners", "targets", "codes", "key", "out"};
    Py_buffer b[7];
    int got = 0;
    PyObject *result = NULL;
    for (; got < 7; got++)
        if (get(objs[got], &b[got], sizes[got], got == 6, names[got]) < 0) goto done;

    const uint8_t *text = b[0].buf;
    const int64_t *offsets = b[1].buf, *owners = b[2].buf, *targets = b[3].buf;
    const uint8_t *codes = b[4].buf, *key = b[5].buf;
    uint64_t *out = b[6].buf;
    Py_ssize_t persons = b[1].len / 8 - 1, m = b[2].len / 8;
    if (persons < 0 || b[3].len / 8 != m || b[4].len != m || b[6].len / 8 != m || b[5].len > 64) {
        PyErr_SetString(PyExc_ValueError, "digests: arrays of mismatched lengths, or a key over 64 bytes");
        goto done;
    }
    if (persons > 0 && (offsets[0] < 0 || offsets[persons] > b[0].len)) {
        PyErr_SetString(PyExc_ValueError, "digests: offsets run past the names");
        goto done;
    }
    for (Py_ssize_t i = 0; i < persons; i++) {
        if (offsets[i + 1] < offsets[i] || offsets[i + 1] - offsets[i] > 64) {
            PyErr_SetString(PyExc_ValueError, "digests: a person id of 0 to 64 bytes expected");
            goto done;
        }
    }
    for (Py_ssize_t i = 0; i < m; i++) {
        if (owners[i] < 0 || owners[i] >= persons || targets[i] < 0 || targets[i] >= persons) {
            PyErr_SetString(PyExc_ValueError, "digests: owners and targets must index the persons");
            goto done;
        }
    }

    uint64_t start[8];
    uint64_t done_bytes = 0;
    memcpy(start, IV, sizeof start);
    start[0] ^= 0x01010000ULL ^ ((uint64_t)b[5].len << 8) ^ 8; /* fanout, depth, key, 8-byte out */
    if (b[5].len > 0) {
        uint8_t block[128] = {0};
        memcpy(block, key, (size_t)b[5].len);
        done_bytes = 128;
        compress(start, block, done_bytes, 0);
    }

    Py_BEGIN_ALLOW_THREADS;
    uint8_t msg[64 + 1 + 64 + 1 + 4];
    for (Py_ssize_t i = 0; i < m; i++) {
        size_t lo = (size_t)(offsets[owners[i] + 1] - offsets[owners[i]]);
        size_t lt = (size_t)(offsets[targets[i] + 1] - offsets[targets[i]]);
        size_t n = 0;
        memcpy(msg, text + offsets[owners[i]], lo);
        n += lo;
        msg[n++] = 0;
        memcpy(msg + n, text + offsets[targets[i]], lt);
        n += lt;
        msg[n++] = 0;
        unsigned code = codes[i];
        if (code >= 100) msg[n++] = (uint8_t)('0' + code / 100);
        if (code >= 10) msg[n++] = (uint8_t)('0' + code / 10 % 10);
        msg[n++] = (uint8_t)('0' + code % 10);
        out[i] = finish(start, done_bytes, msg, n);
    }
    Py_END_ALLOW_THREADS;
    result = Py_None;
    Py_INCREF(result);
done:
    for (int i = 0; i < got; i++) PyBuffer_Release(&b[i]);
    return result;
}

/* ids(digests) -> list of str: "b_" and the 16 hex digits of each uint64 digest. */
static PyObject *ids(PyObject *self, PyObject *arg) {
    static const char hex[] = "0123456789abcdef";
    Py_buffer view;
    if (get(arg, &view, 8, 0, "digests") < 0) return NULL;
    const uint64_t *d = view.buf;
    Py_ssize_t m = view.len / 8;
    PyObject *list = PyList_New(m);
    for (Py_ssize_t i = 0; list != NULL && i < m; i++) {
        PyObject *s = PyUnicode_New(18, 127);
        if (s == NULL) {
            Py_CLEAR(list);
            break;
        }
        Py_UCS1 *c = PyUnicode_1BYTE_DATA(s);
        c[0] = 'b';
        c[1] = '_';
        for (int j = 0; j < 16; j++) c[2 + j] = (Py_UCS1)hex[(d[i] >> (60 - 4 * j)) & 15];
        PyList_SET_ITEM(list, i, s);
    }
    PyBuffer_Release(&view);
    return list;
}

static PyMethodDef methods[] = {
    {"digests", digests, METH_VARARGS, "Keyed BLAKE2b-64 of owner\\0target\\0code, in bulk."},
    {"ids", ids, METH_O, "The plain ids of uint64 digests."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_plainids", NULL, -1, methods};

PyMODINIT_FUNC PyInit__plainids(void) { return PyModule_Create(&module); }
