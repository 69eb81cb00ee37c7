/* Plain boundaries' ids in bulk: the keyed BLAKE2b-64 of "owner\0target\0code".
 *
 * The same digest as ``core.edges.plain_id``, for whole arrays of (owner,
 * target, code) at once: the loop, the messages and the digests' bytes are C,
 * the hashing is hashlib's (a copy of the caller's keyed state per boundary):
 * no cryptography of our own. The pure twin is ``core.plain_ids._digests_pure``.
 *
 * ids(digests) -> the ids ("b_" and 16 hex digits) of such numbers.
 *
 * rows(digests, owners, targets, codes, names, offsets, kinds, now, group) -> the
 *   rows (id, owner, kinds[code], target, now) of plain boundaries, the owner and
 *   target read from names and offsets as in digests,
 *   ``group`` rows' values one after another in each tuple (the last tuple
 *   holds the rest): a store writes a tuple with one statement.
 *
 * one(keyed, owner, target, code) -> the id of one plain boundary: what
 *   ``core.edges.plain_id`` answers, without its Python steps (a decision that
 *   explains a plain boundary names it).
 *
 * digests(names, offsets, owners, targets, codes, keyed, out)
 *   names    bytes: every person id, ASCII, one after another
 *   offsets  int64[n + 1]: person i is names[offsets[i]:offsets[i + 1]]
 *   owners, targets  int64[m]: person numbers
 *   codes    uint8[m]
 *   keyed    hashlib.blake2b(digest_size=8, key=the database's secret)
 *   out      uint64[m], written: each digest read as a big-endian number, so
 *            numbers sort as the hex ids do
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

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

/* Whether names[offsets[i]:offsets[i + 1]] is a person id of 0 to 64 bytes for
 * every one of ``persons``, and owners and targets (m of each) number persons;
 * else a ValueError worded for ``who``. */
static int persons_valid(const char *who, Py_ssize_t names_len, const int64_t *offsets,
                         Py_ssize_t persons, const int64_t *owners, const int64_t *targets,
                         Py_ssize_t m) {
    if (persons > 0 && (offsets[0] < 0 || offsets[persons] > names_len)) {
        PyErr_Format(PyExc_ValueError, "%s: offsets run past the names", who);
        return 0;
    }
    for (Py_ssize_t i = 0; i < persons; i++) {
        if (offsets[i + 1] < offsets[i] || offsets[i + 1] - offsets[i] > 64) {
            PyErr_Format(PyExc_ValueError, "%s: a person id of 0 to 64 bytes expected", who);
            return 0;
        }
    }
    for (Py_ssize_t i = 0; i < m; i++) {
        if (owners[i] < 0 || owners[i] >= persons || targets[i] < 0 || targets[i] >= persons) {
            PyErr_Format(PyExc_ValueError, "%s: owners and targets must index the persons", who);
            return 0;
        }
    }
    return 1;
}

/* *out = the first 8 bytes, big-endian, of a copy of ``keyed`` fed ``msg``. */
static int digest_into(PyObject *keyed, const uint8_t *msg, size_t len, uint64_t *out) {
    static PyObject *copy, *update, *digest;
    if (copy == NULL && ((copy = PyUnicode_InternFromString("copy")) == NULL ||
                         (update = PyUnicode_InternFromString("update")) == NULL ||
                         (digest = PyUnicode_InternFromString("digest")) == NULL))
        return -1;
    PyObject *h = PyObject_CallMethodNoArgs(keyed, copy);
    if (h == NULL) return -1;
    PyObject *data = PyBytes_FromStringAndSize((const char *)msg, (Py_ssize_t)len);
    PyObject *done = data == NULL ? NULL : PyObject_CallMethodOneArg(h, update, data);
    Py_XDECREF(data);
    PyObject *bytes = done == NULL ? NULL : PyObject_CallMethodNoArgs(h, digest);
    Py_XDECREF(done);
    Py_DECREF(h);
    if (bytes == NULL) return -1;
    if (!PyBytes_Check(bytes) || PyBytes_GET_SIZE(bytes) != 8) {
        Py_DECREF(bytes);
        PyErr_SetString(PyExc_ValueError, "digests: keyed must give 8-byte digests");
        return -1;
    }
    uint64_t v = 0;
    const uint8_t *d = (const uint8_t *)PyBytes_AS_STRING(bytes);
    for (int j = 0; j < 8; j++) v = (v << 8) | d[j];
    *out = v;
    Py_DECREF(bytes);
    return 0;
}

static PyObject *digests(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *objs[7];
    if (!PyArg_UnpackTuple(args, "digests", 7, 7, &objs[0], &objs[1], &objs[2], &objs[3], &objs[4],
                           &objs[5], &objs[6]))
        return NULL;
    static const Py_ssize_t sizes[7] = {1, 8, 8, 8, 1, 1, 8};
    static const char *names[7] = {"names", "offsets", "owners", "targets", "codes", "keyed", "out"};
    Py_buffer b[7];
    int got = 0;
    PyObject *result = NULL, *keyed = objs[5];
    for (; got < 7; got++) {
        if (got == 5) { /* the keyed state, not a buffer */
            memset(&b[got], 0, sizeof b[got]);
            continue;
        }
        if (get(objs[got], &b[got], sizes[got], got == 6, names[got]) < 0) goto done;
    }

    const uint8_t *text = b[0].buf;
    const int64_t *offsets = b[1].buf, *owners = b[2].buf, *targets = b[3].buf;
    const uint8_t *codes = b[4].buf;
    uint64_t *out = b[6].buf;
    Py_ssize_t persons = b[1].len / 8 - 1, m = b[2].len / 8;
    if (persons < 0 || b[3].len / 8 != m || b[4].len != m || b[6].len / 8 != m) {
        PyErr_SetString(PyExc_ValueError, "digests: arrays of mismatched lengths");
        goto done;
    }
    if (!persons_valid("digests", b[0].len, offsets, persons, owners, targets, m)) goto done;

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
        if (digest_into(keyed, msg, n, &out[i]) < 0) goto done;
    }
    result = Py_None;
    Py_INCREF(result);
done:
    for (int i = 0; i < got; i++)
        if (i != 5) PyBuffer_Release(&b[i]);
    return result;
}

/* "b_" and the 16 hex digits of a digest. */
static PyObject *id_of(uint64_t digest) {
    static const char hex[] = "0123456789abcdef";
    PyObject *s = PyUnicode_New(18, 127);
    if (s == NULL) return NULL;
    Py_UCS1 *c = PyUnicode_1BYTE_DATA(s);
    c[0] = 'b';
    c[1] = '_';
    for (int j = 0; j < 16; j++) c[2 + j] = (Py_UCS1)hex[(digest >> (60 - 4 * j)) & 15];
    return s;
}

/* ids(digests) -> list of str: "b_" and the 16 hex digits of each uint64 digest. */
static PyObject *ids(PyObject *Py_UNUSED(self), PyObject *arg) {
    Py_buffer view;
    if (get(arg, &view, 8, 0, "digests") < 0) return NULL;
    const uint64_t *d = view.buf;
    Py_ssize_t m = view.len / 8;
    PyObject *list = PyList_New(m);
    for (Py_ssize_t i = 0; list != NULL && i < m; i++) {
        PyObject *s = id_of(d[i]);
        if (s == NULL) {
            Py_CLEAR(list);
            break;
        }
        PyList_SET_ITEM(list, i, s);
    }
    PyBuffer_Release(&view);
    return list;
}

/* A new str of the ASCII bytes p[0:n]; ValueError for any other byte. */
static PyObject *ascii_str(const uint8_t *p, int64_t n) {
    PyObject *s = PyUnicode_New((Py_ssize_t)n, 127);
    if (s == NULL) return NULL;
    Py_UCS1 *c = PyUnicode_1BYTE_DATA(s);
    uint8_t high = 0;
    for (int64_t j = 0; j < n; j++) high |= c[j] = p[j];
    if (high & 0x80) {
        Py_DECREF(s);
        PyErr_SetString(PyExc_ValueError, "rows: person ids must be ASCII");
        return NULL;
    }
    return s;
}

/* rows(digests, owners, targets, codes, names, offsets, kinds, now, group) -> list of tuples.
 * Each row's owner and target are new strings copied from ``names`` (bytes, as
 * in ``digests``): the copies are made, bound and freed while in the CPU's
 * cache, where a million shared strings would be read from all over memory. */
static PyObject *rows(PyObject *Py_UNUSED(self), PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 9) {
        PyErr_SetString(PyExc_TypeError,
                        "rows(digests, owners, targets, codes, names, offsets, kinds, now, group)");
        return NULL;
    }
    PyObject *kinds = args[6], *now = args[7];
    Py_ssize_t group = PyLong_AsSsize_t(args[8]);
    if (group == -1 && PyErr_Occurred()) return NULL;
    if (group < 1 || !PyTuple_Check(kinds)) {
        PyErr_SetString(PyExc_TypeError, "rows: kinds a tuple, group at least 1");
        return NULL;
    }
    static const Py_ssize_t sizes[6] = {8, 8, 8, 1, 1, 8};
    static const char *what[6] = {"digests", "owners", "targets", "codes", "names", "offsets"};
    Py_buffer b[6];
    int got = 0;
    PyObject *list = NULL;
    for (; got < 6; got++)
        if (get(args[got], &b[got], sizes[got], 0, what[got]) < 0) goto done;
    const uint64_t *digests = b[0].buf;
    const int64_t *owners = b[1].buf, *targets = b[2].buf, *offsets = b[5].buf;
    const uint8_t *codes = b[3].buf, *text = b[4].buf;
    Py_ssize_t m = b[0].len / 8, persons = b[5].len / 8 - 1, kinds_n = PyTuple_GET_SIZE(kinds);
    if (persons < 0 || b[1].len / 8 != m || b[2].len / 8 != m || b[3].len != m) {
        PyErr_SetString(PyExc_ValueError, "rows: arrays of mismatched lengths");
        goto done;
    }
    if (!persons_valid("rows", b[4].len, offsets, persons, owners, targets, m)) goto done;
    for (Py_ssize_t i = 0; i < m; i++) {
        if (codes[i] >= kinds_n) {
            PyErr_SetString(PyExc_ValueError, "rows: codes must index the kinds");
            goto done;
        }
    }
    /* Rows of strings and ``now`` cannot be part of a cycle: untracked, the
     * collector does not walk them (and every string in them) while they wait. */
    const int untrack = !PyObject_IS_GC(now);
    list = PyList_New((m + group - 1) / group);
    for (Py_ssize_t t = 0, i = 0; list != NULL && i < m; t++) {
        Py_ssize_t count = m - i < group ? m - i : group;
        PyObject *row = PyTuple_New(5 * count);
        if (row == NULL) {
            Py_CLEAR(list);
            break;
        }
        PyList_SET_ITEM(list, t, row);
        for (Py_ssize_t k = 0; k < count; k++, i++) {
            /* Targets are anywhere: their offsets asked for 16 rows ahead, their
             * text 8 ahead, so the misses overlap instead of waiting in turn. */
            if (i + 16 < m) __builtin_prefetch(&offsets[targets[i + 16]]);
            if (i + 8 < m) __builtin_prefetch(text + offsets[targets[i + 8]]);
            PyObject *values[5] = {
                id_of(digests[i]),
                ascii_str(text + offsets[owners[i]], offsets[owners[i] + 1] - offsets[owners[i]]),
                PyTuple_GET_ITEM(kinds, codes[i]),
                ascii_str(text + offsets[targets[i]], offsets[targets[i] + 1] - offsets[targets[i]]),
                now,
            };
            Py_INCREF(values[2]);
            Py_INCREF(values[4]);
            for (int j = 0; j < 5; j++) PyTuple_SET_ITEM(row, 5 * k + j, values[j]);
            if (values[0] == NULL || values[1] == NULL || values[3] == NULL) {
                Py_CLEAR(list);
                break;
            }
        }
        if (list != NULL && untrack) PyObject_GC_UnTrack(row);
    }
done:
    for (int i = 0; i < got; i++) PyBuffer_Release(&b[i]);
    return list;
}

/* one(keyed, owner, target, code) -> str: the id of the plain boundary owner -> target. */
static PyObject *one(PyObject *Py_UNUSED(self), PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 4) {
        PyErr_SetString(PyExc_TypeError, "one(keyed, owner, target, code)");
        return NULL;
    }
    Py_ssize_t lo, lt;
    const char *owner = PyUnicode_AsUTF8AndSize(args[1], &lo);
    const char *target = owner == NULL ? NULL : PyUnicode_AsUTF8AndSize(args[2], &lt);
    long code = target == NULL ? -1 : PyLong_AsLong(args[3]);
    if (target == NULL || (code == -1 && PyErr_Occurred())) return NULL;
    char digits[24];
    int ld = snprintf(digits, sizeof digits, "%ld", code);
    size_t n = (size_t)lo + 1 + (size_t)lt + 1 + (size_t)ld;
    uint8_t small[256], *msg = n <= sizeof small ? small : PyMem_Malloc(n);
    if (msg == NULL) return PyErr_NoMemory();
    memcpy(msg, owner, (size_t)lo);
    msg[lo] = 0;
    memcpy(msg + lo + 1, target, (size_t)lt);
    msg[lo + 1 + lt] = 0;
    memcpy(msg + lo + 2 + lt, digits, (size_t)ld);
    uint64_t digest;
    int failed = digest_into(args[0], msg, n, &digest);
    if (msg != small) PyMem_Free(msg);
    return failed ? NULL : id_of(digest);
}

static PyMethodDef methods[] = {
    {"one", (PyCFunction)(void (*)(void))one, METH_FASTCALL, "The id of one plain boundary."},
    {"digests", digests, METH_VARARGS, "Keyed BLAKE2b-64 of owner\\0target\\0code, in bulk."},
    {"ids", ids, METH_O, "The plain ids of uint64 digests."},
    {"rows", (PyCFunction)(void (*)(void))rows, METH_FASTCALL, "Plain boundaries' rows, grouped."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, .m_name = "_plainids", .m_size = -1, .m_methods = methods,
};

PyMODINIT_FUNC PyInit__plainids(void) { return PyModule_Create(&module); }
