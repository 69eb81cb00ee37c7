/* Keys (person ids, address URIs) numbered 0..n-1, a few bytes a key.
 *
 * The keys live as one UTF-8 blob with an end offset each; an open-addressing
 * table of numbers finds a key's number. A Python dict of str to int spends
 * about a hundred bytes a key on objects; this spends the key's bytes, 4 for its
 * offset and 8 to 16 for its table slots.
 *
 * The table is keyed by Python's own string hash (randomised per process, so keys
 * chosen by API users cannot flood it), which a str caches: a lookup from a
 * Python str costs about what a dict lookup costs, and reads the str's UTF-8
 * buffer in place (ASCII strings are their own UTF-8).
 *
 * The pure-Python twin is ``nocontact.core.interning.PureInterner``.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

/* Slots hold number + 1 (0: empty) and offsets are 32-bit. */
#define MAX_KEYS ((Py_ssize_t)UINT32_MAX - 1)
#define MAX_BLOB ((Py_ssize_t)UINT32_MAX)
#define MIN_SLOTS 16

/* Whether _Py_HashBytes over a str's ASCII bytes equals hash(str): checked at import. */
static int ascii_hash_matches = 0;

static Py_hash_t
hash_bytes(const char *data, Py_ssize_t size)
{
#if PY_VERSION_HEX >= 0x030E0000
    return Py_HashBuffer(data, size);
#else
    return _Py_HashBytes(data, size);
#endif
}

static int
is_ascii(const char *data, Py_ssize_t size)
{
    for (Py_ssize_t i = 0; i < size; i++) {
        if ((unsigned char)data[i] & 0x80) {
            return 0;
        }
    }
    return 1;
}

/* hash(str) of the string whose UTF-8 is data[:size]; -1 with an error set if invalid. */
static Py_hash_t
hash_utf8(const char *data, Py_ssize_t size)
{
    if (ascii_hash_matches && is_ascii(data, size)) {
        return hash_bytes(data, size);
    }
    PyObject *text = PyUnicode_DecodeUTF8(data, size, "strict");
    if (text == NULL) {
        return -1;
    }
    Py_hash_t hash = PyObject_Hash(text);
    Py_DECREF(text);
    return hash;
}

typedef struct {
    PyObject_HEAD
    char *blob;          /* every key's UTF-8, back to back */
    Py_ssize_t blob_len;
    Py_ssize_t blob_cap;
    uint32_t *ends;      /* key i is blob[ends[i-1] (0 for i == 0) : ends[i]] */
    Py_ssize_t n;
    Py_ssize_t ends_cap;
    uint32_t *slots;     /* number + 1, or 0 for an empty slot */
    size_t mask;         /* slots - 1 (a power of two minus one), or 0 before the first */
} Interner;

static inline Py_ssize_t
key_start(const Interner *self, Py_ssize_t number)
{
    return number ? (Py_ssize_t)self->ends[number - 1] : 0;
}

/* The number of data[:size] (hash ``hash``), or -1; *empty is where it would go. */
static Py_ssize_t
find(const Interner *self, const char *data, Py_ssize_t size, Py_hash_t hash, size_t *empty)
{
    if (self->slots == NULL) {
        *empty = 0;
        return -1;
    }
    size_t i = (size_t)hash & self->mask;
    for (;;) {
        uint32_t slot = self->slots[i];
        if (slot == 0) {
            *empty = i;
            return -1;
        }
        Py_ssize_t number = (Py_ssize_t)slot - 1;
        Py_ssize_t start = key_start(self, number);
        if ((Py_ssize_t)self->ends[number] - start == size &&
            memcmp(self->blob + start, data, (size_t)size) == 0) {
            return number;
        }
        i = (i + 1) & self->mask;
    }
}

/* Rebuild the table for keys 0..n-1 with ``count`` slots (a power of two > 2 n). */
static int
rehash(Interner *self, size_t count)
{
    uint32_t *slots = PyMem_Calloc(count, sizeof(uint32_t));
    if (slots == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    size_t mask = count - 1;
    for (Py_ssize_t number = 0; number < self->n; number++) {
        Py_ssize_t start = key_start(self, number);
        Py_hash_t hash = hash_utf8(self->blob + start, (Py_ssize_t)self->ends[number] - start);
        if (hash == -1 && PyErr_Occurred()) {
            PyMem_Free(slots);
            return -1;
        }
        size_t i = (size_t)hash & mask;
        while (slots[i] != 0) {
            i = (i + 1) & mask;
        }
        slots[i] = (uint32_t)(number + 1);
    }
    PyMem_Free(self->slots);
    self->slots = slots;
    self->mask = mask;
    return 0;
}

static size_t
slots_for(Py_ssize_t keys)
{
    size_t count = MIN_SLOTS;
    while (count < 2 * (size_t)keys + 2) { /* at most half full */
        count <<= 1;
    }
    return count;
}

/* Room for ``more`` keys of ``bytes`` bytes in all; exact when ``exact`` (a bulk load). */
static int
reserve(Interner *self, Py_ssize_t more, Py_ssize_t bytes, int exact)
{
    if (more > MAX_KEYS - self->n || bytes > MAX_BLOB - self->blob_len) {
        PyErr_SetString(PyExc_OverflowError, "too many keys for the interner");
        return -1;
    }
    Py_ssize_t keys = self->n + more;
    if (keys > self->ends_cap) {
        Py_ssize_t cap = exact ? keys : (keys > 2 * self->ends_cap ? keys : 2 * self->ends_cap);
        if (cap < 16) {
            cap = 16;
        }
        uint32_t *ends = PyMem_Realloc(self->ends, (size_t)cap * sizeof(uint32_t));
        if (ends == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        self->ends = ends;
        self->ends_cap = cap;
    }
    Py_ssize_t size = self->blob_len + bytes;
    if (size > self->blob_cap || self->blob == NULL) { /* never NULL once a key is in */
        Py_ssize_t cap = exact ? size : (size > 2 * self->blob_cap ? size : 2 * self->blob_cap);
        if (cap < 64) {
            cap = 64;
        }
        if (cap > MAX_BLOB) {
            cap = MAX_BLOB;
        }
        char *blob = PyMem_Realloc(self->blob, (size_t)cap);
        if (blob == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        self->blob = blob;
        self->blob_cap = cap;
    }
    if (self->slots == NULL || 2 * (size_t)keys + 2 > self->mask + 1) {
        return rehash(self, slots_for(keys));
    }
    return 0;
}

/* Append a key known to be new at table slot ``at`` (room reserved); its number. */
static Py_ssize_t
append(Interner *self, const char *data, Py_ssize_t size, size_t at)
{
    memcpy(self->blob + self->blob_len, data, (size_t)size);
    self->blob_len += size;
    Py_ssize_t number = self->n++;
    self->ends[number] = (uint32_t)self->blob_len;
    self->slots[at] = (uint32_t)(number + 1);
    return number;
}

/* A str's UTF-8 (in place for ASCII) and hash; -1 with an error set on failure. */
static int
str_parts(PyObject *key, const char **data, Py_ssize_t *size, Py_hash_t *hash)
{
    *data = PyUnicode_AsUTF8AndSize(key, size);
    if (*data == NULL) {
        return -1;
    }
    /* An exact str caches its hash; a subclass may define its own, so hash its text. */
    *hash = PyUnicode_CheckExact(key) ? PyObject_Hash(key) : hash_utf8(*data, *size);
    return *hash == -1 && PyErr_Occurred() ? -1 : 0;
}

static PyObject *
Interner_intern(Interner *self, PyObject *key)
{
    if (!PyUnicode_Check(key)) {
        PyErr_Format(PyExc_TypeError, "a key is a str, not %.100s", Py_TYPE(key)->tp_name);
        return NULL;
    }
    const char *data;
    Py_ssize_t size;
    Py_hash_t hash;
    if (str_parts(key, &data, &size, &hash) < 0) {
        return NULL;
    }
    size_t at;
    Py_ssize_t number = find(self, data, size, hash, &at);
    if (number >= 0) {
        return PyLong_FromSsize_t(number);
    }
    size_t slots = self->slots == NULL ? 0 : self->mask + 1;
    if (reserve(self, 1, size, 0) < 0) {
        return NULL;
    }
    if (self->mask + 1 != slots) { /* the table grew: find the empty slot again */
        find(self, data, size, hash, &at);
    }
    return PyLong_FromSsize_t(append(self, data, size, at));
}

/* The number of ``key`` or -1 (-2 with an error set). Non-str keys are never found. */
static Py_ssize_t
lookup(Interner *self, PyObject *key)
{
    if (!PyUnicode_Check(key)) {
        return PyObject_Hash(key) == -1 && PyErr_Occurred() ? -2 : -1; /* as a dict does */
    }
    const char *data;
    Py_ssize_t size;
    Py_hash_t hash;
    if (str_parts(key, &data, &size, &hash) < 0) {
        if (!PyErr_ExceptionMatches(PyExc_UnicodeError)) {
            return -2;
        }
        PyErr_Clear(); /* a lone surrogate: no key has it */
        return -1;
    }
    size_t at;
    return find(self, data, size, hash, &at);
}

static PyObject *
Interner_get(Interner *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs < 1 || nargs > 2) {
        PyErr_SetString(PyExc_TypeError, "get(key, default=None)");
        return NULL;
    }
    Py_ssize_t number = lookup(self, args[0]);
    if (number == -2) {
        return NULL;
    }
    if (number >= 0) {
        return PyLong_FromSsize_t(number);
    }
    PyObject *fallback = nargs == 2 ? args[1] : Py_None;
    Py_INCREF(fallback);
    return fallback;
}

static int
Interner_contains(Interner *self, PyObject *key)
{
    Py_ssize_t number = lookup(self, key);
    return number == -2 ? -1 : number >= 0;
}

static PyObject *
Interner_key(Interner *self, PyObject *arg)
{
    Py_ssize_t number = PyLong_AsSsize_t(arg);
    if (number == -1 && PyErr_Occurred()) {
        return NULL;
    }
    if (number < 0 || number >= self->n) {
        PyErr_SetString(PyExc_IndexError, "no key has this number");
        return NULL;
    }
    Py_ssize_t start = key_start(self, number);
    return PyUnicode_DecodeUTF8(self->blob + start, (Py_ssize_t)self->ends[number] - start,
                                "strict");
}

static Py_ssize_t
Interner_len(Interner *self)
{
    return self->n;
}

/* Forget the keys numbered from ``n`` on, each hashed ``hashes[number - n]``.
 * Emptying their slots newest first leaves the table as it was before them:
 * each went to a slot that was empty when it came, and nothing came after. */
static void
truncate_to(Interner *self, Py_ssize_t n, const Py_hash_t *hashes)
{
    for (Py_ssize_t number = self->n - 1; number >= n; number--) {
        size_t i = (size_t)hashes[number - n] & self->mask;
        while (self->slots[i] != (uint32_t)(number + 1)) {
            i = (i + 1) & self->mask;
        }
        self->slots[i] = 0;
    }
    self->n = n;
    self->blob_len = key_start(self, n);
}

/* Every end, checked: rising, within the blob, the last at its length. */
static int
check_ends(const Py_buffer *ends, Py_ssize_t blob_len)
{
    if (ends->len % (Py_ssize_t)sizeof(int64_t) != 0) {
        PyErr_SetString(PyExc_ValueError, "ends must be 64-bit integers");
        return -1;
    }
    Py_ssize_t count = ends->len / (Py_ssize_t)sizeof(int64_t);
    int64_t previous = 0;
    for (Py_ssize_t k = 0; k < count; k++) {
        int64_t end;
        memcpy(&end, (const char *)ends->buf + k * (Py_ssize_t)sizeof(int64_t), sizeof(end));
        if (end < previous || end > (int64_t)blob_len) {
            PyErr_SetString(PyExc_ValueError, "ends must rise and stay within the blob");
            return -1;
        }
        previous = end;
    }
    if (previous != (int64_t)blob_len) {
        PyErr_SetString(PyExc_ValueError, "the last end must be the blob's length");
        return -1;
    }
    return 0;
}

/* Number the keys blob[ends[k-1]:ends[k]]: hashed first (nothing changes if one is not
 * UTF-8), then added; a repeated one takes back those added. */
static int
extend_keys(Interner *self, const char *data, Py_ssize_t blob_len, const Py_buffer *ends)
{
    Py_ssize_t count = ends->len / (Py_ssize_t)sizeof(int64_t);
    if (count == 0) {
        return 0;
    }
    Py_hash_t *hashes = PyMem_Malloc((size_t)count * sizeof(Py_hash_t));
    if (hashes == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    int status = -1;
    int64_t previous = 0;
    for (Py_ssize_t k = 0; k < count; k++) {
        int64_t end;
        memcpy(&end, (const char *)ends->buf + k * (Py_ssize_t)sizeof(int64_t), sizeof(end));
        hashes[k] = hash_utf8(data + previous, (Py_ssize_t)(end - previous));
        if (hashes[k] == -1 && PyErr_Occurred()) {
            goto done;
        }
        previous = end;
    }
    Py_ssize_t before = self->n;
    if (reserve(self, count, blob_len, before == 0) < 0) {
        goto done;
    }
    previous = 0;
    for (Py_ssize_t k = 0; k < count; k++) {
        int64_t end;
        memcpy(&end, (const char *)ends->buf + k * (Py_ssize_t)sizeof(int64_t), sizeof(end));
        Py_ssize_t size = (Py_ssize_t)(end - previous);
        size_t at;
        if (find(self, data + previous, size, hashes[k], &at) >= 0) {
            PyErr_SetString(PyExc_ValueError, "a key repeats");
            truncate_to(self, before, hashes);
            goto done;
        }
        append(self, data + previous, size, at);
        previous = end;
    }
    status = 0;
done:
    PyMem_Free(hashes);
    return status;
}

static PyObject *
Interner_extend(Interner *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "extend(blob, ends)");
        return NULL;
    }
    Py_buffer blob, ends;
    if (PyObject_GetBuffer(args[0], &blob, PyBUF_SIMPLE) < 0) {
        return NULL;
    }
    if (PyObject_GetBuffer(args[1], &ends, PyBUF_SIMPLE) < 0) {
        PyBuffer_Release(&blob);
        return NULL;
    }
    int status = check_ends(&ends, blob.len);
    if (status == 0) {
        status = extend_keys(self, blob.buf, blob.len, &ends);
    }
    PyBuffer_Release(&ends);
    PyBuffer_Release(&blob);
    if (status < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *
Interner_export(Interner *self, PyObject *Py_UNUSED(ignored))
{
    PyObject *blob = PyBytes_FromStringAndSize(self->blob_len ? self->blob : "", self->blob_len);
    if (blob == NULL) {
        return NULL;
    }
    PyObject *ends = PyBytes_FromStringAndSize(NULL, self->n * (Py_ssize_t)sizeof(int64_t));
    if (ends == NULL) {
        Py_DECREF(blob);
        return NULL;
    }
    char *out = PyBytes_AS_STRING(ends);
    for (Py_ssize_t number = 0; number < self->n; number++) {
        int64_t end = self->ends[number];
        memcpy(out + number * (Py_ssize_t)sizeof(int64_t), &end, sizeof(end));
    }
    PyObject *pair = PyTuple_Pack(2, blob, ends);
    Py_DECREF(blob);
    Py_DECREF(ends);
    return pair;
}

static PyObject *
Interner_nbytes(Interner *self, PyObject *Py_UNUSED(ignored))
{
    size_t slots = self->slots == NULL ? 0 : self->mask + 1;
    size_t total = sizeof(Interner) + (size_t)self->blob_cap +
                   (size_t)self->ends_cap * sizeof(uint32_t) + slots * sizeof(uint32_t);
    return PyLong_FromSize_t(total);
}

static PyObject *
Interner_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    if (PyTuple_GET_SIZE(args) != 0 || (kwargs != NULL && PyDict_GET_SIZE(kwargs) != 0)) {
        PyErr_SetString(PyExc_TypeError, "Interner() takes no arguments");
        return NULL;
    }
    Interner *self = (Interner *)type->tp_alloc(type, 0);
    return (PyObject *)self; /* every field starts zeroed: no keys, no table */
}

static void
Interner_dealloc(Interner *self)
{
    PyMem_Free(self->blob);
    PyMem_Free(self->ends);
    PyMem_Free(self->slots);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMethodDef Interner_methods[] = {
    {"intern", (PyCFunction)Interner_intern, METH_O,
     "intern(key) -> int: the key's number, numbering it next if new."},
    {"get", (PyCFunction)(void (*)(void))Interner_get, METH_FASTCALL,
     "get(key, default=None): the key's number, or default."},
    {"key", (PyCFunction)Interner_key, METH_O, "key(number) -> str: the key numbered so."},
    {"extend", (PyCFunction)(void (*)(void))Interner_extend, METH_FASTCALL,
     "extend(blob, ends): number new keys given as UTF-8 back to back and each one's end\n"
     "offset (native 64-bit integers). All or none: a repeated key raises ValueError."},
    {"export", (PyCFunction)Interner_export, METH_NOARGS,
     "export() -> (blob, ends): every key as ``extend`` takes them."},
    {"nbytes", (PyCFunction)Interner_nbytes, METH_NOARGS, "Bytes held, all in."},
    {NULL, NULL, 0, NULL},
};

static PySequenceMethods Interner_as_sequence = {
    .sq_length = (lenfunc)Interner_len,
    .sq_contains = (objobjproc)Interner_contains,
};

static PyTypeObject InternerType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "nocontact.core._interner.Interner",
    .tp_doc = "Keys (str) numbered 0..n-1 in insertion order, stored as one UTF-8 blob.",
    .tp_basicsize = sizeof(Interner),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = Interner_new,
    .tp_dealloc = (destructor)Interner_dealloc,
    .tp_methods = Interner_methods,
    .tp_as_sequence = &Interner_as_sequence,
};

/* A bulk load frees much (the checkpoint's bytes, SQLite's pages, transient
 * arrays); glibc keeps freed heap memory for reuse unless asked to give it back. */
static PyObject *
trim_heap(PyObject *Py_UNUSED(module), PyObject *Py_UNUSED(ignored))
{
#ifdef __GLIBC__
    return PyBool_FromLong(malloc_trim(0));
#else
    Py_RETURN_FALSE;
#endif
}

static PyMethodDef module_methods[] = {
    {"trim_heap", trim_heap, METH_NOARGS,
     "trim_heap() -> bool: return freed heap memory to the system (glibc); True if any."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "nocontact.core._interner",
    .m_doc = "Compiled interner: keys numbered densely, stored as one UTF-8 blob.",
    .m_size = -1,
    .m_methods = module_methods,
};

PyMODINIT_FUNC
PyInit__interner(void)
{
    PyObject *probe = PyUnicode_FromString("nocontact interner");
    if (probe == NULL) {
        return NULL;
    }
    Py_hash_t expected = PyObject_Hash(probe);
    Py_DECREF(probe);
    if (expected == -1 && PyErr_Occurred()) {
        return NULL;
    }
    ascii_hash_matches = expected == hash_bytes("nocontact interner", 18);
    if (PyType_Ready(&InternerType) < 0) {
        return NULL;
    }
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) {
        return NULL;
    }
    Py_INCREF(&InternerType);
    if (PyModule_AddObject(m, "Interner", (PyObject *)&InternerType) < 0) {
        Py_DECREF(&InternerType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
