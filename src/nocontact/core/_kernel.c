/* The batch reads' inner loops: feeds (one person against many) and pairs.
 *
 * An EdgesView holds the buffers of one Edges' arrays (taken once: the arrays
 * never change) and answers, for a Python list or an int64 buffer of person
 * numbers, the outcome of each pair from the two edge codes of the pair and a
 * table computed by the scalar path. It knows nothing of the overlay, lists or
 * emergencies: it reports the entries flagged for the scalar path, and the
 * caller (core/batch.py) answers those one by one.
 *
 * A method returns None, having read nothing it could not undo, when an input
 * is not what it handles (an item that is not an int, a negative number in a
 * pair, lengths that differ): the caller then takes the pure path, which gives
 * the same answer or raises the same error as without this module.
 *
 * Every read is bounds-checked: offsets are validated once when the view is
 * made, numbers against the row count, codes against the table. The GIL is
 * held throughout (a call is microseconds to milliseconds).
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

enum { FWD_OFF, FWD_TGT, FWD_CODE, REV_OFF, REV_SRC, REV_CODE, SIG, ARRAYS };

static const char *const ARRAY_NAMES[ARRAYS] = {
    "fwd_off", "fwd_tgt", "fwd_code", "rev_off", "rev_src", "rev_code", "sig",
};
static const Py_ssize_t ITEMSIZE[ARRAYS] = {8, 4, 1, 8, 4, 1, 8};
static const int SIGNED[ARRAYS] = {1, 1, 0, 1, 1, 0, 0};

typedef struct {
    PyObject_HEAD
    Py_buffer bufs[ARRAYS];
    int held; /* buffers acquired so far: released on dealloc */
    Py_ssize_t n;
    int absent; /* the "no edge" code: tables are (absent + 1) squared */
    const int64_t *fwd_off, *rev_off;
    const int32_t *fwd_tgt, *rev_src;
    const uint8_t *fwd_code, *rev_code;
    const uint64_t *sig;
} EdgesView;

/* Numbers read from a list, a tuple or a C-contiguous int64 buffer. */
typedef struct {
    PyObject *seq; /* a new reference to the list or tuple, or NULL */
    PyObject **items;
    Py_buffer buf;
    int has_buf;
    const int64_t *values;
    Py_ssize_t len;
} Numbers;

enum { READ_OK = 0, READ_BAIL = 1 };

/* Numbers read ahead of their answers (see EdgesView_view). */
#define CHUNK 256

/* A feed searches its one person's own rows, not each candidate's, when both are
 * at most this long (16 KiB each: they stay in the cache across candidates). */
#define OWN_ROWS 4096

static int integer_format(const Py_buffer *b, Py_ssize_t itemsize, int is_signed)
{
    const char *f = b->format ? b->format : "B";
    size_t len = strlen(f);
    if (b->ndim != 1 || b->itemsize != itemsize || len == 0 || len > 2)
        return 0;
    if (len == 2 && f[0] != '@' && f[0] != '=') /* native byte order only */
        return 0;
    return strchr(is_signed ? "bhilq" : "BHILQ?", f[len - 1]) != NULL;
}

static int numbers_open(PyObject *obj, Numbers *nm)
{
    memset(nm, 0, sizeof(*nm));
    if (PyList_Check(obj) || PyTuple_Check(obj)) {
        nm->seq = PySequence_Fast(obj, "numbers");
        if (nm->seq == NULL)
            return -1;
        nm->items = PySequence_Fast_ITEMS(nm->seq);
        nm->len = PySequence_Fast_GET_SIZE(nm->seq);
        return 0;
    }
    if (PyObject_GetBuffer(obj, &nm->buf, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0)
        return -1;
    nm->has_buf = 1;
    if (!integer_format(&nm->buf, 8, 1)) {
        PyErr_SetString(PyExc_TypeError, "numbers must be a list, a tuple or int64 values");
        return -1;
    }
    nm->values = (const int64_t *)nm->buf.buf;
    nm->len = nm->buf.shape ? nm->buf.shape[0] : nm->buf.len / 8;
    return 0;
}

static void numbers_close(Numbers *nm)
{
    Py_CLEAR(nm->seq);
    if (nm->has_buf) {
        PyBuffer_Release(&nm->buf);
        nm->has_buf = 0;
    }
}

/* READ_OK with *out set; READ_BAIL for an item the pure path must judge (not an
 * int, or negative: the pure path refuses those). */
static inline int number_at(const Numbers *nm, Py_ssize_t i, int64_t *out)
{
    if (nm->has_buf) {
        *out = nm->values[i];
        return *out < 0 ? READ_BAIL : READ_OK;
    }
    PyObject *item = nm->items[i];
    if (!PyLong_Check(item))
        return READ_BAIL;
#if PY_VERSION_HEX >= 0x030C0000
    if (PyUnstable_Long_IsCompact((PyLongObject *)item)) {
        *out = (int64_t)PyUnstable_Long_CompactValue((PyLongObject *)item);
        return READ_OK;
    }
#else
    /* One digit or none (below 2**30): the value without a call. */
    Py_ssize_t digits = Py_SIZE(item);
    if (digits == 0 || digits == 1) {
        *out = digits ? (int64_t)((PyLongObject *)item)->ob_digit[0] : 0;
        return READ_OK;
    }
#endif
    int overflow = 0;
    long long value = PyLong_AsLongLongAndOverflow(item, &overflow);
    if (overflow || (value == -1 && PyErr_Occurred())) {
        PyErr_Clear();
        return READ_BAIL;
    }
    *out = (int64_t)value;
    return value < 0 ? READ_BAIL : READ_OK;
}

/* A 1-byte-per-item buffer (flags, an answer), or NULL for None. */
static int bytes_open(PyObject *obj, Py_buffer *buf, int writable, const char *what)
{
    if (obj == Py_None)
        return 0;
    int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(obj, buf, flags) < 0)
        return -1;
    if (!integer_format(buf, 1, 0) && !integer_format(buf, 1, 1)) {
        PyBuffer_Release(buf);
        PyErr_Format(PyExc_TypeError, "%s must hold one byte per item", what);
        return -1;
    }
    return 1;
}

/* ---- edges ---------------------------------------------------------------- */

/* Sorted int64 keys (owner << 32 | target) of removed edges. */
typedef struct {
    const int64_t *keys;
    Py_ssize_t len;
} Dead;

static inline int contains(const Dead *dead, int64_t key)
{
    Py_ssize_t lo = 0, hi = dead->len;
    while (lo < hi) {
        Py_ssize_t mid = lo + ((hi - lo) >> 1);
        if (dead->keys[mid] < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < dead->len && dead->keys[lo] == key;
}

static inline int is_dead(const Dead *dead, int64_t owner, int64_t target)
{
    return contains(dead, (owner << 32) | target);
}

/* The first position in the sorted vals[lo:hi] whose value is not below want.
 * Halves long rows without a branch that depends on the data (the step taken is
 * computed, so a search costs no mispredictions), then counts the last 16 or
 * fewer: the answer always lies in [base, base + len]. */
static inline int64_t lower_bound(const int32_t *vals, int64_t lo, int64_t hi, int64_t want)
{
    const int32_t *base = vals + lo;
    int64_t len = hi - lo;
    while (len > 16) {
        int64_t half = len >> 1;
        base += (base[half] < want) * half;
        len -= half;
    }
    int64_t below = 0;
    for (int64_t i = 0; i < len; i++)
        below += base[i] < want;
    return (int64_t)(base - vals) + below;
}

/* The code found for want in the sorted row vals[lo:hi] (codes alongside), the
 * edge being owner's toward target; absent if none or removed; -1 with an
 * exception for a code past the table. */
static inline int code_in(const EdgesView *v, const Dead *dead, const int32_t *vals,
                          const uint8_t *codes, int64_t lo, int64_t hi, int64_t want,
                          int64_t owner, int64_t target)
{
    int64_t at = lower_bound(vals, lo, hi, want);
    if (at == hi || vals[at] != want)
        return v->absent;
    int code = codes[at];
    if (code >= v->absent) {
        PyErr_Format(PyExc_ValueError, "edge code %d is past the table", code);
        return -1;
    }
    if (dead->len && is_dead(dead, owner, target))
        return v->absent;
    return code;
}

/* The code of owner's live edge toward target (both in [0, n)), as code_in,
 * searching whichever is shorter: owner's forward row or target's reverse row. */
static inline int code_of(const EdgesView *v, const Dead *dead, int64_t owner, int64_t target)
{
    int64_t flo = v->fwd_off[owner], fhi = v->fwd_off[owner + 1];
    int64_t rlo = v->rev_off[target], rhi = v->rev_off[target + 1];
    if (fhi - flo <= rhi - rlo)
        return code_in(v, dead, v->fwd_tgt, v->fwd_code, flo, fhi, target, owner, target);
    return code_in(v, dead, v->rev_src, v->rev_code, rlo, rhi, owner, owner, target);
}

/* Ask for the start of the row code_of(owner, target) will search (its offsets
 * asked for earlier), so that the searches of a chunk wait together. */
static inline void prefetch_code(const EdgesView *v, int64_t owner, int64_t target)
{
    int64_t flo = v->fwd_off[owner], fhi = v->fwd_off[owner + 1];
    int64_t rlo = v->rev_off[target], rhi = v->rev_off[target + 1];
    if (fhi - flo <= rhi - rlo)
        __builtin_prefetch(&v->fwd_tgt[flo]);
    else
        __builtin_prefetch(&v->rev_src[rlo]);
}

/* Whether a and b may share an edge: both signature bits set. */
static inline int maybe(const EdgesView *v, int64_t a, int64_t b)
{
    return (int)((v->sig[a] >> (b & 63)) & (v->sig[b] >> (a & 63)) & 1);
}

static int dead_open(PyObject *obj, Dead *dead)
{
    dead->keys = NULL;
    dead->len = 0;
    if (obj == Py_None)
        return 0;
    if (!PyBytes_Check(obj) || PyBytes_GET_SIZE(obj) % 8) {
        PyErr_SetString(PyExc_TypeError, "dead must be bytes of sorted int64 keys, or None");
        return -1;
    }
    dead->keys = (const int64_t *)PyBytes_AS_STRING(obj);
    dead->len = PyBytes_GET_SIZE(obj) / 8;
    return 0;
}

static const uint8_t *table_open(const EdgesView *v, PyObject *obj)
{
    Py_ssize_t side = (Py_ssize_t)v->absent + 1;
    if (!PyBytes_Check(obj) || PyBytes_GET_SIZE(obj) != side * side) {
        PyErr_Format(PyExc_TypeError, "table must be %zd bytes", side * side);
        return NULL;
    }
    return (const uint8_t *)PyBytes_AS_STRING(obj);
}

/* Append index i to *slow (made on first use). */
static int note_slow(PyObject **slow, Py_ssize_t i)
{
    if (*slow == NULL && (*slow = PyList_New(0)) == NULL)
        return -1;
    PyObject *at = PyLong_FromSsize_t(i);
    if (at == NULL)
        return -1;
    int failed = PyList_Append(*slow, at);
    Py_DECREF(at);
    return failed;
}

static inline int flagged(const Py_buffer *flags, int64_t number)
{
    return flags->buf != NULL && number >= 0 && number < flags->len &&
           ((const uint8_t *)flags->buf)[number];
}

/* The answer: a list (out is None) or the caller's writable byte buffer. */
typedef struct {
    PyObject *list;
    Py_buffer buf;
    int has_buf;
    uint8_t *bytes;
} Answer;

static int answer_open(PyObject *out, Py_ssize_t len, Answer *ans)
{
    memset(ans, 0, sizeof(*ans));
    if (out == Py_None) {
        ans->list = PyList_New(len);
        return ans->list ? 0 : -1; /* unset items stay NULL: freeing it early is safe */
    }
    if (bytes_open(out, &ans->buf, 1, "out") < 0)
        return -1;
    if (ans->buf.len != len) {
        PyBuffer_Release(&ans->buf);
        PyErr_SetString(PyExc_ValueError, "out must hold one item per number");
        return -1;
    }
    ans->has_buf = 1;
    ans->bytes = (uint8_t *)ans->buf.buf;
    return 0;
}

/* Release the answer; on success, a new reference to what the caller gets. */
static PyObject *answer_close(Answer *ans, PyObject *out, int ok)
{
    if (ans->has_buf) {
        PyBuffer_Release(&ans->buf);
        ans->has_buf = 0;
        ans->bytes = NULL;
        if (ok)
            return Py_NewRef(out);
        return NULL;
    }
    if (ok)
        return ans->list;
    Py_CLEAR(ans->list);
    return NULL;
}

/* (answer, slow indexes or None), stealing both references. */
static PyObject *result(PyObject *answer, PyObject *slow)
{
    if (answer == NULL) {
        Py_XDECREF(slow);
        return NULL;
    }
    PyObject *pair = PyTuple_New(2);
    if (pair == NULL) {
        Py_DECREF(answer);
        Py_XDECREF(slow);
        return NULL;
    }
    PyTuple_SET_ITEM(pair, 0, answer);
    PyTuple_SET_ITEM(pair, 1, slow ? slow : Py_NewRef(Py_None));
    return pair;
}

PyDoc_STRVAR(view_doc,
"view(one, many, viewer_acts, table, dead, flags, out) -> (answer, slow) | None\n\n"
"For each of many: table[own * side + other] of the pair's codes, where own is\n"
"one's edge toward it when viewer_acts, else its edge toward one. many: a list,\n"
"tuple or int64 buffer; table: bytes; dead: sorted int64 keys as bytes, or None;\n"
"flags: one byte per number (set: the scalar path decides), or None; out: a\n"
"writable byte buffer for the answer, or None for a list of bools. slow lists\n"
"the flagged indexes (None for none). None: an item the pure path must judge.");

static PyObject *EdgesView_view(EdgesView *v, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 7) {
        PyErr_SetString(PyExc_TypeError, "view takes 7 arguments");
        return NULL;
    }
    long long one = PyLong_AsLongLong(args[0]);
    if (one == -1 && PyErr_Occurred())
        return NULL;
    int viewer_acts = PyObject_IsTrue(args[2]);
    if (viewer_acts < 0)
        return NULL;
    const uint8_t *table = table_open(v, args[3]);
    if (table == NULL)
        return NULL;
    Dead dead;
    if (dead_open(args[4], &dead) < 0)
        return NULL;
    if (one < 0)
        Py_RETURN_NONE;
    Numbers many;
    if (numbers_open(args[1], &many) < 0) {
        numbers_close(&many);
        return NULL;
    }
    Py_buffer flags = {0};
    if (bytes_open(args[5], &flags, 0, "flags") < 0) {
        numbers_close(&many);
        return NULL;
    }
    Answer ans;
    if (answer_open(args[6], many.len, &ans) < 0) {
        if (flags.buf)
            PyBuffer_Release(&flags);
        numbers_close(&many);
        return NULL;
    }
    const Py_ssize_t side = (Py_ssize_t)v->absent + 1;
    const int nothing = table[v->absent * side + v->absent];
    const int inside = one < v->n;
    const uint64_t mine = inside ? v->sig[one] : 0;
    /* one's own rows: searched for every candidate, they stay in the cache, where
     * a candidate's rows are somewhere new each time. Rows that short cost less to
     * search than a candidate's signature word costs to read: then that is skipped. */
    const int64_t flo = inside ? v->fwd_off[one] : 0, fhi = inside ? v->fwd_off[one + 1] : 0;
    const int64_t rlo = inside ? v->rev_off[one] : 0, rhi = inside ? v->rev_off[one + 1] : 0;
    const int own_fwd = fhi - flo <= OWN_ROWS, own_rev = rhi - rlo <= OWN_ROWS;
    const int own_rows = own_fwd && own_rev;
    const int short_rows = fhi - flo <= 16 && rhi - rlo <= 16;
    PyObject *slow = NULL;
    int ok = 1, bail = 0;
    /* A chunk at a time, in stages that each ask for the memory the next one
     * reads (signature words, then row offsets, then rows), so the reads of a
     * chunk overlap instead of waiting one by one. */
    int64_t chunk[CHUNK];
    Py_ssize_t near[CHUNK];
    for (Py_ssize_t start = 0; start < many.len && ok && !bail; start += CHUNK) {
        Py_ssize_t stop = many.len - start < CHUNK ? many.len : start + CHUNK;
        Py_ssize_t count = stop - start, nears = 0;
        if (many.items)
            for (Py_ssize_t k = 0; k < count; k++)
                __builtin_prefetch(many.items[start + k]);
        for (Py_ssize_t k = 0; k < count; k++) {
            int64_t c;
            if (number_at(&many, start + k, &c) != READ_OK) {
                bail = 1;
                break;
            }
            chunk[k] = c;
            if (!short_rows && ((mine >> (c & 63)) & 1) && c >= 0 && c < v->n)
                __builtin_prefetch(&v->sig[c]);
        }
        if (bail)
            break;
        for (Py_ssize_t k = 0; k < count; k++) {
            int64_t c = chunk[k];
            if (((mine >> (c & 63)) & 1) && c >= 0 && c < v->n &&
                (short_rows || ((v->sig[c] >> (one & 63)) & 1))) {
                near[nears++] = k;
                if (!own_rows) {
                    __builtin_prefetch(&v->fwd_off[c]);
                    __builtin_prefetch(&v->rev_off[c]);
                }
            }
            else if (ans.has_buf)
                ans.bytes[start + k] = (uint8_t)(nothing != 0);
            else
                PyList_SET_ITEM(ans.list, start + k, Py_NewRef(nothing ? Py_True : Py_False));
            if (flagged(&flags, c) && note_slow(&slow, start + k) < 0) {
                ok = 0;
                break;
            }
        }
        if (!ok)
            break;
        for (Py_ssize_t j = 0; j < nears && !own_rows; j++) {
            int64_t c = chunk[near[j]];
            int64_t f = v->fwd_off[c], r = v->rev_off[c];
            __builtin_prefetch(&v->fwd_tgt[f]);
            __builtin_prefetch(&v->rev_src[r]);
            __builtin_prefetch(&v->fwd_code[f]);
            __builtin_prefetch(&v->rev_code[r]);
        }
        for (Py_ssize_t j = 0; j < nears; j++) {
            Py_ssize_t k = near[j];
            int64_t c = chunk[k];
            int from_one, toward_one;
            from_one = own_fwd ? code_in(v, &dead, v->fwd_tgt, v->fwd_code, flo, fhi, c, one, c)
                               : code_of(v, &dead, one, c);
            toward_one = from_one < 0 ? -1
                         : own_rev ? code_in(v, &dead, v->rev_src, v->rev_code, rlo, rhi, c, c, one)
                                   : code_of(v, &dead, c, one);
            if (toward_one < 0) {
                ok = 0;
                break;
            }
            int shown = viewer_acts ? table[from_one * side + toward_one]
                                    : table[toward_one * side + from_one];
            if (ans.has_buf)
                ans.bytes[start + k] = (uint8_t)(shown != 0);
            else
                PyList_SET_ITEM(ans.list, start + k, Py_NewRef(shown ? Py_True : Py_False));
        }
    }
    if (flags.buf)
        PyBuffer_Release(&flags);
    numbers_close(&many);
    if (bail) {
        answer_close(&ans, args[6], 0);
        Py_XDECREF(slow);
        Py_RETURN_NONE;
    }
    return result(answer_close(&ans, args[6], ok), slow);
}

PyDoc_STRVAR(pairs_doc,
"pairs(a, b, table, dead, flags, more_flags, paused, out) -> (answer, slow) | None\n\n"
"For each pair: table[own * side + other], own being a[i]'s edge toward b[i] and\n"
"other b[i]'s toward a[i]. a, b: lists, tuples or int64 buffers of one length;\n"
"flags, more_flags: one byte per number, or None; paused: sorted int64 numbers\n"
"as bytes, or None. A pair is slow when either number is flagged or paused.\n"
"out: a writable byte buffer, or None for a list of ints. None: an item the\n"
"pure path must judge (not an int, negative), or lengths that differ.");

static PyObject *EdgesView_pairs(EdgesView *v, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 8) {
        PyErr_SetString(PyExc_TypeError, "pairs takes 8 arguments");
        return NULL;
    }
    const uint8_t *table = table_open(v, args[2]);
    if (table == NULL)
        return NULL;
    Dead dead, paused;
    if (dead_open(args[3], &dead) < 0 || dead_open(args[6], &paused) < 0)
        return NULL;
    Numbers a, b;
    memset(&b, 0, sizeof(b));
    if (numbers_open(args[0], &a) < 0 || numbers_open(args[1], &b) < 0) {
        numbers_close(&a);
        numbers_close(&b);
        return NULL;
    }
    if (a.len != b.len) {
        numbers_close(&a);
        numbers_close(&b);
        Py_RETURN_NONE;
    }
    Py_buffer flags = {0}, more = {0};
    Answer ans;
    if (bytes_open(args[4], &flags, 0, "flags") < 0 ||
        bytes_open(args[5], &more, 0, "more_flags") < 0 ||
        answer_open(args[7], a.len, &ans) < 0) {
        if (flags.buf)
            PyBuffer_Release(&flags);
        if (more.buf)
            PyBuffer_Release(&more);
        numbers_close(&a);
        numbers_close(&b);
        return NULL;
    }
    const Py_ssize_t side = (Py_ssize_t)v->absent + 1;
    const uint8_t nothing = table[v->absent * side + v->absent];
    const int check_slow = flags.buf || more.buf || paused.len;
    const Py_ssize_t n = v->n;
    PyObject *slow = NULL;
    int ok = 1, bail = 0;
    /* In stages per chunk, as in EdgesView_view: numbers and words first,
     * then the few pairs whose words allow an edge. */
    int64_t xs[CHUNK], ys[CHUNK];
    Py_ssize_t near[CHUNK];
    for (Py_ssize_t start = 0; start < a.len && ok && !bail; start += CHUNK) {
        Py_ssize_t stop = a.len - start < CHUNK ? a.len : start + CHUNK;
        Py_ssize_t count = stop - start, nears = 0;
        for (Py_ssize_t k = 0; k < count; k++) {
            int64_t x, y;
            if (number_at(&a, start + k, &x) != READ_OK ||
                number_at(&b, start + k, &y) != READ_OK || x < 0 || y < 0) {
                bail = 1;
                break;
            }
            xs[k] = x;
            ys[k] = y;
            if (x < n && y < n) {
                __builtin_prefetch(&v->sig[x]);
                __builtin_prefetch(&v->sig[y]);
            }
        }
        if (bail)
            break;
        for (Py_ssize_t k = 0; k < count; k++) {
            int64_t x = xs[k], y = ys[k];
            if (x < n && y < n && maybe(v, x, y)) {
                near[nears++] = k;
                __builtin_prefetch(&v->fwd_off[x]);
                __builtin_prefetch(&v->rev_off[x]);
                __builtin_prefetch(&v->fwd_off[y]);
                __builtin_prefetch(&v->rev_off[y]);
            }
            else if (ans.has_buf)
                ans.bytes[start + k] = nothing;
            else
                PyList_SET_ITEM(ans.list, start + k, PyLong_FromLong(nothing)); /* cached */
            if (check_slow &&
                (flagged(&flags, x) || flagged(&flags, y) || flagged(&more, x) ||
                 flagged(&more, y) || (paused.len && (contains(&paused, x) || contains(&paused, y)))) &&
                note_slow(&slow, start + k) < 0) {
                ok = 0;
                break;
            }
        }
        for (Py_ssize_t j = 0; j < nears && ok; j++) {
            int64_t x = xs[near[j]], y = ys[near[j]];
            prefetch_code(v, x, y);
            prefetch_code(v, y, x);
        }
        for (Py_ssize_t j = 0; j < nears && ok; j++) {
            Py_ssize_t k = near[j];
            int64_t x = xs[k], y = ys[k];
            int own = code_of(v, &dead, x, y);
            int other = own < 0 ? -1 : code_of(v, &dead, y, x);
            if (other < 0) {
                ok = 0;
                break;
            }
            uint8_t outcome = table[own * side + other];
            if (ans.has_buf)
                ans.bytes[start + k] = outcome;
            else
                PyList_SET_ITEM(ans.list, start + k, PyLong_FromLong(outcome)); /* cached */
        }
    }
    if (flags.buf)
        PyBuffer_Release(&flags);
    if (more.buf)
        PyBuffer_Release(&more);
    numbers_close(&a);
    numbers_close(&b);
    if (bail) {
        answer_close(&ans, args[7], 0);
        Py_XDECREF(slow);
        Py_RETURN_NONE;
    }
    return result(answer_close(&ans, args[7], ok), slow);
}

/* ---- the type ------------------------------------------------------------- */

static void EdgesView_dealloc(EdgesView *v)
{
    for (int i = 0; i < v->held; i++)
        PyBuffer_Release(&v->bufs[i]);
    Py_TYPE(v)->tp_free((PyObject *)v);
}

static int offsets_valid(const int64_t *off, Py_ssize_t n, Py_ssize_t total)
{
    if (off[0] != 0 || off[n] != total)
        return 0;
    for (Py_ssize_t i = 0; i < n; i++)
        if (off[i] > off[i + 1])
            return 0;
    return 1;
}

static PyObject *EdgesView_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"fwd_off", "fwd_tgt", "fwd_code", "rev_off", "rev_src",
                             "rev_code", "sig", "absent", NULL};
    PyObject *arrays[ARRAYS];
    int absent;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OOOOOOOi", kwlist, &arrays[0], &arrays[1],
                                     &arrays[2], &arrays[3], &arrays[4], &arrays[5], &arrays[6],
                                     &absent))
        return NULL;
    if (absent < 1 || absent > 255) {
        PyErr_SetString(PyExc_ValueError, "absent must be in 1..255");
        return NULL;
    }
    EdgesView *v = (EdgesView *)type->tp_alloc(type, 0);
    if (v == NULL)
        return NULL;
    for (int i = 0; i < ARRAYS; i++) {
        if (PyObject_GetBuffer(arrays[i], &v->bufs[i], PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0)
            goto fail;
        v->held++;
        if (!integer_format(&v->bufs[i], ITEMSIZE[i], SIGNED[i])) {
            PyErr_Format(PyExc_TypeError, "%s has the wrong type", ARRAY_NAMES[i]);
            goto fail;
        }
    }
    Py_ssize_t rows = v->bufs[FWD_OFF].len / 8, edges = v->bufs[FWD_TGT].len / 4;
    if (rows < 1 || v->bufs[REV_OFF].len / 8 != rows || v->bufs[SIG].len / 8 != rows - 1 ||
        v->bufs[FWD_CODE].len != edges || v->bufs[REV_SRC].len / 4 != edges ||
        v->bufs[REV_CODE].len != edges) {
        PyErr_SetString(PyExc_ValueError, "edge arrays of inconsistent lengths");
        goto fail;
    }
    v->n = rows - 1;
    v->absent = absent;
    v->fwd_off = v->bufs[FWD_OFF].buf;
    v->rev_off = v->bufs[REV_OFF].buf;
    v->fwd_tgt = v->bufs[FWD_TGT].buf;
    v->rev_src = v->bufs[REV_SRC].buf;
    v->fwd_code = v->bufs[FWD_CODE].buf;
    v->rev_code = v->bufs[REV_CODE].buf;
    v->sig = v->bufs[SIG].buf;
    if (!offsets_valid(v->fwd_off, v->n, edges) || !offsets_valid(v->rev_off, v->n, edges)) {
        PyErr_SetString(PyExc_ValueError, "edge offsets out of order or out of bounds");
        goto fail;
    }
    return (PyObject *)v;
fail:
    Py_DECREF(v);
    return NULL;
}

PyDoc_STRVAR(pair_doc,
"pair(a, b) -> int\n\n"
"One pair's two edge codes, for the single decision: -1 when the signatures\n"
"prove no edge either way (or a number is past the edges), else\n"
"own * (absent + 1) + other, where own is a's code toward b and other b's\n"
"toward a (absent: none). Removed edges are not looked at: the caller checks\n"
"its removals for a code found.");

static PyObject *EdgesView_pair(EdgesView *v, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "pair takes 2 arguments");
        return NULL;
    }
    long long a = PyLong_AsLongLong(args[0]);
    if (a == -1 && PyErr_Occurred())
        return NULL;
    long long b = PyLong_AsLongLong(args[1]);
    if (b == -1 && PyErr_Occurred())
        return NULL;
    if (a < 0 || b < 0) {
        PyErr_SetString(PyExc_ValueError, "person numbers are not negative");
        return NULL;
    }
    if (a >= v->n || b >= v->n || !maybe(v, a, b))
        return PyLong_FromLong(-1);
    /* The four offsets, then the two rows to search, each asked for at once: the
     * memory waits overlap instead of adding up (most of a search is waiting). */
    __builtin_prefetch(&v->fwd_off[a]);
    __builtin_prefetch(&v->rev_off[b]);
    __builtin_prefetch(&v->fwd_off[b]);
    __builtin_prefetch(&v->rev_off[a]);
    prefetch_code(v, a, b);
    prefetch_code(v, b, a);
    const Dead none = {NULL, 0};
    int own = code_of(v, &none, a, b);
    if (own < 0)
        return NULL;
    int other = code_of(v, &none, b, a);
    if (other < 0)
        return NULL;
    return PyLong_FromLong((long)own * (v->absent + 1) + other);
}

static PyMethodDef EdgesView_methods[] = {
    {"view", (PyCFunction)(void (*)(void))EdgesView_view, METH_FASTCALL, view_doc},
    {"pairs", (PyCFunction)(void (*)(void))EdgesView_pairs, METH_FASTCALL, pairs_doc},
    {"pair", (PyCFunction)(void (*)(void))EdgesView_pair, METH_FASTCALL, pair_doc},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject EdgesViewType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "nocontact.core._kernel.EdgesView",
    .tp_doc = PyDoc_STR("EdgesView(fwd_off, fwd_tgt, fwd_code, rev_off, rev_src, rev_code, "
                        "sig, absent): one Edges' arrays, held for the batch reads."),
    .tp_basicsize = sizeof(EdgesView),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = EdgesView_new,
    .tp_dealloc = (destructor)EdgesView_dealloc,
    .tp_methods = EdgesView_methods,
};

static struct PyModuleDef kernel_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "nocontact.core._kernel",
    .m_doc = PyDoc_STR("Compiled inner loops of the batch reads (see core/batch.py)."),
    .m_size = -1,
};

PyMODINIT_FUNC PyInit__kernel(void)
{
    if (PyType_Ready(&EdgesViewType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&kernel_module);
    if (m == NULL)
        return NULL;
    Py_INCREF(&EdgesViewType);
    if (PyModule_AddObject(m, "EdgesView", (PyObject *)&EdgesViewType) < 0) {
        Py_DECREF(&EdgesViewType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
