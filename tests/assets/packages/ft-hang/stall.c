/* An extension whose module execution sleeps forever. */
#include <Python.h>
#include <unistd.h>

static int stall_exec(PyObject *m)
{
    for (;;) {
        sleep(1);
    }
    return 0;
}

static PyModuleDef_Slot slots[] = {
    {Py_mod_exec, stall_exec},
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
    {0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_stall", NULL, 0, NULL, slots};

PyMODINIT_FUNC PyInit__stall(void) { return PyModuleDef_Init(&module); }
