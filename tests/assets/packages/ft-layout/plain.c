/* A plain shared library: no PyInit_ function, so not a Python module. */
int ft_layout_plain_answer(void) { return 42; }
