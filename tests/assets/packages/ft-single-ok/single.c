/* Single-phase init that declares free-threading support with PyUnstable_Module_SetGIL. */
#include <Python.h>

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "ft_single_ok", NULL, -1, NULL};

PyMODINIT_FUNC PyInit_ft_single_ok(void)
{
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) {
        return NULL;
    }
#ifdef Py_GIL_DISABLED
    if (PyUnstable_Module_SetGIL(m, Py_MOD_GIL_NOT_USED) < 0) {
        Py_DECREF(m);
        return NULL;
    }
#endif
    return m;
}
