/* An extension that writes 10 MB to the C-level stdout when it loads, and is ready. */
#include <Python.h>
#include <stdio.h>
#include <string.h>

static int noise_exec(PyObject *m)
{
    static char block[1024 * 1024];
    memset(block, 'y', sizeof block);
    printf("{\"event\": \"hello\"}\n");
    for (int i = 0; i < 10; i++) {
        fwrite(block, 1, sizeof block, stdout);
    }
    fflush(stdout);
    fprintf(stderr, "noise from C on stderr\n");
    return 0;
}

static PyModuleDef_Slot slots[] = {
    {Py_mod_exec, noise_exec},
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
    {0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_noise", NULL, 0, NULL, slots};

PyMODINIT_FUNC PyInit__noise(void) { return PyModuleDef_Init(&module); }
