/* An extension whose module execution dies of a segmentation fault. */
#include <Python.h>
#include <signal.h>

static int crash_exec(PyObject *m)
{
    raise(SIGSEGV);
    return 0;
}

static PyModuleDef_Slot slots[] = {
    {Py_mod_exec, crash_exec},
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
    {0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_crash", NULL, 0, NULL, slots};

PyMODINIT_FUNC PyInit__crash(void) { return PyModuleDef_Init(&module); }
