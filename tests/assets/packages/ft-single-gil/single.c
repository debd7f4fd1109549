/* Single-phase init that does not declare free-threading support. */
#include <Python.h>

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "ft_single_gil", NULL, -1, NULL};

PyMODINIT_FUNC PyInit_ft_single_gil(void) { return PyModule_Create(&module); }
