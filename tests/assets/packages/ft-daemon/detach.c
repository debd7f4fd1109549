/* An extension whose module execution daemonizes the classic way, with the C library's fork
   (no Python at-fork hook runs): fork, setsid, fork again. The grandchild sleeps forever with
   every descriptor it inherited, out of its grandparent's session and process group; the
   middle process writes the grandchild's pid to $TMPDIR/ft-daemon.pid before the import ends. */
#include <Python.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void write_pid(pid_t pid)
{
    const char *folder = getenv("TMPDIR");
    char path[4096], partial[4096];
    FILE *file;

    if (folder == NULL || *folder == '\0') {
        folder = "/tmp";
    }
    snprintf(path, sizeof path, "%s/ft-daemon.pid", folder);
    snprintf(partial, sizeof partial, "%s.partial", path);
    file = fopen(partial, "w");
    if (file == NULL) {
        return;
    }
    fprintf(file, "%ld\n", (long)pid);
    fclose(file);
    rename(partial, path);
}

static int detach_exec(PyObject *m)
{
    pid_t middle = fork();

    if (middle < 0) {
        PyErr_SetFromErrno(PyExc_OSError);
        return -1;
    }
    if (middle == 0) {
        pid_t daemon;

        setsid();
        daemon = fork();
        if (daemon == 0) {
            for (;;) {
                sleep(1);
            }
        }
        if (daemon > 0) {
            write_pid(daemon);
        }
        _exit(0);
    }
    waitpid(middle, NULL, 0);
    return 0;
}

static PyModuleDef_Slot slots[] = {
    {Py_mod_exec, detach_exec},
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
    {0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_detach", NULL, 0, NULL, slots};

PyMODINIT_FUNC PyInit__detach(void) { return PyModuleDef_Init(&module); }
