/*
 * jen-builtins' loader: the library users name in `plugin-files`.
 *
 * A Nix plugin is bound to the exact Nix (release and C++ standard library)
 * it was compiled against: loaded into another, it crashes Nix before the
 * first evaluation (SIGSEGV, SIGBUS, "undefined symbol"). `plugin-files`
 * usually sits in nix.conf, so after a Nix upgrade every command would load
 * the old build. This loader links nothing but libc: no Nix library, no C++
 * standard library, no static initialiser that touches Nix. When Nix calls
 * its `nix_plugin_entry`, it finds out which Nix it is in and only then
 * loads the backend (the real plugin: C++ shim and Rust core) built for
 * that Nix, from `../libexec/jen-builtins/` (or `jen-builtins/`) beside
 * itself:
 *
 *     lib/libjen_builtins.so                           this loader
 *     libexec/jen-builtins/nix-2.26.3-libstdc++.so     a backend, one per Nix
 *
 * (libexec, not a directory in lib/: `plugin-files` may name a directory,
 * and Nix then loads every entry in it, a subdirectory too, and fails.)
 *
 * A backend's file name is its record: `nix-<version>-<c++ library>.so`,
 * written by plugin/build.rs from the Nix it compiled against. The rules:
 *
 *   - the same release and C++ library: load it;
 *   - the same series (major.minor) and C++ library, another patch
 *     release: load the newest such backend, with a one-line warning;
 *   - anything else (another series; Determinate Nix or Lix; another C++
 *     library; a Nix whose version cannot be read): load nothing, write one
 *     line to stderr (the Nix it was built for, the Nix it is in, what to
 *     do), and return: Nix goes on without builtins.jen. The reason is also
 *     left in the environment variable JEN_BUILTINS_NOT_LOADED, where
 *     `import ./nix { }` finds it to explain why builtins.jen is missing.
 *
 * Which Nix: Nix exports `nix::nixVersion`, a std::string, from libnixstore
 * (and, by copy relocation, from the `nix` executable, the live copy). Its
 * mangled name tells the C++ library: `_ZN3nix10nixVersionB5cxx11E` with
 * libstdc++ (the cxx11 ABI tag), `_ZN3nix10nixVersionE` with libc++.
 * Determinate Nix keeps upstream's nixVersion and adds
 * `nix::determinateNixVersion`; Lix reports its own release (2.90 on).
 * The string is read by its layout in that C++ library, checked for
 * printable characters and a sane length, never trusted further.
 *
 * Written in C, not Rust: a Rust cdylib would carry Rust's std with its
 * own static state and panic machinery into every Nix process, for a few
 * dlsym calls; no crate offers this (it is about Nix's ABI).
 *
 * Preloading (programs that evaluate through Nix's C API and never read
 * `plugin-files`, such as nixops4's evaluator): with JEN_BUILTINS_PRELOAD=1
 * and LD_PRELOAD naming this library, a constructor removes both variables
 * (so the program's children do not inherit them) and runs the entry at
 * load. Without the variable the constructor does nothing.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXPORT __attribute__((visibility("default")))

/* The environment variable where a decline leaves its reason. */
#define NOT_LOADED_VAR "JEN_BUILTINS_NOT_LOADED"
/* What the user can do, the end of every decline line. */
#define ADVICE                                                                  \
    "builtins.jen is unavailable, Nix goes on. Build jen-builtins against this " \
    "Nix (docs/nix-versions.md, \"Any other Nix\") or remove it from plugin-files."

/* A version "major.minor[.patch][suffix]" as numbers. */
struct version {
    unsigned major, minor, patch;
    int has_patch;
};

/* The Nix this process is: what the loader found out. */
struct running {
    int readable;          /* nixVersion found and read */
    char version[64];      /* nix::nixVersion */
    const char *cxxlib;    /* "libstdc++" or "libc++" */
    char impl[32];         /* "Nix", "Determinate Nix", "Lix" */
    char impl_version[64]; /* Determinate's own release, else "" */
    struct version v;
};

/* Parse "2.26.3", "2.26", "2.26.3pre" into numbers; 0 when it does not
 * start with "major.minor". */
static int parse_version(const char *s, struct version *v)
{
    char *end;
    memset(v, 0, sizeof *v);
    if (*s < '0' || *s > '9')
        return 0;
    v->major = (unsigned)strtoul(s, &end, 10);
    if (*end != '.' || end[1] < '0' || end[1] > '9')
        return 0;
    v->minor = (unsigned)strtoul(end + 1, &end, 10);
    if (*end == '.' && end[1] >= '0' && end[1] <= '9') {
        v->patch = (unsigned)strtoul(end + 1, &end, 10);
        v->has_patch = 1;
    }
    return 1;
}

/* Copy `len` bytes at `p` into `out` when they are a plausible version
 * string (1..63 printable ASCII characters). */
static int copy_printable(const char *p, size_t len, char *out, size_t cap)
{
    if (p == NULL || len == 0 || len >= cap)
        return 0;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)p[i] < 0x20 || (unsigned char)p[i] > 0x7e)
            return 0;
    memcpy(out, p, len);
    out[len] = '\0';
    return 1;
}

/* A libstdc++ std::string (cxx11 ABI): { char *data; size_t size; ... }. */
static int read_libstdcxx_string(const void *obj, char *out, size_t cap)
{
    const char *data;
    size_t size;
    memcpy(&data, obj, sizeof data);
    memcpy(&size, (const char *)obj + sizeof data, sizeof size);
    return copy_printable(data, size, out, cap);
}

/* A libc++ std::string, default (not alternate) layout, little-endian:
 * the low bit of the first byte says long; short: size in the first
 * byte's upper seven bits, characters from byte 1; long: { cap|1, size,
 * data }. */
static int read_libcxx_string(const void *obj, char *out, size_t cap)
{
    const unsigned char *b = obj;
    if (b[0] & 1) {
        size_t size;
        const char *data;
        memcpy(&size, b + sizeof(size_t), sizeof size);
        memcpy(&data, b + 2 * sizeof(size_t), sizeof data);
        return copy_printable(data, size, out, cap);
    }
    return copy_printable((const char *)b + 1, b[0] >> 1, out, cap);
}

/* Read the std::string `name` (mangled without the C++ library's tag) of
 * the C++ library `cxxlib`, looked up in the whole process. */
static int read_nix_string(const char *base, const char *cxxlib, char *out, size_t cap)
{
    char sym[128];
    int libstdcxx = strcmp(cxxlib, "libstdc++") == 0;
    snprintf(sym, sizeof sym, "%s%s", base, libstdcxx ? "B5cxx11E" : "E");
    void *obj = dlsym(RTLD_DEFAULT, sym);
    if (obj == NULL)
        return 0;
    return libstdcxx ? read_libstdcxx_string(obj, out, cap) : read_libcxx_string(obj, out, cap);
}

static void identify(struct running *r)
{
    memset(r, 0, sizeof *r);
    if (dlsym(RTLD_DEFAULT, "_ZN3nix10nixVersionB5cxx11E"))
        r->cxxlib = "libstdc++";
    /* Without the tag, the string is libc++'s only if libc++ is in the
     * process (libstdc++'s old ABI names it so too, and is not read). */
    else if (dlsym(RTLD_DEFAULT, "_ZN3nix10nixVersionE") &&
             dlsym(RTLD_DEFAULT, "_ZNSt3__16chrono12system_clock3nowEv"))
        r->cxxlib = "libc++";
    else
        return;
    if (!read_nix_string("_ZN3nix10nixVersion", r->cxxlib, r->version, sizeof r->version) ||
        !parse_version(r->version, &r->v))
        return;
    r->readable = 1;
    if (read_nix_string("_ZN3nix21determinateNixVersion", r->cxxlib, r->impl_version,
                        sizeof r->impl_version))
        snprintf(r->impl, sizeof r->impl, "Determinate Nix");
    else if (r->v.major == 2 && r->v.minor >= 90)
        snprintf(r->impl, sizeof r->impl, "Lix");
    else
        snprintf(r->impl, sizeof r->impl, "Nix");
}

/* "Nix 2.26.3 (libstdc++)", "Determinate Nix 3.22.2 (Nix 2.35.2, libc++)". */
static void describe(const struct running *r, char *out, size_t cap)
{
    if (!r->readable)
        snprintf(out, cap, "a Nix whose version cannot be read (no readable nix::nixVersion%s%s)",
                 r->cxxlib ? " for " : "", r->cxxlib ? r->cxxlib : "");
    else if (r->impl_version[0])
        snprintf(out, cap, "%s %s (Nix %s, %s)", r->impl, r->impl_version, r->version, r->cxxlib);
    else
        snprintf(out, cap, "%s %s (%s)", r->impl, r->version, r->cxxlib);
}

/* One backend in jen-builtins/: its file and its record. */
struct backend {
    char file[NAME_MAX + 1];
    char version[64];
    char cxxlib[16];
    struct version v;
};

/* Parse "nix-<version>-<cxxlib>.so"; 0 for any other name. */
static int parse_backend_name(const char *name, struct backend *b)
{
    size_t n = strlen(name);
    const char *dash;
    if (n < 4 + 3 || strncmp(name, "nix-", 4) != 0 || strcmp(name + n - 3, ".so") != 0)
        return 0;
    dash = strchr(name + 4, '-');
    if (dash == NULL || (size_t)(dash - (name + 4)) >= sizeof b->version ||
        (size_t)(name + n - 3 - (dash + 1)) >= sizeof b->cxxlib || n >= sizeof b->file)
        return 0;
    memcpy(b->version, name + 4, (size_t)(dash - (name + 4)));
    b->version[dash - (name + 4)] = '\0';
    memcpy(b->cxxlib, dash + 1, (size_t)(name + n - 3 - (dash + 1)));
    b->cxxlib[name + n - 3 - (dash + 1)] = '\0';
    if (strcmp(b->cxxlib, "libstdc++") != 0 && strcmp(b->cxxlib, "libc++") != 0)
        return 0;
    if (!parse_version(b->version, &b->v) || !b->v.has_patch)
        return 0;
    memcpy(b->file, name, n + 1);
    return 1;
}

/* Where backends may lie, relative to the loader's directory. */
static const char *const BACKEND_DIRS[] = {"/../libexec/jen-builtins", "/jen-builtins"};
#define MAX_DIRS 4

/* The directories to look in for backends: BACKEND_DIRS beside the path
 * this library was loaded by (a symlinkJoin of several packages, each
 * bringing its backends, joins them there), then beside the real file,
 * when a symbolic link leads elsewhere. Returns how many (0 to MAX_DIRS). */
static int loader_dirs(char out[MAX_DIRS][PATH_MAX])
{
    Dl_info info;
    char real[PATH_MAX];
    const char *paths[2];
    int n = 0;
    if (!dladdr((void *)&loader_dirs, &info) || info.dli_fname == NULL)
        return 0;
    paths[0] = info.dli_fname;
    paths[1] = realpath(info.dli_fname, real) ? real : NULL;
    for (int i = 0; i < 2; i++) {
        const char *path = paths[i], *slash;
        size_t len;
        if (path == NULL)
            continue;
        slash = strrchr(path, '/');
        len = slash ? (size_t)(slash - path) : 1;
        for (size_t k = 0; k < sizeof BACKEND_DIRS / sizeof *BACKEND_DIRS; k++) {
            int seen = 0;
            if (len + strlen(BACKEND_DIRS[k]) + 1 > PATH_MAX)
                continue;
            memcpy(out[n], slash ? path : ".", len);
            strcpy(out[n] + len, BACKEND_DIRS[k]);
            for (int j = 0; j < n; j++)
                seen |= strcmp(out[j], out[n]) == 0;
            if (!seen)
                n++;
        }
    }
    return n;
}

/* Write the one line, and leave the reason for nix/default.nix. */
static void decline(const char *fmt, ...)
{
    char reason[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    fprintf(stderr, "jen-builtins: not loaded: %s; " ADVICE "\n", reason);
    setenv(NOT_LOADED_VAR, reason, 1);
}

/* Add the backends of `dir` to the list `built_for`, keeping in `best` the
 * one this Nix should load (exact release first, else the newest patch
 * release of its series). */
static void scan(const char *dir, const struct running *r, char *built_for, size_t cap,
                 struct backend *best, char *best_dir, int *have_best, int *exact)
{
    struct backend b;
    struct dirent *e;
    DIR *d = opendir(dir);
    while (d != NULL && (e = readdir(d)) != NULL) {
        if (!parse_backend_name(e->d_name, &b))
            continue;
        size_t used = strlen(built_for);
        snprintf(built_for + used, cap - used, "%sNix %s (%s)", used ? ", " : "", b.version,
                 b.cxxlib);
        if (!r->readable || strcmp(r->impl, "Nix") != 0 || strcmp(b.cxxlib, r->cxxlib) != 0 ||
            b.v.major != r->v.major || b.v.minor != r->v.minor || *exact)
            continue;
        int same = strcmp(b.version, r->version) == 0;
        if (same || !*have_best || b.v.patch > best->v.patch) {
            *best = b;
            strcpy(best_dir, dir);
            *have_best = 1;
            *exact = same;
        }
    }
    if (d != NULL)
        closedir(d);
}

static void load(void)
{
    struct running r;
    struct backend best;
    char dirs[MAX_DIRS][PATH_MAX], best_dir[PATH_MAX], built_for[512] = "", here[256];
    char path[PATH_MAX + NAME_MAX + 2];
    int ndirs, have_best = 0, exact = 0;

    identify(&r);
    describe(&r, here, sizeof here);
    ndirs = loader_dirs(dirs);
    if (ndirs == 0) {
        decline("cannot tell where the loader lies, so no backend can be found; this is %s", here);
        return;
    }
    for (int i = 0; i < ndirs; i++)
        scan(dirs[i], &r, built_for, sizeof built_for, &best, best_dir, &have_best, &exact);
    if (!have_best) {
        if (built_for[0])
            decline("this is %s, and this jen-builtins was built for %s", here, built_for);
        else
            decline("this is %s, and no backend lies beside the loader (%.400s holds none)",
                    here, dirs[0]);
        return;
    }
    if (!exact)
        fprintf(stderr,
                "jen-builtins: warning: built for Nix %s (%s), this is %s: the same series, "
                "loading it; rebuild jen-builtins against this Nix to be sure.\n",
                best.version, best.cxxlib, here);

    snprintf(path, sizeof path, "%s/%s", best_dir, best.file);
    /* RTLD_NOW: a symbol this Nix lacks fails here, as an error, instead of
     * crashing Nix at the first call. */
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (h == NULL) {
        decline("the backend %s for this %s failed to load: %s", path, here, dlerror());
        return;
    }
    void (*entry)(void);
    *(void **)&entry = dlsym(h, "jen_backend_entry");
    if (entry == NULL) {
        decline("the backend %s has no jen_backend_entry", path);
        return;
    }
    unsetenv(NOT_LOADED_VAR);
    entry();
}

/* Called by Nix (2.10 and later) right after it loads the plugin. */
EXPORT void nix_plugin_entry(void)
{
    static int done;
    if (done)
        return;
    done = 1;
    load();
}

/* The preload hook (see the header): nothing unless asked. */
__attribute__((constructor)) static void preload(void)
{
    if (getenv("JEN_BUILTINS_PRELOAD") == NULL)
        return;
    unsetenv("JEN_BUILTINS_PRELOAD");
    unsetenv("LD_PRELOAD");
    nix_plugin_entry();
}
