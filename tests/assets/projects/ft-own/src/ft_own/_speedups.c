/* The project's own extension: multi-phase init without a Py_mod_gil slot. */
#include <Python.h>

static PyObject *speed(PyObject *self, PyObject *args) { return PyLong_FromLong(1); }

static PyMethodDef methods[] = {{"speed", speed, METH_NOARGS, NULL}, {NULL, NULL, 0, NULL}};

static PyModuleDef_Slot slots[] = {{0, NULL}};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_speedups", NULL, 0, methods, slots};

PyMODINIT_FUNC PyInit__speedups(void) { return PyModuleDef_Init(&module); }
