/* Multi-phase init without a Py_mod_gil slot: the speedups the package loads by default. */
#include <Python.h>

static PyModuleDef_Slot slots[] = {{0, NULL}};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_speedups", NULL, 0, NULL, slots};

PyMODINIT_FUNC PyInit__speedups(void) { return PyModuleDef_Init(&module); }
