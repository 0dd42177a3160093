/*
 * Fast path of the XES reader (ist_analyse.io.xes): the same state machine as the Python
 * handlers there, run as expat callbacks in C.
 *
 * Why: a Python-level expat parser pays ~1.5 us per element for the callback into Python, and
 * bpic2012 has 1.36 million elements, so the pure-Python reader cannot get near rustxes. Here
 * the callbacks stay in C; Python objects are created only for the values kept.
 *
 * Expat itself comes from Python's own pyexpat module through its C API capsule
 * ("pyexpat.expat_CAPI", as _elementtree uses it): the same expat, the same well-formedness
 * rules and no library to link.
 *
 * This scanner only ever reads well-formed, plain XES. Whatever it does not handle itself -
 * a DOCTYPE, an XML error, a structure error, a trace without a case id, a key given twice in
 * one event or trace (counted there), nesting deeper than the limit, more than max_token
 * bytes without an element (a huge comment or tag) - makes it *bail out*: feed() returns False and the caller re-reads the file with
 * the Python reader, which refuses or reports it with line and column. So every error message
 * and every safety rule lives in one place (xes.py), and the result of a successful scan is
 * exactly what the Python reader returns (tests/io/test_xes.py checks both on every input).
 *
 * Safety: a DOCTYPE sets the bail flag at its start and the caller stops feeding after the
 * current chunk; the parser never gets an external-entity handler, so expat opens nothing;
 * parameter entities stay at expat's default (never parsed); expat >= 2.4 caps entity
 * amplification within the chunk that was already fed.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stddef.h>
#include <string.h>

#include "expat.h"
#include "pyexpat.h"

static struct PyExpat_CAPI *capi = NULL;
static PyObject *case_key = NULL; /* "concept:name" */

enum { CTX_DOC = 0, CTX_LOG = 1, CTX_TRACE = 2, CTX_EVENT = 3 };
#define KEY_CACHE 64

typedef struct {
    PyObject_HEAD
    XML_Parser parser;
    /* ctx + 4 * skip depth, as in xes.py */
    long state;
    long max_depth;          /* deepest nesting accepted (xes.MAX_DEPTH, passed in) */
    Py_ssize_t max_token;    /* bytes fed without any element start or end (xes.MAX_TOKEN) */
    Py_ssize_t idle;         /* bytes fed since the last chunk with an element start or end */
    unsigned long elements;  /* element starts and ends seen */
    Py_ssize_t n;            /* events kept = row index of the current event */
    Py_ssize_t events_read;
    Py_ssize_t nested;
    Py_ssize_t empty_traces;
    Py_ssize_t trace_start;
    PyObject *ev_cols;       /* key -> list (padded lazily with None) */
    PyObject *tr_cols;       /* key -> list */
    PyObject *intern;        /* value -> the one str object for it */
    PyObject *trace_attrs;   /* key -> value of the current trace */
    /* the event attribute keys seen so far, as C strings, with their column lists: a log has
       a handful of keys, so a linear strcmp search beats decoding and hashing each key */
    char *keys[KEY_CACHE];
    PyObject *key_cols[KEY_CACHE];   /* borrowed from ev_cols */
    int n_keys;
    const char *bail;        /* why the fast path gave up (NULL: it did not) */
    int failed;              /* a Python exception is set (memory) */
} Scanner;

static const char *
local_name(const char *name)
{
    const char *colon = strrchr(name, ':');
    return colon ? colon + 1 : name;
}

static void
key_value(const XML_Char **atts, const char **key, const char **value)
{
    *key = NULL;
    *value = NULL;
    for (; atts[0] != NULL; atts += 2) {
        if (strcmp(atts[0], "key") == 0)
            *key = atts[1];
        else if (strcmp(atts[0], "value") == 0)
            *value = atts[1];
    }
}

/* str of a UTF-8 C string; interned when asked (repeated names, states, ids) */
static PyObject *
make_str(Scanner *s, const char *text, int intern)
{
    PyObject *obj = PyUnicode_DecodeUTF8(text, (Py_ssize_t)strlen(text), "strict");
    if (obj == NULL || !intern)
        return obj;
    PyObject *found = PyDict_SetDefault(s->intern, obj, obj);
    Py_XINCREF(found);
    Py_DECREF(obj);
    return found;
}

static int
pad(PyObject *list, Py_ssize_t length)
{
    while (PyList_GET_SIZE(list) < length) {
        if (PyList_Append(list, Py_None) < 0)
            return -1;
    }
    return 0;
}

static PyObject *
none_list(Py_ssize_t length)
{
    PyObject *list = PyList_New(length);
    if (list == NULL)
        return NULL;
    for (Py_ssize_t i = 0; i < length; i++) {
        Py_INCREF(Py_None);
        PyList_SET_ITEM(list, i, Py_None);
    }
    return list;
}

static void
fail(Scanner *s)
{
    s->failed = 1;
}

/* the column list of event attribute ``key`` (borrowed), created on first use */
static PyObject *
event_column(Scanner *s, const char *key)
{
    for (int i = 0; i < s->n_keys; i++) {
        if (strcmp(s->keys[i], key) == 0)
            return s->key_cols[i];
    }
    PyObject *k = make_str(s, key, 1);
    if (k == NULL)
        return NULL;
    PyObject *col = PyDict_GetItemWithError(s->ev_cols, k); /* borrowed */
    if (col == NULL) {
        if (PyErr_Occurred() || (col = none_list(s->n)) == NULL) {
            Py_DECREF(k);
            return NULL;
        }
        int rc = PyDict_SetItem(s->ev_cols, k, col);
        Py_DECREF(col); /* the dict holds it */
        if (rc < 0) {
            Py_DECREF(k);
            return NULL;
        }
    }
    Py_DECREF(k);
    if (s->n_keys < KEY_CACHE) {
        char *copy = PyMem_Malloc(strlen(key) + 1);
        if (copy == NULL) {
            PyErr_NoMemory();
            return NULL;
        }
        strcpy(copy, key);
        s->keys[s->n_keys] = copy;
        s->key_cols[s->n_keys++] = col;
    }
    return col;
}

static void
event_attribute(Scanner *s, const char *name, const char *key, const char *value)
{
    PyObject *col = event_column(s, key);
    if (col == NULL)
        { fail(s); return; }
    /* timestamps are unique: not worth interning */
    PyObject *v = make_str(s, value, strcmp(name, "date") != 0);
    if (v == NULL)
        { fail(s); return; }
    Py_ssize_t m = PyList_GET_SIZE(col);
    if (m > s->n) { /* the same key twice in one event: the Python reader counts it */
        Py_DECREF(v);
        s->bail = "key repeated in an event";
        return;
    }
    if ((m < s->n && pad(col, s->n) < 0) || PyList_Append(col, v) < 0) {
        Py_DECREF(v);
        { fail(s); return; }
    }
    Py_DECREF(v);
}

static void XMLCALL
on_start(void *data, const XML_Char *name, const XML_Char **atts)
{
    Scanner *s = (Scanner *)data;
    const char *key, *value, *local;
    s->elements++;
    if (s->bail || s->failed)
        return;
    if (s->state == CTX_EVENT) { /* an event attribute: by far the most frequent case */
        key_value(atts, &key, &value);
        if (key != NULL && value != NULL) {
            event_attribute(s, name, key, value);
        }
        else if (key == NULL) {
            local = local_name(name);
            if (!strcmp(local, "event") || !strcmp(local, "trace") || !strcmp(local, "log")) {
                s->bail = "element inside an <event>";
                return;
            }
        }
        s->state = CTX_EVENT + 4;
    }
    else if (s->state > CTX_EVENT) { /* inside an element whose content is skipped */
        s->state += 4;
        if ((s->state & 3) >= CTX_TRACE)
            s->nested++;
        if ((s->state >> 2) > s->max_depth)
            s->bail = "nesting limit";
    }
    else if (s->state == CTX_TRACE) {
        local = local_name(name);
        if (!strcmp(local, "event")) {
            s->state = CTX_EVENT;
            return;
        }
        if (!strcmp(local, "trace") || !strcmp(local, "log")) {
            s->bail = "element inside a <trace>";
            return;
        }
        key_value(atts, &key, &value);
        if (key != NULL && value != NULL) {
            PyObject *k = make_str(s, key, 1);
            int seen = k ? PyDict_Contains(s->trace_attrs, k) : -1;
            if (seen > 0) { /* the same key twice in one trace: the Python reader counts it */
                Py_DECREF(k);
                s->bail = "key repeated in a trace";
                return;
            }
            PyObject *v = seen == 0 ? make_str(s, value, 1) : NULL;
            if (v == NULL || PyDict_SetItem(s->trace_attrs, k, v) < 0)
                fail(s);
            Py_XDECREF(k);
            Py_XDECREF(v);
        }
        s->state = CTX_TRACE + 4;
    }
    else if (s->state == CTX_LOG) {
        local = local_name(name);
        if (!strcmp(local, "trace")) {
            s->state = CTX_TRACE;
            s->trace_start = s->n;
            PyDict_Clear(s->trace_attrs);
        }
        else if (!strcmp(local, "event") || !strcmp(local, "log")) {
            s->bail = "element out of place in <log>";
        }
        else { /* extension, global, classifier, log-level attributes: not events */
            s->state = CTX_LOG + 4;
        }
    }
    else { /* the root element */
        if (strcmp(local_name(name), "log") != 0) {
            s->bail = "root element is not <log>";
            return;
        }
        s->state = CTX_LOG;
    }
}

static void
finish_trace(Scanner *s)
{
    Py_ssize_t k = s->n - s->trace_start;
    PyObject *key, *value;
    Py_ssize_t pos = 0;
    if (k == 0) {
        s->empty_traces++;
        return;
    }
    int found = PyDict_Contains(s->trace_attrs, case_key);
    if (found < 0)
        { fail(s); return; }
    if (!found) { /* an error, or rows to skip: the Python reader knows what to do */
        s->bail = "trace without concept:name";
        return;
    }
    while (PyDict_Next(s->trace_attrs, &pos, &key, &value)) {
        PyObject *col = PyDict_GetItemWithError(s->tr_cols, key); /* borrowed */
        if (col == NULL) {
            if (PyErr_Occurred() || (col = none_list(s->trace_start)) == NULL)
                { fail(s); return; }
            int rc = PyDict_SetItem(s->tr_cols, key, col);
            Py_DECREF(col);
            if (rc < 0)
                { fail(s); return; }
        }
        else if (PyList_GET_SIZE(col) < s->trace_start && pad(col, s->trace_start) < 0) {
            { fail(s); return; }
        }
        for (Py_ssize_t i = 0; i < k; i++) {
            if (PyList_Append(col, value) < 0)
                { fail(s); return; }
        }
    }
}

static void XMLCALL
on_end(void *data, const XML_Char *name)
{
    Scanner *s = (Scanner *)data;
    (void)name;
    s->elements++;
    if (s->bail || s->failed)
        return;
    if (s->state > CTX_EVENT) {
        s->state -= 4;
    }
    else if (s->state == CTX_EVENT) {
        s->n++;
        s->events_read++;
        s->state = CTX_TRACE;
    }
    else if (s->state == CTX_TRACE) {
        finish_trace(s);
        s->state = CTX_LOG;
    }
    else {
        s->state = CTX_DOC;
    }
}

static void XMLCALL
on_doctype(void *data, const XML_Char *name, const XML_Char *sysid, const XML_Char *pubid,
           int has_internal_subset)
{
    (void)name; (void)sysid; (void)pubid; (void)has_internal_subset;
    ((Scanner *)data)->bail = "DOCTYPE";
}

/* ---- the Python type ---------------------------------------------------------------- */

static int
Scanner_init(Scanner *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"max_depth", "max_token", NULL};
    long max_depth;
    Py_ssize_t max_token;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "ln", kwlist, &max_depth, &max_token))
        return -1;
    if (self->parser != NULL) {
        PyErr_SetString(PyExc_RuntimeError, "Scanner is initialised once");
        return -1;
    }
    self->max_depth = max_depth;
    self->max_token = max_token;
    self->ev_cols = PyDict_New();
    self->tr_cols = PyDict_New();
    self->intern = PyDict_New();
    self->trace_attrs = PyDict_New();
    if (!self->ev_cols || !self->tr_cols || !self->intern || !self->trace_attrs)
        return -1;
    self->parser = capi->ParserCreate_MM(NULL, NULL, NULL);
    if (self->parser == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    capi->SetUserData(self->parser, self);
    capi->SetElementHandler(self->parser, on_start, on_end);
    capi->SetStartDoctypeDeclHandler(self->parser, on_doctype);
    /* 8-bit encodings expat does not know (windows-1252, ...) as pyexpat decodes them */
    capi->SetUnknownEncodingHandler(self->parser, capi->DefaultUnknownEncodingHandler, NULL);
    return 0;
}

static void
Scanner_dealloc(Scanner *self)
{
    if (self->parser != NULL)
        capi->ParserFree(self->parser);
    for (int i = 0; i < self->n_keys; i++)
        PyMem_Free(self->keys[i]);
    Py_XDECREF(self->ev_cols);
    Py_XDECREF(self->tr_cols);
    Py_XDECREF(self->intern);
    Py_XDECREF(self->trace_attrs);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

PyDoc_STRVAR(feed_doc,
"feed(data: bytes, final: bool) -> bool\n\n"
"Parse the next chunk. False: the fast path gave up (see ``bail``); read the file again\n"
"with the Python reader, which reports or handles what was found.");

static PyObject *
Scanner_feed(Scanner *self, PyObject *args)
{
    Py_buffer buf;
    int final;
    if (self->parser == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "Scanner not initialised");
        return NULL;
    }
    if (!PyArg_ParseTuple(args, "y*p", &buf, &final))
        return NULL;
    if (self->bail) {
        PyBuffer_Release(&buf);
        Py_RETURN_FALSE;
    }
    enum XML_Status rc = XML_STATUS_OK;
    unsigned long elements = self->elements;
    const char *p = (const char *)buf.buf;
    Py_ssize_t left = buf.len;
    do { /* expat takes an int length */
        int len = left > (1 << 30) ? (1 << 30) : (int)left;
        rc = capi->Parse(self->parser, p, len, final && len == left);
        p += len;
        left -= len;
    } while (rc == XML_STATUS_OK && left > 0 && !self->bail && !self->failed);
    self->idle = self->elements != elements ? 0 : self->idle + buf.len;
    PyBuffer_Release(&buf);
    if (self->failed)
        return NULL; /* the handler's Python error (memory) */
    /* a comment, tag or text run this long: expat (< 2.6) rescans an unfinished token on
       every chunk, quadratic time; the Python reader refuses it with its line */
    if (!self->bail && self->idle > self->max_token)
        self->bail = "token longer than the limit";
    if (rc != XML_STATUS_OK && !self->bail)
        self->bail = "XML error";
    if (self->bail && PyErr_Occurred())
        PyErr_Clear(); /* e.g. the codec lookup of an unknown declared encoding failed */
    if (self->bail)
        Py_RETURN_FALSE;
    Py_RETURN_TRUE;
}

PyDoc_STRVAR(result_doc,
"result() -> (event_columns, trace_columns, n, events_read, nested, empty_traces)");

static PyObject *
Scanner_result(Scanner *self, PyObject *Py_UNUSED(ignored))
{
    if (self->parser == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "Scanner not initialised");
        return NULL;
    }
    return Py_BuildValue("OOnnnn", self->ev_cols, self->tr_cols, self->n, self->events_read,
                         self->nested, self->empty_traces);
}

static PyObject *
Scanner_get_bail(Scanner *self, void *closure)
{
    (void)closure;
    if (self->bail == NULL)
        Py_RETURN_NONE;
    return PyUnicode_FromString(self->bail);
}

static PyMethodDef Scanner_methods[] = {
    {"feed", (PyCFunction)Scanner_feed, METH_VARARGS, feed_doc},
    {"result", (PyCFunction)Scanner_result, METH_NOARGS, result_doc},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef Scanner_getset[] = {
    {"bail", (getter)Scanner_get_bail, NULL, "why the fast path gave up, or None", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject ScannerType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "ist_analyse.io._xesscan.Scanner",
    .tp_basicsize = sizeof(Scanner),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Scanner(max_depth, max_token): streaming XES scanner on pyexpat's expat (see the module "
              "source).",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Scanner_init,
    .tp_dealloc = (destructor)Scanner_dealloc,
    .tp_methods = Scanner_methods,
    .tp_getset = Scanner_getset,
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_xesscan",
    "Fast path of ist_analyse.io.xes (C callbacks on pyexpat's expat).", -1,
    NULL, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC
PyInit__xesscan(void)
{
    capi = (struct PyExpat_CAPI *)PyCapsule_Import(PyExpat_CAPSULE_NAME, 0);
    if (capi == NULL)
        return NULL;
    if (strcmp(capi->magic, PyExpat_CAPI_MAGIC) != 0
            || (size_t)capi->size < offsetof(struct PyExpat_CAPI, SetHashSalt)) {
        PyErr_SetString(PyExc_ImportError, "pyexpat's C API is not the expected version");
        return NULL;
    }
    if (case_key == NULL && (case_key = PyUnicode_InternFromString("concept:name")) == NULL)
        return NULL;
    if (PyType_Ready(&ScannerType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL)
        return NULL;
    Py_INCREF(&ScannerType);
    if (PyModule_AddObject(m, "Scanner", (PyObject *)&ScannerType) < 0) {
        Py_DECREF(&ScannerType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
