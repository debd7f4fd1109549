/* Multi-phase init without a Py_mod_gil slot. */
#include <Python.h>

static PyModuleDef_Slot slots[] = {{0, NULL}};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_impl", NULL, 0, NULL, slots};

PyMODINIT_FUNC PyInit__impl(void) { return PyModuleDef_Init(&module); }
