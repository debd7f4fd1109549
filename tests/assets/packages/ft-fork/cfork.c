/* An extension whose module execution forks with the C library's fork(), which runs none of
   Python's at-fork hooks: the forked process returns from the import too. */
#include <Python.h>
#include <unistd.h>

static int cfork_exec(PyObject *m)
{
    if (fork() < 0) {
        PyErr_SetFromErrno(PyExc_OSError);
        return -1;
    }
    return 0;
}

static PyModuleDef_Slot slots[] = {
    {Py_mod_exec, cfork_exec},
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
    {0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_cfork", NULL, 0, NULL, slots};

PyMODINIT_FUNC PyInit__cfork(void) { return PyModuleDef_Init(&module); }
