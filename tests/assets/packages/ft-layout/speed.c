/* Multi-phase init declaring free-threading support, inside a namespace package. */
#include <Python.h>

static PyModuleDef_Slot slots[] = {
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
    {0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_speed", NULL, 0, NULL, slots};

PyMODINIT_FUNC PyInit__speed(void) { return PyModuleDef_Init(&module); }
