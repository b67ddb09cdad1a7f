/* A stand-in backend, for tests/loader.rs: says when the loader enters it.
 * -DNO_ENTRY: no jen_backend_entry. -DUNRESOLVED: needs a symbol no
 * process has, so that dlopen(RTLD_NOW) fails, as a backend built for
 * another Nix may. */
#include <stdio.h>

#ifdef UNRESOLVED
extern void nix_symbol_of_another_release(void);
#endif

#ifndef NO_ENTRY
__attribute__((visibility("default"))) void jen_backend_entry(void)
{
#ifdef UNRESOLVED
    nix_symbol_of_another_release();
#endif
    printf("stand-in backend entered\n");
    fflush(stdout);
}
#else
__attribute__((visibility("default"))) void something_else(void) {}
#endif
