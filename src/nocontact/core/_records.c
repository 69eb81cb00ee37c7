/* Records made fast: instances of a frozen dataclass with slots, field by field.
 *
 * A frozen dataclass's ``__init__`` sets each field with ``object.__setattr__``,
 * about 100 ns a field: a decision of eight fields costs more than finding it.
 * A maker stores the fields straight into the instance's slots, as the class's
 * own slot descriptors would; ``core.records`` checks, before it hands one out,
 * that the class has nothing else to run (no ``__post_init__``, every field set
 * by ``__init__``), so both build the same object. The pure twin is the class.
 *
 * Maker(cls, names) -> a callable: Maker(...)(v1, ..., vn) is an instance of
 *   ``cls`` whose slot names[i] holds vi (a slot of ``cls`` or of a base); a slot
 *   not named stays unset.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>

#define MAX_FIELDS 32

typedef struct {
    PyObject_HEAD
    vectorcallfunc vectorcall;
    PyTypeObject *cls;
    Py_ssize_t n;
    Py_ssize_t offsets[MAX_FIELDS];
} Maker;

static PyObject *make(PyObject *self, PyObject *const *args, size_t nargsf, PyObject *kwnames) {
    Maker *m = (Maker *)self;
    Py_ssize_t n = PyVectorcall_NARGS(nargsf);
    if ((kwnames != NULL && PyTuple_GET_SIZE(kwnames) != 0) || n != m->n) {
        PyErr_Format(PyExc_TypeError, "a maker of %s takes its %zd fields in order",
                     m->cls->tp_name, m->n);
        return NULL;
    }
    PyObject *obj = m->cls->tp_alloc(m->cls, 0); /* every slot NULL: nothing to release */
    if (obj == NULL) return NULL;
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_INCREF(args[i]);
        *(PyObject **)((char *)obj + m->offsets[i]) = args[i];
    }
    return obj;
}

static PyObject *maker_new(PyTypeObject *type, PyObject *args, PyObject *kwargs) {
    PyObject *cls, *names;
    static char *keywords[] = {"cls", "names", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O!O!:Maker", keywords, &PyType_Type, &cls,
                                     &PyTuple_Type, &names))
        return NULL;
    Py_ssize_t n = PyTuple_GET_SIZE(names);
    if (n > MAX_FIELDS) {
        PyErr_Format(PyExc_ValueError, "Maker: at most %d fields", MAX_FIELDS);
        return NULL;
    }
    Maker *m = (Maker *)type->tp_alloc(type, 0);
    if (m == NULL) return NULL;
    m->vectorcall = make;
    m->n = n;
    Py_INCREF(cls);
    m->cls = (PyTypeObject *)cls;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *found = PyObject_GetAttr(cls, PyTuple_GET_ITEM(names, i));
        int slot = found != NULL && Py_IS_TYPE(found, &PyMemberDescr_Type) &&
                   PyType_IsSubtype(m->cls, PyDescr_TYPE(found)) &&
                   ((PyMemberDescrObject *)found)->d_member->type == T_OBJECT_EX &&
                   !(((PyMemberDescrObject *)found)->d_member->flags & READONLY);
        if (!slot) {
            Py_XDECREF(found);
            PyErr_Clear();
            PyErr_Format(PyExc_ValueError, "Maker: %R is not a slot of %s",
                         PyTuple_GET_ITEM(names, i), m->cls->tp_name);
            Py_DECREF(m);
            return NULL;
        }
        m->offsets[i] = ((PyMemberDescrObject *)found)->d_member->offset;
        Py_DECREF(found);
    }
    return (PyObject *)m;
}

static void maker_dealloc(Maker *m) {
    Py_XDECREF(m->cls);
    Py_TYPE(m)->tp_free((PyObject *)m);
}

static PyTypeObject MakerType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "nocontact.core._records.Maker",
    .tp_basicsize = sizeof(Maker),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_vectorcall_offset = offsetof(Maker, vectorcall),
    .tp_call = PyVectorcall_Call,
    .tp_new = maker_new,
    .tp_dealloc = (destructor)maker_dealloc,
    .tp_doc = "Maker(cls, names): instances of cls, its slots filled in order.",
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, .m_name = "_records", .m_size = -1,
};

PyMODINIT_FUNC PyInit__records(void) {
    if (PyType_Ready(&MakerType) < 0) return NULL;
    PyObject *mod = PyModule_Create(&module);
    if (mod == NULL) return NULL;
    Py_INCREF(&MakerType);
    if (PyModule_AddObject(mod, "Maker", (PyObject *)&MakerType) < 0) {
        Py_DECREF(&MakerType);
        Py_DECREF(mod);
        return NULL;
    }
    return mod;
}
